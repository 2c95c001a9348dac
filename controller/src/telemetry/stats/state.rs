//! What the collector knows: the latest sample of every streamed container and the storage
//! figures, shared between the stream tasks (writers) and `/metrics` (reader).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use super::sample::ContainerSample;

/// Figures of one tenant, summed over its running containers.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct TenantFigures {
    pub containers: u32,
    /// Counters: running containers' totals plus what containers gone since added, so that a
    /// replica going away never looks like a counter reset.
    pub cpu_seconds: f64,
    pub rx_bytes: f64,
    pub tx_bytes: f64,
    pub cores_used: f64,
    pub cpu_limit_cores: f64,
    pub memory_bytes: f64,
    pub memory_limit_bytes: f64,
    pub volume_bytes: Option<f64>,
    pub database_bytes: Option<f64>,
}

impl TenantFigures {
    /// CPU in use as a percentage of the tenant's limit (all replicas).
    pub fn cpu_percent(&self) -> f64 {
        percent(self.cores_used, self.cpu_limit_cores)
    }

    pub fn memory_percent(&self) -> f64 {
        percent(self.memory_bytes, self.memory_limit_bytes)
    }
}

fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    }
}

#[derive(Debug, Clone)]
struct Container {
    tenant: String,
    /// The CPU limit in cores (the host's CPUs when the container has none).
    cpu_limit_cores: f64,
    sample: Option<ContainerSample>,
}

#[derive(Debug, Default, Clone, Copy)]
struct Retired {
    cpu_seconds: f64,
    rx_bytes: f64,
    tx_bytes: f64,
}

#[derive(Debug, Default)]
struct Inner {
    containers: HashMap<String, Container>,
    retired: HashMap<String, Retired>,
    volumes: HashMap<String, f64>,
    databases: HashMap<String, f64>,
}

/// Cheap to clone; every clone sees the same figures.
#[derive(Debug, Clone, Default)]
pub struct StatsState {
    inner: Arc<Mutex<Inner>>,
}

impl StatsState {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panicking writer leaves at worst one stale sample behind; keep serving.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A container whose stream starts now.
    pub fn add_container(&self, id: &str, tenant: &str, cpu_limit_cores: f64) {
        self.lock().containers.insert(
            id.to_owned(),
            Container {
                tenant: tenant.to_owned(),
                cpu_limit_cores,
                sample: None,
            },
        );
    }

    /// Sets the CPU limit of a container that has none yet (one without a limit is measured
    /// against the host's CPUs, known from its first sample).
    pub fn add_limit_if_unset(&self, id: &str, cores: f64) {
        if let Some(container) = self.lock().containers.get_mut(id)
            && container.cpu_limit_cores <= 0.0
        {
            container.cpu_limit_cores = cores;
        }
    }

    pub fn record(&self, id: &str, sample: ContainerSample) {
        if let Some(container) = self.lock().containers.get_mut(id) {
            container.sample = Some(sample);
        }
    }

    /// A container whose stream ended: its counters move to the tenant's retired totals
    /// while the tenant has other containers, and are forgotten with its last one (a series
    /// that disappears and comes back from zero is a clean reset for Prometheus).
    pub fn remove_container(&self, id: &str) {
        let mut inner = self.lock();
        let Some(gone) = inner.containers.remove(id) else {
            return;
        };
        let still_running = inner.containers.values().any(|c| c.tenant == gone.tenant);
        if still_running {
            if let Some(sample) = gone.sample {
                let retired = inner.retired.entry(gone.tenant).or_default();
                retired.cpu_seconds += sample.cpu_seconds;
                retired.rx_bytes += sample.rx_bytes;
                retired.tx_bytes += sample.tx_bytes;
            }
        } else {
            inner.retired.remove(&gone.tenant);
        }
    }

    /// Forgets every container (this instance stopped collecting).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.containers.clear();
        inner.retired.clear();
        inner.volumes.clear();
        inner.databases.clear();
    }

    pub fn set_storage(&self, volumes: HashMap<String, f64>, databases: HashMap<String, f64>) {
        let mut inner = self.lock();
        inner.volumes = volumes;
        inner.databases = databases;
    }

    pub fn streams(&self) -> usize {
        self.lock().containers.len()
    }

    /// Every tenant with a running container or a measured volume or database.
    pub fn tenants(&self) -> BTreeMap<String, TenantFigures> {
        let inner = self.lock();
        let mut tenants: BTreeMap<String, TenantFigures> = BTreeMap::new();
        for container in inner.containers.values() {
            let figures = tenants.entry(container.tenant.clone()).or_default();
            figures.containers += 1;
            figures.cpu_limit_cores += container.cpu_limit_cores;
            if let Some(sample) = container.sample {
                figures.cpu_seconds += sample.cpu_seconds;
                figures.rx_bytes += sample.rx_bytes;
                figures.tx_bytes += sample.tx_bytes;
                figures.cores_used += sample.cores_used;
                figures.memory_bytes += sample.memory_bytes;
                figures.memory_limit_bytes += sample.memory_limit_bytes;
            }
        }
        for (tenant, retired) in &inner.retired {
            if let Some(figures) = tenants.get_mut(tenant) {
                figures.cpu_seconds += retired.cpu_seconds;
                figures.rx_bytes += retired.rx_bytes;
                figures.tx_bytes += retired.tx_bytes;
            }
        }
        for (tenant, bytes) in &inner.volumes {
            tenants.entry(tenant.clone()).or_default().volume_bytes = Some(*bytes);
        }
        for (tenant, bytes) in &inner.databases {
            tenants.entry(tenant.clone()).or_default().database_bytes = Some(*bytes);
        }
        tenants
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(cpu: f64, rx: f64) -> ContainerSample {
        ContainerSample {
            cpu_seconds: cpu,
            cores_used: 0.25,
            memory_bytes: 100.0,
            memory_limit_bytes: 400.0,
            rx_bytes: rx,
            tx_bytes: rx * 2.0,
        }
    }

    #[test]
    fn sums_replicas_and_keeps_counters_monotonic_when_one_goes() {
        let state = StatsState::default();
        state.add_container("a", "acme", 0.5);
        state.add_container("b", "acme", 0.5);
        state.record("a", sample(10.0, 100.0));
        state.record("b", sample(5.0, 50.0));
        let acme = state.tenants()["acme"];
        assert_eq!(acme.containers, 2);
        assert_eq!(acme.cpu_seconds, 15.0);
        assert_eq!(acme.cpu_percent(), 50.0);
        assert_eq!(acme.memory_percent(), 25.0);

        state.remove_container("b");
        let acme = state.tenants()["acme"];
        assert_eq!(acme.containers, 1);
        assert_eq!(
            acme.cpu_seconds, 15.0,
            "the gone replica's CPU time is kept"
        );
        assert_eq!(acme.rx_bytes, 150.0);

        state.remove_container("a");
        assert!(!state.tenants().contains_key("acme"));
    }
}
