//! The controller loop over the real control-plane store (`swarmpress-schema`'s `Store` on a
//! fresh MariaDB database of its own) and the real platform: a tenant written the way the API
//! writes it is picked up from the change feed at once, served, scaled, and on deletion
//! finalized and removed with a `DELETED` change left in the feed.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::memory_store::spec;
use swarmpress_controller::reconcile::{Context, reconcile};
use swarmpress_controller::runtime::runner::{RunSettings, run};
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{ChangeType, ConditionType, Phase, Tenant};
use swarmpress_schema::store::{Store, StoreError};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

const SITE_TIMEOUT: Duration = Duration::from_secs(240);

async fn wait_status(
    store: &Store,
    tenant: &TenantName,
    what: &str,
    accept: impl Fn(&Tenant) -> bool,
) -> Tenant {
    common::eventually(what, SITE_TIMEOUT, || {
        let store = store.clone();
        let tenant = tenant.clone();
        let accept = &accept;
        async move {
            let found = store.get_tenant(&tenant).await.unwrap();
            accept(&found).then_some(found)
        }
    })
    .await
}

/// Finalizes a tenant a failed run left behind, through the controller's own finalizer.
async fn finalize_leftovers(ctx: Arc<Context<Store>>, tenant: TenantName) {
    match ctx.store.get_tenant(&tenant).await {
        Ok(_) => {
            if let Err(error) = ctx.store.mark_deleted(&tenant).await {
                eprintln!("cleanup of {tenant}: cannot mark it deleted: {error}");
                return;
            }
            let record = ctx.store.get_tenant(&tenant).await.unwrap();
            if let Err(error) = reconcile(Arc::new(record), Arc::clone(&ctx)).await {
                eprintln!("cleanup of {tenant} failed: {error}");
            }
        }
        Err(StoreError::NotFound) => {}
        Err(error) => eprintln!("cleanup of {tenant}: cannot read it: {error}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_lifecycle_over_the_schema_store() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let database = common::TestDatabase::create()
        .await
        .expect("create the control-plane test database");
    let store = Store::connect(&database.url()).await.unwrap();
    store.migrate().await.unwrap();
    let ctx = common::context(&platform, store.clone());
    let tenant = common::unique_tenant("itss");
    let shutdown = CancellationToken::new();
    let controller = tokio::spawn(run(
        Arc::clone(&ctx),
        RunSettings {
            holder: "schema-store-test".to_owned(),
            lease_ttl: Duration::from_secs(10),
            workers: 2,
            feed_poll: Duration::from_millis(250),
            resync: Duration::from_secs(30),
        },
        shutdown.clone(),
    ));

    let body_ctx = Arc::clone(&ctx);
    let body_tenant = tenant.clone();
    let body_platform = platform.clone();
    common::with_cleanup(
        async move {
            let (ctx, tenant, platform) = (body_ctx, body_tenant, body_platform);
            let store = ctx.store.clone();
            common::eventually("the lease", Duration::from_secs(10), || {
                let leads = ctx.metrics.leader.get() == 1;
                async move { leads.then_some(()) }
            })
            .await;

            // As the API creates a tenant: the record and its admin password in one write.
            let created_at = Instant::now();
            // Scaled to two replicas below: an owner whose plan allows it.
            let owner = common::owner_on_plan(&store, "starter").await;
            let created = store
                .create_tenant_with_admin_password(
                    owner,
                    &tenant,
                    BTreeMap::from([("suite".to_owned(), "controller".to_owned())]),
                    spec("Schema Store Site"),
                    "admin-password-1",
                )
                .await
                .unwrap();
            assert_eq!(created.status.phase, Phase::Pending);

            // Its first reconcile starts with the database: seeing it is seeing the feed work.
            let databases = ctx.databases.clone();
            let seen_tenant = tenant.clone();
            common::eventually("the first reconcile", Duration::from_secs(10), || {
                let databases = databases.clone();
                let tenant = seen_tenant.clone();
                async move { databases.exists(&tenant).await.unwrap().then_some(()) }
            })
            .await;
            let latency = created_at.elapsed();
            eprintln!("first reconcile acted {latency:?} after create_tenant");
            // The feed is polled every 250 ms; a loose bound keeps a busy machine from failing
            // what is meant to catch a missing trigger (which would wait for the 30 s resync).
            assert!(latency < Duration::from_secs(3), "{latency:?}");

            let running = wait_status(&store, &tenant, "Running and Available", |t| {
                t.status.phase == Phase::Running
                    && t.status.is_true(ConditionType::Available)
                    && t.status.observed_generation == t.metadata.generation
            })
            .await;
            assert_eq!(running.metadata.generation, 1);
            assert_eq!(running.status.replicas.desired, 1);
            assert_eq!(running.status.replicas.running, 1);
            assert_eq!(
                store
                    .tenant_admin_password(running.metadata.uid)
                    .await
                    .unwrap(),
                None,
                "the plain-text admin password is deleted once its secret exists"
            );
            let url = format!("http://{}.localhost:{}/", tenant, common::edge_port());
            assert_eq!(running.status.url.as_deref(), Some(url.as_str()));
            let client = reqwest::Client::builder()
                .resolve(
                    &format!("{tenant}.localhost"),
                    ([127, 0, 0, 1], common::edge_port()).into(),
                )
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(15))
                .build()
                .unwrap();
            common::eventually("the site to answer 200", SITE_TIMEOUT, || {
                let request = client.get(&url).send();
                async move {
                    let response = request.await.ok()?;
                    let body = response
                        .status()
                        .is_success()
                        .then_some(response.text().await.ok()?)?;
                    body.contains("Schema Store Site").then_some(())
                }
            })
            .await;
            let reasons: Vec<String> = store
                .list_events(&tenant, 100)
                .await
                .unwrap()
                .into_iter()
                .map(|event| event.reason)
                .collect();
            assert!(reasons.iter().any(|r| r == "ServiceCreated"), "{reasons:?}");

            // Scale to 2, as a spec write through the store.
            let mut scaled_spec = running.spec.clone();
            scaled_spec.replicas = 2;
            let written = store
                .replace_spec(
                    &tenant,
                    scaled_spec,
                    running.metadata.labels.clone(),
                    Some(&running.metadata.resource_version),
                )
                .await
                .unwrap();
            assert!(written.changed);
            assert_eq!(written.tenant.metadata.generation, 2);
            let scaled = wait_status(&store, &tenant, "2/2 replicas", |t| {
                t.status.replicas.running == 2
                    && t.status.replicas.desired == 2
                    && t.status.phase == Phase::Running
                    && t.status.observed_generation == t.metadata.generation
            })
            .await;
            assert_eq!(scaled.status.observed_generation, 2);

            // Delete: the controller finalizes, then removes the record.
            let before_delete = store.current_resource_version().await.unwrap();
            store.mark_deleted(&tenant).await.unwrap();
            common::eventually("the record to be removed", SITE_TIMEOUT, || {
                let store = store.clone();
                let tenant = tenant.clone();
                async move {
                    matches!(store.get_tenant(&tenant).await, Err(StoreError::NotFound))
                        .then_some(())
                }
            })
            .await;
            let changes = store.changes_since(before_delete, 1000).await.unwrap();
            let last = changes
                .iter()
                .rfind(|change| change.tenant.metadata.name == tenant)
                .expect("a change of the tenant after mark_deleted");
            assert_eq!(last.change_type, ChangeType::Deleted, "{changes:?}");
            assert!(last.tenant.metadata.deletion_timestamp.is_some());
            assert_eq!(
                common::leftovers(&platform, &tenant).await,
                Vec::<&str>::new(),
                "nothing of the tenant is left in Docker, MariaDB or S3"
            );
        },
        async {
            shutdown.cancel();
            controller.await.unwrap();
            finalize_leftovers(Arc::clone(&ctx), tenant.clone()).await;
            // Whatever the finalizer could not remove (it stops at its first failure).
            common::remove_tenant_objects(&platform, &tenant).await;
        },
    )
    .await;
    // The store's pool goes before its database.
    drop(ctx);
    drop(store);
    drop(database);
}
