//! The API's integration tests: one binary, one module per area. Each test starts its own
//! server on a fresh database (see `helpers`).

// The workspace denies unwrap/expect outside tests, and clippy only exempts #[test]
// functions; the helpers here are test code too, where a failed step should panic loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod apply;
mod auth;
mod billing;
mod cli;
mod contract;
mod helpers;
mod hostile;
mod notices;
mod observability;
mod rollouts;
mod system;
mod tenants;
mod users;
mod watch;
