//! The benchmarks `scripts/bench` runs through the platform's public surface (issue 4's
//! figures), one module each, and their error type. The in-process controller benchmarks
//! (resync cost, fleet rollout) are `controller/benches/fleet`.

pub mod create;
pub mod density;
pub mod drift;
pub mod scale;

use std::time::Duration;

use swarmpress_e2e::E2eError;
use swarmpress_testkit::report::ReportError;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    E2e(#[from] E2eError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error("HTTP: {0}")]
    Http(#[from] reqwest::Error),
    #[error("measuring: {0}")]
    Measure(String),
    #[error("timed out after {after:?} waiting for {what}")]
    Timeout { what: String, after: Duration },
}

impl From<bollard::errors::Error> for BenchError {
    fn from(error: bollard::errors::Error) -> Self {
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
