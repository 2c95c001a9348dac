//! The reconciler: one tenant in, the world converged towards it, an [`Action`] out.
//!
//! Shaped like a kube-rs controller: [`reconcile`] is told *which* tenant, never *why* it
//! runs (a store change, a Docker event, a resync and a requeue all look the same), which is
//! what forces every step to read the actual state and be safe to repeat.
//! [`error_policy`] decides what a failure does to the tenant's place in the queue.

mod action;
pub mod admission;
mod apply;
pub(crate) mod desired_cache;
pub(crate) mod events;
mod facts;
mod finalize;
pub mod names;
pub mod password;
mod report;
mod secrets;
mod service;
pub(crate) mod status;

pub use action::Action;

use std::sync::Arc;
use std::time::Duration;

use swarmpress_schema::resource::Tenant;
use tracing::Instrument as _;

use crate::adapters::mariadb::{MariaDbError, TenantDatabases};
use crate::adapters::s3::{BucketError, TenantBuckets};
use crate::adapters::s3_identity::{IdentityError, TenantIdentities};
use crate::adapters::swarm::{ServiceSpecError, SwarmClient, SwarmError};
use crate::reconcile::password::PasswordError;
use crate::store::TenantStore;
use crate::telemetry::metrics::Metrics;
use crate::views::readiness::Readiness;
use crate::views::snapshot::Observer;

/// What the reconciler needs, shared by every worker.
pub struct Context<S> {
    /// The control-plane store: desired state in; status, events and removals out.
    pub store: S,
    /// Tenant databases and users, over MariaDB's administrative account.
    pub databases: TenantDatabases,
    /// Tenant buckets in the platform's S3.
    pub buckets: TenantBuckets,
    /// Each tenant's own S3 user and key, allowed its bucket alone.
    pub identities: TenantIdentities,
    /// Secrets, volumes and services of the local Swarm.
    pub swarm: SwarmClient,
    /// The bulk view of every tenant service and its tasks.
    pub observer: Observer,
    /// Whether each site answers through the edge, confirmed once per set of running tasks.
    pub readiness: Readiness,
    /// The controller's own metrics.
    pub metrics: Metrics,
    /// How many sites may start at once, and which hold a slot.
    pub admission: admission::Admission,
    /// Each tenant's desired service, as last built (see [`desired_cache`]).
    pub desired: desired_cache::DesiredCache,
    /// Tenants held back by an unreachable MariaDB, woken when it answers again.
    pub database_recovery: crate::runtime::recovery::DatabaseRecovery,
    /// Platform-wide settings that shape every tenant.
    pub settings: Settings,
}

/// Platform-wide settings of the reconciler.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Tenants are served at `<slug>.<base_domain>`.
    pub base_domain: String,
    /// The edge's public port, part of each site's URL.
    pub edge_port: u16,
    /// MariaDB's host name as tenant containers reach it on the data network.
    pub db_host_for_tenants: String,
    /// The S3 gateway as tenant tasks reach it on the data network.
    pub s3_endpoint_for_tenants: String,
    /// The WordPress image of tenants whose spec names none.
    pub default_image: String,
    pub network_edge: String,
    pub network_data: String,
    /// Requeue of a converged tenant: the periodic level check.
    pub resync: Duration,
    /// Requeue while a tenant is converging (tasks starting, an update rolling).
    pub converging_requeue: Duration,
    /// How long deletion waits for a removed service's containers before retrying.
    pub service_gone_timeout: Duration,
}

impl<S> Context<S> {
    /// Marks every bulk view stale (Swarm objects, MariaDB databases and users, S3 buckets),
    /// so the reconciles that follow list the world afresh — once, and shared. The periodic
    /// resync calls it first: that is what bounds how long drift that raised no event (a
    /// dropped user, a deleted bucket) can go unseen, whatever the views' maximum ages.
    pub fn invalidate_views(&self) {
        self.observer.invalidate();
        self.databases.invalidate_view();
        self.buckets.invalidate_list();
    }
}

impl Settings {
    /// The site's public URL, with a trailing slash.
    pub fn public_url(&self, tenant: &Tenant) -> String {
        let prefix = tenant.spec.path_prefix.as_deref().unwrap_or("");
        format!("{}{prefix}/", self.origin(tenant))
    }

    /// `scheme://host[:port]` of the site, without its path prefix: what the image takes as
    /// `WORDPRESS_URL` (the prefix goes separately).
    pub fn origin(&self, tenant: &Tenant) -> String {
        let host = tenant.metadata.name.hostname(&self.base_domain);
        if self.edge_port == 80 {
            format!("http://{host}")
        } else {
            format!("http://{host}:{}", self.edge_port)
        }
    }
}

/// Why a reconcile failed. [`ReconcileError::label`] names each variant in metrics.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error("store: {0}")]
    Store(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error(transparent)]
    Database(#[from] MariaDbError),
    #[error(transparent)]
    Bucket(#[from] BucketError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
    #[error(transparent)]
    Swarm(#[from] SwarmError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The spec cannot be turned into a service; retrying will not help until it changes.
    #[error("invalid spec: {0}")]
    InvalidSpec(String),
    /// The spec asks more than its owner's plan allows (written past the API's check);
    /// nothing is deployed until the spec or the plan changes.
    #[error("over the plan: {0}")]
    OverPlan(String),
}

impl From<ServiceSpecError> for ReconcileError {
    fn from(error: ServiceSpecError) -> Self {
        Self::InvalidSpec(error.to_string())
    }
}

impl ReconcileError {
    pub fn store(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Store(Box::new(error))
    }

    /// The metric label of the error's kind.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Store(_) => "store",
            Self::Database(_) => "database",
            Self::Bucket(_) => "bucket",
            Self::Identity(_) => "s3_identity",
            Self::Swarm(_) => "swarm",
            Self::Password(_) => "password",
            Self::InvalidSpec(_) => "invalid_spec",
            Self::OverPlan(_) => "over_plan",
        }
    }

    /// The reconcile could not reach MariaDB at all (not a refused statement).
    pub fn is_database_unreachable(&self) -> bool {
        matches!(
            self,
            Self::Database(MariaDbError::Unreachable { .. } | MariaDbError::Connect(_))
        )
    }

    /// Errors that a retry cannot fix (controller-runtime's terminal errors).
    pub fn is_permanent(&self) -> bool {
        matches!(self, Self::InvalidSpec(_) | Self::OverPlan(_))
    }
}

/// Converges the world to `tenant` (or, once it is being deleted, finalizes it).
pub async fn reconcile<S: TenantStore>(
    tenant: Arc<Tenant>,
    ctx: Arc<Context<S>>,
) -> Result<Action, ReconcileError> {
    let span = tracing::info_span!(
        "reconcile",
        tenant = %tenant.metadata.name,
        generation = tenant.metadata.generation,
    );
    async move {
        let _timer = ctx.metrics.reconcile_timer();
        let result = if tenant.is_deleting() {
            finalize::run(&tenant, &ctx).await
        } else {
            apply::run(&tenant, &ctx).await
        };
        ctx.metrics.reconciled(match &result {
            Ok(_) => "success",
            Err(error) => error.label(),
        });
        result
    }
    .instrument(span)
    .await
}

/// Transient failures back off per tenant; permanent ones wait for the spec to change.
pub fn error_policy<S>(tenant: &Tenant, error: &ReconcileError, _ctx: &Context<S>) -> Action {
    if error.is_permanent() {
        tracing::warn!(tenant = %tenant.metadata.name, %error, "reconcile failed permanently");
        Action::await_change()
    } else {
        tracing::warn!(tenant = %tenant.metadata.name, %error, "reconcile failed; backing off");
        Action::Backoff
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use swarmpress_schema::TenantName;

    use super::*;
    use crate::store::memory::{MemoryStore, example_spec};

    fn settings(edge_port: u16) -> Settings {
        Settings {
            base_domain: "localhost".to_owned(),
            edge_port,
            db_host_for_tenants: "mariadb".to_owned(),
            s3_endpoint_for_tenants: "http://s3:8333".to_owned(),
            default_image: "swarmpress/wordpress:latest".to_owned(),
            network_edge: "edge".to_owned(),
            network_data: "data".to_owned(),
            resync: Duration::from_secs(30),
            converging_requeue: Duration::from_secs(2),
            service_gone_timeout: Duration::from_secs(60),
        }
    }

    #[test]
    fn the_origin_leaves_the_path_prefix_to_the_public_url() {
        let mut spec = example_spec("Prefixed");
        spec.path_prefix = Some("/blog".to_owned());
        let name = TenantName::parse("acme").unwrap();
        let tenant = MemoryStore::default().create(&name, spec, "password");
        let settings = settings(8080);
        assert_eq!(settings.origin(&tenant), "http://acme.localhost:8080");
        assert_eq!(
            settings.public_url(&tenant),
            "http://acme.localhost:8080/blog/"
        );
        assert_eq!(self::settings(80).origin(&tenant), "http://acme.localhost");
    }
}
