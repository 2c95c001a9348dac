//! Tenant buckets in the platform's S3 (SeaweedFS).
//!
//! Buckets are created and deleted with `rust-s3` (object_store has no bucket operations);
//! objects are listed, written and deleted with `object_store`. Both sign with the platform's
//! one access key, path-style, since SeaweedFS serves no virtual-hosted bucket names.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{StreamExt as _, TryStreamExt as _};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt as _, PutPayload, RetryConfig};
use s3::command::Command;
use s3::creds::Credentials;
use s3::request::Request as _;
use s3::request::tokio_backend::ReqwestRequest;
use s3::{Bucket, BucketConfiguration, Region};
use secrecy::{ExposeSecret as _, SecretString};
use swarmpress_schema::TenantName;
use tokio::time::Instant;

use crate::views::cache::{RETRY_AFTER_FAILURE, ViewCache};

/// Every tenant bucket is named `wp-<slug>`: [`TenantName::bucket_name`].
pub use swarmpress_schema::BUCKET_PREFIX as TENANT_BUCKET_PREFIX;
/// Written and deleted by [`TenantBuckets::ensure`] to prove the bucket takes writes.
const PROBE_OBJECT: &str = ".swarmpress-probe";
/// One S3 request may take this long; the work queue retries a failed reconcile.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the bucket list (one ListBuckets for every tenant) is trusted. A bucket deleted
/// behind the controller's back is seen missing by the first reconcile after the list is
/// this old, and by the next periodic resync in any case (it invalidates every view before
/// queueing the tenants), and recreated.
pub const VIEW_MAX_AGE: Duration = Duration::from_secs(10);
/// How long a successful write probe counts: within it, a bucket that the list shows is taken
/// as writable without writing to it again. The probe guards against the platform key losing
/// its rights, which no bucket list shows; re-proving that for every tenant on every resync
/// would cost two requests per tenant per pass.
pub const PROBE_TTL: Duration = Duration::from_secs(3600);

/// Clone (hence the `Arc`): a failed bucket listing's error is handed to every reconcile
/// that waited for it.
#[derive(Debug, Clone, thiserror::Error)]
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
        source: Arc<object_store::Error>,
    },
}

/// The bucket names of a ListBuckets answer (`<Bucket><Name>…</Name>…</Bucket>`). Bucket
/// names are `[a-z0-9.-]`, so they need no unescaping; the owner's fields are not `<Name>`.
fn bucket_names(xml: &str) -> impl Iterator<Item = String> + '_ {
    xml.split("<Bucket>").skip(1).filter_map(|bucket| {
        let (_, rest) = bucket.split_once("<Name>")?;
        let (name, _) = rest.split_once("</Name>")?;
        Some(name.trim().to_owned())
    })
}

/// Where the platform's S3 is and the key that administers it.
#[derive(Clone)]
pub struct S3Config {
    /// e.g. `http://127.0.0.1:8333` from the host, `http://s3:8333` inside the stack.
    pub endpoint: String,
    pub region: String,
    pub access_key: String,
    pub secret_key: SecretString,
}

/// Written by hand so the secret key never reaches a log line.
impl fmt::Debug for S3Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Config")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key", &self.access_key)
            .field("secret_key", &self.secret_key)
            .finish()
    }
}

/// Creates, checks and deletes tenants' buckets. Cheap to clone; clones share the HTTP
/// client, the bucket list and the probe record.
#[derive(Clone)]
pub struct TenantBuckets {
    config: S3Config,
    region: Region,
    /// A bucket handle for no bucket in particular, built once: each handle owns an HTTP
    /// client (TLS setup, connection pool), so per-bucket handles are cloned from this one.
    root: Arc<Mutex<Option<Box<Bucket>>>>,
    /// Names of every tenant bucket, listed in one request.
    listed: Arc<ViewCache<HashSet<String>, BucketError>>,
    /// When each bucket last took a probe write.
    probed: Arc<Mutex<HashMap<String, Instant>>>,
}

impl fmt::Debug for TenantBuckets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantBuckets")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl TenantBuckets {
    pub fn new(config: S3Config) -> Self {
        let region = Region::Custom {
            region: config.region.clone(),
            endpoint: config.endpoint.trim_end_matches('/').to_owned(),
        };
        Self {
            config,
            region,
            root: Arc::new(Mutex::new(None)),
            listed: Arc::new(ViewCache::new(VIEW_MAX_AGE, RETRY_AFTER_FAILURE)),
            probed: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    fn credentials(&self) -> Result<Credentials, BucketError> {
        Credentials::new(
            Some(&self.config.access_key),
            Some(self.config.secret_key.expose_secret()),
            None,
            None,
            None,
        )
        .map_err(|error| BucketError::Config(error.to_string()))
    }

    fn bucket(&self, name: &str) -> Result<Box<Bucket>, BucketError> {
        // Every holder leaves the slot either empty or filled: a poisoned lock is still whole.
        let mut root = self.root.lock().unwrap_or_else(PoisonError::into_inner);
        let root = match root.as_mut() {
            Some(root) => root,
            None => {
                let mut built = Bucket::new("", self.region.clone(), self.credentials()?)
                    .map_err(|error| BucketError::Config(error.to_string()))?
                    .with_path_style();
                built.set_request_timeout(Some(REQUEST_TIMEOUT));
                root.insert(built)
            }
        };
        let mut bucket = root.clone();
        name.clone_into(&mut bucket.name);
        Ok(bucket)
    }

    fn probed_within_ttl(&self, bucket: &str) -> bool {
        self.probed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(bucket)
            .is_some_and(|at| at.elapsed() < PROBE_TTL)
    }

    fn set_probed(&self, bucket: &str, probed: bool) {
        let mut record = self.probed.lock().unwrap_or_else(PoisonError::into_inner);
        if probed {
            record.insert(bucket.to_owned(), Instant::now());
        } else {
            record.remove(bucket);
        }
    }

    /// Marks the bucket list stale: the next [`Self::listed`] lists again.
    pub fn invalidate_list(&self) {
        self.listed.invalidate();
    }

    /// Whether the tenant's bucket is in the shared bucket list (listed at most once per
    /// [`VIEW_MAX_AGE`] for all tenants, and again after any bucket this type created or
    /// deleted).
    pub async fn listed(&self, tenant: &TenantName) -> Result<bool, BucketError> {
        let names = self
            .listed
            .get(|| async {
                self.list_tenant_buckets()
                    .await
                    .map(|names| names.into_iter().collect::<HashSet<_>>())
            })
            .await?;
        // No list (another caller's listing just failed): not shown, so the full path runs.
        Ok(names.is_some_and(|names| names.contains(&tenant.bucket_name())))
    }

    fn objects(&self, bucket: &str) -> Result<AmazonS3, BucketError> {
        AmazonS3Builder::new()
            .with_endpoint(self.config.endpoint.trim_end_matches('/'))
            .with_region(&self.config.region)
            .with_bucket_name(bucket)
            .with_access_key_id(&self.config.access_key)
            .with_secret_access_key(self.config.secret_key.expose_secret())
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
                source: Arc::new(source),
            })
    }

    /// Names of all buckets that look like tenant buckets (`wp-*`), for orphan collection and
    /// the shared bucket list.
    ///
    /// One ListBuckets, signed by rust-s3 and sent over the shared client: the crate's own
    /// `Bucket::list_buckets` builds a new HTTP client per call, which loads the system's CA
    /// certificates from disk every time — most of the CPU a resync spent on S3.
    pub async fn list_tenant_buckets(&self) -> Result<Vec<String>, BucketError> {
        let failed = |message: String| BucketError::Bucket {
            action: "list",
            bucket: "*".to_owned(),
            message,
        };
        let root = self.bucket("")?;
        let request = ReqwestRequest::new(&root, "", Command::ListBuckets)
            .await
            .map_err(|error| failed(error.to_string()))?;
        let response = request
            .response_data(false)
            .await
            .map_err(|error| failed(error.to_string()))?;
        let body = response
            .as_str()
            .map_err(|error| failed(error.to_string()))?;
        if !(200..300).contains(&response.status_code()) {
            return Err(failed(format!("HTTP {}: {body}", response.status_code())));
        }
        Ok(bucket_names(body)
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
    /// from it (a probe object, written then removed; a bucket the key has just created needs
    /// no proof). Safe to repeat.
    ///
    /// The steady state costs no request of its own: a bucket that the shared list shows and
    /// that took a probe within [`PROBE_TTL`] is left alone. Anything else — not listed (new,
    /// or deleted out of band), never probed by this process, probe too old — takes the full
    /// path.
    pub async fn ensure(&self, tenant: &TenantName) -> Result<(), BucketError> {
        let listed = self.listed(tenant).await;
        self.ensure_listed(tenant, listed).await
    }

    /// [`Self::ensure`], given what [`Self::listed`] answered (fetched beforehand, alongside
    /// the reconciler's other views).
    pub async fn ensure_listed(
        &self,
        tenant: &TenantName,
        listed: Result<bool, BucketError>,
    ) -> Result<(), BucketError> {
        let name = tenant.bucket_name();
        if self.probed_within_ttl(&name) && listed? {
            return Ok(());
        }
        let result = self.ensure_and_probe(tenant).await;
        self.set_probed(&name, result.is_ok());
        result
    }

    async fn ensure_and_probe(&self, tenant: &TenantName) -> Result<(), BucketError> {
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
            self.listed.invalidate();
            // 409 is a create that raced with another: the bucket is ours either way.
            if !(created.success() || created.response_code == 409) {
                return Err(BucketError::Bucket {
                    action: "create",
                    bucket: name,
                    message: format!("HTTP {}: {}", created.response_code, created.response_text),
                });
            }
            if created.success() {
                // The key just made the bucket: it has the rights the probe would prove. A
                // bucket's first write also makes SeaweedFS grow its volumes (~0.2 s), which
                // a new site need not wait for, and an idle site never pays for.
                return Ok(());
            }
        }
        let store = self.objects(&name)?;
        let probe = Path::from(PROBE_OBJECT);
        let objects_error = |source| BucketError::Objects {
            bucket: name.clone(),
            source: Arc::new(source),
        };
        store
            .put(&probe, PutPayload::from_static(b"swarmpress"))
            .await
            .map_err(objects_error)?;
        store.delete(&probe).await.map_err(objects_error)?;
        Ok(())
    }

    /// Bytes of every object in the tenant's bucket (0 when it has no bucket). Lists the
    /// objects: S3 has no cheaper size call, and a site's bucket holds its media, not millions
    /// of objects.
    pub async fn size(&self, tenant: &TenantName) -> Result<u64, BucketError> {
        let name = tenant.bucket_name();
        if !self.exists(tenant).await? {
            return Ok(0);
        }
        let store = self.objects(&name)?;
        store
            .list(None)
            .try_fold(0u64, |total, object| async move {
                Ok(total.saturating_add(object.size))
            })
            .await
            .map_err(|source| BucketError::Objects {
                bucket: name,
                source: Arc::new(source),
            })
    }

    /// Deletes every object of the tenant's bucket, then the bucket. `false` when there was
    /// no bucket. Safe to repeat, and to run when [`Self::ensure`] never did.
    pub async fn delete(&self, tenant: &TenantName) -> Result<bool, BucketError> {
        let name = tenant.bucket_name();
        // Whatever happens below, neither the list nor the probe record can be trusted for it.
        self.set_probed(&name, false);
        let result = self.delete_objects_and_bucket(tenant).await;
        self.listed.invalidate();
        result
    }

    async fn delete_objects_and_bucket(&self, tenant: &TenantName) -> Result<bool, BucketError> {
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
                source: Arc::new(source),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bucket_names_not_owner_fields() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListAllMyBucketsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>admin</ID><DisplayName>admin</DisplayName></Owner><Buckets><Bucket><Name>wp-acme</Name><CreationDate>2026-11-26T12:00:00Z</CreationDate></Bucket><Bucket><Name>other</Name><CreationDate>2026-11-26T12:00:00Z</CreationDate></Bucket></Buckets></ListAllMyBucketsResult>"#;
        assert_eq!(bucket_names(xml).collect::<Vec<_>>(), ["wp-acme", "other"]);
        assert_eq!(bucket_names("<ListAllMyBucketsResult/>").count(), 0);
    }
}
