//! The consistency checker: the store's tenants against the world they describe — Swarm
//! services, tasks, secrets and volumes, MariaDB databases, users and grants, S3 buckets and
//! identities — with every difference reported (`scripts/check` for an operator, and the
//! test suites after each fault they inject).
//!
//! It reads only, through the same adapters the controller uses, so what it calls a tenant's
//! object is exactly what the controller makes and orphan collection removes. The comparison
//! ([`compare`]) is a pure function of the listings, the tenants and the clock; [`observe`]
//! does the I/O.
//!
//! What counts as a difference:
//! - a tenant (not being deleted, older than the grace) without one of its objects;
//! - an object of ours (our name and, for Swarm objects, our label; never a stack's) whose
//!   tenant has no record — the orphan collector removes these after its own grace, so a
//!   check right after a deletion may see one;
//! - a status that contradicts the world: it claims the current generation while the service
//!   runs another replica count than the spec's, or says the site is available while no task
//!   of it runs, or stopped while one does;
//! - a tenant secret older than the grace that its service does not mount;
//! - a tenant database user holding any grant but `USAGE` on `*.*` and its own database;
//! - a tenant S3 identity whose policy allows anything but its own bucket and its objects.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::time::Duration;

use bollard::Docker;
use bollard::models::{Secret, Service, TaskState};
use bollard::query_parameters::{
    ListSecretsOptionsBuilder, ListServicesOptionsBuilder, ListTasksOptionsBuilder,
    ListVolumesOptionsBuilder,
};
use chrono::{DateTime, Utc};
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::{ConditionStatus, ConditionType, Phase, Tenant, TenantState};

use crate::adapters::mariadb::{MariaDbError, TenantDatabases, grant_pattern};
use crate::adapters::s3::{BucketError, TenantBuckets};
use crate::adapters::s3_identity::{IdentityError, TenantIdentities};
use crate::adapters::swarm::TENANT_LABEL;
use crate::orphans::STACK_LABEL;

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("Docker: {0}")]
    Docker(#[from] bollard::errors::Error),
    #[error(transparent)]
    MariaDb(#[from] MariaDbError),
    #[error(transparent)]
    Bucket(#[from] BucketError),
    #[error(transparent)]
    Identity(#[from] IdentityError),
}

/// One difference between the store and the world.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The tenant it concerns (the record's, or the one an orphan's name says).
    pub tenant: String,
    /// What: `service wp_acme`, `database wp_acme`, `status`, …
    pub object: String,
    pub problem: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.tenant, self.object, self.problem)
    }
}

/// A tenant's Swarm service as the checker needs it.
#[derive(Debug, Clone, Default)]
pub struct ServiceFacts {
    /// `spec.mode.replicated.replicas`.
    pub replicas: u64,
    /// Tasks the engine reports running now.
    pub running_tasks: u64,
    /// Names of the secrets its task template mounts.
    pub secrets: BTreeSet<String>,
}

/// A tenant secret: the tenant its label names, and when it was made.
#[derive(Debug, Clone)]
pub struct SecretFacts {
    pub tenant: String,
    pub created: Option<DateTime<Utc>>,
}

/// Everything of ours the world holds, by tenant name as the object's name says.
#[derive(Debug, Clone, Default)]
pub struct World {
    pub services: BTreeMap<String, ServiceFacts>,
    pub secrets: BTreeMap<String, SecretFacts>,
    /// Volume names labelled as a tenant's.
    pub volumes: BTreeMap<String, String>,
    pub databases: BTreeSet<String>,
    pub users: BTreeSet<String>,
    /// Each tenant-like user's grants as `(privileges, object)`.
    pub grants: BTreeMap<String, Vec<(String, String)>>,
    pub buckets: BTreeSet<String>,
    pub identities: BTreeSet<String>,
    /// Each tenant identity's inline policy document, as S3 keeps it (`None`: it has none).
    pub policies: BTreeMap<String, Option<String>>,
}

/// The adapters the checker reads through.
pub struct Sources<'a> {
    pub docker: &'a Docker,
    pub databases: &'a TenantDatabases,
    pub buckets: &'a TenantBuckets,
    pub identities: &'a TenantIdentities,
}

fn labels_of(labels: Option<&HashMap<String, String>>) -> Option<&String> {
    let labels = labels?;
    if labels.contains_key(STACK_LABEL) {
        return None;
    }
    labels.get(TENANT_LABEL)
}

fn mounted_secrets(service: &Service) -> BTreeSet<String> {
    service
        .spec
        .as_ref()
        .and_then(|spec| spec.task_template.as_ref())
        .and_then(|template| template.container_spec.as_ref())
        .and_then(|container| container.secrets.as_ref())
        .into_iter()
        .flatten()
        .filter_map(|secret| secret.secret_name.clone())
        .collect()
}

fn secret_entry(secret: &Secret) -> Option<(String, SecretFacts)> {
    let spec = secret.spec.as_ref()?;
    let tenant = labels_of(spec.labels.as_ref())?;
    let created = secret
        .created_at
        .as_deref()
        .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
        .map(|at| at.with_timezone(&Utc));
    Some((
        spec.name.clone()?,
        SecretFacts {
            tenant: tenant.clone(),
            created,
        },
    ))
}

/// Lists the world: every listing is one request (grants: one per tenant-like user).
pub async fn observe(sources: &Sources<'_>) -> Result<World, CheckError> {
    let label = HashMap::from([("label".to_owned(), vec![TENANT_LABEL.to_owned()])]);
    let services = sources
        .docker
        .list_services(Some(
            ListServicesOptionsBuilder::new().filters(&label).build(),
        ))
        .await?;
    let running = HashMap::from([("desired-state".to_owned(), vec!["running".to_owned()])]);
    let tasks = sources
        .docker
        .list_tasks(Some(
            ListTasksOptionsBuilder::new().filters(&running).build(),
        ))
        .await?;
    let mut running_by_service: HashMap<String, u64> = HashMap::new();
    for task in &tasks {
        let is_running = task
            .status
            .as_ref()
            .and_then(|status| status.state)
            .is_some_and(|state| state == TaskState::RUNNING);
        if let (true, Some(service)) = (is_running, task.service_id.as_ref()) {
            *running_by_service.entry(service.clone()).or_default() += 1;
        }
    }
    let mut world = World::default();
    for service in &services {
        let Some(spec) = service.spec.as_ref() else {
            continue;
        };
        if labels_of(spec.labels.as_ref()).is_none() {
            continue;
        }
        let Some(name) = spec.name.clone() else {
            continue;
        };
        let replicas = spec
            .mode
            .as_ref()
            .and_then(|mode| mode.replicated.as_ref())
            .and_then(|replicated| replicated.replicas)
            .and_then(|replicas| u64::try_from(replicas).ok())
            .unwrap_or(0);
        let running_tasks = service
            .id
            .as_ref()
            .and_then(|id| running_by_service.get(id))
            .copied()
            .unwrap_or(0);
        world.services.insert(
            name,
            ServiceFacts {
                replicas,
                running_tasks,
                secrets: mounted_secrets(service),
            },
        );
    }
    world.secrets = sources
        .docker
        .list_secrets(Some(
            ListSecretsOptionsBuilder::new().filters(&label).build(),
        ))
        .await?
        .iter()
        .filter_map(secret_entry)
        .collect();
    let volumes = sources
        .docker
        .list_volumes(Some(
            ListVolumesOptionsBuilder::new().filters(&label).build(),
        ))
        .await?;
    world.volumes = volumes
        .volumes
        .unwrap_or_default()
        .into_iter()
        .filter_map(|volume| {
            let tenant = labels_of(Some(&volume.labels))?.clone();
            Some((volume.name, tenant))
        })
        .collect();
    let (databases, users) = sources.databases.list_tenant_like().await?;
    for user in &users {
        world
            .grants
            .insert(user.clone(), sources.databases.grants(user).await?);
    }
    world.databases = databases.into_iter().collect();
    world.users = users.into_iter().collect();
    world.buckets = sources
        .buckets
        .list_tenant_buckets()
        .await?
        .into_iter()
        .collect();
    world.identities = sources
        .identities
        .list_tenant_users()
        .await?
        .into_iter()
        .collect();
    for identity in &world.identities {
        if let Some(tenant) = TenantName::from_bucket_name(identity) {
            let policy = sources.identities.inline_policy(&tenant).await?;
            world.policies.insert(identity.clone(), policy);
        }
    }
    Ok(world)
}

/// Every difference between `tenants` (the store's records) and `world`. A tenant created
/// less than `grace` ago, or a secret made less than `grace` ago, may still be in flight and
/// is not held to the rules that need a finished reconcile.
pub fn compare(
    tenants: &[Tenant],
    world: &World,
    now: DateTime<Utc>,
    grace: Duration,
) -> Vec<Finding> {
    let grace = chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::MAX);
    let mut findings = Vec::new();
    let mut find = |tenant: &str, object: String, problem: String| {
        findings.push(Finding {
            tenant: tenant.to_owned(),
            object,
            problem,
        });
    };
    let known: BTreeSet<&str> = tenants.iter().map(|t| t.metadata.name.as_str()).collect();
    for tenant in tenants {
        let name = &tenant.metadata.name;
        if tenant.is_deleting() || now - tenant.metadata.creation_timestamp < grace {
            continue;
        }
        check_objects(name, world, &mut find);
        if let Some(service) = world.services.get(&name.service_name()) {
            check_status(tenant, service, &mut find);
        }
    }
    check_orphans(&known, world, &mut find);
    for (secret, SecretFacts { tenant, created }) in &world.secrets {
        let settled = created.is_some_and(|at| now - at >= grace);
        let mounted = world
            .services
            .values()
            .any(|service| service.secrets.contains(secret));
        if settled && known.contains(tenant.as_str()) && !mounted {
            find(
                tenant,
                format!("secret {secret}"),
                "mounted by no service".to_owned(),
            );
        }
    }
    for (user, grants) in &world.grants {
        let own = format!("`{}`.*", grant_pattern(user));
        for (privileges, object) in grants {
            let allowed = (privileges == "USAGE" && object == "*.*") || *object == own;
            if !allowed {
                let tenant = tenant_or_name(TenantName::from_database_name(user), user);
                find(
                    &tenant,
                    format!("database user {user}"),
                    format!("holds {privileges} ON {object}, beyond its own database"),
                );
            }
        }
    }
    for (identity, policy) in &world.policies {
        let Some(policy) = policy else {
            continue;
        };
        for problem in policy_problems(identity, policy) {
            let tenant = tenant_or_name(TenantName::from_bucket_name(identity), identity);
            find(&tenant, format!("S3 identity {identity}"), problem);
        }
    }
    findings.sort();
    findings
}

/// What `policy` (an IAM policy document) allows beyond `bucket` — the identity's name is
/// its bucket's — and its objects; a document that does not parse is a problem too.
fn policy_problems(bucket: &str, policy: &str) -> Vec<String> {
    let Ok(document) = serde_json::from_str::<serde_json::Value>(policy) else {
        return vec!["holds a policy that is not a JSON document".to_owned()];
    };
    let own = [
        format!("arn:aws:s3:::{bucket}"),
        format!("arn:aws:s3:::{bucket}/*"),
    ];
    let as_list = |value: &serde_json::Value| -> Vec<String> {
        match value {
            serde_json::Value::String(one) => vec![one.clone()],
            serde_json::Value::Array(many) => many
                .iter()
                .map(|item| {
                    item.as_str()
                        .map_or_else(|| item.to_string(), str::to_owned)
                })
                .collect(),
            other => vec![other.to_string()],
        }
    };
    let statements = match &document["Statement"] {
        serde_json::Value::Array(statements) => statements.clone(),
        serde_json::Value::Null => Vec::new(),
        one => vec![one.clone()],
    };
    let mut problems = Vec::new();
    for statement in statements {
        if statement["Effect"].as_str() != Some("Allow") {
            continue;
        }
        let resources = as_list(&statement["Resource"]);
        if resources.is_empty() || statement["Resource"].is_null() {
            problems.push("allows a statement that names no resource".to_owned());
        }
        for resource in resources {
            if !own.contains(&resource) {
                problems.push(format!("allows {resource}, beyond its own bucket"));
            }
        }
    }
    problems
}

/// The tenant an object's name says it belongs to, or the name itself when it says none.
fn tenant_or_name(tenant: Option<TenantName>, name: &str) -> String {
    tenant.map_or_else(|| name.to_owned(), String::from)
}

fn check_objects(name: &TenantName, world: &World, find: &mut impl FnMut(&str, String, String)) {
    let missing = [
        (
            "service",
            name.service_name(),
            world.services.contains_key(&name.service_name()),
        ),
        (
            "volume",
            name.volume_name(),
            world.volumes.contains_key(&name.volume_name()),
        ),
        (
            "database",
            name.database_name(),
            world.databases.contains(&name.database_name()),
        ),
        (
            "database user",
            name.database_user(),
            world.users.contains(&name.database_user()),
        ),
        (
            "bucket",
            name.bucket_name(),
            world.buckets.contains(&name.bucket_name()),
        ),
        (
            "S3 identity",
            TenantIdentities::user_name(name),
            world
                .identities
                .contains(&TenantIdentities::user_name(name)),
        ),
    ];
    for (kind, object, present) in missing {
        if !present {
            find(
                name.as_str(),
                format!("{kind} {object}"),
                "missing".to_owned(),
            );
        }
    }
}

fn check_status(
    tenant: &Tenant,
    service: &ServiceFacts,
    find: &mut impl FnMut(&str, String, String),
) {
    let name = tenant.metadata.name.as_str();
    let status = &tenant.status;
    let wanted = match tenant.spec.state {
        TenantState::Running => u64::from(tenant.spec.replicas),
        TenantState::Stopped => 0,
    };
    if status.observed_generation == tenant.metadata.generation && service.replicas != wanted {
        find(
            name,
            "status".to_owned(),
            format!(
                "claims generation {} is applied, but the service asks for {} replicas and \
                 the spec for {wanted}",
                status.observed_generation, service.replicas
            ),
        );
    }
    let available = status
        .condition(ConditionType::Available)
        .is_some_and(|condition| condition.status == ConditionStatus::True);
    if available && status.phase == Phase::Running && service.running_tasks == 0 {
        find(
            name,
            "status".to_owned(),
            "says the site is available, but no task of it runs".to_owned(),
        );
    }
    if status.phase == Phase::Stopped && service.running_tasks > 0 {
        find(
            name,
            "status".to_owned(),
            format!(
                "says the site is stopped, but {} task(s) of it run",
                service.running_tasks
            ),
        );
    }
}

fn check_orphans(
    known: &BTreeSet<&str>,
    world: &World,
    find: &mut impl FnMut(&str, String, String),
) {
    let mut orphan = |kind: &str, object: &str, tenant: Option<String>| {
        if let Some(tenant) = tenant
            && !known.contains(tenant.as_str())
        {
            find(
                &tenant,
                format!("{kind} {object}"),
                "belongs to no tenant".to_owned(),
            );
        }
    };
    for name in world.services.keys() {
        orphan(
            "service",
            name,
            TenantName::from_service_name(name).map(String::from),
        );
    }
    for (name, tenant) in &world.volumes {
        orphan("volume", name, Some(tenant.clone()));
    }
    for (name, secret) in &world.secrets {
        orphan("secret", name, Some(secret.tenant.clone()));
    }
    for name in &world.databases {
        orphan(
            "database",
            name,
            Some(tenant_or_name(TenantName::from_database_name(name), name)),
        );
    }
    for name in &world.users {
        orphan(
            "database user",
            name,
            Some(tenant_or_name(TenantName::from_database_name(name), name)),
        );
    }
    for name in &world.buckets {
        orphan(
            "bucket",
            name,
            Some(tenant_or_name(TenantName::from_bucket_name(name), name)),
        );
    }
    for name in &world.identities {
        orphan(
            "S3 identity",
            name,
            Some(tenant_or_name(TenantName::from_bucket_name(name), name)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(name: &str, created_ago: i64) -> Tenant {
        let mut tenant: Tenant = serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": name,
                "uid": "00000000-0000-0000-0000-000000000001",
                "owner": "00000000-0000-0000-0000-000000000002",
                "generation": 1,
                "resourceVersion": "1",
                "creationTimestamp": "2026-12-07T12:00:00Z",
            },
            "spec": {"displayName": "Blog", "region": "eu-west", "replicas": 1,
                     "admin": {"user": "admin", "email": "a@b.test"}},
        }))
        .unwrap();
        tenant.metadata.creation_timestamp = Utc::now() - chrono::Duration::seconds(created_ago);
        tenant
    }

    fn facts(tenant: &str, age_seconds: i64) -> SecretFacts {
        SecretFacts {
            tenant: tenant.to_owned(),
            created: Some(Utc::now() - chrono::Duration::seconds(age_seconds)),
        }
    }

    fn world_of(name: &TenantName) -> World {
        let secret = name.secret_name("db", "0a1b2c3d");
        let mut world = World::default();
        world.services.insert(
            name.service_name(),
            ServiceFacts {
                replicas: 1,
                running_tasks: 1,
                secrets: BTreeSet::from([secret.clone()]),
            },
        );
        world.secrets.insert(secret, facts("acme", 3600));
        world.volumes.insert(name.volume_name(), name.to_string());
        world.databases.insert(name.database_name());
        world.users.insert(name.database_user());
        world.grants.insert(
            name.database_user(),
            vec![
                ("USAGE".to_owned(), "*.*".to_owned()),
                (
                    "ALL PRIVILEGES".to_owned(),
                    format!("`{}`.*", grant_pattern(&name.database_name())),
                ),
            ],
        );
        world.buckets.insert(name.bucket_name());
        world.identities.insert(TenantIdentities::user_name(name));
        world
    }

    const GRACE: Duration = Duration::from_secs(60);

    #[test]
    fn a_tenant_with_all_its_objects_is_consistent() {
        let acme = tenant("acme", 600);
        let world = world_of(&acme.metadata.name);
        assert_eq!(compare(&[acme], &world, Utc::now(), GRACE), []);
    }

    #[test]
    fn every_missing_object_and_every_orphan_is_reported() {
        let acme = tenant("acme", 600);
        let mut world = world_of(&acme.metadata.name);
        world.buckets.clear();
        world.users.clear();
        let ghost = TenantName::parse("ghost").unwrap();
        world.databases.insert(ghost.database_name());
        let findings = compare(&[acme], &world, Utc::now(), GRACE);
        let described: Vec<String> = findings.iter().map(ToString::to_string).collect();
        assert_eq!(
            described,
            [
                "acme: bucket wp-acme: missing",
                "acme: database user wp_acme: missing",
                "ghost: database wp_ghost: belongs to no tenant",
            ]
        );
    }

    #[test]
    fn an_identity_allowed_beyond_its_bucket_is_reported() {
        let acme = tenant("acme", 600);
        let mut world = world_of(&acme.metadata.name);
        let own = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
            "Action":["s3:GetObject"],"Resource":["arn:aws:s3:::wp-acme","arn:aws:s3:::wp-acme/*"]}]}"#;
        world
            .policies
            .insert("wp-acme".to_owned(), Some(own.to_owned()));
        assert_eq!(
            compare(std::slice::from_ref(&acme), &world, Utc::now(), GRACE),
            []
        );
        let broad = r#"{"Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#;
        world
            .policies
            .insert("wp-acme".to_owned(), Some(broad.to_owned()));
        let described: Vec<String> =
            compare(std::slice::from_ref(&acme), &world, Utc::now(), GRACE)
                .iter()
                .map(ToString::to_string)
                .collect();
        assert_eq!(
            described,
            ["acme: S3 identity wp-acme: allows *, beyond its own bucket"]
        );
        let other = r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject",
            "Resource":["arn:aws:s3:::wp-acme/*","arn:aws:s3:::wp-other/*"]}]}"#;
        world
            .policies
            .insert("wp-acme".to_owned(), Some(other.to_owned()));
        assert_eq!(
            compare(std::slice::from_ref(&acme), &world, Utc::now(), GRACE).len(),
            1
        );
        world
            .policies
            .insert("wp-acme".to_owned(), Some("not json".to_owned()));
        assert_eq!(compare(&[acme], &world, Utc::now(), GRACE).len(), 1);
    }

    #[test]
    fn a_new_tenant_is_not_held_to_its_objects_yet() {
        let fresh = tenant("fresh", 5);
        assert_eq!(compare(&[fresh], &World::default(), Utc::now(), GRACE), []);
    }

    #[test]
    fn a_status_that_contradicts_the_world_is_reported() {
        let mut acme = tenant("acme", 600);
        acme.status.observed_generation = 1;
        acme.status.phase = Phase::Running;
        let mut world = world_of(&acme.metadata.name);
        let service = world.services.get_mut("wp_acme").unwrap();
        service.replicas = 3;
        let findings = compare(&[acme], &world, Utc::now(), GRACE);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(
            findings[0].problem.contains("asks for 3 replicas"),
            "{findings:?}"
        );
    }

    #[test]
    fn an_unmounted_secret_and_a_grant_beyond_the_database_are_reported() {
        let acme = tenant("acme", 600);
        let name = acme.metadata.name.clone();
        let mut world = world_of(&name);
        world
            .secrets
            .insert(name.secret_name("s3", "ffffffff"), facts("acme", 3600));
        // Made moments ago: a rotation in flight, not a finding yet.
        world
            .secrets
            .insert(name.secret_name("s3", "eeeeeeee"), facts("acme", 0));
        world
            .grants
            .get_mut("wp_acme")
            .unwrap()
            .push(("SELECT".to_owned(), "`mysql`.*".to_owned()));
        let described: Vec<String> = compare(&[acme], &world, Utc::now(), GRACE)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            described,
            [
                "acme: database user wp_acme: holds SELECT ON `mysql`.*, beyond its own database",
                "acme: secret wp_acme_s3_ffffffff: mounted by no service",
            ]
        );
    }
}
