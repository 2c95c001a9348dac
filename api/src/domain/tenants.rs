//! The rules for writing tenants: spec and label checks, the owner's plan (replicas per site,
//! sites per owner) and name ownership (names are global; a name taken by anyone is taken).

use std::collections::BTreeMap;

use secrecy::{ExposeSecret, SecretString};
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::validation::{FieldError, validate_labels};
use swarmpress_schema::resource::{Plan, SpecLimits, Tenant, TenantSpec, TenantState};
use swarmpress_schema::store::{Store, StoreError, WriteResult};
use uuid::Uuid;

/// Why a tenant write is refused, or failed.
#[derive(Debug, thiserror::Error)]
pub enum TenantWriteError {
    /// The spec or labels break the platform's rules.
    #[error("the tenant is invalid")]
    Invalid(Vec<FieldError>),
    /// The owner's plan does not allow it; `field` names what exceeds it.
    #[error("{message}")]
    QuotaExceeded {
        field: &'static str,
        message: String,
    },
    #[error("a tenant named {0:?} already exists")]
    NameTaken(String),
    #[error("tenant {0:?} not found")]
    NotFound(String),
    #[error("the tenant is being deleted and can no longer change")]
    Terminating,
    /// The tenant is no longer at the version the write expected.
    #[error("the object was changed meanwhile; its resourceVersion is now {0}")]
    Conflict(String),
    /// The store failed; not the caller's doing.
    #[error("store")]
    Store(#[source] StoreError),
}

pub type TenantWriteResult<T> = Result<T, TenantWriteError>;

impl TenantWriteError {
    /// The refusal as the field errors of a manifest document; `None` for a failure of the
    /// platform itself, which fails the whole request instead.
    pub fn field_errors(&self) -> Option<Vec<FieldError>> {
        let message = self.to_string();
        Some(match self {
            Self::Invalid(errors) => errors.clone(),
            Self::QuotaExceeded { field, .. } => vec![FieldError::new(*field, message)],
            Self::NameTaken(_) | Self::Terminating | Self::Conflict(_) => {
                vec![FieldError::new("metadata", message)]
            }
            Self::NotFound(_) => vec![FieldError::new("metadata.name", message)],
            Self::Store(_) => return None,
        })
    }

    fn of_store(name: &TenantName, error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound(name.to_string()),
            StoreError::AlreadyExists => Self::NameTaken(name.to_string()),
            StoreError::Terminating => Self::Terminating,
            StoreError::Conflict {
                current_resource_version,
            } => Self::Conflict(current_resource_version),
            other => Self::Store(other),
        }
    }
}

impl From<StoreError> for TenantWriteError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// Checks a spec and labels against the platform's rules. The plan's limits are checked
/// apart ([`check_plan_quota`], [`check_instance_quota`]): they are a different refusal.
pub fn check_spec(
    regions: &[String],
    spec: &TenantSpec,
    labels: &BTreeMap<String, String>,
) -> TenantWriteResult<()> {
    let limits = SpecLimits {
        regions: regions.to_vec(),
        max_replicas: u32::MAX,
    };
    let mut errors = spec.validate(&limits).err().unwrap_or_default();
    if let Err(label_errors) = validate_labels(labels) {
        errors.extend(
            label_errors
                .into_iter()
                .map(|e| FieldError::new(format!("metadata.{}", e.field), e.message)),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(TenantWriteError::Invalid(errors))
    }
}

/// Replicas, CPU and memory per replica within the owner's plan.
pub fn check_plan_quota(plan: &Plan, spec: &TenantSpec) -> TenantWriteResult<()> {
    match plan.exceeded_by(spec) {
        Some(exceeded) => Err(TenantWriteError::QuotaExceeded {
            field: exceeded.field,
            message: exceeded.message,
        }),
        None => Ok(()),
    }
}

/// Whether `new` asks more of the plan than `old`: more replicas, CPU or memory per
/// replica, or running again.
fn asks_more(old: &TenantSpec, new: &TenantSpec) -> bool {
    let cpu = |spec: &TenantSpec| spec.resources.cpu_quantity().ok();
    let memory = |spec: &TenantSpec| spec.resources.memory_quantity().ok();
    new.replicas > old.replicas
        || cpu(new) > cpu(old)
        || memory(new) > memory(old)
        || (old.state == TenantState::Stopped && new.state == TenantState::Running)
}

/// Whether an owner who has `count` tenants may create another one.
pub fn check_instance_quota(plan: &Plan, count: u64) -> TenantWriteResult<()> {
    if plan.allows_another_instance(count) {
        Ok(())
    } else {
        Err(instances_exceeded(plan))
    }
}

fn instances_exceeded(plan: &Plan) -> TenantWriteError {
    TenantWriteError::QuotaExceeded {
        field: "spec",
        message: format!(
            "the {} plan allows {}; upgrade to create more",
            plan.name,
            plan.max_instances
                .map_or_else(|| "unlimited sites".to_owned(), crate::words::sites)
        ),
    }
}

/// What writing tenants needs: the store, the platform's regions and its image catalogue.
pub struct Tenants<'a> {
    pub store: &'a Store,
    pub regions: &'a [String],
    /// The images users may choose (`SWARMPRESS_IMAGES`); completed fleet rollouts add theirs.
    pub images: &'a [String],
    /// An administrator may name any image.
    pub any_image: bool,
}

impl Tenants<'_> {
    /// Users pick from the catalogue: the configured images and any a fleet rollout has
    /// completed with. Keeping the tenant's current image (`current`, e.g. one a rollout
    /// set) is always allowed, as is leaving the image to the platform's default.
    async fn check_image(&self, current: Option<&str>, spec: &TenantSpec) -> TenantWriteResult<()> {
        let Some(image) = spec.image.as_deref() else {
            return Ok(());
        };
        if self.any_image || Some(image) == current || self.images.iter().any(|i| i == image) {
            return Ok(());
        }
        let rolled_out = self
            .store
            .completed_rollout_images()
            .await?
            .iter()
            .any(|rolled| rolled == image);
        if rolled_out {
            return Ok(());
        }
        Err(TenantWriteError::Invalid(vec![FieldError::new(
            "spec.image",
            format!(
                "not one of the platform's images; choose one of: {}",
                self.images.join(", ")
            ),
        )]))
    }

    /// Every check of a create by `owner` who already has `planned` creations pending (a
    /// dry run's earlier documents), without writing.
    pub async fn check_create(
        &self,
        owner: Uuid,
        labels: &BTreeMap<String, String>,
        spec: &TenantSpec,
        planned: u64,
    ) -> TenantWriteResult<()> {
        let plan = self.store.plan_of_user(owner).await?;
        check_spec(self.regions, spec, labels)?;
        self.check_image(None, spec).await?;
        check_plan_quota(&plan, spec)?;
        check_instance_quota(&plan, self.store.count_tenants(owner).await? + planned)
    }

    /// Checks a new tenant for `owner`, then stores it with its admin password. The site
    /// count is the store's to check, in the insert's own transaction, so parallel creates
    /// cannot exceed the plan together.
    pub async fn create(
        &self,
        owner: Uuid,
        name: &TenantName,
        labels: BTreeMap<String, String>,
        spec: TenantSpec,
        admin_password: &SecretString,
    ) -> TenantWriteResult<Tenant> {
        let plan = self.store.plan_of_user(owner).await?;
        check_spec(self.regions, &spec, &labels)?;
        self.check_image(None, &spec).await?;
        check_plan_quota(&plan, &spec)?;
        let created = self
            .store
            .create_tenant_within_quota(
                owner,
                name,
                labels,
                spec,
                admin_password.expose_secret(),
                plan.max_instances,
            )
            .await;
        match created {
            Ok(tenant) => Ok(tenant),
            Err(StoreError::QuotaExceeded { .. }) => Err(instances_exceeded(&plan)),
            Err(error) => Err(TenantWriteError::of_store(name, error)),
        }
    }

    /// The rules and the plan for a new spec and labels of `tenant`. Asking less is always
    /// allowed, even above a plan that was downgraded since; so the plan is read only when
    /// the spec asks more ([`asks_more`]).
    async fn check_change(
        &self,
        tenant: &Tenant,
        spec: &TenantSpec,
        labels: &BTreeMap<String, String>,
    ) -> TenantWriteResult<()> {
        check_spec(self.regions, spec, labels)?;
        self.check_image(tenant.spec.image.as_deref(), spec).await?;
        if asks_more(&tenant.spec, spec) {
            let plan = self.store.plan_of_user(tenant.metadata.owner).await?;
            check_plan_quota(&plan, spec)?;
        }
        Ok(())
    }

    /// Every check of replacing `tenant`'s spec and labels, without writing.
    pub async fn check_replace(
        &self,
        tenant: &Tenant,
        spec: &TenantSpec,
        labels: &BTreeMap<String, String>,
        expected_resource_version: Option<&str>,
    ) -> TenantWriteResult<()> {
        if tenant.is_deleting() {
            return Err(TenantWriteError::Terminating);
        }
        self.check_change(tenant, spec, labels).await?;
        match expected_resource_version {
            Some(expected) if expected != tenant.metadata.resource_version => Err(
                TenantWriteError::Conflict(tenant.metadata.resource_version.clone()),
            ),
            _ => Ok(()),
        }
    }

    /// Checks a replacement spec of `tenant`, then writes it (on the expected version).
    pub async fn replace(
        &self,
        tenant: &Tenant,
        spec: TenantSpec,
        labels: BTreeMap<String, String>,
        expected_resource_version: Option<&str>,
    ) -> TenantWriteResult<WriteResult> {
        self.check_change(tenant, &spec, &labels).await?;
        let name = &tenant.metadata.name;
        self.store
            .replace_spec(name, spec, labels, expected_resource_version)
            .await
            .map_err(|error| TenantWriteError::of_store(name, error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(max_instances: Option<u32>, max_replicas: u32) -> Plan {
        Plan {
            id: "free".to_owned(),
            name: "Free".to_owned(),
            max_instances,
            max_replicas,
            max_cpu_millis: 500,
            max_memory_mib: 512,
            storage_mib: 1024,
            bandwidth_gib: 10,
            php_workers_per_replica: 12,
            price_cents: 0,
            currency: "EUR".to_owned(),
            features: Vec::new(),
            feature_details: Vec::new(),
        }
    }

    fn spec(replicas: u32) -> TenantSpec {
        serde_json::from_value(serde_json::json!({
            "displayName": "Acme",
            "region": "eu-west",
            "replicas": replicas,
            "admin": {"user": "admin", "email": "admin@example.test"},
        }))
        .unwrap()
    }

    #[test]
    fn quotas_name_the_field_and_the_plan() {
        let free = plan(Some(1), 1);
        assert!(check_instance_quota(&free, 0).is_ok());
        let error = check_instance_quota(&free, 1).unwrap_err();
        assert_eq!(error.field_errors().unwrap()[0].field, "spec", "{error}");
        assert!(check_instance_quota(&plan(None, 1), 1000).is_ok());
        let error = check_plan_quota(&free, &spec(2)).unwrap_err();
        let fields = error.field_errors().unwrap();
        assert_eq!(fields[0].field, "spec.replicas");
        assert!(fields[0].message.contains("at most 1 replicas"), "{error}");

        let mut big = spec(1);
        big.resources.cpu = "1".to_owned();
        let error = check_plan_quota(&free, &big).unwrap_err();
        assert_eq!(error.field_errors().unwrap()[0].field, "spec.resources.cpu");
        big.resources.cpu = "0.5".to_owned();
        big.resources.memory = "1Gi".to_owned();
        let error = check_plan_quota(&free, &big).unwrap_err();
        assert_eq!(
            error.field_errors().unwrap()[0].field,
            "spec.resources.memory"
        );
        big.state = swarmpress_schema::resource::TenantState::Stopped;
        assert!(
            check_plan_quota(&free, &big).is_ok(),
            "a stopped site asks for nothing"
        );
    }

    #[test]
    fn only_platform_failures_are_not_field_errors() {
        assert!(
            TenantWriteError::Store(StoreError::NotFound)
                .field_errors()
                .is_none()
        );
        for refusal in [
            TenantWriteError::NameTaken("acme".to_owned()),
            TenantWriteError::Terminating,
            TenantWriteError::Conflict("7".to_owned()),
            TenantWriteError::NotFound("acme".to_owned()),
            TenantWriteError::Invalid(vec![FieldError::new("spec.replicas", "too many")]),
        ] {
            assert!(refusal.field_errors().is_some_and(|e| !e.is_empty()));
        }
    }
}
