//! Access to the real local platform (MariaDB published on 127.0.0.1:3306, the local Swarm)
//! for the adapter tests.
//!
//! When the platform cannot be reached, a test is skipped with a printed reason, unless
//! `SWARMPRESS_REQUIRE_PLATFORM` is set (as `scripts/test` does), in which case it fails.

#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use swarmpress_controller::TenantDatabases;
use swarmpress_controller::swarm::SwarmClient;
use swarmpress_schema::TenantName;

pub const MARIADB_ADDR: &str = "127.0.0.1:3306";

#[derive(Clone)]
pub struct Platform {
    pub databases: TenantDatabases,
    pub swarm: SwarmClient,
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
    Ok(Platform { databases, swarm })
}

pub fn state_dir() -> PathBuf {
    std::env::var_os("SWARMPRESS_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/lib/swarmpress"))
}

/// `MARIADB_ROOT_PASSWORD` from the state directory's `secrets.env` (shell `KEY=value`).
pub fn root_password() -> Result<String, String> {
    let path = state_dir().join("secrets.env");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.lines()
        .filter_map(|line| line.trim().strip_prefix("MARIADB_ROOT_PASSWORD="))
        .map(|value| value.trim_matches(|c| c == '"' || c == '\'').to_owned())
        .next()
        .ok_or_else(|| format!("{} has no MARIADB_ROOT_PASSWORD", path.display()))
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

fn percent_encode(value: &str) -> String {
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
