//! The actual state of every tenant's Swarm objects, read in bulk.
//!
//! One service list, one task list, one secret list and one volume list answer for all
//! tenants at once; reconciles share the snapshot while it is fresh (a no-op resync of N
//! tenants costs those four requests, not N of anything). Anything that changes the swarm
//! marks the part it changed stale so the next reader lists that part again: every change
//! made through the [`SwarmClient`] (counted by the client itself, by kind, so no caller can
//! forget), Docker events about tenant services and containers
//! ([`Observer::invalidate_workload`]: services and tasks only) and about nodes
//! ([`Observer::invalidate_nodes`]: the placement only). Changes made behind the
//! controller's back that raise no such event (a volume removed by hand) are seen once the
//! snapshot is older than its maximum age, by the next reconcile — the periodic resync at the
//! latest.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bollard::models::{Secret, Service, ServiceUpdateStatusStateEnum, TaskState};
use swarmpress_schema::TenantName;
use tokio::sync::{Mutex, Notify};
use tokio::time::Instant;

use super::placement::Placement;
pub use crate::adapters::swarm::RESTART_TOKEN_LABEL;
use crate::adapters::swarm::{
    ObjectKind, REBUILD_TOKEN_LABEL, ROUTE_RULE_LABEL, SPEC_HASH_LABEL, SwarmClient, SwarmError,
    TENANT_LABEL,
};

/// What the controller needs to know about one tenant's service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceView {
    pub id: String,
    pub name: String,
    pub spec_hash: Option<String>,
    pub restart_token: Option<String>,
    /// The rebuild whose pull the service's image is pinned to (its label).
    pub rebuild_token: Option<String>,
    pub force_update: u64,
    pub desired_replicas: u64,
    /// Tasks in state `running`: their containers started (the tenant image has no
    /// HEALTHCHECK; whether the site answers is [`super::readiness`]'s to say).
    pub running_tasks: u64,
    /// The containers of those tasks (ids, sorted): what a readiness confirmation is for.
    pub running_containers: Vec<String>,
    /// The edge's routing rule for the site (the [`ROUTE_RULE_LABEL`] its spec was deployed
    /// with), `None` for a service deployed before the edge was fed by the controller.
    pub route_rule: Option<String>,
    /// The edge network address of each running task that has one (sorted): where the edge
    /// sends the site's visitors.
    pub endpoints: Vec<String>,
    pub updating: bool,
    /// The update was rolled back or paused: the new spec did not come up.
    pub update_failed: bool,
    /// Of those, the rollback completed: the service is back at the spec before the update.
    pub rolled_back: bool,
    pub image: Option<String>,
    /// The message of a task that the orchestrator wants running but is not, if any.
    pub task_message: Option<String>,
    /// The nodes (ids, sorted, each once) the running tasks are on.
    pub nodes: Vec<String>,
}

#[derive(Debug, Default)]
pub struct Snapshot {
    pub services: Arc<HashMap<TenantName, ServiceView>>,
    /// Every tenant secret, by the tenant its label names.
    pub secrets: Arc<HashMap<TenantName, Vec<Secret>>>,
    /// Names of every tenant volume.
    pub volumes: Arc<HashSet<String>>,
    /// Whether the tasks' edge addresses could be read: without them `endpoints` are empty
    /// for want of the answer, not of tasks, and nothing may be routed on their strength.
    pub addressed: bool,
    /// The nodes by region, and their names.
    pub placement: Arc<Placement>,
}

/// The services with their tasks and edge addresses: what Docker events about tenant
/// services and containers make stale.
struct Workload {
    services: Arc<HashMap<TenantName, ServiceView>>,
    addressed: bool,
}

/// One part of the snapshot as last listed.
struct Part<T> {
    value: Arc<T>,
    taken: Instant,
    generation: u64,
}

impl<T> Part<T> {
    fn fresh(part: Option<&Self>, generation: u64, max_age: Duration) -> Option<Arc<T>> {
        part.filter(|part| part.generation == generation && part.taken.elapsed() < max_age)
            .map(|part| Arc::clone(&part.value))
    }
}

#[derive(Default)]
struct Cached {
    workload: Option<Part<Workload>>,
    secrets: Option<Part<HashMap<TenantName, Vec<Secret>>>>,
    volumes: Option<Part<HashSet<String>>>,
    placement: Option<Part<Placement>>,
    /// The parts' generations the assembled snapshot was made of, and it.
    snapshot: Option<([u64; PARTS], Arc<Snapshot>)>,
}

/// Workload, secrets, volumes and placement.
const PARTS: usize = 4;

pub struct Observer {
    swarm: SwarmClient,
    max_age: Duration,
    /// The overlay network the edge reaches tasks on: whose addresses the snapshot reads.
    edge_network: String,
    cache: Mutex<Cached>,
    /// Invalidations of everything (the periodic resync's).
    generation: AtomicU64,
    /// Invalidations of the services and tasks alone (Docker events).
    workload_generation: AtomicU64,
    /// Invalidations of the placement alone (node events).
    nodes_generation: AtomicU64,
    /// Woken by every invalidation and every new listing: what the edge publisher waits on.
    changed: Notify,
}

impl Observer {
    pub fn new(swarm: SwarmClient, max_age: Duration, edge_network: &str) -> Self {
        Self {
            swarm,
            max_age,
            edge_network: edge_network.to_owned(),
            cache: Mutex::new(Cached::default()),
            generation: AtomicU64::new(0),
            workload_generation: AtomicU64::new(0),
            nodes_generation: AtomicU64::new(0),
            changed: Notify::new(),
        }
    }

    /// Resolves at the next invalidation or listing (at once if one happened since the last
    /// wait): an event about a tenant's service or containers, or a snapshot someone took.
    pub async fn changed(&self) {
        self.changed.notified().await;
    }

    /// Marks the services and tasks stale without waking [`Self::changed`]'s waiter: for the
    /// one that waits, to make its own next read list again.
    pub fn mark_stale(&self) {
        self.workload_generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Marks every part stale: the next [`Self::snapshot`] lists everything again.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// Marks the services and their tasks stale (an event about a tenant's service or
    /// containers): the next [`Self::snapshot`] lists them again, but not the secrets and
    /// volumes, which no such event changes. In a burst of new sites every start raised
    /// events, and relisting every secret and volume for each made the listing grow with
    /// the square of the sites.
    pub fn invalidate_workload(&self) {
        self.workload_generation.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// Marks the placement stale (an event about a node: joined, left, drained, relabelled,
    /// down or up again): the next [`Self::snapshot`] lists the nodes again.
    pub fn invalidate_nodes(&self) {
        self.nodes_generation.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_one();
    }

    /// Each part's generation: invalidations of everything, of its own kind, and the changes
    /// of its kind made through the Swarm client.
    fn generations(&self) -> [u64; PARTS] {
        let all = self.generation.load(Ordering::SeqCst);
        [
            all.wrapping_add(self.workload_generation.load(Ordering::SeqCst))
                .wrapping_add(self.swarm.changes(ObjectKind::Services)),
            all.wrapping_add(self.swarm.changes(ObjectKind::Secrets)),
            all.wrapping_add(self.swarm.changes(ObjectKind::Volumes)),
            all.wrapping_add(self.nodes_generation.load(Ordering::SeqCst)),
        ]
    }

    /// The current snapshot: each part listed anew when it is older than the maximum age or
    /// was made stale, the others reused. Concurrent callers wait for one listing instead of
    /// each making their own.
    pub async fn snapshot(&self) -> Result<Arc<Snapshot>, SwarmError> {
        let mut cache = self.cache.lock().await;
        let generations = self.generations();
        let [
            workload_generation,
            secrets_generation,
            volumes_generation,
            nodes_generation,
        ] = generations;
        let fresh_workload =
            Part::fresh(cache.workload.as_ref(), workload_generation, self.max_age);
        let fresh_secrets = Part::fresh(cache.secrets.as_ref(), secrets_generation, self.max_age);
        let fresh_volumes = Part::fresh(cache.volumes.as_ref(), volumes_generation, self.max_age);
        let fresh_placement = Part::fresh(cache.placement.as_ref(), nodes_generation, self.max_age);
        // Every part fresh and the assembled snapshot made of them: it is still the answer.
        if fresh_workload.is_some()
            && fresh_secrets.is_some()
            && fresh_volumes.is_some()
            && fresh_placement.is_some()
            && let Some((made_of, snapshot)) = cache.snapshot.as_ref()
            && *made_of == generations
        {
            return Ok(Arc::clone(snapshot));
        }
        let taken = Instant::now();
        let workload = match fresh_workload {
            Some(workload) => workload,
            None => {
                let workload = Arc::new(self.list_workload().await?);
                cache.workload = Some(Part {
                    value: Arc::clone(&workload),
                    taken,
                    generation: workload_generation,
                });
                workload
            }
        };
        let secrets = match fresh_secrets {
            Some(secrets) => secrets,
            None => {
                let secrets = Arc::new(self.list_secrets().await?);
                cache.secrets = Some(Part {
                    value: Arc::clone(&secrets),
                    taken,
                    generation: secrets_generation,
                });
                secrets
            }
        };
        let volumes = match fresh_volumes {
            Some(volumes) => volumes,
            None => {
                let volumes: HashSet<String> = self
                    .swarm
                    .list_tenant_volumes()
                    .await?
                    .into_iter()
                    .map(|volume| volume.name)
                    .collect();
                let volumes = Arc::new(volumes);
                cache.volumes = Some(Part {
                    value: Arc::clone(&volumes),
                    taken,
                    generation: volumes_generation,
                });
                volumes
            }
        };
        let placement = match fresh_placement {
            Some(placement) => placement,
            None => {
                let placement = Arc::new(Placement::of(&self.swarm.list_nodes().await?));
                cache.placement = Some(Part {
                    value: Arc::clone(&placement),
                    taken,
                    generation: nodes_generation,
                });
                placement
            }
        };
        let snapshot = Arc::new(Snapshot {
            services: Arc::clone(&workload.services),
            secrets,
            volumes,
            addressed: workload.addressed,
            placement,
        });
        cache.snapshot = Some((generations, Arc::clone(&snapshot)));
        self.changed.notify_one();
        Ok(snapshot)
    }

    async fn list_workload(&self) -> Result<Workload, SwarmError> {
        let services = self.swarm.list_tenant_services().await?;
        let tasks = self.swarm.list_running_tasks().await?;
        // After the task list, so a task listed running whose address is not known yet is
        // only routed at the next listing — never an address of a task not listed.
        let addresses = match self.swarm.task_addresses(&self.edge_network).await {
            Ok(addresses) => Some(addresses),
            Err(error) => {
                tracing::warn!(%error, network = %self.edge_network, "cannot read task addresses");
                None
            }
        };
        let mut running: HashMap<&str, Vec<String>> = HashMap::new();
        let mut nodes: HashMap<&str, Vec<String>> = HashMap::new();
        let mut endpoints: HashMap<&str, Vec<String>> = HashMap::new();
        let mut messages: HashMap<&str, String> = HashMap::new();
        for task in &tasks {
            let Some(service_id) = task.service_id.as_deref() else {
                continue;
            };
            let status = task.status.as_ref();
            match status.and_then(|s| s.state) {
                Some(TaskState::RUNNING) => {
                    if let Some(node) = task.node_id.as_ref() {
                        nodes.entry(service_id).or_default().push(node.clone());
                    }
                    running.entry(service_id).or_default().push(
                        status
                            .and_then(|s| s.container_status.as_ref())
                            .and_then(|c| c.container_id.clone())
                            .unwrap_or_default(),
                    );
                    let address = task
                        .id
                        .as_deref()
                        .and_then(|id| addresses.as_ref()?.get(id));
                    if let Some(address) = address {
                        endpoints
                            .entry(service_id)
                            .or_default()
                            .push(address.clone());
                    }
                }
                _ => {
                    if let Some(message) = status.and_then(|s| s.err.clone().or(s.message.clone()))
                    {
                        messages.insert(service_id, message);
                    }
                }
            }
        }
        let mut views = HashMap::new();
        for service in services {
            if let Some((tenant, view)) =
                view_of(service, &running, &endpoints, &nodes, &mut messages)
            {
                views.insert(tenant, view);
            }
        }
        Ok(Workload {
            services: Arc::new(views),
            addressed: addresses.is_some(),
        })
    }

    async fn list_secrets(&self) -> Result<HashMap<TenantName, Vec<Secret>>, SwarmError> {
        let mut secrets: HashMap<TenantName, Vec<Secret>> = HashMap::new();
        for secret in self.swarm.list_tenant_secrets().await? {
            let tenant = secret
                .spec
                .as_ref()
                .and_then(|spec| spec.labels.as_ref())
                .and_then(|labels| labels.get(TENANT_LABEL))
                .and_then(|label| TenantName::parse(label.as_str()).ok());
            if let Some(tenant) = tenant {
                secrets.entry(tenant).or_default().push(secret);
            }
        }
        Ok(secrets)
    }
}

fn view_of(
    service: Service,
    running: &HashMap<&str, Vec<String>>,
    endpoints: &HashMap<&str, Vec<String>>,
    nodes: &HashMap<&str, Vec<String>>,
    messages: &mut HashMap<&str, String>,
) -> Option<(TenantName, ServiceView)> {
    let id = service.id?;
    let spec = service.spec?;
    let labels = spec.labels.unwrap_or_default();
    // A service merely labelled with something that is not a tenant name is not ours.
    let tenant = TenantName::parse(labels.get(TENANT_LABEL)?.as_str()).ok()?;
    let name = spec.name?;
    if name != tenant.service_name() {
        return None;
    }
    let task = spec.task_template;
    let update_state = service.update_status.and_then(|status| status.state);
    let mut running_containers = running.get(id.as_str()).cloned().unwrap_or_default();
    running_containers.sort_unstable();
    let mut service_endpoints = endpoints.get(id.as_str()).cloned().unwrap_or_default();
    service_endpoints.sort_unstable();
    let mut service_nodes = nodes.get(id.as_str()).cloned().unwrap_or_default();
    service_nodes.sort_unstable();
    service_nodes.dedup();
    let view = ServiceView {
        nodes: service_nodes,
        // A service deployed before the controller fed the edge carries Traefik's own label:
        // still routed while the reconciler updates its spec, so an upgrade unroutes nobody.
        route_rule: labels
            .get(ROUTE_RULE_LABEL)
            .or_else(|| labels.get(&format!("traefik.http.routers.wp-{tenant}.rule")))
            .cloned(),
        endpoints: service_endpoints,
        running_tasks: u64::try_from(running_containers.len()).unwrap_or(u64::MAX),
        running_containers,
        task_message: messages.remove(id.as_str()),
        id,
        name,
        spec_hash: labels.get(SPEC_HASH_LABEL).cloned(),
        restart_token: labels.get(RESTART_TOKEN_LABEL).cloned(),
        rebuild_token: labels.get(REBUILD_TOKEN_LABEL).cloned(),
        force_update: task.as_ref().and_then(|t| t.force_update).unwrap_or(0),
        desired_replicas: spec
            .mode
            .and_then(|mode| mode.replicated)
            .and_then(|replicated| replicated.replicas)
            .and_then(|replicas| u64::try_from(replicas).ok())
            .unwrap_or(0),
        updating: matches!(
            update_state,
            Some(
                ServiceUpdateStatusStateEnum::UPDATING
                    | ServiceUpdateStatusStateEnum::ROLLBACK_STARTED
            )
        ),
        update_failed: matches!(
            update_state,
            Some(
                ServiceUpdateStatusStateEnum::PAUSED
                    | ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED
                    | ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED
            )
        ),
        rolled_back: update_state == Some(ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED),
        image: task.and_then(|t| t.container_spec).and_then(|c| c.image),
    };
    Some((tenant, view))
}
