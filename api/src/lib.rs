//! The swarmpress HTTP API. It writes desired state only and never touches infrastructure;
//! the controller converges the world to what it stores.

pub mod allow;
pub mod audit;
pub mod auth;
pub mod body;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod declared;
pub mod docker;
pub mod docker_stats;
pub mod domain;
pub mod error;
pub mod feed;
pub mod inspect;
pub mod logs;
pub mod maintenance;
pub mod monitoring;
pub mod openapi;
pub mod paging;
pub mod passwords;
pub mod patch;
pub mod prometheus;
pub mod regions;
pub mod routes;
pub mod selector;
pub mod server;
pub mod state;
pub mod streams;
pub mod throttle;
pub mod tokens;
pub mod watch;
pub mod wire;

pub use config::Config;
pub use server::{BoundServer, StartError, app, openapi_json, prepare};
pub use state::AppState;
