//! The resource types: what the API accepts and returns, what the controller reads and
//! writes, and what the store keeps as JSON. Every type derives serde (the database, the
//! watch stream, the CLI) and poem-openapi (the API's OpenAPI document), with the same
//! camelCase wire names.

pub mod account;
pub mod action;
pub mod administration;
pub mod bounded_yaml;
pub mod manifest;
pub mod notice;
pub mod rollout;
pub mod tenant;
pub mod usage;
pub mod validation;

pub use account::{
    AccessToken, FeatureKind, Invoice, InvoiceStatus, Plan, PlanExceeded, PlanFeature, Role,
    Subscription, SubscriptionStatus, TokenScope, User, workers_for,
};
pub use action::{ActionKind, ActionState, ReplicaReport, TenantAction};
pub use administration::{AdminUser, AuditAction, AuditActor, AuditEntry, AuditTarget};
pub use manifest::{
    MAX_MANIFEST_DOCUMENTS, Manifest, ManifestDocument, ManifestError, ManifestMeta,
    RolloutManifest, RolloutMeta, TenantManifest, parse_manifest,
};
pub use notice::{
    Announcement, AnnouncementInput, AnnouncementType, MaintenanceWindow, MaintenanceWindowInput,
};
pub use rollout::{
    DEFAULT_HEALTH_TIMEOUT_SECONDS, ROLLOUT_KIND, Rollout, RolloutItem, RolloutItemState,
    RolloutSelector, RolloutSpec, RolloutState,
};
pub use tenant::{
    API_VERSION, AdminSpec, ChangeType, Condition, ConditionStatus, ConditionType, EventType,
    ObjectMeta, Phase, ReplicaCounts, Resources, TENANT_KIND, Tenant, TenantEvent, TenantSpec,
    TenantState, TenantStatus,
};
pub use usage::{
    AllocationState, BandwidthUsage, MeasuredStorage, MonthlyBandwidth, StorageUsage, TenantUsage,
    WARN_PERCENT, human_bytes, month_of,
};
pub use validation::{FieldError, SpecLimits, validate_labels};
