//! The per-tenant series on `/metrics`, built from [`StatsState`] at scrape time so that a
//! tenant whose containers are gone simply has no series (nothing to unregister).

use prometheus::core::{Collector, Desc};
use prometheus::proto::MetricFamily;
use prometheus::{CounterVec, GaugeVec, IntGauge, Opts};

use super::state::StatsState;

const TENANT: &[&str] = &["tenant"];

/// Metric names, shared with the API's PromQL.
pub const CPU_SECONDS: &str = "swarmpress_tenant_cpu_seconds_total";
pub const CPU_PERCENT: &str = "swarmpress_tenant_cpu_percent";
pub const CPU_LIMIT: &str = "swarmpress_tenant_cpu_limit_cores";
pub const MEMORY: &str = "swarmpress_tenant_memory_bytes";
pub const MEMORY_LIMIT: &str = "swarmpress_tenant_memory_limit_bytes";
pub const MEMORY_PERCENT: &str = "swarmpress_tenant_memory_percent";
pub const RX: &str = "swarmpress_tenant_network_receive_bytes_total";
pub const TX: &str = "swarmpress_tenant_network_transmit_bytes_total";
pub const VOLUME: &str = "swarmpress_tenant_volume_bytes";
pub const DATABASE: &str = "swarmpress_tenant_database_bytes";
pub const CONTAINERS: &str = "swarmpress_tenant_containers";
pub const STREAMS: &str = "swarmpress_stats_streams";

const GAUGES: &[(&str, &str)] = &[
    (
        CPU_PERCENT,
        "CPU in use over the last stats interval (about 1 s), % of the tenant's CPU limit.",
    ),
    (
        CPU_LIMIT,
        "CPU limit of the tenant's running containers, in cores.",
    ),
    (
        MEMORY,
        "Memory in use without reclaimable page cache, in bytes.",
    ),
    (
        MEMORY_LIMIT,
        "Memory limit of the tenant's running containers, in bytes.",
    ),
    (
        MEMORY_PERCENT,
        "Memory in use, % of the tenant's memory limit.",
    ),
    (VOLUME, "Size of the tenant's wp-content volume, in bytes."),
    (
        DATABASE,
        "Size of the tenant's database (data and indexes), in bytes.",
    ),
    (
        CONTAINERS,
        "Running containers of the tenant whose stats are streamed.",
    ),
];

const COUNTERS: &[(&str, &str)] = &[
    (
        CPU_SECONDS,
        "CPU time used by the tenant's containers, in seconds.",
    ),
    (RX, "Bytes received by the tenant's containers."),
    (TX, "Bytes sent by the tenant's containers."),
];

/// A `prometheus` collector over the collector's state.
#[derive(Debug)]
pub struct TenantCollector {
    state: StatsState,
    descs: Vec<Desc>,
}

impl TenantCollector {
    pub fn new(state: StatsState) -> Result<Self, prometheus::Error> {
        let mut descs = Vec::new();
        for (name, help) in GAUGES.iter().chain(COUNTERS) {
            descs.push(Desc::new(
                (*name).to_owned(),
                (*help).to_owned(),
                vec!["tenant".to_owned()],
                Default::default(),
            )?);
        }
        descs.push(Desc::new(
            STREAMS.to_owned(),
            "Tenant containers this instance samples (one one-shot stats read each every 10 s)."
                .to_owned(),
            vec![],
            Default::default(),
        )?);
        Ok(Self { state, descs })
    }

    fn families(&self) -> Result<Vec<MetricFamily>, prometheus::Error> {
        let tenants = self.state.tenants();
        let mut families = Vec::new();
        for (name, help) in GAUGES {
            let vec = GaugeVec::new(Opts::new(*name, *help), TENANT)?;
            for (tenant, figures) in &tenants {
                let value = match *name {
                    CPU_PERCENT => Some(figures.cpu_percent()),
                    CPU_LIMIT => Some(figures.cpu_limit_cores),
                    MEMORY => Some(figures.memory_bytes),
                    MEMORY_LIMIT => Some(figures.memory_limit_bytes),
                    MEMORY_PERCENT => Some(figures.memory_percent()),
                    VOLUME => figures.volume_bytes,
                    DATABASE => figures.database_bytes,
                    CONTAINERS => Some(f64::from(figures.containers)),
                    _ => None,
                };
                // Running-container figures only for tenants with containers: a stopped
                // tenant has storage, not a 0 % CPU that would drag averages down.
                let running_only = !matches!(*name, VOLUME | DATABASE);
                if let Some(value) = value
                    && (figures.containers > 0 || !running_only)
                {
                    vec.with_label_values(&[tenant.as_str()]).set(value);
                }
            }
            families.extend(vec.collect());
        }
        for (name, help) in COUNTERS {
            let vec = CounterVec::new(Opts::new(*name, *help), TENANT)?;
            for (tenant, figures) in tenants.iter().filter(|(_, f)| f.containers > 0) {
                let value = match *name {
                    CPU_SECONDS => figures.cpu_seconds,
                    RX => figures.rx_bytes,
                    _ => figures.tx_bytes,
                };
                vec.with_label_values(&[tenant.as_str()]).inc_by(value);
            }
            families.extend(vec.collect());
        }
        let streams = IntGauge::new(STREAMS, "Tenant containers sampled.")?;
        streams.set(i64::try_from(self.state.streams()).unwrap_or(i64::MAX));
        families.extend(streams.collect());
        Ok(families)
    }
}

impl Collector for TenantCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        self.families().unwrap_or_else(|error| {
            tracing::error!(%error, "cannot build the per-tenant metrics");
            Vec::new()
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use prometheus::{Encoder as _, Registry, TextEncoder};

    use super::*;
    use crate::telemetry::stats::sample::ContainerSample;

    #[test]
    fn exports_one_labelled_series_per_tenant_that_prometheus_parse_reads() {
        let state = StatsState::default();
        state.add_container("c1", "acme", 0.5);
        state.record(
            "c1",
            ContainerSample {
                cpu_seconds: 12.5,
                cores_used: 0.25,
                memory_bytes: 1000.0,
                memory_limit_bytes: 4000.0,
                rx_bytes: 10.0,
                tx_bytes: 20.0,
            },
        );
        state.set_storage(
            HashMap::from([("acme".to_owned(), 300.0), ("idle".to_owned(), 50.0)]),
            HashMap::from([("acme".to_owned(), 700.0)]),
        );
        let registry = Registry::new();
        registry
            .register(Box::new(TenantCollector::new(state).unwrap()))
            .unwrap();
        let mut text = Vec::new();
        TextEncoder::new()
            .encode(&registry.gather(), &mut text)
            .unwrap();
        let text = String::from_utf8(text).unwrap();
        let scrape =
            prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).unwrap();
        let value = |metric: &str, tenant: Option<&str>| -> Option<f64> {
            scrape
                .samples
                .iter()
                .find(|s| {
                    s.metric == metric && tenant.is_none_or(|t| s.labels.get("tenant") == Some(t))
                })
                .map(|s| match s.value {
                    prometheus_parse::Value::Counter(v)
                    | prometheus_parse::Value::Gauge(v)
                    | prometheus_parse::Value::Untyped(v) => v,
                    ref other => panic!("{metric}: {other:?}"),
                })
        };
        assert_eq!(value(CPU_SECONDS, Some("acme")), Some(12.5));
        assert!(matches!(
            scrape
                .samples
                .iter()
                .find(|s| s.metric == CPU_SECONDS)
                .unwrap()
                .value,
            prometheus_parse::Value::Counter(_)
        ));
        assert_eq!(value(CPU_PERCENT, Some("acme")), Some(50.0));
        assert_eq!(value(MEMORY_PERCENT, Some("acme")), Some(25.0));
        assert_eq!(value(RX, Some("acme")), Some(10.0));
        assert_eq!(value(TX, Some("acme")), Some(20.0));
        assert_eq!(value(VOLUME, Some("acme")), Some(300.0));
        assert_eq!(value(DATABASE, Some("acme")), Some(700.0));
        assert_eq!(value(CONTAINERS, Some("acme")), Some(1.0));
        // A stopped tenant has storage figures but no running-container ones.
        assert_eq!(value(VOLUME, Some("idle")), Some(50.0));
        assert_eq!(value(CPU_PERCENT, Some("idle")), None);
        assert_eq!(value(STREAMS, None), Some(1.0));
    }
}
