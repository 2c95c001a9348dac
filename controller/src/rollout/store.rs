//! What the rollout driver needs from the control-plane store, as a trait (like the
//! reconciler's `TenantStore`), so the driver does not depend on how the store keeps its rows.
//! `swarmpress-schema`'s `Store` implements it.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;

use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{
    MaintenanceWindow, Rollout, RolloutItem, RolloutItemState, RolloutState, Tenant, TenantSpec,
};
use swarmpress_schema::store::{NewRolloutItem, RolloutCounts, Store, StoreResult};
use uuid::Uuid;

pub trait RolloutStore: Clone + Send + Sync + 'static {
    /// Rollouts that are not finished, or whose items still need settling; oldest first.
    fn list_unsettled_rollouts(&self) -> impl Future<Output = StoreResult<Vec<Rollout>>> + Send;

    fn list_maintenance_windows(
        &self,
    ) -> impl Future<Output = StoreResult<Vec<MaintenanceWindow>>> + Send;

    fn get_rollout(&self, id: Uuid) -> impl Future<Output = StoreResult<Rollout>> + Send;

    /// Compare-and-swap of the rollout's state: only from one of `from`.
    fn set_rollout_state(
        &self,
        id: Uuid,
        from: &[RolloutState],
        to: RolloutState,
        message: Option<&str>,
    ) -> impl Future<Output = StoreResult<Rollout>> + Send;

    /// Adds the planned items; an item already there is left as it is.
    fn add_rollout_items(
        &self,
        id: Uuid,
        items: &[NewRolloutItem],
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Compare-and-swap of one item's state; `None` when it was not in one of `from`.
    fn transition_rollout_item(
        &self,
        id: Uuid,
        tenant: &TenantName,
        from: &[RolloutItemState],
        to: RolloutItemState,
        reason: Option<&str>,
    ) -> impl Future<Output = StoreResult<Option<RolloutItem>>> + Send;

    /// Every tenant, of every owner.
    fn list_tenants(&self) -> impl Future<Output = StoreResult<Vec<Tenant>>> + Send;

    /// Each user's active plan.
    fn active_plan_ids(&self) -> impl Future<Output = StoreResult<HashMap<Uuid, String>>> + Send;

    fn get_tenant(&self, name: &TenantName) -> impl Future<Output = StoreResult<Tenant>> + Send;

    /// Replaces the spec, on `expected_resource_version` when given.
    fn replace_spec(
        &self,
        name: &TenantName,
        spec: TenantSpec,
        labels: BTreeMap<String, String>,
        expected_resource_version: Option<&str>,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    fn rollout_counts(&self) -> impl Future<Output = StoreResult<RolloutCounts>> + Send;
}

impl RolloutStore for Store {
    async fn list_unsettled_rollouts(&self) -> StoreResult<Vec<Rollout>> {
        Store::list_unsettled_rollouts(self).await
    }

    async fn list_maintenance_windows(&self) -> StoreResult<Vec<MaintenanceWindow>> {
        Store::list_maintenance_windows(self).await
    }

    async fn get_rollout(&self, id: Uuid) -> StoreResult<Rollout> {
        Store::get_rollout(self, id).await
    }

    async fn set_rollout_state(
        &self,
        id: Uuid,
        from: &[RolloutState],
        to: RolloutState,
        message: Option<&str>,
    ) -> StoreResult<Rollout> {
        Store::set_rollout_state(self, id, from, to, message).await
    }

    async fn add_rollout_items(&self, id: Uuid, items: &[NewRolloutItem]) -> StoreResult<()> {
        Store::add_rollout_items(self, id, items).await
    }

    async fn transition_rollout_item(
        &self,
        id: Uuid,
        tenant: &TenantName,
        from: &[RolloutItemState],
        to: RolloutItemState,
        reason: Option<&str>,
    ) -> StoreResult<Option<RolloutItem>> {
        Store::transition_rollout_item(self, id, tenant, from, to, reason).await
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        Store::list_tenants(self, None, None).await
    }

    async fn active_plan_ids(&self) -> StoreResult<HashMap<Uuid, String>> {
        Store::active_plan_ids(self).await
    }

    async fn get_tenant(&self, name: &TenantName) -> StoreResult<Tenant> {
        Store::get_tenant(self, name).await
    }

    async fn replace_spec(
        &self,
        name: &TenantName,
        spec: TenantSpec,
        labels: BTreeMap<String, String>,
        expected_resource_version: Option<&str>,
    ) -> StoreResult<()> {
        Store::replace_spec(self, name, spec, labels, expected_resource_version)
            .await
            .map(|_| ())
    }

    async fn rollout_counts(&self) -> StoreResult<RolloutCounts> {
        Store::rollout_counts(self).await
    }
}
