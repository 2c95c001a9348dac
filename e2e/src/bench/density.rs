//! Density: what an idle site costs. For each step of running sites (0, then more, added with
//! one `POST /apply` each and waited for until all are Running and Available), after a settle
//! period the whole machine's CPU (`/proc/stat`), the container engine's (`dockerd`,
//! `containerd`, the shims and `runc` from `/proc/<pid>/stat`, with the children they reaped:
//! each exec's `runc` and health-probe command) and each tenant container's
//! memory (its cgroup, without reclaimable page cache) are read over a window; the cost per
//! site is the step's CPU minus the empty step's, divided by the sites. At the last step the
//! API's `GET /tenants` latency is sampled (p99). Each step's apply is also a burst: the time
//! until all its sites are Available, the API's `GET /tenants` p99 while they start, and how
//! many of the platform's own tasks were replaced meanwhile (a restart on a failed health check
//! shows as a new task) are reported with it, next to the machine's own floor: the p99 of the
//! same sequential requests to a trivial HTTP server in this process on loopback, sampled
//! side by side (no API, edge or database behind it — only the host's scheduling of two
//! processes while the burst saturates both cores).
//!
//! `SWARMPRESS_BENCH_DENSITY_STEPS` (default `0,25,50,100`)
//! and `SWARMPRESS_BENCH_DENSITY_WINDOW` (seconds, default 60) shape the run; every site is
//! deleted at the end whatever the outcome.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use swarmpress_e2e::{Api, Platform, random_lowercase};
use swarmpress_schema::TenantName;
use swarmpress_testkit::stats::{median, secs};

use super::scale::{is_available, is_current, manifest};
use super::{BenchError, env_count};

const NAME: &str = "density_idle_cost";
const POLL: Duration = Duration::from_secs(2);
const READY_TIMEOUT: Duration = Duration::from_secs(600);
const SETTLE: Duration = Duration::from_secs(15);
const DELETE_TIMEOUT: Duration = Duration::from_secs(900);
/// The engine's processes: their CPU is the platform's price for each container it runs.
const ENGINE: &[&str] = &["dockerd", "containerd", "containerd-shim", "runc"];

fn steps() -> Vec<usize> {
    let steps: Vec<usize> = std::env::var("SWARMPRESS_BENCH_DENSITY_STEPS")
        .unwrap_or_else(|_| "0,25,50,100".to_owned())
        .split(',')
        .filter_map(|step| step.trim().parse().ok())
        .collect();
    let mut steps = if steps.is_empty() {
        vec![0, 25, 50, 100]
    } else {
        steps
    };
    steps.sort_unstable();
    steps.dedup();
    if steps.first() != Some(&0) {
        steps.insert(0, 0);
    }
    steps
}

/// Clock ticks per second of `/proc`'s CPU figures (Linux reports USER_HZ = 100 everywhere).
const TICKS_PER_SECOND: f64 = 100.0;

/// Busy and total ticks of the whole machine (`cpu` line of `/proc/stat`).
fn machine_ticks() -> Result<(u64, u64), BenchError> {
    let stat = std::fs::read_to_string("/proc/stat").map_err(io("/proc/stat"))?;
    let line = stat
        .lines()
        .next()
        .ok_or_else(|| BenchError::Measure("/proc/stat is empty".to_owned()))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|field| field.parse().ok())
        .collect();
    let total: u64 = fields.iter().take(8).sum();
    // idle and iowait are fields 4 and 5.
    let idle = fields.get(3).copied().unwrap_or(0) + fields.get(4).copied().unwrap_or(0);
    Ok((total - idle, total))
}

fn io(what: &'static str) -> impl Fn(std::io::Error) -> BenchError {
    move |error| BenchError::Measure(format!("{what}: {error}"))
}

/// CPU ticks (user + system) of every process whose name starts with one of `ENGINE`.
fn engine_ticks() -> HashMap<u32, u64> {
    let mut ticks = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return ticks;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state …`: comm may hold spaces, so split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        if !ENGINE.iter().any(|name| comm.starts_with(name)) {
            continue;
        }
        let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
        // After the comm: state is field 0, utime 11, stime 12, and the CPU of reaped
        // children (cutime 13, cstime 14): the `runc` of every exec and the probe commands,
        // which the shims reap and which would otherwise end unseen within the window.
        let used: u64 = (11..=14)
            .map(|field| {
                fields
                    .get(field)
                    .and_then(|f| f.parse::<u64>().ok())
                    .unwrap_or(0)
            })
            .sum();
        ticks.insert(pid, used);
    }
    ticks
}

/// Ticks used between two readings, over processes present in both (a process that started
/// within the window counts from zero; one that ended is lost, a small undercount).
fn engine_delta(before: &HashMap<u32, u64>, after: &HashMap<u32, u64>) -> u64 {
    after
        .iter()
        .map(|(pid, used)| used.saturating_sub(before.get(pid).copied().unwrap_or(0)))
        .sum()
}

/// A container's memory without reclaimable page cache, from its cgroup (v1 or v2).
fn container_memory(id: &str) -> Option<f64> {
    let v1 = format!("/sys/fs/cgroup/memory/docker/{id}");
    let v2 = format!("/sys/fs/cgroup/system.slice/docker-{id}.scope");
    let (usage, stat, inactive_key) = if std::path::Path::new(&v1).exists() {
        (
            std::fs::read_to_string(format!("{v1}/memory.usage_in_bytes")).ok()?,
            std::fs::read_to_string(format!("{v1}/memory.stat")).ok()?,
            "total_inactive_file",
        )
    } else {
        (
            std::fs::read_to_string(format!("{v2}/memory.current")).ok()?,
            std::fs::read_to_string(format!("{v2}/memory.stat")).ok()?,
            "inactive_file",
        )
    };
    let usage: f64 = usage.trim().parse().ok()?;
    let inactive: f64 = stat
        .lines()
        .find_map(|line| line.strip_prefix(inactive_key)?.trim().parse().ok())
        .unwrap_or(0.0);
    Some(usage - inactive)
}

struct Measured {
    busy_ms_per_s: f64,
    busy_percent: f64,
    engine_ms_per_s: f64,
}

async fn measure(window: Duration) -> Result<Measured, BenchError> {
    let (busy0, total0) = machine_ticks()?;
    let engine0 = engine_ticks();
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let elapsed = started.elapsed().as_secs_f64();
    let (busy1, total1) = machine_ticks()?;
    let engine1 = engine_ticks();
    let busy = (busy1 - busy0) as f64;
    let total = (total1 - total0).max(1) as f64;
    Ok(Measured {
        busy_ms_per_s: busy / TICKS_PER_SECOND * 1000.0 / elapsed,
        busy_percent: busy / total * 100.0,
        engine_ms_per_s: engine_delta(&engine0, &engine1) as f64 / TICKS_PER_SECOND * 1000.0
            / elapsed,
    })
}

/// The running tasks of the platform's own services (the stack's, not tenants').
async fn platform_tasks(platform: &Platform) -> Result<HashSet<String>, BenchError> {
    let filters = HashMap::from([("label", vec!["com.docker.stack.namespace=swarmpress"])]);
    let options = bollard::query_parameters::ListServicesOptionsBuilder::new()
        .filters(&filters)
        .build();
    let services: HashSet<String> = platform
        .docker
        .list_services(Some(options))
        .await?
        .into_iter()
        .filter_map(|service| service.id)
        .collect();
    let filters = HashMap::from([("desired-state", vec!["running"])]);
    let options = bollard::query_parameters::ListTasksOptionsBuilder::new()
        .filters(&filters)
        .build();
    Ok(platform
        .docker
        .list_tasks(Some(options))
        .await?
        .into_iter()
        .filter(|task| {
            task.service_id
                .as_ref()
                .is_some_and(|id| services.contains(id))
        })
        .filter_map(|task| task.id)
        .collect())
}

/// What the API's latency is compared with while sites start: p99s in ms of the API's
/// `GET /tenants` and of the host's floor (see the module's note).
struct BurstLatency {
    api_p99: f64,
    floor_p99: f64,
}

/// Waits until `count` sites are Available, sampling `GET /tenants` and the loopback floor
/// one request at a time meanwhile: (seconds until all were, the latencies).
async fn wait_available(
    api: &Api,
    selector: &str,
    count: usize,
) -> Result<(f64, BurstLatency), BenchError> {
    let floor = FloorServer::start()?;
    let client = reqwest::Client::new();
    let done = std::sync::atomic::AtomicBool::new(false);
    let sampler = async {
        let mut api_times = Vec::new();
        let mut floor_times = Vec::new();
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let started = Instant::now();
            api.tenants(selector).await?;
            api_times.push(started.elapsed().as_secs_f64() * 1000.0);
            let started = Instant::now();
            client.get(&floor.url).send().await?.bytes().await?;
            floor_times.push(started.elapsed().as_secs_f64() * 1000.0);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok::<_, BenchError>(BurstLatency {
            api_p99: p99(api_times),
            floor_p99: p99(floor_times),
        })
    };
    let waiter = async {
        let result = wait_all_available(api, selector, count).await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        result
    };
    let (ready, latency) = tokio::join!(waiter, sampler);
    Ok((ready?, latency?))
}

/// A trivial HTTP/1.1 server on loopback answering every request with `ok`: the latency of
/// asking it is the host's floor under load. Plain threads, so that it is scheduled like any
/// other process's thread rather than behind this process's async tasks. The threads end
/// with the process (a bench run is short-lived).
struct FloorServer {
    url: String,
}

impl FloorServer {
    fn start() -> Result<Self, BenchError> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io("floor server"))?;
        let addr = listener.local_addr().map_err(io("floor server"))?;
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve_floor(stream));
            }
        });
        Ok(Self {
            url: format!("http://{addr}/"),
        })
    }
}

/// Answers requests on one keep-alive connection until the client closes it.
fn serve_floor(mut stream: std::net::TcpStream) {
    use std::io::{Read as _, Write as _};
    let mut buffer = [0_u8; 4096];
    let mut pending = Vec::new();
    loop {
        let Ok(read) = stream.read(&mut buffer) else {
            return;
        };
        if read == 0 {
            return;
        }
        pending.extend_from_slice(&buffer[..read]);
        // Requests without a body: each ends at its blank line.
        while let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            pending.drain(..end + 4);
            if stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                .is_err()
            {
                return;
            }
        }
    }
}

async fn wait_all_available(api: &Api, selector: &str, count: usize) -> Result<f64, BenchError> {
    let started = Instant::now();
    loop {
        let tenants = api.tenants(selector).await?;
        let available = tenants
            .iter()
            .filter(|t| is_current(t) && is_available(t))
            .count();
        if available >= count {
            return Ok(secs(started.elapsed()));
        }
        if started.elapsed() > READY_TIMEOUT {
            return Err(BenchError::Timeout {
                what: format!("{count} sites Available ({available} are)"),
                after: READY_TIMEOUT,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// `GET /tenants` latency, one request at a time (ms, p99 of `samples`).
async fn api_get_p99(api: &Api, selector: &str, samples: usize) -> Result<f64, BenchError> {
    let mut times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let started = Instant::now();
        api.tenants(selector).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(p99(times))
}

fn p99(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    let rank = (times.len() * 99).div_ceil(100).max(1);
    times.get(rank - 1).copied().unwrap_or(f64::NAN)
}

pub async fn run(api: &Api, platform: &Platform) -> Result<Value, BenchError> {
    let steps = steps();
    let window = Duration::from_secs(
        u64::try_from(env_count("SWARMPRESS_BENCH_DENSITY_WINDOW", 60)).unwrap_or(60),
    );
    let run = random_lowercase(6)?;
    let selector = format!("bench={run}");
    let most = steps.iter().copied().max().unwrap_or(0);
    let names: Vec<String> = (0..most).map(|i| format!("de-{run}-{i:03}")).collect();
    let outcome = async {
        // The empty machine, then every site in one apply (the burst), then down through the
        // steps by deleting: one burst gives every step's figure, and deleting is cheaper than
        // creating again.
        tokio::time::sleep(SETTLE).await;
        let baseline = measure(window).await?;
        let mut results = vec![step_entry(0, &baseline, &baseline, &[])];
        println!(
            "density: 0 sites: machine {:.1} % busy ({:.0} ms/s), engine {:.0} ms/s",
            baseline.busy_percent, baseline.busy_ms_per_s, baseline.engine_ms_per_s
        );
        let mut burst = Value::Null;
        let mut api_p99 = f64::NAN;
        if most > 0 {
            let before = platform_tasks(platform).await?;
            api.apply(manifest(&names, &run, "Running")).await?;
            let (ready_seconds, latency) = wait_available(api, &selector, most).await?;
            let restarts = platform_tasks(platform).await?.difference(&before).count();
            println!(
                "density: {most} sites started in one apply: all Available after \
                 {ready_seconds:.1} s, GET /tenants p99 {:.1} ms meanwhile (the host's \
                 loopback floor {:.1} ms), {restarts} platform tasks replaced",
                latency.api_p99, latency.floor_p99
            );
            burst = json!({
                "sites": most,
                "readySeconds": ready_seconds,
                "apiGetP99MsWhileStarting": latency.api_p99,
                "hostFloorP99MsWhileStarting": latency.floor_p99,
                "platformTasksReplaced": restarts,
            });
        }
        let mut running = most;
        for &sites in steps.iter().rev().filter(|&&sites| sites > 0) {
            if sites < running {
                for name in &names[sites..running] {
                    api.delete(name).await?;
                }
                wait_count(api, &selector, sites).await?;
                running = sites;
            }
            tokio::time::sleep(SETTLE).await;
            let measured = measure(window).await?;
            let mut memory = Vec::new();
            for name in &names[..sites] {
                let Ok(tenant) = TenantName::parse(name.as_str()) else {
                    continue;
                };
                for id in platform.running_containers(&tenant).await? {
                    if let Some(bytes) = container_memory(&id) {
                        memory.push(bytes / (1024.0 * 1024.0));
                    }
                }
            }
            if sites == most {
                api_p99 = api_get_p99(api, &selector, 200).await?;
            }
            let entry = step_entry(sites, &measured, &baseline, &memory);
            println!(
                "density: {sites} sites: machine {:.1} % busy ({:.0} ms/s), engine {:.0} ms/s, \
                 {:.1} ms/s and {:.1} ms/s of engine per site, memory median {:.1} MiB",
                measured.busy_percent,
                measured.busy_ms_per_s,
                measured.engine_ms_per_s,
                entry["cpuMsPerSecondPerSite"].as_f64().unwrap_or(f64::NAN),
                entry["engineCpuMsPerSecondPerSite"]
                    .as_f64()
                    .unwrap_or(f64::NAN),
                median(&memory)
            );
            results.push(entry);
        }
        results.sort_by_key(|step| step["sites"].as_u64().unwrap_or(0));
        let last = results.last().cloned().unwrap_or(Value::Null);
        Ok::<_, BenchError>(json!({
            "name": NAME,
            "unit": "ms/s",
            "value": last["cpuMsPerSecondPerSite"],
            "target": 2.0,
            "windowSeconds": window.as_secs(),
            "apiGetP99Ms": api_p99,
            "burst": burst,
            "steps": results,
            "notes": "whole-machine CPU (/proc/stat) and the engine's (dockerd, containerd, \
                      shims, runc) over the window after a 15 s settle, minus the empty step's, \
                      per running idle site (one replica, no traffic); the sites are applied in \
                      one burst (time until all are Available, GET /tenants p99 meanwhile and \
                      the host's floor: a trivial loopback HTTP server's p99 sampled alongside, \
                      platform tasks replaced), then deleted down through the steps; memory \
                      from each tenant container's cgroup without inactive page cache; API p99 \
                      of 200 sequential GET /tenants with the most sites",
        }))
    }
    .await;
    let cleanup = api.delete_all(&selector, DELETE_TIMEOUT).await;
    let entry = outcome?;
    cleanup?;
    Ok(entry)
}

/// One step's report entry: its figures, and per site the CPU above the empty machine's.
fn step_entry(sites: usize, measured: &Measured, baseline: &Measured, memory: &[f64]) -> Value {
    let per_site = |now: f64, then: f64| {
        if sites == 0 {
            0.0
        } else {
            (now - then) / sites as f64
        }
    };
    json!({
        "sites": sites,
        "machineBusyPercent": measured.busy_percent,
        "machineCpuMsPerSecond": measured.busy_ms_per_s,
        "engineCpuMsPerSecond": measured.engine_ms_per_s,
        "cpuMsPerSecondPerSite": per_site(measured.busy_ms_per_s, baseline.busy_ms_per_s),
        "engineCpuMsPerSecondPerSite": per_site(measured.engine_ms_per_s, baseline.engine_ms_per_s),
        "memoryMiBMedian": if memory.is_empty() { Value::Null } else { json!(median(memory)) },
    })
}

/// Waits until the run's tenants number at most `count` (the deleted ones' records go last,
/// after every resource of theirs).
async fn wait_count(api: &Api, selector: &str, count: usize) -> Result<(), BenchError> {
    let started = Instant::now();
    loop {
        let left = api.tenants(selector).await?.len();
        if left <= count {
            return Ok(());
        }
        if started.elapsed() > DELETE_TIMEOUT {
            return Err(BenchError::Timeout {
                what: format!("{count} sites left ({left} are)"),
                after: DELETE_TIMEOUT,
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_ticks_count_only_processes_seen_in_both_readings_or_new() {
        let before = HashMap::from([(1, 100), (2, 50)]);
        let after = HashMap::from([(1, 130), (3, 5)]);
        assert_eq!(engine_delta(&before, &after), 35);
    }

    #[test]
    fn the_machine_reading_is_busy_at_most_total() {
        let (busy, total) = machine_ticks().unwrap();
        assert!(busy <= total && total > 0);
    }
}
