//! The work queue between the triggers and the reconcile workers.
//!
//! The discipline is client-go's workqueue: a key is queued at most once however often it is
//! added; a key is never handed to two workers at once (one added while it is being worked on
//! is handed out again after [`WorkQueue::done`]); failures back off per key, exponentially
//! with jitter, and success forgets the backoff. The queue holds keys only, never objects, so
//! a worker always reads the current state.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use backon::{BackoffBuilder as _, ExponentialBackoff, ExponentialBuilder};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The first retry after a failure, as in kube-runtime.
pub const BACKOFF_MIN: Duration = Duration::from_millis(800);
/// The longest wait between retries of a failing key, jitter included.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);

struct State<K> {
    /// Keys ready to be handed out, in order; never a running key.
    ready: VecDeque<K>,
    /// The keys in `ready`, for de-duplication.
    queued: HashSet<K>,
    /// Keys a worker holds.
    running: HashSet<K>,
    /// Running keys that were added again meanwhile: queued when the worker is done.
    dirty: HashSet<K>,
    /// Keys to add at a later time (requeue-after and backoff); the earliest time wins.
    delayed: HashMap<K, Instant>,
    /// Per-key backoff, alive from the first failure until the next success.
    backoff: HashMap<K, ExponentialBackoff>,
    shut_down: bool,
}

/// A de-duplicating, per-key exclusive work queue with delayed adds and per-key backoff.
/// Cloning gives another handle on the same queue.
pub struct WorkQueue<K> {
    state: Arc<Mutex<State<K>>>,
    wake: Arc<Notify>,
    builder: ExponentialBuilder,
}

impl<K> Clone for WorkQueue<K> {
    fn clone(&self) -> Self {
        Self {
            state: Arc::clone(&self.state),
            wake: Arc::clone(&self.wake),
            builder: self.builder,
        }
    }
}

impl<K: Clone + Eq + Hash> Default for WorkQueue<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Clone + Eq + Hash> WorkQueue<K> {
    pub fn new() -> Self {
        Self::with_backoff(
            ExponentialBuilder::default()
                .with_min_delay(BACKOFF_MIN)
                .with_max_delay(BACKOFF_MAX)
                .with_factor(2.0)
                .with_jitter()
                .without_max_times(),
        )
    }

    /// A queue with a given backoff; tests use a seeded one.
    pub fn with_backoff(builder: ExponentialBuilder) -> Self {
        Self {
            state: Arc::new(Mutex::new(State {
                ready: VecDeque::new(),
                queued: HashSet::new(),
                running: HashSet::new(),
                dirty: HashSet::new(),
                delayed: HashMap::new(),
                backoff: HashMap::new(),
                shut_down: false,
            })),
            wake: Arc::new(Notify::new()),
            builder,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<K>> {
        // The state is consistent after every statement that mutates it, so a panic in
        // another holder leaves nothing half-done: recover the guard instead of spreading
        // the panic to every worker.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Queues `key` now. A key already queued stays where it is; a running key is queued
    /// again once its worker is done; a delayed key is brought forward.
    pub fn add(&self, key: K) {
        let mut state = self.lock();
        if state.shut_down {
            return;
        }
        state.delayed.remove(&key);
        Self::enqueue(&mut state, key);
        drop(state);
        self.wake.notify_one();
    }

    fn enqueue(state: &mut State<K>, key: K) {
        if state.running.contains(&key) {
            state.dirty.insert(key);
        } else if state.queued.insert(key.clone()) {
            state.ready.push_back(key);
        }
    }

    /// Queues `key` after `delay`, unless it is added earlier by other means.
    pub fn add_after(&self, key: K, delay: Duration) {
        if delay.is_zero() {
            self.add(key);
            return;
        }
        let at = Instant::now() + delay;
        let mut state = self.lock();
        if state.shut_down || state.queued.contains(&key) {
            return;
        }
        let earliest = state
            .delayed
            .get(&key)
            .map_or(at, |&existing| existing.min(at));
        state.delayed.insert(key, earliest);
        drop(state);
        // A waiting worker may need to wake earlier than it planned.
        self.wake.notify_one();
    }

    /// Queues `key` after its next backoff delay, and returns that delay.
    pub fn add_rate_limited(&self, key: K) -> Duration {
        let delay = {
            let mut state = self.lock();
            let builder = self.builder;
            let backoff = state
                .backoff
                .entry(key.clone())
                .or_insert_with(|| builder.build());
            backoff.next().unwrap_or(BACKOFF_MAX).min(BACKOFF_MAX)
        };
        self.add_after(key, delay);
        delay
    }

    /// Forgets `key`'s failures: its next failure backs off from the start again.
    pub fn forget(&self, key: &K) {
        self.lock().backoff.remove(key);
    }

    /// Keys waiting to be handed out, now or later (not the running ones).
    pub fn len(&self) -> usize {
        let state = self.lock();
        state.ready.len() + state.delayed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Waits for a key, marks it running and returns it; `None` once the queue is shut down.
    /// The caller must call [`Self::done`] with the key when it has finished.
    pub async fn next(&self) -> Option<K> {
        loop {
            let notified = self.wake.notified();
            tokio::pin!(notified);
            // Registered before the state is checked, so an add between the check and the
            // wait is not missed.
            notified.as_mut().enable();
            let wake_at = {
                let mut state = self.lock();
                if state.shut_down {
                    return None;
                }
                let now = Instant::now();
                let due: Vec<K> = state
                    .delayed
                    .iter()
                    .filter(|&(_, &at)| at <= now)
                    .map(|(key, _)| key.clone())
                    .collect();
                for key in due {
                    state.delayed.remove(&key);
                    Self::enqueue(&mut state, key);
                }
                if let Some(key) = state.ready.pop_front() {
                    state.queued.remove(&key);
                    state.running.insert(key.clone());
                    let more = !state.ready.is_empty();
                    drop(state);
                    if more {
                        // Pass the baton: one notify_one may have been consumed for
                        // several adds.
                        self.wake.notify_one();
                    }
                    return Some(key);
                }
                state.delayed.values().min().copied()
            };
            match wake_at {
                Some(at) => {
                    tokio::select! {
                        () = &mut notified => {}
                        () = tokio::time::sleep_until(at) => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    /// Releases a key taken with [`Self::next`]; it is queued again if it was added while
    /// it ran.
    pub fn done(&self, key: &K) {
        let mut state = self.lock();
        state.running.remove(key);
        if state.dirty.remove(key) && !state.shut_down {
            state.delayed.remove(key);
            Self::enqueue(&mut state, key.clone());
            drop(state);
            self.wake.notify_one();
        }
    }

    /// Stops handing out keys: every pending and future [`Self::next`] returns `None`.
    pub fn shut_down(&self) {
        let mut state = self.lock();
        state.shut_down = true;
        state.ready.clear();
        state.queued.clear();
        state.delayed.clear();
        state.dirty.clear();
        drop(state);
        self.wake.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::timeout;

    fn queue() -> WorkQueue<&'static str> {
        WorkQueue::new()
    }

    async fn next_now(queue: &WorkQueue<&'static str>) -> Option<&'static str> {
        timeout(Duration::from_millis(1), queue.next())
            .await
            .ok()
            .flatten()
    }

    #[tokio::test(start_paused = true)]
    async fn deduplicates_and_keeps_order() {
        let q = queue();
        q.add("a");
        q.add("b");
        q.add("a");
        assert_eq!(q.len(), 2);
        assert_eq!(next_now(&q).await, Some("a"));
        assert_eq!(next_now(&q).await, Some("b"));
        assert_eq!(next_now(&q).await, None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_running_key_is_never_handed_out_twice_but_is_requeued_after() {
        let q = queue();
        q.add("a");
        assert_eq!(next_now(&q).await, Some("a"));
        q.add("a");
        q.add("a");
        assert_eq!(next_now(&q).await, None, "a is still running");
        q.done(&"a");
        assert_eq!(next_now(&q).await, Some("a"), "re-added while running");
        q.done(&"a");
        assert_eq!(next_now(&q).await, None, "only once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiting_worker_is_woken_by_an_add() {
        let q = queue();
        let worker = tokio::spawn({
            let q = q.clone();
            async move { q.next().await }
        });
        tokio::time::sleep(Duration::from_secs(5)).await;
        q.add("a");
        assert_eq!(worker.await.unwrap(), Some("a"));
    }

    #[tokio::test(start_paused = true)]
    async fn add_after_waits_and_an_add_brings_it_forward() {
        let q = queue();
        q.add_after("a", Duration::from_secs(10));
        let started = Instant::now();
        assert_eq!(q.next().await, Some("a"));
        assert_eq!(started.elapsed(), Duration::from_secs(10));
        q.done(&"a");

        q.add_after("b", Duration::from_secs(10));
        q.add_after("b", Duration::from_secs(3));
        let started = Instant::now();
        assert_eq!(q.next().await, Some("b"));
        assert_eq!(started.elapsed(), Duration::from_secs(3), "earliest wins");
        q.done(&"b");

        q.add_after("c", Duration::from_secs(10));
        q.add("c");
        assert_eq!(next_now(&q).await, Some("c"));
        q.done(&"c");
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert_eq!(next_now(&q).await, None, "the delayed add was replaced");
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_grows_with_jitter_up_to_the_cap_and_resets_on_success() {
        let q = queue();
        let mut previous_base = Duration::ZERO;
        for attempt in 0..12u32 {
            let delay = q.add_rate_limited("a");
            // Base 0.8 s × 2^n, plus jitter of up to the base, never beyond the cap.
            let base = BACKOFF_MIN
                .saturating_mul(2u32.saturating_pow(attempt))
                .min(BACKOFF_MAX);
            assert!(delay >= base, "attempt {attempt}: {delay:?} < {base:?}");
            assert!(
                delay <= (base * 2).min(BACKOFF_MAX),
                "attempt {attempt}: {delay:?}"
            );
            assert!(base >= previous_base);
            previous_base = base;
            let started = Instant::now();
            assert_eq!(q.next().await, Some("a"));
            // Timers fire at millisecond granularity.
            let waited = started.elapsed();
            assert!(waited >= delay && waited <= delay + Duration::from_millis(1));
            q.done(&"a");
        }
        assert_eq!(previous_base, BACKOFF_MAX);
        q.forget(&"a");
        let delay = q.add_rate_limited("a");
        assert!(delay < BACKOFF_MIN * 2, "reset to the start: {delay:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn backoff_is_per_key() {
        let q = queue();
        for _ in 0..5 {
            q.add_rate_limited("a");
        }
        let fresh = q.add_rate_limited("b");
        assert!(fresh < BACKOFF_MIN * 2, "{fresh:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn bounded_workers_never_share_a_key() {
        let q: WorkQueue<u32> = WorkQueue::new();
        let running = Arc::new(Mutex::new(HashSet::new()));
        let peak = Arc::new(Mutex::new(0usize));
        let handled = Arc::new(Mutex::new(Vec::new()));
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let (q, running, peak, handled) = (
                    q.clone(),
                    Arc::clone(&running),
                    Arc::clone(&peak),
                    Arc::clone(&handled),
                );
                tokio::spawn(async move {
                    while let Some(key) = q.next().await {
                        {
                            let mut running = running.lock().unwrap();
                            assert!(running.insert(key), "{key} handed to two workers");
                            let mut peak = peak.lock().unwrap();
                            *peak = (*peak).max(running.len());
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        running.lock().unwrap().remove(&key);
                        handled.lock().unwrap().push(key);
                        q.done(&key);
                    }
                })
            })
            .collect();
        for round in 0..4 {
            for key in 0..5 {
                q.add(key);
            }
            tokio::time::sleep(Duration::from_millis(30 * round)).await;
        }
        tokio::time::sleep(Duration::from_secs(5)).await;
        q.shut_down();
        for worker in workers {
            worker.await.unwrap();
        }
        assert_eq!(*peak.lock().unwrap(), 3, "three workers at most, all used");
        let handled = handled.lock().unwrap();
        for key in 0..5 {
            assert!(handled.contains(&key), "{key} handled");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn shut_down_releases_waiting_workers() {
        let q = queue();
        q.add_after("a", Duration::from_secs(60));
        let worker = tokio::spawn({
            let q = q.clone();
            async move { q.next().await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        q.shut_down();
        assert_eq!(worker.await.unwrap(), None);
        q.add("b");
        assert_eq!(next_now(&q).await, None);
    }
}
