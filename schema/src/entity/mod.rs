//! sea-orm entities, one module per table. The tables are created by the migrations in
//! [`crate::migration`]; these types only read and write them. Enumerations are stored as
//! their wire strings and converted by the store.

pub mod announcements;
pub mod audit_entries;
pub mod invoices;
pub mod leader_leases;
pub mod maintenance_windows;
pub mod personal_access_tokens;
pub mod plans;
pub mod refresh_token_families;
pub mod resource_version_counter;
pub mod rollout_items;
pub mod rollouts;
pub mod subscriptions;
pub mod tenant_actions;
pub mod tenant_bandwidth;
pub mod tenant_changes;
pub mod tenant_events;
pub mod tenant_secrets;
pub mod tenant_usage;
pub mod tenants;
pub mod users;
