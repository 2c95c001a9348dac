//! `TenantBuckets` against the platform's real SeaweedFS S3.

mod common;

use futures_util::TryStreamExt as _;
use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use secrecy::ExposeSecret as _;
use swarmpress_controller::adapters::s3::{S3Config, TenantBuckets};
use swarmpress_schema::TenantName;

#[allow(clippy::unwrap_used)] // test helper: a bad builder is a broken test
fn objects(config: &S3Config, tenant: &TenantName) -> impl ObjectStore {
    AmazonS3Builder::new()
        .with_endpoint(&config.endpoint)
        .with_region(&config.region)
        .with_bucket_name(tenant.bucket_name())
        .with_access_key_id(&config.access_key)
        .with_secret_access_key(config.secret_key.expose_secret())
        .with_allow_http(true)
        .build()
        .unwrap()
}

async fn delete_bucket(buckets: TenantBuckets, tenant: TenantName) {
    if let Err(error) = buckets.delete(&tenant).await {
        eprintln!("cleanup of bucket {} failed: {error}", tenant.bucket_name());
    }
}

#[tokio::test]
async fn ensure_is_idempotent_and_delete_removes_objects_and_bucket() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let tenant = common::unique_tenant("its3");
    let buckets = platform.buckets.clone();
    let config = platform.s3.clone();
    let body_tenant = tenant.clone();
    common::with_cleanup(
        async move {
            let tenant = body_tenant;
            assert!(!buckets.exists(&tenant).await.unwrap());
            assert!(
                !buckets.delete(&tenant).await.unwrap(),
                "deleting a bucket that never existed is not an error"
            );
            assert_eq!(
                buckets.size(&tenant).await.unwrap(),
                0,
                "no bucket, no bytes"
            );

            buckets.ensure(&tenant).await.unwrap();
            assert!(buckets.exists(&tenant).await.unwrap());
            buckets.ensure(&tenant).await.unwrap();
            assert!(
                buckets
                    .list_tenant_buckets()
                    .await
                    .unwrap()
                    .contains(&tenant.bucket_name())
            );

            // A controller that never probed the bucket (a new process: the one that made it
            // skipped the probe) writes one; the probe leaves nothing behind, and a tenant's
            // objects survive a repeated ensure.
            TenantBuckets::new(config.clone())
                .ensure(&tenant)
                .await
                .unwrap();
            let store = objects(&config, &tenant);
            let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
            assert!(listed.is_empty(), "probe left behind: {listed:?}");
            for name in ["uploads/2024/a.jpg", "uploads/b.png", "c.txt"] {
                store
                    .put(&Path::from(name), PutPayload::from_static(b"data"))
                    .await
                    .unwrap();
            }
            buckets.ensure(&tenant).await.unwrap();
            let listed: Vec<_> = store.list(None).try_collect().await.unwrap();
            assert_eq!(listed.len(), 3);
            // The usage meter's size: every object's bytes.
            assert_eq!(buckets.size(&tenant).await.unwrap(), 12);

            // A bucket with objects is emptied first, then removed.
            assert!(buckets.delete(&tenant).await.unwrap());
            assert!(!buckets.exists(&tenant).await.unwrap());
            assert!(!buckets.delete(&tenant).await.unwrap());
        },
        delete_bucket(platform.buckets.clone(), tenant),
    )
    .await;
}

#[tokio::test]
async fn a_wrong_key_is_an_error_not_a_missing_bucket() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let mut config = platform.s3.clone();
    config.secret_key = "not-the-secret-key".to_owned().into();
    let buckets = TenantBuckets::new(config);
    let tenant = common::unique_tenant("its3bad");
    assert!(buckets.exists(&tenant).await.is_err());
    assert!(buckets.ensure(&tenant).await.is_err());
}
