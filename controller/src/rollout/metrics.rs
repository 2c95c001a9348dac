//! Rollout metrics on the controller's `/metrics`.

use super::store::RolloutStore;
use prometheus::{IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry};
use swarmpress_schema::resource::{RolloutItemState, RolloutState};

use super::RolloutError;

#[derive(Clone, Debug)]
pub struct RolloutMetrics {
    /// Rollouts by state (every stored rollout).
    rollouts: IntGaugeVec,
    /// Items of unfinished rollouts by state: what is pending, updating, done right now.
    items: IntGaugeVec,
    /// Item transitions this instance made, by the state entered.
    transitions: IntCounterVec,
    /// Rollouts this instance finished, by final state.
    finished: IntCounterVec,
    /// Passes this instance completed as leader: shows the driver is alive, and lets a test
    /// wait for passes instead of for time.
    passes: IntCounter,
}

impl RolloutMetrics {
    pub fn register(registry: &Registry) -> Result<Self, prometheus::Error> {
        let rollouts = IntGaugeVec::new(
            Opts::new("swarmpress_rollouts", "Rollouts by state."),
            &["state"],
        )?;
        let items = IntGaugeVec::new(
            Opts::new(
                "swarmpress_rollout_items",
                "Tenants of scheduled, running and paused rollouts, by item state.",
            ),
            &["state"],
        )?;
        let transitions = IntCounterVec::new(
            Opts::new(
                "swarmpress_rollout_item_transitions_total",
                "Rollout items this controller moved, by the state they entered.",
            ),
            &["state"],
        )?;
        let finished = IntCounterVec::new(
            Opts::new(
                "swarmpress_rollouts_finished_total",
                "Rollouts this controller finished, by final state (completed or failed).",
            ),
            &["state"],
        )?;
        let passes = IntCounter::new(
            "swarmpress_rollout_passes_total",
            "Rollout passes this controller completed as leader.",
        )?;
        registry.register(Box::new(rollouts.clone()))?;
        registry.register(Box::new(items.clone()))?;
        registry.register(Box::new(transitions.clone()))?;
        registry.register(Box::new(finished.clone()))?;
        registry.register(Box::new(passes.clone()))?;
        Ok(Self {
            rollouts,
            items,
            transitions,
            finished,
            passes,
        })
    }

    pub fn item_moved(&self, to: RolloutItemState) {
        self.transitions.with_label_values(&[to.as_str()]).inc();
    }

    pub fn finished(&self, state: RolloutState) {
        self.finished.with_label_values(&[state.as_str()]).inc();
    }

    pub fn pass_completed(&self) {
        self.passes.inc();
    }

    /// How many passes this instance has completed as leader.
    pub fn passes(&self) -> u64 {
        self.passes.get()
    }

    /// Sets the gauges from the store, every state present (at 0 when none) so a series does
    /// not vanish when its count drops to nothing.
    pub async fn refresh(&self, store: &impl RolloutStore) -> Result<(), RolloutError> {
        let counts = store.rollout_counts().await?;
        for state in RolloutState::ALL.map(RolloutState::as_str) {
            self.rollouts
                .with_label_values(&[state])
                .set(counts.rollouts.get(state).copied().unwrap_or(0));
        }
        for state in RolloutItemState::ALL.map(RolloutItemState::as_str) {
            self.items
                .with_label_values(&[state])
                .set(counts.items.get(state).copied().unwrap_or(0));
        }
        Ok(())
    }
}
