//! The one test kit of the workspace (a dev-dependency of every crate's tests and of the
//! end-to-end crate): where the local platform is and how to reach it, its credentials,
//! scratch databases, random names, waiting for a state, hostile inputs, and the benchmarks'
//! report (`report`) and sample statistics (`stats`).
//!
//! Every address has one default and one override variable, honoured everywhere:
//! `SWARMPRESS_STATE_DIR` (credentials, default `/var/lib/swarmpress`),
//! `SWARMPRESS_MARIADB_ADDR` (`127.0.0.1:3306`), `SWARMPRESS_S3_ENDPOINT`
//! (`http://127.0.0.1:8333`) and `SWARMPRESS_EDGE_PORT` (8080).
//!
//! When the platform cannot be reached a test is skipped with a printed reason — unless
//! `SWARMPRESS_REQUIRE_PLATFORM` is set (to anything but "" or "0"), as `scripts/test` does:
//! then it fails, so a CI run cannot pass by skipping.

mod hostile;
mod names;
mod platform;
pub mod report;
mod scratch;
pub mod stats;
mod wait;

pub use hostile::yaml_bomb;
pub use names::{random_suffix, unique_name};
pub use platform::{
    admin_credentials, edge_port, file_secret, mariadb_addr, mariadb_root_url, percent_encode,
    platform_required, require, root_password, s3_endpoint, secrets_env_value, state_dir,
};
pub use scratch::ScratchDatabase;
pub use wait::{eventually, with_cleanup};
