//! Waking the tenants an unreachable MariaDB held back, the moment it answers again.
//!
//! During an outage each failing tenant backs off on its own, up to the queue's cap: after
//! thirty seconds down, a tenant's next retry may be half a minute away although the server
//! returned long before. A reconcile that failed because MariaDB could not be reached records
//! its tenant here; while any are recorded, the runner probes the server once a second, and
//! when a probe that failed succeeds again, every recorded tenant is queued at once with its
//! backoff reset. Only a probe that was seen failing counts: a tenant whose statement timed
//! out on a server that answers `SELECT 1` keeps its backoff (a loaded server is not helped
//! by being asked again every second).

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use swarmpress_schema::TenantName;

#[derive(Debug, Default)]
struct State {
    waiting: HashSet<TenantName>,
    /// A probe failed since the tenants above were recorded.
    seen_down: bool,
}

/// The tenants waiting for MariaDB to be reachable again.
#[derive(Debug, Default)]
pub struct DatabaseRecovery {
    state: Mutex<State>,
}

/// What one probe of the server decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Probed {
    /// Nobody waits: no probe needed.
    Idle,
    /// Still down, or up but never seen down: nothing to do.
    Wait,
    /// Back after being seen down: queue these now.
    Recovered(Vec<TenantName>),
}

impl DatabaseRecovery {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The set holds no invariant a panicking holder could break half-way.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The tenant's reconcile could not reach the server.
    pub fn unreachable(&self, tenant: &TenantName) {
        self.lock().waiting.insert(tenant.clone());
    }

    /// The tenant reconciled: it waits for nothing.
    pub fn reconciled(&self, tenant: &TenantName) {
        let mut state = self.lock();
        if state.waiting.remove(tenant) && state.waiting.is_empty() {
            state.seen_down = false;
        }
    }

    /// Whether a probe is worth making.
    pub fn anyone_waiting(&self) -> bool {
        !self.lock().waiting.is_empty()
    }

    /// Folds in one probe's outcome.
    pub fn probed(&self, reachable: bool) -> Probed {
        let mut state = self.lock();
        // `seen_down` is already clear here: the set only empties through `reconciled` or a
        // recovery, and both clear it.
        if state.waiting.is_empty() {
            return Probed::Idle;
        }
        match (reachable, state.seen_down) {
            (false, _) => {
                state.seen_down = true;
                Probed::Wait
            }
            (true, false) => Probed::Wait,
            (true, true) => {
                state.seen_down = false;
                let mut tenants: Vec<TenantName> = state.waiting.drain().collect();
                tenants.sort();
                Probed::Recovered(tenants)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> TenantName {
        TenantName::parse(text).unwrap()
    }

    #[test]
    fn only_a_return_after_a_failed_probe_wakes_the_waiting() {
        let recovery = DatabaseRecovery::default();
        assert_eq!(recovery.probed(false), Probed::Idle, "nobody waits");
        recovery.unreachable(&name("beta-site"));
        recovery.unreachable(&name("alpha-site"));
        assert!(recovery.anyone_waiting());
        assert_eq!(
            recovery.probed(true),
            Probed::Wait,
            "reachable but never seen down: the failures were something else"
        );
        assert_eq!(recovery.probed(false), Probed::Wait);
        assert_eq!(recovery.probed(false), Probed::Wait);
        assert_eq!(
            recovery.probed(true),
            Probed::Recovered(vec![name("alpha-site"), name("beta-site")])
        );
        assert!(!recovery.anyone_waiting());
        assert_eq!(recovery.probed(true), Probed::Idle);
    }

    #[test]
    fn a_tenant_that_reconciles_waits_no_more() {
        let recovery = DatabaseRecovery::default();
        recovery.unreachable(&name("alpha-site"));
        recovery.unreachable(&name("beta-site"));
        assert_eq!(recovery.probed(false), Probed::Wait);
        recovery.reconciled(&name("alpha-site"));
        assert_eq!(
            recovery.probed(true),
            Probed::Recovered(vec![name("beta-site")])
        );
        recovery.unreachable(&name("gamma-site"));
        recovery.reconciled(&name("gamma-site"));
        recovery.unreachable(&name("delta-site"));
        assert_eq!(
            recovery.probed(true),
            Probed::Wait,
            "a down seen before everyone recovered does not carry over"
        );
    }
}
