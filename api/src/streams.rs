//! Open streams (tenant watches, log follows, rollout follows), counted per user and in
//! total: each holds a connection and a task for as long as the client likes, so neither one
//! user nor everyone together may hold more than the API can serve (429 beyond).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::{Stream, StreamExt};
use uuid::Uuid;

use crate::error::ApiError;

/// The limits: streams one user may hold open, and all users together.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    pub per_user: usize,
    pub total: usize,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_user: HashMap<Uuid, usize>,
}

/// Shared by every request of one API process.
#[derive(Debug, Clone)]
pub struct StreamSlots {
    counts: Arc<Mutex<Counts>>,
    limits: StreamLimits,
}

/// One open stream's place; given back when dropped (the stream ended or the client left).
#[derive(Debug)]
pub struct StreamSlot {
    counts: Arc<Mutex<Counts>>,
    user: Uuid,
}

impl StreamSlots {
    pub fn new(limits: StreamLimits) -> Self {
        Self {
            counts: Arc::default(),
            limits,
        }
    }

    /// A slot for one more of `user`'s streams, or 429 naming the limit that is reached.
    pub fn acquire(&self, user: Uuid) -> Result<StreamSlot, ApiError> {
        let mut counts = self
            .counts
            .lock()
            .map_err(|_| ApiError::Internal("stream counts poisoned".to_owned()))?;
        let mine = counts.per_user.get(&user).copied().unwrap_or(0);
        if mine >= self.limits.per_user {
            return Err(ApiError::TooManyStreams(format!(
                "at most {} open streams (watches and log follows) per user; close one first",
                self.limits.per_user
            )));
        }
        if counts.total >= self.limits.total {
            return Err(ApiError::TooManyStreams(format!(
                "this API server holds its maximum of {} open streams; retry later",
                self.limits.total
            )));
        }
        counts.total += 1;
        counts.per_user.insert(user, mine + 1);
        Ok(StreamSlot {
            counts: Arc::clone(&self.counts),
            user,
        })
    }

    /// Streams open now: in total, and `user`'s.
    pub fn open(&self, user: Uuid) -> (usize, usize) {
        self.counts.lock().map_or((0, 0), |counts| {
            (
                counts.total,
                counts.per_user.get(&user).copied().unwrap_or(0),
            )
        })
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        // A poisoned lock means a panic elsewhere already; the count is then moot.
        if let Ok(mut counts) = self.counts.lock() {
            counts.total = counts.total.saturating_sub(1);
            if let Some(mine) = counts.per_user.get_mut(&self.user) {
                *mine = mine.saturating_sub(1);
                if *mine == 0 {
                    counts.per_user.remove(&self.user);
                }
            }
        }
    }
}

/// `stream`, holding `slot` for as long as it lives.
pub fn holding<S: Stream + Send + 'static>(
    stream: S,
    slot: StreamSlot,
) -> impl Stream<Item = S::Item> + Send + 'static {
    stream.map(move |item| {
        let _held = &slot;
        item
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(per_user: usize, total: usize) -> StreamSlots {
        StreamSlots::new(StreamLimits { per_user, total })
    }

    #[test]
    fn a_user_gets_no_more_than_the_per_user_limit_and_others_are_unaffected() {
        let slots = slots(2, 10);
        let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let first = slots.acquire(alice).unwrap();
        let _second = slots.acquire(alice).unwrap();
        assert!(matches!(
            slots.acquire(alice),
            Err(ApiError::TooManyStreams(_))
        ));
        let _bobs = slots.acquire(bob).unwrap();
        drop(first);
        let _again = slots.acquire(alice).unwrap();
        assert_eq!(slots.open(alice), (3, 2));
    }

    #[test]
    fn the_total_bounds_everyone_together() {
        let slots = slots(5, 2);
        let _a = slots.acquire(Uuid::new_v4()).unwrap();
        let b = slots.acquire(Uuid::new_v4()).unwrap();
        assert!(matches!(
            slots.acquire(Uuid::new_v4()),
            Err(ApiError::TooManyStreams(_))
        ));
        drop(b);
        assert!(slots.acquire(Uuid::new_v4()).is_ok());
    }

    #[tokio::test]
    async fn a_held_stream_gives_its_slot_back_when_dropped() {
        let slots = slots(1, 10);
        let user = Uuid::new_v4();
        let stream = holding(
            futures_util::stream::pending::<()>(),
            slots.acquire(user).unwrap(),
        );
        assert!(slots.acquire(user).is_err());
        drop(stream);
        assert!(slots.acquire(user).is_ok());
    }
}
