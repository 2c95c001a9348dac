//! The usage meter: what each site uses of its owner's plan's allocations, kept in the store
//! and acted on.
//!
//! While this instance leads, a pass every [`METER_EVERY`] adds each site's edge traffic
//! since the last pass to its month (from Traefik's per-router byte counters, see
//! [`edge_bytes`]) and, every [`MEASURE_EVERY`], measures each site's storage: its
//! `wp-content` volume, its database and its bucket. Then, per site, it sets the
//! `StorageWithinAllocation` and `BandwidthWithinAllocation` conditions (a warning from 80 %)
//! and, over the storage allocation, refuses new uploads through the site's own WordPress
//! (`TenantDatabases::set_upload_refusal`) until the site is back under it — freed space or
//! a bigger plan — while the site keeps serving. Traffic over its allocation is warned about,
//! never cut off.
//!
//! An owner can ask for a measurement at once (`POST /tenants/{name}/usage/measure`, carried
//! out by the tenant-actions task through [`Meter::measure_now`]).

pub mod edge_bytes;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bollard::Docker;
use chrono::Utc;
use swarmpress_schema::TenantName;
use swarmpress_schema::error_chain::ErrorChain;
pub use swarmpress_schema::resource::human_bytes;
use swarmpress_schema::resource::{
    AllocationState, BandwidthUsage, ConditionStatus, ConditionType, MeasuredStorage, StorageUsage,
    Tenant, TenantUsage,
};
use swarmpress_schema::store::{NewCondition, Store, StoreError};
use tokio::time::Instant;
use uuid::Uuid;

use crate::adapters::mariadb::TenantDatabases;
use crate::adapters::s3::TenantBuckets;
use crate::runtime::leader::LeaderTask;
use crate::telemetry::stats::{MEASURE_EVERY, StatsState, database_sizes, volume_sizes};
use edge_bytes::Baselines;

/// Where the edge's metrics are: every address of Swarm's `tasks.traefik` is one instance.
pub const DEFAULT_EDGE_METRICS: &str = "tasks.traefik:8081";

/// How often traffic is metered.
pub const METER_EVERY: Duration = Duration::from_secs(60);

/// How long one instance's metrics may take to answer.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("measuring storage: {0}")]
    Storage(String),
}

/// What one pass did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassReport {
    pub sites: usize,
    /// Storage was measured and recorded for every site.
    pub storage_measured: bool,
}

/// The meter; clones share their state.
#[derive(Clone)]
pub struct Meter {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    docker: Docker,
    databases: TenantDatabases,
    buckets: TenantBuckets,
    /// The collector's figures, which export the measured storage on `/metrics`.
    stats: Option<StatsState>,
    edge_metrics: String,
    client: reqwest::Client,
    /// One pass or measurement at a time: they share the counters' baselines.
    passes: tokio::sync::Mutex<Baselines>,
    /// Whether uploads are refused, as last applied to each site (by uid) this term.
    refusals: Mutex<HashMap<Uuid, bool>>,
}

impl Meter {
    pub fn new(
        store: Store,
        docker: Docker,
        databases: TenantDatabases,
        buckets: TenantBuckets,
        stats: Option<StatsState>,
        edge_metrics: impl Into<String>,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(SCRAPE_TIMEOUT)
            .no_proxy()
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                store,
                docker,
                databases,
                buckets,
                stats,
                edge_metrics: edge_metrics.into(),
                client,
                passes: tokio::sync::Mutex::new(Baselines::default()),
                refusals: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The meter as a leader task: a pass every `every`, storage measured in the first pass
    /// of a term and then every [`MEASURE_EVERY`] (or `every`, if longer).
    pub fn task(self, every: Duration) -> LeaderTask {
        LeaderTask::new("usage", move |token| {
            let meter = self.clone();
            async move {
                // A new term starts from nothing: another leader may have metered meanwhile,
                // and what it applied to the sites is not known here.
                *meter.inner.passes.lock().await = Baselines::default();
                meter.refusals().clear();
                let storage_every = every.max(MEASURE_EVERY);
                let mut measured_at: Option<Instant> = None;
                let mut ticker = tokio::time::interval(every);
                ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        () = token.cancelled() => return,
                        _ = ticker.tick() => {}
                    }
                    let storage = measured_at.is_none_or(|at| at.elapsed() >= storage_every);
                    let pass = tokio::select! {
                        () = token.cancelled() => return,
                        pass = meter.pass(storage) => pass,
                    };
                    match pass {
                        Ok(report) => {
                            // Storage not measured (S3 down, say) is tried again next pass.
                            if report.storage_measured {
                                measured_at = Some(Instant::now());
                            }
                            tracing::debug!(
                                sites = report.sites,
                                storage = report.storage_measured,
                                "usage metered"
                            );
                        }
                        Err(error) => {
                            tracing::warn!(error = %ErrorChain(&error), "usage pass failed");
                        }
                    }
                }
            }
        })
    }

    fn refusals(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, bool>> {
        self.inner
            .refusals
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// One pass over every site: traffic metered, storage measured when `storage`, and each
    /// site's conditions and upload refusal brought in line. What fails for one part (S3 or
    /// the engine while storage is measured, one site's write) is logged and the rest of the
    /// pass goes on: traffic is still metered and every other site kept in line. Whether
    /// storage was measured comes back with the number of sites.
    pub async fn pass(&self, storage: bool) -> Result<PassReport, UsageError> {
        let mut baselines = self.inner.passes.lock().await;
        let tenants = self.inner.store.list_tenants(None, None).await?;
        let live: Vec<&Tenant> = tenants.iter().filter(|t| !t.is_deleting()).collect();
        self.meter_traffic(&mut baselines, &live).await?;
        drop(baselines);
        let mut measured = false;
        if storage {
            match self.measure_storage(None).await {
                Ok(sizes) => {
                    measured = true;
                    for tenant in &live {
                        let figures = sizes
                            .get(tenant.metadata.name.as_str())
                            .copied()
                            .unwrap_or_default();
                        if let Err(error) = self.inner.store.record_storage(tenant, figures).await {
                            measured = false;
                            tracing::warn!(tenant = %tenant.metadata.name, error = %ErrorChain(&error), "storage not recorded");
                        }
                    }
                }
                Err(error) => {
                    tracing::warn!(error = %ErrorChain(&error), "storage not measured this pass");
                }
            }
        }
        // A few queries for every site, and a write only for a site whose conditions change.
        let snapshot = self.inner.store.usage_snapshot(Utc::now()).await?;
        for tenant in &live {
            if let Err(error) = self.enforce(tenant, &snapshot.usage_of(tenant)).await {
                tracing::warn!(tenant = %tenant.metadata.name, error = %ErrorChain(&error), "usage conditions not written");
            }
        }
        Ok(PassReport {
            sites: live.len(),
            storage_measured: measured,
        })
    }

    /// Traffic metered for every site and `name`'s storage measured now: its usage report.
    pub async fn measure_now(&self, name: &TenantName) -> Result<TenantUsage, UsageError> {
        let mut baselines = self.inner.passes.lock().await;
        let tenants = self.inner.store.list_tenants(None, None).await?;
        let live: Vec<&Tenant> = tenants.iter().filter(|t| !t.is_deleting()).collect();
        self.meter_traffic(&mut baselines, &live).await?;
        drop(baselines);
        let tenant = self.inner.store.get_tenant(name).await?;
        let measured = self.measure_storage(Some(name)).await?;
        let figures = measured.get(name.as_str()).copied().unwrap_or_default();
        self.inner.store.record_storage(&tenant, figures).await?;
        let usage = self.inner.store.tenant_usage(&tenant, Utc::now()).await?;
        self.enforce(&tenant, &usage).await?;
        Ok(usage)
    }

    /// Adds each site's traffic since the last reading of every edge instance to its month.
    async fn meter_traffic(
        &self,
        baselines: &mut Baselines,
        tenants: &[&Tenant],
    ) -> Result<(), UsageError> {
        let instances = match tokio::net::lookup_host(self.inner.edge_metrics.as_str()).await {
            Ok(addresses) => addresses.collect::<Vec<SocketAddr>>(),
            Err(error) => {
                tracing::debug!(edge = %self.inner.edge_metrics, %error, "no edge instance to meter");
                return Ok(());
            }
        };
        let mut grown: HashMap<String, u64> = HashMap::new();
        let mut alive = Vec::new();
        for address in instances {
            let url = format!("http://{address}/metrics");
            let text = match self.inner.client.get(&url).send().await {
                Ok(response) if response.status().is_success() => response.text().await,
                Ok(response) => {
                    tracing::warn!(%url, status = %response.status(), "edge metrics refused");
                    continue;
                }
                Err(error) => Err(error),
            };
            let text = match text {
                Ok(text) => text,
                Err(error) => {
                    tracing::warn!(%url, error = %ErrorChain(&error), "cannot read edge metrics");
                    continue;
                }
            };
            let instance = address.to_string();
            let reading = edge_bytes::bytes_by_tenant(&text);
            for (tenant, bytes) in baselines.advance(&instance, reading) {
                *grown.entry(tenant).or_insert(0) += bytes;
            }
            alive.push(instance);
        }
        baselines.retain(&alive);
        let now = Utc::now();
        for tenant in tenants {
            if let Some(&bytes) = grown.get(tenant.metadata.name.as_str()) {
                self.inner
                    .store
                    .add_bandwidth(tenant.metadata.uid, bytes, now)
                    .await?;
            }
        }
        Ok(())
    }

    /// Volume, database and bucket bytes of every site (or only `only`), by name.
    async fn measure_storage(
        &self,
        only: Option<&TenantName>,
    ) -> Result<HashMap<String, MeasuredStorage>, UsageError> {
        let failed = |what: &str, error: &(dyn std::error::Error + 'static)| {
            UsageError::Storage(format!("{what}: {}", ErrorChain(error)))
        };
        let volumes = volume_sizes(&self.inner.docker, only)
            .await
            .map_err(|e| failed("volumes", &e))?;
        let databases = database_sizes(self.inner.databases.connection(), only)
            .await
            .map_err(|e| failed("databases", &e))?;
        let buckets = match only {
            Some(tenant) => vec![tenant.bucket_name()],
            None => self
                .inner
                .buckets
                .list_tenant_buckets()
                .await
                .map_err(|e| failed("buckets", &e))?,
        };
        let mut measured: HashMap<String, MeasuredStorage> = HashMap::new();
        let at = Some(Utc::now());
        for bucket in buckets {
            let Some(tenant) = TenantName::from_bucket_name(&bucket) else {
                continue;
            };
            let bytes = self
                .inner
                .buckets
                .size(&tenant)
                .await
                .map_err(|e| failed("buckets", &e))?;
            measured.entry(tenant.to_string()).or_default().bucket_bytes = bytes;
        }
        for (tenant, bytes) in &volumes {
            measured.entry(tenant.clone()).or_default().volume_bytes = *bytes as u64;
        }
        for (tenant, bytes) in &databases {
            measured.entry(tenant.clone()).or_default().database_bytes = *bytes as u64;
        }
        for figures in measured.values_mut() {
            figures.measured_at = at;
        }
        if only.is_none()
            && let Some(stats) = &self.inner.stats
        {
            stats.set_storage(volumes, databases);
        }
        Ok(measured)
    }

    /// The site's conditions and upload refusal brought in line with `usage`.
    async fn enforce(&self, tenant: &Tenant, usage: &TenantUsage) -> Result<(), UsageError> {
        let name = &tenant.metadata.name;
        let mut conditions = vec![bandwidth_condition(&usage.bandwidth)];
        if usage.storage.measured_at.is_some() {
            conditions.push(storage_condition(&usage.storage));
            let refusal = refusal_message(&usage.storage);
            let refused = refusal.is_some();
            let applied = self.refusals().get(&tenant.metadata.uid).copied();
            // A refusal is written again on every pass while the site is over its allocation:
            // it lives in the site's own database, where the site's code could remove it.
            // Lifting it is written once.
            if refused || applied != Some(false) {
                match self
                    .inner
                    .databases
                    .set_upload_refusal(name, refusal.as_deref())
                    .await
                {
                    Ok(installed) => {
                        if installed {
                            self.refusals().insert(tenant.metadata.uid, refused);
                        }
                        if applied != Some(refused) {
                            tracing::info!(tenant = %name, refused, "upload refusal applied");
                        }
                    }
                    Err(error) => {
                        tracing::warn!(tenant = %name, error = %ErrorChain(&error), "cannot apply the upload refusal");
                    }
                }
            }
        }
        if conditions.iter().all(|c| holds(tenant, c)) {
            return Ok(());
        }
        match self.inner.store.set_conditions(name, &conditions).await {
            Ok(_) | Err(StoreError::NotFound) => Ok(()),
            Err(error) => Err(error.into()),
        }
    }
}

/// Whether the tenant's status (as listed) already carries `condition`.
fn holds(tenant: &Tenant, condition: &NewCondition) -> bool {
    tenant.status.condition(condition.type_).is_some_and(|c| {
        c.status == condition.status
            && c.reason == condition.reason
            && c.message == condition.message
    })
}

fn figure(used: u64, allocation: u64, percent: f64) -> String {
    format!(
        "{} of {} ({percent} %)",
        human_bytes(used),
        human_bytes(allocation)
    )
}

/// The sentence WordPress shows an uploader over the allocation; `None` within it.
pub fn refusal_message(storage: &StorageUsage) -> Option<String> {
    (storage.state == AllocationState::Exceeded).then(|| {
        format!(
            "This site uses {} of its storage: new uploads are refused until space is freed or the plan is upgraded.",
            figure(storage.total_bytes, storage.allocation_bytes, storage.percent)
        )
    })
}

/// `StorageWithinAllocation` for `storage`.
pub fn storage_condition(storage: &StorageUsage) -> NewCondition {
    // Rounded to whole MiB and percent, so the condition (and with it the tenant's
    // resourceVersion, which wakes watchers) changes with real growth, not every measurement.
    let used = figure(
        storage.total_bytes >> 20 << 20,
        storage.allocation_bytes,
        storage.percent.floor(),
    );
    let (status, reason, message) = match storage.state {
        AllocationState::Within => (
            ConditionStatus::True,
            "WithinAllocation",
            format!("uses {used}"),
        ),
        AllocationState::NearLimit => (
            ConditionStatus::True,
            "NearLimit",
            format!("uses {used}: over the allocation, new uploads will be refused"),
        ),
        AllocationState::Exceeded => (
            ConditionStatus::False,
            "OverAllocation",
            format!(
                "uses {used}: new uploads are refused until space is freed or the plan is upgraded; the site keeps serving"
            ),
        ),
    };
    NewCondition {
        type_: ConditionType::StorageWithinAllocation,
        status,
        reason: reason.to_owned(),
        message,
    }
}

/// `BandwidthWithinAllocation` for this month's `bandwidth`.
pub fn bandwidth_condition(bandwidth: &BandwidthUsage) -> NewCondition {
    // The figure is rounded to whole MiB so the condition (and with it the tenant's
    // resourceVersion) changes with real traffic, not with every probe's few bytes.
    let mib = |bytes: u64| bytes >> 20 << 20;
    let used = figure(
        mib(bandwidth.bytes),
        bandwidth.allocation_bytes,
        bandwidth.percent.floor(),
    );
    let month = &bandwidth.month;
    let (status, reason, message) = match bandwidth.state {
        AllocationState::Within => (
            ConditionStatus::True,
            "WithinAllocation",
            format!("{month}: {used} of traffic"),
        ),
        AllocationState::NearLimit => (
            ConditionStatus::True,
            "NearLimit",
            format!("{month}: {used} of traffic, close to the plan's allocation"),
        ),
        AllocationState::Exceeded => (
            ConditionStatus::False,
            "OverAllocation",
            format!(
                "{month}: {used} of traffic, over the plan's allocation (traffic is not cut off)"
            ),
        ),
    };
    NewCondition {
        type_: ConditionType::BandwidthWithinAllocation,
        status,
        reason: reason.to_owned(),
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn storage(total: u64, allocation: u64) -> StorageUsage {
        StorageUsage {
            volume_bytes: total,
            database_bytes: 0,
            bucket_bytes: 0,
            total_bytes: total,
            allocation_bytes: allocation,
            percent: swarmpress_schema::resource::usage::percent(total, allocation),
            state: AllocationState::of(total, allocation),
            measured_at: Some(Utc::now()),
        }
    }

    #[test]
    fn warns_from_eighty_percent_and_refuses_uploads_only_above_the_allocation() {
        let mib = 1 << 20;
        let within = storage(10 * mib, 100 * mib);
        assert_eq!(storage_condition(&within).reason, "WithinAllocation");
        assert_eq!(refusal_message(&within), None);
        let near = storage(85 * mib, 100 * mib);
        let condition = storage_condition(&near);
        assert_eq!(
            (condition.status, condition.reason.as_str()),
            (ConditionStatus::True, "NearLimit")
        );
        assert!(
            condition.message.contains("85.0 MiB of 100.0 MiB (85 %)"),
            "{}",
            condition.message
        );
        assert_eq!(
            storage_condition(&near),
            storage_condition(&storage(85 * mib + 4096, 100 * mib))
        );
        assert_eq!(refusal_message(&near), None);
        let over = storage(101 * mib, 100 * mib);
        assert_eq!(storage_condition(&over).status, ConditionStatus::False);
        let refusal = refusal_message(&over).unwrap();
        assert!(
            refusal.contains("101.0 MiB of 100.0 MiB (101 %)"),
            "{refusal}"
        );
    }

    #[test]
    fn bandwidth_conditions_change_with_whole_mebibytes_only() {
        let month = |bytes: u64| BandwidthUsage {
            month: "2026-12".to_owned(),
            bytes,
            allocation_bytes: 10 << 30,
            percent: swarmpress_schema::resource::usage::percent(bytes, 10 << 30),
            state: AllocationState::of(bytes, 10 << 30),
        };
        assert_eq!(
            bandwidth_condition(&month(5000)),
            bandwidth_condition(&month(9000))
        );
        assert_ne!(
            bandwidth_condition(&month(5000)),
            bandwidth_condition(&month(3 << 20))
        );
        assert_eq!(
            bandwidth_condition(&month(11 << 30)).status,
            ConditionStatus::False
        );
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
