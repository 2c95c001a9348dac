//! Access to the real local platform (MariaDB published on 127.0.0.1:3306, the local Swarm)
//! for the adapter tests.
//!
//! When the platform cannot be reached, a test is skipped with a printed reason, unless
//! `SWARMPRESS_REQUIRE_PLATFORM` is set (as `scripts/test` does), in which case it fails.

// Each test binary uses a part of this module (and of what it re-exports).
#![allow(dead_code, unused_imports, clippy::expect_used, clippy::unwrap_used)]

pub mod hooked_store;
pub mod memory_store;
pub mod site;

use std::time::Duration;

use swarmpress_controller::TenantDatabases;
use swarmpress_controller::adapters::s3::{S3Config, TenantBuckets};
use swarmpress_controller::adapters::s3_identity::TenantIdentities;
use swarmpress_controller::adapters::swarm::SwarmClient;
use swarmpress_schema::TenantName;

pub use swarmpress_testkit::percent_encode;
pub use swarmpress_testkit::{
    edge_port, eventually, platform_required, random_suffix, root_password, secrets_env_value,
    state_dir, with_cleanup,
};
use swarmpress_testkit::{mariadb_addr, s3_endpoint};

#[derive(Clone)]
pub struct Platform {
    pub databases: TenantDatabases,
    pub swarm: SwarmClient,
    pub buckets: TenantBuckets,
    pub identities: TenantIdentities,
    pub s3: S3Config,
}

/// The platform, or `None` (after saying why) when it is unreachable and not required.
pub async fn platform() -> Option<Platform> {
    swarmpress_testkit::require(connect().await, "the swarmpress platform")
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
        endpoint: s3_endpoint(),
        region: "us-east-1".to_owned(),
        access_key: secrets_env_value("S3_ACCESS_KEY")?,
        secret_key: secrets_env_value("S3_SECRET_KEY")?.into(),
    };
    let buckets = TenantBuckets::new(s3.clone());
    buckets
        .list_tenant_buckets()
        .await
        .map_err(|e| format!("S3 at {}: {e}", s3_endpoint()))?;
    let identities = TenantIdentities::new(s3.clone()).map_err(|e| e.to_string())?;
    Ok(Platform {
        databases,
        swarm,
        buckets,
        identities,
        s3,
    })
}

pub fn admin_url(password: &str) -> String {
    format!(
        "mysql://root:{}@{}/",
        percent_encode(password),
        mariadb_addr()
    )
}

pub fn tenant_url(tenant: &TenantName, password: &str) -> String {
    format!(
        "mysql://{}:{}@{}/{}",
        tenant.database_user(),
        percent_encode(password),
        mariadb_addr(),
        tenant.database_name()
    )
}

/// A tenant name no other test run uses.
pub fn unique_tenant(prefix: &str) -> TenantName {
    TenantName::parse(swarmpress_testkit::unique_name(prefix)).expect("valid tenant name")
}

pub const GONE_TIMEOUT: Duration = Duration::from_secs(60);

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
    // Tests start their sites at their own pace: slots enough for any of them.
    context_admitting(platform, store, adjust, 64)
}

/// [`context_with`], letting at most `max_starting` sites start at once.
pub fn context_admitting<S: swarmpress_controller::store::TenantStore>(
    platform: &Platform,
    store: S,
    adjust: impl FnOnce(&mut swarmpress_controller::reconcile::Settings),
    max_starting: usize,
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
        s3_endpoint_for_tenants: "http://s3:8333".to_owned(),
        default_image: std::env::var("SWARMPRESS_WORDPRESS_IMAGE")
            .unwrap_or_else(|_| "swarmpress/wordpress:latest".to_owned()),
        network_edge: swarmpress_controller::adapters::swarm::EDGE_NETWORK.to_owned(),
        network_data: swarmpress_controller::adapters::swarm::DATA_NETWORK.to_owned(),
        resync: Duration::from_secs(30),
        converging_requeue: Duration::from_secs(2),
        service_gone_timeout: Duration::from_secs(60),
    };
    adjust(&mut settings);
    std::sync::Arc::new(Context {
        store,
        databases: platform.databases.clone(),
        buckets: platform.buckets.clone(),
        identities: platform.identities.clone(),
        observer: swarmpress_controller::views::snapshot::Observer::new(
            swarm.clone(),
            Duration::from_secs(1),
            swarmpress_controller::adapters::swarm::EDGE_NETWORK,
        ),
        readiness: swarmpress_controller::views::readiness::Readiness::new(
            swarmpress_controller::rollout::Prober::new(
                &format!("http://127.0.0.1:{}", edge_port()),
                "localhost",
                edge_port(),
            )
            .unwrap(),
        ),
        swarm,
        metrics,
        admission: swarmpress_controller::reconcile::admission::Admission::new(max_starting),
        desired: Default::default(),
        database_recovery: Default::default(),
        settings,
    })
}

/// The platform's MariaDB through the least-privilege `swarmpress_controller` account the
/// controller runs with (password in the state directory's `secrets/`), so tests prove its
/// grants are enough.
pub async fn controller_databases() -> Result<TenantDatabases, String> {
    let password = swarmpress_testkit::file_secret("controller_db_password")?;
    let url = format!(
        "mysql://swarmpress_controller:{}@{}/",
        percent_encode(&password),
        mariadb_addr()
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
    if let Err(e) = platform.identities.delete(tenant).await {
        problems.push(format!("S3 identity: {e}"));
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
    if !platform
        .identities
        .key_ids(tenant)
        .await
        .unwrap()
        .is_empty()
    {
        left.push("s3 identity");
    }
    left
}

/// A control-plane database of its own (`swarmpress_test_<uuid>`), dropped when this is
/// dropped: the test kit's scratch database.
pub use swarmpress_testkit::ScratchDatabase as TestDatabase;

/// A user of the control-plane store on `plan`, to own tenants that need more than the Free
/// plan allows (the controller reads the owner's plan before it deploys).
pub async fn owner_on_plan(store: &swarmpress_schema::store::Store, plan: &str) -> uuid::Uuid {
    let user = store
        .create_user(swarmpress_schema::store::NewUser {
            email: format!("owner-{}@example.test", uuid::Uuid::new_v4().simple()),
            name: "Owner".to_owned(),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
            role: swarmpress_schema::resource::Role::User,
        })
        .await
        .expect("create the owner");
    store
        .change_plan(user.id, plan, None)
        .await
        .expect("move the owner to the plan");
    user.id
}

/// What the consistency checker finds about `name` when the world is compared with
/// `tenants` (the records the test holds) with no grace: the findings about other tenants
/// are left out, since other suites' tenants come and go meanwhile.
pub async fn consistency_findings(
    platform: &Platform,
    name: &TenantName,
    tenants: &[swarmpress_schema::resource::Tenant],
    grace: Duration,
) -> Vec<String> {
    use swarmpress_controller::consistency::{Sources, compare, observe};
    let world = observe(&Sources {
        docker: platform.swarm.docker(),
        databases: &platform.databases,
        buckets: &platform.buckets,
        identities: &platform.identities,
    })
    .await
    .expect("the consistency checker lists the world");
    compare(tenants, &world, chrono::Utc::now(), grace)
        .iter()
        .filter(|finding| finding.tenant == name.as_str())
        .map(ToString::to_string)
        .collect()
}
