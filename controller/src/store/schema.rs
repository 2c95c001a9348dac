//! [`TenantStore`] over `swarmpress-schema`'s [`Store`].

use std::time::Duration;

use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{ChangeType, EventType, Plan, Tenant, TenantStatus};
use swarmpress_schema::store::{Store, StoreError};

use crate::store::{Changed, Changes, TenantStore, desired_fingerprint};

/// The lease row the controller instances compete for.
pub const LEASE_NAME: &str = "controller";
/// Change-feed rows read per poll; more are read on the next poll.
const FEED_PAGE: u64 = 500;

impl TenantStore for Store {
    type Error = StoreError;

    async fn plan_of(&self, tenant: &Tenant) -> Result<Option<Plan>, StoreError> {
        self.plan_of_user(tenant.metadata.owner).await.map(Some)
    }

    async fn get_tenant(&self, name: &TenantName) -> Result<Option<Tenant>, StoreError> {
        match Store::get_tenant(self, name).await {
            Ok(tenant) => Ok(Some(tenant)),
            Err(StoreError::NotFound) => Ok(None),
            Err(error) => Err(error),
        }
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError> {
        Store::list_tenants(self, None, None).await
    }

    async fn changes_since(&self, resource_version: i64) -> Result<Changes, StoreError> {
        match Store::changes_since(self, resource_version, FEED_PAGE).await {
            Ok(changes) => Ok(Changes {
                resource_version: changes
                    .iter()
                    .map(|change| change.resource_version)
                    .max()
                    .unwrap_or(resource_version),
                changed: changes
                    .into_iter()
                    .map(|change| Changed {
                        fingerprint: (change.change_type != ChangeType::Deleted)
                            .then(|| desired_fingerprint(&change.tenant)),
                        name: change.tenant.metadata.name,
                    })
                    .collect(),
            }),
            // The feed was pruned past where we stood: every tenant may have changed.
            Err(StoreError::Gone { .. }) => {
                let (tenants, resource_version) =
                    Store::list_tenants_snapshot(self, None, None).await?;
                Ok(Changes {
                    changed: tenants
                        .into_iter()
                        .map(|t| Changed {
                            name: t.metadata.name,
                            fingerprint: None,
                        })
                        .collect(),
                    resource_version,
                })
            }
            Err(error) => Err(error),
        }
    }

    async fn write_status(&self, tenant: &Tenant, status: &TenantStatus) -> Result<(), StoreError> {
        Store::update_status(self, &tenant.metadata.name, status.clone())
            .await
            .map(drop)
    }

    async fn record_event(
        &self,
        tenant: &Tenant,
        type_: EventType,
        reason: &str,
        message: &str,
    ) -> Result<(), StoreError> {
        Store::record_event(self, &tenant.metadata.name, type_, reason, message)
            .await
            .map(drop)
    }

    async fn admin_password(&self, tenant: &Tenant) -> Result<Option<String>, StoreError> {
        Store::tenant_admin_password(self, tenant.metadata.uid).await
    }

    async fn delete_admin_password(&self, tenant: &Tenant) -> Result<(), StoreError> {
        Store::delete_tenant_admin_password(self, tenant.metadata.uid)
            .await
            .map(drop)
    }

    async fn remove_tenant(&self, tenant: &Tenant) -> Result<(), StoreError> {
        match Store::remove_tenant(self, &tenant.metadata.name).await {
            Ok(_) | Err(StoreError::NotFound) => Ok(()),
            Err(error) => Err(error),
        }
    }

    async fn try_acquire_or_renew(&self, holder: &str, ttl: Duration) -> Result<bool, StoreError> {
        Store::try_acquire_or_renew(self, LEASE_NAME, holder, ttl)
            .await
            .map(|lease| lease.leader)
    }

    async fn publish_edge_routes(&self, digest: &str, config: &str) -> Result<(), StoreError> {
        self.put_edge_routes(digest, config).await
    }
}
