//! The tenant resource: `metadata`, `spec` (what the user wants) and `status` (what the
//! controller saw), and the events the controller records about it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::TenantName;

/// `apiVersion` of every swarmpress resource.
pub const API_VERSION: &str = "swarmpress.io/v1";
/// `kind` of a tenant.
pub const TENANT_KIND: &str = "Tenant";

pub(crate) fn api_version() -> String {
    API_VERSION.to_owned()
}

fn tenant_kind() -> String {
    TENANT_KIND.to_owned()
}

/// A WordPress site as the platform stores and returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct Tenant {
    #[serde(default = "api_version")]
    #[oai(default = "api_version")]
    pub api_version: String,
    #[serde(default = "tenant_kind")]
    #[oai(default = "tenant_kind")]
    pub kind: String,
    pub metadata: ObjectMeta,
    pub spec: TenantSpec,
    #[serde(default)]
    #[oai(default)]
    pub status: TenantStatus,
}

impl Tenant {
    /// The resourceVersion as the number the store orders by. Stored objects always hold a
    /// decimal number, so `None` only comes from a hand-built value.
    pub fn resource_version(&self) -> Option<i64> {
        self.metadata.resource_version.parse().ok()
    }

    pub fn is_deleting(&self) -> bool {
        self.metadata.deletion_timestamp.is_some()
    }
}

/// Identity and bookkeeping of a stored tenant. Everything but `name` and `labels` is set by
/// the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct ObjectMeta {
    pub name: TenantName,
    /// Unique per incarnation: a tenant deleted and created again under the same name gets a
    /// new uid, so watchers can tell the two apart.
    pub uid: Uuid,
    /// The id of the owning user.
    pub owner: Uuid,
    #[serde(default)]
    #[oai(default)]
    pub labels: BTreeMap<String, String>,
    /// Bumped by every change of `spec`; compare with `status.observedGeneration`.
    pub generation: i64,
    /// The global store version of the last write of this tenant (any write). A decimal
    /// string, as in Kubernetes, so clients treat it as opaque.
    pub resource_version: String,
    pub creation_timestamp: DateTime<Utc>,
    /// Set when deletion was requested; the controller finalizes, then the record goes.
    #[serde(default)]
    pub deletion_timestamp: Option<DateTime<Utc>>,
}

/// Whether the site should run. Stopped keeps everything but scales the service to 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, Enum)]
pub enum TenantState {
    #[default]
    Running,
    Stopped,
}

/// What the user wants. Parsing fills defaults but checks no rules; call
/// [`TenantSpec::validate`](crate::resource::SpecLimits) before storing.
///
/// Unknown fields are refused by the OpenAPI parser (API input) and by the manifest parser,
/// but not by serde: objects already in the database must stay readable by an older binary
/// during an upgrade that added a field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantSpec {
    pub display_name: String,
    pub region: String,
    #[serde(default)]
    #[oai(default)]
    pub state: TenantState,
    #[serde(default = "default_replicas")]
    #[oai(default = "default_replicas")]
    pub replicas: u32,
    #[serde(default)]
    #[oai(default)]
    pub resources: Resources,
    #[serde(default)]
    #[oai(default)]
    pub env: BTreeMap<String, String>,
    /// The WordPress image; the platform default when absent. Rollouts set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub image: Option<String>,
    pub admin: AdminSpec,
    /// Serve the site under this path of its host instead of `/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub path_prefix: Option<String>,
    /// Changing it restarts every task (the restart action writes the current time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub restarted_at: Option<DateTime<Utc>>,
    /// Changing it re-pulls the image and redeploys (the rebuild action writes a new value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub rebuild_nonce: Option<String>,
}

pub(crate) fn default_replicas() -> u32 {
    1
}

/// CPU and memory limits of each replica.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct Resources {
    /// Cores as a decimal string, e.g. "0.5" (0.1 to 4).
    #[serde(default = "default_cpu", deserialize_with = "string_or_number")]
    #[oai(default = "default_cpu")]
    pub cpu: String,
    /// Mebibytes or gibibytes, e.g. "512Mi" (128Mi to 8Gi).
    #[serde(default = "default_memory")]
    #[oai(default = "default_memory")]
    pub memory: String,
}

/// YAML users write `cpu: 0.5` as often as `cpu: "0.5"`; both mean the same string.
fn string_or_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        String(String),
        Integer(u64),
        Float(f64),
    }
    Ok(match Text::deserialize(deserializer)? {
        Text::String(text) => text,
        Text::Integer(number) => number.to_string(),
        Text::Float(number) => number.to_string(),
    })
}

fn default_cpu() -> String {
    "0.5".to_owned()
}

fn default_memory() -> String {
    "512Mi".to_owned()
}

impl Default for Resources {
    fn default() -> Self {
        Self {
            cpu: default_cpu(),
            memory: default_memory(),
        }
    }
}

/// The WordPress administrator created at install. Its password is generated by the API and
/// kept as a Swarm secret, never in the spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminSpec {
    #[serde(default = "default_admin_user")]
    #[oai(default = "default_admin_user")]
    pub user: String,
    pub email: String,
}

fn default_admin_user() -> String {
    "admin".to_owned()
}

/// Summary of where a tenant stands, written only by the controller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, Enum)]
pub enum Phase {
    #[default]
    Pending,
    Provisioning,
    Running,
    Updating,
    Stopped,
    Degraded,
    Failed,
    Deleting,
}

/// What the controller saw. `Default` is the status of a tenant nobody has reconciled yet.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct TenantStatus {
    #[serde(default)]
    #[oai(default)]
    pub phase: Phase,
    /// The `metadata.generation` the controller last reconciled successfully.
    #[serde(default)]
    #[oai(default)]
    pub observed_generation: i64,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    #[oai(default)]
    pub conditions: Vec<Condition>,
    #[serde(default)]
    #[oai(default)]
    pub replicas: ReplicaCounts,
    /// The image the running tasks use.
    #[serde(default)]
    pub image: Option<String>,
    /// The nodes (hostnames) the running tasks are on.
    #[serde(default)]
    #[oai(default)]
    pub nodes: Vec<String>,
    #[serde(default)]
    pub message: Option<String>,
}

impl TenantStatus {
    pub fn condition(&self, type_: ConditionType) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.type_ == type_)
    }

    /// Whether the condition exists with status True.
    pub fn is_true(&self, type_: ConditionType) -> bool {
        self.condition(type_)
            .is_some_and(|c| c.status == ConditionStatus::True)
    }

    /// Sets a condition, keeping its `lastTransitionTime` when its status did not change:
    /// that time says when the status flipped, not when it was last looked at, and keeping it
    /// is what lets an unchanged reconcile produce an identical status (and so no write).
    pub fn set_condition(
        &mut self,
        type_: ConditionType,
        status: ConditionStatus,
        reason: impl Into<String>,
        message: impl Into<String>,
        now: DateTime<Utc>,
    ) {
        let reason = reason.into();
        let message = message.into();
        match self.conditions.iter_mut().find(|c| c.type_ == type_) {
            Some(existing) => {
                if existing.status != status {
                    existing.last_transition_time = now;
                }
                existing.status = status;
                existing.reason = reason;
                existing.message = message;
            }
            None => self.conditions.push(Condition {
                type_,
                status,
                reason,
                message,
                last_transition_time: now,
            }),
        }
    }
}

/// Desired and running task counts of the tenant's service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct ReplicaCounts {
    pub desired: u32,
    pub running: u32,
}

/// The aspects of a tenant the controller reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
pub enum ConditionType {
    DatabaseReady,
    BucketReady,
    ServiceReady,
    Installed,
    Available,
    /// Storage against the plan's allocation (written by the controller's usage meter): True
    /// within it (reason `NearLimit` from 80 %), False above it, when uploads are refused.
    StorageWithinAllocation,
    /// This month's edge traffic against the plan's allocation: False above it (a warning:
    /// traffic is never cut off).
    BandwidthWithinAllocation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, Enum)]
pub enum ConditionStatus {
    True,
    False,
    #[default]
    Unknown,
}

/// One observation, Kubernetes style.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct Condition {
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub type_: ConditionType,
    pub status: ConditionStatus,
    /// A CamelCase machine word, e.g. `ServiceCreated`.
    pub reason: String,
    pub message: String,
    pub last_transition_time: DateTime<Utc>,
}

/// Normal for what went as planned, Warning for what needs attention.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Warning => "Warning",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "Normal" => Some(Self::Normal),
            "Warning" => Some(Self::Warning),
            _ => None,
        }
    }
}

/// Something the controller did or saw. Repeats of the same (reason, message) are folded
/// into one event whose `count` grows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct TenantEvent {
    pub reason: String,
    pub message: String,
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub type_: EventType,
    pub count: u32,
    pub first_timestamp: DateTime<Utc>,
    pub last_timestamp: DateTime<Utc>,
}

/// The kind of write a change-feed entry records; the names of the watch stream's events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum)]
#[serde(rename_all = "UPPERCASE")]
#[oai(rename_all = "UPPERCASE")]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "ADDED" => Some(Self::Added),
            "MODIFIED" => Some(Self::Modified),
            "DELETED" => Some(Self::Deleted),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::{ParseFromJSON, ToJSON};
    use serde_json::{Value, json};

    use super::*;

    fn sample() -> Tenant {
        let at = DateTime::parse_from_rfc3339("2025-01-02T03:04:05.123456Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut status = TenantStatus {
            phase: Phase::Running,
            observed_generation: 3,
            url: Some("http://acme-blog.localhost:8080/".into()),
            replicas: ReplicaCounts {
                desired: 1,
                running: 1,
            },
            ..TenantStatus::default()
        };
        status.set_condition(
            ConditionType::Available,
            ConditionStatus::True,
            "Up",
            "ok",
            at,
        );
        Tenant {
            api_version: API_VERSION.into(),
            kind: TENANT_KIND.into(),
            metadata: ObjectMeta {
                name: TenantName::parse("acme-blog").unwrap(),
                uid: Uuid::nil(),
                owner: Uuid::max(),
                labels: BTreeMap::from([("team".into(), "web".into())]),
                generation: 3,
                resource_version: "1042".into(),
                creation_timestamp: at,
                deletion_timestamp: None,
            },
            spec: TenantSpec {
                display_name: "Acme Blog".into(),
                region: "eu-west".into(),
                state: TenantState::Running,
                replicas: 1,
                resources: Resources::default(),
                env: BTreeMap::new(),
                image: Some("swarmpress/wordpress:latest".into()),
                admin: AdminSpec {
                    user: "admin".into(),
                    email: "admin@acme.test".into(),
                },
                path_prefix: None,
                restarted_at: Some(at),
                rebuild_nonce: None,
            },
            status,
        }
    }

    /// Replaces every timestamp string by "T": serde writes `Z`, poem-openapi `+00:00`.
    fn shape(value: &Value) -> Value {
        match value {
            Value::String(s) if DateTime::parse_from_rfc3339(s).is_ok() => json!("T"),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
            }
            Value::Array(items) => Value::Array(items.iter().map(shape).collect()),
            other => other.clone(),
        }
    }

    #[test]
    fn serde_and_openapi_agree_on_the_wire_format() {
        let tenant = sample();
        let by_serde = serde_json::to_value(&tenant).unwrap();
        let by_poem = tenant.to_json().unwrap();
        assert_eq!(shape(&by_serde), shape(&by_poem));
        assert_eq!(serde_json::from_value::<Tenant>(by_poem).unwrap(), tenant);
        assert_eq!(
            Tenant::parse_from_json(Some(by_serde.clone())).ok(),
            Some(tenant)
        );

        // The documented shape (API.md).
        assert_eq!(by_serde["apiVersion"], "swarmpress.io/v1");
        assert_eq!(by_serde["metadata"]["resourceVersion"], "1042");
        assert_eq!(by_serde["metadata"]["deletionTimestamp"], Value::Null);
        assert_eq!(by_serde["spec"]["displayName"], "Acme Blog");
        assert_eq!(
            by_serde["spec"]["resources"],
            json!({"cpu": "0.5", "memory": "512Mi"})
        );
        assert!(by_serde["spec"].get("pathPrefix").is_none());
        assert_eq!(by_serde["status"]["conditions"][0]["type"], "Available");
        assert_eq!(by_serde["status"]["conditions"][0]["status"], "True");
        assert_eq!(by_serde["status"]["observedGeneration"], 3);
        assert_eq!(
            serde_json::to_value(ChangeType::Deleted).unwrap(),
            "DELETED"
        );
        assert_eq!(ChangeType::Deleted.to_json(), Some(json!("DELETED")));
    }

    #[test]
    fn openapi_input_refuses_unknown_spec_fields_but_serde_reads_them() {
        let mut spec = serde_json::to_value(sample().spec).unwrap();
        spec["futureField"] = json!(1);
        assert!(TenantSpec::parse_from_json(Some(spec.clone())).is_err());
        assert!(serde_json::from_value::<TenantSpec>(spec).is_ok());
    }

    #[test]
    fn set_condition_keeps_the_transition_time_while_status_holds() {
        let t0 = Utc::now();
        let t1 = t0 + chrono::Duration::seconds(5);
        let mut status = TenantStatus::default();
        status.set_condition(
            ConditionType::ServiceReady,
            ConditionStatus::False,
            "A",
            "a",
            t0,
        );
        let before = status.clone();
        status.set_condition(
            ConditionType::ServiceReady,
            ConditionStatus::False,
            "A",
            "a",
            t1,
        );
        assert_eq!(status, before, "a repeated observation changes nothing");
        status.set_condition(
            ConditionType::ServiceReady,
            ConditionStatus::True,
            "B",
            "b",
            t1,
        );
        let condition = status.condition(ConditionType::ServiceReady).unwrap();
        assert_eq!(condition.last_transition_time, t1);
        assert!(status.is_true(ConditionType::ServiceReady));
        assert!(!status.is_true(ConditionType::Available));
    }

    #[test]
    fn yaml_cpu_may_be_a_number() {
        let resources: Resources = serde_yaml::from_str("{cpu: 0.5, memory: 1Gi}").unwrap();
        assert_eq!(resources.cpu, "0.5");
        let resources: Resources = serde_yaml::from_str("{cpu: 2}").unwrap();
        assert_eq!(resources.cpu, "2");
        assert_eq!(resources.memory, "512Mi");
    }
}
