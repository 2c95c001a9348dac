//! Tenant actions against the real platform: a cache purge reaches every replica of a running
//! site, deletes its transients and resets the opcache its Apache serves from; the purge path
//! answers nobody who comes through the edge.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::memory_store::{MemoryStore, spec};
use common::site::{
    finalize_leftovers, run_settings, running_task_ids, site_client, wait_page, wait_status,
};
use sea_orm::ConnectionTrait as _;
use swarmpress_controller::actions::purge_cache;
use swarmpress_controller::runtime::runner::run;
use swarmpress_schema::resource::{ConditionType, Phase, Tenant};
use tokio_util::sync::CancellationToken;

fn available(t: &Tenant) -> bool {
    t.status.phase == Phase::Running
        && t.status.is_true(ConditionType::Available)
        && t.status.observed_generation == t.metadata.generation
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_purge_reaches_every_replica_and_empties_the_caches() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let databases = platform.databases.clone();
    let store = MemoryStore::default();
    let ctx = common::context(&platform, store.clone());
    let tenant = common::unique_tenant("itpurge");
    let shutdown = CancellationToken::new();
    let controller = tokio::spawn(run(
        Arc::clone(&ctx),
        run_settings("purge", Duration::from_secs(10), Duration::from_secs(30)),
        shutdown.clone(),
    ));

    let body_ctx = Arc::clone(&ctx);
    let body_store = store.clone();
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let (ctx, store, tenant) = (body_ctx, body_store, body_tenant);
            let mut two = spec("Purge Site");
            two.replicas = 2;
            store.create(&tenant, two, "admin-password-1");
            wait_status(&store, &tenant, "Running and Available", available).await;
            common::eventually("both replicas running", Duration::from_secs(120), || {
                let swarm = ctx.swarm.clone();
                let tenant = tenant.clone();
                async move { (running_task_ids(&swarm, &tenant).await.len() == 2).then_some(()) }
            })
            .await;
            let client = site_client(&tenant);
            wait_page(&client, &tenant, "/", "Purge Site").await;

            // Transients in the site's options table (where WordPress keeps them without a
            // persistent object cache), and one option that is not a transient.
            let db = tenant.database_name();
            databases
                .connection()
                .execute_unprepared(&format!(
                    "INSERT INTO `{db}`.wp_options (option_name, option_value, autoload) VALUES \
                     ('_transient_swarmpress_probe', 'cached', 'no'), \
                     ('_site_transient_swarmpress_probe', 'cached', 'no'), \
                     ('swarmpress_kept', 'kept', 'no')"
                ))
                .await
                .unwrap();

            let reports = purge_cache(&ctx.swarm, &tenant).await.unwrap();
            assert_eq!(reports.len(), 2, "{reports:?}");
            let tasks = running_task_ids(&ctx.swarm, &tenant).await;
            for report in &reports {
                assert!(report.ok, "{report:?}");
                assert!(report.message.contains("opcache reset"), "{report:?}");
                assert!(tasks.contains(&report.task), "{report:?} not in {tasks:?}");
            }
            let left = |name: &'static str| {
                let connection = databases.connection().clone();
                let db = db.clone();
                async move {
                    connection
                        .query_one_raw(sea_orm::Statement::from_string(
                            sea_orm::DbBackend::MySql,
                            format!(
                                "SELECT COUNT(*) AS n FROM `{db}`.wp_options WHERE option_name = '{name}'"
                            ),
                        ))
                        .await
                        .unwrap()
                        .unwrap()
                        .try_get::<i64>("", "n")
                        .unwrap()
                }
            };
            assert_eq!(left("_transient_swarmpress_probe").await, 0);
            assert_eq!(left("_site_transient_swarmpress_probe").await, 0);
            assert_eq!(left("swarmpress_kept").await, 1, "only transients go");

            // Through the edge the purge path refuses: no token but the controller's.
            let url = format!("{}.swarmpress/purge", common::site::site_url(&tenant));
            let refused = client
                .get(&url)
                .header("X-Swarmpress-Purge", "0".repeat(48))
                .send()
                .await
                .unwrap();
            assert_eq!(refused.status(), 403);
            // The site still serves after its opcache was reset.
            wait_page(&client, &tenant, "/", "Purge Site").await;
        },
        async {
            shutdown.cancel();
            controller.await.unwrap();
            finalize_leftovers(Arc::clone(&ctx), &store, &tenant).await;
        },
    )
    .await;
}
