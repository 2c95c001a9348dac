//! The swarmpress controller: converges MariaDB, S3 buckets, Swarm secrets, volumes and
//! services to the tenants' desired state.
//!
//! The adapters (`mariadb`, `s3`, `swarm`) are each idempotent so a step can be repeated
//! after a crash; `queue` feeds the reconcile workers; `metrics` and `http` expose what the
//! controller does.

pub mod config;
mod digest;
pub mod http;
pub mod leader;
pub mod mariadb;
pub mod memory_store;
pub mod metrics;
pub mod observe;
pub mod orphans;
pub mod password;
pub mod queue;
pub mod reconcile;
pub mod recovery;
pub mod rollout;
pub mod runner;
pub mod s3;
pub mod schema_store;
pub mod stats;
pub mod store;
pub mod swarm;
pub mod view_cache;

pub use mariadb::{MariaDbError, TenantDatabases};
pub use password::{GeneratedPassword, PasswordError};
