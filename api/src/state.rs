//! What every handler can reach: configuration, the database and the auth machinery.

use std::sync::Arc;

use swarmpress_schema::store::Store;

use crate::auth::cache::CredentialCache;
use crate::config::Config;
use crate::docker::DockerHandle;
use crate::feed::ChangeFeed;
use crate::passwords::PasswordPool;
use crate::streams::StreamSlots;
use crate::throttle::{LoginThrottle, RegistrationThrottle};
use crate::tokens::JwtKeys;

/// Shared by all requests (cheap to clone: every field is a handle).
#[derive(Debug, Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// The platform database, through the schema crate's store.
    pub store: Store,
    pub jwt: JwtKeys,
    /// Bounded Argon2 pool; see [`crate::passwords`].
    pub passwords: PasswordPool,
    /// Failed-login windows, consulted before any hashing.
    pub throttle: LoginThrottle,
    pub registrations: RegistrationThrottle,
    /// Recently resolved credentials; see [`crate::auth::cache`].
    pub credentials: CredentialCache,
    /// The Docker engine, for logs, inspect, the cluster and live stats without Prometheus.
    pub docker: DockerHandle,
    /// The change feed's one poller, shared by every watch.
    pub feed: ChangeFeed,
    /// Open watches and follows, counted against their limits.
    pub streams: StreamSlots,
    /// The regions' node counts, listed at most every few seconds.
    pub regions: crate::regions::RegionCache,
    /// The blocking maintenance window in force, looked up at most every few seconds.
    pub maintenance: crate::maintenance::MaintenanceGate,
}
