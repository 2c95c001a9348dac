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

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::models::ContainerUpdateBody;
use bollard::query_parameters::{
    EventsOptionsBuilder, InspectContainerOptions, ListContainersOptionsBuilder,
};
use futures_util::StreamExt as _;
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
// Any platform service outweighs any site two to one.
const _: () = assert!(MAX_SHARES * 2 <= PLATFORM_SHARES);

/// The weight of a tenant container limited to `nano_cpus` (none: a platform default of one
/// CPU's worth).
pub fn shares_for(nano_cpus: Option<i64>) -> i64 {
    let nano_cpus = nano_cpus.filter(|n| *n > 0).unwrap_or(NANOS_PER_CPU);
    (nano_cpus.saturating_mul(SHARES_PER_CPU) / NANOS_PER_CPU).clamp(MIN_SHARES, MAX_SHARES)
}

/// Weighting as a leader task: one writer, under the lease.
pub fn cpu_weight_task<S: TenantStore>(ctx: Arc<Context<S>>) -> LeaderTask {
    cpu_weight_task_for(ctx, TENANT_LABEL)
}

/// Weighting of the containers that carry `label` (tests name their own, so that the
/// platform's controller, weighting every tenant's, cannot do their work for them).
pub fn cpu_weight_task_for<S: TenantStore>(
    ctx: Arc<Context<S>>,
    label: &'static str,
) -> LeaderTask {
    LeaderTask::new("cpu-weight", move |term| {
        let ctx = Arc::clone(&ctx);
        async move { weigh(&ctx, label, term).await }
    })
}

async fn weigh<S: TenantStore>(ctx: &Context<S>, label: &str, term: CancellationToken) {
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
        sweep(ctx, label).await;
        loop {
            let event = tokio::select! {
                () = term.cancelled() => return,
                event = events.next() => event,
            };
            match event {
                Some(Ok(event)) => {
                    if let Some(id) = event.actor.and_then(|actor| actor.id) {
                        weigh_container(ctx, &id).await;
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

/// Weighs every running tenant container (those started while no one was subscribed).
async fn sweep<S: TenantStore>(ctx: &Context<S>, label: &str) {
    let filters = HashMap::from([("label", vec![label]), ("status", vec!["running"])]);
    let options = ListContainersOptionsBuilder::new()
        .filters(&filters)
        .build();
    match ctx.swarm.docker().list_containers(Some(options)).await {
        Ok(containers) => {
            for id in containers.into_iter().filter_map(|c| c.id) {
                weigh_container(ctx, &id).await;
            }
        }
        Err(error) => tracing::warn!(%error, "cannot list tenant containers to weigh"),
    }
}

/// Sets one container's weight from its CPU limit, unless it has it already. A container
/// gone meanwhile is nothing to weigh.
async fn weigh_container<S: TenantStore>(ctx: &Context<S>, id: &str) {
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
    let host = inspected.host_config.unwrap_or_default();
    let want = shares_for(host.nano_cpus);
    if host.cpu_shares == Some(want) {
        return;
    }
    let update = ContainerUpdateBody {
        cpu_shares: Some(want),
        ..ContainerUpdateBody::default()
    };
    match docker.update_container(id, update).await {
        Ok(()) => ctx.metrics.cpu_weights_set.inc(),
        Err(error) => tracing::debug!(container = id, %error, "cannot weigh a container"),
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
}
