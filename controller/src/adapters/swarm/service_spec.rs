//! The Swarm service of a WordPress tenant, as a pure function of its parameters.

use std::collections::{BTreeMap, HashMap};

use bollard::models::{
    EndpointSpec, EndpointSpecModeEnum, HealthConfig, Limit, Mount, MountType,
    NetworkAttachmentConfig, ResourceObject, ServiceSpec, ServiceSpecMode,
    ServiceSpecModeReplicated, ServiceSpecRollbackConfig, ServiceSpecRollbackConfigOrderEnum,
    ServiceSpecUpdateConfig, ServiceSpecUpdateConfigFailureActionEnum,
    ServiceSpecUpdateConfigOrderEnum, TaskSpec, TaskSpecContainerSpec, TaskSpecContainerSpecFile,
    TaskSpecContainerSpecSecrets, TaskSpecPlacement, TaskSpecResources, TaskSpecRestartPolicy,
    TaskSpecRestartPolicyConditionEnum,
};
use swarmpress_schema::TenantName;

use super::SecretRef;
use crate::digest::short_hash;

pub const EDGE_NETWORK: &str = "swarmpress_edge";
pub const DATA_NETWORK: &str = "swarmpress_data";
pub use swarmpress_schema::TENANT_LABEL;
pub const SPEC_HASH_LABEL: &str = "swarmpress.spec-hash";
/// Label with the hash of `restartedAt` and `rebuildNonce` the service was last forced with.
pub const RESTART_TOKEN_LABEL: &str = "swarmpress.restart-token";
/// Label with the hash of the `rebuildNonce` whose rebuild pulled the image the service names
/// by digest (absent for a service never rebuilt).
pub const REBUILD_TOKEN_LABEL: &str = "swarmpress.rebuild-token";
/// Label with the edge's routing rule for the site (Traefik's rule syntax).
pub const ROUTE_RULE_LABEL: &str = "swarmpress.edge.rule";
/// The environment names the platform sets itself; a spec's `env` cannot override them.
const RESERVED_ENV_PREFIXES: &[&str] = &["WORDPRESS_", "SWARMPRESS_"];
/// Where the image keeps `wp-content` (its `VOLUME`).
pub const WP_CONTENT_PATH: &str = "/var/lib/wordpress/wp-content";
/// File names under `/run/secrets/` that the image's `*_FILE` variables point at.
pub const DB_PASSWORD_FILE: &str = "db_password";
pub const ADMIN_PASSWORD_FILE: &str = "admin_password";
/// The site's own S3 key: id on the first line, secret key on the second.
pub const S3_CREDENTIALS_FILE: &str = "s3_credentials";

const NANOS_PER_SECOND: i64 = 1_000_000_000;
/// What the tenant image's entrypoint needs as root before it drops to www-data for good
/// (images/wordpress/entrypoint.sh): own and write wp-content, switch user, and empty the
/// capability bounding set. Docker's defaults also give NET_RAW (raw sockets: spoofing on
/// the shared overlays), MKNOD, SYS_CHROOT, SETFCAP, FSETID and AUDIT_WRITE; none is kept.
pub const TENANT_CAPABILITIES: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FOWNER",
    "CAP_SETUID",
    "CAP_SETGID",
    "CAP_SETPCAP",
];
/// How a replica's worker count follows its memory: shared with the plan catalogue, which
/// shows each plan's workers per replica.
pub use swarmpress_schema::resource::account::workers_for;

/// Processes (threads included) one task may run: Apache's workers (at most 16), PHP's
/// children, cron. Bounds a fork bomb in a site's code to its own task.
pub const TENANT_PIDS_LIMIT: i64 = 512;

/// Everything that decides a tenant's service. Names that reach the outside world are derived
/// from `name`; the free-text fields (title, admin user and e-mail) only ever become
/// environment values, where any content is harmless.
#[derive(Debug, Clone, PartialEq)]
pub struct WordPressService {
    pub name: TenantName,
    pub image: String,
    pub replicas: u32,
    pub cpu_nanos: i64,
    pub memory_bytes: i64,
    /// Public URL without a trailing slash, e.g. `http://acme.localhost:8080`.
    pub public_url: String,
    /// e.g. `/blog`; routed by Traefik and passed to the image.
    pub path_prefix: Option<String>,
    pub site_title: String,
    pub admin_user: String,
    pub admin_email: String,
    /// Host name of MariaDB on the data network.
    pub db_host: String,
    /// Swarm refers to secrets by id *and* name (the engine rejects a reference without an
    /// id), so both come from the secret as created.
    pub db_secret: SecretRef,
    pub admin_secret: SecretRef,
    /// The site's own S3 key (its bucket alone).
    pub s3_secret: SecretRef,
    /// The S3 gateway as the task reaches it, e.g. `http://s3:8333`.
    pub s3_endpoint: String,
    pub network_edge: String,
    pub network_data: String,
    pub base_domain: String,
    /// Becomes a placement constraint on the node label `swarmpress.region.<region>=true`.
    pub region: Option<String>,
    /// The site's own environment; names the platform sets itself are left out.
    pub env: BTreeMap<String, String>,
    /// Changes when a restart or rebuild is asked for, so Swarm replaces every task.
    pub restart_token: String,
    /// The hash of the `rebuildNonce` the image was pulled for (see [`REBUILD_TOKEN_LABEL`]).
    pub rebuild_token: Option<String>,
}

/// A finished service spec and the hash it carries in its [`SPEC_HASH_LABEL`].
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltService {
    pub spec: ServiceSpec,
    /// Of the whole spec but the label itself: the controller tells whether a running service
    /// is current by comparing this label, without comparing whole specs.
    pub hash: String,
}

/// A field that would break the Traefik rule or the placement constraint it is written into.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceSpecError {
    #[error(
        "path prefix {0:?} must start with '/', not end with '/', and use only [A-Za-z0-9._~-/]"
    )]
    PathPrefix(String),
    #[error("base domain {0:?} must be a lowercase DNS name")]
    BaseDomain(String),
    #[error("region {0:?} may only contain a-z, 0-9 and '-'")]
    Region(String),
    #[error("the restart token {0:?} may only contain a-z, 0-9 and '-'")]
    RestartToken(String),
    #[error("unserializable spec: {0}")]
    Unserializable(String),
}

impl WordPressService {
    /// The finished spec, labelled with its hash.
    pub fn to_spec(&self) -> Result<ServiceSpec, ServiceSpecError> {
        self.build().map(|built| built.spec)
    }

    /// Builds the service spec (see the architecture's "Tenant service shape"), hashes it
    /// once it is complete, and labels it with the hash.
    pub fn build(&self) -> Result<BuiltService, ServiceSpecError> {
        let mut spec = self.unhashed_spec()?;
        // serde_json's maps are sorted, so equal specs serialize (and hash) equally whatever
        // the order of the HashMaps inside.
        let canonical = serde_json::to_value(&spec)
            .map(|value| value.to_string())
            .map_err(|error| ServiceSpecError::Unserializable(error.to_string()))?;
        let hash = short_hash(canonical.as_bytes(), 16);
        spec.labels
            .get_or_insert_with(Default::default)
            .insert(SPEC_HASH_LABEL.to_owned(), hash.clone());
        Ok(BuiltService { spec, hash })
    }

    fn unhashed_spec(&self) -> Result<ServiceSpec, ServiceSpecError> {
        self.validate()?;
        Ok(ServiceSpec {
            name: Some(self.name.service_name()),
            labels: Some(self.labels()),
            task_template: Some(self.task_template()),
            mode: Some(ServiceSpecMode {
                replicated: Some(ServiceSpecModeReplicated {
                    replicas: Some(i64::from(self.replicas)),
                }),
                ..Default::default()
            }),
            update_config: Some(ServiceSpecUpdateConfig {
                parallelism: Some(1),
                failure_action: Some(ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK),
                // A new task that exits within the monitor (a crash, or the image's liveness
                // watch stopping an Apache that does not answer) fails the update, and Swarm
                // rolls it back. A task that runs but serves errors is the fleet rollout's to
                // catch: it probes each site through the edge and rolls back on timeout.
                monitor: Some(30 * NANOS_PER_SECOND),
                order: Some(ServiceSpecUpdateConfigOrderEnum::START_FIRST),
                ..Default::default()
            }),
            rollback_config: Some(ServiceSpecRollbackConfig {
                parallelism: Some(1),
                order: Some(ServiceSpecRollbackConfigOrderEnum::START_FIRST),
                ..Default::default()
            }),
            // No VIP: the machines have no IPVS. Traefik reaches the tasks directly.
            endpoint_spec: Some(EndpointSpec {
                mode: Some(EndpointSpecModeEnum::DNSRR),
                ports: None,
            }),
            ..Default::default()
        })
    }

    /// Ownership, the restart token and the edge's routing rule (which the controller
    /// publishes to the edge with the tasks' addresses: `crate::edge`).
    fn labels(&self) -> HashMap<String, String> {
        let mut labels = HashMap::from([
            (TENANT_LABEL.to_owned(), self.name.to_string()),
            (RESTART_TOKEN_LABEL.to_owned(), self.restart_token.clone()),
            (ROUTE_RULE_LABEL.to_owned(), self.route_rule()),
        ]);
        if let Some(token) = &self.rebuild_token {
            labels.insert(REBUILD_TOKEN_LABEL.to_owned(), token.clone());
        }
        labels
    }

    /// The edge's rule for the site: its host, and its path prefix when it has one.
    pub fn route_rule(&self) -> String {
        let host = self.name.hostname(&self.base_domain);
        match &self.path_prefix {
            Some(prefix) => format!("Host(`{host}`) && PathPrefix(`{prefix}`)"),
            None => format!("Host(`{host}`)"),
        }
    }

    /// The image's contract (`WORDPRESS_*`, passwords as files), then the site's own.
    fn env(&self) -> Vec<String> {
        let mut env = vec![
            format!("WORDPRESS_DB_HOST={}", self.db_host),
            format!("WORDPRESS_DB_NAME={}", self.name.database_name()),
            format!("WORDPRESS_DB_USER={}", self.name.database_user()),
            format!("WORDPRESS_DB_PASSWORD_FILE=/run/secrets/{DB_PASSWORD_FILE}"),
            format!("WORDPRESS_URL={}", self.public_url.trim_end_matches('/')),
            format!("WORDPRESS_TITLE={}", self.site_title),
            format!("WORDPRESS_ADMIN_USER={}", self.admin_user),
            format!("WORDPRESS_ADMIN_EMAIL={}", self.admin_email),
            format!("WORDPRESS_ADMIN_PASSWORD_FILE=/run/secrets/{ADMIN_PASSWORD_FILE}"),
            format!("WORDPRESS_S3_ENDPOINT={}", self.s3_endpoint),
            format!("WORDPRESS_S3_BUCKET={}", self.name.bucket_name()),
            format!("WORDPRESS_S3_CREDENTIALS_FILE=/run/secrets/{S3_CREDENTIALS_FILE}"),
            format!("SWARMPRESS_MAX_WORKERS={}", workers_for(self.memory_bytes)),
        ];
        if let Some(prefix) = &self.path_prefix {
            env.push(format!("WORDPRESS_PATH_PREFIX={prefix}"));
        }
        // After the platform's own, in BTreeMap order: the spec, and so its hash, stays
        // deterministic.
        env.extend(
            self.env
                .iter()
                .filter(|(key, _)| !RESERVED_ENV_PREFIXES.iter().any(|p| key.starts_with(p)))
                .map(|(key, value)| format!("{key}={value}")),
        );
        env
    }

    /// The container, its resources, restarts, placement and networks.
    fn task_template(&self) -> TaskSpec {
        let container_spec = TaskSpecContainerSpec {
            image: Some(self.image.clone()),
            labels: Some(HashMap::from([(
                TENANT_LABEL.to_owned(),
                self.name.to_string(),
            )])),
            env: Some(self.env()),
            capability_drop: Some(vec!["ALL".to_owned()]),
            capability_add: Some(
                TENANT_CAPABILITIES
                    .iter()
                    .map(|c| (*c).to_owned())
                    .collect(),
            ),
            // Apache binds port 80 as www-data: no privilege needed inside the task's own
            // network namespace.
            sysctls: Some(HashMap::from([(
                "net.ipv4.ip_unprivileged_port_start".to_owned(),
                "0".to_owned(),
            )])),
            mounts: Some(vec![Mount {
                target: Some(WP_CONTENT_PATH.to_owned()),
                source: Some(self.name.volume_name()),
                typ: Some(MountType::VOLUME),
                ..Default::default()
            }]),
            secrets: Some(vec![
                secret_file(&self.db_secret, DB_PASSWORD_FILE),
                secret_file(&self.admin_secret, ADMIN_PASSWORD_FILE),
                secret_file(&self.s3_secret, S3_CREDENTIALS_FILE),
            ]),
            // No engine health check, whatever the image declares: each probe is an exec (a
            // runc start), most of an idle site's CPU. The controller asks the site through
            // the edge instead (views::readiness) and the image watches its own Apache.
            health_check: Some(HealthConfig {
                test: Some(vec!["NONE".to_owned()]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let placement = self.region.as_ref().map(|region| TaskSpecPlacement {
            constraints: Some(vec![format!(
                "node.labels.swarmpress.region.{region}==true"
            )]),
            ..Default::default()
        });
        TaskSpec {
            container_spec: Some(container_spec),
            resources: Some(TaskSpecResources {
                limits: Some(Limit {
                    nano_cpus: Some(self.cpu_nanos),
                    memory_bytes: Some(self.memory_bytes),
                    pids: Some(TENANT_PIDS_LIMIT),
                }),
                // What the scheduler keeps free for the site, and so how many sites a node
                // takes: about what an idle site uses — an eighth of its memory limit (an idle
                // site holds ~36 MiB; 64 MiB of a 512 MiB replica) and a hundredth of its CPU
                // limit (idle sites cost ~1 ms of CPU a second). Limits are overcommitted, as
                // every shared host does: sites rarely peak together, Apache's worker count
                // keeps one replica inside its memory limit, and the platform's own
                // reservations stay whole. Half the memory and a tenth of the CPU, as before,
                // filled a 2-core node with ~20 idle sites.
                reservations: Some(ResourceObject {
                    nano_cpus: Some(self.cpu_nanos / 100),
                    memory_bytes: Some(self.memory_bytes / 8),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            restart_policy: Some(TaskSpecRestartPolicy {
                condition: Some(TaskSpecRestartPolicyConditionEnum::ANY),
                delay: Some(2 * NANOS_PER_SECOND),
                ..Default::default()
            }),
            placement,
            networks: Some(vec![
                network(&self.network_edge),
                network(&self.network_data),
            ]),
            ..Default::default()
        }
    }

    fn validate(&self) -> Result<(), ServiceSpecError> {
        if let Some(prefix) = &self.path_prefix {
            let valid = prefix.len() > 1
                && prefix.starts_with('/')
                && !prefix.ends_with('/')
                && !prefix.contains("//")
                && prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._~-/".contains(c));
            if !valid {
                return Err(ServiceSpecError::PathPrefix(prefix.clone()));
            }
        }
        let domain_ok = !self.base_domain.is_empty()
            && self.base_domain.split('.').all(|label| {
                !label.is_empty()
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            });
        if !domain_ok {
            return Err(ServiceSpecError::BaseDomain(self.base_domain.clone()));
        }
        if let Some(region) = &self.region
            && !is_label_value(region)
        {
            return Err(ServiceSpecError::Region(region.clone()));
        }
        if !is_label_value(&self.restart_token) {
            return Err(ServiceSpecError::RestartToken(self.restart_token.clone()));
        }
        Ok(())
    }
}

fn is_label_value(value: &str) -> bool {
    !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn secret_file(secret: &SecretRef, file_name: &str) -> TaskSpecContainerSpecSecrets {
    TaskSpecContainerSpecSecrets {
        secret_id: Some(secret.id.clone()),
        secret_name: Some(secret.name.clone()),
        // The engine's defaults, made explicit: root-owned and world-readable, so the
        // entrypoint can read it whichever user it drops to.
        file: Some(TaskSpecContainerSpecFile {
            name: Some(file_name.to_owned()),
            uid: Some("0".to_owned()),
            gid: Some("0".to_owned()),
            mode: Some(0o444),
        }),
    }
}

fn network(name: &str) -> NetworkAttachmentConfig {
    NetworkAttachmentConfig {
        target: Some(name.to_owned()),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> WordPressService {
        WordPressService {
            name: TenantName::parse("acme-blog").unwrap(),
            image: "swarmpress/wordpress:latest".into(),
            replicas: 2,
            cpu_nanos: 500_000_000,
            memory_bytes: 512 * 1024 * 1024,
            public_url: "http://acme-blog.localhost:8080/".into(),
            path_prefix: None,
            site_title: "Acme Blog".into(),
            admin_user: "admin".into(),
            admin_email: "admin@acme.test".into(),
            db_host: "mariadb".into(),
            db_secret: SecretRef {
                id: "db-id".into(),
                name: "wp_acme-blog_db_password_1".into(),
            },
            admin_secret: SecretRef {
                id: "admin-id".into(),
                name: "wp_acme-blog_admin_password_1".into(),
            },
            s3_secret: SecretRef {
                id: "s3-id".into(),
                name: "wp_acme-blog_s3_1".into(),
            },
            s3_endpoint: "http://s3:8333".into(),
            network_edge: EDGE_NETWORK.into(),
            network_data: DATA_NETWORK.into(),
            base_domain: "localhost".into(),
            region: None,
            env: BTreeMap::from([
                ("WP_DEBUG".to_owned(), "1".to_owned()),
                ("WORDPRESS_DB_HOST".to_owned(), "elsewhere".to_owned()),
            ]),
            restart_token: "abc123".into(),
            rebuild_token: None,
        }
    }

    fn container(spec: &ServiceSpec) -> &TaskSpecContainerSpec {
        spec.task_template
            .as_ref()
            .and_then(|t| t.container_spec.as_ref())
            .unwrap()
    }

    fn env(spec: &ServiceSpec) -> HashMap<String, String> {
        container(spec)
            .env
            .as_ref()
            .unwrap()
            .iter()
            .map(|entry| {
                let (key, value) = entry.split_once('=').unwrap();
                (key.to_owned(), value.to_owned())
            })
            .collect()
    }

    #[test]
    fn names_and_mode() {
        let spec = service().to_spec().unwrap();
        assert_eq!(spec.name.as_deref(), Some("wp_acme-blog"));
        assert_eq!(
            spec.mode.unwrap().replicated.unwrap().replicas,
            Some(2),
            "replicated with the requested count"
        );
        assert_eq!(
            spec.endpoint_spec.unwrap().mode,
            Some(EndpointSpecModeEnum::DNSRR)
        );
    }

    #[test]
    fn labels_name_the_owner_and_the_route() {
        let built = service().build().unwrap();
        let labels = built.spec.labels.unwrap();
        let expect = [
            ("swarmpress.tenant", "acme-blog"),
            ("swarmpress.spec-hash", built.hash.as_str()),
            ("swarmpress.restart-token", "abc123"),
            ("swarmpress.edge.rule", "Host(`acme-blog.localhost`)"),
        ];
        for (key, value) in expect {
            assert_eq!(labels.get(key).map(String::as_str), Some(value), "{key}");
        }
        assert_eq!(
            labels.len(),
            expect.len(),
            "no unexpected labels: {labels:?}"
        );
    }

    #[test]
    fn path_prefix_is_routed_and_passed_on() {
        let mut with_prefix = service();
        with_prefix.path_prefix = Some("/blog".into());
        let spec = with_prefix.to_spec().unwrap();
        assert_eq!(
            spec.labels.as_ref().unwrap()["swarmpress.edge.rule"],
            "Host(`acme-blog.localhost`) && PathPrefix(`/blog`)"
        );
        assert_eq!(env(&spec)["WORDPRESS_PATH_PREFIX"], "/blog");

        let without = service().to_spec().unwrap();
        assert!(!env(&without).contains_key("WORDPRESS_PATH_PREFIX"));
    }

    #[test]
    fn workers_are_sized_to_the_replica_memory() {
        assert_eq!(workers_for(128 * 1024 * 1024), 3);
        assert_eq!(workers_for(256 * 1024 * 1024), 6);
        assert_eq!(workers_for(64 * 1024 * 1024), 2, "never fewer than two");
        assert_eq!(
            workers_for(8 * 1024 * 1024 * 1024),
            16,
            "never more than the cap"
        );
    }

    #[test]
    fn environment_follows_the_image_contract() {
        let env = env(&service().to_spec().unwrap());
        let expect = [
            ("WORDPRESS_DB_HOST", "mariadb"),
            ("WORDPRESS_DB_NAME", "wp_acme_blog"),
            ("WORDPRESS_DB_USER", "wp_acme_blog"),
            ("WORDPRESS_DB_PASSWORD_FILE", "/run/secrets/db_password"),
            ("WORDPRESS_URL", "http://acme-blog.localhost:8080"),
            ("WORDPRESS_TITLE", "Acme Blog"),
            ("WORDPRESS_ADMIN_USER", "admin"),
            ("WORDPRESS_ADMIN_EMAIL", "admin@acme.test"),
            (
                "WORDPRESS_ADMIN_PASSWORD_FILE",
                "/run/secrets/admin_password",
            ),
            ("WORDPRESS_S3_ENDPOINT", "http://s3:8333"),
            // 512 MiB: 12 workers of 40 MiB.
            ("SWARMPRESS_MAX_WORKERS", "12"),
            ("WORDPRESS_S3_BUCKET", "wp-acme-blog"),
            (
                "WORDPRESS_S3_CREDENTIALS_FILE",
                "/run/secrets/s3_credentials",
            ),
            // The site's own variable; its WORDPRESS_DB_HOST is not the platform's to override.
            ("WP_DEBUG", "1"),
        ];
        for (key, value) in expect {
            assert_eq!(env.get(key).map(String::as_str), Some(value), "{key}");
        }
        assert_eq!(env.len(), expect.len(), "no plain-text passwords: {env:?}");
    }

    #[test]
    fn secrets_are_files_and_content_is_the_tenant_volume() {
        let spec = service().to_spec().unwrap();
        let container = container(&spec);
        let secrets = container.secrets.as_ref().unwrap();
        let mounted: Vec<_> = secrets
            .iter()
            .map(|s| {
                (
                    s.secret_id.as_deref().unwrap(),
                    s.secret_name.as_deref().unwrap(),
                    s.file.as_ref().unwrap().name.as_deref().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            mounted,
            [
                ("db-id", "wp_acme-blog_db_password_1", "db_password"),
                (
                    "admin-id",
                    "wp_acme-blog_admin_password_1",
                    "admin_password"
                ),
                ("s3-id", "wp_acme-blog_s3_1", "s3_credentials"),
            ]
        );
        let mounts = container.mounts.as_ref().unwrap();
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].typ, Some(MountType::VOLUME));
        assert_eq!(mounts[0].source.as_deref(), Some("wp_acme-blog_content"));
        assert_eq!(
            mounts[0].target.as_deref(),
            Some("/var/lib/wordpress/wp-content")
        );
    }

    #[test]
    fn capabilities_are_dropped_but_for_the_entrypoints_and_port_80_needs_none() {
        let container = service()
            .to_spec()
            .unwrap()
            .task_template
            .unwrap()
            .container_spec
            .unwrap();
        assert_eq!(container.capability_drop.unwrap(), ["ALL"]);
        let added = container.capability_add.unwrap();
        assert!(
            !added
                .iter()
                .any(|c| c == "CAP_NET_RAW" || c == "CAP_NET_BIND_SERVICE")
        );
        assert_eq!(
            container
                .sysctls
                .unwrap()
                .get("net.ipv4.ip_unprivileged_port_start")
                .map(String::as_str),
            Some("0")
        );
    }

    #[test]
    fn networks_resources_restart_and_no_placement_without_region() {
        let spec = service().to_spec().unwrap();
        let task = spec.task_template.unwrap();
        let networks: Vec<_> = task
            .networks
            .unwrap()
            .into_iter()
            .map(|n| n.target.unwrap())
            .collect();
        assert_eq!(networks, ["swarmpress_edge", "swarmpress_data"]);
        let limits = task.resources.as_ref().unwrap().limits.clone().unwrap();
        assert_eq!(limits.nano_cpus, Some(500_000_000));
        assert_eq!(limits.memory_bytes, Some(512 * 1024 * 1024));
        assert_eq!(limits.pids, Some(TENANT_PIDS_LIMIT));
        let reservations = task
            .resources
            .as_ref()
            .unwrap()
            .reservations
            .clone()
            .unwrap();
        assert_eq!(reservations.nano_cpus, Some(5_000_000));
        assert_eq!(reservations.memory_bytes, Some(64 * 1024 * 1024));
        let restart = task.restart_policy.unwrap();
        assert_eq!(
            restart.condition,
            Some(TaskSpecRestartPolicyConditionEnum::ANY)
        );
        assert_eq!(restart.delay, Some(2_000_000_000));
        assert_eq!(task.placement, None);
    }

    #[test]
    fn region_becomes_a_placement_constraint() {
        let mut regional = service();
        regional.region = Some("eu-west".into());
        let placement = regional.to_spec().unwrap().task_template.unwrap().placement;
        assert_eq!(
            placement.unwrap().constraints.unwrap(),
            ["node.labels.swarmpress.region.eu-west==true"]
        );
    }

    #[test]
    fn updates_start_first_and_roll_back() {
        let spec = service().to_spec().unwrap();
        let update = spec.update_config.unwrap();
        assert_eq!(update.parallelism, Some(1));
        assert_eq!(
            update.order,
            Some(ServiceSpecUpdateConfigOrderEnum::START_FIRST)
        );
        assert_eq!(
            update.failure_action,
            Some(ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK)
        );
        assert_eq!(update.monitor, Some(30_000_000_000));
        let rollback = spec.rollback_config.unwrap();
        assert_eq!(rollback.parallelism, Some(1));
        assert_eq!(
            rollback.order,
            Some(ServiceSpecRollbackConfigOrderEnum::START_FIRST)
        );
    }

    #[test]
    fn rejects_values_that_would_break_the_rule_or_constraint() {
        for prefix in ["blog", "/blog/", "/", "/a`)||Host(`x", "/a b", "//x"] {
            let mut bad = service();
            bad.path_prefix = Some(prefix.into());
            assert_eq!(
                bad.to_spec(),
                Err(ServiceSpecError::PathPrefix(prefix.into())),
                "{prefix:?}"
            );
        }
        for domain in ["", "Example.com", "a..b", "x`)", "-a.b"] {
            let mut bad = service();
            bad.base_domain = domain.into();
            assert_eq!(
                bad.to_spec(),
                Err(ServiceSpecError::BaseDomain(domain.into())),
                "{domain:?}"
            );
        }
        let mut bad = service();
        bad.region = Some("eu west==true".into());
        assert!(matches!(bad.to_spec(), Err(ServiceSpecError::Region(_))));
        let mut bad = service();
        bad.restart_token = String::new();
        assert!(matches!(
            bad.to_spec(),
            Err(ServiceSpecError::RestartToken(_))
        ));
    }

    #[test]
    fn the_hash_covers_the_finished_spec_and_is_its_label() {
        let built = service().build().unwrap();
        let labels = built.spec.labels.as_ref().unwrap();
        assert_eq!(labels[SPEC_HASH_LABEL], built.hash);
        assert_eq!(labels[RESTART_TOKEN_LABEL], "abc123");
        assert_eq!(service().build().unwrap().hash, built.hash, "deterministic");
        let mut restarted = service();
        restarted.restart_token = "def456".into();
        assert_ne!(restarted.build().unwrap().hash, built.hash);
        let mut env = service();
        env.env.insert("WP_DEBUG".to_owned(), "0".to_owned());
        assert_ne!(env.build().unwrap().hash, built.hash);
    }

    #[test]
    fn serializes_to_the_engine_field_names() {
        let json = serde_json::to_value(service().to_spec().unwrap()).unwrap();
        assert_eq!(json["EndpointSpec"]["Mode"], "dnsrr");
        assert_eq!(json["UpdateConfig"]["Order"], "start-first");
        assert_eq!(json["UpdateConfig"]["FailureAction"], "rollback");
        assert_eq!(json["TaskTemplate"]["RestartPolicy"]["Condition"], "any");
        assert_eq!(
            json["TaskTemplate"]["ContainerSpec"]["Mounts"][0]["Type"],
            "volume"
        );
        // Fields left unset must be omitted, not sent as null: API 1.41 engines reject
        // some nulls and newer fields they do not know.
        assert!(json["TaskTemplate"].get("PluginSpec").is_none());
    }
}
