//! The controller against the real platform when the world misbehaves or the tenant asks for
//! more than a create: a database user dropped behind its back, the restart action and an env
//! change (rolling updates), and a controller killed in the middle of provisioning.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::sync::Arc;
use std::time::Duration;

use bollard::models::{
    ServiceSpecRollbackConfigOrderEnum, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, ServiceUpdateStatusStateEnum,
};
use common::hooked_store::{HangAt, HookedStore};
use common::memory_store::{MemoryStore, spec};
use common::site::{
    finalize_leftovers, run_settings, running_task_ids, service_version, site_client, wait_page,
    wait_status,
};
use sea_orm::ConnectionTrait as _;
use swarmpress_controller::adapters::swarm::SwarmClient;
use swarmpress_controller::runtime::runner::run;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{ConditionType, Phase, Tenant};
use tokio_util::sync::CancellationToken;

const LEASE: Duration = Duration::from_secs(10);

fn available(t: &Tenant) -> bool {
    t.status.phase == Phase::Running
        && t.status.is_true(ConditionType::Available)
        && t.status.observed_generation == t.metadata.generation
}

/// The tenant's secrets as (id, purpose label).
async fn secrets_of(swarm: &SwarmClient, tenant: &TenantName) -> Vec<(String, String)> {
    swarm
        .list_secrets_labelled(&format!("swarmpress.tenant={tenant}"))
        .await
        .unwrap()
        .into_iter()
        .map(|secret| {
            let purpose = secret
                .spec
                .as_ref()
                .and_then(|s| s.labels.as_ref())
                .and_then(|l| l.get("swarmpress.purpose").cloned())
                .unwrap_or_default();
            (secret.id.unwrap(), purpose)
        })
        .collect()
}

/// The ids of the secrets the service mounts.
async fn mounted_secret_ids(swarm: &SwarmClient, tenant: &TenantName) -> Vec<String> {
    let service = swarm
        .inspect_service(&tenant.service_name())
        .await
        .unwrap()
        .unwrap();
    let mut ids: Vec<String> = service
        .spec
        .and_then(|s| s.task_template)
        .and_then(|t| t.container_spec)
        .and_then(|c| c.secrets)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| s.secret_id)
        .collect();
    ids.sort();
    ids
}

/// `DROP USER` behind the controller's back: the next reconcile (here the periodic resync)
/// makes a new password, recreates the user with it, and rolls the service onto the new
/// secret, after which the site serves again from its database.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_database_user_is_recreated_and_the_site_serves_again() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let store = MemoryStore::default();
    let ctx = common::context(&platform, store.clone());
    let tenant = common::unique_tenant("itusr");
    let shutdown = CancellationToken::new();
    // A short resync: nothing but the periodic level check can notice a dropped user.
    let controller = tokio::spawn(run(
        Arc::clone(&ctx),
        run_settings("user-drift", LEASE, Duration::from_secs(5)),
        shutdown.clone(),
    ));

    let body_ctx = Arc::clone(&ctx);
    let body_store = store.clone();
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let (ctx, store, tenant) = (body_ctx, body_store, body_tenant);
            let swarm = ctx.swarm.clone();
            store.create(&tenant, spec("User Drift Site"), "admin-password-1");
            wait_status(&store, &tenant, "Running and Available", available).await;
            let client = site_client(&tenant);
            wait_page(&client, &tenant, "/", "User Drift Site").await;
            let db_secret = |secrets: &[(String, String)]| {
                let db: Vec<_> = secrets.iter().filter(|(_, p)| p == "db").collect();
                assert_eq!(db.len(), 1, "one database secret: {secrets:?}");
                db[0].0.clone()
            };
            let old_secret = db_secret(&secrets_of(&swarm, &tenant).await);
            let old_version = service_version(&swarm, &tenant).await.unwrap();

            platform
                .databases
                .connection()
                .execute_unprepared(&format!("DROP USER '{}'@'%'", tenant.database_user()))
                .await
                .unwrap();
            assert!(!ctx.databases.user_exists(&tenant).await.unwrap());
            let dropped = tokio::time::Instant::now();

            common::eventually("the user to be recreated", Duration::from_secs(30), || {
                let databases = ctx.databases.clone();
                let tenant = tenant.clone();
                async move { databases.user_exists(&tenant).await.unwrap().then_some(()) }
            })
            .await;
            eprintln!("user recreated {:?} after the drop", dropped.elapsed());
            // The new password is in a new secret, which the service now mounts.
            let rolled = common::eventually(
                "the service to mount a new database secret",
                Duration::from_secs(30),
                || {
                    let swarm = swarm.clone();
                    let tenant = tenant.clone();
                    let old_secret = old_secret.clone();
                    async move {
                        let mounted = mounted_secret_ids(&swarm, &tenant).await;
                        (!mounted.contains(&old_secret)).then_some(mounted)
                    }
                },
            )
            .await;
            assert!(service_version(&swarm, &tenant).await.unwrap() > old_version);
            let running = wait_status(&store, &tenant, "Running again", available).await;
            assert!(running.status.is_true(ConditionType::DatabaseReady));
            // The old secret goes once no service refers to it: one db and one admin secret.
            common::eventually(
                "the replaced secret to be removed",
                Duration::from_secs(60),
                || {
                    let swarm = swarm.clone();
                    let tenant = tenant.clone();
                    let rolled = rolled.clone();
                    async move {
                        let mut ids: Vec<String> = secrets_of(&swarm, &tenant)
                            .await
                            .into_iter()
                            .map(|(id, _)| id)
                            .collect();
                        ids.sort();
                        (ids == rolled).then_some(())
                    }
                },
            )
            .await;
            // WordPress renders its home page from the database, with the new credentials.
            wait_page(&client, &tenant, "/", "User Drift Site").await;
            wait_page(&client, &tenant, "/.swarmpress/health", "").await;
            eprintln!("site serving again {:?} after the drop", dropped.elapsed());
            assert!(
                store
                    .events(&tenant)
                    .iter()
                    .any(|e| e.reason == "DatabaseReady"
                        && e.message.contains("could not be matched")),
                "{:?}",
                store.events(&tenant)
            );
        },
        async {
            shutdown.cancel();
            controller.await.unwrap();
            finalize_leftovers(Arc::clone(&ctx), &store, &tenant).await;
        },
    )
    .await;
}

/// Restart (`spec.restartedAt`) replaces the task and keeps the content; an env change rolls
/// the service start-first with its update and rollback policy intact, and the new task runs
/// with the new variable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_and_env_change_roll_the_service_and_keep_the_content() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let store = MemoryStore::default();
    let ctx = common::context(&platform, store.clone());
    let tenant = common::unique_tenant("itrst");
    let shutdown = CancellationToken::new();
    let controller = tokio::spawn(run(
        Arc::clone(&ctx),
        run_settings("restart", LEASE, Duration::from_secs(30)),
        shutdown.clone(),
    ));

    let body_ctx = Arc::clone(&ctx);
    let body_store = store.clone();
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let (ctx, store, tenant) = (body_ctx, body_store, body_tenant);
            let swarm = ctx.swarm.clone();
            store.create(&tenant, spec("Restart Site"), "admin-password-1");
            wait_status(&store, &tenant, "Running and Available", available).await;
            let client = site_client(&tenant);
            wait_page(&client, &tenant, "/", "Restart Site").await;

            // Content written before the restart: a file on the tenant's wp-content volume.
            let marker = format!("marker {}", common::random_suffix(12));
            let mountpoint = swarm
                .docker()
                .inspect_volume(&tenant.volume_name())
                .await
                .unwrap()
                .mountpoint;
            std::fs::write(
                std::path::Path::new(&mountpoint).join("swarmpress-test-marker.txt"),
                &marker,
            )
            .unwrap();
            let marker_path = "/wp-content/swarmpress-test-marker.txt";
            wait_page(&client, &tenant, marker_path, &marker).await;

            // Restart: a new task replaces the old one.
            let before = running_task_ids(&swarm, &tenant).await;
            assert_eq!(before.len(), 1, "{before:?}");
            store.update_spec(&tenant, |spec| spec.restarted_at = Some(chrono::Utc::now()));
            common::eventually(
                "a new task after the restart",
                common::site::SITE_TIMEOUT,
                || {
                    let swarm = swarm.clone();
                    let tenant = tenant.clone();
                    let before = before.clone();
                    async move {
                        let now = running_task_ids(&swarm, &tenant).await;
                        (now.len() == 1 && now.is_disjoint(&before)).then_some(())
                    }
                },
            )
            .await;
            wait_status(&store, &tenant, "Running after the restart", available).await;
            wait_page(&client, &tenant, marker_path, &marker).await;
            wait_page(&client, &tenant, "/", "Restart Site").await;

            // Env change: a rolling update to a task that has the variable.
            let before = running_task_ids(&swarm, &tenant).await;
            let version = service_version(&swarm, &tenant).await.unwrap();
            let value = common::random_suffix(10);
            let variable = format!("APP_TEST_MARKER={value}");
            store.update_spec(&tenant, |spec| {
                spec.env.insert("APP_TEST_MARKER".to_owned(), value.clone());
            });
            let service =
                common::eventually("the update to complete", common::site::SITE_TIMEOUT, || {
                    let swarm = swarm.clone();
                    let tenant = tenant.clone();
                    async move {
                        let service = swarm
                            .inspect_service(&tenant.service_name())
                            .await
                            .unwrap()?;
                        let state = service.update_status.as_ref()?.state?;
                        (state == ServiceUpdateStatusStateEnum::COMPLETED
                            && service.version.as_ref()?.index? > version)
                            .then_some(service)
                    }
                })
                .await;
            let spec = service.spec.unwrap();
            let env = spec
                .task_template
                .as_ref()
                .and_then(|t| t.container_spec.as_ref())
                .and_then(|c| c.env.clone())
                .unwrap_or_default();
            assert!(env.contains(&variable), "{env:?}");
            let update = spec.update_config.unwrap();
            assert_eq!(
                update.order,
                Some(ServiceSpecUpdateConfigOrderEnum::START_FIRST)
            );
            assert_eq!(
                update.failure_action,
                Some(ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK)
            );
            assert_eq!(
                spec.rollback_config.unwrap().order,
                Some(ServiceSpecRollbackConfigOrderEnum::START_FIRST)
            );
            let after = running_task_ids(&swarm, &tenant).await;
            assert_eq!(after.len(), 1, "{after:?}");
            assert!(
                after.is_disjoint(&before),
                "a new task: {before:?} → {after:?}"
            );
            let task = swarm
                .docker()
                .inspect_task(after.first().unwrap())
                .await
                .unwrap();
            let task_env = task
                .spec
                .and_then(|s| s.container_spec)
                .and_then(|c| c.env)
                .unwrap_or_default();
            assert!(task_env.contains(&variable), "{task_env:?}");
            wait_status(&store, &tenant, "Running after the env change", available).await;
            wait_page(&client, &tenant, marker_path, &marker).await;
            let updates = store
                .events(&tenant)
                .iter()
                .filter(|e| e.reason == "ServiceUpdated")
                .count();
            assert_eq!(updates, 2, "one update for the restart, one for the env");
        },
        async {
            shutdown.cancel();
            controller.await.unwrap();
            finalize_leftovers(Arc::clone(&ctx), &store, &tenant).await;
        },
    )
    .await;
}

/// A controller killed (its future dropped at an await point, as SIGKILL would stop it between
/// two steps) twice in the middle of provisioning — once right after the database and its
/// secret exist, once after the bucket and both secrets exist but before the volume and the
/// service — then started again: the tenant converges with one service, exactly the two
/// secrets it mounts, and nothing the deletion leaves behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_killed_mid_provisioning_converges_without_duplicates_or_orphans() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let store = HookedStore::default();
    let tenant = common::unique_tenant("itkil");
    let cleanup_ctx = common::context(&platform, store.clone());

    let body_store = store.clone();
    let body_tenant = tenant.clone();
    let body_platform = platform.clone();
    common::with_cleanup(
        async move {
            let (store, tenant, platform) = (body_store, body_tenant, body_platform);
            let swarm = platform.swarm.clone();
            // A short lease: each restarted controller has a new identity and waits out the
            // dead one's lease, as a restarted process would.
            let start = |holder: &str| {
                let ctx = common::context(&platform, store.clone());
                let token = CancellationToken::new();
                let handle = tokio::spawn(run(
                    Arc::clone(&ctx),
                    run_settings(holder, Duration::from_secs(2), Duration::from_secs(30)),
                    token.clone(),
                ));
                (ctx, handle, token)
            };

            // First life: killed once the database, user and password secret exist.
            store.hang_at(Some(HangAt::DatabaseReadyEvent));
            let (_, first, _token) = start("first-life");
            let created = store
                .inner
                .create(&tenant, spec("Crash Safe Site"), "admin-password-1");
            common::eventually("the first kill point", Duration::from_secs(60), || {
                let reached = store.reached(HangAt::DatabaseReadyEvent);
                async move { reached.then_some(()) }
            })
            .await;
            first.abort();
            assert!(first.await.unwrap_err().is_cancelled());
            // The bucket, the S3 identity and the admin secret are made side by side with the
            // database: they may exist by now or not, the volume and the service may not.
            let left = common::leftovers(&platform, &tenant).await;
            assert!(
                left.starts_with(&["secrets", "database", "user"]),
                "{left:?}"
            );
            assert!(
                left.iter()
                    .all(|kind| !["volume", "service"].contains(kind)),
                "{left:?}"
            );
            let db_secrets: Vec<_> = secrets_of(&swarm, &tenant)
                .await
                .into_iter()
                .filter(|(_, purpose)| purpose == "db")
                .collect();
            assert_eq!(db_secrets.len(), 1, "{db_secrets:?}");

            // Second life: killed after the bucket, the S3 identity and the admin secret,
            // before the volume.
            store.hang_at(Some(HangAt::DeleteAdminPassword));
            let (_, second, _token) = start("second-life");
            common::eventually("the second kill point", Duration::from_secs(60), || {
                let reached = store.reached(HangAt::DeleteAdminPassword);
                async move { reached.then_some(()) }
            })
            .await;
            // The admin step hangs; the bucket and the S3 identity, made beside it, go on to
            // the end (the reconcile waits for all three before the volume).
            common::eventually("the bucket and S3 secret", Duration::from_secs(60), || {
                let (platform, swarm, tenant) = (platform.clone(), swarm.clone(), tenant.clone());
                async move {
                    let left = common::leftovers(&platform, &tenant).await;
                    let done = left.contains(&"bucket")
                        && left.contains(&"s3 identity")
                        && secrets_of(&swarm, &tenant)
                            .await
                            .iter()
                            .any(|(_, purpose)| purpose == "s3");
                    done.then_some(())
                }
            })
            .await;
            second.abort();
            assert!(second.await.unwrap_err().is_cancelled());
            assert_eq!(
                common::leftovers(&platform, &tenant).await,
                ["secrets", "database", "user", "bucket", "s3 identity"]
            );
            let secrets = secrets_of(&swarm, &tenant).await;
            assert_eq!(secrets.len(), 3, "{secrets:?}");
            assert!(
                secrets.contains(&db_secrets[0]),
                "the database secret of the first life is reused"
            );

            // Third life: runs to the end.
            store.hang_at(None);
            let (ctx, third, token) = start("third-life");
            wait_status(&store.inner, &tenant, "Running and Available", available).await;
            let client = site_client(&tenant);
            wait_page(&client, &tenant, "/", "Crash Safe Site").await;

            let services = swarm.list_tenant_services().await.unwrap();
            let ours: Vec<_> = services
                .iter()
                .filter(|s| {
                    s.spec
                        .as_ref()
                        .and_then(|spec| spec.labels.as_ref())
                        .and_then(|labels| labels.get("swarmpress.tenant"))
                        .is_some_and(|t| t == tenant.as_str())
                })
                .collect();
            assert_eq!(ours.len(), 1, "one service");
            let mut secret_ids: Vec<String> = secrets_of(&swarm, &tenant)
                .await
                .into_iter()
                .map(|(id, _)| id)
                .collect();
            secret_ids.sort();
            let mut expected: Vec<String> = secrets.iter().map(|(id, _)| id.clone()).collect();
            expected.sort();
            assert_eq!(secret_ids, expected, "no secret made again after the kills");
            assert_eq!(
                mounted_secret_ids(&swarm, &tenant).await,
                secret_ids,
                "every secret is mounted: none is left over"
            );
            assert!(!store.inner.has_admin_password(&created));
            let reasons: Vec<String> = store
                .inner
                .events(&tenant)
                .into_iter()
                .map(|e| e.reason)
                .collect();
            assert_eq!(
                reasons.iter().filter(|r| *r == "ServiceCreated").count(),
                1,
                "{reasons:?}"
            );
            assert!(
                !reasons.iter().any(|r| r == "AdminPasswordGenerated"),
                "the stored admin password survived the kills: {reasons:?}"
            );
            // The consistency checker agrees, held to every rule (no grace): the tenant has
            // each of its objects, no secret is left unmounted, its status matches the world.
            let record = store.inner.get(&tenant).expect("the record");
            assert_eq!(
                common::consistency_findings(&platform, &tenant, &[record], Duration::ZERO).await,
                Vec::<String>::new()
            );

            // Deleting it leaves nothing: whatever the killed lives made belongs to the tenant.
            store.inner.mark_deleted(&tenant);
            common::eventually(
                "the record to be removed",
                common::site::SITE_TIMEOUT,
                || {
                    let gone = store.inner.get(&tenant).is_none();
                    async move { gone.then_some(()) }
                },
            )
            .await;
            assert!(common::leftovers(&platform, &tenant).await.is_empty());
            assert_eq!(
                common::consistency_findings(&platform, &tenant, &[], Duration::ZERO).await,
                Vec::<String>::new(),
                "nothing of the deleted tenant is left for the checker to find"
            );
            token.cancel();
            third.await.unwrap();
            drop(ctx);
        },
        async {
            store.hang_at(None);
            finalize_leftovers(Arc::clone(&cleanup_ctx), &store.inner, &tenant).await;
            // A finalizer that ran from a killed point may leave what it never saw.
            if !common::leftovers(&platform, &tenant).await.is_empty() {
                common::remove_tenant_objects(&platform, &tenant).await;
            }
        },
    )
    .await;
}
