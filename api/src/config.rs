//! Configuration: an optional TOML file, then `SWARMPRESS_*` environment variables.
//!
//! Secrets (database password, JWT key, first admin's password) are read from files named by
//! `*_FILE` variables, the way Swarm secrets are mounted, and are held in [`SecretString`]s so
//! that `Debug` (and therefore any log line) never shows them.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Where the optional configuration file lives.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/swarmpress/api.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(String),
    #[error("cannot read {path}: {source}")]
    SecretFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Figment(#[from] Box<figment::Error>),
}

/// The settings as written in the file or the environment, before secrets are read.
#[derive(Debug, Deserialize)]
#[serde(default)]
struct RawConfig {
    listen: String,
    database_host: String,
    database_port: u16,
    database_name: String,
    database_user: String,
    database_password_file: Option<PathBuf>,
    jwt_secret_file: Option<PathBuf>,
    admin_email: Option<String>,
    admin_password_file: Option<PathBuf>,
    /// Accepted because the API contract names it; the `_FILE` form wins when both are set.
    admin_password: Option<String>,
    base_domain: String,
    public_url: String,
    regions: String,
    default_image: String,
    images: String,
    secure_cookies: bool,
    trusted_proxies: String,
    log_format: String,
    portal_dir: Option<PathBuf>,
    prometheus_url: String,
    prometheus_timeout_ms: u64,
    registrations_per_hour: u32,
    open_upgrades: bool,
    streams_per_user: usize,
    streams_total: usize,
    action_wait_seconds: u64,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            listen: "0.0.0.0:8000".to_owned(),
            database_host: "127.0.0.1".to_owned(),
            database_port: 3306,
            database_name: "swarmpress".to_owned(),
            database_user: "swarmpress".to_owned(),
            database_password_file: None,
            jwt_secret_file: None,
            admin_email: None,
            admin_password_file: None,
            admin_password: None,
            base_domain: "localhost".to_owned(),
            public_url: "http://localhost:8080".to_owned(),
            regions: "eu-west,us-east,ap-south".to_owned(),
            default_image: "swarmpress/wordpress:latest".to_owned(),
            images: String::new(),
            secure_cookies: true,
            trusted_proxies: String::new(),
            log_format: "json".to_owned(),
            portal_dir: None,
            registrations_per_hour: 10,
            open_upgrades: false,
            streams_per_user: 8,
            streams_total: 512,
            action_wait_seconds: 20,
            prometheus_url: MonitoringConfig::default().prometheus_url,
            prometheus_timeout_ms: 3000,
        }
    }
}

/// Keys read from the environment, each as `SWARMPRESS_<KEY>`. Listing them keeps unrelated
/// `SWARMPRESS_*` variables (the e2e harness has several) from being parsed as settings.
const ENV_KEYS: &[&str] = &[
    "listen",
    "database_host",
    "database_port",
    "database_name",
    "database_user",
    "database_password_file",
    "jwt_secret_file",
    "admin_email",
    "admin_password_file",
    "admin_password",
    "base_domain",
    "public_url",
    "regions",
    "default_image",
    "images",
    "secure_cookies",
    "trusted_proxies",
    "log_format",
    "portal_dir",
    "prometheus_url",
    "prometheus_timeout_ms",
    "registrations_per_hour",
    "open_upgrades",
    "streams_per_user",
    "streams_total",
    "action_wait_seconds",
];

/// Connection settings of the platform database.
#[derive(Clone)]
pub struct DatabaseConfig {
    pub host: String,
    pub port: u16,
    pub name: String,
    pub user: String,
    pub password: SecretString,
}

impl fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("name", &self.name)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl DatabaseConfig {
    /// The sea-orm connection URL. It holds the password: never log it.
    pub fn url(&self) -> String {
        swarmpress_schema::store::mysql_url(
            &self.user,
            self.password.expose_secret(),
            &self.host,
            self.port,
            &self.name,
        )
    }
}

/// Where live and historical metrics come from.
#[derive(Debug, Clone)]
pub struct MonitoringConfig {
    /// Prometheus' base URL (`http://prometheus:9090` inside the stack).
    pub prometheus_url: String,
    /// A query slower than this counts as Prometheus being unreachable, so live metrics fall
    /// back to Docker rather than hang.
    pub prometheus_timeout: std::time::Duration,
}

impl Default for MonitoringConfig {
    fn default() -> Self {
        Self {
            prometheus_url: "http://127.0.0.1:9090".to_owned(),
            prometheus_timeout: std::time::Duration::from_secs(3),
        }
    }
}

/// The first administrator, created on start when no admin exists.
#[derive(Clone)]
pub struct AdminBootstrap {
    pub email: String,
    pub password: SecretString,
}

impl fmt::Debug for AdminBootstrap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminBootstrap")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Compact,
}

/// The resolved configuration of the API server.
#[derive(Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub database: DatabaseConfig,
    /// HMAC key of the JWTs.
    pub jwt_secret: SecretString,
    pub admin: Option<AdminBootstrap>,
    /// Tenants are served at `<name>.<base_domain>`.
    pub base_domain: String,
    /// The edge's public URL; its scheme and port are those of tenants' URLs.
    pub public_url: String,
    pub regions: Vec<String>,
    pub default_image: String,
    /// The image catalogue users choose from (the default image always among them).
    pub images: Vec<String>,
    /// `Secure` on auth cookies; only tests over plain HTTP turn it off (a browser refuses
    /// the `__Host-` cookies without it; `localhost` counts as secure even over HTTP).
    pub secure_cookies: bool,
    /// Peers whose `X-Forwarded-For` is believed (the edge proxy's addresses; the stack
    /// names the control network, which only platform services join). A request from any
    /// other peer is that peer's, whatever headers it sends — else a client could choose the
    /// address its throttles and audit records are kept under.
    pub trusted_proxies: Vec<IpNet>,
    pub log_format: LogFormat,
    /// The built portal (`portal/dist`), served at `/` with the SPA's routes falling back to
    /// its `index.html`; none means the API serves only `/api`.
    pub portal_dir: Option<PathBuf>,
    pub monitoring: MonitoringConfig,
    /// Accounts one client address may create an hour (loopback, the host, is not counted).
    pub registrations_per_hour: u32,
    /// Users move to dearer plans at once (a demo, or a platform whose payments happen
    /// elsewhere). Off, such a move waits for an administrator's approval.
    pub open_upgrades: bool,
    /// Watches and log follows one user may hold open on one API process.
    pub streams_per_user: usize,
    /// Watches and log follows all users together may hold open on one API process.
    pub streams_total: usize,
    /// How long a request for a tenant action (a cache purge) waits for the controller's
    /// report before answering 202 with where it stands.
    pub action_wait: std::time::Duration,
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database", &self.database)
            .field("jwt_secret", &"<redacted>")
            .field("admin", &self.admin)
            .field("base_domain", &self.base_domain)
            .field("public_url", &self.public_url)
            .field("regions", &self.regions)
            .field("default_image", &self.default_image)
            .field("images", &self.images)
            .field("secure_cookies", &self.secure_cookies)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("log_format", &self.log_format)
            .field("portal_dir", &self.portal_dir)
            .field("monitoring", &self.monitoring)
            .finish()
    }
}

impl Config {
    /// Reads [`DEFAULT_CONFIG_FILE`] (or the file named by `SWARMPRESS_CONFIG_FILE`) when it
    /// exists, then the environment, then the secret files.
    pub fn load() -> Result<Self, ConfigError> {
        let file = std::env::var_os("SWARMPRESS_CONFIG_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
        let raw: RawConfig = Figment::new()
            .merge(Toml::file(&file))
            .merge(Env::prefixed("SWARMPRESS_").only(ENV_KEYS))
            .extract()
            .map_err(Box::new)?;
        Self::resolve(raw)
    }

    fn resolve(raw: RawConfig) -> Result<Self, ConfigError> {
        let listen = raw
            .listen
            .parse()
            .map_err(|error| ConfigError::Invalid(format!("listen {:?}: {error}", raw.listen)))?;
        let database_password = required_secret(
            raw.database_password_file.as_deref(),
            "SWARMPRESS_DATABASE_PASSWORD_FILE",
        )?;
        let jwt_secret =
            required_secret(raw.jwt_secret_file.as_deref(), "SWARMPRESS_JWT_SECRET_FILE")?;
        if jwt_secret.expose_secret().len() < 32 {
            return Err(ConfigError::Invalid(
                "the JWT secret must be at least 32 bytes".to_owned(),
            ));
        }
        let admin = admin_bootstrap(
            raw.admin_email.as_deref(),
            raw.admin_password_file.as_deref(),
            raw.admin_password.clone(),
        )?;
        let regions = regions(&raw.regions)?;
        let log_format = log_format(&raw.log_format)?;
        Ok(Self {
            listen,
            database: DatabaseConfig {
                host: raw.database_host,
                port: raw.database_port,
                name: raw.database_name,
                user: raw.database_user,
                password: database_password,
            },
            jwt_secret,
            admin,
            base_domain: raw.base_domain,
            public_url: raw.public_url.trim_end_matches('/').to_owned(),
            regions,
            images: catalogue(&raw.images, &raw.default_image),
            default_image: raw.default_image,
            secure_cookies: raw.secure_cookies,
            trusted_proxies: trusted_proxies(&raw.trusted_proxies)?,
            log_format,
            portal_dir: raw.portal_dir,
            registrations_per_hour: raw.registrations_per_hour,
            open_upgrades: raw.open_upgrades,
            streams_per_user: raw.streams_per_user.max(1),
            streams_total: raw.streams_total.max(1),
            action_wait: std::time::Duration::from_secs(raw.action_wait_seconds.min(60)),
            monitoring: MonitoringConfig {
                prometheus_url: raw.prometheus_url.trim_end_matches('/').to_owned(),
                prometheus_timeout: std::time::Duration::from_millis(
                    raw.prometheus_timeout_ms.max(1),
                ),
            },
        })
    }
}

fn required_secret(path: Option<&Path>, variable: &str) -> Result<SecretString, ConfigError> {
    match path {
        Some(path) => read_secret(path),
        None => Err(ConfigError::Invalid(format!("{variable} is required"))),
    }
}

/// The first administrator to create, when an e-mail is configured.
fn admin_bootstrap(
    email: Option<&str>,
    password_file: Option<&Path>,
    password: Option<String>,
) -> Result<Option<AdminBootstrap>, ConfigError> {
    let Some(email) = email.map(str::trim).filter(|email| !email.is_empty()) else {
        return Ok(None);
    };
    let password = match (password_file, password) {
        (Some(path), _) => read_secret(path)?,
        (None, Some(password)) => SecretString::from(password),
        (None, None) => {
            return Err(ConfigError::Invalid(
                "SWARMPRESS_ADMIN_EMAIL needs SWARMPRESS_ADMIN_PASSWORD_FILE".to_owned(),
            ));
        }
    };
    Ok(Some(AdminBootstrap {
        email: email.to_owned(),
        password,
    }))
}

/// A comma-separated list of at least one region.
fn regions(list: &str) -> Result<Vec<String>, ConfigError> {
    let regions: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|region| !region.is_empty())
        .map(str::to_owned)
        .collect();
    if regions.is_empty() {
        return Err(ConfigError::Invalid(
            "at least one region is required".to_owned(),
        ));
    }
    Ok(regions)
}

/// `SWARMPRESS_IMAGES`: comma-separated image references; the default image comes first
/// whether listed or not.
fn catalogue(list: &str, default_image: &str) -> Vec<String> {
    let mut images = vec![default_image.to_owned()];
    for image in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        if !images.iter().any(|known| known == image) {
            images.push(image.to_owned());
        }
    }
    images
}

/// `SWARMPRESS_TRUSTED_PROXIES`: comma-separated networks (`10.213.0.0/24`) or addresses.
fn trusted_proxies(list: &str) -> Result<Vec<IpNet>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    ConfigError::Invalid(format!(
                        "trusted_proxies {entry:?}: expected an address or a network such as 10.0.0.0/24"
                    ))
                })
        })
        .collect()
}

fn log_format(name: &str) -> Result<LogFormat, ConfigError> {
    match name {
        "json" => Ok(LogFormat::Json),
        "compact" | "text" => Ok(LogFormat::Compact),
        other => Err(ConfigError::Invalid(format!(
            "log_format {other:?}: expected json or compact"
        ))),
    }
}

/// A secret file's content without its trailing newline (editors and `echo` add one).
fn read_secret(path: &Path) -> Result<SecretString, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::SecretFile {
        path: path.to_owned(),
        source,
    })?;
    Ok(SecretString::from(text.trim_end_matches(['\r', '\n'])))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret_file(dir: &Path, name: &str, content: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, content).unwrap();
        path
    }

    #[test]
    fn resolves_defaults_and_secret_files_without_printing_secrets() {
        let dir = std::env::temp_dir().join(format!("swarmpress-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let raw = RawConfig {
            database_password_file: Some(secret_file(&dir, "db", "p@ss:word\n")),
            jwt_secret_file: Some(secret_file(&dir, "jwt", &"k".repeat(40))),
            admin_email: Some("root@example.test".to_owned()),
            admin_password_file: Some(secret_file(&dir, "admin", "admin-password-123\n")),
            ..RawConfig::default()
        };
        let config = Config::resolve(raw).unwrap();
        assert_eq!(config.listen, "0.0.0.0:8000".parse().unwrap());
        assert_eq!(config.regions, ["eu-west", "us-east", "ap-south"]);
        assert_eq!(config.database.password.expose_secret(), "p@ss:word");
        assert_eq!(
            config.database.url(),
            "mysql://swarmpress:p%40ss%3Aword@127.0.0.1:3306/swarmpress"
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains("p@ss"), "{printed}");
        assert!(!printed.contains("kkkk"), "{printed}");
        assert!(!printed.contains("admin-password"), "{printed}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_a_short_jwt_key() {
        let dir = std::env::temp_dir().join(format!("swarmpress-config-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let raw = RawConfig {
            database_password_file: Some(secret_file(&dir, "db", "x")),
            jwt_secret_file: Some(secret_file(&dir, "jwt", "short")),
            ..RawConfig::default()
        };
        assert!(matches!(
            Config::resolve(raw),
            Err(ConfigError::Invalid(message)) if message.contains("32 bytes")
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
