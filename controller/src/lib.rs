//! The swarmpress controller: converges MariaDB, S3 buckets, Swarm secrets, volumes and
//! services to the tenants' desired state.
//!
//! The folders are the architecture: `adapters` to the platform (Swarm, MariaDB, S3), the
//! bulk `views` of them, the `store` the desired state comes from, `reconcile` (one tenant
//! converged), `orphans` (garbage collection), `runtime` (leadership, queue, the reconciler's
//! term), `rollout` (fleet rollouts), `telemetry` (metrics, `/metrics`, per-tenant stats),
//! `billing` (the invoicing scheduler), `usage` (storage and traffic against the plan's
//! allocations) and `actions` (one-shot work an owner asks for, such as a cache purge).

pub mod actions;
pub mod adapters;
pub mod billing;
pub mod config;
pub mod consistency;
mod digest;
pub mod edge;
pub mod orphans;
pub mod reconcile;
pub mod rollout;
pub mod runtime;
pub mod store;
pub mod telemetry;
pub mod usage;
pub mod views;

pub use adapters::mariadb::{MariaDbError, TenantDatabases};
pub use reconcile::password::{GeneratedPassword, PasswordError};
