//! Whether a tenant's site answers: its readiness endpoint, asked through the edge.
//!
//! The tenant image has no engine HEALTHCHECK (each probe was an exec, so a runc start, and
//! the bulk of an idle site's CPU). A task is "running" once its container started, before
//! Apache listens. So the reconciler confirms a site by asking the edge — the path a visitor
//! takes — once per set of running containers: when the set changes (a start, a restart, an
//! update, a scale) it asks again, and while it is unchanged the confirmation stands. An idle
//! site costs nothing here; a converging one a few requests per requeue.
//!
//! One 200 proves little (see [`Prober::each_answers`]): the site is ready once every
//! current container has answered.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use swarmpress_schema::TenantName;
use swarmpress_schema::resource::Tenant;

use crate::rollout::Prober;

pub struct Readiness {
    prober: Prober,
    /// Per tenant, the containers (sorted ids) that all answered when last asked.
    confirmed: Mutex<HashMap<TenantName, Vec<String>>>,
}

impl Readiness {
    pub fn new(prober: Prober) -> Self {
        Self {
            prober,
            confirmed: Mutex::new(HashMap::new()),
        }
    }

    /// Whether every one of `containers` (sorted ids of the running tasks) answers through
    /// the edge: remembered for the same containers, asked for a new set.
    pub async fn serving(&self, tenant: &Tenant, containers: &[String]) -> bool {
        let name = &tenant.metadata.name;
        if containers.is_empty() {
            self.forget(name);
            return false;
        }
        if self.lock().get(name).is_some_and(|ids| ids == containers) {
            return true;
        }
        match self.prober.each_answers(tenant, containers).await {
            Ok(()) => {
                self.lock().insert(name.clone(), containers.to_vec());
                true
            }
            Err(reason) => {
                tracing::debug!(tenant = %name, %reason, "not answering through the edge yet");
                false
            }
        }
    }

    pub fn forget(&self, tenant: &TenantName) {
        self.lock().remove(tenant);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantName, Vec<String>>> {
        self.confirmed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}
