//! Orphan collection against the real platform: a tenant's objects with no tenant record
//! are removed once the grace period has passed; those of a tenant with a record, and
//! anything without our naming and labels, are left alone. MariaDB is reached through the
//! least-privilege `swarmpress_controller` account, as in production.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, not only #[test] functions

mod common;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use bollard::models::{
    HealthConfig, Mount, MountType, ServiceSpec, ServiceSpecMode, ServiceSpecModeReplicated,
    TaskSpec, TaskSpecContainerSpec, VolumeCreateRequest,
};
use common::memory_store::{MemoryStore, spec};
use swarmpress_controller::orphans::{OrphanCollector, OrphanKind, OrphanScope};
use swarmpress_controller::reconcile::names::{PURPOSE_DB, secret_labels, tenant_labels};
use swarmpress_controller::reconcile::password::GeneratedPassword;
use swarmpress_schema::TenantName;

const GRACE: Duration = Duration::from_secs(1);

/// Makes every kind of object a tenant has, the way the reconciler names and labels them:
/// a (sleeping) service that mounts the volume and the secret, so removing the volume has
/// to wait for the service's container to go.
async fn make_tenant_objects(platform: &common::Platform, tenant: &TenantName) {
    let secret = platform
        .swarm
        .ensure_secret(
            &format!("{}_db_{}", tenant.service_name(), common::random_suffix(8)),
            secret_labels(tenant, PURPOSE_DB),
            b"not-a-real-password",
        )
        .await
        .unwrap();
    platform
        .swarm
        .ensure_volume(&tenant.volume_name(), tenant_labels(tenant))
        .await
        .unwrap();
    let service = ServiceSpec {
        name: Some(tenant.service_name()),
        labels: Some(tenant_labels(tenant)),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated { replicas: Some(1) }),
            ..Default::default()
        }),
        task_template: Some(TaskSpec {
            container_spec: Some(TaskSpecContainerSpec {
                image: Some("debian:bookworm-slim".to_owned()),
                command: Some(vec!["sleep".to_owned(), "3600".to_owned()]),
                labels: Some(tenant_labels(tenant)),
                health_check: Some(HealthConfig {
                    test: Some(vec!["NONE".to_owned()]),
                    ..Default::default()
                }),
                // `sleep` as PID 1 ignores SIGTERM: do not wait the default 10 s to kill it.
                stop_grace_period: Some(1_000_000_000),
                mounts: Some(vec![Mount {
                    target: Some("/data".to_owned()),
                    source: Some(tenant.volume_name()),
                    typ: Some(MountType::VOLUME),
                    ..Default::default()
                }]),
                secrets: Some(vec![bollard::models::TaskSpecContainerSpecSecrets {
                    file: Some(bollard::models::TaskSpecContainerSpecFile {
                        name: Some("db_password".to_owned()),
                        uid: Some("0".to_owned()),
                        gid: Some("0".to_owned()),
                        mode: Some(0o400),
                    }),
                    secret_id: Some(secret.id),
                    secret_name: Some(secret.name),
                }]),
                ..Default::default()
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    platform.swarm.create_service(service).await.unwrap();
    platform
        .databases
        .ensure(tenant, &GeneratedPassword::generate().unwrap(), 20)
        .await
        .unwrap();
    platform.buckets.ensure(tenant).await.unwrap();
    platform.identities.issue_key(tenant).await.unwrap();
    // The container must run (and so hold the volume) before collection starts.
    let swarm = platform.swarm.clone();
    let name = tenant.service_name();
    common::eventually("the service's container", Duration::from_secs(60), || {
        let swarm = swarm.clone();
        let name = name.clone();
        async move { (swarm.service_container_count(&name).await.unwrap() > 0).then_some(()) }
    })
    .await;
}

async fn volume_exists(platform: &common::Platform, name: &str) -> bool {
    platform.swarm.docker().inspect_volume(name).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphans_are_removed_after_the_grace_period_and_nothing_else_is() {
    let Some(mut platform) = common::platform().await else {
        return;
    };
    match common::controller_databases().await {
        Ok(databases) => platform.databases = databases,
        Err(reason) if common::platform_required() => {
            panic!("the swarmpress_controller account is unusable: {reason}")
        }
        Err(reason) => {
            eprintln!("SKIPPED: the swarmpress_controller account is unusable ({reason})");
            return;
        }
    }
    let orphan = common::unique_tenant("gco");
    let kept = common::unique_tenant("gck");
    let unlabelled = common::unique_tenant("gcu");
    // Named like a stack's volume, labelled as if it were the orphan's: neither makes it ours.
    let stack_volume = format!("swarmpress_gctest_{}", common::random_suffix(8));
    let store = MemoryStore::default();
    let ctx = common::context(&platform, store.clone());
    // Other tests' tenants share the platform but not this store: to this collector they
    // would all look orphaned, so it may only touch this test's.
    let scope = OrphanScope::Only(BTreeSet::from([
        orphan.clone(),
        kept.clone(),
        unlabelled.clone(),
    ]));

    let body_platform = platform.clone();
    let body_ctx = std::sync::Arc::clone(&ctx);
    let (body_orphan, body_kept, body_unlabelled, body_stack) = (
        orphan.clone(),
        kept.clone(),
        unlabelled.clone(),
        stack_volume.clone(),
    );
    common::with_cleanup(
        async move {
            let (platform, ctx) = (body_platform, body_ctx);
            let (orphan, kept, unlabelled) = (body_orphan, body_kept, body_unlabelled);
            store.create(&kept, spec("Kept"), "admin-password");
            make_tenant_objects(&platform, &orphan).await;
            make_tenant_objects(&platform, &kept).await;
            // Our naming without our label.
            platform
                .swarm
                .ensure_volume(&unlabelled.volume_name(), HashMap::new())
                .await
                .unwrap();
            let stack_labels = HashMap::from([
                ("swarmpress.tenant".to_owned(), orphan.to_string()),
                (
                    "com.docker.stack.namespace".to_owned(),
                    "swarmpress".to_owned(),
                ),
            ]);
            platform
                .swarm
                .docker()
                .create_volume(VolumeCreateRequest {
                    name: Some(body_stack.clone()),
                    labels: Some(stack_labels),
                    ..Default::default()
                })
                .await
                .unwrap();

            let mut collector = OrphanCollector::new(GRACE, scope);
            // First sighting: the clock starts, nothing is removed yet.
            let first = collector.pass(&ctx).await.unwrap();
            assert!(first.removed.is_empty(), "{first:?}");
            assert_eq!(first.waiting, 7, "the orphan's seven objects: {first:?}");
            assert_eq!(
                common::leftovers(&platform, &orphan).await.len(),
                7,
                "nothing removed inside the grace period"
            );

            tokio::time::sleep(GRACE + Duration::from_millis(100)).await;
            let second = collector.pass(&ctx).await.unwrap();
            assert_eq!(second.failed, 0, "{second:?}");
            let kinds: Vec<OrphanKind> = second.removed.iter().map(|o| o.kind).collect();
            assert_eq!(
                kinds,
                [
                    OrphanKind::Service,
                    OrphanKind::Secret,
                    OrphanKind::Volume,
                    OrphanKind::User,
                    OrphanKind::Database,
                    OrphanKind::S3Identity,
                    OrphanKind::Bucket
                ]
            );
            assert!(second.removed.iter().all(|o| o.tenant == orphan));
            assert_eq!(
                common::leftovers(&platform, &orphan).await,
                Vec::<&str>::new()
            );
            for kind in [
                "service",
                "secret",
                "volume",
                "user",
                "database",
                "s3_identity",
                "bucket",
            ] {
                assert_eq!(
                    ctx.metrics.orphans_removed.with_label_values(&[kind]).get(),
                    1,
                    "{kind}"
                );
            }
            let metrics = ctx.metrics.render().unwrap();
            assert!(
                metrics.contains("swarmpress_orphans_removed_total{kind=\"volume\"} 1"),
                "{metrics}"
            );

            // The tenant with a record keeps everything, and so do the objects that are not
            // ours, now and on later passes.
            assert_eq!(
                common::leftovers(&platform, &kept).await,
                [
                    "service",
                    "secrets",
                    "volume",
                    "database",
                    "user",
                    "bucket",
                    "s3 identity"
                ]
            );
            assert!(volume_exists(&platform, &unlabelled.volume_name()).await);
            assert!(volume_exists(&platform, &body_stack).await);
            let third = collector.pass(&ctx).await.unwrap();
            assert!(third.removed.is_empty(), "{third:?}");
            assert_eq!(third.waiting, 0);
            assert!(volume_exists(&platform, &body_stack).await);
        },
        async {
            for tenant in [&orphan, &kept, &unlabelled] {
                common::remove_tenant_objects(&platform, tenant).await;
            }
            if let Err(e) = platform.swarm.remove_volume(&stack_volume).await {
                eprintln!("cleanup of {stack_volume} failed: {e}");
            }
        },
    )
    .await;
}
