//! The swarmpress controller: converges MariaDB, Swarm secrets, volumes and services to the
//! tenants' desired state.
//!
//! The modules here are the adapters the reconcile loop drives; each one is idempotent so a
//! step can be repeated after a crash.

pub mod mariadb;
pub mod password;
pub mod swarm;

pub use mariadb::{MariaDbError, TenantDatabases};
pub use password::{GeneratedPassword, PasswordError};
