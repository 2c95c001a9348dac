//! `TenantIdentities` against the platform's real SeaweedFS: a site's key opens its own
//! bucket, and no other bucket, and cannot administer anything.

mod common;

use object_store::aws::AmazonS3Builder;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _, PutPayload};
use secrecy::{ExposeSecret as _, SecretString};
use swarmpress_controller::adapters::s3::{S3Config, TenantBuckets};
use swarmpress_controller::adapters::s3_identity::{AccessKey, TenantIdentities};
use swarmpress_schema::TenantName;

#[allow(clippy::unwrap_used)] // test helper: a bad builder is a broken test
fn objects_with(config: &S3Config, bucket: &str, key: &AccessKey) -> impl ObjectStore {
    AmazonS3Builder::new()
        .with_endpoint(&config.endpoint)
        .with_region(&config.region)
        .with_bucket_name(bucket)
        .with_access_key_id(&key.id)
        .with_secret_access_key(key.secret.expose_secret())
        .with_allow_http(true)
        .with_retry(object_store::RetryConfig {
            max_retries: 0,
            ..Default::default()
        })
        .build()
        .unwrap()
}

async fn remove(buckets: TenantBuckets, identities: TenantIdentities, tenants: Vec<TenantName>) {
    for tenant in tenants {
        if let Err(error) = identities.delete(&tenant).await {
            eprintln!("cleanup of identity {tenant} failed: {error}");
        }
        if let Err(error) = buckets.delete(&tenant).await {
            eprintln!("cleanup of bucket {} failed: {error}", tenant.bucket_name());
        }
    }
}

fn is_refused(result: &Result<impl std::fmt::Debug, object_store::Error>) -> bool {
    // SeaweedFS answers 403 AccessDenied; object_store reports it as a generic error or as
    // PermissionDenied depending on the call.
    result.as_ref().is_err_and(|error| {
        let text = error.to_string();
        text.contains("403") || text.contains("AccessDenied") || text.contains("Forbidden")
    })
}

#[tokio::test]
async fn a_site_key_opens_its_own_bucket_and_no_other() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let own = common::unique_tenant("idown");
    let other = common::unique_tenant("idother");
    let buckets = platform.buckets.clone();
    let identities = TenantIdentities::new(platform.s3.clone()).unwrap();
    let config = platform.s3.clone();
    let (body_buckets, body_identities) = (buckets.clone(), identities.clone());
    let (body_own, body_other) = (own.clone(), other.clone());
    common::with_cleanup(
        async move {
            let (buckets, identities, own, other) =
                (body_buckets, body_identities, body_own, body_other);
            buckets.ensure(&own).await.unwrap();
            buckets.ensure(&other).await.unwrap();
            // Something of the other site's to steal or destroy.
            let admin_key = AccessKey {
                id: config.access_key.clone(),
                secret: config.secret_key.clone(),
            };
            let theirs = Path::from("uploads/secret.txt");
            objects_with(&config, &other.bucket_name(), &admin_key)
                .put(&theirs, PutPayload::from_static(b"theirs"))
                .await
                .unwrap();

            assert!(identities.key_ids(&own).await.unwrap().is_empty());
            let key = identities.issue_key(&own).await.unwrap();
            assert!(identities.is_current(&own, &key.id).await.unwrap());

            // Its own bucket: write, read, list, delete.
            let mine = objects_with(&config, &own.bucket_name(), &key);
            let path = Path::from("uploads/2026/12/photo.jpg");
            mine.put(&path, PutPayload::from_static(b"jpeg"))
                .await
                .unwrap();
            let read = mine.get(&path).await.unwrap().bytes().await.unwrap();
            assert_eq!(&read[..], b"jpeg");
            mine.delete(&path).await.unwrap();

            // Another site's bucket: nothing.
            let stolen = objects_with(&config, &other.bucket_name(), &key);
            assert!(is_refused(&stolen.get(&theirs).await.map(|_| ())));
            assert!(is_refused(
                &stolen.put(&theirs, PutPayload::from_static(b"x")).await
            ));
            assert!(is_refused(&stolen.delete(&theirs).await));
            let unchanged = objects_with(&config, &other.bucket_name(), &admin_key)
                .get(&theirs)
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap();
            assert_eq!(&unchanged[..], b"theirs");

            // Nor the IAM API: a site cannot mint itself keys or list the platform's users.
            let as_site = TenantIdentities::new(S3Config {
                access_key: key.id.clone(),
                secret_key: SecretString::from(key.secret.expose_secret().to_owned()),
                ..config.clone()
            })
            .unwrap();
            assert!(as_site.list_tenant_users().await.is_err());
            assert!(as_site.issue_key(&other).await.is_err());

            // A new key replaces the old one, which stops working.
            let second = identities.issue_key(&own).await.unwrap();
            assert_ne!(second.id, key.id);
            let keys = identities.key_ids(&own).await.unwrap();
            assert_eq!(keys.len(), 1);
            assert!(keys.contains(&second.id));
            assert!(!identities.is_current(&own, &key.id).await.unwrap());
            assert!(is_refused(
                &mine.put(&path, PutPayload::from_static(b"x")).await
            ));

            // Deleting the identity removes the key; a second delete finds nothing.
            assert!(
                identities
                    .list_tenant_users()
                    .await
                    .unwrap()
                    .contains(&own.bucket_name())
            );
            assert!(identities.delete(&own).await.unwrap());
            assert!(!identities.delete(&own).await.unwrap());
            let after = objects_with(&config, &own.bucket_name(), &second);
            assert!(is_refused(
                &after.put(&path, PutPayload::from_static(b"x")).await
            ));
        },
        remove(buckets, identities, vec![own, other]),
    )
    .await;
}

#[tokio::test]
async fn deleting_an_identity_leaves_no_policy_behind() {
    let Some(platform) = common::platform().await else {
        return;
    };
    let tenant = common::unique_tenant("idpolicy");
    let identities = TenantIdentities::new(platform.s3.clone()).unwrap();
    let (body_identities, body_tenant) = (identities.clone(), tenant.clone());
    common::with_cleanup(
        async move {
            let (identities, tenant) = (body_identities, body_tenant);
            identities.issue_key(&tenant).await.unwrap();
            assert!(identities.inline_policy(&tenant).await.unwrap().is_some());
            assert!(identities.delete(&tenant).await.unwrap());
            // SeaweedFS stores inline policies apart from users: a user made again under the
            // same name shows whether the old one's policy outlived it (each one left behind
            // makes every later IAM write of the platform slower).
            identities.create_user(&tenant).await.unwrap();
            assert_eq!(identities.inline_policy(&tenant).await.unwrap(), None);
        },
        async move {
            if let Err(error) = identities.delete(&tenant).await {
                eprintln!("cleanup of identity {tenant} failed: {error}");
            }
        },
    )
    .await;
}
