//! The steady-state cost of a no-op resync over N tenants (500): controller CPU time and
//! Docker Engine API requests per resync.
//!
//! Measured in process: the controller's own loop (`runner::run`, 4 workers as deployed)
//! runs in this bench against an in-memory store and the real MariaDB, S3 and Swarm. N
//! stopped tenants are provisioned for real (database, user, bucket, two secrets, volume and a
//! service at 0 replicas), then every tenant is put on the change feed at once — what the
//! periodic resync does — and the pass is measured until N reconciles have finished: CPU time
//! of this process (`/proc/self/stat`; nothing else in it is busy meanwhile) and the
//! `swarmpress_docker_requests_total` counter of the controller's Swarm client. The deployed
//! controller is not used because its store is shared with everything else on the platform
//! and its process cannot be isolated from its other work; this one does nothing else.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use swarmpress_controller::adapters::swarm::DOCKER_REQUESTS_METRIC;
use swarmpress_controller::reconcile::Context;
use swarmpress_controller::runtime::runner::{RunSettings, run as run_controller};
use swarmpress_controller::telemetry::metrics::Metrics;
use swarmpress_controller::views::snapshot::Observer;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{Phase, TenantSpec, TenantState};
use tokio_util::sync::CancellationToken;

use swarmpress_testkit::stats::{median, secs};

use crate::{BenchError, Platform, env_count, setup};
use swarmpress_controller::store::memory::{MemoryStore as BenchStore, example_spec};

const NAME: &str = "noop_resync_cost";
const TARGET_CPU_MS: f64 = 50.0;
const PASS_TIMEOUT: Duration = Duration::from_secs(300);
const DELETE_TIMEOUT: Duration = Duration::from_secs(600);
const WORKERS: usize = 4;

fn context(platform: &Platform, store: BenchStore) -> Result<Arc<Context<BenchStore>>, BenchError> {
    let metrics = Metrics::new().map_err(|e| setup(e.to_string()))?;
    let swarm = platform
        .swarm
        .clone()
        .counting_requests(metrics.registry())
        .map_err(|e| setup(e.to_string()))?;
    Ok(Arc::new(Context {
        store,
        databases: platform.databases.clone(),
        buckets: platform.buckets.clone(),
        identities: platform.identities.clone(),
        observer: Observer::new(
            swarm.clone(),
            Duration::from_secs(1),
            swarmpress_controller::adapters::swarm::EDGE_NETWORK,
        ),
        readiness: swarmpress_controller::views::readiness::Readiness::new(platform.prober()?),
        swarm,
        metrics,
        // Tests and benches start their sites at their own pace.
        admission: swarmpress_controller::reconcile::admission::Admission::new(64),
        desired: Default::default(),
        database_recovery: Default::default(),
        // Only the bench's own trigger starts a pass: no requeue or resync meanwhile.
        settings: platform.settings(Duration::from_secs(3600)),
    }))
}

fn stopped_spec(name: &TenantName) -> TenantSpec {
    TenantSpec {
        state: TenantState::Stopped,
        ..example_spec(&format!("Resync {name}"))
    }
}

/// Seconds of CPU (user + system) this process has used, dead threads included.
fn process_cpu_seconds(ticks_per_second: f64) -> Result<f64, BenchError> {
    let stat = std::fs::read_to_string("/proc/self/stat")
        .map_err(|e| setup(format!("/proc/self/stat: {e}")))?;
    // Fields after the command name (which may hold spaces) start at field 3 (`state`);
    // utime and stime are fields 14 and 15.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or_else(|| setup("unexpected /proc/self/stat"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |index: usize| -> Result<f64, BenchError> {
        fields
            .get(index)
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| setup("unexpected /proc/self/stat"))
    };
    Ok((field(11)? + field(12)?) / ticks_per_second)
}

fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

fn total(values: &BTreeMap<String, u64>) -> u64 {
    values.values().sum()
}

fn delta(after: &BTreeMap<String, u64>, before: &BTreeMap<String, u64>) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, v)| (k.clone(), v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, v)| *v > 0)
        .collect()
}

struct Pass {
    cpu_ms: f64,
    docker: BTreeMap<String, u64>,
    seconds: f64,
    status_writes: u64,
}

async fn measure_pass(
    ctx: &Context<BenchStore>,
    store: &BenchStore,
    count: usize,
    ticks: f64,
) -> Result<Pass, BenchError> {
    let reconciles_before = total(
        &ctx.metrics
            .counters_by_first_label("swarmpress_reconcile_total"),
    );
    let docker_before = ctx.metrics.counters_by_first_label(DOCKER_REQUESTS_METRIC);
    let writes_before = store.status_writes();
    let cpu_before = process_cpu_seconds(ticks)?;
    let started = Instant::now();
    // What the periodic resync does first: every bulk view is listed afresh for the pass, so
    // each pass pays for its listings (Docker, MariaDB, S3) rather than reusing the last one's.
    ctx.invalidate_views();
    store.touch_all();
    let target = reconciles_before + u64::try_from(count).unwrap_or(u64::MAX);
    while total(
        &ctx.metrics
            .counters_by_first_label("swarmpress_reconcile_total"),
    ) < target
    {
        if started.elapsed() > PASS_TIMEOUT {
            return Err(BenchError::Timeout {
                what: "a resync pass to finish".to_owned(),
                after: PASS_TIMEOUT,
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seconds = secs(started.elapsed());
    let cpu_ms = (process_cpu_seconds(ticks)? - cpu_before) * 1000.0;
    Ok(Pass {
        cpu_ms: cpu_ms.round(),
        docker: delta(
            &ctx.metrics.counters_by_first_label(DOCKER_REQUESTS_METRIC),
            &docker_before,
        ),
        seconds,
        status_writes: store.status_writes() - writes_before,
    })
}

async fn wait_for(
    store: &BenchStore,
    what: &str,
    timeout: Duration,
    done: impl Fn(&BenchStore) -> bool,
) -> Result<f64, BenchError> {
    let started = Instant::now();
    while !done(store) {
        if started.elapsed() > timeout {
            // Say where it stands: the first tenant not there yet, with its status.
            let stuck = store
                .snapshot()
                .into_iter()
                .find(|t| t.status.phase != Phase::Stopped)
                .map(|t| format!("; e.g. {}: {:?}", t.metadata.name, t.status))
                .unwrap_or_default();
            return Err(BenchError::Timeout {
                what: format!("{what}{stuck}"),
                after: timeout,
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(secs(started.elapsed()))
}

pub async fn run(platform: &Platform) -> Result<Value, BenchError> {
    let count = env_count("SWARMPRESS_BENCH_RESYNC_TENANTS", 500);
    let passes = env_count("SWARMPRESS_BENCH_RESYNC_PASSES", 3).max(1);
    let ticks = clock_ticks();
    let store = BenchStore::default();
    let ctx = context(platform, store.clone())?;
    let shutdown = CancellationToken::new();
    let controller = tokio::spawn(run_controller(
        Arc::clone(&ctx),
        RunSettings {
            holder: "bench-resync".to_owned(),
            lease_ttl: Duration::from_secs(10),
            workers: WORKERS,
            feed_poll: Duration::from_millis(250),
            resync: Duration::from_secs(3600),
        },
        shutdown.clone(),
    ));
    let run_id = swarmpress_testkit::random_suffix(6);
    let outcome = async {
        for i in 0..count {
            let name = TenantName::parse(format!("rs-{run_id}-{i:03}"))
                .map_err(|e| setup(e.to_string()))?;
            store.create(&name, stopped_spec(&name), "bench-admin-password");
        }
        // Overridable, so a trial run on a broken platform fails fast.
        let provision_timeout = Duration::from_secs(
            u64::try_from(env_count("SWARMPRESS_BENCH_RESYNC_TIMEOUT", 600)).unwrap_or(600),
        );
        let provision_seconds = wait_for(&store, "the tenants to be Stopped", provision_timeout, |s| {
            s.snapshot().iter().all(|t| {
                t.status.phase == Phase::Stopped
                    && t.status.observed_generation == t.metadata.generation
            })
        })
        .await?;
        println!("resync: {count} stopped tenants provisioned in process in {provision_seconds:.1} s");
        // Converging tenants requeue after 2 s; let the last of them settle.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let mut results = Vec::new();
        for pass in 1..=passes {
            let measured = measure_pass(&ctx, &store, count, ticks).await?;
            println!(
                "resync pass {pass}/{passes}: {:.0} ms CPU, {} Docker requests {:?}, {:.2} s, {} status writes",
                measured.cpu_ms,
                total(&measured.docker),
                measured.docker,
                measured.seconds,
                measured.status_writes
            );
            results.push(measured);
        }
        Ok::<_, BenchError>((provision_seconds, results))
    }
    .await;

    let deleted = Instant::now();
    store.mark_all_deleted();
    let cleanup = wait_for(&store, "the tenants to be deleted", DELETE_TIMEOUT, |s| {
        s.snapshot().is_empty()
    })
    .await;
    println!(
        "resync: {count} tenants deleted in {:.1} s",
        deleted.elapsed().as_secs_f64()
    );
    shutdown.cancel();
    controller
        .await
        .map_err(|e| setup(format!("controller loop: {e}")))?;
    let (provision_seconds, results) = outcome?;
    cleanup?;

    let cpu: Vec<f64> = results.iter().map(|p| p.cpu_ms).collect();
    let calls: Vec<f64> = results.iter().map(|p| total(&p.docker) as f64).collect();
    let cpu_median = median(&cpu);
    let calls_median = median(&calls);
    Ok(json!({
        "name": NAME,
        "unit": "ms",
        "tenants": count,
        "samples": cpu,
        "median": cpu_median,
        "target": TARGET_CPU_MS,
        "cpuMsPerTenant": cpu_median / (count.max(1) as f64),
        "dockerRequestsPerResync": calls,
        "dockerRequestsMedian": calls_median,
        "dockerRequestsPerTenant": calls_median / (count.max(1) as f64),
        "dockerRequestsByOperation": results.last().map(|p| p.docker.clone()),
        "passSeconds": results.iter().map(|p| p.seconds).collect::<Vec<_>>(),
        "statusWritesPerResync": results.iter().map(|p| p.status_writes).collect::<Vec<_>>(),
        "provisionSeconds": provision_seconds,
        "buildProfile": if cfg!(debug_assertions) { "debug" } else { "release" },
        "notes": "in-process controller loop (4 workers) over an in-memory store and the real \
                  MariaDB, S3 and Swarm; N stopped tenants fully provisioned; one pass = every \
                  tenant queued at once after every bulk view was invalidated (as the 30 s \
                  resync does) until N reconciles finished; \
                  CPU = utime+stime of the bench process over the pass (10 ms ticks); Docker \
                  requests = swarmpress_docker_requests_total of the controller's Swarm client \
                  (the event stream is one long-lived request, not counted); the orphan pass \
                  that follows each real resync is not included",
    }))
}
