//! Read access to the Docker engine for observability (logs, inspect, cluster, live stats
//! when Prometheus is down). The API still never *changes* tenants' infrastructure; the one
//! write is an administrator's node availability.
//!
//! The client is made once and its API version negotiated on first use (Debian's engine
//! speaks 1.41), so an API started without an engine still serves everything else.

use std::sync::Arc;

use bollard::Docker;
use tokio::sync::OnceCell;

use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("cannot reach the Docker engine: {0}")]
    Connect(#[from] bollard::errors::Error),
}

/// A lazily connected, version-negotiated client. Cheap to clone.
#[derive(Clone, Default)]
pub struct DockerHandle {
    client: Arc<OnceCell<Docker>>,
}

impl std::fmt::Debug for DockerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerHandle")
            .field("connected", &self.client.initialized())
            .finish()
    }
}

impl DockerHandle {
    /// The client, connecting (`DOCKER_HOST` — in the stack `tcp://docker-proxy:2375`, the
    /// read-only allow-list in front of the engine — or the local socket) and negotiating
    /// the version the first time. A failed attempt is retried on the next call.
    pub async fn get(&self) -> Result<&Docker, DockerError> {
        self.client
            .get_or_try_init(|| async {
                let docker = Docker::connect_with_defaults()?;
                Ok::<_, DockerError>(docker.negotiate_version().await?)
            })
            .await
    }

    /// [`Self::get`] as the API error clients see: 503 naming the engine.
    pub async fn api(&self) -> Result<&Docker, ApiError> {
        self.get().await.map_err(|error| {
            tracing::warn!(%error, "Docker engine unreachable");
            ApiError::Unavailable("the Docker engine cannot be reached".to_owned())
        })
    }
}

/// Maps an engine error: a 404 from the engine is the caller's 404, anything else 503.
pub fn engine_error(what: &str, error: bollard::errors::Error) -> ApiError {
    match error {
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        } => ApiError::NotFound(format!("{what} not found")),
        other => {
            tracing::warn!(error = %other, "Docker engine request failed");
            ApiError::Unavailable(format!("the Docker engine could not answer for {what}"))
        }
    }
}
