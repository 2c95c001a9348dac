//! Runs the reconciler for a leader's term: the work queue, its workers and its triggers
//! (store change feed, Docker events, periodic resync, requeue-after, MariaDB back, a start
//! slot free).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use bollard::models::EventMessageTypeEnum;
use bollard::query_parameters::EventsOptionsBuilder;
use futures_util::StreamExt as _;
use swarmpress_schema::TenantName;
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior, interval, sleep};
use tokio_util::sync::CancellationToken;

use crate::adapters::swarm::TENANT_LABEL;
use crate::reconcile::{Action, Context, error_policy, reconcile};
use crate::runtime::leader::{Elector, LeaderTask, LeaseSettings};
use crate::runtime::queue::WorkQueue;
use crate::runtime::recovery::Probed;
use crate::store::{Changed, TenantStore};

/// How the reconciler runs; `holder` and `lease_ttl` are only read by [`run`], which
/// competes for the lease itself.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// This instance's name in the lease: unique per process.
    pub holder: String,
    /// How long a lease lasts without renewal; the leader renews every third of it.
    pub lease_ttl: Duration,
    /// Concurrent reconciles.
    pub workers: usize,
    /// How often the store's change feed is read.
    pub feed_poll: Duration,
    /// How often every tenant is queued regardless of triggers.
    pub resync: Duration,
}

/// The reconciler alone under an elector of its own: what tests and benchmarks run. The
/// binary runs [`reconcile_task`] beside the other leader-only tasks under one elector.
pub async fn run<S: TenantStore>(
    ctx: Arc<Context<S>>,
    settings: RunSettings,
    shutdown: CancellationToken,
) {
    let lease = LeaseSettings {
        holder: settings.holder.clone(),
        ttl: settings.lease_ttl,
    };
    Elector::new(ctx.store.clone(), lease, ctx.metrics.leader.clone())
        .with(reconcile_task(ctx, settings))
        .run(shutdown)
        .await;
}

/// The reconciler as a leader task: each term gets a fresh queue, its workers and the four
/// triggers, all stopped with the term.
pub fn reconcile_task<S: TenantStore>(ctx: Arc<Context<S>>, settings: RunSettings) -> LeaderTask {
    LeaderTask::new("reconcile", move |token| {
        let mut tasks = start_term(&ctx, &settings, token);
        async move {
            while let Some(joined) = tasks.join_next().await {
                if let Err(error) = joined
                    && error.is_panic()
                {
                    tracing::error!(%error, "a reconciler task panicked");
                }
            }
        }
    })
}

fn start_term<S: TenantStore>(
    ctx: &Arc<Context<S>>,
    settings: &RunSettings,
    token: CancellationToken,
) -> JoinSet<()> {
    let queue: WorkQueue<TenantName> = WorkQueue::new();
    let mut tasks = JoinSet::new();
    for _ in 0..settings.workers.max(1) {
        tasks.spawn(worker(Arc::clone(ctx), queue.clone(), token.clone()));
    }
    tasks.spawn(feed(
        Arc::clone(ctx),
        queue.clone(),
        settings.feed_poll,
        token.clone(),
    ));
    tasks.spawn(docker_events(Arc::clone(ctx), queue.clone(), token.clone()));
    tasks.spawn(resync(
        Arc::clone(ctx),
        queue.clone(),
        settings.resync,
        token.clone(),
    ));
    tasks.spawn(database_recovery(
        Arc::clone(ctx),
        queue.clone(),
        token.clone(),
    ));
    tasks.spawn(admitted(Arc::clone(ctx), queue.clone(), token.clone()));
    tasks.spawn(async move {
        token.cancelled().await;
        queue.shut_down();
    });
    tasks
}

async fn worker<S: TenantStore>(
    ctx: Arc<Context<S>>,
    queue: WorkQueue<TenantName>,
    token: CancellationToken,
) {
    loop {
        let key = tokio::select! {
            () = token.cancelled() => return,
            key = queue.next() => match key {
                Some(key) => key,
                None => return,
            },
        };
        ctx.metrics
            .queue_depth
            .set(i64::try_from(queue.len()).unwrap_or(i64::MAX));
        // Dropping the reconcile future on cancellation is what stops work at once when the
        // lease is lost; every step is safe to interrupt because every step is repeatable.
        let action = tokio::select! {
            () = token.cancelled() => {
                queue.done(&key);
                return;
            }
            action = process(&ctx, &key) => action,
        };
        queue.done(&key);
        match action {
            Action::Requeue(after) => {
                queue.forget(&key);
                queue.add_after(key, after);
            }
            Action::AwaitChange => queue.forget(&key),
            Action::Backoff => {
                let delay = queue.add_rate_limited(key.clone());
                tracing::debug!(tenant = %key, ?delay, "retrying after backoff");
            }
        }
    }
}

/// Reads the tenant and reconciles it. A tenant whose record is gone needs nothing: its
/// finalizer ran, or orphan collection deals with what is left.
async fn process<S: TenantStore>(ctx: &Arc<Context<S>>, key: &TenantName) -> Action {
    let tenant = match ctx.store.get_tenant(key).await {
        Ok(Some(tenant)) => Arc::new(tenant),
        Ok(None) => {
            ctx.database_recovery.reconciled(key);
            return Action::AwaitChange;
        }
        Err(error) => {
            tracing::warn!(tenant = %key, %error, "cannot read the tenant");
            ctx.metrics.reconciled("store");
            return Action::Backoff;
        }
    };
    match reconcile(Arc::clone(&tenant), Arc::clone(ctx)).await {
        Ok(action) => {
            ctx.database_recovery.reconciled(key);
            action
        }
        Err(error) => {
            if error.is_database_unreachable() {
                ctx.database_recovery.unreachable(key);
            }
            error_policy(&tenant, &error, ctx)
        }
    }
}

/// Trigger 1: the store's change feed, polled.
async fn feed<S: TenantStore>(
    ctx: Arc<Context<S>>,
    queue: WorkQueue<TenantName>,
    every: Duration,
    token: CancellationToken,
) {
    let mut since = 0;
    // The fingerprint each tenant had when the feed last queued it.
    let mut seen: HashMap<TenantName, u64> = HashMap::new();
    let mut ticker = interval(every);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = token.cancelled() => return,
            _ = ticker.tick() => {}
        }
        match ctx.store.changes_since(since).await {
            Ok(changes) => {
                for Changed { name, fingerprint } in changes.changed {
                    let unchanged = match fingerprint {
                        Some(fingerprint) => {
                            seen.insert(name.clone(), fingerprint) == Some(fingerprint)
                        }
                        None => {
                            seen.remove(&name);
                            false
                        }
                    };
                    // Only the controller's own status write changed it: nothing to do,
                    // and queueing would cut a failing tenant's backoff short.
                    if !unchanged {
                        queue.add(name);
                    }
                }
                since = since.max(changes.resource_version);
            }
            Err(error) => tracing::warn!(%error, "cannot read the store's change feed"),
        }
        ctx.metrics
            .queue_depth
            .set(i64::try_from(queue.len()).unwrap_or(i64::MAX));
    }
}

/// Trigger 2: Docker events of tenant services and containers, so drift (a service removed
/// by hand, a task dying) is seen at once; and of nodes, so a site waiting for a node of its
/// region starts when one joins (and every status names its nodes anew).
async fn docker_events<S: TenantStore>(
    ctx: Arc<Context<S>>,
    queue: WorkQueue<TenantName>,
    token: CancellationToken,
) {
    loop {
        // Service events carry only the service's name, container events its labels; the
        // type filter keeps the rest of the engine's traffic out.
        let filters = HashMap::from([("type", vec!["service", "container", "node"])]);
        let options = EventsOptionsBuilder::new().filters(&filters).build();
        let mut events = ctx.swarm.docker().events(Some(options));
        loop {
            let event = tokio::select! {
                () = token.cancelled() => return,
                event = events.next() => event,
            };
            match event {
                Some(Ok(event)) => {
                    // Health probes run as execs: every running site raises three exec events
                    // per probe, and none changes what the controller observes. Treating them
                    // as changes would invalidate the bulk snapshot many times a second.
                    if event
                        .action
                        .as_deref()
                        .is_some_and(|action| action.starts_with("exec_"))
                    {
                        continue;
                    }
                    if event.typ == Some(EventMessageTypeEnum::NODE) {
                        // Rare (a node joins, leaves, is drained or relabelled, goes down or
                        // comes back) and it may concern any site: everyone looks again.
                        ctx.observer.invalidate_nodes();
                        // A drain with no site left on its node (or none to begin with)
                        // finishes here; others as their sites move.
                        if let Ok(snapshot) = ctx.observer.snapshot().await {
                            super::drain::finish(&ctx, &snapshot).await;
                        }
                        queue_all(&ctx, &queue).await;
                        continue;
                    }
                    let attributes = event
                        .actor
                        .and_then(|actor| actor.attributes)
                        .unwrap_or_default();
                    if let Some(tenant) = tenant_of_event(&attributes) {
                        ctx.observer.invalidate_workload();
                        queue.add(tenant);
                    }
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "Docker event stream failed; resubscribing");
                    break;
                }
                None => {
                    tracing::warn!("Docker event stream ended; resubscribing");
                    break;
                }
            }
        }
        // Whatever happened while unsubscribed is caught by queueing everyone.
        tokio::select! {
            () = token.cancelled() => return,
            () = sleep(Duration::from_secs(1)) => {}
        }
        ctx.invalidate_views();
        queue_all(&ctx, &queue).await;
    }
}

/// How often MariaDB is probed while tenants wait for it.
const DATABASE_PROBE_EVERY: Duration = Duration::from_secs(1);

/// Trigger 4 (of a kind): MariaDB answering again after tenants failed to reach it. They
/// are queued at once with their backoff reset, instead of each waiting out its own.
async fn database_recovery<S: TenantStore>(
    ctx: Arc<Context<S>>,
    queue: WorkQueue<TenantName>,
    token: CancellationToken,
) {
    let mut ticker = interval(DATABASE_PROBE_EVERY);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = token.cancelled() => return,
            _ = ticker.tick() => {}
        }
        if !ctx.database_recovery.anyone_waiting() {
            continue;
        }
        let reachable = tokio::select! {
            () = token.cancelled() => return,
            reachable = ctx.databases.probe() => reachable,
        };
        if let Probed::Recovered(tenants) = ctx.database_recovery.probed(reachable) {
            tracing::info!(
                tenants = tenants.len(),
                "MariaDB answers again; retrying the tenants it held back now"
            );
            ctx.metrics.database_recoveries.inc();
            ctx.databases.invalidate_view();
            for tenant in tenants {
                queue.forget(&tenant);
                queue.add(tenant);
            }
        }
    }
}

/// Trigger 5: a start slot came free for sites waiting in line; their turn is now, not at
/// their next recheck.
async fn admitted<S: TenantStore>(
    ctx: Arc<Context<S>>,
    queue: WorkQueue<TenantName>,
    token: CancellationToken,
) {
    loop {
        let woken = tokio::select! {
            () = token.cancelled() => return,
            woken = ctx.admission.woken() => woken,
        };
        for tenant in woken {
            // `add` replaces the pending recheck: the reconcile runs now.
            queue.add(tenant);
        }
    }
}

/// The tenant a service or container event is about, if it is one of ours.
pub fn tenant_of_event(attributes: &HashMap<String, String>) -> Option<TenantName> {
    if let Some(label) = attributes.get(TENANT_LABEL) {
        return TenantName::parse(label.as_str()).ok();
    }
    let service = attributes
        .get("com.docker.swarm.service.name")
        .or_else(|| attributes.get("name"))?;
    TenantName::from_service_name(service)
}

/// Trigger 3: every tenant, periodically. Also refreshes the per-phase gauge.
async fn resync<S: TenantStore>(
    ctx: Arc<Context<S>>,
    queue: WorkQueue<TenantName>,
    every: Duration,
    token: CancellationToken,
) {
    let mut ticker = interval(every);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = token.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let started = Instant::now();
        // Drift that raised no event is seen here: every view is listed afresh, once, for
        // the whole pass.
        ctx.invalidate_views();
        queue_all(&ctx, &queue).await;
        tracing::debug!(took = ?started.elapsed(), "resync queued every tenant");
    }
}

async fn queue_all<S: TenantStore>(ctx: &Context<S>, queue: &WorkQueue<TenantName>) {
    match ctx.store.list_tenants().await {
        Ok(tenants) => {
            let mut phases: BTreeMap<String, i64> = BTreeMap::new();
            for tenant in tenants {
                *phases
                    .entry(format!("{:?}", tenant.status.phase))
                    .or_default() += 1;
                queue.add(tenant.metadata.name);
            }
            ctx.metrics
                .set_tenant_phases(phases.iter().map(|(phase, n)| (phase.as_str(), *n)));
        }
        Err(error) => tracing::warn!(%error, "cannot list tenants for a resync"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attributes(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn maps_events_to_tenants() {
        let acme = TenantName::parse("acme-blog").unwrap();
        assert_eq!(
            tenant_of_event(&attributes(&[("name", "wp_acme-blog")])),
            Some(acme.clone()),
            "service event"
        );
        assert_eq!(
            tenant_of_event(&attributes(&[
                ("name", "wp_acme-blog.1.xyz"),
                ("swarmpress.tenant", "acme-blog")
            ])),
            Some(acme.clone()),
            "container event"
        );
        assert_eq!(
            tenant_of_event(&attributes(&[(
                "com.docker.swarm.service.name",
                "wp_acme-blog"
            )])),
            Some(acme)
        );
        assert_eq!(
            tenant_of_event(&attributes(&[("name", "swarmpress_traefik")])),
            None
        );
        assert_eq!(
            tenant_of_event(&attributes(&[("name", "wp_Bad_Name")])),
            None
        );
        assert_eq!(tenant_of_event(&attributes(&[])), None);
    }
}
