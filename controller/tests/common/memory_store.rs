//! An in-memory [`TenantStore`] for driving the reconciler against the real platform without
//! a control-plane database. It keeps the store's contract: every write bumps one global
//! resource version and appends to the change feed; spec changes bump the generation.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use swarmpress_controller::store::{Changes, TenantStore};
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{
    AdminSpec, EventType, ObjectMeta, Resources, Tenant, TenantSpec, TenantState, TenantStatus,
};
use tokio::time::Instant;

#[derive(Debug, thiserror::Error)]
#[error("memory store: {0}")]
pub struct MemoryError(String);

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
    feed: Vec<(i64, TenantName)>,
    events: Vec<Event>,
    admin_passwords: HashMap<uuid::Uuid, String>,
    lease: Option<(String, Instant)>,
    status_writes: u64,
}

#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Arc<Mutex<State>>,
}

pub fn spec(title: &str) -> TenantSpec {
    TenantSpec {
        display_name: title.to_owned(),
        region: String::new(),
        state: TenantState::Running,
        replicas: 1,
        resources: Resources {
            cpu: "1".to_owned(),
            memory: "256Mi".to_owned(),
        },
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

impl MemoryStore {
    fn write(state: &mut State, name: &TenantName) -> String {
        state.version += 1;
        let version = state.version;
        state.feed.push((version, name.clone()));
        version.to_string()
    }

    pub fn create(&self, name: &TenantName, spec: TenantSpec, admin_password: &str) -> Tenant {
        let mut state = self.state.lock().unwrap();
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
        self.state.lock().unwrap().tenants.get(name).cloned()
    }

    pub fn update_spec(&self, name: &TenantName, change: impl FnOnce(&mut TenantSpec)) {
        let mut state = self.state.lock().unwrap();
        let version = Self::write(&mut state, name);
        let tenant = state.tenants.get_mut(name).unwrap();
        change(&mut tenant.spec);
        tenant.metadata.generation += 1;
        tenant.metadata.resource_version = version;
    }

    pub fn mark_deleted(&self, name: &TenantName) {
        let mut state = self.state.lock().unwrap();
        let version = Self::write(&mut state, name);
        let tenant = state.tenants.get_mut(name).unwrap();
        tenant.metadata.deletion_timestamp = Some(Utc::now());
        tenant.metadata.resource_version = version;
    }

    pub fn events(&self, name: &TenantName) -> Vec<Event> {
        let state = self.state.lock().unwrap();
        state
            .events
            .iter()
            .filter(|e| &e.tenant == name)
            .cloned()
            .collect()
    }

    pub fn has_admin_password(&self, tenant: &Tenant) -> bool {
        self.state
            .lock()
            .unwrap()
            .admin_passwords
            .contains_key(&tenant.metadata.uid)
    }

    pub fn status_writes(&self) -> u64 {
        self.state.lock().unwrap().status_writes
    }

    pub fn lease_holder(&self) -> Option<String> {
        let state = self.state.lock().unwrap();
        state
            .lease
            .as_ref()
            .filter(|(_, expires)| *expires > Instant::now())
            .map(|(holder, _)| holder.clone())
    }
}

impl TenantStore for MemoryStore {
    type Error = MemoryError;

    async fn get_tenant(&self, name: &TenantName) -> Result<Option<Tenant>, MemoryError> {
        Ok(self.get(name))
    }

    async fn list_tenants(&self) -> Result<Vec<Tenant>, MemoryError> {
        Ok(self
            .state
            .lock()
            .unwrap()
            .tenants
            .values()
            .cloned()
            .collect())
    }

    async fn changes_since(&self, resource_version: i64) -> Result<Changes, MemoryError> {
        let state = self.state.lock().unwrap();
        Ok(Changes {
            names: state
                .feed
                .iter()
                .filter(|(v, _)| *v > resource_version)
                .map(|(_, name)| name.clone())
                .collect(),
            resource_version: state.version,
        })
    }

    async fn write_status(
        &self,
        tenant: &Tenant,
        status: &TenantStatus,
    ) -> Result<(), MemoryError> {
        let mut state = self.state.lock().unwrap();
        let name = tenant.metadata.name.clone();
        let version = Self::write(&mut state, &name);
        state.status_writes += 1;
        let stored = state
            .tenants
            .get_mut(&name)
            .filter(|t| t.metadata.uid == tenant.metadata.uid)
            .ok_or_else(|| MemoryError(format!("no tenant {name}")))?;
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
    ) -> Result<(), MemoryError> {
        self.state.lock().unwrap().events.push(Event {
            tenant: tenant.metadata.name.clone(),
            type_,
            reason: reason.to_owned(),
            message: message.to_owned(),
        });
        Ok(())
    }

    async fn admin_password(&self, tenant: &Tenant) -> Result<Option<String>, MemoryError> {
        Ok(self
            .state
            .lock()
            .unwrap()
            .admin_passwords
            .get(&tenant.metadata.uid)
            .cloned())
    }

    async fn delete_admin_password(&self, tenant: &Tenant) -> Result<(), MemoryError> {
        self.state
            .lock()
            .unwrap()
            .admin_passwords
            .remove(&tenant.metadata.uid);
        Ok(())
    }

    async fn remove_tenant(&self, tenant: &Tenant) -> Result<(), MemoryError> {
        let mut state = self.state.lock().unwrap();
        let name = tenant.metadata.name.clone();
        Self::write(&mut state, &name);
        state.tenants.remove(&name);
        Ok(())
    }

    async fn try_acquire_or_renew(&self, holder: &str, ttl: Duration) -> Result<bool, MemoryError> {
        let mut state = self.state.lock().unwrap();
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
}
