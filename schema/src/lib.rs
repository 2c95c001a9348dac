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

pub mod entity;
pub mod migration;
pub mod store;
