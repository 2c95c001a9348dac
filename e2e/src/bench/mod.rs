//! The benchmarks `scripts/bench` runs (issue 4's figures), one module each, and what they
//! share: the API client, sample statistics and the error type.

pub mod api;
pub mod create;
pub mod drift;
pub mod resync;
pub mod rollout;
pub mod scale;
pub mod stats;

use std::time::Duration;

use swarmpress_e2e::E2eError;
use swarmpress_e2e::report::ReportError;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    E2e(#[from] E2eError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("API {what}: {status} {body}")]
    Api {
        what: String,
        status: u16,
        body: String,
    },
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout { what: String, after: Duration },
    #[error("{0}")]
    Setup(String),
}

impl From<swarmpress_controller::adapters::swarm::SwarmError> for BenchError {
    fn from(error: swarmpress_controller::adapters::swarm::SwarmError) -> Self {
        Self::E2e(error.into())
    }
}

/// A whole number from the environment, or `default`.
pub fn env_count(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}
