//! One leadership primitive, as controller-runtime's manager has it: an [`Elector`] takes and
//! renews the controller lease, and for each term it holds the lease runs every leader-only
//! task with the term's cancellation token. When the lease is lost — a renewal fails or is
//! slower than its period — or the process stops, it cancels the term and waits for every task
//! to end before it may lead again. No task decides for itself whether it leads.

use std::future::Future;
use std::pin::Pin;
#[cfg(test)]
use std::sync::Arc;
use std::time::Duration;

use prometheus::IntGauge;
use tokio::task::JoinSet;
use tokio::time::{sleep, timeout};
use tokio_util::sync::CancellationToken;

use crate::store::TenantStore;

type Start =
    Box<dyn Fn(CancellationToken) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Work that runs only while this instance leads: started with each term's token, and
/// expected to return soon after the token is cancelled.
pub struct LeaderTask {
    name: &'static str,
    start: Start,
}

impl LeaderTask {
    pub fn new<F, Fut>(name: &'static str, start: F) -> Self
    where
        F: Fn(CancellationToken) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        Self {
            name,
            start: Box::new(move |token| Box::pin(start(token))),
        }
    }

    /// One term of the task, outside any elector: for tests that end a term by hand.
    pub fn run_term(&self, term: CancellationToken) -> impl Future<Output = ()> + Send + use<> {
        (self.start)(term)
    }
}

/// The lease this instance competes for.
#[derive(Debug, Clone)]
pub struct LeaseSettings {
    /// This instance's name in the lease: unique per process.
    pub holder: String,
    /// How long a lease lasts without renewal; the leader renews every third of it.
    pub ttl: Duration,
}

pub struct Elector<S> {
    store: S,
    lease: LeaseSettings,
    /// 1 while this instance leads.
    leader: IntGauge,
    tasks: Vec<LeaderTask>,
}

impl<S: TenantStore> Elector<S> {
    /// Competes for the lease in `store` and reports leadership on `leader`.
    pub fn new(store: S, lease: LeaseSettings, leader: IntGauge) -> Self {
        Self {
            store,
            lease,
            leader,
            tasks: Vec::new(),
        }
    }

    /// Adds a task run in every term.
    #[must_use]
    pub fn with(mut self, task: LeaderTask) -> Self {
        self.tasks.push(task);
        self
    }

    /// Runs until `shutdown` is cancelled: waits for the lease, runs the tasks while holding
    /// it, stops them the moment it is lost, and waits again.
    pub async fn run(self, shutdown: CancellationToken) {
        let renew_every = self.lease.ttl / 3;
        // A standby retries more often than the leader renews, so it takes over soon after
        // the lease runs out rather than up to a third of a lease later.
        let standby_every = (self.lease.ttl / 10).max(Duration::from_millis(200));
        let mut term: Option<(CancellationToken, JoinSet<()>)> = None;
        loop {
            let held = self.try_hold(renew_every).await;
            match (held, term.is_some()) {
                (true, false) => {
                    tracing::info!(holder = %self.lease.holder, "took the controller lease; starting work");
                    self.leader.set(1);
                    let token = shutdown.child_token();
                    term = Some((token.clone(), self.start_term(&token)));
                }
                (false, true) => {
                    tracing::warn!(holder = %self.lease.holder, "lost the controller lease; stopping work");
                    stop_term(&mut term).await;
                    self.leader.set(0);
                }
                _ => {}
            }
            let wait = if term.is_some() {
                renew_every
            } else {
                standby_every
            };
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = sleep(wait) => {}
            }
        }
        stop_term(&mut term).await;
        self.leader.set(0);
    }

    /// Takes or renews the lease. A renewal slower than its period is as good as a failed
    /// one: by the time it answered, the lease may have passed to another instance.
    async fn try_hold(&self, within: Duration) -> bool {
        let renewal = self
            .store
            .try_acquire_or_renew(&self.lease.holder, self.lease.ttl);
        match timeout(within, renewal).await {
            Ok(Ok(held)) => held,
            Ok(Err(error)) => {
                tracing::warn!(%error, "cannot take or renew the controller lease");
                false
            }
            Err(_) => {
                tracing::warn!("taking or renewing the controller lease timed out");
                false
            }
        }
    }

    fn start_term(&self, token: &CancellationToken) -> JoinSet<()> {
        let mut tasks = JoinSet::new();
        for task in &self.tasks {
            tracing::debug!(task = task.name, "starting leader task");
            tasks.spawn((task.start)(token.clone()));
        }
        tasks
    }
}

async fn stop_term(term: &mut Option<(CancellationToken, JoinSet<()>)>) {
    if let Some((token, mut tasks)) = term.take() {
        token.cancel();
        while let Some(joined) = tasks.join_next().await {
            if let Err(error) = joined
                && error.is_panic()
            {
                tracing::error!(%error, "a leader task panicked");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::store::memory::MemoryStore;

    /// Counts the terms a task was started and stopped in.
    fn counting(started: &Arc<AtomicUsize>, stopped: &Arc<AtomicUsize>) -> LeaderTask {
        let (started, stopped) = (Arc::clone(started), Arc::clone(stopped));
        LeaderTask::new("counting", move |term| {
            started.fetch_add(1, Ordering::SeqCst);
            let stopped = Arc::clone(&stopped);
            async move {
                term.cancelled().await;
                stopped.fetch_add(1, Ordering::SeqCst);
            }
        })
    }

    async fn until(what: &str, check: impl Fn() -> bool) {
        tokio::time::timeout(Duration::from_secs(10), async {
            while !check() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
    }

    #[tokio::test]
    async fn every_task_runs_for_the_term_and_stops_when_the_lease_is_lost() {
        let store = MemoryStore::default();
        let (started, stopped) = (Arc::default(), Arc::default());
        let (other_started, other_stopped) = (Arc::default(), Arc::default());
        let leader = IntGauge::new("leader", "test").unwrap();
        let lease = LeaseSettings {
            holder: "one".to_owned(),
            ttl: Duration::from_millis(300),
        };
        let elector = Elector::new(store.clone(), lease, leader.clone())
            .with(counting(&started, &stopped))
            .with(counting(&other_started, &other_stopped));
        let shutdown = CancellationToken::new();
        let running = tokio::spawn(elector.run(shutdown.clone()));
        until("the first term", || {
            started.load(Ordering::SeqCst) == 1 && other_started.load(Ordering::SeqCst) == 1
        })
        .await;
        assert_eq!(leader.get(), 1);

        // Another instance holds the lease now (as after a renewal that came too late):
        // both tasks stop together, and the gauge says so.
        store.hand_lease_to("two", Duration::from_millis(600));
        until("the term to end", || {
            stopped.load(Ordering::SeqCst) == 1 && other_stopped.load(Ordering::SeqCst) == 1
        })
        .await;
        assert_eq!(leader.get(), 0);

        // Once the other's lease runs out, a new term starts both again.
        until("a second term", || started.load(Ordering::SeqCst) == 2).await;
        assert_eq!(other_started.load(Ordering::SeqCst), 2);
        shutdown.cancel();
        running.await.unwrap();
        assert_eq!(stopped.load(Ordering::SeqCst), 2, "shutdown ends the term");
        assert_eq!(leader.get(), 0);
    }
}
