//! A container's CPU, memory and network read straight from the kernel's files, the way
//! cAdvisor does: its cgroup's accounting (v1 or v2, whichever the host runs) and its network
//! namespace's interface counters (`/proc/<pid>/net/dev`).
//!
//! A one-shot stats request had the engine do the same reads, by way of dockerd, containerd
//! and the container's shim (a ttrpc call each) — for every container, every 10 s. Reading
//! the files costs the kernel a few reads and no other process anything. The files are the
//! host's: the controller's container mounts `/proc` and `/sys/fs/cgroup` read-only under
//! [`HostFiles::root`] (`SWARMPRESS_HOST_ROOT`). A container on another node, or a host whose
//! layout is not understood, has no such files: the sampler then asks the engine instead.

use std::path::{Path, PathBuf};

use tokio::time::Instant;

/// Memory "limits" at or past this mean none (cgroup v1 reports `PAGE_COUNTER_MAX` pages).
const NO_LIMIT: u64 = 1 << 62;

/// One reading of a container's counters, timed by the reader's monotonic clock.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reading {
    pub at: Instant,
    /// CPU time used since the container started, in nanoseconds.
    pub cpu_nanos: u64,
    /// Memory in use without the reclaimable page cache (as `docker stats` shows it).
    pub memory_bytes: u64,
    /// `None` when the cgroup has no memory limit.
    pub memory_limit_bytes: Option<u64>,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
}

/// Where the host's `/proc` and `/sys/fs/cgroup` are seen from this process.
#[derive(Debug, Clone)]
pub struct HostFiles {
    root: PathBuf,
}

/// Where one container's files are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerFiles {
    /// The directory holding the CPU accounting (`cpu.stat` on v2, `cpuacct.usage` on v1).
    cpu: PathBuf,
    /// The directory holding `memory.stat` and the usage and limit files.
    memory: PathBuf,
    unified: bool,
    /// `/proc/<pid>/net/dev` of the container's first process.
    net_dev: PathBuf,
}

impl HostFiles {
    /// `root` is `/` when this process sees the host's files in place.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the files of the container whose first process is `pid` are, from that
    /// process's `/proc/<pid>/cgroup`; `None` when the process is not on this host (or gone).
    pub async fn locate(&self, pid: i64) -> Option<ContainerFiles> {
        if pid <= 0 {
            return None;
        }
        let proc_dir = self.root.join("proc").join(pid.to_string());
        let cgroups = tokio::fs::read_to_string(proc_dir.join("cgroup"))
            .await
            .ok()?;
        let cgroup_root = self.root.join("sys/fs/cgroup");
        let files = locate_in(&cgroup_root, &cgroups, proc_dir.join("net/dev"))?;
        // The layout is only trusted once its files answer.
        read(&files).await.map(|_| files)
    }
}

/// The directories named by a `/proc/<pid>/cgroup` listing under `cgroup_root`.
fn locate_in(cgroup_root: &Path, listing: &str, net_dev: PathBuf) -> Option<ContainerFiles> {
    let mut cpu = None;
    let mut memory = None;
    let mut unified = None;
    for line in listing.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let path = path.trim_start_matches('/');
        if controllers.is_empty() {
            unified = Some(cgroup_root.join(path));
            continue;
        }
        for controller in controllers.split(',') {
            match controller {
                "cpuacct" => cpu = Some(cgroup_root.join(controllers).join(path)),
                "memory" => memory = Some(cgroup_root.join(controllers).join(path)),
                _ => {}
            }
        }
    }
    match (cpu, memory, unified) {
        (Some(cpu), Some(memory), _) => Some(ContainerFiles {
            cpu,
            memory,
            unified: false,
            net_dev,
        }),
        (_, _, Some(dir)) => Some(ContainerFiles {
            cpu: dir.clone(),
            memory: dir,
            unified: true,
            net_dev,
        }),
        _ => None,
    }
}

/// The container's counters now; `None` once its files are gone (it stopped).
pub async fn read(files: &ContainerFiles) -> Option<Reading> {
    let at = Instant::now();
    let (cpu_nanos, usage, limit, stat) = if files.unified {
        let cpu_stat = tokio::fs::read_to_string(files.cpu.join("cpu.stat"))
            .await
            .ok()?;
        let micros = field(&cpu_stat, "usage_usec")?;
        (
            micros.saturating_mul(1000),
            number(&files.memory.join("memory.current")).await?,
            tokio::fs::read_to_string(files.memory.join("memory.max"))
                .await
                .ok()
                .and_then(|max| max.trim().parse::<u64>().ok()),
            tokio::fs::read_to_string(files.memory.join("memory.stat"))
                .await
                .ok()?,
        )
    } else {
        (
            number(&files.cpu.join("cpuacct.usage")).await?,
            number(&files.memory.join("memory.usage_in_bytes")).await?,
            number(&files.memory.join("memory.limit_in_bytes")).await,
            tokio::fs::read_to_string(files.memory.join("memory.stat"))
                .await
                .ok()?,
        )
    };
    // Page cache the kernel can drop, which `docker stats` leaves out too (v1 names the
    // hierarchy's total `total_inactive_file`).
    let inactive = field(&stat, "total_inactive_file")
        .or_else(|| field(&stat, "inactive_file"))
        .unwrap_or(0);
    let (rx_bytes, tx_bytes) = tokio::fs::read_to_string(&files.net_dev)
        .await
        .ok()
        .map_or((0, 0), |dev| network_totals(&dev));
    Some(Reading {
        at,
        cpu_nanos,
        memory_bytes: usage.saturating_sub(inactive),
        memory_limit_bytes: limit.filter(|limit| *limit < NO_LIMIT),
        rx_bytes,
        tx_bytes,
    })
}

async fn number(path: &Path) -> Option<u64> {
    tokio::fs::read_to_string(path)
        .await
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The value of `name` in a flat-keyed file (`name value` per line).
fn field(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(' ')?;
        (key == name).then(|| value.trim().parse().ok())?
    })
}

/// Bytes received and sent over every interface but the loopback.
fn network_totals(net_dev: &str) -> (u64, u64) {
    net_dev
        .lines()
        .skip(2)
        .filter_map(|line| {
            let (name, counters) = line.split_once(':')?;
            if name.trim() == "lo" {
                return None;
            }
            let counters: Vec<u64> = counters
                .split_whitespace()
                .map(|value| value.parse().unwrap_or(0))
                .collect();
            Some((*counters.first()?, *counters.get(8)?))
        })
        .fold((0, 0), |(rx, tx), (r, t)| (rx + r, tx + t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v1_listing_names_the_cpuacct_and_memory_directories() {
        let listing = "12:pids:/docker/abc\n4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n\
                       1:name=systemd:/docker/abc\n0::/docker/abc\n";
        let files = locate_in(Path::new("/h/sys/fs/cgroup"), listing, "/h/net".into()).unwrap();
        assert!(!files.unified);
        assert_eq!(
            files.cpu,
            Path::new("/h/sys/fs/cgroup/cpu,cpuacct/docker/abc")
        );
        assert_eq!(
            files.memory,
            Path::new("/h/sys/fs/cgroup/memory/docker/abc")
        );
    }

    #[test]
    fn a_v2_listing_names_the_unified_directory() {
        let listing = "0::/system.slice/docker-abc.scope\n";
        let files = locate_in(Path::new("/sys/fs/cgroup"), listing, "/net".into()).unwrap();
        assert!(files.unified);
        assert_eq!(
            files.cpu,
            Path::new("/sys/fs/cgroup/system.slice/docker-abc.scope")
        );
        assert_eq!(files.memory, files.cpu);
        assert_eq!(locate_in(Path::new("/x"), "garbage\n", "/n".into()), None);
    }

    #[test]
    fn network_totals_leave_out_the_loopback() {
        let dev = "Inter-|   Receive                                                |  Transmit\n \
                   face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n    \
                   lo:    5000      10    0    0    0     0          0         0     5000      10    0    0    0     0       0          0\n  \
                   eth0:    1000       7    0    0    0     0          0         0     2000       9    0    0    0     0       0          0\n  \
                   eth1:      10       1    0    0    0     0          0         0       20       1    0    0    0     0       0          0\n";
        assert_eq!(network_totals(dev), (1010, 2020));
    }

    #[test]
    fn flat_keyed_fields_are_found_by_exact_name() {
        let stat = "cache 10\ninactive_file 300\ntotal_inactive_file 700\n";
        assert_eq!(field(stat, "total_inactive_file"), Some(700));
        assert_eq!(field(stat, "inactive_file"), Some(300));
        assert_eq!(field(stat, "active_file"), None);
    }
}
