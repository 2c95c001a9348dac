//! How many sites may start at once. Starting a WordPress site (image layers, PHP warming the
//! opcache, the install, the first health probes) is the most CPU a site ever takes; a burst
//! of them on a small node starved the platform's own services of CPU until Swarm failed
//! their health checks. So a reconcile that would start tasks for a site takes a slot first;
//! with every slot taken the site waits, queued, and says so in its status.
//!
//! A slot is held from the moment its site is admitted until a reconcile sees the site's
//! service running all its replicas, or until [`HOLD`] passes (a site that never comes up
//! does not block the others for good). Slots are this process's: after a leader failover the
//! new leader starts with none held, a brief overshoot at worst.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use swarmpress_schema::TenantName;
use tokio::time::Instant;

/// The longest a site holds its slot without coming up.
pub const HOLD: Duration = Duration::from_secs(120);
/// Sites starting at once unless configured (`SWARMPRESS_MAX_STARTING`).
pub const DEFAULT_MAX_STARTING: usize = 6;

pub struct Admission {
    limit: usize,
    admitted: Mutex<HashMap<TenantName, Instant>>,
}

impl Default for Admission {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_STARTING)
    }
}

impl Admission {
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            admitted: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Takes a slot for `tenant` (or confirms the one it holds). `Err` with the number of
    /// sites starting when every slot is taken.
    pub fn admit(&self, tenant: &TenantName) -> Result<(), usize> {
        let mut admitted = self.admitted.lock().unwrap_or_else(PoisonError::into_inner);
        admitted.retain(|_, since| since.elapsed() < HOLD);
        if admitted.contains_key(tenant) {
            return Ok(());
        }
        if admitted.len() >= self.limit {
            return Err(admitted.len());
        }
        admitted.insert(tenant.clone(), Instant::now());
        Ok(())
    }

    /// The site is up (or gone): its slot is free.
    pub fn release(&self, tenant: &TenantName) {
        self.admitted
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(tenant);
    }

    /// Sites holding a slot now.
    pub fn starting(&self) -> usize {
        let mut admitted = self.admitted.lock().unwrap_or_else(PoisonError::into_inner);
        admitted.retain(|_, since| since.elapsed() < HOLD);
        admitted.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(slug: &str) -> TenantName {
        TenantName::parse(slug).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_the_limit_start_and_a_slot_frees_when_its_site_is_up() {
        let admission = Admission::new(2);
        assert_eq!(admission.admit(&name("site-a")), Ok(()));
        assert_eq!(admission.admit(&name("site-b")), Ok(()));
        assert_eq!(
            admission.admit(&name("site-a")),
            Ok(()),
            "a site keeps its own slot"
        );
        assert_eq!(admission.admit(&name("site-c")), Err(2));
        admission.release(&name("site-a"));
        assert_eq!(admission.admit(&name("site-c")), Ok(()));
        assert_eq!(admission.starting(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_site_that_never_comes_up_gives_its_slot_back_after_the_hold() {
        let admission = Admission::new(1);
        assert_eq!(admission.admit(&name("stuck")), Ok(()));
        assert_eq!(admission.admit(&name("next")), Err(1));
        tokio::time::advance(HOLD).await;
        assert_eq!(admission.admit(&name("next")), Ok(()));
    }
}
