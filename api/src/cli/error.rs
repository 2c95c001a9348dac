//! What a CLI command can fail with, and the exit code each failure means.

use std::path::PathBuf;
use std::process::ExitCode;

use swarmpress_schema::resource::validation::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The command line itself is wrong (exit 2, like clap's own usage errors).
    #[error("{0}")]
    Usage(String),
    /// The API refused: its problem+json `detail`, and the fields at fault.
    #[error("{detail}")]
    Api {
        status: u16,
        code: String,
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("cannot reach the API: {0}")]
    Http(#[from] reqwest::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "not logged in: run `swarmpress login --server URL` (or set SWARMPRESS_SERVER and SWARMPRESS_TOKEN)"
    )]
    NotLoggedIn,
    #[error("timed out after {0}")]
    Timeout(String),
    /// The request went through but the outcome is a failure (an invalid manifest document).
    #[error("{0}")]
    Failed(String),
    #[error("unexpected answer from the API: {0}")]
    Protocol(String),
}

impl CliError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Usage(_) => ExitCode::from(2),
            _ => ExitCode::from(1),
        }
    }

    /// The message, then one indented line per field error.
    pub fn report(&self) -> String {
        let mut text = format!("error: {self}");
        if let Self::Api { errors, .. } = self {
            for error in errors {
                let field = if error.field.is_empty() {
                    "(document)"
                } else {
                    &error.field
                };
                text.push_str(&format!("\n  {field}: {}", error.message));
            }
        }
        text
    }
}
