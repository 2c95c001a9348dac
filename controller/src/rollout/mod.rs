//! Fleet rollouts: the controller's side of issue 6.
//!
//! The API stores a rollout in state `scheduled` and flips it between `running`, `paused`
//! and `aborted` on an admin's word; everything else is the [`driver`]'s, run as a leader
//! task ([`driver_task`]) only while this instance holds the controller lease:
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
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use swarmpress_schema::TenantName;
use swarmpress_schema::store::StoreError;
use tokio::time::{MissedTickBehavior, interval};
use tokio_util::sync::CancellationToken;

pub use driver::Driver;
pub use health::Prober;
pub use metrics::RolloutMetrics;
pub use store::RolloutStore;

use crate::adapters::swarm::SwarmError;
use crate::runtime::leader::LeaderTask;

/// Where the controller reaches Traefik inside the stack (both are on the control network).
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

/// How often the rollouts are looked at.
#[derive(Debug, Clone)]
pub struct RolloutSettings {
    pub tick: Duration,
}

/// The rollout driver as a leader task: a pass every tick for as long as the term lasts. A
/// pass in flight when the term ends is dropped at once; the compare-and-swap writes and
/// idempotent spec writes make whatever it had done safe to repeat by the next leader.
pub fn driver_task<S: RolloutStore>(driver: Driver<S>, settings: RolloutSettings) -> LeaderTask {
    let driver = Arc::new(driver);
    LeaderTask::new("rollouts", move |token| {
        run(Arc::clone(&driver), settings.clone(), token)
    })
}

async fn run<S: RolloutStore>(
    driver: Arc<Driver<S>>,
    settings: RolloutSettings,
    term: CancellationToken,
) {
    let mut ticker = interval(settings.tick);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = term.cancelled() => return,
            _ = ticker.tick() => {}
        }
        tokio::select! {
            () = term.cancelled() => return,
            pass = driver.tick() => if let Err(error) = pass {
                tracing::warn!(%error, "rollout pass failed");
            },
        }
    }
}
