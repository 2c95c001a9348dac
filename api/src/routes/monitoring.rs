//! `/monitoring`: live figures, history and totals of tenants. Prometheus answers them; when
//! it cannot be reached, a tenant's live figures come straight from the Docker engine
//! (`source: docker`) while history and the summary answer 503.

use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Enum, Object, OpenApi};
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::TenantState;

use crate::auth::Auth;
use crate::declared::{INVALID, NOT_FOUND, Outcome, UNAVAILABLE};
use crate::docker::engine_error;
use crate::docker_stats;
use crate::error::{ApiError, ApiResult};
use crate::monitoring::{self, Figures, Range};
use crate::prometheus::{Prometheus, PrometheusError};
use crate::routes::ApiTags;
use crate::state::AppState;

/// Where live figures came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum MetricsSource {
    /// The controller's series in Prometheus (rates over the last minute).
    Prometheus,
    /// The Docker engine directly, over about one second (Prometheus was unreachable).
    Docker,
}

/// A tenant's figures now, summed over its running replicas.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct TenantMetrics {
    pub name: String,
    /// Whether any replica is running (and so measured).
    pub running: bool,
    /// CPU in use, % of the tenant's CPU limit (all replicas).
    pub cpu_percent: f64,
    pub cpu_cores: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
    /// Memory in use, % of the tenant's memory limit.
    pub memory_percent: f64,
    pub network_rx_bytes_per_sec: f64,
    pub network_tx_bytes_per_sec: f64,
    /// `wp-content` volume plus database; absent when not measured (yet, or from Docker).
    pub storage_bytes: Option<u64>,
    pub volume_bytes: Option<u64>,
    pub database_bytes: Option<u64>,
    pub source: MetricsSource,
    /// When the figures were evaluated.
    pub timestamp: chrono::DateTime<chrono::Utc>,
}

/// Totals over the caller's running tenants.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct MetricsSummary {
    /// Running tenants that have figures.
    pub tenants: u64,
    /// CPU in use, % of the summed CPU limits.
    pub cpu_percent: f64,
    pub cpu_cores: f64,
    pub cpu_limit_cores: f64,
    pub memory_bytes: u64,
    pub memory_limit_bytes: u64,
    pub network_rx_bytes_per_sec: f64,
    pub network_tx_bytes_per_sec: f64,
    pub storage_bytes: u64,
    /// Where the figures came from: always Prometheus (the summary has no fallback).
    pub source: MetricsSource,
    pub timestamp: chrono::DateTime<chrono::Utc>,
}

/// One point of a tenant's history.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct MetricsPoint {
    pub timestamp: chrono::DateTime<chrono::Utc>,
    pub cpu_percent: f64,
    pub memory_bytes: f64,
    pub memory_percent: f64,
    pub network_rx_bytes_per_sec: f64,
    pub network_tx_bytes_per_sec: f64,
    pub storage_bytes: Option<f64>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct MetricsHistory {
    pub name: String,
    pub range: String,
    /// Seconds between points (about 200 points per range).
    pub step_seconds: u64,
    pub points: Vec<MetricsPoint>,
}

#[derive(ApiResponse)]
pub enum TenantMetricsResponse {
    #[oai(status = 200)]
    Ok(Json<TenantMetrics>),
}

#[derive(ApiResponse)]
pub enum SummaryResponse {
    #[oai(status = 200)]
    Ok(Json<MetricsSummary>),
}

#[derive(ApiResponse)]
pub enum HistoryResponse {
    #[oai(status = 200)]
    Ok(Json<MetricsHistory>),
}

fn bytes(value: f64) -> u64 {
    if value.is_finite() && value > 0.0 {
        value.round() as u64
    } else {
        0
    }
}

fn time(seconds: f64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis((seconds * 1000.0) as i64).unwrap_or_default()
}

fn prometheus(state: &AppState) -> ApiResult<Prometheus> {
    let config = &state.config.monitoring;
    Prometheus::new(&config.prometheus_url, config.prometheus_timeout).map_err(ApiError::internal)
}

fn unavailable(error: &PrometheusError) -> ApiError {
    tracing::warn!(%error, "Prometheus query failed");
    ApiError::Unavailable("the metrics store (Prometheus) cannot be reached".to_owned())
}

fn tenant_metrics(name: &str, figures: &Figures, source: MetricsSource, at: f64) -> TenantMetrics {
    TenantMetrics {
        name: name.to_owned(),
        running: figures.running_tenants > 0.0,
        cpu_percent: figures.cpu_percent(),
        cpu_cores: figures.cpu_cores,
        memory_bytes: bytes(figures.memory_bytes),
        memory_limit_bytes: bytes(figures.memory_limit_bytes),
        memory_percent: figures.memory_percent(),
        network_rx_bytes_per_sec: figures.rx_bytes_per_sec,
        network_tx_bytes_per_sec: figures.tx_bytes_per_sec,
        storage_bytes: figures.storage_bytes().map(bytes),
        volume_bytes: figures.volume_bytes.map(bytes),
        database_bytes: figures.database_bytes.map(bytes),
        source,
        timestamp: time(at),
    }
}

pub struct MonitoringApi;

#[OpenApi(prefix_path = "/monitoring", tag = "ApiTags::Monitoring")]
impl MonitoringApi {
    /// Totals over the caller's running tenants (an administrator's: every tenant), computed
    /// by one PromQL query. 503 when Prometheus cannot be reached.
    #[oai(path = "/summary", method = "get", operation_id = "monitoringSummary")]
    async fn summary(
        &self,
        state: Data<&AppState>,
        auth: Auth,
    ) -> Outcome<SummaryResponse, { UNAVAILABLE }> {
        let principal = auth.principal();
        let owner = (!principal.is_admin()).then(|| principal.id());
        let tenants: Vec<String> = state
            .store
            .list_tenants(owner, None)
            .await?
            .into_iter()
            .filter(|t| t.spec.state == TenantState::Running && !t.is_deleting())
            .map(|t| t.metadata.name.as_str().to_owned())
            .collect();
        let at = monitoring::aligned_now();
        let figures = monitoring::current(&prometheus(&state)?, &tenants, at)
            .await
            .map_err(|e| unavailable(&e))?;
        Ok(SummaryResponse::Ok(Json(MetricsSummary {
            tenants: bytes(figures.running_tenants),
            cpu_percent: figures.cpu_percent(),
            cpu_cores: figures.cpu_cores,
            cpu_limit_cores: figures.cpu_limit_cores,
            memory_bytes: bytes(figures.memory_bytes),
            memory_limit_bytes: bytes(figures.memory_limit_bytes),
            network_rx_bytes_per_sec: figures.rx_bytes_per_sec,
            network_tx_bytes_per_sec: figures.tx_bytes_per_sec,
            storage_bytes: figures.storage_bytes().map_or(0, bytes),
            source: MetricsSource::Prometheus,
            timestamp: time(at),
        })))
    }

    /// A tenant's figures now. From Prometheus when it answers, else from the Docker engine
    /// (`source: docker`, no storage figures).
    #[oai(
        path = "/:name/metrics",
        method = "get",
        operation_id = "tenantMetrics"
    )]
    async fn metrics(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
    ) -> Outcome<TenantMetricsResponse, { NOT_FOUND | UNAVAILABLE }> {
        let tenant = super::tenants::load_visible(&state, auth.principal(), &name.0).await?;
        let name = tenant.metadata.name.as_str().to_owned();
        let at = monitoring::aligned_now();
        let answer =
            monitoring::current(&prometheus(&state)?, std::slice::from_ref(&name), at).await;
        let metrics = match answer {
            Ok(figures) => tenant_metrics(&name, &figures, MetricsSource::Prometheus, at),
            Err(error) => {
                tracing::warn!(%error, tenant = %name, "Prometheus unreachable; asking Docker");
                let docker = state.docker.api().await?;
                let figures = docker_stats::current(docker, &name)
                    .await
                    .map_err(|e| engine_error("the tenant's containers", e))?;
                let now = chrono::Utc::now().timestamp_millis() as f64 / 1000.0;
                tenant_metrics(&name, &figures, MetricsSource::Docker, now)
            }
        };
        Ok(TenantMetricsResponse::Ok(Json(metrics)))
    }

    /// A tenant's series over `range` (`1h`, `24h` or `7d`; default `1h`), about 200 points.
    /// 503 when Prometheus cannot be reached.
    #[oai(
        path = "/:name/history",
        method = "get",
        operation_id = "tenantHistory"
    )]
    async fn history(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        name: Path<TenantName>,
        /// `1h`, `24h` or `7d`.
        range: Query<Option<String>>,
    ) -> Outcome<HistoryResponse, { NOT_FOUND | INVALID | UNAVAILABLE }> {
        let range = match range.0.as_deref() {
            None => Range::Hour,
            Some(text) => Range::parse(text)
                .ok_or_else(|| ApiError::validation("range", "must be one of 1h, 24h, 7d"))?,
        };
        let tenant = super::tenants::load_visible(&state, auth.principal(), &name.0).await?;
        let name = tenant.metadata.name.as_str().to_owned();
        let end = monitoring::aligned_now();
        let points = monitoring::history(&prometheus(&state)?, &name, range, end)
            .await
            .map_err(|e| unavailable(&e))?;
        let points = points
            .into_iter()
            .map(|(at, f)| MetricsPoint {
                timestamp: time(at as f64),
                cpu_percent: f.cpu_percent(),
                memory_bytes: f.memory_bytes,
                memory_percent: f.memory_percent(),
                network_rx_bytes_per_sec: f.rx_bytes_per_sec,
                network_tx_bytes_per_sec: f.tx_bytes_per_sec,
                storage_bytes: f.storage_bytes(),
            })
            .collect();
        Ok(HistoryResponse::Ok(Json(MetricsHistory {
            name,
            range: range.as_str().to_owned(),
            step_seconds: range.step(),
            points,
        })))
    }
}
