//! The operations, one module per area of API.md.

use poem_openapi::Tags;

pub mod apply;
pub mod auth;
pub mod billing;
pub mod health;
pub mod notices;
pub mod tenants;

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
    /// Announcements, maintenance windows and user administration.
    Maintenance,
}

/// Every API group, in the order they appear in the OpenAPI document.
pub type Api = (
    health::HealthApi,
    auth::AuthApi,
    tenants::TenantsApi,
    apply::ApplyApi,
    billing::BillingApi,
    notices::NoticesApi,
);

pub fn api() -> Api {
    (
        health::HealthApi,
        auth::AuthApi,
        tenants::TenantsApi,
        apply::ApplyApi,
        billing::BillingApi,
        notices::NoticesApi,
    )
}
