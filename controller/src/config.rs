//! The controller's configuration, from `SWARMPRESS_*` environment variables. Secrets are
//! read from files named by `*_FILE` variables (Swarm secrets), never from the environment.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use crate::adapters::s3::S3Config;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("{name}: {message}")]
    Invalid { name: &'static str, message: String },
    #[error("cannot read {name} file {path}: {source}")]
    File {
        name: &'static str,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

pub struct Config {
    /// `mysql://…` of the control-plane database (the store).
    pub store_url: String,
    /// `mysql://…` of MariaDB's administrative account for tenant databases.
    pub mariadb_admin_url: String,
    pub s3: S3Config,
    pub base_domain: String,
    pub edge_port: u16,
    pub db_host_for_tenants: String,
    pub default_image: String,
    pub listen: String,
    pub workers: usize,
    /// How long an object must have had no tenant before orphan collection removes it.
    pub orphan_grace: Duration,
}

/// Written by hand: both URLs carry passwords.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("store_url", &"<redacted>")
            .field("mariadb_admin_url", &"<redacted>")
            .field("s3", &self.s3)
            .field("base_domain", &self.base_domain)
            .field("edge_port", &self.edge_port)
            .field("db_host_for_tenants", &self.db_host_for_tenants)
            .field("default_image", &self.default_image)
            .field("listen", &self.listen)
            .field("workers", &self.workers)
            .field("orphan_grace", &self.orphan_grace)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Reads the settings through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |key: &str, default: &str| lookup(key).unwrap_or_else(|| default.to_owned());
        let secret = |name: &'static str| -> Result<String, ConfigError> {
            let path = lookup(name).ok_or(ConfigError::Missing(name))?;
            read_secret(name, Path::new(&path))
        };
        let number = |name: &'static str, default: &str| -> Result<u64, ConfigError> {
            get(name, default)
                .parse()
                .map_err(|error: std::num::ParseIntError| ConfigError::Invalid {
                    name,
                    message: error.to_string(),
                })
        };

        let store_url = mysql_url(
            &get("SWARMPRESS_DATABASE_USER", "swarmpress"),
            &secret("SWARMPRESS_DATABASE_PASSWORD_FILE")?,
            &get("SWARMPRESS_DATABASE_HOST", "127.0.0.1"),
            &get("SWARMPRESS_DATABASE_PORT", "3306"),
            &get("SWARMPRESS_DATABASE_NAME", "swarmpress"),
        );
        let mariadb_admin_url = mysql_url(
            &get("SWARMPRESS_MARIADB_ADMIN_USER", "root"),
            &secret("SWARMPRESS_MARIADB_ADMIN_PASSWORD_FILE")?,
            &get(
                "SWARMPRESS_MARIADB_HOST",
                &get("SWARMPRESS_DATABASE_HOST", "127.0.0.1"),
            ),
            &get(
                "SWARMPRESS_MARIADB_PORT",
                &get("SWARMPRESS_DATABASE_PORT", "3306"),
            ),
            "",
        );
        let edge_port = u16::try_from(number("SWARMPRESS_EDGE_PORT", "8080")?).map_err(|_| {
            ConfigError::Invalid {
                name: "SWARMPRESS_EDGE_PORT",
                message: "not a port".to_owned(),
            }
        })?;
        Ok(Self {
            store_url,
            mariadb_admin_url,
            s3: S3Config {
                endpoint: get("SWARMPRESS_S3_ENDPOINT", "http://127.0.0.1:8333"),
                region: get("SWARMPRESS_S3_REGION", "us-east-1"),
                access_key: secret("SWARMPRESS_S3_ACCESS_KEY_FILE")?,
                secret_key: secret("SWARMPRESS_S3_SECRET_KEY_FILE")?,
            },
            base_domain: get("SWARMPRESS_BASE_DOMAIN", "localhost"),
            edge_port,
            db_host_for_tenants: get("SWARMPRESS_DB_HOST_FOR_TENANTS", "mariadb"),
            default_image: get("SWARMPRESS_WORDPRESS_IMAGE", "swarmpress/wordpress:latest"),
            listen: get(
                "SWARMPRESS_CONTROLLER_LISTEN",
                crate::telemetry::http::DEFAULT_LISTEN,
            ),
            workers: usize::try_from(number("SWARMPRESS_CONTROLLER_WORKERS", "4")?)
                .unwrap_or(4)
                .max(1),
            orphan_grace: Duration::from_secs(number("SWARMPRESS_ORPHAN_GRACE_SECONDS", "600")?),
        })
    }
}

/// The file's content without the trailing newline that `echo` and editors add.
fn read_secret(name: &'static str, path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map(|text| text.trim_end_matches(['\n', '\r']).to_owned())
        .map_err(|source| ConfigError::File {
            name,
            path: path.display().to_string(),
            source,
        })
}

fn mysql_url(user: &str, password: &str, host: &str, port: &str, database: &str) -> String {
    format!(
        "mysql://{}:{}@{host}:{port}/{database}",
        percent_encode(user),
        percent_encode(password)
    )
}

fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                char::from(byte).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn reads_secrets_from_files_and_applies_defaults() {
        let dir = std::env::temp_dir().join(format!("swarmpress-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, content: &str| {
            let path = dir.join(name);
            std::fs::write(&path, content).unwrap();
            path.display().to_string()
        };
        let env = HashMap::from([
            ("SWARMPRESS_DATABASE_PASSWORD_FILE", file("db", "p@ss\n")),
            (
                "SWARMPRESS_MARIADB_ADMIN_PASSWORD_FILE",
                file("root", "rootpw"),
            ),
            ("SWARMPRESS_S3_ACCESS_KEY_FILE", file("ak", "AK\n")),
            ("SWARMPRESS_S3_SECRET_KEY_FILE", file("sk", "SK")),
            ("SWARMPRESS_DATABASE_HOST", "mariadb".to_owned()),
            ("SWARMPRESS_EDGE_PORT", "8081".to_owned()),
        ]);
        let config = Config::from_lookup(|key| env.get(key).cloned()).unwrap();
        assert_eq!(
            config.store_url,
            "mysql://swarmpress:p%40ss@mariadb:3306/swarmpress"
        );
        assert_eq!(
            config.mariadb_admin_url,
            "mysql://root:rootpw@mariadb:3306/"
        );
        assert_eq!(config.s3.access_key, "AK");
        assert_eq!(config.s3.secret_key, "SK");
        assert_eq!(config.edge_port, 8081);
        assert_eq!(config.db_host_for_tenants, "mariadb");
        assert_eq!(config.listen, "0.0.0.0:9100");
        assert_eq!(config.orphan_grace, Duration::from_secs(600));
        let printed = format!("{config:?}");
        assert!(
            !printed.contains("p%40ss") && !printed.contains("rootpw") && !printed.contains("SK\"")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_secret_file_is_an_error() {
        let error = Config::from_lookup(|_| None).err().unwrap();
        assert!(matches!(
            error,
            ConfigError::Missing("SWARMPRESS_DATABASE_PASSWORD_FILE")
        ));
    }
}
