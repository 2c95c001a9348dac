//! A [`MemoryStore`] with two test hooks: it can hang forever at a chosen store call (so a
//! controller can be killed at a known point of a reconcile, as a SIGKILL would find it), and
//! it records when each tenant was read (the runner reads a tenant once per reconcile
//! attempt, so the reads are the attempts).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use swarmpress_controller::store::{Changes, TenantStore};
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{EventType, Plan, Tenant, TenantStatus};
use tokio::time::Instant;

use super::memory_store::{MemoryError, MemoryStore};

/// Where a reconcile can be made to hang.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HangAt {
    /// Recording the `DatabaseReady` event: the database, user and password secret exist;
    /// the bucket, S3 identity and admin secret (made side by side) may, the volume and the
    /// service do not.
    DatabaseReadyEvent,
    /// Deleting the plain-text admin password: the bucket and both secrets exist, the volume
    /// and the service do not.
    DeleteAdminPassword,
}

#[derive(Default)]
struct Hooks {
    hang_at: Option<HangAt>,
    reached: Vec<HangAt>,
    reads: Vec<(TenantName, Instant)>,
}

#[derive(Clone, Default)]
pub struct HookedStore {
    pub inner: MemoryStore,
    hooks: Arc<Mutex<Hooks>>,
}

impl HookedStore {
    /// From now on, any call at `point` hangs forever (`None`: no call hangs).
    pub fn hang_at(&self, point: Option<HangAt>) {
        self.hooks.lock().unwrap().hang_at = point;
    }

    pub fn reached(&self, point: HangAt) -> bool {
        self.hooks.lock().unwrap().reached.contains(&point)
    }

    /// When `name` was read, oldest first.
    pub fn reads_of(&self, name: &TenantName) -> Vec<Instant> {
        self.hooks
            .lock()
            .unwrap()
            .reads
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, at)| *at)
            .collect()
    }

    async fn checkpoint(&self, point: HangAt) {
        let hang = {
            let mut hooks = self.hooks.lock().unwrap();
            let hang = hooks.hang_at == Some(point);
            if hang {
                hooks.reached.push(point);
            }
            hang
        };
        if hang {
            // Parked until the test drops the controller's future: a kill at this point.
            std::future::pending::<()>().await;
        }
    }
}

impl TenantStore for HookedStore {
    type Error = MemoryError;

    async fn get_tenant(&self, name: &TenantName) -> Result<Option<Tenant>, MemoryError> {
        self.hooks
            .lock()
            .unwrap()
            .reads
            .push((name.clone(), Instant::now()));
        self.inner.get_tenant(name).await
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, MemoryError> {
        self.inner.list_tenants().await
    }

    async fn changes_since(&self, resource_version: i64) -> Result<Changes, MemoryError> {
        self.inner.changes_since(resource_version).await
    }

    async fn write_status(
        &self,
        tenant: &Tenant,
        status: &TenantStatus,
    ) -> Result<(), MemoryError> {
        self.inner.write_status(tenant, status).await
    }

    async fn record_event(
        &self,
        tenant: &Tenant,
        type_: EventType,
        reason: &str,
        message: &str,
    ) -> Result<(), MemoryError> {
        if reason == "DatabaseReady" {
            self.checkpoint(HangAt::DatabaseReadyEvent).await;
        }
        self.inner
            .record_event(tenant, type_, reason, message)
            .await
    }

    async fn admin_password(&self, tenant: &Tenant) -> Result<Option<String>, MemoryError> {
        self.inner.admin_password(tenant).await
    }

    async fn delete_admin_password(&self, tenant: &Tenant) -> Result<(), MemoryError> {
        self.checkpoint(HangAt::DeleteAdminPassword).await;
        self.inner.delete_admin_password(tenant).await
    }

    async fn remove_tenant(&self, tenant: &Tenant) -> Result<(), MemoryError> {
        self.inner.remove_tenant(tenant).await
    }

    async fn plan_of(&self, tenant: &Tenant) -> Result<Option<Plan>, MemoryError> {
        self.inner.plan_of(tenant).await
    }

    async fn try_acquire_or_renew(&self, holder: &str, ttl: Duration) -> Result<bool, MemoryError> {
        self.inner.try_acquire_or_renew(holder, ttl).await
    }

    async fn publish_edge_routes(&self, digest: &str, config: &str) -> Result<(), MemoryError> {
        self.inner.publish_edge_routes(digest, config).await
    }
}
