//! Live figures straight from the Docker engine, for when Prometheus cannot be reached: two
//! consecutive entries of each running container's stats stream (about a second apart)
//! give CPU and network rates; the stream is dropped right after.

use std::collections::HashMap;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{ContainerInspectResponse, ContainerStatsResponse};
use bollard::query_parameters::{
    InspectContainerOptions, ListContainersOptionsBuilder, StatsOptions,
};
use futures_util::StreamExt as _;

use crate::monitoring::Figures;

/// How long the two samples may take before the container is left out.
const SAMPLE_TIMEOUT: Duration = Duration::from_secs(5);

/// Ids of the tenant's running containers on this engine.
pub async fn running_containers(
    docker: &Docker,
    tenant: &str,
) -> Result<Vec<String>, bollard::errors::Error> {
    let label = format!("swarmpress.tenant={tenant}");
    let filters = HashMap::from([("label", vec![label.as_str()]), ("status", vec!["running"])]);
    let options = ListContainersOptionsBuilder::new()
        .filters(&filters)
        .build();
    Ok(docker
        .list_containers(Some(options))
        .await?
        .into_iter()
        .filter_map(|c| c.id)
        .collect())
}

/// The tenant's figures summed over its running containers (no storage: that is measured
/// by the controller only).
pub async fn current(docker: &Docker, tenant: &str) -> Result<Figures, bollard::errors::Error> {
    let ids = running_containers(docker, tenant).await?;
    let samples = futures_util::future::join_all(ids.iter().map(|id| container(docker, id))).await;
    let mut figures = Figures::default();
    for sample in samples.into_iter().flatten() {
        figures.running_tenants = 1.0;
        figures.cpu_cores += sample.cpu_cores;
        figures.cpu_limit_cores += sample.cpu_limit_cores;
        figures.memory_bytes += sample.memory_bytes;
        figures.memory_limit_bytes += sample.memory_limit_bytes;
        figures.rx_bytes_per_sec += sample.rx_bytes_per_sec;
        figures.tx_bytes_per_sec += sample.tx_bytes_per_sec;
    }
    Ok(figures)
}

async fn container(docker: &Docker, id: &str) -> Option<Figures> {
    let inspected = docker
        .inspect_container(id, None::<InspectContainerOptions>)
        .await
        .ok()?;
    let limit = planned_nano_cpus(docker, inspected)
        .await
        .filter(|n| *n > 0)
        .map(|n| n as f64 / 1e9);
    let options = StatsOptions {
        stream: true,
        one_shot: false,
    };
    let stream = docker.stats(id, Some(options));
    let two: Vec<_> = tokio::time::timeout(SAMPLE_TIMEOUT, stream.take(2).collect::<Vec<_>>())
        .await
        .ok()?;
    let [Ok(first), Ok(second)] = two.as_slice() else {
        return None;
    };
    Some(figures(first, second, limit))
}

/// The container's CPU limit as its plan gives it: its swarm task's. The engine's copy is
/// lifted for a few seconds after a start (the controller's startup boost).
async fn planned_nano_cpus(docker: &Docker, inspected: ContainerInspectResponse) -> Option<i64> {
    let engine = inspected.host_config.and_then(|host| host.nano_cpus);
    let task = inspected
        .config
        .and_then(|config| config.labels)
        .and_then(|mut labels| labels.remove("com.docker.swarm.task.id"));
    let Some(task) = task else {
        return engine;
    };
    match docker.inspect_task(&task).await {
        Ok(task) => task
            .spec
            .and_then(|spec| spec.resources)
            .and_then(|resources| resources.limits)
            .and_then(|limits| limits.nano_cpus),
        Err(_) => engine,
    }
}

fn network(stats: &ContainerStatsResponse) -> (f64, f64) {
    stats.networks.as_ref().map_or((0.0, 0.0), |networks| {
        networks.values().fold((0.0, 0.0), |(rx, tx), n| {
            (
                rx + n.rx_bytes.unwrap_or(0) as f64,
                tx + n.tx_bytes.unwrap_or(0) as f64,
            )
        })
    })
}

fn cpu(stats: &ContainerStatsResponse) -> Option<(u64, u64, u32)> {
    let c = stats.cpu_stats.as_ref()?;
    Some((
        c.cpu_usage.as_ref()?.total_usage?,
        c.system_cpu_usage?,
        c.online_cpus?,
    ))
}

/// Rates between two entries of one container's stream.
fn figures(
    first: &ContainerStatsResponse,
    second: &ContainerStatsResponse,
    limit: Option<f64>,
) -> Figures {
    let mut figures = Figures::default();
    if let (Some((c1, s1, online)), Some((c2, s2, _))) = (cpu(first), cpu(second))
        && s2 > s1
    {
        // The system counter sums every CPU: the container's share times the CPUs is cores.
        figures.cpu_cores = c2.saturating_sub(c1) as f64 / (s2 - s1) as f64 * f64::from(online);
        figures.cpu_limit_cores = limit.unwrap_or(f64::from(online));
    }
    if let Some(memory) = &second.memory_stats {
        let inactive = memory
            .stats
            .as_ref()
            .and_then(|s| {
                s.get("inactive_file")
                    .or_else(|| s.get("total_inactive_file"))
            })
            .copied()
            .unwrap_or(0);
        figures.memory_bytes = memory.usage.unwrap_or(0).saturating_sub(inactive) as f64;
        figures.memory_limit_bytes = memory.limit.unwrap_or(0) as f64;
    }
    let seconds = match (&first.read, &second.read) {
        (Some(a), Some(b)) => seconds_between(&a.to_string(), &b.to_string()),
        _ => None,
    }
    .filter(|s| *s > 0.0)
    .unwrap_or(1.0);
    let ((rx1, tx1), (rx2, tx2)) = (network(first), network(second));
    figures.rx_bytes_per_sec = (rx2 - rx1).max(0.0) / seconds;
    figures.tx_bytes_per_sec = (tx2 - tx1).max(0.0) / seconds;
    figures
}

fn seconds_between(a: &str, b: &str) -> Option<f64> {
    let a = chrono::DateTime::parse_from_rfc3339(a).ok()?;
    let b = chrono::DateTime::parse_from_rfc3339(b).ok()?;
    Some((b - a).num_microseconds()? as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_from_two_entries() {
        let entry = |cpu: u64, system: u64, rx: u64, read: &str| -> ContainerStatsResponse {
            serde_json::from_value(serde_json::json!({
                "read": read,
                "cpu_stats": {"cpu_usage": {"total_usage": cpu}, "system_cpu_usage": system, "online_cpus": 2},
                "memory_stats": {"usage": 1000, "limit": 4000, "stats": {"inactive_file": 200}},
                "networks": {"eth0": {"rx_bytes": rx, "tx_bytes": rx / 2}}
            }))
            .unwrap()
        };
        let first = entry(1_000_000_000, 10_000_000_000, 1000, "2026-01-01T00:00:00Z");
        let second = entry(1_500_000_000, 12_000_000_000, 3000, "2026-01-01T00:00:02Z");
        let f = figures(&first, &second, Some(0.5));
        assert!((f.cpu_cores - 0.5).abs() < 1e-9, "{f:?}");
        assert_eq!(f.cpu_percent(), 100.0);
        assert_eq!(f.memory_bytes, 800.0);
        assert_eq!(f.rx_bytes_per_sec, 1000.0);
        assert_eq!(f.tx_bytes_per_sec, 500.0);
    }
}
