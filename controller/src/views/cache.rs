//! A bulk view of some outside system (MariaDB's tenant databases, S3's buckets), listed in
//! one request and shared by every reconcile while it is fresh.
//!
//! Why this is safe for a level-triggered reconciler: a view is only ever used to *skip* work
//! whose result it shows already done. It is listed again once it is older than its maximum
//! age (so out-of-band drift — a dropped user, a deleted bucket — is seen by the first
//! reconcile after that, at the latest the next periodic resync), and at once after any
//! change the controller makes itself ([`ViewCache::invalidate`], called by the adapter that
//! made the change), so a reconcile never skips a step on the strength of a view older than
//! its own write.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// After a failed listing, how long callers do without the view before one lists again.
pub const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(5);

struct Cached<T> {
    view: Arc<T>,
    taken: Instant,
    generation: u64,
}

struct State<T, E> {
    cached: Option<Cached<T>>,
    /// When the last listing failed, and why.
    failed: Option<(Instant, E)>,
}

pub struct ViewCache<T, E> {
    max_age: Duration,
    /// How long after a failed listing callers do without the view instead of listing again.
    retry_after: Duration,
    generation: AtomicU64,
    /// The last listing failed: callers then never wait for the lock (see [`Self::get`]).
    failing: AtomicBool,
    state: Mutex<State<T, E>>,
}

impl<T, E: Clone> ViewCache<T, E> {
    /// A view trusted for `max_age`; after a failed listing, listed again no sooner than
    /// `retry_after` (at most `max_age`).
    pub fn new(max_age: Duration, retry_after: Duration) -> Self {
        Self {
            max_age,
            retry_after: retry_after.min(max_age),
            generation: AtomicU64::new(0),
            failing: AtomicBool::new(false),
            state: Mutex::new(State {
                cached: None,
                failed: None,
            }),
        }
    }

    /// Marks the view stale: the next [`Self::get`] lists again. Call it *after* a change
    /// completed, so that a listing which started before the change cannot be kept.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// The view, listed anew with `list` when it is older than the maximum age or was
    /// invalidated. Concurrent callers wait for one listing instead of each making their own.
    ///
    /// A failed listing is not cached as a view: its error goes to the caller that listed
    /// *and* to every caller that was waiting for it, so an outage costs each of them one
    /// attempt — not that attempt plus a per-tenant one of their own, which against an
    /// unreachable server doubled every reconcile's timeout and starved the retry backoff.
    /// After a failure the view is tried again no sooner than `retry_after`, and only by a
    /// caller that finds nobody else listing; meanwhile callers get `Ok(None)` at once and
    /// take the per-tenant path (their own single attempt).
    pub async fn get<F, Fut>(&self, list: F) -> Result<Option<Arc<T>>, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let waiting_since = Instant::now();
        let mut state = if self.failing.load(Ordering::SeqCst) {
            match self.state.try_lock() {
                Ok(state) => state,
                Err(_) => return Ok(None),
            }
        } else {
            self.state.lock().await
        };
        // Read before listing: a change that completes during the listing bumps the
        // generation past this one, so the listing it may have missed is not reused.
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some(found) = state.cached.as_ref()
            && found.generation == generation
            && found.taken.elapsed() < self.max_age
        {
            return Ok(Some(Arc::clone(&found.view)));
        }
        if let Some((failed, error)) = state.failed.as_ref() {
            if *failed > waiting_since {
                // This caller waited for that very listing.
                return Err(error.clone());
            }
            if failed.elapsed() < self.retry_after {
                return Ok(None);
            }
        }
        let taken = Instant::now();
        match list().await {
            Ok(view) => {
                let view = Arc::new(view);
                state.cached = Some(Cached {
                    view: Arc::clone(&view),
                    taken,
                    generation,
                });
                state.failed = None;
                self.failing.store(false, Ordering::SeqCst);
                Ok(Some(view))
            }
            Err(error) => {
                state.failed = Some((Instant::now(), error.clone()));
                self.failing.store(true, Ordering::SeqCst);
                Err(error)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    async fn counted(cache: &ViewCache<usize, ()>, lists: &AtomicUsize) -> usize {
        let view = cache
            .get(|| async { Ok::<_, ()>(lists.fetch_add(1, Ordering::SeqCst) + 1) })
            .await
            .unwrap()
            .unwrap();
        *view
    }

    #[tokio::test(start_paused = true)]
    async fn lists_once_while_fresh_and_again_when_stale_or_invalidated() {
        let cache = ViewCache::new(Duration::from_secs(1), Duration::from_secs(1));
        let lists = AtomicUsize::new(0);
        assert_eq!(counted(&cache, &lists).await, 1);
        assert_eq!(counted(&cache, &lists).await, 1, "fresh: reused");
        cache.invalidate();
        assert_eq!(
            counted(&cache, &lists).await,
            2,
            "invalidated: listed again"
        );
        tokio::time::advance(Duration::from_millis(1001)).await;
        assert_eq!(counted(&cache, &lists).await, 3, "too old: listed again");
        assert_eq!(counted(&cache, &lists).await, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_change_during_the_listing_is_not_hidden_by_it() {
        let cache: ViewCache<u8, ()> =
            ViewCache::new(Duration::from_secs(60), Duration::from_secs(5));
        let view = cache
            .get(|| async {
                // Our own write completes while the listing is in flight.
                cache.invalidate();
                Ok(1)
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(*view, 1);
        let next = cache.get(|| async { Ok(2) }).await.unwrap().unwrap();
        assert_eq!(*next, 2, "the listing that raced a write is not reused");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_listing_is_not_cached() {
        let cache: ViewCache<u8, &str> =
            ViewCache::new(Duration::from_secs(60), Duration::from_secs(5));
        assert!(cache.get(|| async { Err("down") }).await.is_err());
        tokio::time::advance(Duration::from_secs(6)).await;
        let view = cache.get(|| async { Ok(7) }).await.unwrap().unwrap();
        assert_eq!(*view, 7);
    }

    #[tokio::test(start_paused = true)]
    async fn callers_waiting_on_a_failed_listing_share_its_error() {
        let cache: Arc<ViewCache<u8, &str>> = Arc::new(ViewCache::new(
            Duration::from_secs(60),
            Duration::from_secs(5),
        ));
        let lists = Arc::new(AtomicUsize::new(0));
        let slow_failure = {
            let (cache, lists) = (Arc::clone(&cache), Arc::clone(&lists));
            tokio::spawn(async move {
                cache
                    .get(|| async {
                        lists.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        Err("unreachable")
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        let waiter = cache
            .get(|| async {
                lists.fetch_add(1, Ordering::SeqCst);
                Ok(1)
            })
            .await;
        assert_eq!(
            waiter,
            Err("unreachable"),
            "the waiter fails with the listing it waited for, at the same time"
        );
        assert_eq!(slow_failure.await.unwrap(), Err("unreachable"));
        assert_eq!(
            lists.load(Ordering::SeqCst),
            1,
            "one attempt, not one per caller"
        );
        // Right after a failure callers do without (their own per-tenant attempt); after
        // the retry delay one lists again.
        assert_eq!(
            cache.get(|| async { Ok(3) }).await,
            Ok(None),
            "no new listing right after a failure"
        );
        tokio::time::advance(Duration::from_secs(6)).await;
        assert_eq!(*cache.get(|| async { Ok(2) }).await.unwrap().unwrap(), 2);
    }
}
