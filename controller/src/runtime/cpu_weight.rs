//! Every tenant container runs at a lower CPU weight than the platform's own services.
//!
//! A CPU limit caps what one site takes, but a hundred sites under their limits still outnumber
//! the platform: each container is a sibling cgroup of equal weight (the engine's default
//! 1024 shares), so with the machine busy — a burst of sites starting, a plugin spinning — the
//! API, MariaDB and the edge got one share in a hundred, and `GET /tenants` took 180 ms at
//! p99. Swarm has no service field for the weight (its CPU reservation only places tasks), so
//! the leader sets it on each tenant container as it starts, as Kubernetes derives
//! `cpu.shares` from a pod's request: 256 shares per CPU of the site's limit, within
//! [`MIN_SHARES`]..=[`MAX_SHARES`]. Sites share among themselves by what their plans give;
//! any platform service outweighs any site by two to one or more. An idle machine is
//! unaffected: weights only divide the CPU among those who want it.
//!
//! The weight is a property of the container, not the service: the engine keeps it for the
//! container's life, and a new task's container is weighted when its start event arrives (the
//! first few hundred milliseconds of its entrypoint run at the default). Containers started
//! while no controller led are weighted at the start of the next term.
//!
//! A starting site also gets a *startup boost* (as Cloud Run's startup CPU boost): for
//! [`STARTUP_BOOST`] after its container starts, its CPU limit is lifted to the node's cores,
//! then put back to its plan's. A new site's entrypoint, install, Apache and first page are a
//! burst of CPU that a half-CPU quota throttled for half a second of its two and a half; the
//! weight (which stays the plan's) still puts every boosted site behind the platform when the
//! machine is busy, so the boost only hands out CPU nobody else wants. The plan's limit is the
//! swarm task's (the engine's copy is what the boost changes), so only tasks' containers are
//! boosted; a term that begins while containers are boosted restores those whose window has
//! passed and times the rest.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerInspectResponse, ContainerUpdateBody};
use bollard::query_parameters::{
    EventsOptionsBuilder, InspectContainerOptions, ListContainersOptionsBuilder,
};
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use tokio::task::JoinSet;
use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

use crate::adapters::swarm::TENANT_LABEL;
use crate::reconcile::Context;
use crate::runtime::leader::LeaderTask;
use crate::store::TenantStore;

/// A platform service's weight: the engine's default, which its containers keep.
const PLATFORM_SHARES: i64 = 1024;
/// Shares per CPU of a site's limit: a quarter of a platform service's.
const SHARES_PER_CPU: i64 = PLATFORM_SHARES / 4;
/// The least a site gets, however small its plan: still scheduled, just last.
pub const MIN_SHARES: i64 = 32;
/// The most a site gets, however large its plan: half a platform service.
pub const MAX_SHARES: i64 = 512;
const NANOS_PER_CPU: i64 = 1_000_000_000;
/// How long a started container runs with its CPU limit lifted unless configured
/// (`SWARMPRESS_STARTUP_BOOST_SECONDS`, zero for no boost): a site's start (entrypoint,
/// install, Apache, first pages) takes two to three seconds; the rest covers its first
/// visitors' cold caches. Short, so a site that crashes on purpose to be restarted gains
/// little.
pub const STARTUP_BOOST: Duration = Duration::from_secs(10);
/// The label Swarm gives a task's container, naming the task.
const SWARM_TASK_LABEL: &str = "com.docker.swarm.task.id";
// Any platform service outweighs any site two to one.
const _: () = assert!(MAX_SHARES * 2 <= PLATFORM_SHARES);

/// The weight of a tenant container limited to `nano_cpus` (none: a platform default of one
/// CPU's worth).
pub fn shares_for(nano_cpus: Option<i64>) -> i64 {
    let nano_cpus = nano_cpus.filter(|n| *n > 0).unwrap_or(NANOS_PER_CPU);
    (nano_cpus.saturating_mul(SHARES_PER_CPU) / NANOS_PER_CPU).clamp(MIN_SHARES, MAX_SHARES)
}

/// Weighting and the startup boost (`boost` long; zero for none) as a leader task: one
/// writer, under the lease.
pub fn cpu_weight_task<S: TenantStore>(ctx: Arc<Context<S>>, boost: Duration) -> LeaderTask {
    cpu_weight_task_for(ctx, TENANT_LABEL, boost)
}

/// Weighting of the containers that carry `label`, boosted for `boost` after they start
/// (tests name a label of their own, so that the platform's controller, weighting every
/// tenant's, cannot do their work for them, and a shorter boost).
pub fn cpu_weight_task_for<S: TenantStore>(
    ctx: Arc<Context<S>>,
    label: &'static str,
    boost: Duration,
) -> LeaderTask {
    LeaderTask::new("cpu-weight", move |term| {
        let ctx = Arc::clone(&ctx);
        async move { weigh(&ctx, label, boost, term).await }
    })
}

/// What one term knows: the node's cores (the boosted limit) and the restores it has timed.
struct Term<'a, S> {
    ctx: &'a Context<S>,
    boost: Duration,
    node_nano_cpus: Option<i64>,
    restores: JoinSet<()>,
}

async fn weigh<S: TenantStore>(
    ctx: &Context<S>,
    label: &str,
    boost: Duration,
    term: CancellationToken,
) {
    let node_nano_cpus = match ctx.swarm.docker().info().await {
        Ok(info) => info.ncpu.map(|cpus| cpus.saturating_mul(NANOS_PER_CPU)),
        Err(error) => {
            tracing::warn!(%error, "cannot read the node's cores; starting sites get no boost");
            None
        }
    };
    // Dropped with the term: a restore not yet due is the next term's sweep's to make.
    let mut state = Term {
        ctx,
        boost,
        node_nano_cpus,
        restores: JoinSet::new(),
    };
    loop {
        // Subscribed before the sweep: a container starting between the two is seen by one
        // or both (weighting twice is harmless), never by neither.
        let filters = HashMap::from([
            ("type", vec!["container"]),
            ("event", vec!["start"]),
            ("label", vec![label]),
        ]);
        let options = EventsOptionsBuilder::new().filters(&filters).build();
        let mut events = ctx.swarm.docker().events(Some(options));
        sweep(&mut state, label).await;
        loop {
            let event = tokio::select! {
                () = term.cancelled() => return,
                event = events.next() => event,
                // Finished restores are reaped as they end, so the set stays small.
                Some(_) = state.restores.join_next() => continue,
            };
            match event {
                Some(Ok(event)) => {
                    if let Some(id) = event.actor.and_then(|actor| actor.id) {
                        weigh_container(&mut state, &id).await;
                    }
                }
                Some(Err(error)) => {
                    tracing::warn!(%error, "container start events failed; resubscribing");
                    break;
                }
                None => break,
            }
        }
        tokio::select! {
            () = term.cancelled() => return,
            () = sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// Weighs every running tenant container (those started while no one was subscribed), and
/// restores or times the boosts a previous term left.
async fn sweep<S: TenantStore>(state: &mut Term<'_, S>, label: &str) {
    let filters = HashMap::from([("label", vec![label]), ("status", vec!["running"])]);
    let options = ListContainersOptionsBuilder::new()
        .filters(&filters)
        .build();
    match state
        .ctx
        .swarm
        .docker()
        .list_containers(Some(options))
        .await
    {
        Ok(containers) => {
            for id in containers.into_iter().filter_map(|c| c.id) {
                weigh_container(state, &id).await;
            }
        }
        Err(error) => tracing::warn!(%error, "cannot list tenant containers to weigh"),
    }
}

/// The CPU limit a container's plan gives it, in nano-CPUs: its swarm task's (the engine's
/// copy is what a startup boost changes); a container no task made keeps what it was created
/// with. What its usage is measured against, too.
pub async fn planned_nano_cpus(
    docker: &Docker,
    inspected: &ContainerInspectResponse,
) -> Option<i64> {
    let engine = inspected
        .host_config
        .as_ref()
        .and_then(|host| host.nano_cpus);
    let Some(task) = task_of(inspected) else {
        return engine;
    };
    match docker.inspect_task(task).await {
        Ok(task) => task
            .spec
            .and_then(|spec| spec.resources)
            .and_then(|resources| resources.limits)
            .and_then(|limits| limits.nano_cpus),
        Err(error) => {
            tracing::debug!(task, %error, "cannot read a container's task for its CPU limit");
            engine
        }
    }
}

/// The swarm task that made the container, if one did.
fn task_of(inspected: &ContainerInspectResponse) -> Option<&str> {
    inspected
        .config
        .as_ref()
        .and_then(|config| config.labels.as_ref())
        .and_then(|labels| labels.get(SWARM_TASK_LABEL))
        .map(String::as_str)
}

/// The boost a container started at `started` still has left, if any.
fn boost_left(started: Option<&str>, boost: Duration, now: DateTime<Utc>) -> Option<Duration> {
    let started = DateTime::parse_from_rfc3339(started?)
        .ok()?
        .with_timezone(&Utc);
    let elapsed = now
        .signed_duration_since(started)
        .to_std()
        .unwrap_or_default();
    boost.checked_sub(elapsed).filter(|left| !left.is_zero())
}

/// Sets one container's weight from its plan's CPU limit, and its limit to the boost while
/// its start is recent and back to the plan's after, unless it has them already. A container
/// gone meanwhile is nothing to weigh.
async fn weigh_container<S: TenantStore>(state: &mut Term<'_, S>, id: &str) {
    let ctx = state.ctx;
    let docker = ctx.swarm.docker();
    let inspected = match docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
    {
        Ok(inspected) => inspected,
        Err(error) => {
            tracing::debug!(container = id, %error, "cannot inspect a container to weigh");
            return;
        }
    };
    let planned = planned_nano_cpus(docker, &inspected).await;
    // Only a task's container is boosted: its plan's limit is known for good (the task's),
    // so any term can put it back. A container made some other way that carries the label
    // would have its own limit forgotten once lifted.
    let made_by_swarm = task_of(&inspected).is_some();
    let host = inspected.host_config.unwrap_or_default();
    let started = inspected.state.and_then(|state| state.started_at);
    let left = boost_left(started.as_deref(), state.boost, Utc::now()).filter(|_| made_by_swarm);
    let boosted = state
        .node_nano_cpus
        .filter(|node| left.is_some() && planned.is_some_and(|planned| *node > planned));
    // A limit of none (no quota) stays none: nothing to lift or restore.
    let want_cpus = boosted
        .or(planned)
        .filter(|_| planned.is_some_and(|n| n > 0));
    let want_shares = shares_for(planned);
    let mut update = ContainerUpdateBody::default();
    if host.cpu_shares != Some(want_shares) {
        update.cpu_shares = Some(want_shares);
    }
    if want_cpus.is_some() && host.nano_cpus != want_cpus {
        update.nano_cpus = want_cpus;
    }
    if update != ContainerUpdateBody::default() {
        match docker.update_container(id, update.clone()).await {
            Ok(()) => {
                if update.cpu_shares.is_some() {
                    ctx.metrics.cpu_weights_set.inc();
                }
                if boosted.is_some() && update.nano_cpus.is_some() {
                    ctx.metrics.cpu_boosts.inc();
                }
            }
            Err(error) => tracing::debug!(container = id, %error, "cannot weigh a container"),
        }
    }
    if let (Some(_), Some(left), Some(planned)) = (boosted, left, planned) {
        let docker = docker.clone();
        let id = id.to_owned();
        state.restores.spawn(async move {
            sleep(left).await;
            let restore = ContainerUpdateBody {
                nano_cpus: Some(planned),
                ..ContainerUpdateBody::default()
            };
            if let Err(error) = docker.update_container(&id, restore).await {
                // Gone (stopped, replaced): nothing to restore.
                tracing::debug!(container = %id, %error, "cannot end a startup boost");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_site_weighs_by_its_plans_cpu_and_never_as_much_as_the_platform() {
        assert_eq!(shares_for(Some(NANOS_PER_CPU)), 256);
        assert_eq!(shares_for(Some(NANOS_PER_CPU / 2)), 128);
        assert_eq!(shares_for(Some(NANOS_PER_CPU / 100)), MIN_SHARES);
        assert_eq!(shares_for(Some(16 * NANOS_PER_CPU)), MAX_SHARES);
        assert_eq!(shares_for(None), 256, "no limit: one CPU's worth");
        assert_eq!(shares_for(Some(0)), 256);
    }

    #[test]
    fn a_boost_lasts_its_window_from_the_start() {
        let now = DateTime::parse_from_rfc3339("2026-12-07T03:00:10Z")
            .unwrap()
            .with_timezone(&Utc);
        let window = Duration::from_secs(10);
        assert_eq!(
            boost_left(Some("2026-12-07T03:00:04.5Z"), window, now),
            Some(Duration::from_millis(4500))
        );
        assert_eq!(boost_left(Some("2026-12-07T03:00:00Z"), window, now), None);
        assert_eq!(boost_left(Some("2026-12-07T02:00:00Z"), window, now), None);
        assert_eq!(boost_left(Some("not a time"), window, now), None);
        assert_eq!(boost_left(None, window, now), None);
        // A clock behind the engine's: the whole window.
        assert_eq!(
            boost_left(Some("2026-12-07T03:00:11Z"), window, now),
            Some(window)
        );
    }
}
