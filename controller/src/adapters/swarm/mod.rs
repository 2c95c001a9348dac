//! Docker Swarm: the tenant's service shape and a client for the objects it needs.

mod client;
mod image_pull;
mod service_spec;

pub use client::{DOCKER_REQUESTS_METRIC, ObjectKind, SwarmClient, SwarmError};
pub use image_pull::{PULL_TIMEOUT, digest_of, names_registry, repository};
pub use service_spec::{
    ADMIN_PASSWORD_FILE, BuiltService, DATA_NETWORK, DB_PASSWORD_FILE, EDGE_NETWORK,
    REBUILD_TOKEN_LABEL, RESTART_TOKEN_LABEL, ROUTE_RULE_LABEL, SPEC_HASH_LABEL, ServiceSpecError,
    TENANT_LABEL, WP_CONTENT_PATH, WordPressService,
};

/// A Swarm secret as services must reference it: by id and by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub id: String,
    pub name: String,
}
