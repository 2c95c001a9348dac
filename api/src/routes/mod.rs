//! The operations, one module per area of API.md.

use poem_openapi::Tags;

pub mod apply;
pub mod auth;
pub mod billing;
pub mod cluster;
pub mod health;
pub mod monitoring;
pub mod notices;
pub mod observe;
pub mod regions;
pub mod rollouts;
pub mod tenants;
pub mod users;

#[derive(Tags)]
pub enum ApiTags {
    /// Health and metadata.
    System,
    /// Accounts, sessions and personal access tokens.
    Auth,
    /// WordPress sites (desired state) and manifests.
    Tenants,
    /// Plans, subscriptions and invoices.
    Billing,
    /// Announcements, maintenance windows, user administration and the cluster.
    Maintenance,
    /// Live metrics, history and totals of tenants.
    Monitoring,
}

/// Every API group, in the order they appear in the OpenAPI document.
pub type Api = (
    health::HealthApi,
    auth::AuthApi,
    tenants::TenantsApi,
    regions::RegionsApi,
    apply::ApplyApi,
    billing::BillingApi,
    notices::NoticesApi,
    users::UsersApi,
    rollouts::RolloutsApi,
    observe::ObserveApi,
    monitoring::MonitoringApi,
    cluster::ClusterApi,
);

pub fn api() -> Api {
    (
        health::HealthApi,
        auth::AuthApi,
        tenants::TenantsApi,
        regions::RegionsApi,
        apply::ApplyApi,
        billing::BillingApi,
        notices::NoticesApi,
        users::UsersApi,
        rollouts::RolloutsApi,
        observe::ObserveApi,
        monitoring::MonitoringApi,
        cluster::ClusterApi,
    )
}
