//! Views of the world shared by every reconcile — the Swarm snapshot and the sites' readiness
//! here, the MariaDB view and the bucket list beside their adapters — and the one cache type
//! they are kept in (`get` and `invalidate`, listed at most once per maximum age).

pub(crate) mod cache;
pub mod placement;
pub mod readiness;
pub mod snapshot;
