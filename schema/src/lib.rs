//! swarmpress resource types.
//!
//! Everything the controller names in the outside world (databases, users, services, volumes,
//! buckets, hostnames) is derived from a [`TenantName`], which can only hold a valid DNS label.
//! That is what lets the adapters interpolate those names into SQL and Docker specs without
//! escaping them.

mod tenant_name;

pub use tenant_name::{RESERVED_TENANT_NAMES, TenantName, TenantNameError};
