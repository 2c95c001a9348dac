//! User administration as the API returns it: an account with what an administrator needs
//! beside it, and the audit log of what administrators did.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::account::User;

/// An account as administrators list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct AdminUser {
    #[serde(flatten)]
    #[oai(flatten)]
    pub user: User,
    /// The plan of the active subscription.
    pub plan_id: String,
    /// A plan the user asked to move to, awaiting an administrator's decision.
    pub pending_plan_id: Option<String>,
    /// Tenants the user owns, those being deleted included.
    pub sites: u32,
}

/// What an administrator did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub enum AuditAction {
    RoleChanged,
    PlanChanged,
    PlanRequestApproved,
    PlanRequestRefused,
    Disabled,
    Enabled,
    PasswordReset,
    Deleted,
    InvoicePaid,
}

impl AuditAction {
    pub const ALL: [Self; 9] = [
        Self::RoleChanged,
        Self::PlanChanged,
        Self::PlanRequestApproved,
        Self::PlanRequestRefused,
        Self::Disabled,
        Self::Enabled,
        Self::PasswordReset,
        Self::Deleted,
        Self::InvoicePaid,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RoleChanged => "roleChanged",
            Self::PlanChanged => "planChanged",
            Self::PlanRequestApproved => "planRequestApproved",
            Self::PlanRequestRefused => "planRequestRefused",
            Self::Disabled => "disabled",
            Self::Enabled => "enabled",
            Self::PasswordReset => "passwordReset",
            Self::Deleted => "deleted",
            Self::InvoicePaid => "invoicePaid",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|action| action.as_str() == value)
    }
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct AuditActor {
    pub id: Uuid,
    /// The actor's e-mail then (the account may have changed or gone since).
    pub email: String,
}

/// To what.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct AuditTarget {
    /// `user` (the only kind so far).
    pub kind: String,
    pub id: String,
    /// A name a person recognises (a user's e-mail then).
    pub label: String,
}

/// One administrative action: who, what, to what, when and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: AuditActor,
    pub action: AuditAction,
    pub target: AuditTarget,
    /// What changed, e.g. `from` and `to` of a role.
    pub detail: BTreeMap<String, String>,
    /// The client address the request came from, when known.
    pub source: Option<String>,
}
