//! Tenant actions: one-shot work on a site's running replicas that an owner asks for and the
//! controller carries out (a cache purge), each with its per-replica report.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantActions {
    Table,
    Id,
    Tenant,
    Kind,
    State,
    RequestedBy,
    RequestedAt,
    StartedAt,
    FinishedAt,
    Replicas,
    Message,
}

fn timestamp<T: IntoIden>(column: T, null: bool) -> ColumnDef {
    let mut column = ColumnDef::new(column);
    column.custom(Alias::new("DATETIME(6)"));
    if null {
        column.null();
    } else {
        column.not_null();
    }
    column.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantActions::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(TenantActions::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(TenantActions::Tenant)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantActions::Kind)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantActions::State)
                            .string_len(16)
                            .not_null(),
                    )
                    .col(ColumnDef::new(TenantActions::RequestedBy).uuid().not_null())
                    .col(timestamp(TenantActions::RequestedAt, false))
                    .col(timestamp(TenantActions::StartedAt, true))
                    .col(timestamp(TenantActions::FinishedAt, true))
                    .col(ColumnDef::new(TenantActions::Replicas).text().not_null())
                    .col(ColumnDef::new(TenantActions::Message).text().null())
                    .index(
                        Index::create()
                            .name("idx_tenant_actions_state")
                            .col(TenantActions::State)
                            .col(TenantActions::RequestedAt),
                    )
                    .index(
                        Index::create()
                            .name("idx_tenant_actions_tenant")
                            .col(TenantActions::Tenant)
                            .col(TenantActions::RequestedAt),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TenantActions::Table).to_owned())
            .await
    }
}
