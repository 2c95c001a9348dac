//! What a no-op resync costs, and that its caches do not hide drift.
//!
//! A no-op reconcile answers from bulk views (one service, task, secret and volume list for
//! every tenant; one set of MariaDB queries; one bucket list), so the Docker requests of a pass
//! do not grow with the number of tenants and nothing is written. Those views are re-listed
//! at least every second, so an object removed behind the controller's back is still
//! recreated by the next resync, even right after it was verified.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bollard::query_parameters::RemoveVolumeOptions;
use common::memory_store::{MemoryStore, spec};
use common::site::{finalize_leftovers, run_settings, wait_status};
use sea_orm::ConnectionTrait as _;
use swarmpress_controller::adapters::s3::TenantBuckets;
use swarmpress_controller::adapters::swarm::DOCKER_REQUESTS_METRIC;
use swarmpress_controller::reconcile::Context;
use swarmpress_controller::runtime::runner::run;
use swarmpress_controller::telemetry::metrics::Metrics;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{Phase, Tenant, TenantState};
use tokio_util::sync::CancellationToken;

const LEASE: Duration = Duration::from_secs(10);
/// Requests of one bulk snapshot: services, tasks, secrets, volumes, the edge network's
/// service discovery (every task's address at once) and the nodes.
const SNAPSHOT_REQUESTS: u64 = 6;

fn stopped(t: &Tenant) -> bool {
    t.status.phase == Phase::Stopped && t.status.observed_generation == t.metadata.generation
}

fn stopped_spec(title: &str) -> swarmpress_schema::resource::TenantSpec {
    let mut spec = spec(title);
    spec.state = TenantState::Stopped;
    spec
}

fn reconciles(metrics: &Metrics) -> u64 {
    metrics
        .counters_by_first_label("swarmpress_reconcile_total")
        .values()
        .sum()
}

/// Waits until no reconcile has finished for `quiet`: converging tenants have settled.
async fn settle(metrics: &Metrics, quiet: Duration) {
    let mut last = reconciles(metrics);
    let mut since = tokio::time::Instant::now();
    let started = tokio::time::Instant::now();
    while since.elapsed() < quiet {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the controller never went quiet"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = reconciles(metrics);
        if now != last {
            last = now;
            since = tokio::time::Instant::now();
        }
    }
}

async fn cleanup(ctx: &Arc<Context<MemoryStore>>, store: &MemoryStore, tenants: &[TenantName]) {
    for tenant in tenants {
        finalize_leftovers(Arc::clone(ctx), store, tenant).await;
    }
}

/// Every tenant queued at once (what the periodic resync does) over settled, stopped tenants:
/// only the bulk lists reach Docker — no per-tenant request, so no more requests for more
/// tenants — and no status is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_noop_resync_makes_a_constant_number_of_docker_requests_and_writes_nothing() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let store = MemoryStore::default();
    let ctx = common::context(&platform, store.clone());
    // More tenants than one snapshot has requests: a per-tenant request would show.
    let tenants: Vec<TenantName> = (0..6).map(|_| common::unique_tenant("itrsy")).collect();
    let shutdown = CancellationToken::new();
    // Only the test's own trigger starts a pass.
    let controller = tokio::spawn(run(
        Arc::clone(&ctx),
        run_settings("resync-cost", LEASE, Duration::from_secs(3600)),
        shutdown.clone(),
    ));

    let body_ctx = Arc::clone(&ctx);
    let body_store = store.clone();
    let body_tenants = tenants.clone();
    common::with_cleanup(
        async move {
            let (ctx, store, tenants) = (body_ctx, body_store, body_tenants);
            for tenant in &tenants {
                store.create(tenant, stopped_spec("Resync Cost"), "admin-password-1");
            }
            for tenant in &tenants {
                wait_status(&store, tenant, "Stopped", stopped).await;
            }
            settle(&ctx.metrics, Duration::from_secs(3)).await;

            for pass in 1..=2 {
                let docker_before = ctx.metrics.counters_by_first_label(DOCKER_REQUESTS_METRIC);
                let reconciles_before = reconciles(&ctx.metrics);
                let writes_before = store.status_writes();
                store.touch_all();
                common::eventually("the pass to finish", Duration::from_secs(30), || {
                    let done = reconciles(&ctx.metrics) >= reconciles_before + tenants.len() as u64;
                    async move { done.then_some(()) }
                })
                .await;
                let docker: BTreeMap<String, u64> = ctx
                    .metrics
                    .counters_by_first_label(DOCKER_REQUESTS_METRIC)
                    .into_iter()
                    .map(|(op, n)| (op.clone(), n - docker_before.get(&op).copied().unwrap_or(0)))
                    .filter(|(_, n)| *n > 0)
                    .collect();
                let total: u64 = docker.values().sum();
                eprintln!("pass {pass}: {total} Docker requests {docker:?}");
                assert!(
                    docker
                        .keys()
                        .all(|op| op.ends_with("_list") || op == "network_inspect"),
                    "a no-op pass only lists: {docker:?}"
                );
                // A pass shorter than the snapshot's maximum age lists once; one that straddles
                // it, twice. Either way independent of the number of tenants.
                assert!(
                    total <= 2 * SNAPSHOT_REQUESTS,
                    "{total} requests for {} tenants: {docker:?}",
                    tenants.len()
                );
                assert_eq!(store.status_writes(), writes_before, "no status written");
                for tenant in &tenants {
                    assert!(stopped(&store.get(tenant).unwrap()));
                }
            }
        },
        async {
            shutdown.cancel();
            controller.await.unwrap();
            cleanup(&ctx, &store, &tenants).await;
        },
    )
    .await;
}

/// The bucket, the database user and the volume of a settled tenant — all verified moments
/// before — removed behind the controller's back (through clients that share none of its
/// caches): the next periodic resync recreates every one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_removed_out_of_band_come_back_within_one_resync_though_verified_recently() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let store = MemoryStore::default();
    let ctx = common::context(&platform, store.clone());
    let tenant = common::unique_tenant("itdrf");
    let shutdown = CancellationToken::new();
    let resync = Duration::from_secs(5);
    let controller = tokio::spawn(run(
        Arc::clone(&ctx),
        run_settings("cache-drift", LEASE, resync),
        shutdown.clone(),
    ));

    let body_ctx = Arc::clone(&ctx);
    let body_store = store.clone();
    let body_tenant = tenant.clone();
    let body_platform = platform.clone();
    common::with_cleanup(
        async move {
            let (ctx, store, tenant, platform) = (body_ctx, body_store, body_tenant, body_platform);
            store.create(&tenant, stopped_spec("Cache Drift"), "admin-password-1");
            wait_status(&store, &tenant, "Stopped", stopped).await;
            // Another resync has just verified everything: the caches are as warm as they get.
            settle(&ctx.metrics, Duration::from_secs(1)).await;

            // A bucket client of its own, so the controller's bucket list is not told.
            let outsider = TenantBuckets::new(platform.s3.clone());
            assert!(outsider.delete(&tenant).await.unwrap());
            platform
                .databases
                .connection()
                .execute_unprepared(&format!("DROP USER '{}'@'%'", tenant.database_user()))
                .await
                .unwrap();
            // Straight to the engine: the controller's Swarm client does not count it.
            platform
                .swarm
                .docker()
                .remove_volume(&tenant.volume_name(), None::<RemoveVolumeOptions>)
                .await
                .unwrap();
            let removed = tokio::time::Instant::now();

            // One resync period, plus the reconcile itself and the one-second view age.
            common::eventually(
                "bucket, user and volume to be back",
                resync + Duration::from_secs(10),
                || {
                    let (platform, outsider, tenant) =
                        (platform.clone(), outsider.clone(), tenant.clone());
                    async move {
                        let bucket = outsider.exists(&tenant).await.unwrap();
                        let user = platform.databases.user_exists(&tenant).await.unwrap();
                        let volume = platform
                            .swarm
                            .docker()
                            .inspect_volume(&tenant.volume_name())
                            .await
                            .is_ok();
                        (bucket && user && volume).then_some(())
                    }
                },
            )
            .await;
            eprintln!("repaired {:?} after the removals", removed.elapsed());
            wait_status(&store, &tenant, "Stopped again", stopped).await;
        },
        async {
            shutdown.cancel();
            controller.await.unwrap();
            cleanup(&ctx, &store, std::slice::from_ref(&tenant)).await;
        },
    )
    .await;
}

/// Requests the observer made for one snapshot after `stale`, by operation.
async fn requests_for_snapshot(ctx: &Arc<Context<MemoryStore>>) -> BTreeMap<String, u64> {
    let before = ctx.metrics.counters_by_first_label(DOCKER_REQUESTS_METRIC);
    ctx.observer.snapshot().await.unwrap();
    ctx.metrics
        .counters_by_first_label(DOCKER_REQUESTS_METRIC)
        .into_iter()
        .map(|(op, n)| (op.clone(), n - before.get(&op).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect()
}

/// An event about a site's service or containers makes the services and tasks stale, not the
/// secrets and volumes; a secret made through the client makes the secrets stale alone; a
/// node event, the nodes alone; the resync's invalidation lists everything. (In a burst of new sites each start raised events,
/// and relisting every secret and volume for each grew with the square of the sites.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_change_relists_only_the_part_of_the_snapshot_it_touched() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let ctx = common::context(&platform, MemoryStore::default());
    let tenant = common::unique_tenant("itpart");
    let secret = tenant.secret_name("test", "part");
    let body_ctx = Arc::clone(&ctx);
    let body_secret = secret.clone();
    common::with_cleanup(
        async move {
            let (ctx, secret) = (body_ctx, body_secret);
            ctx.observer.invalidate();
            let all = requests_for_snapshot(&ctx).await;
            assert_eq!(all.values().sum::<u64>(), SNAPSHOT_REQUESTS, "{all:?}");
            assert!(
                requests_for_snapshot(&ctx).await.is_empty(),
                "a fresh snapshot is reused"
            );

            ctx.observer.invalidate_workload();
            let workload = requests_for_snapshot(&ctx).await;
            assert_eq!(
                workload.keys().map(String::as_str).collect::<Vec<_>>(),
                ["network_inspect", "service_list", "task_list"],
                "an event relists services, tasks and their addresses: {workload:?}"
            );

            ctx.observer.invalidate_nodes();
            let nodes = requests_for_snapshot(&ctx).await;
            assert_eq!(
                nodes.keys().map(String::as_str).collect::<Vec<_>>(),
                ["node_list"],
                "a node event relists the nodes: {nodes:?}"
            );

            let labels = std::collections::HashMap::from([(
                swarmpress_controller::adapters::swarm::TENANT_LABEL.to_owned(),
                tenant.to_string(),
            )]);
            ctx.swarm
                .ensure_secret(&secret, labels, b"part")
                .await
                .unwrap();
            let secrets = requests_for_snapshot(&ctx).await;
            assert_eq!(
                secrets.keys().map(String::as_str).collect::<Vec<_>>(),
                ["secret_list"],
                "a secret made relists the secrets: {secrets:?}"
            );
            let snapshot = ctx.observer.snapshot().await.unwrap();
            assert!(
                snapshot.secrets.get(&tenant).is_some_and(|s| !s.is_empty()),
                "the new secret is in the snapshot"
            );
        },
        async {
            ctx.swarm.remove_secret(&secret).await.unwrap();
        },
    )
    .await;
}
