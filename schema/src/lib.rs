//! swarmpress's shared model: the resource types, the database entities and migrations, and
//! the [`Store`](store::Store) that the API and the controller both use.
//!
//! Everything the controller names in the outside world (databases, users, services, volumes,
//! buckets, hostnames) is derived from a [`TenantName`], which can only hold a valid DNS label.
//! That is what lets the adapters interpolate those names into SQL and Docker specs without
//! escaping them.

pub mod error_chain;
pub mod parsed;
pub mod resource;
mod tenant_name;

pub use tenant_name::{
    BUCKET_PREFIX, OBJECT_PREFIX, RESERVED_TENANT_NAMES, TENANT_LABEL, TenantName, TenantNameError,
};

/// The node label the API sets on a node being drained: the node takes no new task (Swarm
/// availability `pause`) while the controller moves each site off it with a start-first
/// update, then the controller sets the availability to `drain` for whatever else remains.
pub const DRAINING_NODE_LABEL: &str = "swarmpress.draining";

/// Whether a node's labels mark it as being drained (see [`DRAINING_NODE_LABEL`]).
pub fn labelled_draining(labels: Option<&std::collections::HashMap<String, String>>) -> bool {
    labels
        .and_then(|labels| labels.get(DRAINING_NODE_LABEL))
        .is_some_and(|value| value == "true")
}

pub mod entity;
pub mod migration;
pub mod store;
