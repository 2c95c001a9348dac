//! Tenant actions: one-shot work on a site's running replicas that its owner asks for through
//! the API and the controller carries out, reporting per replica.

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub enum ActionKind {
    /// Flush WordPress's object cache and transients and reset PHP's opcache, in every replica.
    PurgeCache,
    /// Measure the site's storage and meter its traffic now, rather than at the next pass
    /// (an owner who freed space sees uploads accepted again at once).
    MeasureUsage,
}

impl ActionKind {
    pub const ALL: [Self; 2] = [Self::PurgeCache, Self::MeasureUsage];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PurgeCache => "purgeCache",
            Self::MeasureUsage => "measureUsage",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

/// Where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub enum ActionState {
    /// Waiting for the controller.
    Pending,
    Running,
    /// Done in every replica that runs.
    Succeeded,
    /// Done in none or only some: the replicas say which.
    Failed,
}

impl ActionState {
    pub const ALL: [Self; 4] = [Self::Pending, Self::Running, Self::Succeeded, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == value)
    }

    pub fn is_finished(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed)
    }
}

/// What the action did in one replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct ReplicaReport {
    /// The Swarm task.
    pub task: String,
    /// The node it runs on (hostname).
    pub node: String,
    pub ok: bool,
    /// What was done, or why not.
    pub message: String,
}

/// A one-shot action on a tenant's replicas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct TenantAction {
    pub id: Uuid,
    pub tenant: String,
    pub kind: ActionKind,
    pub state: ActionState,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub replicas: Vec<ReplicaReport>,
    /// Why the action as a whole failed, when it did.
    pub message: Option<String>,
}
