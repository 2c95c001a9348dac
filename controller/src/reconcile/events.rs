//! Events about a tenant — what the controller did, or saw change — as the API lists them.
//!
//! kube-rs's shape: the [`super::Context`] hands out a [`Recorder`] for the tenant being
//! reconciled, and every event goes through it with a reason from [`EventReason`] (or, for a
//! condition that flipped, the condition's own reason from [`super::status::Reason`]).

use swarmpress_schema::resource::{EventType, Tenant};

use super::{Context, ReconcileError};
use crate::store::TenantStore;

/// The closed set of reasons of the events the reconciler records about its own actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventReason {
    /// Database and password secret made (or the password replaced).
    DatabaseReady,
    /// The site's S3 identity and key secret made (or the key replaced).
    StorageReady,
    /// No admin password was stored for a new site; one was generated.
    AdminPasswordGenerated,
    ServiceCreated,
    ServiceUpdated,
    PhaseChanged,
    /// Everything of the tenant removed.
    Deleted,
}

impl EventReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DatabaseReady => "DatabaseReady",
            Self::StorageReady => "StorageReady",
            Self::AdminPasswordGenerated => "AdminPasswordGenerated",
            Self::ServiceCreated => "ServiceCreated",
            Self::ServiceUpdated => "ServiceUpdated",
            Self::PhaseChanged => "PhaseChanged",
            Self::Deleted => "Deleted",
        }
    }
}

/// Records events about one tenant.
pub struct Recorder<'a, S> {
    store: &'a S,
    tenant: &'a Tenant,
}

impl<S> Context<S> {
    /// The recorder of events about `tenant`.
    pub fn recorder<'a>(&'a self, tenant: &'a Tenant) -> Recorder<'a, S> {
        Recorder {
            store: &self.store,
            tenant,
        }
    }
}

impl<S: TenantStore> Recorder<'_, S> {
    pub async fn publish(
        &self,
        type_: EventType,
        reason: EventReason,
        message: &str,
    ) -> Result<(), ReconcileError> {
        self.publish_as(type_, reason.as_str(), message).await
    }

    /// An event under a reason of another closed set (a condition's).
    pub async fn publish_as(
        &self,
        type_: EventType,
        reason: &str,
        message: &str,
    ) -> Result<(), ReconcileError> {
        self.store
            .record_event(self.tenant, type_, reason, message)
            .await
            .map_err(ReconcileError::store)
    }
}
