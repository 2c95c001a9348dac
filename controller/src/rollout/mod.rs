//! Fleet rollouts: the controller's side of issue 6.
//!
//! The API stores a rollout in state `scheduled` and flips it between `running`, `paused`
//! and `aborted` on an admin's word; everything else is the [`driver`]'s, run only by the
//! holder of the controller lease:
//!
//! - `scheduled` → `running` once due ([`driver::Driver`] plans the items then);
//! - per batch (canaries first): each tenant's `spec.image` set, item `updating`, then
//!   `healthy` once [`health::check`] says Available at the new image, or back to
//!   `fromImage` and `rolledBack` when Swarm gives up or the health timeout passes;
//! - over the failure budget: every changed tenant reverted, rollout `failed`;
//! - no item left: `completed`.
//!
//! The state lives in the store only, so a new leader resumes where the old one stood.

pub mod driver;
pub mod health;
pub mod metrics;
pub mod plan;

use std::time::Duration;

use swarmpress_schema::TenantName;
use swarmpress_schema::store::StoreError;
use tokio::time::{MissedTickBehavior, interval, timeout};
use tokio_util::sync::CancellationToken;

pub use driver::Driver;
pub use health::Prober;
pub use metrics::RolloutMetrics;

use crate::schema_store::LEASE_NAME;
use crate::swarm::SwarmError;

/// Where the controller reaches Traefik inside the stack (both are on the backend network).
pub const DEFAULT_EDGE_URL: &str = "http://traefik:80";

#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error(transparent)]
    Swarm(#[from] SwarmError),
    #[error("the spec of {0} kept changing under the rollout; will retry")]
    Contended(TenantName),
}

/// How the driver loop runs.
#[derive(Debug, Clone)]
pub struct RolloutSettings {
    /// The controller lease holder this instance is (the runner's): only the leader drives.
    pub holder: String,
    pub lease_ttl: Duration,
    /// How often the rollouts are looked at.
    pub tick: Duration,
}

/// Drives rollouts until `shutdown`, each pass only while this instance holds the lease.
/// Holding it is checked (and renewed, as the runner does for the same holder) before every
/// pass, and a pass is bounded (three lease times) so a leader that lost the lease mid-pass
/// stops soon; the compare-and-swap writes and idempotent spec writes keep a late write
/// harmless.
pub async fn run(driver: Driver, settings: RolloutSettings, shutdown: CancellationToken) {
    let mut ticker = interval(settings.tick);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let leader = match driver
            .store
            .try_acquire_or_renew(LEASE_NAME, &settings.holder, settings.lease_ttl)
            .await
        {
            Ok(lease) => lease.leader,
            Err(error) => {
                tracing::warn!(%error, "rollouts: cannot check the controller lease");
                false
            }
        };
        if !leader {
            continue;
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            pass = timeout(settings.lease_ttl * 3, driver.tick()) => match pass {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(%error, "rollout pass failed"),
                Err(_) => tracing::warn!("rollout pass took longer than a lease; cut short"),
            },
        }
    }
}
