//! Where the local platform is, and its credentials.

use std::path::PathBuf;

/// Whether an unreachable platform fails a test instead of skipping it.
pub fn platform_required() -> bool {
    std::env::var("SWARMPRESS_REQUIRE_PLATFORM").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// The value, or — when the platform could not be reached — `None` after saying why it is
/// skipped, or a panic when the platform is required.
pub fn require<T>(reached: Result<T, String>, what: &str) -> Option<T> {
    match reached {
        Ok(value) => Some(value),
        Err(reason) if platform_required() => {
            panic!("SWARMPRESS_REQUIRE_PLATFORM is set but {what} is unreachable: {reason}")
        }
        Err(reason) => {
            eprintln!(
                "SKIPPED: {what} is unreachable ({reason}); run scripts/up, or set \
                 SWARMPRESS_REQUIRE_PLATFORM=1 to fail instead"
            );
            None
        }
    }
}

fn env_or(key: &str, default: &str) -> String {
    std::env::var(key)
        .ok()
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Where `scripts/up` keeps the platform's credentials.
pub fn state_dir() -> PathBuf {
    PathBuf::from(env_or("SWARMPRESS_STATE_DIR", "/var/lib/swarmpress"))
}

/// MariaDB as published on the host.
pub fn mariadb_addr() -> String {
    env_or("SWARMPRESS_MARIADB_ADDR", "127.0.0.1:3306")
}

/// S3 (SeaweedFS's gateway) as published on the host.
pub fn s3_endpoint() -> String {
    env_or("SWARMPRESS_S3_ENDPOINT", "http://127.0.0.1:8333")
}

/// The edge's port on the host, which is also the port in tenants' public URLs.
pub fn edge_port() -> u16 {
    std::env::var("SWARMPRESS_EDGE_PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(8080)
}

/// The value of `key` in the state directory's `secrets.env` (shell `KEY=value`).
pub fn secrets_env_value(key: &str) -> Result<String, String> {
    let path = state_dir().join("secrets.env");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    env_file_value(&text, key).ok_or_else(|| format!("{} has no {key}", path.display()))
}

/// The (last) value of `key` in shell `KEY=value` text, without surrounding quotes.
fn env_file_value(text: &str, key: &str) -> Option<String> {
    let prefix = format!("{key}=");
    text.lines()
        .filter_map(|line| line.trim().strip_prefix(prefix.as_str()))
        .map(|value| value.trim_matches(|c| c == '"' || c == '\'').to_owned())
        .next_back()
}

/// A secret file of the state directory's `secrets/` (e.g. `controller_db_password`).
pub fn file_secret(name: &str) -> Result<String, String> {
    let path = state_dir().join("secrets").join(name);
    std::fs::read_to_string(&path)
        .map(|text| text.trim_end().to_owned())
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// The platform administrator's e-mail and password (`admin.env` in the state directory,
/// written by `scripts/up`).
pub fn admin_credentials() -> Result<(String, String), String> {
    let path = state_dir().join("admin.env");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let value =
        |key| env_file_value(&text, key).ok_or_else(|| format!("{} has no {key}", path.display()));
    Ok((
        value("SWARMPRESS_ADMIN_EMAIL")?,
        value("SWARMPRESS_ADMIN_PASSWORD")?,
    ))
}

pub fn root_password() -> Result<String, String> {
    secrets_env_value("MARIADB_ROOT_PASSWORD")
}

/// `mysql://root:<password>@<addr>/`.
pub fn mariadb_root_url() -> Result<String, String> {
    Ok(format!(
        "mysql://root:{}@{}/",
        percent_encode(&root_password()?),
        mariadb_addr()
    ))
}

/// Percent-encodes everything but RFC 3986's unreserved characters (for URL user info).
pub fn percent_encode(value: &str) -> String {
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

    #[test]
    fn reads_values_from_shell_env_files() {
        let text = "# generated\nMARIADB_ROOT_PASSWORD=abc\nS3_ACCESS_KEY=\"q\"\n";
        assert_eq!(
            env_file_value(text, "MARIADB_ROOT_PASSWORD").as_deref(),
            Some("abc")
        );
        assert_eq!(env_file_value(text, "S3_ACCESS_KEY").as_deref(), Some("q"));
        assert_eq!(env_file_value(text, "S3").as_deref(), None);
        assert_eq!(env_file_value("", "X"), None);
    }

    #[test]
    fn user_info_is_encoded() {
        assert_eq!(percent_encode("p@ss:w/rd~-._"), "p%40ss%3Aw%2Frd~-._");
    }
}
