//! What runs the controller's work: the leader elector and its tasks, the reconciler's
//! work queue and term, the wake-up of tenants held back by an unreachable MariaDB, and the
//! CPU weight of tenant containers.

pub mod cpu_weight;
pub mod drain;
pub mod leader;
pub mod queue;
pub mod recovery;
pub mod runner;
