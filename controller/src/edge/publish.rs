//! The leader's publisher: builds the routing table whenever the controller's view of the
//! swarm changes and stores it when its bytes differ from the last it stored.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use swarmpress_schema::error_chain::ErrorChain;
use tokio::time::{Instant, sleep};
use tokio_util::sync::CancellationToken;

use super::table::routing_table;
use crate::reconcile::Context;
use crate::runtime::leader::LeaderTask;
use crate::store::TenantStore;
use crate::views::snapshot::Snapshot;

/// A burst of events (a service created, its task scheduled and started) is one round.
const COALESCE: Duration = Duration::from_millis(50);
/// How soon a table is built again while some site's tasks are on their way: a task is
/// reported running, and its address known, a moment after the event that woke us.
const RECHECK: Duration = Duration::from_millis(250);
/// How long one site is rechecked for before only events and others' listings wake us (a
/// site that cannot run — no node in its region — must not keep the engine busy).
const RECHECK_FOR: Duration = Duration::from_secs(5);
/// Without any event, the table is still rebuilt this often (a change no event told of).
const IDLE_REBUILD: Duration = Duration::from_secs(30);
/// After a failed listing or store write.
const RETRY: Duration = Duration::from_secs(1);

/// Publishing as a leader task: one publisher, under the lease.
pub fn publisher_task<S: TenantStore>(ctx: Arc<Context<S>>) -> LeaderTask {
    LeaderTask::new("edge", move |term| {
        let ctx = Arc::clone(&ctx);
        async move { publish(&ctx, term).await }
    })
}

async fn publish<S: TenantStore>(ctx: &Context<S>, term: CancellationToken) {
    tracing::info!("publishing the edge's routes");
    let mut published: Option<String> = None;
    let mut waiting = Waiting::default();
    loop {
        let wait = match round(ctx, &mut published, &mut waiting).await {
            Ok(()) => waiting.next_check(),
            Err(()) => Some(RETRY),
        };
        let recheck = wait.is_some();
        tokio::select! {
            () = term.cancelled() => break,
            () = ctx.observer.changed() => {}
            () = sleep(wait.unwrap_or(IDLE_REBUILD)) => {
                if recheck {
                    ctx.observer.mark_stale();
                }
            }
        }
        tokio::select! {
            () = term.cancelled() => break,
            () = sleep(COALESCE) => {}
        }
    }
}

/// One build; `Err` when it could not list or store (logged).
async fn round<S: TenantStore>(
    ctx: &Context<S>,
    published: &mut Option<String>,
    waiting: &mut Waiting,
) -> Result<(), ()> {
    let snapshot = ctx.observer.snapshot().await.map_err(|error| {
        tracing::warn!(%error, "edge routes: cannot list the swarm");
    })?;
    waiting.update(&snapshot, Instant::now());
    let Some(table) = routing_table(&snapshot) else {
        return Err(());
    };
    if published.as_deref() == Some(table.digest.as_str()) {
        return Ok(());
    }
    ctx.store
        .publish_edge_routes(&table.digest, &table.config)
        .await
        .map_err(|error| {
            tracing::warn!(error = %ErrorChain(&error), "edge routes: cannot store");
        })?;
    tracing::debug!(routes = table.routes, digest = %table.digest, "edge routes published");
    ctx.metrics
        .edge_routes
        .set(i64::try_from(table.routes).unwrap_or(i64::MAX));
    *published = Some(table.digest);
    Ok(())
}

/// Sites whose tasks are on their way to being routed, since when.
#[derive(Default)]
struct Waiting {
    since: HashMap<String, Instant>,
}

impl Waiting {
    /// A site waits while it wants more tasks than it has addressed ones — not yet running,
    /// or running with no address yet — unless its update failed (nothing is coming).
    fn update(&mut self, snapshot: &Snapshot, now: Instant) {
        let mut still = HashMap::new();
        for view in snapshot.services.values() {
            let short = (view.endpoints.len() as u64) < view.desired_replicas
                || view.endpoints.len() < view.running_containers.len();
            if short && !view.update_failed {
                let since = self.since.get(&view.id).copied().unwrap_or(now);
                still.insert(view.id.clone(), since);
            }
        }
        self.since = still;
    }

    /// When to build again without being woken: soon while a site started waiting recently.
    fn next_check(&self) -> Option<Duration> {
        self.since
            .values()
            .any(|since| since.elapsed() < RECHECK_FOR)
            .then_some(RECHECK)
    }
}

#[cfg(test)]
mod tests {
    use swarmpress_schema::TenantName;

    use super::*;
    use crate::views::snapshot::ServiceView;

    fn view(id: &str, desired: u64, running: &[&str], endpoints: &[&str]) -> ServiceView {
        ServiceView {
            id: id.into(),
            name: format!("wp_{id}"),
            spec_hash: None,
            restart_token: None,
            rebuild_token: None,
            force_update: 0,
            desired_replicas: desired,
            running_tasks: running.len() as u64,
            running_containers: running.iter().map(|c| (*c).to_owned()).collect(),
            route_rule: Some("Host(`x.localhost`)".into()),
            endpoints: endpoints.iter().map(|e| (*e).to_owned()).collect(),
            updating: false,
            update_failed: false,
            rolled_back: false,
            image: None,
            task_message: None,
            nodes: Vec::new(),
        }
    }

    fn snapshot(views: Vec<ServiceView>) -> Snapshot {
        Snapshot {
            services: std::sync::Arc::new(
                views
                    .into_iter()
                    .map(|v| (TenantName::parse(&v.id).unwrap(), v))
                    .collect(),
            ),
            addressed: true,
            ..Default::default()
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_site_short_of_addressed_tasks_is_rechecked_for_a_while_only() {
        let mut waiting = Waiting::default();
        waiting.update(
            &snapshot(vec![view("settled", 1, &["c1"], &["10.0.0.1"])]),
            Instant::now(),
        );
        assert_eq!(
            waiting.next_check(),
            None,
            "a settled site costs no recheck"
        );

        let starting = || snapshot(vec![view("new", 1, &[], &[])]);
        waiting.update(&starting(), Instant::now());
        assert_eq!(waiting.next_check(), Some(RECHECK));
        tokio::time::advance(RECHECK_FOR).await;
        waiting.update(&starting(), Instant::now());
        assert_eq!(
            waiting.next_check(),
            None,
            "a site that cannot run stops being rechecked"
        );

        waiting.update(
            &snapshot(vec![view("new", 1, &["c2"], &[])]),
            Instant::now(),
        );
        assert_eq!(
            waiting.next_check(),
            None,
            "its wait counts from when it began"
        );
        waiting.update(
            &snapshot(vec![view("new", 1, &["c2"], &["10.0.0.2"])]),
            Instant::now(),
        );
        waiting.update(
            &snapshot(vec![view("new", 2, &["c2"], &["10.0.0.2"])]),
            Instant::now(),
        );
        assert_eq!(waiting.next_check(), Some(RECHECK), "a scale-up waits anew");
    }

    #[tokio::test]
    async fn a_failed_update_is_not_waited_for() {
        let mut failed = view("broken", 1, &[], &[]);
        failed.update_failed = true;
        let mut waiting = Waiting::default();
        waiting.update(&snapshot(vec![failed]), Instant::now());
        assert_eq!(waiting.next_check(), None);
    }
}
