//! Shared harness of the end-to-end tests and benchmarks: access to the running platform and
//! scratch WordPress tenants provisioned by hand with the controller's adapters.
//!
//! Everything here talks to the real platform brought up by `scripts/up`: MariaDB published on
//! `127.0.0.1:3306`, the local Swarm, and Traefik on `127.0.0.1:8080`.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use swarmpress_controller::adapters::swarm::{
    BACKEND_NETWORK, EDGE_NETWORK, ServiceSpecError, SwarmClient, SwarmError, TENANT_LABEL,
    WordPressService,
};
use swarmpress_controller::{GeneratedPassword, MariaDbError, PasswordError, TenantDatabases};
use swarmpress_schema::{TenantName, TenantNameError};

pub const DEFAULT_IMAGE: &str = "swarmpress/wordpress:latest";
/// Traefik routes `<slug>.localhost`; the system resolver does not resolve it, so clients pin
/// the name to the edge address.
pub const BASE_DOMAIN: &str = "localhost";

pub mod report;
pub mod wrk;

const CLEANUP_WAIT: Duration = Duration::from_secs(90);

#[derive(Debug, thiserror::Error)]
pub enum E2eError {
    #[error("platform configuration: {0}")]
    Config(String),
    #[error(transparent)]
    MariaDb(#[from] MariaDbError),
    #[error(transparent)]
    Swarm(#[from] SwarmError),
    #[error(transparent)]
    Spec(#[from] ServiceSpecError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error(transparent)]
    TenantName(#[from] TenantNameError),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout { what: String, after: Duration },
}

/// Where the platform is and how to administer it.
#[derive(Clone)]
pub struct PlatformConfig {
    mariadb_admin_url: String,
    mariadb_root_password: String,
    mariadb_addr: String,
    /// Traefik's `web` entrypoint on the host.
    pub edge_addr: SocketAddr,
    /// The port in tenants' public URLs: the edge's, since clients reach Traefik directly.
    pub public_port: u16,
    pub image: String,
}

impl fmt::Debug for PlatformConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformConfig")
            .field("mariadb_admin_url", &"<redacted>")
            .field("edge_addr", &self.edge_addr)
            .field("image", &self.image)
            .finish()
    }
}

impl PlatformConfig {
    /// Reads the MariaDB root password from `$SWARMPRESS_STATE_DIR/secrets.env` (default
    /// `/var/lib/swarmpress`). `SWARMPRESS_EDGE_ADDR` (or `SWARMPRESS_EDGE_PORT`),
    /// `SWARMPRESS_MARIADB_ADDR` and `SWARMPRESS_WORDPRESS_IMAGE` override the defaults.
    pub fn from_env() -> Result<Self, E2eError> {
        let password = swarmpress_testkit::root_password().map_err(E2eError::Config)?;
        let mariadb_addr = swarmpress_testkit::mariadb_addr();
        // SWARMPRESS_EDGE_PORT is how scripts/up moves the edge; an explicit address wins.
        let edge_default = format!("127.0.0.1:{}", swarmpress_testkit::edge_port());
        let edge_addr: SocketAddr = env_or("SWARMPRESS_EDGE_ADDR", &edge_default)
            .parse()
            .map_err(|error| E2eError::Config(format!("edge address: {error}")))?;
        Ok(Self {
            mariadb_admin_url: format!(
                "mysql://root:{}@{mariadb_addr}/",
                swarmpress_testkit::percent_encode(&password)
            ),
            mariadb_root_password: password,
            mariadb_addr,
            edge_addr,
            public_port: edge_addr.port(),
            image: env_or("SWARMPRESS_WORDPRESS_IMAGE", DEFAULT_IMAGE),
        })
    }
}

impl PlatformConfig {
    /// `mysql://root:…@host:port/`: for harnesses that create scratch databases.
    pub fn mariadb_admin_url(&self) -> &str {
        &self.mariadb_admin_url
    }

    pub fn mariadb_root_password(&self) -> &str {
        &self.mariadb_root_password
    }

    /// `host:port` of MariaDB as this machine reaches it.
    pub fn mariadb_addr(&self) -> &str {
        &self.mariadb_addr
    }
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

/// Connections to the running platform.
#[derive(Debug, Clone)]
pub struct Platform {
    pub config: PlatformConfig,
    pub databases: TenantDatabases,
    pub swarm: SwarmClient,
}

impl Platform {
    pub async fn connect(config: PlatformConfig) -> Result<Self, E2eError> {
        let databases = TenantDatabases::connect(&config.mariadb_admin_url).await?;
        let swarm = SwarmClient::connect_local().await?;
        swarm
            .docker()
            .inspect_swarm()
            .await
            .map_err(|error| E2eError::Swarm(error.into()))?;
        Ok(Self {
            config,
            databases,
            swarm,
        })
    }

    /// For tests: the platform, or `None` after printing why it is unreachable. When
    /// `SWARMPRESS_REQUIRE_PLATFORM` is set (to anything but "" or "0") an unreachable
    /// platform panics instead, so a CI run cannot pass by skipping.
    pub async fn connect_or_skip() -> Option<Self> {
        let connected = match PlatformConfig::from_env() {
            Ok(config) => Self::connect(config).await,
            Err(error) => Err(error),
        };
        match connected {
            Ok(platform) => Some(platform),
            Err(error) if platform_required() => panic!(
                "SWARMPRESS_REQUIRE_PLATFORM is set but the platform is unreachable: {error}"
            ),
            Err(error) => {
                eprintln!(
                    "SKIPPED: the swarmpress platform is unreachable ({error}); \
                     run scripts/up, or set SWARMPRESS_REQUIRE_PLATFORM=1 to fail instead"
                );
                None
            }
        }
    }
}

pub use swarmpress_testkit::platform_required;

/// `len` random characters of `[a-z0-9]`.
pub fn random_lowercase(len: usize) -> Result<String, E2eError> {
    Ok(swarmpress_testkit::random_suffix(len))
}

/// A WordPress tenant made by hand for one test or benchmark run: database, user, two
/// secrets and a volume are created by [`ScratchTenant::prepare`], the service by
/// [`ScratchTenant::start`].
///
/// It is a guard: [`ScratchTenant::cleanup`] removes everything, and if the value is dropped
/// without it (a failed assertion, an early `?`), `Drop` does the same on a thread of its own
/// with fresh connections, since the test's runtime may be unwinding.
pub struct ScratchTenant {
    name: TenantName,
    title: String,
    admin_user: String,
    admin_password: GeneratedPassword,
    service: Option<WordPressService>,
    config: PlatformConfig,
    cleaned: bool,
}

impl fmt::Debug for ScratchTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScratchTenant")
            .field("name", &self.name)
            .field("admin_password", &self.admin_password)
            .finish_non_exhaustive()
    }
}

impl ScratchTenant {
    /// Creates the database and user, the two secrets and the volume of a new tenant named
    /// `<prefix>-<8 random characters>`. Nothing of it is left behind if this fails.
    pub async fn prepare(platform: &Platform, prefix: &str) -> Result<Self, E2eError> {
        let name = TenantName::parse(format!("{prefix}-{}", random_lowercase(8)?))?;
        let mut tenant = Self {
            title: format!("Scratch {name}"),
            name,
            admin_user: "admin".to_owned(),
            admin_password: GeneratedPassword::generate()?,
            service: None,
            config: platform.config.clone(),
            cleaned: false,
        };
        let name = tenant.name.clone();
        let labels = HashMap::from([(TENANT_LABEL.to_owned(), name.to_string())]);

        let db_password = GeneratedPassword::generate()?;
        platform.databases.ensure(&name, &db_password).await?;
        let [db_secret_name, admin_secret_name] = secret_names(&name);
        let db_secret = platform
            .swarm
            .ensure_secret(
                &db_secret_name,
                labels.clone(),
                db_password.expose().as_bytes(),
            )
            .await?;
        let admin_secret = platform
            .swarm
            .ensure_secret(
                &admin_secret_name,
                labels.clone(),
                tenant.admin_password.expose().as_bytes(),
            )
            .await?;
        platform
            .swarm
            .ensure_volume(&name.volume_name(), labels)
            .await?;

        tenant.service = Some(WordPressService {
            image: platform.config.image.clone(),
            replicas: 1,
            cpu_nanos: 1_000_000_000,
            memory_bytes: 256 * 1024 * 1024,
            public_url: tenant.base_url(),
            path_prefix: None,
            site_title: tenant.title.clone(),
            admin_user: tenant.admin_user.clone(),
            admin_email: format!("admin@{}", name.hostname(BASE_DOMAIN)),
            db_host: "mariadb".to_owned(),
            db_secret,
            admin_secret,
            network_edge: EDGE_NETWORK.to_owned(),
            network_backend: BACKEND_NETWORK.to_owned(),
            base_domain: BASE_DOMAIN.to_owned(),
            region: None,
            env: Default::default(),
            restart_token: "scratch".to_owned(),
            name,
        });
        Ok(tenant)
    }

    pub fn name(&self) -> &TenantName {
        &self.name
    }

    /// Adjusts the service (replicas, path prefix, …) before [`ScratchTenant::start`].
    pub fn configure(&mut self, change: impl FnOnce(&mut WordPressService)) {
        if let Some(service) = self.service.as_mut() {
            change(service);
        }
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn admin_user(&self) -> &str {
        &self.admin_user
    }

    pub fn admin_password(&self) -> &GeneratedPassword {
        &self.admin_password
    }

    /// `http://<slug>.localhost:<edge port>`, the site's public URL.
    pub fn base_url(&self) -> String {
        format!(
            "http://{}:{}",
            self.name.hostname(BASE_DOMAIN),
            self.config.public_port
        )
    }

    /// A client that reaches the site through Traefik and never follows redirects.
    pub fn http_client(&self) -> Result<reqwest::Client, E2eError> {
        Ok(reqwest::Client::builder()
            .resolve(&self.name.hostname(BASE_DOMAIN), self.config.edge_addr)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(15))
            .build()?)
    }

    /// Creates the Swarm service (the `docker service create` of the site).
    pub async fn start(&self, platform: &Platform) -> Result<(), E2eError> {
        let service = self
            .service
            .as_ref()
            .ok_or_else(|| E2eError::Config("tenant was not prepared".to_owned()))?;
        platform.swarm.create_service(service.to_spec()?).await?;
        Ok(())
    }

    /// Polls `path` every `interval` until it answers 200 and its body satisfies `accept`;
    /// returns the body.
    pub async fn wait_for_page(
        &self,
        client: &reqwest::Client,
        path: &str,
        interval: Duration,
        timeout: Duration,
        accept: impl Fn(&str) -> bool,
    ) -> Result<String, E2eError> {
        let url = format!("{}{path}", self.base_url());
        let started = Instant::now();
        loop {
            let last = match client.get(&url).send().await {
                Ok(response) if response.status() == reqwest::StatusCode::OK => {
                    let body = response.text().await?;
                    if accept(&body) {
                        return Ok(body);
                    }
                    "200 without the expected content".to_owned()
                }
                Ok(response) => format!("status {}", response.status()),
                Err(error) => error.to_string(),
            };
            if started.elapsed() >= timeout {
                return Err(E2eError::Timeout {
                    what: format!("{url} to answer 200 (last: {last})"),
                    after: timeout,
                });
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// Removes the service, waits for its containers to go, then removes the volume, the
    /// secrets, the user and the database. Every step tolerates its object being absent.
    pub async fn cleanup(mut self, platform: &Platform) -> Result<(), E2eError> {
        self.cleaned = true;
        remove_tenant(&platform.swarm, &platform.databases, &self.name).await
    }
}

impl Drop for ScratchTenant {
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        let name = self.name.clone();
        let config = self.config.clone();
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| E2eError::Config(format!("cleanup runtime: {error}")))?;
            runtime.block_on(async {
                let platform = Platform::connect(config).await?;
                remove_tenant(&platform.swarm, &platform.databases, &name).await
            })
        })
        .join();
        match outcome {
            Ok(Ok(())) => eprintln!("cleaned up scratch tenant {}", self.name),
            Ok(Err(error)) => eprintln!("cleanup of scratch tenant {} failed: {error}", self.name),
            Err(_) => eprintln!("cleanup of scratch tenant {} panicked", self.name),
        }
    }
}

fn secret_names(name: &TenantName) -> [String; 2] {
    let service = name.service_name();
    [
        format!("{service}_db_password"),
        format!("{service}_admin_password"),
    ]
}

async fn remove_tenant(
    swarm: &SwarmClient,
    databases: &TenantDatabases,
    name: &TenantName,
) -> Result<(), E2eError> {
    let service = name.service_name();
    swarm.remove_service(&service).await?;
    swarm.wait_service_gone(&service, CLEANUP_WAIT).await?;
    // A removed container can hold the volume for a moment after it disappears from lists.
    let started = Instant::now();
    loop {
        match swarm.remove_volume(&name.volume_name()).await {
            Ok(_) => break,
            Err(SwarmError::VolumeInUse(_)) if started.elapsed() < CLEANUP_WAIT => {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(error) => return Err(error.into()),
        }
    }
    for secret in secret_names(name) {
        swarm.remove_secret(&secret).await?;
    }
    databases.drop(name).await?;
    Ok(())
}

/// The text of the first `<title>` element, if any.
pub fn html_title(html: &str) -> Option<&str> {
    let start = html.find("<title>")? + "<title>".len();
    let end = start + html[start..].find("</title>")?;
    Some(html[start..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_names_are_lowercase_alphanumeric() {
        let value = random_lowercase(40).unwrap();
        assert_eq!(value.len(), 40);
        assert!(
            value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
    }

    #[test]
    fn finds_the_html_title() {
        assert_eq!(
            html_title("<head><title> Site &#8211; x </title></head>"),
            Some("Site &#8211; x")
        );
        assert_eq!(html_title("<p>no title</p>"), None);
        assert_eq!(html_title("<title>unterminated"), None);
    }
}
