//! Users, personal access tokens, plans, subscriptions and invoices as the API returns them.
//! Secrets (password hashes, token hashes) are deliberately absent from these types.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::tenant::{TenantSpec, TenantState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, Enum)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
pub enum Role {
    #[default]
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "user" => Some(Self::User),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Tokens issued before this time are no longer valid.
    pub password_changed_at: DateTime<Utc>,
    /// When an administrator disabled the account: it cannot sign in and its credentials
    /// do not work until it is enabled again. Absent while the account is enabled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub disabled_at: Option<DateTime<Utc>>,
    /// An administrator reset the password: until the user chooses a new one, only that
    /// (and reading the profile, and signing out) is allowed.
    #[serde(default)]
    pub must_change_password: bool,
}

/// A personal access token's metadata. The secret itself is shown once at creation and only
/// its SHA-256 is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct AccessToken {
    pub id: Uuid,
    pub name: String,
    /// The token's first characters, so a user can tell tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub scope: TokenScope,
}

/// What a personal access token may do. Each includes the ones before it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Enum,
)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
pub enum TokenScope {
    /// Reads only: `GET` (and watches).
    Read,
    /// Everything the user may do, but administration even for an administrator.
    Write,
    /// Everything, administration included (administrators' tokens only).
    Admin,
}

impl TokenScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Admin => "admin",
        }
    }

    /// A stored value; anything unknown reads as the narrowest scope.
    pub fn parse(value: &str) -> Self {
        match value {
            "admin" => Self::Admin,
            "write" => Self::Write,
            _ => Self::Read,
        }
    }
}

/// What a spec asks beyond its owner's plan: the field, and a sentence naming both figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanExceeded {
    pub field: &'static str,
    pub message: String,
}

/// A plan of the catalogue (seeded by the migrations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct Plan {
    /// A slug such as `starter-plus`.
    pub id: String,
    pub name: String,
    /// `None` means unlimited.
    pub max_instances: Option<u32>,
    pub max_replicas: u32,
    /// CPU per replica, in thousandths of a core.
    pub max_cpu_millis: u32,
    /// Memory per replica, in MiB.
    pub max_memory_mib: u32,
    /// Storage per site (its volume, database and bucket together), in MiB: at 80 % the
    /// owner is warned, over it new uploads are refused.
    pub storage_mib: u32,
    /// Edge traffic per site and calendar month (requests and responses), in GiB: metered,
    /// warned about when exceeded, never cut off.
    pub bandwidth_gib: u32,
    /// Apache + PHP workers one replica at the plan's memory runs (what sizes its
    /// concurrency): derived from `max_memory_mib` as the controller sizes replicas.
    pub php_workers_per_replica: u32,
    /// Monthly price in the smallest unit of `currency`.
    pub price_cents: u32,
    pub currency: String,
    pub features: Vec<String>,
    /// Each feature and what it means here: measured (a figure the platform enforces or
    /// meters) or a label (a promise no part of the platform carries out).
    pub feature_details: Vec<PlanFeature>,
}

/// Whether a plan's feature is something the platform does or only a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Enum)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
pub enum FeatureKind {
    /// Carried out and measurable: a limit, an allocation, a figure.
    Measured,
    /// A name on the price list that no part of the platform carries out.
    Label,
}

/// One feature of a plan and what it means on this platform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct PlanFeature {
    pub name: String,
    pub kind: FeatureKind,
    /// What it amounts to, in a sentence.
    pub meaning: String,
}

/// Memory one busy Apache + mod_php worker of the tenant image takes (WordPress's front page,
/// opcache shared): what sizes a replica's worker count to its memory limit.
pub const MEMORY_PER_WORKER: i64 = 40 * 1024 * 1024;

/// Apache workers (`MaxRequestWorkers`) for a replica of `memory_bytes`: as many as fit, at
/// least 2 (a health probe and a visitor), at most the image's 16 (the database connection
/// cap counts 16 per replica). A 256 MiB Free replica gets 6, not 16 that would need 640 MiB
/// under load and meet the OOM killer instead of a queue.
pub fn workers_for(memory_bytes: i64) -> i64 {
    (memory_bytes / MEMORY_PER_WORKER).clamp(2, 16)
}

fn size_mib(mib: u32) -> String {
    if mib >= 1024 && mib.is_multiple_of(1024) {
        format!("{} GiB", mib / 1024)
    } else {
        format!("{mib} MiB")
    }
}

impl Plan {
    /// What each of `features` means on this platform, given the plan's figures.
    pub fn describe_features(&self) -> Vec<PlanFeature> {
        let measured = |name: &str, meaning: String| PlanFeature {
            name: name.to_owned(),
            kind: FeatureKind::Measured,
            meaning,
        };
        let label = |name: &str, meaning: &str| PlanFeature {
            name: name.to_owned(),
            kind: FeatureKind::Label,
            meaning: meaning.to_owned(),
        };
        let instances = self.max_instances.map_or_else(
            || "unlimited sites".to_owned(),
            |n| format!("up to {n} sites"),
        );
        self.features
            .iter()
            .map(|name| match name.as_str() {
                "Basic" => measured(
                    name,
                    format!(
                        "{instances}, each with its own WordPress, database, bucket and address"
                    ),
                ),
                "More Bandwidth" => measured(
                    name,
                    format!("{} GiB of traffic per site a month", self.bandwidth_gib),
                ),
                "More Storage" => measured(
                    name,
                    format!("{} of storage per site", size_mib(self.storage_mib)),
                ),
                "High Performance" => measured(
                    name,
                    format!(
                        "{} CPU and {} of memory per replica, {} PHP workers each",
                        f64::from(self.max_cpu_millis) / 1000.0,
                        size_mib(self.max_memory_mib),
                        self.php_workers_per_replica
                    ),
                ),
                "Custom Domain" => label(
                    name,
                    "a label for now: sites are served on the platform's own hostname",
                ),
                "Backups" => label(
                    name,
                    "a label for now: the platform takes no backups of a site yet",
                ),
                other if other.starts_with("Priority Support") || other.contains("Support") => {
                    label(
                        name,
                        "a label: support is arranged with the operator, not by the platform",
                    )
                }
                _ => label(name, "a label: no part of the platform carries it out"),
            })
            .collect()
    }

    /// The plan every new user starts on.
    pub const DEFAULT_ID: &'static str = "free";

    /// The first thing in `spec` this plan does not allow — replicas, CPU or memory per
    /// replica — as the field and why. A stopped site asks for nothing.
    pub fn exceeded_by(&self, spec: &TenantSpec) -> Option<PlanExceeded> {
        if spec.state == TenantState::Stopped {
            return None;
        }
        let exceeded = |field: &'static str, message: String| Some(PlanExceeded { field, message });
        if spec.replicas > self.max_replicas {
            return exceeded(
                "spec.replicas",
                format!(
                    "the {} plan allows at most {} replicas per site; {} requested",
                    self.name, self.max_replicas, spec.replicas
                ),
            );
        }
        if let Ok(cpu) = spec.resources.cpu_quantity()
            && cpu.millis() > self.max_cpu_millis
        {
            return exceeded(
                "spec.resources.cpu",
                format!(
                    "the {} plan allows at most {} CPU per replica; {} requested",
                    self.name,
                    f64::from(self.max_cpu_millis) / 1000.0,
                    spec.resources.cpu
                ),
            );
        }
        if let Ok(memory) = spec.resources.memory_quantity()
            && memory.bytes() > u64::from(self.max_memory_mib) << 20
        {
            return exceeded(
                "spec.resources.memory",
                format!(
                    "the {} plan allows at most {}Mi of memory per replica; {} requested",
                    self.name, self.max_memory_mib, spec.resources.memory
                ),
            );
        }
        None
    }

    /// Whether an owner who has `current` tenants may create one more.
    pub fn allows_another_instance(&self, current: u64) -> bool {
        self.max_instances
            .is_none_or(|max| current < u64::from(max))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
pub enum SubscriptionStatus {
    Active,
    Cancelled,
    /// A plan change the user asked for and an administrator has not decided on yet.
    Pending,
    /// A plan change an administrator refused.
    Refused,
}

impl SubscriptionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Cancelled => "cancelled",
            Self::Pending => "pending",
            Self::Refused => "refused",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "active" => Some(Self::Active),
            "cancelled" => Some(Self::Cancelled),
            "pending" => Some(Self::Pending),
            "refused" => Some(Self::Refused),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct Subscription {
    pub id: Uuid,
    pub user_id: Uuid,
    pub plan_id: String,
    pub status: SubscriptionStatus,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
pub enum InvoiceStatus {
    Open,
    Paid,
    Void,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Void => "void",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [Self::Open, Self::Paid, Self::Void]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct Invoice {
    pub id: Uuid,
    pub user_id: Uuid,
    pub subscription_id: Option<Uuid>,
    pub plan_id: String,
    pub description: String,
    pub amount_cents: u32,
    pub currency: String,
    pub status: InvoiceStatus,
    pub period_start: DateTime<Utc>,
    pub period_end: DateTime<Utc>,
    pub issued_at: DateTime<Utc>,
    /// When it was marked paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub paid_at: Option<DateTime<Utc>>,
}
