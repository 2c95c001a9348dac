//! What runs the controller's work: the leader elector and its tasks, the reconciler's
//! work queue and term, and the wake-up of tenants held back by an unreachable MariaDB.

pub mod leader;
pub mod queue;
pub mod recovery;
pub mod runner;
