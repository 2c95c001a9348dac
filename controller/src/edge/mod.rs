//! The edge's routing table, fed by the controller.
//!
//! Traefik used to find sites itself by polling Swarm every second — one service list, then a
//! task list and a node inspect *per service*: with 40 idle sites that polling cost ~100 ms
//! of the engine's CPU and ~40 of Traefik's every second, most of what an idle site cost.
//! The controller already knows every site's tasks from its bulk snapshot, kept fresh by
//! Docker events. So the leader builds Traefik's dynamic configuration from it
//! ([`table`]), stores it when it changes ([`publish`]), and every controller replica
//! serves the stored table to Traefik's HTTP provider ([`serve`]), which asks twice a second
//! and applies it only when its bytes change. An idle platform costs one small read a poll,
//! whatever the number of sites; the engine is asked only when something happened.

pub mod publish;
pub mod serve;
pub mod table;

pub use publish::publisher_task;
pub use serve::{ROUTES_PATH, StoredRoutes};
pub use table::{RoutingTable, routing_table};
