//! An in-memory [`TenantStore`]: the store's contract (one global resource version, a change
//! feed, generation bumps on spec changes, events, the admin-password hand-over, the lease)
//! without a control-plane database. The controller's tests drive the reconciler against the
//! real platform with it, and the resync benchmark uses it so that it measures the reconciler
//! and the platform rather than the store.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use chrono::Utc;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{EventType, ObjectMeta, Plan, Tenant, TenantSpec, TenantStatus};
use tokio::time::Instant;

use crate::store::{Changed, Changes, TenantStore, desired_fingerprint};

#[derive(Debug, thiserror::Error)]
#[error("memory store: no tenant {0}")]
pub struct MissingTenant(String);

/// An event the reconciler recorded.
#[derive(Debug, Clone)]
pub struct Event {
    pub tenant: TenantName,
    pub type_: EventType,
    pub reason: String,
    pub message: String,
}

#[derive(Default)]
struct State {
    tenants: BTreeMap<TenantName, Tenant>,
    version: i64,
    /// Resource version → the tenant written at it, and whether it was [`MemoryStore::touch_all`].
    feed: BTreeMap<i64, (TenantName, bool)>,
    events: Vec<Event>,
    admin_passwords: HashMap<uuid::Uuid, String>,
    lease: Option<(String, Instant)>,
    status_writes: u64,
    plans: HashMap<uuid::Uuid, Plan>,
    edge_routes: Option<(String, String)>,
}

#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

impl MemoryStore {
    /// The edge routing table last published: digest and configuration.
    pub fn edge_routes(&self) -> Option<(String, String)> {
        self.lock().edge_routes.clone()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every write leaves the state whole, so a panicked holder left nothing half-done.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(state: &mut State, name: &TenantName) -> String {
        state.version += 1;
        let version = state.version;
        state.feed.insert(version, (name.clone(), false));
        version.to_string()
    }

    /// Puts the owner of this store's tenants on `plan` (`owner` is the tenants'
    /// `metadata.owner`); without it the store keeps no plans and nothing is refused.
    pub fn set_plan(&self, owner: uuid::Uuid, plan: Plan) {
        self.lock().plans.insert(owner, plan);
    }

    pub fn create(&self, name: &TenantName, spec: TenantSpec, admin_password: &str) -> Tenant {
        let mut state = self.lock();
        let resource_version = Self::write(&mut state, name);
        let tenant = Tenant {
            api_version: "swarmpress.io/v1".to_owned(),
            kind: "Tenant".to_owned(),
            metadata: ObjectMeta {
                name: name.clone(),
                uid: uuid::Uuid::new_v4(),
                owner: uuid::Uuid::nil(),
                labels: BTreeMap::new(),
                generation: 1,
                resource_version,
                creation_timestamp: Utc::now(),
                deletion_timestamp: None,
            },
            spec,
            status: TenantStatus::default(),
        };
        state
            .admin_passwords
            .insert(tenant.metadata.uid, admin_password.to_owned());
        state.tenants.insert(name.clone(), tenant.clone());
        tenant
    }

    pub fn get(&self, name: &TenantName) -> Option<Tenant> {
        self.lock().tenants.get(name).cloned()
    }

    /// Every tenant, by name.
    pub fn snapshot(&self) -> Vec<Tenant> {
        self.lock().tenants.values().cloned().collect()
    }

    /// Changes the spec (a new generation); `false` when there is no such tenant.
    pub fn update_spec(&self, name: &TenantName, change: impl FnOnce(&mut TenantSpec)) -> bool {
        let mut state = self.lock();
        if !state.tenants.contains_key(name) {
            return false;
        }
        let version = Self::write(&mut state, name);
        let Some(tenant) = state.tenants.get_mut(name) else {
            return false;
        };
        change(&mut tenant.spec);
        tenant.metadata.generation += 1;
        tenant.metadata.resource_version = version;
        true
    }

    /// Requests deletion; `false` when there is no such tenant.
    pub fn mark_deleted(&self, name: &TenantName) -> bool {
        let mut state = self.lock();
        if !state.tenants.contains_key(name) {
            return false;
        }
        let version = Self::write(&mut state, name);
        let Some(tenant) = state.tenants.get_mut(name) else {
            return false;
        };
        tenant
            .metadata
            .deletion_timestamp
            .get_or_insert_with(Utc::now);
        tenant.metadata.resource_version = version;
        true
    }

    pub fn mark_all_deleted(&self) {
        for tenant in self.snapshot() {
            self.mark_deleted(&tenant.metadata.name);
        }
    }

    /// Puts every tenant on the change feed without changing it, as a store that cannot say
    /// what changed (no fingerprint): the feed trigger then queues them all, exactly what a
    /// periodic resync does.
    pub fn touch_all(&self) {
        let mut state = self.lock();
        let names: Vec<TenantName> = state.tenants.keys().cloned().collect();
        for name in names {
            state.version += 1;
            let version = state.version;
            state.feed.insert(version, (name, true));
        }
    }

    pub fn events(&self, name: &TenantName) -> Vec<Event> {
        self.lock()
            .events
            .iter()
            .filter(|e| &e.tenant == name)
            .cloned()
            .collect()
    }

    pub fn has_admin_password(&self, tenant: &Tenant) -> bool {
        self.lock()
            .admin_passwords
            .contains_key(&tenant.metadata.uid)
    }

    pub fn status_writes(&self) -> u64 {
        self.lock().status_writes
    }

    /// Gives the lease to `holder` for `ttl`, as another instance taking over would.
    pub fn hand_lease_to(&self, holder: &str, ttl: Duration) {
        self.lock().lease = Some((holder.to_owned(), Instant::now() + ttl));
    }

    pub fn lease_holder(&self) -> Option<String> {
        self.lock()
            .lease
            .as_ref()
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(holder, _)| holder.clone())
    }
}

impl TenantStore for MemoryStore {
    type Error = MissingTenant;

    async fn plan_of(&self, tenant: &Tenant) -> Result<Option<Plan>, MissingTenant> {
        Ok(self.lock().plans.get(&tenant.metadata.owner).cloned())
    }

    async fn get_tenant(&self, name: &TenantName) -> Result<Option<Tenant>, MissingTenant> {
        Ok(self.get(name))
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, MissingTenant> {
        Ok(self.snapshot())
    }

    async fn changes_since(&self, resource_version: i64) -> Result<Changes, MissingTenant> {
        let state = self.lock();
        let mut changed: Vec<Changed> = state
            .feed
            .range(resource_version.saturating_add(1)..)
            .map(|(_, (name, touched))| Changed {
                name: name.clone(),
                fingerprint: state
                    .tenants
                    .get(name)
                    .filter(|_| !touched)
                    .map(desired_fingerprint),
            })
            .collect();
        changed.dedup();
        Ok(Changes {
            changed,
            resource_version: state.version,
        })
    }

    async fn write_status(
        &self,
        tenant: &Tenant,
        status: &TenantStatus,
    ) -> Result<(), MissingTenant> {
        let mut state = self.lock();
        let name = tenant.metadata.name.clone();
        let version = Self::write(&mut state, &name);
        state.status_writes += 1;
        let stored = state
            .tenants
            .get_mut(&name)
            .filter(|t| t.metadata.uid == tenant.metadata.uid)
            .ok_or_else(|| MissingTenant(name.to_string()))?;
        stored.status = status.clone();
        stored.metadata.resource_version = version;
        Ok(())
    }

    async fn record_event(
        &self,
        tenant: &Tenant,
        type_: EventType,
        reason: &str,
        message: &str,
    ) -> Result<(), MissingTenant> {
        self.lock().events.push(Event {
            tenant: tenant.metadata.name.clone(),
            type_,
            reason: reason.to_owned(),
            message: message.to_owned(),
        });
        Ok(())
    }

    async fn admin_password(&self, tenant: &Tenant) -> Result<Option<String>, MissingTenant> {
        Ok(self
            .lock()
            .admin_passwords
            .get(&tenant.metadata.uid)
            .cloned())
    }

    async fn delete_admin_password(&self, tenant: &Tenant) -> Result<(), MissingTenant> {
        self.lock().admin_passwords.remove(&tenant.metadata.uid);
        Ok(())
    }

    async fn remove_tenant(&self, tenant: &Tenant) -> Result<(), MissingTenant> {
        let mut state = self.lock();
        let name = tenant.metadata.name.clone();
        Self::write(&mut state, &name);
        state.tenants.remove(&name);
        Ok(())
    }

    async fn try_acquire_or_renew(
        &self,
        holder: &str,
        ttl: Duration,
    ) -> Result<bool, MissingTenant> {
        let mut state = self.lock();
        let now = Instant::now();
        let free = match &state.lease {
            None => true,
            Some((current, expires)) => current == holder || *expires <= now,
        };
        if free {
            state.lease = Some((holder.to_owned(), now + ttl));
        }
        Ok(free)
    }

    async fn publish_edge_routes(&self, digest: &str, config: &str) -> Result<(), MissingTenant> {
        self.lock().edge_routes = Some((digest.to_owned(), config.to_owned()));
        Ok(())
    }
}

/// The spec of a test tenant: running, one replica, the default resources, no region.
pub fn example_spec(title: &str) -> TenantSpec {
    use swarmpress_schema::resource::{AdminSpec, Resources, TenantState};
    TenantSpec {
        display_name: title.to_owned(),
        region: String::new(),
        state: TenantState::Running,
        replicas: 1,
        resources: Resources::default(),
        env: BTreeMap::new(),
        image: None,
        admin: AdminSpec {
            user: "admin".to_owned(),
            email: "admin@example.test".to_owned(),
        },
        path_prefix: None,
        restarted_at: None,
        rebuild_nonce: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TenantSpec {
        example_spec("Feed")
    }

    async fn fingerprint_after(store: &MemoryStore, since: i64) -> (Option<u64>, i64) {
        let changes = store.changes_since(since).await.unwrap();
        (
            changes.changed.last().and_then(|c| c.fingerprint),
            changes.resource_version,
        )
    }

    #[tokio::test]
    async fn a_status_write_keeps_the_fingerprint_and_a_spec_or_label_change_does_not() {
        let store = MemoryStore::default();
        let name = TenantName::parse("feed").unwrap();
        let tenant = store.create(&name, spec(), "password");
        let (created, v1) = fingerprint_after(&store, 0).await;
        let mut status = tenant.status.clone();
        status.message = Some("database server unreachable".to_owned());
        store.write_status(&tenant, &status).await.unwrap();
        let (after_status, v2) = fingerprint_after(&store, v1).await;
        assert!(v2 > v1, "the status write is in the feed");
        assert_eq!(
            after_status, created,
            "but changes nothing the reconciler acts on"
        );
        store.update_spec(&name, |spec| spec.replicas = 2);
        let (after_spec, _) = fingerprint_after(&store, v2).await;
        assert_ne!(after_spec, created);
        store.mark_all_deleted();
        let (deleting, _) = fingerprint_after(&store, v2).await;
        assert_ne!(deleting, after_spec, "a deletion request changes it");
    }
}
