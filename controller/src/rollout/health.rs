//! Whether a tenant is Available at a rollout's image: the store's view (the reconcile saw the
//! new generation, Available is true), Swarm's (every running task on the new image, enough of
//! them, no failed update) and the visitor's (the site answers 200 through the edge).

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use bollard::models::{Service, ServiceUpdateStatusStateEnum, TaskState};
use bollard::query_parameters::ListTasksOptionsBuilder;
use chrono::{DateTime, Utc};
use swarmpress_schema::resource::{ConditionType, Tenant};

use crate::adapters::swarm::{SwarmClient, SwarmError};

/// What one look at an updating tenant found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Available at the new image: the item is done.
    Healthy,
    /// Not yet; the reason says what is missing (shown while waiting, and as the reason of a
    /// rollback on timeout).
    Waiting(String),
    /// Swarm gave the update up (paused or rolled back): no point in waiting any longer.
    Failed(String),
}

/// How long one readiness request may take. The edge retries a refused connection (a task
/// whose Apache is not listening yet) for a few seconds; a probe that outlives this is asked
/// again later instead of holding a reconcile worker.
const READY_TIMEOUT: Duration = Duration::from_secs(3);
/// The most readiness requests one check makes.
const MAX_READY_PROBES: usize = 16;
/// Docker names a container's host after the first 12 characters of its id.
const HOSTNAME_LEN: usize = 12;

fn hostname_of(container_id: &str) -> &str {
    container_id.get(..HOSTNAME_LEN).unwrap_or(container_id)
}

/// Probes sites through the edge (Traefik) with their Host header.
#[derive(Debug, Clone)]
pub struct Prober {
    client: reqwest::Client,
    /// e.g. `http://traefik:80` inside the stack, `http://127.0.0.1:8080` on the host.
    edge_url: String,
    base_domain: String,
    edge_port: u16,
}

impl Prober {
    pub fn new(edge_url: &str, base_domain: &str, edge_port: u16) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            // A redirect (to the canonical URL, to the installer) is not "the site works".
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()?;
        Ok(Self {
            client,
            edge_url: edge_url.trim_end_matches('/').to_owned(),
            base_domain: base_domain.to_owned(),
            edge_port,
        })
    }

    /// `None` when the site's front page answers 200, else what it answered.
    pub async fn probe(&self, tenant: &Tenant) -> Option<String> {
        self.get(tenant, "/").await
    }

    /// The host name (the container's, in Swarm its id's first 12 characters) of the task
    /// whose readiness endpoint (Apache, PHP, the database and an installed site; no page
    /// render) answered 200 through the edge within `timeout`; else what was answered.
    async fn ready(&self, tenant: &Tenant, timeout: Duration) -> Result<String, String> {
        let response = self
            .request(tenant, "/.swarmpress/health")
            .timeout(timeout)
            .send()
            .await
            .map_err(|error| format!("the site does not answer: {error}"))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(format!("the site answers {}", response.status()));
        }
        let body = response
            .text()
            .await
            .map_err(|error| format!("the site's answer broke off: {error}"))?;
        body.trim()
            .strip_prefix("ok ")
            .map(str::to_owned)
            .ok_or_else(|| "the readiness endpoint does not name its task".to_owned())
    }

    /// `Ok` once each of `containers` (ids) answered the readiness endpoint through the edge.
    /// The edge may route a request to a task on its way out (it serves while it drains) and
    /// retries a refused connection on another replica, so one 200 proves little; the
    /// endpoint names the container that answered. Round-robin balancing reaches every
    /// replica within twice their number of requests unless one does not answer.
    pub async fn each_answers(&self, tenant: &Tenant, containers: &[String]) -> Result<(), String> {
        let mut unheard: HashSet<&str> = containers.iter().map(|id| hostname_of(id)).collect();
        for _ in 0..(2 * containers.len() + 1).min(MAX_READY_PROBES) {
            if unheard.is_empty() {
                break;
            }
            let host = self.ready(tenant, READY_TIMEOUT).await?;
            unheard.remove(host.as_str());
        }
        if unheard.is_empty() {
            Ok(())
        } else {
            Err(format!(
                "{} of {} tasks have not answered yet",
                unheard.len(),
                containers.len()
            ))
        }
    }

    fn request(&self, tenant: &Tenant, path: &str) -> reqwest::RequestBuilder {
        let host = tenant.metadata.name.hostname(&self.base_domain);
        // The public Host, port included, so WordPress sees its own URL and does not redirect
        // to it; Traefik's Host rule ignores the port.
        let host = if self.edge_port == 80 {
            host
        } else {
            format!("{host}:{}", self.edge_port)
        };
        let prefix = tenant.spec.path_prefix.as_deref().unwrap_or("");
        self.client
            .get(format!("{}{prefix}{path}", self.edge_url))
            .header(reqwest::header::HOST, host)
    }

    async fn get(&self, tenant: &Tenant, path: &str) -> Option<String> {
        match self.request(tenant, path).send().await {
            Ok(response) if response.status() == reqwest::StatusCode::OK => None,
            Ok(response) => Some(format!("the site answers {}", response.status())),
            Err(error) => Some(format!("the site does not answer: {error}")),
        }
    }
}

/// The image without a `@sha256:…` digest Swarm may have pinned.
fn base_image(image: &str) -> &str {
    image.split_once('@').map_or(image, |(name, _)| name)
}

/// Looks at `tenant` (as stored now), whose item went `updating` at `since`, against
/// `to_image`.
pub async fn check(
    swarm: &SwarmClient,
    prober: &Prober,
    tenant: &Tenant,
    to_image: &str,
    since: DateTime<Utc>,
) -> Result<Verdict, SwarmError> {
    let Some(service) = swarm
        .inspect_service(&tenant.metadata.name.service_name())
        .await?
    else {
        return Ok(Verdict::Waiting("the service does not exist".to_owned()));
    };
    if let Some(failure) = failed_update(&service, since) {
        return Ok(Verdict::Failed(failure));
    }
    if tenant.status.observed_generation < tenant.metadata.generation {
        return Ok(Verdict::Waiting(
            "the controller has not reconciled the new image yet".to_owned(),
        ));
    }
    let spec = service.spec.as_ref();
    let service_image = spec
        .and_then(|s| s.task_template.as_ref())
        .and_then(|t| t.container_spec.as_ref())
        .and_then(|c| c.image.as_deref())
        .map(base_image);
    // Compared without digests on either side: the rollout may name one, Swarm may add one.
    let to_image = base_image(to_image);
    if service_image != Some(to_image) {
        return Ok(Verdict::Waiting(format!(
            "the service runs {} instead",
            service_image.unwrap_or("no image")
        )));
    }
    let desired = spec
        .and_then(|s| s.mode.as_ref())
        .and_then(|m| m.replicated.as_ref())
        .and_then(|r| r.replicas)
        .unwrap_or(0);
    let census = census(swarm, &tenant.metadata.name.service_name(), to_image, since).await?;
    if let Some(failure) = census.failure {
        return Ok(Verdict::Failed(format!(
            "a task on the new image failed: {failure}"
        )));
    }
    let (new, old) = (
        i64::try_from(census.new.len()).unwrap_or(i64::MAX),
        census.old,
    );
    if new < desired || old > 0 {
        return Ok(Verdict::Waiting(format!(
            "{new}/{desired} tasks healthy on the new image, {old} on another"
        )));
    }
    if !tenant.status.is_true(ConditionType::Available) {
        return Ok(Verdict::Waiting("the tenant is not Available".to_owned()));
    }
    // Available may have been written while the old tasks still ran (and they serve while
    // they drain): the new ones must answer themselves.
    if let Err(reason) = prober.each_answers(tenant, &census.new).await {
        return Ok(Verdict::Waiting(reason));
    }
    Ok(match prober.probe(tenant).await {
        None => Verdict::Healthy,
        Some(reason) => Verdict::Waiting(reason),
    })
}

/// Swarm's verdict on an update that began after `since` (the item's start, just before the
/// spec change that starts the update): paused or any rollback state is a failure. An older
/// update status (say, a rollback during an earlier rollout) says nothing about this one.
fn failed_update(service: &Service, since: DateTime<Utc>) -> Option<String> {
    let status = service.update_status.as_ref()?;
    let state = status.state?;
    if !matches!(
        state,
        ServiceUpdateStatusStateEnum::PAUSED
            | ServiceUpdateStatusStateEnum::ROLLBACK_STARTED
            | ServiceUpdateStatusStateEnum::ROLLBACK_PAUSED
            | ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED
    ) {
        return None;
    }
    let started = status
        .started_at
        .as_deref()
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok())?
        .with_timezone(&Utc);
    // A second of slack: Swarm's clock and the store's are the same machine's, but the item's
    // startedAt is written just before the spec change that starts the update.
    if started + chrono::Duration::seconds(1) < since {
        return None;
    }
    Some(format!(
        "Swarm's update is {state}: {}",
        status.message.as_deref().unwrap_or("no message")
    ))
}

/// The service's tasks as a rollout item sees them.
#[derive(Debug, Default)]
struct Census {
    /// Containers of the running tasks on the new image.
    new: Vec<String>,
    /// Running tasks on another image.
    old: i64,
    /// Why a task on the new image failed since the item started, if one did.
    failure: Option<String>,
}

/// Counts the service's tasks against `image`: the running ones on it (by container) and on
/// any other, and a task on it that failed since `since`. Swarm rolls a crashing update back
/// within a second or two and the reconciler may apply the spec again as quickly, so the
/// rollback state alone can pass between two looks; the failed task stays in the list.
async fn census(
    swarm: &SwarmClient,
    service: &str,
    image: &str,
    since: DateTime<Utc>,
) -> Result<Census, SwarmError> {
    let filters = HashMap::from([("service", vec![service])]);
    let options = ListTasksOptionsBuilder::new().filters(&filters).build();
    let tasks = swarm.docker().list_tasks(Some(options)).await?;
    let mut census = Census::default();
    for task in tasks {
        let on_image = task
            .spec
            .as_ref()
            .and_then(|s| s.container_spec.as_ref())
            .and_then(|c| c.image.as_deref())
            .map(base_image)
            == Some(image);
        let Some(status) = task.status.as_ref() else {
            continue;
        };
        let running = status.state == Some(TaskState::RUNNING)
            && task.desired_state == Some(TaskState::RUNNING);
        if running && on_image {
            census.new.extend(
                status
                    .container_status
                    .as_ref()
                    .and_then(|c| c.container_id.clone()),
            );
        } else if running {
            census.old += 1;
        } else if on_image
            && matches!(status.state, Some(TaskState::FAILED | TaskState::REJECTED))
            && status
                .timestamp
                .as_deref()
                .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
                .is_some_and(|at| at.with_timezone(&Utc) >= since)
        {
            census.failure = Some(
                status
                    .err
                    .clone()
                    .or_else(|| status.message.clone())
                    .unwrap_or_else(|| "failed".to_owned()),
            );
        }
    }
    Ok(census)
}

#[cfg(test)]
mod tests {
    use bollard::models::{ServiceSpec, ServiceUpdateStatus, TaskSpec, TaskSpecContainerSpec};

    use super::*;

    fn spec(image: &str) -> ServiceSpec {
        ServiceSpec {
            task_template: Some(TaskSpec {
                container_spec: Some(TaskSpecContainerSpec {
                    image: Some(image.to_owned()),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn service(state: ServiceUpdateStatusStateEnum, started: &str) -> Service {
        Service {
            spec: Some(spec("wp:old")),
            update_status: Some(ServiceUpdateStatus {
                state: Some(state),
                started_at: Some(started.to_owned()),
                message: Some("update rolled back".to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_rollback_of_this_update_is_a_failure() {
        let since = DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let rolled = service(
            ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED,
            "2026-01-01T10:00:05.123Z",
        );
        assert!(failed_update(&rolled, since).is_some());
        // Older than the item: not this update's.
        let earlier = service(
            ServiceUpdateStatusStateEnum::ROLLBACK_COMPLETED,
            "2026-01-01T09:00:00Z",
        );
        assert!(failed_update(&earlier, since).is_none());
        let fine = service(
            ServiceUpdateStatusStateEnum::COMPLETED,
            "2026-01-01T10:00:05Z",
        );
        assert!(failed_update(&fine, since).is_none());
    }

    #[test]
    fn a_container_is_known_by_its_short_id() {
        assert_eq!(
            hostname_of("4f1c2d3e4a5b6c7d8e9f00112233445566778899aabbccddeeff001122334455"),
            "4f1c2d3e4a5b"
        );
        assert_eq!(hostname_of("short"), "short");
    }

    #[test]
    fn digests_are_ignored() {
        assert_eq!(base_image("wp:new@sha256:abc"), "wp:new");
        assert_eq!(base_image("wp:new"), "wp:new");
    }
}
