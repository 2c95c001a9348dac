//! Whether a tenant is Available at a rollout's image: the store's view (the reconcile saw the
//! new generation, Available is true), Swarm's (every running task on the new image, enough of
//! them, no failed update) and the visitor's (the site answers 200 through the edge).

use std::collections::HashMap;
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
        let host = tenant.metadata.name.hostname(&self.base_domain);
        // The public Host, port included, so WordPress sees its own URL and does not redirect
        // to it; Traefik's Host rule ignores the port.
        let host = if self.edge_port == 80 {
            host
        } else {
            format!("{host}:{}", self.edge_port)
        };
        let prefix = tenant.spec.path_prefix.as_deref().unwrap_or("");
        let url = format!("{}{prefix}/", self.edge_url);
        match self
            .client
            .get(&url)
            .header(reqwest::header::HOST, host)
            .send()
            .await
        {
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
    let (new, old) = running_tasks(swarm, &tenant.metadata.name.service_name(), to_image).await?;
    if new < desired || old > 0 {
        return Ok(Verdict::Waiting(format!(
            "{new}/{desired} tasks healthy on the new image, {old} on another"
        )));
    }
    if !tenant.status.is_true(ConditionType::Available) {
        return Ok(Verdict::Waiting("the tenant is not Available".to_owned()));
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

/// Running (so healthy, with the image's HEALTHCHECK) tasks of the service on `image` and on
/// any other image.
async fn running_tasks(
    swarm: &SwarmClient,
    service: &str,
    image: &str,
) -> Result<(i64, i64), SwarmError> {
    let filters = HashMap::from([
        ("service", vec![service]),
        ("desired-state", vec!["running"]),
    ]);
    let options = ListTasksOptionsBuilder::new().filters(&filters).build();
    let tasks = swarm.docker().list_tasks(Some(options)).await?;
    let (mut new, mut old) = (0, 0);
    for task in tasks {
        if task.status.as_ref().and_then(|s| s.state) != Some(TaskState::RUNNING) {
            continue;
        }
        let task_image = task
            .spec
            .as_ref()
            .and_then(|s| s.container_spec.as_ref())
            .and_then(|c| c.image.as_deref())
            .map(base_image);
        if task_image == Some(image) {
            new += 1;
        } else {
            old += 1;
        }
    }
    Ok((new, old))
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
    fn digests_are_ignored() {
        assert_eq!(base_image("wp:new@sha256:abc"), "wp:new");
        assert_eq!(base_image("wp:new"), "wp:new");
    }
}
