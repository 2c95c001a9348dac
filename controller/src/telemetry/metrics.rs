//! The controller's own Prometheus metrics.

use std::collections::BTreeMap;
use std::time::Instant;

use prometheus::{
    Encoder as _, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts,
    Registry, TextEncoder,
};

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("prometheus: {0}")]
    Prometheus(#[from] prometheus::Error),
    #[error("metrics exposition is not UTF-8: {0}")]
    Utf8(#[from] std::string::FromUtf8Error),
}

/// Every metric the controller exports, registered in a registry of its own (not the
/// process-global one, so tests can make as many as they like).
#[derive(Clone, Debug)]
pub struct Metrics {
    registry: Registry,
    /// Finished reconciles by `result`: `success` or the error's label.
    pub reconciles: IntCounterVec,
    pub reconcile_duration: Histogram,
    /// Keys waiting in the work queue (not the ones being worked on).
    pub queue_depth: IntGauge,
    /// Tenants by the phase the controller last wrote.
    pub tenants: IntGaugeVec,
    /// 1 while this instance holds the leader lease.
    pub leader: IntGauge,
    /// Orphaned objects removed, by `kind` (service, secret, volume, user, database, bucket).
    pub orphans_removed: IntCounterVec,
    /// Orphans seen on the last pass and still inside their grace period.
    pub orphans_waiting: IntGauge,
    /// Times MariaDB answered again after an outage and the tenants it held back were queued.
    pub database_recoveries: IntCounter,
    /// Sites in the routing table last published to the edge.
    pub edge_routes: IntGauge,
    /// Tenant containers given their CPU weight.
    pub cpu_weights_set: IntCounter,
    pub cpu_boosts: IntCounter,
}

impl Metrics {
    pub fn new() -> Result<Self, MetricsError> {
        let registry = Registry::new();
        let reconciles = IntCounterVec::new(
            Opts::new(
                "swarmpress_reconcile_total",
                "Reconciles finished, by result (success or error kind).",
            ),
            &["result"],
        )?;
        let reconcile_duration = Histogram::with_opts(
            HistogramOpts::new(
                "swarmpress_reconcile_duration_seconds",
                "Time one reconcile of one tenant took.",
            )
            .buckets(vec![
                0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
            ]),
        )?;
        let queue_depth = IntGauge::new(
            "swarmpress_queue_depth",
            "Tenants waiting in the work queue.",
        )?;
        let tenants = IntGaugeVec::new(
            Opts::new("swarmpress_tenants", "Tenants by phase."),
            &["phase"],
        )?;
        let leader = IntGauge::new(
            "swarmpress_leader",
            "1 while this controller instance holds the leader lease, else 0.",
        )?;
        let orphans_removed = IntCounterVec::new(
            Opts::new(
                "swarmpress_orphans_removed_total",
                "Objects of tenants that no longer exist, removed by orphan collection, by kind.",
            ),
            &["kind"],
        )?;
        let orphans_waiting = IntGauge::new(
            "swarmpress_orphans_waiting",
            "Orphaned objects seen on the last collection pass, still inside their grace period.",
        )?;
        registry.register(Box::new(reconciles.clone()))?;
        registry.register(Box::new(reconcile_duration.clone()))?;
        registry.register(Box::new(queue_depth.clone()))?;
        registry.register(Box::new(tenants.clone()))?;
        registry.register(Box::new(leader.clone()))?;
        registry.register(Box::new(orphans_removed.clone()))?;
        let database_recoveries = IntCounter::new(
            "swarmpress_database_recoveries_total",
            "Times MariaDB answered again after an outage and the tenants it held back were \
             retried at once.",
        )?;
        let edge_routes = IntGauge::new(
            "swarmpress_edge_routes",
            "Sites in the routing table the leader last published to the edge.",
        )?;
        registry.register(Box::new(orphans_waiting.clone()))?;
        registry.register(Box::new(database_recoveries.clone()))?;
        registry.register(Box::new(edge_routes.clone()))?;
        let cpu_weights_set = IntCounter::new(
            "swarmpress_cpu_weights_set_total",
            "Tenant containers given their CPU weight (below the platform's services').",
        )?;
        registry.register(Box::new(cpu_weights_set.clone()))?;
        let cpu_boosts = IntCounter::new(
            "swarmpress_cpu_startup_boosts_total",
            "Tenant containers whose CPU limit was lifted for their start.",
        )?;
        registry.register(Box::new(cpu_boosts.clone()))?;
        Ok(Self {
            registry,
            reconciles,
            reconcile_duration,
            queue_depth,
            tenants,
            leader,
            orphans_removed,
            orphans_waiting,
            database_recoveries,
            edge_routes,
            cpu_weights_set,
            cpu_boosts,
        })
    }

    /// Starts timing one reconcile; the duration is recorded when the timer is dropped, so
    /// an early return or a cancelled reconcile is measured too.
    pub fn reconcile_timer(&self) -> ReconcileTimer {
        ReconcileTimer {
            started: Instant::now(),
            histogram: self.reconcile_duration.clone(),
        }
    }

    /// Counts one finished reconcile.
    pub fn reconciled(&self, result: &str) {
        self.reconciles.with_label_values(&[result]).inc();
    }

    /// Replaces the per-phase tenant counts.
    pub fn set_tenant_phases<'a>(&self, counts: impl IntoIterator<Item = (&'a str, i64)>) {
        self.tenants.reset();
        for (phase, count) in counts {
            self.tenants.with_label_values(&[phase]).set(count);
        }
    }

    /// The registry, so other collectors (the per-tenant stats) appear on the same
    /// `/metrics`.
    /// The counters of one family, summed by their first label's value: Docker requests by
    /// operation, reconciles by result. For benchmarks and tests that measure a pass.
    pub fn counters_by_first_label(&self, family: &str) -> BTreeMap<String, u64> {
        let mut values = BTreeMap::new();
        for found in self.registry.gather() {
            if found.name() != family {
                continue;
            }
            for metric in found.get_metric() {
                let label = metric
                    .get_label()
                    .first()
                    .map(|l| l.value().to_owned())
                    .unwrap_or_default();
                // Counters hold whole numbers.
                *values.entry(label).or_default() += metric.get_counter().get_value() as u64;
            }
        }
        values
    }

    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> Result<String, MetricsError> {
        let mut buffer = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut buffer)?;
        Ok(String::from_utf8(buffer)?)
    }
}

/// Records the time since it was made into the reconcile duration histogram on `Drop`.
#[derive(Debug)]
pub struct ReconcileTimer {
    started: Instant,
    histogram: Histogram,
}

impl Drop for ReconcileTimer {
    fn drop(&mut self) {
        self.histogram.observe(self.started.elapsed().as_secs_f64());
    }
}
