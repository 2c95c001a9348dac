//! `/tenants/{name}/logs` and `/tenants/{name}/inspect`: what the engine says about a
//! tenant's service. Another user's tenant is 404, as everywhere.

use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{EventStream, Json, PlainText};
use poem_openapi::{ApiResponse, OpenApi, ResponseContent};
use swarmpress_schema::TenantName;

use crate::auth::Auth;
use crate::declared::{INVALID, NOT_FOUND, Outcome, THROTTLED, UNAVAILABLE};
use crate::docker::engine_error;
use crate::error::{ApiError, ApiResult};
use crate::inspect::{self, TenantInspect};
use crate::logs::{self, LogLine, LogQuery};
use crate::routes::ApiTags;
use crate::routes::tenants::load_visible;
use crate::state::AppState;

/// Most lines a request may ask for.
pub const MAX_TAIL: u32 = 10_000;
const DEFAULT_TAIL: u32 = 100;
/// SSE comments this often keep proxies from closing a quiet stream, and make a write that
/// fails tell us the client left.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// The tenant, if the caller may see it; a name that cannot be a tenant is one that does not
/// exist.
/// `since`: RFC 3339 or Unix seconds.
fn parse_since(text: &str) -> ApiResult<i32> {
    let seconds = match text.parse::<i64>() {
        Ok(seconds) => seconds,
        Err(_) => chrono::DateTime::parse_from_rfc3339(text)
            .map_err(|_| {
                ApiError::validation(
                    "since",
                    "an RFC 3339 time or Unix seconds, e.g. 2026-01-01T00:00:00Z",
                )
            })?
            .timestamp(),
    };
    i32::try_from(seconds)
        .ok()
        .filter(|s| *s >= 0)
        .ok_or_else(|| ApiError::validation("since", "out of range"))
}

#[derive(ResponseContent)]
pub enum LogsContent {
    /// `timestamp task stream line`, one per line, oldest first.
    Text(PlainText<String>),
    /// With `follow=true`: one event per line, its data a `LogLine`.
    EventStream(EventStream<BoxStream<'static, LogLine>>),
}

#[derive(ApiResponse)]
pub enum LogsResponse {
    #[oai(status = 200)]
    Ok(LogsContent),
}

#[derive(ApiResponse)]
pub enum InspectResponse {
    #[oai(status = 200)]
    Ok(Json<TenantInspect>),
}

pub struct ObserveApi;

#[OpenApi(prefix_path = "/tenants", tag = "ApiTags::Tenants")]
impl ObserveApi {
    /// The tenant's log lines from every replica, tagged with task, stream and timestamp.
    /// `text/plain` by default; server-sent events with `follow=true` (new lines within a
    /// second, until the client leaves).
    #[oai(path = "/:name/logs", method = "get", operation_id = "tenantLogs")]
    async fn logs(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
        /// Lines per replica to start with (0–10000, default 100).
        tail: Query<Option<u32>>,
        /// Only lines since this time: RFC 3339 or Unix seconds.
        since: Query<Option<String>>,
        follow: Query<Option<bool>>,
    ) -> Outcome<LogsResponse, { NOT_FOUND | INVALID | UNAVAILABLE | THROTTLED }> {
        let tail = tail.0.unwrap_or(DEFAULT_TAIL);
        if tail > MAX_TAIL {
            return Err(ApiError::validation("tail", format!("at most {MAX_TAIL}")).into());
        }
        let since = since
            .0
            .as_deref()
            .map(parse_since)
            .transpose()?
            .unwrap_or(0);
        let tenant = load_visible(&state, auth.principal(), &name.0).await?;
        let service = tenant.metadata.name.service_name();
        let docker = state.docker.api().await?;
        let query = LogQuery { tail, since };
        if follow.0.unwrap_or(false) {
            let slot = state.streams.acquire(auth.principal().id())?;
            let lines = logs::follow(docker.clone(), service, query)
                .await
                .map_err(|e| engine_error("the tenant's tasks", e))?;
            let lines = crate::streams::holding(lines, slot);
            Ok(LogsResponse::Ok(LogsContent::EventStream(
                EventStream::new(lines.boxed()).keep_alive(KEEP_ALIVE),
            )))
        } else {
            let lines = logs::snapshot(docker, &service, query)
                .await
                .map_err(|e| engine_error("the tenant's tasks", e))?;
            let mut text = String::new();
            for line in &lines {
                text.push_str(&line.text());
                text.push('\n');
            }
            Ok(LogsResponse::Ok(LogsContent::Text(PlainText(text))))
        }
    }

    /// The tenant's service spec, tasks (state, error, node, start), mounts, networks and
    /// environment, with every secret value masked.
    #[oai(
        path = "/:name/inspect",
        method = "get",
        operation_id = "inspectTenant"
    )]
    async fn inspect(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
    ) -> Outcome<InspectResponse, { NOT_FOUND | UNAVAILABLE }> {
        let tenant = load_visible(&state, auth.principal(), &name.0).await?;
        let docker = state.docker.api().await?;
        let name = &tenant.metadata.name;
        let inspected = inspect::inspect(docker, &name.service_name(), &name.volume_name())
            .await
            .map_err(|e| engine_error("the tenant's service", e))?;
        Ok(InspectResponse::Ok(Json(inspected)))
    }
}
