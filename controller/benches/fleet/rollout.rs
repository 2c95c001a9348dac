//! Rollout: a fleet rollout of N running tenants (10) in batches of 3 after one canary, to
//! a re-tag of the platform's WordPress image, measured from the rollout's creation to
//! `completed`, with every site probed through Traefik throughout (target: no failed probe).
//!
//! Measured in process, like `resync`: a controller of this bench (the reconcile runner and
//! the rollout driver, as the binary runs them) over a control-plane database of its own, so
//! the deployed controllers never see these tenants or this rollout. The tenants are created
//! Stopped (cheap to provision all at once) and then started three at a time, since starting
//! ten WordPress installs at once on the 2-core development machine is what overloads it.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use swarmpress_controller::reconcile::Context;
use swarmpress_controller::rollout::{self, Driver, Prober, RolloutMetrics, RolloutSettings};
use swarmpress_controller::runtime::leader::{Elector, LeaseSettings};
use swarmpress_controller::runtime::runner::{RunSettings, reconcile_task};
use swarmpress_controller::store::memory::example_spec;
use swarmpress_controller::telemetry::metrics::Metrics;
use swarmpress_controller::views::snapshot::Observer;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{
    ConditionType, Phase, RolloutItemState, RolloutSelector, RolloutSpec, RolloutState, Tenant,
    TenantSpec, TenantState,
};
use swarmpress_schema::store::Store;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use swarmpress_testkit::ScratchDatabase;
use swarmpress_testkit::stats::secs;

use crate::{BenchError, Platform, env_count, setup};

const NAME: &str = "fleet_rollout";
const TARGET_IMAGE: &str = "swarmpress/wordpress:rollout-bench";
const LEASE: Duration = Duration::from_secs(10);
const START_TIMEOUT: Duration = Duration::from_secs(600);
const ROLLOUT_TIMEOUT: Duration = Duration::from_secs(1200);
const DELETE_TIMEOUT: Duration = Duration::from_secs(600);
/// One probe request every this long, round-robin over the sites...
const PROBE_EVERY: Duration = Duration::from_millis(100);
/// ...with at most this many open at once: unbounded, the probe itself overloads WordPress on
/// a loaded 2-core machine (its health checks time out), which is not what is measured.
const PROBE_IN_FLIGHT: usize = 3;

fn spec(name: &TenantName, state: TenantState) -> TenantSpec {
    TenantSpec {
        state,
        ..example_spec(&format!("Rollout {name}"))
    }
}

/// A control-plane database of the bench's own (dropped with the value), migrated.
async fn scratch_store() -> Result<(ScratchDatabase, Store), BenchError> {
    let database = ScratchDatabase::create().await.map_err(setup)?;
    let store = Store::connect(&database.url())
        .await
        .map_err(|e| setup(e.to_string()))?;
    store.migrate().await.map_err(|e| setup(e.to_string()))?;
    Ok((database, store))
}

fn context(platform: &Platform, store: Store) -> Result<Arc<Context<Store>>, BenchError> {
    let metrics = Metrics::new().map_err(|e| setup(e.to_string()))?;
    Ok(Arc::new(Context {
        store,
        databases: platform.databases.clone(),
        buckets: platform.buckets.clone(),
        identities: platform.identities.clone(),
        observer: Observer::new(
            platform.swarm.clone(),
            Duration::from_secs(1),
            swarmpress_controller::adapters::swarm::EDGE_NETWORK,
        ),
        readiness: swarmpress_controller::views::readiness::Readiness::new(platform.prober()?),
        swarm: platform.swarm.clone(),
        metrics,
        // Tests and benches start their sites at their own pace.
        admission: swarmpress_controller::reconcile::admission::Admission::new(64),
        desired: Default::default(),
        database_recovery: Default::default(),
        settings: platform.settings(Duration::from_secs(30)),
    }))
}

/// Starts the reconciler and the rollout driver as leader tasks under one elector, as the
/// binary runs them.
fn start_controller(
    platform: &Platform,
    ctx: &Arc<Context<Store>>,
    token: &CancellationToken,
) -> Result<JoinSet<()>, BenchError> {
    let holder = format!("rollout-bench-{}", std::process::id());
    let settings = RunSettings {
        holder: holder.clone(),
        lease_ttl: LEASE,
        workers: 4,
        feed_poll: Duration::from_millis(250),
        resync: Duration::from_secs(30),
    };
    let driver = Driver {
        store: ctx.store.clone(),
        swarm: ctx.swarm.clone(),
        prober: Prober::new(
            &format!("http://{}", platform.edge_addr),
            "localhost",
            platform.edge_addr.port(),
        )?,
        metrics: RolloutMetrics::register(ctx.metrics.registry())
            .map_err(|e| setup(e.to_string()))?,
    };
    let elector = Elector::new(
        ctx.store.clone(),
        LeaseSettings { holder, ttl: LEASE },
        ctx.metrics.leader.clone(),
    )
    .with(reconcile_task(Arc::clone(ctx), settings))
    .with(rollout::driver_task(
        driver,
        RolloutSettings {
            tick: Duration::from_secs(1),
        },
    ));
    let mut tasks = JoinSet::new();
    tasks.spawn(elector.run(token.clone()));
    Ok(tasks)
}

fn available(tenant: &Tenant) -> bool {
    tenant.status.phase == Phase::Running
        && tenant.status.is_true(ConditionType::Available)
        && tenant.status.observed_generation == tenant.metadata.generation
}

async fn wait_available(store: &Store, names: &[TenantName]) -> Result<(), BenchError> {
    let started = Instant::now();
    loop {
        let mut ready = 0;
        for name in names {
            if store.get_tenant(name).await.is_ok_and(|t| available(&t)) {
                ready += 1;
            }
        }
        if ready == names.len() {
            return Ok(());
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(BenchError::Timeout {
                what: format!("{ready}/{} sites Available", names.len()),
                after: START_TIMEOUT,
            });
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Sends one request every [`PROBE_EVERY`] (skipping a tick while [`PROBE_IN_FLIGHT`] are
/// open), round-robin over `names`, until `stop`; returns (sent, failures).
async fn probe(
    platform: &Platform,
    names: &[TenantName],
    stop: Arc<AtomicBool>,
) -> Result<(u64, Vec<String>), BenchError> {
    let edge = platform.edge_addr;
    let mut clients = Vec::new();
    for name in names {
        let host = format!("{name}.localhost");
        let client = reqwest::Client::builder()
            .resolve(&host, edge)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(15))
            .build()?;
        clients.push((client, format!("http://{host}:{}/", edge.port())));
    }
    let mut requests = JoinSet::new();
    let mut ticker = tokio::time::interval(PROBE_EVERY);
    let mut next = 0;
    let mut failures = Vec::new();
    let mut sent = 0;
    while !stop.load(Ordering::SeqCst) {
        ticker.tick().await;
        while let Some(done) = requests.try_join_next() {
            failures.extend(done.map_err(|e| setup(format!("probe request: {e}")))?);
        }
        if requests.len() >= PROBE_IN_FLIGHT {
            continue;
        }
        let Some((client, url)) = clients.get(next % clients.len().max(1)) else {
            break;
        };
        next += 1;
        sent += 1;
        let request = client.get(url).send();
        let url = url.clone();
        requests.spawn(async move {
            match request.await {
                Ok(response) if response.status() == reqwest::StatusCode::OK => None,
                Ok(response) => Some(format!("{url}: {}", response.status())),
                Err(error) => Some(format!(
                    "{url}: {error} (timeout: {}, connect: {})",
                    error.is_timeout(),
                    error.is_connect()
                )),
            }
        });
    }
    failures.extend(requests.join_all().await.into_iter().flatten());
    Ok((sent, failures))
}

pub async fn run(platform: &Platform) -> Result<Value, BenchError> {
    let count = env_count("SWARMPRESS_BENCH_ROLLOUT_TENANTS", 10);
    let batch_size = env_count("SWARMPRESS_BENCH_ROLLOUT_BATCH", 3);
    // The target: the platform's image under another tag, so every task is replaced.
    let tagged = Command::new("docker")
        .args(["tag", &platform.image, TARGET_IMAGE])
        .status()
        .map_err(|e| setup(format!("docker tag: {e}")))?;
    if !tagged.success() {
        return Err(setup(format!("docker tag {} failed", platform.image)));
    }
    let (database, store) = scratch_store().await?;
    let ctx = context(platform, store.clone())?;
    let token = CancellationToken::new();
    let mut controller = start_controller(platform, &ctx, &token)?;
    let run_id = swarmpress_testkit::random_suffix(5);
    let names = (0..count)
        .map(|i| TenantName::parse(format!("bro{run_id}-{i:02}")))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| setup(e.to_string()))?;

    let outcome = measure(platform, &store, &names, batch_size).await;

    // Deleted through the bench's controller, whatever the outcome.
    let deleted = Instant::now();
    for name in &names {
        if let Err(error) = store.mark_deleted(name).await {
            eprintln!("rollout bench: cannot delete {name}: {error}");
        }
    }
    while !store
        .list_tenants(None, None)
        .await
        .map_err(|e| setup(e.to_string()))?
        .is_empty()
        && deleted.elapsed() < DELETE_TIMEOUT
    {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    println!(
        "rollout: {count} tenants deleted in {:.1} s",
        deleted.elapsed().as_secs_f64()
    );
    token.cancel();
    while controller.join_next().await.is_some() {}
    drop(ctx);
    drop(store);
    drop(database);
    outcome
}

async fn measure(
    platform: &Platform,
    store: &Store,
    names: &[TenantName],
    batch_size: usize,
) -> Result<Value, BenchError> {
    let store_error = |e: swarmpress_schema::store::StoreError| setup(e.to_string());
    for name in names {
        store
            .create_tenant_with_admin_password(
                uuid::Uuid::new_v4(),
                name,
                BTreeMap::from([("bench".to_owned(), "rollout".to_owned())]),
                spec(name, TenantState::Stopped),
                &swarmpress_testkit::random_suffix(20),
            )
            .await
            .map_err(store_error)?;
    }
    let started = Instant::now();
    for group in names.chunks(3) {
        for name in group {
            let tenant = store.get_tenant(name).await.map_err(store_error)?;
            store
                .replace_spec(
                    name,
                    spec(name, TenantState::Running),
                    tenant.metadata.labels,
                    None,
                )
                .await
                .map_err(store_error)?;
        }
        wait_available(store, group).await?;
    }
    println!(
        "rollout: {} sites running after {:.1} s",
        names.len(),
        started.elapsed().as_secs_f64()
    );

    let stop = Arc::new(AtomicBool::new(false));
    let probing = {
        let (platform, names, stop) = (platform.clone(), names.to_vec(), Arc::clone(&stop));
        tokio::spawn(async move { probe(&platform, &names, stop).await })
    };
    let spec = RolloutSpec {
        image: TARGET_IMAGE.to_owned(),
        selector: RolloutSelector {
            all: true,
            ..RolloutSelector::default()
        },
        canary: 1,
        batch_size: u32::try_from(batch_size).unwrap_or(3),
        failure_budget: 0,
        health_timeout_seconds: 300,
        start_at: None,
        force_pull: false,
    };
    let created_at = Instant::now();
    let created = store
        .create_rollout(None, &spec, None)
        .await
        .map_err(store_error)?;
    let finished = loop {
        let rollout = store.get_rollout(created.id).await.map_err(store_error)?;
        if rollout.state.is_terminal() {
            break rollout;
        }
        if created_at.elapsed() > ROLLOUT_TIMEOUT {
            stop.store(true, Ordering::SeqCst);
            return Err(BenchError::Timeout {
                what: "the rollout to finish".to_owned(),
                after: ROLLOUT_TIMEOUT,
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let total = created_at.elapsed();
    stop.store(true, Ordering::SeqCst);
    let (sent, failures) = probing
        .await
        .map_err(|e| setup(format!("probe task: {e}")))??;
    let healthy = finished
        .items
        .iter()
        .filter(|i| i.state == RolloutItemState::Healthy)
        .count();
    let batches = finished
        .items
        .iter()
        .map(|i| i.batch)
        .max()
        .map_or(0, |b| b + 1);
    println!(
        "rollout: {:?} after {:.1} s, {healthy}/{} healthy in {batches} batches; probes: {sent} sent, {} failed",
        finished.state,
        total.as_secs_f64(),
        names.len(),
        failures.len()
    );
    for failure in failures.iter().take(20) {
        println!("rollout: failed probe {failure}");
    }
    Ok(json!({
        "name": NAME,
        "unit": "s",
        "tenants": names.len(),
        "batchSize": batch_size,
        "canary": 1,
        "batches": batches,
        "state": finished.state.as_str(),
        "completed": finished.state == RolloutState::Completed,
        "healthyTenants": healthy,
        "totalSeconds": secs(total),
        "probeRequests": sent,
        "failedProbeRequests": failures.len(),
        "failedProbeSamples": failures.iter().take(5).collect::<Vec<_>>(),
        "notes": "in-process controller (runner + rollout driver) over a scratch control-plane \
                  database; tenants of 1 replica created Stopped then started 3 at a time; \
                  rollout to a re-tag of the platform image (every task replaced, start-first); \
                  seconds from creating the rollout to `completed`; one probe request every \
                  100 ms (at most 3 open) round-robin over all sites through Traefik during the rollout",
    }))
}
