//! Shared harness of the end-to-end tests and benchmarks. They use the platform only as its
//! users do — the HTTP API at the edge and the sites behind it — plus Docker and MariaDB to
//! observe what the platform did or to inject a fault, never the controller's code.
//!
//! Everything here talks to the real platform brought up by `scripts/up`: Traefik on
//! `127.0.0.1:8080` (the API under `/api/v1`, sites at `<name>.localhost`), the local Docker
//! engine, and MariaDB on `127.0.0.1:3306`.

use std::fmt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::Value;
use swarmpress_schema::{TenantName, TenantNameError};

pub mod api;
pub mod wrk;

pub use api::Api;
pub use sea_orm::Value as SqlValue;
pub use swarmpress_testkit::platform_required;

/// Traefik routes `<slug>.localhost`; the system resolver does not resolve it, so clients pin
/// the name to the edge address.
pub const BASE_DOMAIN: &str = "localhost";

const CLEANUP_WAIT: Duration = Duration::from_secs(180);

#[derive(Debug, thiserror::Error)]
pub enum E2eError {
    #[error("platform configuration: {0}")]
    Config(String),
    #[error("Docker: {0}")]
    Docker(#[from] bollard::errors::Error),
    #[error("MariaDB: {0}")]
    MariaDb(#[from] sea_orm::DbErr),
    #[error(transparent)]
    TenantName(#[from] TenantNameError),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("API {what}: {status} {body}")]
    Api {
        what: String,
        status: u16,
        body: String,
    },
    #[error("{0}")]
    Setup(String),
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout { what: String, after: Duration },
}

/// Where the platform is.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Traefik's `web` entrypoint on the host.
    pub edge_addr: SocketAddr,
    /// The port in tenants' public URLs: the edge's, since clients reach Traefik directly.
    pub public_port: u16,
}

impl PlatformConfig {
    /// `SWARMPRESS_EDGE_ADDR` (or `SWARMPRESS_EDGE_PORT`) overrides the edge's address.
    pub fn from_env() -> Result<Self, E2eError> {
        // SWARMPRESS_EDGE_PORT is how scripts/up moves the edge; an explicit address wins.
        let edge_default = format!("127.0.0.1:{}", swarmpress_testkit::edge_port());
        let edge_addr: SocketAddr = std::env::var("SWARMPRESS_EDGE_ADDR")
            .unwrap_or(edge_default)
            .parse()
            .map_err(|error| E2eError::Config(format!("edge address: {error}")))?;
        Ok(Self {
            edge_addr,
            public_port: edge_addr.port(),
        })
    }
}

/// The running platform: its edge, and the Docker engine and MariaDB server to observe it.
#[derive(Clone)]
pub struct Platform {
    pub config: PlatformConfig,
    pub docker: bollard::Docker,
    mariadb: DatabaseConnection,
}

impl fmt::Debug for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Platform")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Platform {
    pub async fn connect(config: PlatformConfig) -> Result<Self, E2eError> {
        let docker = bollard::Docker::connect_with_local_defaults()?
            .negotiate_version()
            .await?;
        docker.inspect_swarm().await?;
        let url = swarmpress_testkit::mariadb_root_url().map_err(E2eError::Config)?;
        let mariadb = sea_orm::Database::connect(url.as_str()).await?;
        Ok(Self {
            config,
            docker,
            mariadb,
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

    /// Whether the tenant's database is on the MariaDB server.
    pub async fn database_exists(&self, name: &TenantName) -> Result<bool, E2eError> {
        self.any_row(
            "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            name.database_name(),
        )
        .await
    }

    /// Whether the tenant's database user is on the MariaDB server.
    pub async fn database_user_exists(&self, name: &TenantName) -> Result<bool, E2eError> {
        self.any_row(
            "SELECT 1 FROM mysql.user WHERE User = ? AND Host = '%'",
            name.database_user(),
        )
        .await
    }

    /// Runs `sql` with `values` on the platform's MariaDB as its administrator: test set-up
    /// that no API offers (a plan of the test's own). The rows it changed.
    pub async fn execute(&self, sql: &str, values: Vec<SqlValue>) -> Result<u64, E2eError> {
        let statement =
            Statement::from_sql_and_values(self.mariadb.get_database_backend(), sql, values);
        Ok(self.mariadb.execute_raw(statement).await?.rows_affected())
    }

    async fn any_row(&self, sql: &str, value: String) -> Result<bool, E2eError> {
        let statement = Statement::from_sql_and_values(
            self.mariadb.get_database_backend(),
            sql,
            [SqlValue::from(value)],
        );
        Ok(self.mariadb.query_one_raw(statement).await?.is_some())
    }

    /// Whether the tenant's Swarm service exists.
    pub async fn service_exists(&self, name: &TenantName) -> Result<bool, E2eError> {
        match self
            .docker
            .inspect_service(&name.service_name(), None)
            .await
        {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Whether the tenant's volume exists.
    pub async fn volume_exists(&self, name: &TenantName) -> Result<bool, E2eError> {
        match self.docker.inspect_volume(&name.volume_name()).await {
            Ok(_) => Ok(true),
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Running tasks of the tenant's service, as Swarm reports them.
    pub async fn running_tasks(&self, name: &TenantName) -> Result<usize, E2eError> {
        Ok(self.running_containers(name).await?.len())
    }

    /// The containers of the tenant's running tasks.
    pub async fn running_containers(&self, name: &TenantName) -> Result<Vec<String>, E2eError> {
        let service = name.service_name();
        let filters = std::collections::HashMap::from([
            ("service", vec![service.as_str()]),
            ("desired-state", vec!["running"]),
        ]);
        let options = bollard::query_parameters::ListTasksOptionsBuilder::new()
            .filters(&filters)
            .build();
        let tasks = self.docker.list_tasks(Some(options)).await?;
        Ok(tasks
            .into_iter()
            .filter_map(|task| {
                let status = task.status?;
                (status.state == Some(bollard::models::TaskState::RUNNING))
                    .then(|| status.container_status?.container_id)
                    .flatten()
            })
            .collect())
    }
}

/// `len` random characters of `[a-z0-9]`.
pub fn random_lowercase(len: usize) -> Result<String, E2eError> {
    Ok(swarmpress_testkit::random_suffix(len))
}

/// A WordPress site asked of the API for one test: created by [`ScratchTenant::create`] as a
/// user would (`POST /tenants`), converged by the deployed controller.
///
/// It is a guard: [`ScratchTenant::cleanup`] deletes it and waits until the platform has
/// removed everything, and if the value is dropped without it (a failed assertion, an early
/// `?`), `Drop` does the same on a thread of its own, since the test's runtime may be
/// unwinding.
pub struct ScratchTenant {
    name: TenantName,
    title: String,
    admin_password: String,
    api: Api,
    config: PlatformConfig,
    cleaned: bool,
}

impl fmt::Debug for ScratchTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScratchTenant")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ScratchTenant {
    /// Creates the site `<prefix>-<8 random characters>` as `api`'s user, its spec adjusted by
    /// `adjust` (replicas, path prefix, …).
    pub async fn create(
        platform: &Platform,
        api: &Api,
        prefix: &str,
        adjust: impl FnOnce(&mut Value),
    ) -> Result<Self, E2eError> {
        let name = TenantName::parse(format!("{prefix}-{}", random_lowercase(8)?))?;
        let title = format!("Scratch {name}");
        let created = api
            .create_tenant_with(name.as_str(), &title, "e2e", adjust)
            .await?;
        let admin_password = created["adminPassword"]
            .as_str()
            .ok_or_else(|| E2eError::Setup(format!("no adminPassword in {created}")))?
            .to_owned();
        Ok(Self {
            name,
            title,
            admin_password,
            api: api.clone(),
            config: platform.config.clone(),
            cleaned: false,
        })
    }

    pub fn name(&self) -> &TenantName {
        &self.name
    }

    pub fn title(&self) -> &str {
        &self.title
    }

    pub fn admin_user(&self) -> &str {
        "admin"
    }

    /// The WordPress admin's password, shown once by the create.
    pub fn admin_password(&self) -> &str {
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

    /// Deletes the site through the API and waits until the platform has removed it.
    pub async fn cleanup(mut self) -> Result<(), E2eError> {
        self.cleaned = true;
        self.api
            .delete_and_wait(self.name.as_str(), CLEANUP_WAIT)
            .await
    }
}

impl Drop for ScratchTenant {
    fn drop(&mut self) {
        if self.cleaned {
            return;
        }
        let name = self.name.to_string();
        let api = self.api.clone();
        let outcome = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| E2eError::Config(format!("cleanup runtime: {error}")))?;
            runtime.block_on(api.delete_and_wait(&name, CLEANUP_WAIT))
        })
        .join();
        match outcome {
            Ok(Ok(())) => eprintln!("cleaned up scratch tenant {}", self.name),
            Ok(Err(error)) => eprintln!("cleanup of scratch tenant {} failed: {error}", self.name),
            Err(_) => eprintln!("cleanup of scratch tenant {} panicked", self.name),
        }
    }
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
