//! Where `swarmpress login` keeps the server and personal access token: a JSON file in the
//! user's config directory, readable by the user alone.

use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::CliError;

#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    pub server: String,
    pub token: String,
    /// The token's id, so that `logout` can revoke it.
    #[serde(default)]
    pub token_id: Option<Uuid>,
    #[serde(default)]
    pub email: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("server", &self.server)
            .field("token", &"<redacted>")
            .finish()
    }
}

/// `$SWARMPRESS_CONFIG`, else `$XDG_CONFIG_HOME/swarmpress/credentials.json`, else
/// `~/.config/swarmpress/credentials.json`.
pub fn path() -> Result<PathBuf, CliError> {
    if let Some(path) = std::env::var_os("SWARMPRESS_CONFIG") {
        return Ok(PathBuf::from(path));
    }
    let config_dir = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|dir| dir.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .ok_or_else(|| CliError::Usage("neither XDG_CONFIG_HOME nor HOME is set".to_owned()))?;
    Ok(config_dir.join("swarmpress").join("credentials.json"))
}

/// The credentials to use: `SWARMPRESS_SERVER` with `SWARMPRESS_TOKEN` when both are set
/// (for scripts and CI), else the stored file, if any.
pub fn load() -> Result<Option<Credentials>, CliError> {
    if let (Ok(server), Ok(token)) = (
        std::env::var("SWARMPRESS_SERVER"),
        std::env::var("SWARMPRESS_TOKEN"),
    ) {
        return Ok(Some(Credentials {
            server,
            token,
            token_id: None,
            email: None,
        }));
    }
    let path = path()?;
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| CliError::io(&path, std::io::Error::other(e))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(CliError::io(&path, error)),
    }
}

/// Writes the file with mode 0600 (its directory 0700) through a temporary file, so that a
/// crash never leaves half a token and the secret is never readable by others, not even
/// for an instant.
pub fn save(credentials: &Credentials) -> Result<PathBuf, CliError> {
    let path = path()?;
    let dir = path
        .parent()
        .ok_or_else(|| CliError::Usage(format!("{} has no directory", path.display())))?;
    std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| CliError::io(dir, e))?;
    let text = serde_json::to_string_pretty(credentials)
        .map_err(|e| CliError::io(&path, std::io::Error::other(e)))?;
    let temporary = path.with_extension("json.tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)
        .map_err(|e| CliError::io(&temporary, e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::io(&temporary, e))?;
    std::fs::rename(&temporary, &path).map_err(|e| CliError::io(&path, e))?;
    Ok(path)
}

/// Removes the stored file; `false` when there was none.
pub fn remove() -> Result<bool, CliError> {
    let path = path()?;
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(true),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(error) => Err(CliError::io(&path, error)),
    }
}
