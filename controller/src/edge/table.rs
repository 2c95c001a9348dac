//! Traefik's dynamic configuration from the controller's snapshot: one router per site with
//! a running task, to the edge addresses of its running tasks.

use serde_json::{Value, json};

use crate::digest;
use crate::views::snapshot::Snapshot;

/// The entry point sites are served on (Traefik's static configuration names it).
pub const ENTRY_POINT: &str = "web";
/// The middleware every site's router uses (defined in the table itself).
pub const RETRY_MIDDLEWARE: &str = "site-retry";
/// The edge's retries of a refused connection: Traefik waits `initialInterval`, then at
/// most twice it, between attempts — 20 of them cover ~4 s of a task opening its port.
/// A task counts as running once its container starts, a moment before Apache listens (it
/// first configures, and on a first start installs, the site); with the retries a new task,
/// a restart or a rolling update drops no request (on another replica when there is one).
const RETRY_ATTEMPTS: u32 = 20;
const RETRY_INITIAL_INTERVAL: &str = "100ms";
/// The port sites listen on inside their containers.
const SITE_PORT: u16 = 80;

/// A routing table ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingTable {
    /// Traefik's dynamic configuration, as JSON (which Traefik's HTTP provider reads as the
    /// YAML it is a subset of).
    pub config: String,
    /// SHA-256 (hex) of `config`.
    pub digest: String,
    /// Sites routed.
    pub routes: usize,
    /// Some running task's address was not known yet (the engine's service discovery lags
    /// the task's state by a moment): the table should be built again shortly.
    pub incomplete: bool,
}

/// The table for `snapshot`; `None` when the snapshot could not read the tasks' addresses
/// (publishing it would unroute every site for want of an answer).
pub fn routing_table(snapshot: &Snapshot) -> Option<RoutingTable> {
    if !snapshot.addressed {
        return None;
    }
    let mut sites: Vec<_> = snapshot.services.iter().collect();
    sites.sort_unstable_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
    let mut routers = serde_json::Map::new();
    let mut services = serde_json::Map::new();
    let mut incomplete = false;
    for (tenant, view) in sites {
        if view.endpoints.len() < view.running_containers.len() {
            incomplete = true;
        }
        let Some(rule) = &view.route_rule else {
            continue;
        };
        if view.endpoints.is_empty() {
            // No router without a server: the host answers 404 like any unknown one, not
            // Traefik's 503 for a service with no server.
            continue;
        }
        let name = format!("wp-{tenant}");
        routers.insert(
            name.clone(),
            json!({
                "rule": rule,
                "entryPoints": [ENTRY_POINT],
                "service": name,
                "middlewares": [RETRY_MIDDLEWARE],
            }),
        );
        let servers: Vec<Value> = view
            .endpoints
            .iter()
            .map(|address| json!({ "url": format!("http://{address}:{SITE_PORT}") }))
            .collect();
        services.insert(name, json!({ "loadBalancer": { "servers": servers } }));
    }
    let routes = routers.len();
    let config = configuration(routers, services);
    Some(RoutingTable {
        digest: digest::short_hash(config.as_bytes(), 64),
        config,
        routes,
        incomplete,
    })
}

/// The table with no site: what is served before the leader first published.
pub fn empty_table() -> String {
    configuration(serde_json::Map::new(), serde_json::Map::new())
}

/// Traefik's decoder refuses an empty section ("cannot be a standalone element"), so empty
/// maps are left out; the middleware keeps `http` from ever being empty.
fn configuration(
    routers: serde_json::Map<String, Value>,
    services: serde_json::Map<String, Value>,
) -> String {
    let mut http = serde_json::Map::new();
    if !routers.is_empty() {
        http.insert("routers".to_owned(), Value::Object(routers));
        http.insert("services".to_owned(), Value::Object(services));
    }
    http.insert(
        "middlewares".to_owned(),
        json!({
            RETRY_MIDDLEWARE: {
                "retry": {
                    "attempts": RETRY_ATTEMPTS,
                    "initialInterval": RETRY_INITIAL_INTERVAL,
                }
            }
        }),
    );
    json!({ "http": http }).to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use swarmpress_schema::TenantName;

    use super::*;
    use crate::views::snapshot::ServiceView;

    fn view(rule: Option<&str>, containers: &[&str], endpoints: &[&str]) -> ServiceView {
        ServiceView {
            id: "id".into(),
            name: "wp_x".into(),
            spec_hash: None,
            restart_token: None,
            rebuild_token: None,
            force_update: 0,
            desired_replicas: containers.len() as u64,
            running_tasks: containers.len() as u64,
            running_containers: containers.iter().map(|c| (*c).to_owned()).collect(),
            route_rule: rule.map(str::to_owned),
            endpoints: endpoints.iter().map(|e| (*e).to_owned()).collect(),
            updating: false,
            update_failed: false,
            rolled_back: false,
            image: None,
            task_message: None,
            nodes: Vec::new(),
        }
    }

    fn snapshot(services: Vec<(&str, ServiceView)>) -> Snapshot {
        Snapshot {
            services: std::sync::Arc::new(
                services
                    .into_iter()
                    .map(|(name, view)| (TenantName::parse(name).unwrap(), view))
                    .collect::<HashMap<_, _>>(),
            ),
            addressed: true,
            ..Default::default()
        }
    }

    #[test]
    fn routes_each_site_to_its_running_tasks_with_the_retry() {
        let table = routing_table(&snapshot(vec![
            (
                "blog",
                view(
                    Some("Host(`blog.localhost`)"),
                    &["c1", "c2"],
                    &["10.0.16.4", "10.0.16.9"],
                ),
            ),
            (
                "shop",
                view(
                    Some("Host(`shop.localhost`) && PathPrefix(`/s`)"),
                    &["c3"],
                    &["10.0.16.5"],
                ),
            ),
        ]))
        .unwrap();
        assert_eq!(table.routes, 2);
        assert!(!table.incomplete);
        let config: Value = serde_json::from_str(&table.config).unwrap();
        let http = &config["http"];
        assert_eq!(
            http["routers"]["wp-blog"],
            json!({"rule": "Host(`blog.localhost`)", "entryPoints": ["web"],
                   "service": "wp-blog", "middlewares": ["site-retry"]})
        );
        assert_eq!(
            http["services"]["wp-blog"]["loadBalancer"]["servers"],
            json!([{"url": "http://10.0.16.4:80"}, {"url": "http://10.0.16.9:80"}])
        );
        assert_eq!(
            http["routers"]["wp-shop"]["rule"],
            "Host(`shop.localhost`) && PathPrefix(`/s`)"
        );
        assert_eq!(http["middlewares"]["site-retry"]["retry"]["attempts"], 20);
    }

    #[test]
    fn a_site_without_a_running_task_or_rule_has_no_router() {
        let table = routing_table(&snapshot(vec![
            ("stopped", view(Some("Host(`stopped.localhost`)"), &[], &[])),
            ("unlabelled", view(None, &["c1"], &["10.0.16.4"])),
        ]))
        .unwrap();
        assert_eq!(table.routes, 0);
        let config: Value = serde_json::from_str(&table.config).unwrap();
        // Traefik refuses an empty section: none is written.
        assert_eq!(config["http"].get("routers"), None);
        assert_eq!(config["http"].get("services"), None);
        assert!(config["http"]["middlewares"]["site-retry"].is_object());
        assert_eq!(table.config, empty_table());
    }

    #[test]
    fn a_running_task_without_an_address_yet_marks_the_table_incomplete() {
        let table = routing_table(&snapshot(vec![(
            "blog",
            view(
                Some("Host(`blog.localhost`)"),
                &["c1", "c2"],
                &["10.0.16.4"],
            ),
        )]))
        .unwrap();
        assert!(table.incomplete);
        assert_eq!(table.routes, 1, "the addressed task is routed meanwhile");
    }

    #[test]
    fn the_same_world_gives_the_same_bytes_and_no_addresses_give_no_table() {
        let world = || {
            snapshot(vec![
                (
                    "bbb",
                    view(Some("Host(`bbb.localhost`)"), &["c2"], &["10.0.16.2"]),
                ),
                (
                    "aaa",
                    view(Some("Host(`aaa.localhost`)"), &["c1"], &["10.0.16.1"]),
                ),
            ])
        };
        let first = routing_table(&world()).unwrap();
        assert_eq!(first, routing_table(&world()).unwrap());
        assert_eq!(first.digest.len(), 64);
        let mut unread = world();
        unread.addressed = false;
        assert_eq!(routing_table(&unread), None);
    }
}
