//! What the controller needs from the control-plane store.
//!
//! The reconcile loop is written against this trait rather than a concrete store so that the
//! loop does not depend on how the store keeps its rows; `swarmpress-schema`'s `Store`
//! implements it (`schema`), and tests and benchmarks use an in-memory one (`memory`).

#[cfg(any(test, feature = "test-support"))]
pub mod memory;
pub mod schema;

use std::future::Future;
use std::time::Duration;

use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{EventType, Plan, Tenant, TenantStatus};

/// Tenants written since a resource version, and the newest version seen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    pub changed: Vec<Changed>,
    pub resource_version: i64,
}

/// One tenant in [`Changes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub name: TenantName,
    /// [`desired_fingerprint`] of the tenant as written; `None` when the record is gone or
    /// the store cannot tell (the tenant is then queued whatever it was before).
    pub fingerprint: Option<u64>,
}

/// What of a tenant the reconciler acts on, hashed: everything but its status (and the
/// resource version, which every status write bumps). The change feed compares it with the
/// last one seen so that the controller's own status writes do not queue the tenant again —
/// each would otherwise cut a failing tenant's retry backoff short (GenerationChanged in
/// controller-runtime's terms; labels count too, as they reach the service).
pub fn desired_fingerprint(tenant: &Tenant) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::hash::DefaultHasher::new();
    let meta = &tenant.metadata;
    meta.uid.hash(&mut hasher);
    meta.generation.hash(&mut hasher);
    meta.deletion_timestamp.hash(&mut hasher);
    meta.labels.hash(&mut hasher);
    hasher.finish()
}

pub trait TenantStore: Clone + Send + Sync + 'static {
    type Error: std::error::Error + Send + Sync + 'static;

    /// The tenant as stored now, deleting or not; `None` once its record is removed.
    fn get_tenant(
        &self,
        name: &TenantName,
    ) -> impl Future<Output = Result<Option<Tenant>, Self::Error>> + Send;

    /// Every stored tenant, deleting ones included.
    fn list_tenants(&self) -> impl Future<Output = Result<Vec<Tenant>, Self::Error>> + Send;

    /// Tenants written (any change, removal included) after `resource_version`.
    fn changes_since(
        &self,
        resource_version: i64,
    ) -> impl Future<Output = Result<Changes, Self::Error>> + Send;

    /// Replaces the status of the tenant with `tenant.metadata.uid`. The controller calls it
    /// only when the status differs from the stored one.
    fn write_status(
        &self,
        tenant: &Tenant,
        status: &TenantStatus,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Records (or counts again) an event about the tenant.
    fn record_event(
        &self,
        tenant: &Tenant,
        type_: EventType,
        reason: &str,
        message: &str,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The admin password the API keeps for the controller until the Swarm secret exists.
    fn admin_password(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<Option<String>, Self::Error>> + Send;

    /// Deletes the plain-text admin password; no error when there is none.
    fn delete_admin_password(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Removes the record of a tenant whose deletion has been finalized.
    fn remove_tenant(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// The plan the tenant's owner is on, for refusing to deploy what it does not allow;
    /// `None` when the store keeps no plans (a test's store).
    fn plan_of(
        &self,
        tenant: &Tenant,
    ) -> impl Future<Output = Result<Option<Plan>, Self::Error>> + Send;

    /// Takes the controller lease for `holder`, or renews it if `holder` has it; `true` when
    /// `holder` holds it for `ttl` from now.
    fn try_acquire_or_renew(
        &self,
        holder: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;

    /// Replaces the edge's routing table (Traefik's dynamic configuration, and its digest),
    /// which every controller replica serves to the edge.
    fn publish_edge_routes(
        &self,
        digest: &str,
        config: &str,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}
