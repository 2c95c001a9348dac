//! `GET /health`: liveness plus whether the database answers. No authentication.

use poem::web::Data;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};

use crate::routes::ApiTags;
use crate::state::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum DatabaseHealth {
    Ok,
    Down,
}

#[derive(Debug, Object)]
pub struct Health {
    /// `ok` when the API can serve requests, `degraded` when its database is down.
    pub status: String,
    pub database: DatabaseHealth,
}

#[derive(ApiResponse)]
pub enum HealthResponse {
    #[oai(status = 200)]
    Ok(Json<Health>),
}

pub struct HealthApi;

#[OpenApi(tag = "ApiTags::System")]
impl HealthApi {
    /// Liveness and database reachability.
    #[oai(path = "/health", method = "get", operation_id = "getHealth")]
    async fn health(&self, state: Data<&AppState>) -> HealthResponse {
        let database = match state.store.connection().ping().await {
            Ok(()) => DatabaseHealth::Ok,
            Err(error) => {
                tracing::warn!(%error, "database ping failed");
                DatabaseHealth::Down
            }
        };
        HealthResponse::Ok(Json(Health {
            status: match database {
                DatabaseHealth::Ok => "ok",
                DatabaseHealth::Down => "degraded",
            }
            .to_owned(),
            database,
        }))
    }
}
