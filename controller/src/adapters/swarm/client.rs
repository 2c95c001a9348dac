//! The Swarm objects a tenant needs (secrets, a volume, a service), through the Docker API.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bollard::Docker;
use bollard::errors::Error as DockerError;
use bollard::models::{
    Node, Secret, SecretSpec, Service, ServiceSpec, Task, Volume, VolumeCreateRequest,
};
use bollard::query_parameters::{
    InspectNetworkOptionsBuilder, InspectServiceOptions, ListContainersOptionsBuilder,
    ListNodesOptions, ListSecretsOptionsBuilder, ListServicesOptionsBuilder,
    ListTasksOptionsBuilder, ListVolumesOptionsBuilder, RemoveVolumeOptions,
    UpdateServiceOptionsBuilder,
};
use prometheus::{IntCounterVec, Opts, Registry};
use tokio::time::{Instant, sleep};

use super::SecretRef;
use super::service_spec::TENANT_LABEL;

/// Seconds the engine may take over one request before bollard gives up.
const REQUEST_TIMEOUT_SECS: u64 = 60;
const POLL_INTERVAL: Duration = Duration::from_millis(200);

#[derive(Debug, thiserror::Error)]
pub enum SwarmError {
    #[error("Docker API: {0}")]
    Docker(#[from] DockerError),
    #[error("service spec has no name")]
    UnnamedService,
    #[error("Docker returned no {what} for {name}")]
    MissingField { what: &'static str, name: String },
    #[error("service {name} has version {index}, beyond what the update API accepts")]
    VersionOutOfRange { name: String, index: u64 },
    #[error("volume {0} is still in use")]
    VolumeInUse(String),
    #[error("service {name} still has containers after {waited:?}")]
    ServiceStillRunning { name: String, waited: Duration },
    #[error("secret {0} is still used by a service")]
    SecretInUse(String),
    #[error("pulling {reference} took longer than {waited:?}")]
    PullTimedOut { reference: String, waited: Duration },
    #[error("{0} was pulled but its registry gave it no digest")]
    NoDigest(String),
}

impl SwarmError {
    fn status(&self) -> Option<u16> {
        match self {
            Self::Docker(DockerError::DockerResponseServerError { status_code, .. }) => {
                Some(*status_code)
            }
            _ => None,
        }
    }
}

/// The metric [`SwarmClient::counting_requests`] registers.
pub const DOCKER_REQUESTS_METRIC: &str = "swarmpress_docker_requests_total";

/// A Docker client whose API version has been negotiated with the engine.
#[derive(Debug, Clone)]
pub struct SwarmClient {
    docker: Docker,
    /// Requests made through this client's methods, by operation; `None` until
    /// [`Self::counting_requests`]. What a resync costs the engine is read from it.
    requests: Option<IntCounterVec>,
    /// Completed changes (creates, updates, removals) made through this client and its
    /// clones, by kind of object: a bulk view of that kind listed before the latest change is
    /// stale ([`Self::changes`]).
    changes: Arc<[AtomicU64; 3]>,
}

/// The kinds of Swarm object the controller changes, each listed (and made stale) apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// Services, and with them their tasks.
    Services = 0,
    Secrets = 1,
    Volumes = 2,
}

impl SwarmClient {
    /// Connects to the local engine's unix socket (`DOCKER_HOST` when it is a `unix://` URL,
    /// `/var/run/docker.sock` otherwise).
    pub async fn connect_local() -> Result<Self, SwarmError> {
        let docker = match std::env::var("DOCKER_HOST") {
            Ok(host) if host.starts_with("unix://") => {
                Docker::connect_with_unix(&host, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
            }
            _ => Docker::connect_with_unix(
                "/var/run/docker.sock",
                REQUEST_TIMEOUT_SECS,
                bollard::API_DEFAULT_VERSION,
            ),
        }?;
        Self::negotiated(docker).await
    }

    pub async fn connect_unix(socket_path: &str) -> Result<Self, SwarmError> {
        let docker = Docker::connect_with_unix(
            socket_path,
            REQUEST_TIMEOUT_SECS,
            bollard::API_DEFAULT_VERSION,
        )?;
        Self::negotiated(docker).await
    }

    /// bollard speaks the newest API by default; Debian's engine (API 1.41) rejects every
    /// request made with a newer version, so the client must step down to the engine's.
    async fn negotiated(docker: Docker) -> Result<Self, SwarmError> {
        let docker = docker.negotiate_version().await?;
        Ok(Self {
            docker,
            requests: None,
            changes: Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]),
        })
    }

    /// This client, counting every request its methods make in
    /// `swarmpress_docker_requests_total{operation}`, registered in `registry`. Clones made
    /// afterwards share the counter. Requests made on [`Self::docker`] directly (the event
    /// stream, the stats collector) are not counted.
    pub fn counting_requests(mut self, registry: &Registry) -> Result<Self, prometheus::Error> {
        let counter = IntCounterVec::new(
            Opts::new(
                DOCKER_REQUESTS_METRIC,
                "Docker Engine API requests made by the reconciler's Swarm client, by operation.",
            ),
            &["operation"],
        )?;
        registry.register(Box::new(counter.clone()))?;
        self.requests = Some(counter);
        Ok(self)
    }

    fn count(&self, operation: &str) {
        if let Some(requests) = &self.requests {
            requests.with_label_values(&[operation]).inc();
        }
    }

    pub fn docker(&self) -> &Docker {
        &self.docker
    }

    /// How many changes of `kind` this client (and its clones) completed, successful or not.
    /// Read it before a listing: if it moved by the time the listing is used, the listing may
    /// predate a change.
    pub fn changes(&self, kind: ObjectKind) -> u64 {
        self.changes[kind as usize].load(Ordering::SeqCst)
    }

    /// Counts a change once its request has completed, never before: a listing that starts
    /// after this sees the change.
    fn changed(&self, kind: ObjectKind) {
        self.changes[kind as usize].fetch_add(1, Ordering::SeqCst);
    }

    pub async fn find_secret(&self, name: &str) -> Result<Option<SecretRef>, SwarmError> {
        // The engine's name filter matches prefixes too, hence the exact comparison.
        let filters = HashMap::from([("name", vec![name])]);
        let options = ListSecretsOptionsBuilder::new().filters(&filters).build();
        self.count("secret_list");
        let secrets = self.docker.list_secrets(Some(options)).await?;
        let found = secrets.into_iter().find(|secret| {
            secret.spec.as_ref().and_then(|spec| spec.name.as_deref()) == Some(name)
        });
        found
            .map(|secret| {
                let id = secret.id.ok_or_else(|| SwarmError::MissingField {
                    what: "secret id",
                    name: name.to_owned(),
                })?;
                Ok(SecretRef {
                    id,
                    name: name.to_owned(),
                })
            })
            .transpose()
    }

    /// Returns the secret called `name`, creating it with `data` when there is none.
    ///
    /// Swarm secrets cannot change, so an existing secret is returned as it is, whatever it
    /// holds: a new value needs a new name (the controller puts a content hash in it).
    pub async fn ensure_secret(
        &self,
        name: &str,
        labels: HashMap<String, String>,
        data: &[u8],
    ) -> Result<SecretRef, SwarmError> {
        if let Some(existing) = self.find_secret(name).await? {
            return Ok(existing);
        }
        let spec = SecretSpec {
            name: Some(name.to_owned()),
            labels: Some(labels),
            data: Some(BASE64.encode(data)),
            ..Default::default()
        };
        self.count("secret_create");
        let created = self.docker.create_secret(spec).await;
        self.changed(ObjectKind::Secrets);
        match created {
            Ok(created) => Ok(SecretRef {
                id: created.id,
                name: name.to_owned(),
            }),
            // Another reconcile created it between our lookup and our create.
            Err(error) => {
                let error = SwarmError::from(error);
                if error.status() == Some(409)
                    && let Some(existing) = self.find_secret(name).await?
                {
                    return Ok(existing);
                }
                Err(error)
            }
        }
    }

    /// Removes the secret called `name`; `false` when there was none.
    pub async fn remove_secret(&self, name: &str) -> Result<bool, SwarmError> {
        let Some(secret) = self.find_secret(name).await? else {
            return Ok(false);
        };
        self.count("secret_remove");
        let removed = self.docker.delete_secret(&secret.id).await;
        self.changed(ObjectKind::Secrets);
        match removed {
            Ok(()) => Ok(true),
            Err(error) => not_found_is_false(error),
        }
    }

    /// Every secret carrying `label` (`key` or `key=value`), in one request.
    pub async fn list_secrets_labelled(&self, label: &str) -> Result<Vec<Secret>, SwarmError> {
        let filters = HashMap::from([("label", vec![label])]);
        let options = ListSecretsOptionsBuilder::new().filters(&filters).build();
        self.count("secret_list");
        Ok(self.docker.list_secrets(Some(options)).await?)
    }

    /// Removes a secret by id; `false` when there was none, [`SwarmError::SecretInUse`]
    /// while a service still refers to it.
    pub async fn remove_secret_id(&self, id: &str, name: &str) -> Result<bool, SwarmError> {
        self.count("secret_remove");
        let removed = self.docker.delete_secret(id).await;
        self.changed(ObjectKind::Secrets);
        match removed {
            Ok(()) => Ok(true),
            Err(error) => {
                let error = SwarmError::from(error);
                match error.status() {
                    Some(404) => Ok(false),
                    // The engine answers 400 "secret is in use by the following service".
                    Some(400) => Err(SwarmError::SecretInUse(name.to_owned())),
                    _ => Err(error),
                }
            }
        }
    }

    /// Every volume carrying `label` (`key` or `key=value`), in one request.
    pub async fn list_volumes_labelled(&self, label: &str) -> Result<Vec<Volume>, SwarmError> {
        let filters = HashMap::from([("label", vec![label])]);
        let options = ListVolumesOptionsBuilder::new().filters(&filters).build();
        self.count("volume_list");
        Ok(self
            .docker
            .list_volumes(Some(options))
            .await?
            .volumes
            .unwrap_or_default())
    }

    /// Every secret of every tenant (carrying the `swarmpress.tenant` label), in one request.
    pub async fn list_tenant_secrets(&self) -> Result<Vec<Secret>, SwarmError> {
        self.list_secrets_labelled(TENANT_LABEL).await
    }

    /// Every volume of every tenant (carrying the `swarmpress.tenant` label), in one request.
    pub async fn list_tenant_volumes(&self) -> Result<Vec<Volume>, SwarmError> {
        self.list_volumes_labelled(TENANT_LABEL).await
    }

    /// Every task the orchestrator wants running, of every service, in one request.
    pub async fn list_running_tasks(&self) -> Result<Vec<Task>, SwarmError> {
        let filters = HashMap::from([("desired-state", vec!["running"])]);
        let options = ListTasksOptionsBuilder::new().filters(&filters).build();
        self.count("task_list");
        Ok(self.docker.list_tasks(Some(options)).await?)
    }

    /// Every node of the swarm, in one request (a manager's engine answers it).
    pub async fn list_nodes(&self) -> Result<Vec<Node>, SwarmError> {
        self.count("node_list");
        Ok(self.docker.list_nodes(None::<ListNodesOptions>).await?)
    }

    /// Sets a node the API labelled as draining, and left at `pause` while its sites moved
    /// off, to Swarm's `drain` (which moves whatever else runs there). `false` when the node
    /// is no longer such a node (undrained meanwhile, or drained already). The engine
    /// requires the version read, so a concurrent change (the API's) wins.
    pub async fn finish_drain(&self, node_id: &str) -> Result<bool, SwarmError> {
        use bollard::models::NodeSpecAvailabilityEnum;
        use bollard::query_parameters::UpdateNodeOptionsBuilder;
        self.count("node_inspect");
        let node = self.docker.inspect_node(node_id).await?;
        let Some(mut spec) = node.spec else {
            return Ok(false);
        };
        if !swarmpress_schema::labelled_draining(spec.labels.as_ref())
            || spec.availability != Some(NodeSpecAvailabilityEnum::PAUSE)
        {
            return Ok(false);
        }
        let version = node
            .version
            .and_then(|version| version.index)
            .ok_or_else(|| SwarmError::MissingField {
                what: "node version",
                name: node_id.to_owned(),
            })?;
        let version = i64::try_from(version).map_err(|_| SwarmError::VersionOutOfRange {
            name: node_id.to_owned(),
            index: version,
        })?;
        spec.availability = Some(NodeSpecAvailabilityEnum::DRAIN);
        self.count("node_update");
        self.docker
            .update_node(
                node_id,
                spec,
                UpdateNodeOptionsBuilder::new().version(version).build(),
            )
            .await?;
        Ok(true)
    }

    /// Creates the named local volume; the engine treats an existing one as success.
    pub async fn ensure_volume(
        &self,
        name: &str,
        labels: HashMap<String, String>,
    ) -> Result<(), SwarmError> {
        let request = VolumeCreateRequest {
            name: Some(name.to_owned()),
            driver: Some("local".to_owned()),
            labels: Some(labels),
            ..Default::default()
        };
        self.count("volume_create");
        let created = self.docker.create_volume(request).await;
        self.changed(ObjectKind::Volumes);
        created?;
        Ok(())
    }

    /// Removes the volume; `false` when there was none, [`SwarmError::VolumeInUse`] while a
    /// container (even a stopped one) still refers to it.
    pub async fn remove_volume(&self, name: &str) -> Result<bool, SwarmError> {
        self.count("volume_remove");
        let removed = self
            .docker
            .remove_volume(name, None::<RemoveVolumeOptions>)
            .await;
        self.changed(ObjectKind::Volumes);
        match removed {
            Ok(()) => Ok(true),
            Err(error) => {
                let error = SwarmError::from(error);
                match error.status() {
                    Some(404) => Ok(false),
                    Some(409) => Err(SwarmError::VolumeInUse(name.to_owned())),
                    _ => Err(error),
                }
            }
        }
    }

    /// Creates the service and returns its id.
    pub async fn create_service(&self, spec: ServiceSpec) -> Result<String, SwarmError> {
        let name = spec.name.clone().ok_or(SwarmError::UnnamedService)?;
        self.count("service_create");
        let created = self.docker.create_service(spec, None).await;
        self.changed(ObjectKind::Services);
        created?.id.ok_or(SwarmError::MissingField {
            what: "service id",
            name,
        })
    }

    pub async fn inspect_service(&self, name: &str) -> Result<Option<Service>, SwarmError> {
        self.count("service_inspect");
        match self
            .docker
            .inspect_service(name, None::<InspectServiceOptions>)
            .await
        {
            Ok(service) => Ok(Some(service)),
            Err(error) => {
                let error = SwarmError::from(error);
                if error.status() == Some(404) {
                    Ok(None)
                } else {
                    Err(error)
                }
            }
        }
    }

    /// Replaces the spec of the service named in `spec`. The engine requires the version we
    /// read, so a concurrent change makes this fail rather than be silently overwritten.
    pub async fn update_service(&self, spec: ServiceSpec) -> Result<(), SwarmError> {
        let name = spec.name.clone().ok_or(SwarmError::UnnamedService)?;
        self.count("service_inspect");
        let current = self.docker.inspect_service(&name, None).await?;
        let index = current
            .version
            .and_then(|version| version.index)
            .ok_or_else(|| SwarmError::MissingField {
                what: "service version",
                name: name.clone(),
            })?;
        let version = i32::try_from(index).map_err(|_| SwarmError::VersionOutOfRange {
            name: name.clone(),
            index,
        })?;
        let options = UpdateServiceOptionsBuilder::new().version(version).build();
        self.count("service_update");
        let updated = self.docker.update_service(&name, spec, options, None).await;
        self.changed(ObjectKind::Services);
        updated?;
        Ok(())
    }

    /// Removes the service; `false` when there was none. Its containers stop afterwards, in
    /// the background: see [`Self::wait_service_gone`].
    pub async fn remove_service(&self, name: &str) -> Result<bool, SwarmError> {
        self.count("service_remove");
        let removed = self.docker.delete_service(name).await;
        self.changed(ObjectKind::Services);
        match removed {
            Ok(()) => Ok(true),
            Err(error) => not_found_is_false(error),
        }
    }

    /// Every service that carries the `swarmpress.tenant` label, in one request.
    pub async fn list_tenant_services(&self) -> Result<Vec<Service>, SwarmError> {
        let filters = HashMap::from([("label", vec![TENANT_LABEL])]);
        let options = ListServicesOptionsBuilder::new().filters(&filters).build();
        self.count("service_list");
        Ok(self.docker.list_services(Some(options)).await?)
    }

    /// The address each task has on the overlay network `network`, by task id: the engine's
    /// own service-discovery table (a verbose network inspect), which names every task
    /// attached, on any node the network spans. One request for every service at once —
    /// the task list leaves these addresses out of the fields this client reads.
    pub async fn task_addresses(
        &self,
        network: &str,
    ) -> Result<HashMap<String, String>, SwarmError> {
        let options = InspectNetworkOptionsBuilder::new()
            .verbose(true)
            .scope("swarm")
            .build();
        self.count("network_inspect");
        let inspected = self.docker.inspect_network(network, Some(options)).await?;
        Ok(task_addresses_of(inspected.services.unwrap_or_default()))
    }

    /// How many containers (running or not) the service's tasks still have on this node.
    pub async fn service_container_count(&self, name: &str) -> Result<usize, SwarmError> {
        let label = format!("com.docker.swarm.service.name={name}");
        let filters = HashMap::from([("label", vec![label.as_str()])]);
        let options = ListContainersOptionsBuilder::new()
            .all(true)
            .filters(&filters)
            .build();
        self.count("container_list");
        Ok(self.docker.list_containers(Some(options)).await?.len())
    }

    /// Waits until a removed service has no containers left, which is when its volume can be
    /// removed.
    pub async fn wait_service_gone(&self, name: &str, timeout: Duration) -> Result<(), SwarmError> {
        let started = Instant::now();
        loop {
            if self.service_container_count(name).await? == 0 {
                return Ok(());
            }
            if started.elapsed() >= timeout {
                return Err(SwarmError::ServiceStillRunning {
                    name: name.to_owned(),
                    waited: timeout,
                });
            }
            sleep(POLL_INTERVAL).await;
        }
    }
}

fn not_found_is_false(error: DockerError) -> Result<bool, SwarmError> {
    let error = SwarmError::from(error);
    if error.status() == Some(404) {
        Ok(false)
    } else {
        Err(error)
    }
}

/// Task id → address from a verbose network inspect's `Services` (service name → `Tasks`,
/// each named `<service>.<slot>.<task id>` with its `EndpointIP`).
fn task_addresses_of(services: HashMap<String, serde_json::Value>) -> HashMap<String, String> {
    services
        .values()
        .filter_map(|service| service.get("Tasks")?.as_array())
        .flatten()
        .filter_map(|task| {
            let id = task.get("Name")?.as_str()?.rsplit('.').next()?;
            let address = task.get("EndpointIP")?.as_str()?;
            (!id.is_empty() && !address.is_empty()).then(|| (id.to_owned(), address.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod task_address_tests {
    use super::*;

    #[test]
    fn reads_each_tasks_address_by_task_id() {
        let services: HashMap<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
            "wp_a": {"VIP": "<nil>", "Tasks": [
                {"Name": "wp_a.1.t1", "EndpointIP": "10.0.16.4", "Info": {"Host IP": "127.0.0.1"}},
                {"Name": "wp_a.2.t2", "EndpointIP": "10.0.16.9"}
            ]},
            "swarmpress_traefik": {"Tasks": [{"Name": "swarmpress_traefik.1.t3", "EndpointIP": "10.0.16.2"}]},
            "odd": {"Tasks": [{"Name": "odd.1.t4"}, {"EndpointIP": "10.0.16.7"}]},
            "empty": {}
        }))
        .unwrap();
        let addresses = task_addresses_of(services);
        assert_eq!(addresses.len(), 3, "{addresses:?}");
        assert_eq!(addresses["t1"], "10.0.16.4");
        assert_eq!(addresses["t2"], "10.0.16.9");
        assert_eq!(addresses["t3"], "10.0.16.2");
    }
}
