//! A tenant's service as the engine sees it, with every secret value masked.

use std::collections::{BTreeMap, HashMap};

use bollard::Docker;
use bollard::models::{Service, ServiceSpec, TaskSpec, TaskSpecContainerSpec};
use bollard::query_parameters::{
    InspectServiceOptions, ListNetworksOptions, ListNodesOptions, ListTasksOptionsBuilder,
};
use poem_openapi::Object;

/// What replaces a masked value.
pub const MASK: &str = "********";

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct InspectService {
    pub id: String,
    pub name: String,
    pub image: String,
    pub replicas: Option<i64>,
    pub labels: BTreeMap<String, String>,
    pub cpu_limit_cores: Option<f64>,
    pub memory_limit_bytes: Option<i64>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// The state of the last rolling update (`completed`, `rollback_completed`, …).
    pub update_state: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct InspectTask {
    pub id: String,
    pub slot: Option<i64>,
    pub state: String,
    pub desired_state: String,
    pub message: Option<String>,
    pub error: Option<String>,
    pub node_id: Option<String>,
    pub node: Option<String>,
    pub started_at: Option<String>,
    pub container_id: Option<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct InspectMount {
    #[oai(rename = "type")]
    pub kind: String,
    pub source: String,
    pub target: String,
    pub read_only: bool,
    /// Whether this is the tenant's `wp-content` volume.
    pub wp_content: bool,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct InspectNetwork {
    pub id: String,
    pub name: Option<String>,
    pub aliases: Vec<String>,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct InspectEnv {
    pub name: String,
    /// The value, or `********` when the name says it is a secret.
    pub value: String,
    pub masked: bool,
}

/// A Swarm secret the tasks mount: its file, never its content.
#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct InspectSecret {
    pub name: String,
    pub target: String,
}

#[derive(Debug, Clone, Object)]
#[oai(rename_all = "camelCase")]
pub struct TenantInspect {
    pub service: InspectService,
    pub tasks: Vec<InspectTask>,
    pub mounts: Vec<InspectMount>,
    pub networks: Vec<InspectNetwork>,
    pub env: Vec<InspectEnv>,
    pub secrets: Vec<InspectSecret>,
}

/// Whether a variable or label name announces a secret value.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    [
        "PASS",
        "SECRET",
        "TOKEN",
        "KEY",
        "SALT",
        "AUTH",
        "CREDENTIAL",
        "PRIVATE",
        "DSN",
    ]
    .iter()
    .any(|word| upper.contains(word))
}

/// A value that carries credentials inline (`scheme://user:password@host`).
fn has_inline_credentials(value: &str) -> bool {
    value.split_once("://").is_some_and(|(_, rest)| {
        rest.split('/')
            .next()
            .is_some_and(|auth| auth.contains('@'))
    })
}

pub fn mask_env(entry: &str) -> InspectEnv {
    let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
    let masked = is_secret_name(name) || has_inline_credentials(value);
    InspectEnv {
        name: name.to_owned(),
        value: if masked {
            MASK.to_owned()
        } else {
            value.to_owned()
        },
        masked,
    }
}

fn date(value: Option<String>) -> Option<String> {
    value.filter(|d| !d.starts_with("0001-"))
}

/// The service named `service`, its tasks and what they attach.
pub async fn inspect(
    docker: &Docker,
    service: &str,
    volume: &str,
) -> Result<TenantInspect, bollard::errors::Error> {
    let found = docker
        .inspect_service(service, None::<InspectServiceOptions>)
        .await?;
    let spec = found.spec.clone().unwrap_or_default();
    let template = spec.task_template.clone().unwrap_or_default();
    let container = template.container_spec.clone().unwrap_or_default();
    let tasks = tasks(docker, service).await?;
    let network_names = network_names(docker).await?;
    Ok(TenantInspect {
        service: service_view(&found, spec, &template, &container),
        tasks,
        mounts: mounts(&container, volume),
        networks: template
            .networks
            .unwrap_or_default()
            .into_iter()
            .map(|n| {
                let id = n.target.unwrap_or_default();
                InspectNetwork {
                    name: network_names.get(&id).cloned(),
                    id,
                    aliases: n.aliases.unwrap_or_default(),
                }
            })
            .collect(),
        env: container
            .env
            .unwrap_or_default()
            .iter()
            .map(|e| mask_env(e))
            .collect(),
        secrets: container
            .secrets
            .unwrap_or_default()
            .into_iter()
            .map(|s| InspectSecret {
                name: s.secret_name.unwrap_or_default(),
                target: s.file.and_then(|f| f.name).unwrap_or_default(),
            })
            .collect(),
    })
}

/// The service's own fields, its labels masked where they name a secret.
fn service_view(
    found: &Service,
    spec: ServiceSpec,
    template: &TaskSpec,
    container: &TaskSpecContainerSpec,
) -> InspectService {
    let limits = template.resources.as_ref().and_then(|r| r.limits.as_ref());
    let labels = spec
        .labels
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            let v = if is_secret_name(&k) {
                MASK.to_owned()
            } else {
                v
            };
            (k, v)
        })
        .collect();
    InspectService {
        id: found.id.clone().unwrap_or_default(),
        name: spec.name.unwrap_or_default(),
        image: container.image.clone().unwrap_or_default(),
        replicas: spec
            .mode
            .and_then(|m| m.replicated)
            .and_then(|r| r.replicas),
        labels,
        cpu_limit_cores: limits.and_then(|l| l.nano_cpus).map(|n| n as f64 / 1e9),
        memory_limit_bytes: limits.and_then(|l| l.memory_bytes),
        created_at: found.created_at.clone(),
        updated_at: found.updated_at.clone(),
        update_state: found
            .update_status
            .as_ref()
            .and_then(|u| u.state)
            .map(|s| s.to_string()),
    }
}

/// The service's tasks, newest first within each slot, with their nodes' host names.
async fn tasks(docker: &Docker, service: &str) -> Result<Vec<InspectTask>, bollard::errors::Error> {
    let nodes: HashMap<String, String> = docker
        .list_nodes(None::<ListNodesOptions>)
        .await?
        .into_iter()
        .filter_map(|n| Some((n.id?, n.description?.hostname?)))
        .collect();
    let filters = HashMap::from([("service", vec![service])]);
    let options = ListTasksOptionsBuilder::new().filters(&filters).build();
    let mut tasks: Vec<InspectTask> = docker
        .list_tasks(Some(options))
        .await?
        .into_iter()
        .map(|task| {
            let status = task.status.unwrap_or_default();
            let node = task.node_id.as_ref().and_then(|id| nodes.get(id).cloned());
            InspectTask {
                id: task.id.unwrap_or_default(),
                slot: task.slot,
                state: status.state.map(|s| s.to_string()).unwrap_or_default(),
                desired_state: task
                    .desired_state
                    .map(|s| s.to_string())
                    .unwrap_or_default(),
                message: status.message,
                error: status.err,
                node_id: task.node_id,
                node,
                started_at: date(status.timestamp),
                container_id: status.container_status.and_then(|c| c.container_id),
            }
        })
        .collect();
    tasks.sort_by(|a, b| (a.slot, &b.started_at).cmp(&(b.slot, &a.started_at)));
    Ok(tasks)
}

/// Network ids to names, to show which networks the service is on.
async fn network_names(docker: &Docker) -> Result<HashMap<String, String>, bollard::errors::Error> {
    Ok(docker
        .list_networks(None::<ListNetworksOptions>)
        .await?
        .into_iter()
        .filter_map(|n| Some((n.id?, n.name?)))
        .collect())
}

/// The container's mounts; the tenant's volume is marked as `wp-content`.
fn mounts(container: &TaskSpecContainerSpec, volume: &str) -> Vec<InspectMount> {
    container
        .mounts
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|m| {
            let source = m.source.unwrap_or_default();
            InspectMount {
                kind: m.typ.map(|t| t.to_string()).unwrap_or_default(),
                wp_content: source == volume,
                source,
                target: m.target.unwrap_or_default(),
                read_only: m.read_only.unwrap_or(false),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secret_names_and_inline_credentials() {
        assert!(mask_env("WORDPRESS_DB_PASSWORD=hunter2").masked);
        assert!(mask_env("API_TOKEN=x").masked);
        assert!(mask_env("S3_URL=https://ak:sk@s3:8333/b").masked);
        let plain = mask_env("WORDPRESS_DB_HOST=mariadb");
        assert!(!plain.masked);
        assert_eq!(plain.value, "mariadb");
        assert_eq!(mask_env("WP_SECRET=abc").value, MASK);
    }
}
