//! `/cluster` (administrators): the swarm's nodes, totals and services, and a node's
//! availability.

use std::collections::HashMap;

use bollard::models::{NodeSpecAvailabilityEnum, NodeSpecRoleEnum};
use bollard::query_parameters::{
    ListNodesOptions, ListServicesOptionsBuilder, ListTasksOptionsBuilder, UpdateNodeOptionsBuilder,
};
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use serde::Deserialize;
use swarmpress_schema::{DRAINING_NODE_LABEL, TenantName, labelled_draining};

use crate::auth::Auth;
use crate::body::JsonBody;
use crate::declared::{FORBIDDEN, INVALID, NOT_FOUND, Outcome, UNAVAILABLE};
use crate::docker::engine_error;
use crate::error::{ApiError, ApiResult};
use crate::routes::ApiTags;
use crate::state::AppState;

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct ClusterNode {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    /// `active`, `pause` or `drain`. A node asked to drain says `drain` from the start,
    /// while its sites move (see `draining`).
    pub availability: String,
    /// Sites are still moving off this node: it takes no new task, and each site on it is
    /// being replaced elsewhere, started before it is stopped. The node becomes Swarm's
    /// `drain` (and this false) once none is left.
    pub draining: bool,
    /// `ready`, `down`, `disconnected` or `unknown`.
    pub state: String,
    pub leader: bool,
    pub address: Option<String>,
    pub cpus: f64,
    pub memory_bytes: i64,
    pub engine_version: Option<String>,
    /// The regions the node is in (its `swarmpress.region.<region>=true` labels), sorted.
    pub regions: Vec<String>,
    /// The sites with a task meant to run on the node, sorted.
    pub sites: Vec<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct ClusterTotals {
    pub nodes: u64,
    pub ready_nodes: u64,
    pub cpus: f64,
    pub memory_bytes: i64,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct ClusterServices {
    pub total: u64,
    /// Services with every desired task running.
    pub running: u64,
    /// Tenants' services (`wp_*`).
    pub tenants: u64,
    pub tasks_running: u64,
    pub tasks_desired: u64,
}

#[derive(Debug, Clone, Object)]
pub struct Cluster {
    pub nodes: Vec<ClusterNode>,
    pub totals: ClusterTotals,
    pub services: ClusterServices,
}

#[derive(Debug, Deserialize, Object)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityRequest {
    /// `active`, `pause` or `drain`.
    pub availability: String,
}

#[derive(ApiResponse)]
pub enum ClusterResponse {
    #[oai(status = 200)]
    Ok(Json<Cluster>),
}

#[derive(ApiResponse)]
pub enum NodeResponse {
    #[oai(status = 200)]
    Ok(Json<ClusterNode>),
}

fn node(n: bollard::models::Node) -> ClusterNode {
    let mut regions: Vec<String> = crate::regions::node_regions(&n)
        .map(str::to_owned)
        .collect();
    regions.sort_unstable();
    let spec = n.spec.unwrap_or_default();
    let description = n.description.unwrap_or_default();
    let resources = description.resources.unwrap_or_default();
    let status = n.status.unwrap_or_default();
    let asked_to_drain = labelled_draining(spec.labels.as_ref());
    let draining = asked_to_drain && spec.availability != Some(NodeSpecAvailabilityEnum::DRAIN);
    let availability = if asked_to_drain {
        NodeSpecAvailabilityEnum::DRAIN.to_string()
    } else {
        spec.availability.map(|a| a.to_string()).unwrap_or_default()
    };
    ClusterNode {
        id: n.id.unwrap_or_default(),
        hostname: description.hostname.unwrap_or_default(),
        role: spec.role.map(|r| r.to_string()).unwrap_or_default(),
        availability,
        draining,
        state: status.state.map(|s| s.to_string()).unwrap_or_default(),
        leader: n.manager_status.and_then(|m| m.leader).unwrap_or(false),
        address: status.addr,
        cpus: resources.nano_cpus.unwrap_or(0) as f64 / 1e9,
        memory_bytes: resources.memory_bytes.unwrap_or(0),
        engine_version: description.engine.and_then(|e| e.engine_version),
        regions,
        sites: Vec::new(),
    }
}

/// The engine's spec for a node the API is asked to make `availability`. Draining is
/// graceful: the node is paused (no new task) and labelled, the controller moves each site
/// off with a start-first update and then sets Swarm's `drain` itself — Swarm's own drain
/// stops a site's only task before its replacement runs. A node already drained stays so.
fn spec_for(
    current: &bollard::models::NodeSpec,
    availability: NodeSpecAvailabilityEnum,
) -> bollard::models::NodeSpec {
    let mut spec = current.clone();
    let mut labels = spec.labels.take().unwrap_or_default();
    if availability == NodeSpecAvailabilityEnum::DRAIN {
        labels.insert(DRAINING_NODE_LABEL.to_owned(), "true".to_owned());
        if spec.availability != Some(NodeSpecAvailabilityEnum::DRAIN) {
            spec.availability = Some(NodeSpecAvailabilityEnum::PAUSE);
        }
    } else {
        labels.remove(DRAINING_NODE_LABEL);
        spec.availability = Some(availability);
    }
    spec.labels = Some(labels);
    spec
}

/// Each node's sites: the tenant of every task meant to run (desired state `running`) of a
/// tenant service, by the node it was placed on.
fn sites_by_node(
    services: &[bollard::models::Service],
    tasks: &[bollard::models::Task],
) -> HashMap<String, Vec<String>> {
    let tenants: HashMap<&str, TenantName> = services
        .iter()
        .filter_map(|service| {
            let name = service.spec.as_ref()?.name.as_deref()?;
            Some((service.id.as_deref()?, TenantName::from_service_name(name)?))
        })
        .collect();
    let mut sites: HashMap<String, Vec<String>> = HashMap::new();
    for task in tasks {
        let (Some(service), Some(node)) = (task.service_id.as_deref(), task.node_id.as_ref())
        else {
            continue;
        };
        if let Some(tenant) = tenants.get(service) {
            sites
                .entry(node.clone())
                .or_default()
                .push(tenant.to_string());
        }
    }
    for names in sites.values_mut() {
        names.sort_unstable();
        names.dedup();
    }
    sites
}

fn parse_availability(text: &str) -> ApiResult<NodeSpecAvailabilityEnum> {
    match text {
        "active" => Ok(NodeSpecAvailabilityEnum::ACTIVE),
        "pause" => Ok(NodeSpecAvailabilityEnum::PAUSE),
        "drain" => Ok(NodeSpecAvailabilityEnum::DRAIN),
        _ => Err(ApiError::validation(
            "availability",
            "must be one of active, pause, drain",
        )),
    }
}

/// Node ids are 25 lowercase alphanumerics; anything else is no node.
fn valid_node_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

pub struct ClusterApi;

#[OpenApi(prefix_path = "/cluster", tag = "ApiTags::Maintenance")]
impl ClusterApi {
    /// Nodes, totals and service counts (administrators).
    #[oai(path = "/", method = "get", operation_id = "cluster")]
    async fn cluster(
        &self,
        state: Data<&AppState>,
        auth: Auth,
    ) -> Outcome<ClusterResponse, { FORBIDDEN | UNAVAILABLE }> {
        auth.principal().require_admin()?;
        let docker = state.docker.api().await?;
        let mut nodes: Vec<ClusterNode> = docker
            .list_nodes(None::<ListNodesOptions>)
            .await
            .map_err(|e| engine_error("the swarm's nodes", e))?
            .into_iter()
            .map(node)
            .collect();
        let options = ListServicesOptionsBuilder::new()
            .filters(&HashMap::<String, Vec<String>>::new())
            .status(true)
            .build();
        let services = docker
            .list_services(Some(options))
            .await
            .map_err(|e| engine_error("the swarm's services", e))?;
        let running = HashMap::from([("desired-state", vec!["running"])]);
        let tasks = docker
            .list_tasks(Some(
                ListTasksOptionsBuilder::new().filters(&running).build(),
            ))
            .await
            .map_err(|e| engine_error("the swarm's tasks", e))?;
        let mut sites = sites_by_node(&services, &tasks);
        for node in &mut nodes {
            node.sites = sites.remove(&node.id).unwrap_or_default();
        }
        let mut counts = ClusterServices {
            total: 0,
            running: 0,
            tenants: 0,
            tasks_running: 0,
            tasks_desired: 0,
        };
        for service in &services {
            counts.total += 1;
            let status = service.service_status.clone().unwrap_or_default();
            let (running, desired) = (
                status.running_tasks.unwrap_or(0),
                status.desired_tasks.unwrap_or(0),
            );
            counts.tasks_running += running;
            counts.tasks_desired += desired;
            if desired > 0 && running >= desired {
                counts.running += 1;
            }
            let name = service
                .spec
                .as_ref()
                .and_then(|s| s.name.as_deref())
                .unwrap_or_default();
            if name.starts_with("wp_") {
                counts.tenants += 1;
            }
        }
        let totals = ClusterTotals {
            nodes: nodes.len() as u64,
            ready_nodes: nodes.iter().filter(|n| n.state == "ready").count() as u64,
            cpus: nodes.iter().map(|n| n.cpus).sum(),
            memory_bytes: nodes.iter().map(|n| n.memory_bytes).sum(),
        };
        Ok(ClusterResponse::Ok(Json(Cluster {
            nodes,
            totals,
            services: counts,
        })))
    }

    /// Sets a node's availability (administrators). Refuses (409) to pause or drain the last
    /// active manager, which would stop the platform itself.
    #[oai(
        path = "/nodes/:id/availability",
        method = "post",
        operation_id = "setNodeAvailability"
    )]
    async fn set_availability(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        id: Path<String>,
        body: JsonBody<AvailabilityRequest>,
    ) -> Outcome<NodeResponse, { FORBIDDEN | NOT_FOUND | INVALID | UNAVAILABLE }> {
        auth.principal().require_admin()?;
        let availability = parse_availability(&body.0.availability)?;
        if !valid_node_id(&id.0) {
            return Err(ApiError::NotFound(format!("node {:?} not found", id.0)).into());
        }
        let docker = state.docker.api().await?;
        let current = docker
            .inspect_node(&id.0)
            .await
            .map_err(|e| engine_error("the node", e))?;
        let mut spec = current.spec.clone().unwrap_or_default();
        if availability != NodeSpecAvailabilityEnum::ACTIVE
            && spec.role == Some(NodeSpecRoleEnum::MANAGER)
        {
            let others_active = docker
                .list_nodes(None::<ListNodesOptions>)
                .await
                .map_err(|e| engine_error("the swarm's nodes", e))?
                .into_iter()
                .filter(|n| n.id.as_deref() != Some(id.0.as_str()))
                .filter_map(|n| n.spec)
                .any(|s| {
                    s.role == Some(NodeSpecRoleEnum::MANAGER)
                        && s.availability == Some(NodeSpecAvailabilityEnum::ACTIVE)
                });
            if !others_active {
                return Err(ApiError::Conflict(
                    "this is the last active manager: pausing or draining it would stop the platform"
                        .to_owned(),
                ).into());
            }
        }
        let wanted = spec_for(&spec, availability);
        if wanted != spec {
            spec = wanted;
            let version = current.version.and_then(|v| v.index).unwrap_or(0);
            let options = UpdateNodeOptionsBuilder::new()
                .version(version as i64)
                .build();
            docker
                .update_node(&id.0, spec, options)
                .await
                .map_err(|e| engine_error("the node", e))?;
        }
        let updated = docker
            .inspect_node(&id.0)
            .await
            .map_err(|e| engine_error("the node", e))?;
        Ok(NodeResponse::Ok(Json(node(updated))))
    }
}

#[cfg(test)]
mod tests {
    use bollard::models::{NodeSpec, Service, ServiceSpec, Task};

    use super::*;

    fn node_spec(availability: NodeSpecAvailabilityEnum, draining: bool) -> NodeSpec {
        let mut labels =
            HashMap::from([("swarmpress.region.eu-west".to_owned(), "true".to_owned())]);
        if draining {
            labels.insert(DRAINING_NODE_LABEL.to_owned(), "true".to_owned());
        }
        NodeSpec {
            availability: Some(availability),
            labels: Some(labels),
            ..Default::default()
        }
    }

    #[test]
    fn a_drain_pauses_and_labels_the_node_and_undraining_clears_both() {
        let active = node_spec(NodeSpecAvailabilityEnum::ACTIVE, false);
        let asked = spec_for(&active, NodeSpecAvailabilityEnum::DRAIN);
        assert_eq!(asked, node_spec(NodeSpecAvailabilityEnum::PAUSE, true));
        // Asked again while the controller moves sites, or after it finished: unchanged.
        assert_eq!(spec_for(&asked, NodeSpecAvailabilityEnum::DRAIN), asked);
        let drained = node_spec(NodeSpecAvailabilityEnum::DRAIN, true);
        assert_eq!(spec_for(&drained, NodeSpecAvailabilityEnum::DRAIN), drained);
        assert_eq!(spec_for(&drained, NodeSpecAvailabilityEnum::ACTIVE), active);
        assert_eq!(
            spec_for(&asked, NodeSpecAvailabilityEnum::PAUSE),
            node_spec(NodeSpecAvailabilityEnum::PAUSE, false)
        );
    }

    #[test]
    fn a_node_being_drained_says_drain_and_whether_sites_still_move() {
        let of = |spec: NodeSpec| {
            node(bollard::models::Node {
                spec: Some(spec),
                ..Default::default()
            })
        };
        let moving = of(node_spec(NodeSpecAvailabilityEnum::PAUSE, true));
        assert_eq!(
            (moving.availability.as_str(), moving.draining),
            ("drain", true)
        );
        let done = of(node_spec(NodeSpecAvailabilityEnum::DRAIN, true));
        assert_eq!(
            (done.availability.as_str(), done.draining),
            ("drain", false)
        );
        let paused = of(node_spec(NodeSpecAvailabilityEnum::PAUSE, false));
        assert_eq!(
            (paused.availability.as_str(), paused.draining),
            ("pause", false)
        );
    }

    fn service(id: &str, name: &str) -> Service {
        Service {
            id: Some(id.to_owned()),
            spec: Some(ServiceSpec {
                name: Some(name.to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn task(service: &str, node: Option<&str>) -> Task {
        Task {
            service_id: Some(service.to_owned()),
            node_id: node.map(str::to_owned),
            ..Default::default()
        }
    }

    #[test]
    fn each_node_lists_the_sites_whose_tasks_it_holds() {
        let services = [
            service("s1", "wp_acme"),
            service("s2", "wp_blog"),
            service("s3", "swarmpress_api"),
        ];
        let tasks = [
            task("s1", Some("n1")),
            task("s1", Some("n1")),
            task("s1", Some("n2")),
            task("s2", Some("n1")),
            task("s3", Some("n1")),
            task("s2", None),
        ];
        let sites = sites_by_node(&services, &tasks);
        assert_eq!(sites["n1"], ["acme", "blog"]);
        assert_eq!(sites["n2"], ["acme"]);
        assert_eq!(sites.len(), 2, "{sites:?}");
    }
}
