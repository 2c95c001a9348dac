//! Access to the real local platform (MariaDB published on 127.0.0.1:3306, the local Swarm)
//! for the adapter tests.
//!
//! When the platform cannot be reached, a test is skipped with a printed reason, unless
//! `SWARMPRESS_REQUIRE_PLATFORM` is set (as `scripts/test` does), in which case it fails.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

pub mod hooked_store;
pub mod memory_store;
pub mod site;

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use swarmpress_controller::TenantDatabases;
use swarmpress_controller::adapters::s3::{S3Config, TenantBuckets};
use swarmpress_controller::adapters::swarm::SwarmClient;
use swarmpress_schema::TenantName;

pub const MARIADB_ADDR: &str = "127.0.0.1:3306";
pub const S3_ENDPOINT: &str = "http://127.0.0.1:8333";

#[derive(Clone)]
pub struct Platform {
    pub databases: TenantDatabases,
    pub swarm: SwarmClient,
    pub buckets: TenantBuckets,
    pub s3: S3Config,
}

pub fn platform_required() -> bool {
    std::env::var("SWARMPRESS_REQUIRE_PLATFORM")
        .is_ok_and(|value| !value.is_empty() && value != "0")
}

/// The platform, or `None` (after saying why) when it is unreachable and not required.
pub async fn platform() -> Option<Platform> {
    match connect().await {
        Ok(platform) => Some(platform),
        Err(reason) if platform_required() => {
            panic!("SWARMPRESS_REQUIRE_PLATFORM is set but the platform is unreachable: {reason}")
        }
        Err(reason) => {
            eprintln!(
                "SKIPPED: the swarmpress platform is unreachable ({reason}); \
                 run scripts/up, or set SWARMPRESS_REQUIRE_PLATFORM=1 to fail instead"
            );
            None
        }
    }
}

async fn connect() -> Result<Platform, String> {
    let password = root_password()?;
    let databases = TenantDatabases::connect(&admin_url(&password))
        .await
        .map_err(|e| e.to_string())?;
    let swarm = SwarmClient::connect_local()
        .await
        .map_err(|e| format!("Docker: {e}"))?;
    swarm
        .docker()
        .inspect_swarm()
        .await
        .map_err(|e| format!("this engine is not a swarm manager: {e}"))?;
    let s3 = S3Config {
        endpoint: S3_ENDPOINT.to_owned(),
        region: "us-east-1".to_owned(),
        access_key: secrets_env_value("S3_ACCESS_KEY")?,
        secret_key: secrets_env_value("S3_SECRET_KEY")?.into(),
    };
    let buckets = TenantBuckets::new(s3.clone());
    buckets
        .list_tenant_buckets()
        .await
        .map_err(|e| format!("S3 at {S3_ENDPOINT}: {e}"))?;
    Ok(Platform {
        databases,
        swarm,
        buckets,
        s3,
    })
}

pub fn state_dir() -> PathBuf {
    std::env::var_os("SWARMPRESS_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/swarmpress"))
}

/// `MARIADB_ROOT_PASSWORD` from the state directory's `secrets.env` (shell `KEY=value`).
pub fn root_password() -> Result<String, String> {
    secrets_env_value("MARIADB_ROOT_PASSWORD")
}

/// The value of `key` in the state directory's `secrets.env`.
pub fn secrets_env_value(key: &str) -> Result<String, String> {
    let path = state_dir().join("secrets.env");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let prefix = format!("{key}=");
    text.lines()
        .filter_map(|line| line.trim().strip_prefix(prefix.as_str()))
        .map(|value| value.trim_matches(|c| c == '"' || c == '\'').to_owned())
        .next()
        .ok_or_else(|| format!("{} has no {key}", path.display()))
}

pub fn admin_url(password: &str) -> String {
    format!("mysql://root:{}@{MARIADB_ADDR}/", percent_encode(password))
}

pub fn tenant_url(tenant: &TenantName, password: &str) -> String {
    format!(
        "mysql://{}:{}@{MARIADB_ADDR}/{}",
        tenant.database_user(),
        percent_encode(password),
        tenant.database_name()
    )
}

pub fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// `len` random characters of `[a-z0-9]`.
pub fn random_suffix(len: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; len];
    getrandom::getrandom(&mut bytes).expect("OS random number generator");
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// A tenant name no other test run uses.
pub fn unique_tenant(prefix: &str) -> TenantName {
    TenantName::parse(format!("{prefix}-{}", random_suffix(8))).expect("valid tenant name")
}

/// Runs `body`, then `cleanup` whether the body passed or panicked, then re-raises a panic.
pub async fn with_cleanup<B, C>(body: B, cleanup: C)
where
    B: Future<Output = ()> + Send + 'static,
    C: Future<Output = ()>,
{
    let outcome = tokio::spawn(body).await;
    cleanup.await;
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("test body did not finish: {error}"),
        }
    }
}

pub const GONE_TIMEOUT: Duration = Duration::from_secs(60);

/// The edge port tenants' URLs use: `SWARMPRESS_EDGE_PORT` as `scripts/up` sets it, else 8080.
pub fn edge_port() -> u16 {
    std::env::var("SWARMPRESS_EDGE_PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(8080)
}

/// A reconciler context over the real platform and the given store.
pub fn context<S: swarmpress_controller::store::TenantStore>(
    platform: &Platform,
    store: S,
) -> std::sync::Arc<swarmpress_controller::reconcile::Context<S>> {
    context_with(platform, store, |_| {})
}

/// [`context`], with the settings changed by `adjust` (another database host for tenants, …).
pub fn context_with<S: swarmpress_controller::store::TenantStore>(
    platform: &Platform,
    store: S,
    adjust: impl FnOnce(&mut swarmpress_controller::reconcile::Settings),
) -> std::sync::Arc<swarmpress_controller::reconcile::Context<S>> {
    use swarmpress_controller::reconcile::{Context, Settings};
    let metrics = swarmpress_controller::telemetry::metrics::Metrics::new().unwrap();
    let swarm = platform
        .swarm
        .clone()
        .counting_requests(metrics.registry())
        .unwrap();
    let mut settings = Settings {
        base_domain: "localhost".to_owned(),
        edge_port: edge_port(),
        db_host_for_tenants: "mariadb".to_owned(),
        default_image: std::env::var("SWARMPRESS_WORDPRESS_IMAGE")
            .unwrap_or_else(|_| "swarmpress/wordpress:latest".to_owned()),
        network_edge: swarmpress_controller::adapters::swarm::EDGE_NETWORK.to_owned(),
        network_backend: swarmpress_controller::adapters::swarm::BACKEND_NETWORK.to_owned(),
        resync: Duration::from_secs(30),
        converging_requeue: Duration::from_secs(2),
        service_gone_timeout: Duration::from_secs(60),
    };
    adjust(&mut settings);
    std::sync::Arc::new(Context {
        store,
        databases: platform.databases.clone(),
        buckets: platform.buckets.clone(),
        observer: swarmpress_controller::views::snapshot::Observer::new(
            swarm.clone(),
            Duration::from_secs(1),
        ),
        swarm,
        metrics,
        desired: Default::default(),
        database_recovery: Default::default(),
        settings,
    })
}

/// Polls `check` every 250 ms until it returns `Some`, or panics after `timeout`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let started = tokio::time::Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            started.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The platform's MariaDB through the least-privilege `swarmpress_controller` account the
/// controller runs with (password in the state directory's `secrets/`), so tests prove its
/// grants are enough.
pub async fn controller_databases() -> Result<TenantDatabases, String> {
    let path = state_dir().join("secrets").join("controller_db_password");
    let password = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let url = format!(
        "mysql://swarmpress_controller:{}@{MARIADB_ADDR}/",
        percent_encode(password.trim_end_matches(['\n', '\r']))
    );
    TenantDatabases::connect(&url)
        .await
        .map_err(|e| e.to_string())
}

/// Removes everything a tenant may have on the platform, whatever state a failed test left
/// it in: service (and its containers), labelled secrets, volume, database, user, bucket.
pub async fn remove_tenant_objects(platform: &Platform, tenant: &TenantName) {
    let swarm = &platform.swarm;
    let service = tenant.service_name();
    let mut problems = Vec::new();
    if let Err(e) = swarm.remove_service(&service).await {
        problems.push(format!("service: {e}"));
    }
    if let Err(e) = swarm.wait_service_gone(&service, GONE_TIMEOUT).await {
        problems.push(format!("service containers: {e}"));
    }
    match swarm
        .list_secrets_labelled(&format!("swarmpress.tenant={tenant}"))
        .await
    {
        Ok(secrets) => {
            for secret in secrets {
                let (Some(id), Some(name)) = (secret.id, secret.spec.and_then(|s| s.name)) else {
                    continue;
                };
                if let Err(e) = swarm.remove_secret_id(&id, &name).await {
                    problems.push(format!("secret {name}: {e}"));
                }
            }
        }
        Err(e) => problems.push(format!("secrets: {e}")),
    }
    if let Err(e) = swarm.remove_volume(&tenant.volume_name()).await {
        problems.push(format!("volume: {e}"));
    }
    if let Err(e) = platform.databases.drop(tenant).await {
        problems.push(format!("database: {e}"));
    }
    if let Err(e) = platform.buckets.delete(tenant).await {
        problems.push(format!("bucket: {e}"));
    }
    if !problems.is_empty() {
        eprintln!("cleanup of {tenant} incomplete: {problems:?}");
    }
}

/// Whether anything of the tenant is left on the platform, as a list of what is.
pub async fn leftovers(platform: &Platform, tenant: &TenantName) -> Vec<&'static str> {
    let mut left = Vec::new();
    if platform
        .swarm
        .inspect_service(&tenant.service_name())
        .await
        .unwrap()
        .is_some()
    {
        left.push("service");
    }
    if !platform
        .swarm
        .list_secrets_labelled(&format!("swarmpress.tenant={tenant}"))
        .await
        .unwrap()
        .is_empty()
    {
        left.push("secrets");
    }
    if platform
        .swarm
        .docker()
        .inspect_volume(&tenant.volume_name())
        .await
        .is_ok()
    {
        left.push("volume");
    }
    if platform.databases.exists(tenant).await.unwrap() {
        left.push("database");
    }
    if platform.databases.user_exists(tenant).await.unwrap() {
        left.push("user");
    }
    if platform.buckets.exists(tenant).await.unwrap() {
        left.push("bucket");
    }
    left
}

/// A control-plane database of its own (`swarmpress_test_<uuid>`), dropped when this is
/// dropped. The drop runs on a thread of its own: `Drop` cannot await, and the test's
/// runtime may be unwinding.
pub struct TestDatabase {
    pub name: String,
    /// `mysql://root:…@…/<name>`.
    pub url: String,
    admin_url: String,
}

impl TestDatabase {
    pub async fn create() -> Result<Self, String> {
        use sea_orm::ConnectionTrait as _;
        let admin_url = admin_url(&root_password()?);
        let name = format!("swarmpress_test_{}", uuid::Uuid::new_v4().simple());
        let root = sea_orm::Database::connect(&admin_url)
            .await
            .map_err(|e| e.to_string())?;
        root.execute_unprepared(&format!(
            "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        ))
        .await
        .map_err(|e| e.to_string())?;
        root.close().await.map_err(|e| e.to_string())?;
        Ok(Self {
            url: format!("{admin_url}{name}"),
            name,
            admin_url,
        })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let url = self.admin_url.clone();
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                use sea_orm::ConnectionTrait as _;
                let root = sea_orm::Database::connect(&url)
                    .await
                    .map_err(|e| e.to_string())?;
                root.execute_unprepared(&format!("DROP DATABASE IF EXISTS `{name}`"))
                    .await
                    .map_err(|e| e.to_string())?;
                root.close().await.map_err(|e| e.to_string())
            })
        })
        .join();
        if !matches!(outcome, Ok(Ok(()))) {
            eprintln!("could not drop test database {}: {outcome:?}", self.name);
        }
    }
}
