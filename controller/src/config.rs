//! The controller's configuration, in the API's style: an optional TOML file
//! (`/etc/swarmpress/controller.toml`, or the file `SWARMPRESS_CONFIG_FILE` names), then
//! `SWARMPRESS_*` environment variables. Secrets are read from files named by `*_FILE` settings
//! (Swarm secrets), never from the environment, and held in [`SecretString`]s so `Debug` — and
//! so any log line — never shows them.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::adapters::s3::S3Config;

/// Where the optional configuration file lives.
pub const DEFAULT_CONFIG_FILE: &str = "/etc/swarmpress/controller.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{name}: {message}")]
    Invalid { name: &'static str, message: String },
    #[error("cannot read {name} file {path}")]
    File {
        name: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Figment(#[from] Box<figment::Error>),
}

/// The settings as written in the file or the environment, before secrets are read.
#[derive(Debug, Deserialize)]
#[serde(default)]
struct RawConfig {
    database_user: String,
    database_password_file: Option<PathBuf>,
    database_host: String,
    database_port: u16,
    database_name: String,
    mariadb_admin_user: String,
    mariadb_admin_password_file: Option<PathBuf>,
    /// MariaDB for tenant databases; the control-plane database's host and port by default.
    mariadb_host: Option<String>,
    mariadb_port: Option<u16>,
    s3_endpoint: String,
    s3_region: String,
    s3_access_key_file: Option<PathBuf>,
    s3_secret_key_file: Option<PathBuf>,
    base_domain: String,
    edge_port: u16,
    /// Where the rollout driver reaches Traefik to probe sites.
    edge_probe_url: String,
    db_host_for_tenants: String,
    s3_endpoint_for_tenants: String,
    wordpress_image: String,
    controller_listen: String,
    controller_workers: usize,
    orphan_grace_seconds: u64,
    max_starting: usize,
    startup_boost_seconds: u64,
    /// Where the host's `/proc` and `/sys/fs/cgroup` are mounted (`/` outside a container).
    host_root: PathBuf,
    /// `host:port` of the edge's metrics; every address the host resolves to is one Traefik
    /// instance whose per-router byte counters are metered.
    edge_metrics: String,
    /// How often edge traffic is metered (storage is measured every fifth time).
    usage_interval_seconds: u64,
}

impl Default for RawConfig {
    fn default() -> Self {
        Self {
            database_user: "swarmpress".to_owned(),
            database_password_file: None,
            database_host: "127.0.0.1".to_owned(),
            database_port: 3306,
            database_name: "swarmpress".to_owned(),
            mariadb_admin_user: "root".to_owned(),
            mariadb_admin_password_file: None,
            mariadb_host: None,
            mariadb_port: None,
            s3_endpoint: "http://127.0.0.1:8333".to_owned(),
            s3_region: "us-east-1".to_owned(),
            s3_access_key_file: None,
            s3_secret_key_file: None,
            base_domain: "localhost".to_owned(),
            edge_port: 8080,
            edge_probe_url: crate::rollout::DEFAULT_EDGE_URL.to_owned(),
            db_host_for_tenants: "mariadb".to_owned(),
            s3_endpoint_for_tenants: "http://s3:8333".to_owned(),
            wordpress_image: "swarmpress/wordpress:latest".to_owned(),
            controller_listen: crate::telemetry::http::DEFAULT_LISTEN.to_owned(),
            controller_workers: 4,
            orphan_grace_seconds: 600,
            max_starting: crate::reconcile::admission::DEFAULT_MAX_STARTING,
            startup_boost_seconds: crate::runtime::cpu_weight::STARTUP_BOOST.as_secs(),
            host_root: PathBuf::from("/"),
            edge_metrics: crate::usage::DEFAULT_EDGE_METRICS.to_owned(),
            usage_interval_seconds: crate::usage::METER_EVERY.as_secs(),
        }
    }
}

/// Keys read from the environment, each as `SWARMPRESS_<KEY>`. Listing them keeps unrelated
/// `SWARMPRESS_*` variables from being parsed as settings.
const ENV_KEYS: &[&str] = &[
    "database_user",
    "database_password_file",
    "database_host",
    "database_port",
    "database_name",
    "mariadb_admin_user",
    "mariadb_admin_password_file",
    "mariadb_host",
    "mariadb_port",
    "s3_endpoint",
    "s3_region",
    "s3_access_key_file",
    "s3_secret_key_file",
    "base_domain",
    "edge_port",
    "edge_probe_url",
    "db_host_for_tenants",
    "s3_endpoint_for_tenants",
    "wordpress_image",
    "controller_listen",
    "controller_workers",
    "orphan_grace_seconds",
    "max_starting",
    "startup_boost_seconds",
    "host_root",
    "edge_metrics",
    "usage_interval_seconds",
];

pub struct Config {
    /// `mysql://…` of the control-plane database (the store), password included.
    pub store_url: SecretString,
    /// `mysql://…` of MariaDB's administrative account for tenant databases.
    pub mariadb_admin_url: SecretString,
    pub s3: S3Config,
    pub base_domain: String,
    pub edge_port: u16,
    pub edge_probe_url: String,
    pub db_host_for_tenants: String,
    /// The S3 gateway as tenant tasks reach it on the data network.
    pub s3_endpoint_for_tenants: String,
    pub default_image: String,
    pub listen: String,
    pub workers: usize,
    /// How long an object must have had no tenant before orphan collection removes it.
    pub orphan_grace: Duration,
    /// Sites whose tasks may be starting at once; the rest wait, queued.
    pub max_starting: usize,
    /// How long a started tenant container runs with its CPU limit lifted (zero: never).
    pub startup_boost: Duration,
    /// Where the host's `/proc` and `/sys/fs/cgroup` are seen (the stats collector's files).
    pub host_root: PathBuf,
    /// `host:port` of the edge instances' metrics (the usage meter's byte counters).
    pub edge_metrics: String,
    /// How often the usage meter meters traffic (and every fifth time measures storage).
    pub usage_every: Duration,
}

/// Written by hand: both URLs carry passwords (`SecretString` prints as redacted anyway).
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("store_url", &self.store_url)
            .field("mariadb_admin_url", &self.mariadb_admin_url)
            .field("s3", &self.s3)
            .field("base_domain", &self.base_domain)
            .field("edge_port", &self.edge_port)
            .field("edge_probe_url", &self.edge_probe_url)
            .field("db_host_for_tenants", &self.db_host_for_tenants)
            .field("s3_endpoint_for_tenants", &self.s3_endpoint_for_tenants)
            .field("default_image", &self.default_image)
            .field("listen", &self.listen)
            .field("workers", &self.workers)
            .field("orphan_grace", &self.orphan_grace)
            .field("max_starting", &self.max_starting)
            .field("startup_boost", &self.startup_boost)
            .field("host_root", &self.host_root)
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
        Self::from_figment(
            Figment::new()
                .merge(Toml::file(&file))
                .merge(Env::prefixed("SWARMPRESS_").only(ENV_KEYS)),
        )
    }

    /// Resolves the settings `figment` holds (tests give it a TOML string).
    pub fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let raw: RawConfig = figment.extract().map_err(Box::new)?;
        let secret = |name: &'static str, path: &Option<PathBuf>| match path {
            Some(path) => read_secret(name, path),
            None => Err(ConfigError::Missing(name)),
        };
        let database_password = secret(
            "SWARMPRESS_DATABASE_PASSWORD_FILE",
            &raw.database_password_file,
        )?;
        let admin_password = secret(
            "SWARMPRESS_MARIADB_ADMIN_PASSWORD_FILE",
            &raw.mariadb_admin_password_file,
        )?;
        let store_url = mysql_url(
            &raw.database_user,
            &database_password,
            &raw.database_host,
            raw.database_port,
            &raw.database_name,
        );
        let mariadb_admin_url = mysql_url(
            &raw.mariadb_admin_user,
            &admin_password,
            raw.mariadb_host.as_deref().unwrap_or(&raw.database_host),
            raw.mariadb_port.unwrap_or(raw.database_port),
            "",
        );
        if raw.edge_port == 0 {
            return Err(ConfigError::Invalid {
                name: "SWARMPRESS_EDGE_PORT",
                message: "not a port".to_owned(),
            });
        }
        Ok(Self {
            store_url,
            mariadb_admin_url,
            s3: S3Config {
                endpoint: raw.s3_endpoint,
                region: raw.s3_region,
                access_key: secret("SWARMPRESS_S3_ACCESS_KEY_FILE", &raw.s3_access_key_file)?
                    .expose_secret()
                    .to_owned(),
                secret_key: secret("SWARMPRESS_S3_SECRET_KEY_FILE", &raw.s3_secret_key_file)?,
            },
            base_domain: raw.base_domain,
            edge_port: raw.edge_port,
            edge_probe_url: raw.edge_probe_url,
            db_host_for_tenants: raw.db_host_for_tenants,
            s3_endpoint_for_tenants: raw.s3_endpoint_for_tenants,
            default_image: raw.wordpress_image,
            listen: raw.controller_listen,
            workers: raw.controller_workers.max(1),
            orphan_grace: Duration::from_secs(raw.orphan_grace_seconds),
            max_starting: raw.max_starting.max(1),
            startup_boost: Duration::from_secs(raw.startup_boost_seconds),
            host_root: raw.host_root,
            edge_metrics: raw.edge_metrics,
            usage_every: Duration::from_secs(raw.usage_interval_seconds.max(1)),
        })
    }
}

/// The file's content without the trailing newline that `echo` and editors add.
fn read_secret(name: &'static str, path: &Path) -> Result<SecretString, ConfigError> {
    std::fs::read_to_string(path)
        .map(|text| SecretString::from(text.trim_end_matches(['\n', '\r']).to_owned()))
        .map_err(|source| ConfigError::File {
            name,
            path: path.display().to_string(),
            source,
        })
}

fn mysql_url(
    user: &str,
    password: &SecretString,
    host: &str,
    port: u16,
    database: &str,
) -> SecretString {
    SecretString::from(swarmpress_schema::store::mysql_url(
        user,
        password.expose_secret(),
        host,
        port,
        database,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figment(toml: &str) -> Figment {
        Figment::new().merge(Toml::string(toml))
    }

    #[test]
    fn reads_secrets_from_files_and_applies_defaults() {
        let dir = std::env::temp_dir().join(format!("swarmpress-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, content: &str| {
            let path = dir.join(name);
            std::fs::write(&path, content).unwrap();
            path.display().to_string()
        };
        let toml = format!(
            "database_password_file = {:?}\n\
             mariadb_admin_password_file = {:?}\n\
             s3_access_key_file = {:?}\n\
             s3_secret_key_file = {:?}\n\
             database_host = \"mariadb\"\n\
             edge_port = 8081\n",
            file("db", "p@ss\n"),
            file("root", "rootpw"),
            file("ak", "AK\n"),
            file("sk", "SK"),
        );
        let config = Config::from_figment(figment(&toml)).unwrap();
        assert_eq!(
            config.store_url.expose_secret(),
            "mysql://swarmpress:p%40ss@mariadb:3306/swarmpress"
        );
        assert_eq!(
            config.mariadb_admin_url.expose_secret(),
            "mysql://root:rootpw@mariadb:3306/"
        );
        assert_eq!(config.s3.access_key, "AK");
        assert_eq!(config.s3.secret_key.expose_secret(), "SK");
        assert_eq!(config.edge_port, 8081);
        assert_eq!(config.edge_probe_url, "http://traefik:80");
        assert_eq!(config.db_host_for_tenants, "mariadb");
        assert_eq!(config.listen, "0.0.0.0:9100");
        assert_eq!(config.orphan_grace, Duration::from_secs(600));
        let printed = format!("{config:?}");
        for secret in ["p%40ss", "rootpw", "\"SK\""] {
            assert!(!printed.contains(secret), "{secret} in {printed}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_secret_file_is_an_error() {
        let error = Config::from_figment(figment("")).err().unwrap();
        assert!(matches!(
            error,
            ConfigError::Missing("SWARMPRESS_DATABASE_PASSWORD_FILE")
        ));
    }

    #[test]
    fn a_malformed_setting_names_its_key() {
        let error = Config::from_figment(figment("edge_port = \"eighty\""))
            .err()
            .unwrap();
        assert!(error.to_string().contains("edge_port"), "{error}");
    }
}
