//! Fleet rollouts: a target image applied to a selection of tenants batch by batch, as a
//! persisted state machine the controller drives.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::tenant::Tenant;
use super::validation::{FieldError, is_plausible_image};
use crate::TenantName;

/// `kind` of a rollout manifest.
pub const ROLLOUT_KIND: &str = "Rollout";

/// Which tenants a rollout updates.
///
/// A tenant is selected when `all` is true, or else when it meets every criterion that is
/// given: its owner's plan is one of `plans`, it carries every label of `labels`, its name is
/// one of `tenants`. A selector with no criterion selects nothing and is refused by
/// [`RolloutSpec::validate`], so "everything" is always said explicitly.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
// Unknown fields are refused in API bodies (a misspelt `plan:` must not be ignored);
// serde stays lenient for stored data.
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutSelector {
    #[serde(default)]
    #[oai(default)]
    pub all: bool,
    /// Plan ids, e.g. `starter-plus`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[oai(default, skip_serializing_if_is_empty)]
    pub plans: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[oai(default, skip_serializing_if_is_empty)]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[oai(default, skip_serializing_if_is_empty)]
    pub tenants: Vec<TenantName>,
}

impl RolloutSelector {
    fn is_empty(&self) -> bool {
        !self.all && self.plans.is_empty() && self.labels.is_empty() && self.tenants.is_empty()
    }

    /// Whether `tenant`, whose owner is on plan `owner_plan`, is selected. Tenants being
    /// deleted are never selected.
    pub fn matches(&self, tenant: &Tenant, owner_plan: &str) -> bool {
        if tenant.is_deleting() || self.is_empty() {
            return false;
        }
        if self.all {
            return true;
        }
        (self.plans.is_empty() || self.plans.iter().any(|p| p == owner_plan))
            && self
                .labels
                .iter()
                .all(|(k, v)| tenant.metadata.labels.get(k) == Some(v))
            && (self.tenants.is_empty() || self.tenants.contains(&tenant.metadata.name))
    }
}

/// A rollout as requested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct RolloutSpec {
    /// The target image.
    pub image: String,
    #[serde(default)]
    #[oai(default)]
    pub selector: RolloutSelector,
    /// How many tenants are updated alone first; the rollout goes on only if they are healthy.
    #[serde(default = "one")]
    #[oai(default = "one")]
    pub canary: u32,
    /// How many tenants are updated at once after the canaries.
    #[serde(default = "one")]
    #[oai(default = "one")]
    pub batch_size: u32,
    /// How many tenants may fail (and be rolled back) before the rollout halts and reverts.
    #[serde(default)]
    #[oai(default)]
    pub failure_budget: u32,
    /// How long a tenant has to become Available at the new image.
    #[serde(default = "default_health_timeout")]
    #[oai(default = "default_health_timeout")]
    pub health_timeout_seconds: u32,
    /// Start no earlier than this; now when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub start_at: Option<DateTime<Utc>>,
    /// Pull the image even when a tag of that name is present.
    #[serde(default)]
    #[oai(default)]
    pub force_pull: bool,
}

fn one() -> u32 {
    1
}

pub const DEFAULT_HEALTH_TIMEOUT_SECONDS: u32 = 120;

fn default_health_timeout() -> u32 {
    DEFAULT_HEALTH_TIMEOUT_SECONDS
}

impl RolloutSpec {
    /// Checks the rules, with paths under `spec.`.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if !is_plausible_image(&self.image) {
            errors.push(FieldError::new(
                "spec.image",
                "must be a non-empty image reference of at most 255 characters without spaces",
            ));
        }
        if self.selector.is_empty() {
            errors.push(FieldError::new(
                "spec.selector",
                "select tenants with all: true, plans, labels or tenants",
            ));
        }
        if self.batch_size == 0 || self.batch_size > 100 {
            errors.push(FieldError::new("spec.batchSize", "must be 1 to 100"));
        }
        if self.canary > 100 {
            errors.push(FieldError::new("spec.canary", "must be at most 100"));
        }
        if !(10..=3600).contains(&self.health_timeout_seconds) {
            errors.push(FieldError::new(
                "spec.healthTimeoutSeconds",
                "must be 10 to 3600 seconds",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// Where a rollout stands: scheduled → running ⇄ paused → completed | failed | aborted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub enum RolloutState {
    Scheduled,
    Running,
    Paused,
    Completed,
    Failed,
    Aborted,
}

impl RolloutState {
    pub const ALL: [Self; 6] = [
        Self::Scheduled,
        Self::Running,
        Self::Paused,
        Self::Completed,
        Self::Failed,
        Self::Aborted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::Running => "running",
            Self::Paused => "paused",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Aborted => "aborted",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Completed, failed and aborted rollouts never change again.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Completed | Self::Failed | Self::Aborted)
    }
}

/// Where one tenant of a rollout stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub enum RolloutItemState {
    Pending,
    Updating,
    Healthy,
    Failed,
    RolledBack,
    Skipped,
}

impl RolloutItemState {
    pub const ALL: [Self; 6] = [
        Self::Pending,
        Self::Updating,
        Self::Healthy,
        Self::Failed,
        Self::RolledBack,
        Self::Skipped,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Updating => "updating",
            Self::Healthy => "healthy",
            Self::Failed => "failed",
            Self::RolledBack => "rolledBack",
            Self::Skipped => "skipped",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Whether the item is done with (no more work for the controller).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::Healthy | Self::Failed | Self::RolledBack | Self::Skipped
        )
    }
}

/// One tenant's progress in a rollout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct RolloutItem {
    pub tenant: TenantName,
    /// The image before the rollout (`None`: the platform default); what a rollback restores.
    pub from_image: Option<String>,
    pub to_image: String,
    pub state: RolloutItemState,
    pub reason: Option<String>,
    /// 0 for the canaries, then 1, 2, … in the order the batches run.
    pub batch: u32,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A rollout as stored and returned: the spec's fields plus its identity and progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct Rollout {
    pub id: Uuid,
    /// Set when created from a manifest; applying the same name again updates it.
    pub name: Option<String>,
    #[serde(flatten)]
    #[oai(flatten)]
    pub spec: RolloutSpec,
    pub state: RolloutState,
    pub message: Option<String>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Always present in answers (empty until the controller plans the rollout), hence
    /// required in the OpenAPI document; serde still accepts its absence.
    #[serde(default)]
    pub items: Vec<RolloutItem>,
}
