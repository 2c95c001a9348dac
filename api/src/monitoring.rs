//! Live figures, history and totals of tenants, from the controller's per-tenant series in
//! Prometheus (names as `swarmpress-controller`'s `stats` module exports them).
//!
//! Every query takes `max` over the series of one tenant: only the leading controller
//! exports them, but during a failover both instances may for a scrape or two.

use std::collections::BTreeMap;

use crate::prometheus::{Prometheus, PrometheusError, Series, combine};

const CPU_SECONDS: &str = "swarmpress_tenant_cpu_seconds_total";
const CPU_LIMIT: &str = "swarmpress_tenant_cpu_limit_cores";
const MEMORY: &str = "swarmpress_tenant_memory_bytes";
const MEMORY_LIMIT: &str = "swarmpress_tenant_memory_limit_bytes";
const RX: &str = "swarmpress_tenant_network_receive_bytes_total";
const TX: &str = "swarmpress_tenant_network_transmit_bytes_total";
const VOLUME: &str = "swarmpress_tenant_volume_bytes";
const DATABASE: &str = "swarmpress_tenant_database_bytes";
const CONTAINERS: &str = "swarmpress_tenant_containers";

/// The window of `rate()` for live figures: four scrapes of the controller (every 5 s, or
/// 15 s by default), so one missed scrape does not blank them.
pub const LIVE_WINDOW: &str = "1m";

/// Instant queries are evaluated at a time rounded down to this many seconds, so figures
/// asked for moments apart (a tenant's and the summary) are computed over the same samples.
pub const ALIGN_SECONDS: f64 = 5.0;

/// One tenant's (or a sum of tenants') figures.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    pub running_tenants: f64,
    pub cpu_cores: f64,
    pub cpu_limit_cores: f64,
    pub memory_bytes: f64,
    pub memory_limit_bytes: f64,
    pub rx_bytes_per_sec: f64,
    pub tx_bytes_per_sec: f64,
    pub volume_bytes: Option<f64>,
    pub database_bytes: Option<f64>,
}

impl Figures {
    pub fn cpu_percent(&self) -> f64 {
        percent(self.cpu_cores, self.cpu_limit_cores)
    }

    pub fn memory_percent(&self) -> f64 {
        percent(self.memory_bytes, self.memory_limit_bytes)
    }

    pub fn storage_bytes(&self) -> Option<f64> {
        match (self.volume_bytes, self.database_bytes) {
            (None, None) => None,
            (volume, database) => Some(volume.unwrap_or(0.0) + database.unwrap_or(0.0)),
        }
    }
}

fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    }
}

/// A PromQL label matcher for the tenants (names are DNS labels: no quoting or regex
/// metacharacters beyond `-`).
fn matcher(tenants: &[String]) -> String {
    match tenants {
        [one] => format!("tenant=\"{one}\""),
        many => format!("tenant=~\"{}\"", many.join("|")),
    }
}

/// The per-tenant expressions, each summed over the tenants (for one tenant, the sum of one).
fn parts(tenants: &[String], window: &str) -> Vec<(&'static str, String)> {
    let m = matcher(tenants);
    let per_tenant = |expr: String| format!("sum(max by (tenant) ({expr}))");
    vec![
        (
            "running",
            format!("count(max by (tenant) ({CONTAINERS}{{{m}}} > 0))"),
        ),
        (
            "cpu",
            per_tenant(format!("rate({CPU_SECONDS}{{{m}}}[{window}])")),
        ),
        ("cpuLimit", per_tenant(format!("{CPU_LIMIT}{{{m}}}"))),
        ("memory", per_tenant(format!("{MEMORY}{{{m}}}"))),
        ("memoryLimit", per_tenant(format!("{MEMORY_LIMIT}{{{m}}}"))),
        ("rx", per_tenant(format!("rate({RX}{{{m}}}[{window}])"))),
        ("tx", per_tenant(format!("rate({TX}{{{m}}}[{window}])"))),
        ("volume", per_tenant(format!("{VOLUME}{{{m}}}"))),
        ("database", per_tenant(format!("{DATABASE}{{{m}}}"))),
    ]
}

fn assign(figures: &mut Figures, series: &str, value: f64) {
    match series {
        "running" => figures.running_tenants = value,
        "cpu" => figures.cpu_cores = value,
        "cpuLimit" => figures.cpu_limit_cores = value,
        "memory" => figures.memory_bytes = value,
        "memoryLimit" => figures.memory_limit_bytes = value,
        "rx" => figures.rx_bytes_per_sec = value,
        "tx" => figures.tx_bytes_per_sec = value,
        "volume" => figures.volume_bytes = Some(value),
        "database" => figures.database_bytes = Some(value),
        _ => {}
    }
}

/// The current time rounded down to [`ALIGN_SECONDS`].
pub fn aligned_now() -> f64 {
    let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
    (now / ALIGN_SECONDS).floor() * ALIGN_SECONDS
}

/// The figures summed over `tenants`, with ONE instant query.
pub async fn current(
    prometheus: &Prometheus,
    tenants: &[String],
    at: f64,
) -> Result<Figures, PrometheusError> {
    let mut figures = Figures::default();
    if tenants.is_empty() {
        return Ok(figures);
    }
    let query = combine(&parts(tenants, LIVE_WINDOW));
    for series in prometheus.query(&query, at).await? {
        if let (Some(name), Some((_, value))) = (series.labels.get("series"), series.points.first())
        {
            assign(&mut figures, name, *value);
        }
    }
    Ok(figures)
}

/// A history range the API offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Range {
    Hour,
    Day,
    Week,
}

impl Range {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "1h" => Some(Self::Hour),
            "24h" => Some(Self::Day),
            "7d" => Some(Self::Week),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hour => "1h",
            Self::Day => "24h",
            Self::Week => "7d",
        }
    }

    pub fn seconds(self) -> u64 {
        match self {
            Self::Hour => 3600,
            Self::Day => 86_400,
            Self::Week => 7 * 86_400,
        }
    }

    /// The step that gives about 200 points (18 s, 7.2 min, 50.4 min).
    pub fn step(self) -> u64 {
        (self.seconds() / 200).max(1)
    }

    /// `rate()` window: at least a minute (four scrapes), and at least a step so no increase
    /// between two points is left out.
    pub fn window(self) -> String {
        format!("{}s", self.step().max(60))
    }
}

/// One tenant's series over `range` ending at `end`, as points by timestamp.
pub async fn history(
    prometheus: &Prometheus,
    tenant: &str,
    range: Range,
    end: f64,
) -> Result<BTreeMap<i64, Figures>, PrometheusError> {
    let tenants = [tenant.to_owned()];
    let query = combine(&parts(&tenants, &range.window()));
    let start = end - range.seconds() as f64;
    let answer: Vec<Series> = prometheus
        .query_range(&query, start, end, range.step())
        .await?;
    let mut points: BTreeMap<i64, Figures> = BTreeMap::new();
    for series in answer {
        let Some(name) = series.labels.get("series") else {
            continue;
        };
        for (time, value) in series.points {
            assign(points.entry(time as i64).or_default(), name, value);
        }
    }
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_give_about_two_hundred_points() {
        for range in [Range::Hour, Range::Day, Range::Week] {
            assert_eq!(range.seconds() / range.step(), 200);
        }
        assert_eq!(Range::Hour.window(), "60s");
        assert_eq!(Range::Week.window(), "3024s");
        assert_eq!(Range::parse("2h"), None);
    }

    #[test]
    fn one_matcher_for_one_or_many_tenants() {
        assert_eq!(matcher(&["a-b".to_owned()]), "tenant=\"a-b\"");
        assert_eq!(
            matcher(&["a".to_owned(), "b".to_owned()]),
            "tenant=~\"a|b\""
        );
    }
}
