//! The in-memory store (now part of the controller crate, shared with the resync benchmark)
//! and a spec for test tenants.

use std::collections::BTreeMap;

use swarmpress_schema::resource::{AdminSpec, Resources, TenantSpec, TenantState};

pub use swarmpress_controller::store::memory::{MemoryStore, MissingTenant as MemoryError};

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
