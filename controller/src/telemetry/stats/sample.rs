//! One container's figures, read from one entry of Docker's stats stream.

use bollard::models::ContainerStatsResponse;

/// What one stats sample says about one container.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ContainerSample {
    /// CPU time used since the container started, in seconds (a counter).
    pub cpu_seconds: f64,
    /// CPU in use between this sample and the previous one, in cores.
    pub cores_used: f64,
    /// Memory in use without the reclaimable page cache, as `docker stats` shows it.
    pub memory_bytes: f64,
    /// The container's memory limit (the host's memory when it has none).
    pub memory_limit_bytes: f64,
    /// Bytes received and sent over every interface since the container started.
    pub rx_bytes: f64,
    pub tx_bytes: f64,
}

/// The figures of one stats entry, or `None` for an entry without CPU figures (the engine
/// sends one with zeros when a container stops).
pub fn read(stats: &ContainerStatsResponse) -> Option<ContainerSample> {
    let cpu = stats.cpu_stats.as_ref()?;
    let total = cpu.cpu_usage.as_ref()?.total_usage?;
    let system = cpu.system_cpu_usage?;
    if system == 0 {
        return None;
    }
    let cores_used = stats
        .precpu_stats
        .as_ref()
        .and_then(|pre| {
            let pre_total = pre.cpu_usage.as_ref()?.total_usage?;
            let pre_system = pre.system_cpu_usage?;
            let online = f64::from(cpu.online_cpus.or(pre.online_cpus)?);
            // The system counter sums every CPU, so the container's share of it times the
            // number of CPUs is cores in use.
            let system_delta = system.checked_sub(pre_system).filter(|d| *d > 0)?;
            let delta = total.saturating_sub(pre_total);
            Some(delta as f64 / system_delta as f64 * online)
        })
        .unwrap_or(0.0);

    let (memory_bytes, memory_limit_bytes) = stats
        .memory_stats
        .as_ref()
        .map(|memory| {
            let usage = memory.usage.unwrap_or(0);
            // cgroup v2 calls it `inactive_file`, v1 `total_inactive_file`: page cache the
            // kernel can drop, which `docker stats` leaves out too.
            let inactive = memory
                .stats
                .as_ref()
                .and_then(|s| {
                    s.get("inactive_file")
                        .or_else(|| s.get("total_inactive_file"))
                })
                .copied()
                .unwrap_or(0);
            (
                usage.saturating_sub(inactive) as f64,
                memory.limit.unwrap_or(0) as f64,
            )
        })
        .unwrap_or((0.0, 0.0));

    let (rx_bytes, tx_bytes) = stats
        .networks
        .as_ref()
        .map(|networks| {
            networks.values().fold((0.0, 0.0), |(rx, tx), n| {
                (
                    rx + n.rx_bytes.unwrap_or(0) as f64,
                    tx + n.tx_bytes.unwrap_or(0) as f64,
                )
            })
        })
        .unwrap_or((0.0, 0.0));

    Some(ContainerSample {
        cpu_seconds: total as f64 / 1e9,
        cores_used,
        memory_bytes,
        memory_limit_bytes,
        rx_bytes,
        tx_bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_memory_and_network() {
        // The shape the engine (API 1.41, cgroup v2) sends, trimmed.
        let stats: ContainerStatsResponse = serde_json::from_value(serde_json::json!({
            "read": "2026-11-26T09:00:01Z",
            "cpu_stats": {"cpu_usage": {"total_usage": 3_000_000_000u64}, "system_cpu_usage": 20_000_000_000u64, "online_cpus": 2},
            "precpu_stats": {"cpu_usage": {"total_usage": 2_500_000_000u64}, "system_cpu_usage": 18_000_000_000u64, "online_cpus": 2},
            "memory_stats": {"usage": 100_000_000u64, "limit": 536_870_912u64, "stats": {"inactive_file": 20_000_000u64}},
            "networks": {"eth0": {"rx_bytes": 1000, "tx_bytes": 2000}, "eth1": {"rx_bytes": 10, "tx_bytes": 20}}
        }))
        .unwrap();
        let sample = read(&stats).unwrap();
        assert_eq!(sample.cpu_seconds, 3.0);
        // 0.5 s of CPU over 2 s of system time on 2 CPUs (1 s of wall time): half a core.
        assert!((sample.cores_used - 0.5).abs() < 1e-9, "{sample:?}");
        assert_eq!(sample.memory_bytes, 80_000_000.0);
        assert_eq!(sample.memory_limit_bytes, 536_870_912.0);
        assert_eq!(sample.rx_bytes, 1010.0);
        assert_eq!(sample.tx_bytes, 2020.0);
    }

    #[test]
    fn a_stopped_container_entry_is_skipped() {
        let stats: ContainerStatsResponse = serde_json::from_value(serde_json::json!({
            "cpu_stats": {"cpu_usage": {"total_usage": 0}, "system_cpu_usage": 0}
        }))
        .unwrap();
        assert_eq!(read(&stats), None);
    }
}
