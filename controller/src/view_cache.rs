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

struct Cached<T> {
    view: Arc<T>,
    taken: Instant,
    generation: u64,
}

struct State<T> {
    cached: Option<Cached<T>>,
    /// When the last listing failed.
    failed: Option<Instant>,
}

pub struct ViewCache<T> {
    max_age: Duration,
    generation: AtomicU64,
    /// The last listing failed: callers then never wait for the lock (see [`Self::get`]).
    failing: AtomicBool,
    state: Mutex<State<T>>,
}

impl<T> ViewCache<T> {
    pub fn new(max_age: Duration) -> Self {
        Self {
            max_age,
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
    /// A failed listing is not cached: its error goes to the caller that listed, and the
    /// callers that were waiting for it get `Ok(None)` — they do without the view (taking
    /// the per-tenant path) rather than queue up for another attempt, which against an
    /// unreachable server would serialize every caller's timeout. After a failure the view
    /// is tried again at most once per maximum age, and only by a caller that finds nobody
    /// else listing: the others do without at once, so an outage costs each reconcile no
    /// more than its own attempt (and its backoff stays what it was without the view).
    pub async fn get<E, F, Fut>(&self, list: F) -> Result<Option<Arc<T>>, E>
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
        if state
            .failed
            .is_some_and(|failed| failed > waiting_since || failed.elapsed() < self.max_age)
        {
            return Ok(None);
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
                state.failed = Some(Instant::now());
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

    async fn counted(cache: &ViewCache<usize>, lists: &AtomicUsize) -> usize {
        let view = cache
            .get(|| async { Ok::<_, ()>(lists.fetch_add(1, Ordering::SeqCst) + 1) })
            .await
            .unwrap()
            .unwrap();
        *view
    }

    #[tokio::test(start_paused = true)]
    async fn lists_once_while_fresh_and_again_when_stale_or_invalidated() {
        let cache = ViewCache::new(Duration::from_secs(1));
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
        let cache = ViewCache::new(Duration::from_secs(60));
        let view = cache
            .get(|| async {
                // Our own write completes while the listing is in flight.
                cache.invalidate();
                Ok::<_, ()>(1)
            })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(*view, 1);
        let next = cache
            .get(|| async { Ok::<_, ()>(2) })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(*next, 2, "the listing that raced a write is not reused");
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_listing_is_not_cached() {
        let cache: ViewCache<u8> = ViewCache::new(Duration::from_secs(60));
        assert!(cache.get(|| async { Err::<u8, _>("down") }).await.is_err());
        tokio::time::advance(Duration::from_secs(61)).await;
        let view = cache
            .get(|| async { Ok::<_, &str>(7) })
            .await
            .unwrap()
            .unwrap();
        assert_eq!(*view, 7);
    }

    #[tokio::test(start_paused = true)]
    async fn callers_waiting_on_a_failed_listing_do_without_instead_of_queueing() {
        let cache: Arc<ViewCache<u8>> = Arc::new(ViewCache::new(Duration::from_secs(60)));
        let lists = Arc::new(AtomicUsize::new(0));
        let slow_failure = {
            let (cache, lists) = (Arc::clone(&cache), Arc::clone(&lists));
            tokio::spawn(async move {
                cache
                    .get(|| async {
                        lists.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_secs(10)).await;
                        Err::<u8, _>("unreachable")
                    })
                    .await
            })
        };
        tokio::time::sleep(Duration::from_millis(1)).await;
        let waiter = cache
            .get(|| async {
                lists.fetch_add(1, Ordering::SeqCst);
                Ok::<_, &str>(1)
            })
            .await;
        assert_eq!(waiter, Ok(None), "the waiter does without the view");
        assert!(slow_failure.await.unwrap().is_err());
        assert_eq!(
            lists.load(Ordering::SeqCst),
            1,
            "one attempt, not one per caller"
        );
        // Within the maximum age of the failure callers do without; after it, one tries again.
        assert_eq!(
            cache.get(|| async { Ok::<_, &str>(3) }).await,
            Ok(None),
            "no new attempt right after a failure"
        );
        tokio::time::advance(Duration::from_secs(61)).await;
        assert_eq!(
            *cache
                .get(|| async { Ok::<_, &str>(2) })
                .await
                .unwrap()
                .unwrap(),
            2
        );
    }
}
