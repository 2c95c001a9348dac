//! What the controller shows of itself: its metrics, the `/metrics` and `/healthz` server,
//! and the per-tenant resource collector.

pub mod http;
pub mod metrics;
pub mod stats;
