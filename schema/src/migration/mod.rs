//! sea-orm-migration migrations. Each file is self-contained (its own `DeriveIden` enums and
//! literal seed data) so that a later change to the entities or the resource types can never
//! change what an old migration did. MariaDB/MySQL only: timestamps are `DATETIME(6)` in UTC
//! (the driver sets the session time zone to `+00:00`).
//!
//! Run through [`Store::migrate`](crate::store::Store::migrate), which serializes concurrent
//! runs (API and controller start together) with a MariaDB named lock.

use sea_orm_migration::prelude::*;

mod m20250601_000001_accounts;
mod m20250601_000002_billing;
mod m20250601_000003_tenants;
mod m20250601_000004_operations;
mod m20250601_000005_tenant_secrets;
mod m20250601_000006_plan_resources;
mod m20250601_000007_token_scopes;
mod m20250601_000008_login_attempts;
mod m20250601_000009_edge_routes;
mod m20250601_000010_blocking_maintenance;
mod m20250601_000011_user_administration;
mod m20250601_000012_invoice_periods;
mod m20250601_000013_tenant_actions;
mod m20250601_000014_plan_allocations;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20250601_000001_accounts::Migration),
            Box::new(m20250601_000002_billing::Migration),
            Box::new(m20250601_000003_tenants::Migration),
            Box::new(m20250601_000004_operations::Migration),
            Box::new(m20250601_000005_tenant_secrets::Migration),
            Box::new(m20250601_000006_plan_resources::Migration),
            Box::new(m20250601_000007_token_scopes::Migration),
            Box::new(m20250601_000008_login_attempts::Migration),
            Box::new(m20250601_000009_edge_routes::Migration),
            Box::new(m20250601_000010_blocking_maintenance::Migration),
            Box::new(m20250601_000011_user_administration::Migration),
            Box::new(m20250601_000012_invoice_periods::Migration),
            Box::new(m20250601_000013_tenant_actions::Migration),
            Box::new(m20250601_000014_plan_allocations::Migration),
        ]
    }
}
