//! Tenant buckets in the platform's S3 (SeaweedFS).
//!
//! Buckets are created and deleted with `rust-s3` (object_store has no bucket operations);
//! objects are listed, written and deleted with `object_store`. Both sign with the platform's
//! one access key, path-style, since SeaweedFS serves no virtual-hosted bucket names.

use std::fmt;
use std::time::Duration;

use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt as _, PutPayload, RetryConfig};
use s3::creds::Credentials;
use s3::{Bucket, BucketConfiguration, Region};
use swarmpress_schema::TenantName;

/// Every tenant bucket is named `wp-<slug>`: [`TenantName::bucket_name`].
pub const TENANT_BUCKET_PREFIX: &str = "wp-";
/// Written and deleted by [`TenantBuckets::ensure`] to prove the bucket takes writes.
const PROBE_OBJECT: &str = ".swarmpress-probe";
/// One S3 request may take this long; the work queue retries a failed reconcile.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum BucketError {
    #[error("S3 client configuration: {0}")]
    Config(String),
    #[error("S3 refused to {action} bucket {bucket}: {message}")]
    Bucket {
        action: &'static str,
        bucket: String,
        message: String,
    },
    #[error("S3 objects of bucket {bucket}: {source}")]
    Objects {
        bucket: String,
        #[source]
        source: object_store::Error,
    },
}

/// Where the platform's S3 is and the key that administers it.
#[derive(Clone)]
pub struct S3Config {
    /// e.g. `http://127.0.0.1:8333` from the host, `http://s3:8333` on the backend network.
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: String,
}

/// Written by hand so the secret key never reaches a log line.
impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &"***")
            .finish()
    }
}

/// Creates, checks and deletes tenants' buckets. Cheap to clone.
#[derive(Clone, Debug)]
pub struct TenantBuckets {
    config: S3Config,
    region: Region,
}

impl TenantBuckets {
    pub fn new(config: S3Config) -> Self {
        let region = Region::Custom {
            region: config.region.clone(),
            endpoint: config.endpoint.trim_end_matches('/').to_owned(),
        };
        Self { config, region }
    }

    fn credentials(&self) -> Result<Credentials, BucketError> {
        Credentials::new(
            Some(&self.config.access_key),
            Some(&self.config.secret_key),
            None,
            None,
            None,
        )
        .map_err(|error| BucketError::Config(error.to_string()))
    }

    fn bucket(&self, name: &str) -> Result<Box<Bucket>, BucketError> {
        let mut bucket = Bucket::new(name, self.region.clone(), self.credentials()?)
            .map_err(|error| BucketError::Config(error.to_string()))?
            .with_path_style();
        bucket.set_request_timeout(Some(REQUEST_TIMEOUT));
        Ok(bucket)
    }

    fn objects(&self, bucket: &str) -> Result<AmazonS3, BucketError> {
        AmazonS3Builder::new()
            .with_endpoint(self.config.endpoint.trim_end_matches('/'))
            .with_region(&self.config.region)
            .with_bucket_name(bucket)
            .with_access_key_id(&self.config.access_key)
            .with_secret_access_key(&self.config.secret_key)
            .with_virtual_hosted_style_request(false)
            // Client options replace the builder's: `allow_http` belongs in them.
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(self.config.endpoint.starts_with("http://"))
                    .with_timeout(REQUEST_TIMEOUT),
            )
            // A failed reconcile is retried by the work queue with its own backoff; retrying
            // here as well would only hold a worker for minutes.
            .with_retry(RetryConfig {
                max_retries: 2,
                retry_timeout: REQUEST_TIMEOUT,
                ..RetryConfig::default()
            })
            .build()
            .map_err(|source| BucketError::Objects {
                bucket: bucket.to_owned(),
                source,
            })
    }

    /// Names of all buckets that look like tenant buckets (`wp-*`), for orphan collection.
    pub async fn list_tenant_buckets(&self) -> Result<Vec<String>, BucketError> {
        let listed = Bucket::list_buckets(self.region.clone(), self.credentials()?)
            .await
            .map_err(|error| BucketError::Bucket {
                action: "list",
                bucket: "*".to_owned(),
                message: error.to_string(),
            })?;
        Ok(listed
            .bucket_names()
            .filter(|name| name.starts_with(TENANT_BUCKET_PREFIX))
            .collect())
    }

    pub async fn exists(&self, tenant: &TenantName) -> Result<bool, BucketError> {
        let name = tenant.bucket_name();
        self.bucket(&name)?
            .exists()
            .await
            .map_err(|error| BucketError::Bucket {
                action: "look up",
                bucket: name,
                message: error.to_string(),
            })
    }

    /// Makes the tenant's bucket exist and proves the platform key can write to and delete
    /// from it (a probe object, written then removed). Safe to repeat.
    pub async fn ensure(&self, tenant: &TenantName) -> Result<(), BucketError> {
        let name = tenant.bucket_name();
        if !self.exists(tenant).await? {
            let created = Bucket::create_with_path_style(
                &name,
                self.region.clone(),
                self.credentials()?,
                BucketConfiguration::private(),
            )
            .await
            .map_err(|error| BucketError::Bucket {
                action: "create",
                bucket: name.clone(),
                message: error.to_string(),
            })?;
            // 409 is a create that raced with another: the bucket is ours either way.
            if !(created.success() || created.response_code == 409) {
                return Err(BucketError::Bucket {
                    action: "create",
                    bucket: name,
                    message: format!("HTTP {}: {}", created.response_code, created.response_text),
                });
            }
        }
        let store = self.objects(&name)?;
        let probe = Path::from(PROBE_OBJECT);
        let objects_error = |source| BucketError::Objects {
            bucket: name.clone(),
            source,
        };
        store
            .put(&probe, PutPayload::from_static(b"swarmpress"))
            .await
            .map_err(objects_error)?;
        store.delete(&probe).await.map_err(objects_error)?;
        Ok(())
    }

    /// Deletes every object of the tenant's bucket, then the bucket. `false` when there was
    /// no bucket. Safe to repeat, and to run when [`Self::ensure`] never did.
    pub async fn delete(&self, tenant: &TenantName) -> Result<bool, BucketError> {
        let name = tenant.bucket_name();
        if !self.exists(tenant).await? {
            return Ok(false);
        }
        let store = self.objects(&name)?;
        let locations = store.list(None).map_ok(|object| object.location).boxed();
        // Every failed delete surfaces: a bucket with objects left cannot be deleted anyway.
        store
            .delete_stream(locations)
            .try_for_each(|_| async { Ok(()) })
            .await
            .map_err(|source| BucketError::Objects {
                bucket: name.clone(),
                source,
            })?;
        let status = self
            .bucket(&name)?
            .delete()
            .await
            .map_err(|error| BucketError::Bucket {
                action: "delete",
                bucket: name.clone(),
                message: error.to_string(),
            })?;
        match status {
            200..=299 => Ok(true),
            // Deleted by someone else between our look-up and our delete.
            404 => Ok(false),
            other => Err(BucketError::Bucket {
                action: "delete",
                bucket: name,
                message: format!("HTTP {other}"),
            }),
        }
    }
}
