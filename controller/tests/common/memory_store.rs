//! The in-memory store (now part of the controller crate, shared with the resync benchmark)
//! and a spec for test tenants.

use swarmpress_schema::resource::{Resources, TenantSpec};

pub use swarmpress_controller::store::memory::{
    MemoryStore, MissingTenant as MemoryError, example_spec,
};

pub fn spec(title: &str) -> TenantSpec {
    TenantSpec {
        resources: Resources {
            // Within the Free plan, which tests over the real store's owners are on.
            cpu: "0.5".to_owned(),
            memory: "256Mi".to_owned(),
        },
        ..example_spec(title)
    }
}
