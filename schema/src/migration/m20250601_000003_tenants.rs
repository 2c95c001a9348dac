//! Tenants, their change feed, the resourceVersion counter and their events.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Name,
    Uid,
    OwnerId,
    Labels,
    Spec,
    Status,
    Generation,
    ResourceVersion,
    CreatedAt,
    DeletionTimestamp,
}

#[derive(DeriveIden)]
enum TenantChanges {
    Table,
    ResourceVersion,
    TenantName,
    OwnerId,
    ChangeType,
    Object,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ResourceVersionCounter {
    Table,
    Id,
    Value,
}

#[derive(DeriveIden)]
enum TenantEvents {
    Table,
    Id,
    TenantName,
    Type,
    Reason,
    Message,
    Count,
    FirstTimestamp,
    LastTimestamp,
}

fn timestamp<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .custom(Alias::new("DATETIME(6)"))
        .not_null()
        .to_owned()
}

fn timestamp_null<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .custom(Alias::new("DATETIME(6)"))
        .null()
        .to_owned()
}

fn table<T: IntoIden>(name: T) -> TableCreateStatement {
    Table::create()
        .table(name)
        .if_not_exists()
        .engine("InnoDB")
        .character_set("utf8mb4")
        .collate("utf8mb4_unicode_ci")
        .to_owned()
}

fn tenants_table() -> TableCreateStatement {
    table(Tenants::Table)
        .col(
            ColumnDef::new(Tenants::Name)
                .string_len(32)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Tenants::Uid).uuid().not_null().unique_key())
        .col(ColumnDef::new(Tenants::OwnerId).uuid().not_null())
        .col(ColumnDef::new(Tenants::Labels).json().not_null())
        .col(ColumnDef::new(Tenants::Spec).json().not_null())
        .col(ColumnDef::new(Tenants::Status).json().not_null())
        .col(ColumnDef::new(Tenants::Generation).big_integer().not_null())
        .col(
            ColumnDef::new(Tenants::ResourceVersion)
                .big_integer()
                .not_null(),
        )
        .col(timestamp(Tenants::CreatedAt))
        .col(timestamp_null(Tenants::DeletionTimestamp))
        .index(
            Index::create()
                .name("idx_tenants_owner")
                .col(Tenants::OwnerId),
        )
        .to_owned()
}

fn tenant_changes_table() -> TableCreateStatement {
    table(TenantChanges::Table)
        .col(
            ColumnDef::new(TenantChanges::ResourceVersion)
                .big_integer()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(TenantChanges::TenantName)
                .string_len(32)
                .not_null(),
        )
        .col(ColumnDef::new(TenantChanges::OwnerId).uuid().not_null())
        .col(
            ColumnDef::new(TenantChanges::ChangeType)
                .string_len(16)
                .not_null(),
        )
        .col(ColumnDef::new(TenantChanges::Object).json().not_null())
        .col(timestamp(TenantChanges::CreatedAt))
        .index(
            Index::create()
                .name("idx_tenant_changes_tenant")
                .col(TenantChanges::TenantName)
                .col(TenantChanges::ResourceVersion),
        )
        .index(
            Index::create()
                .name("idx_tenant_changes_owner")
                .col(TenantChanges::OwnerId)
                .col(TenantChanges::ResourceVersion),
        )
        .index(
            Index::create()
                .name("idx_tenant_changes_created")
                .col(TenantChanges::CreatedAt),
        )
        .to_owned()
}

fn resource_version_counter_table() -> TableCreateStatement {
    table(ResourceVersionCounter::Table)
        .col(
            ColumnDef::new(ResourceVersionCounter::Id)
                .integer()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(ResourceVersionCounter::Value)
                .big_integer()
                .not_null(),
        )
        .to_owned()
}

fn tenant_events_table() -> TableCreateStatement {
    table(TenantEvents::Table)
        .col(
            ColumnDef::new(TenantEvents::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(
            ColumnDef::new(TenantEvents::TenantName)
                .string_len(32)
                .not_null(),
        )
        .col(ColumnDef::new(TenantEvents::Type).string_len(16).not_null())
        .col(
            ColumnDef::new(TenantEvents::Reason)
                .string_len(64)
                .not_null(),
        )
        // 512 characters keeps the unique key within InnoDB's 3072-byte limit
        // in utf8mb4; the store truncates longer messages.
        .col(
            ColumnDef::new(TenantEvents::Message)
                .string_len(512)
                .not_null(),
        )
        .col(ColumnDef::new(TenantEvents::Count).integer().not_null())
        .col(timestamp(TenantEvents::FirstTimestamp))
        .col(timestamp(TenantEvents::LastTimestamp))
        .index(
            Index::create()
                .name("uq_tenant_events_dedupe")
                .unique()
                .col(TenantEvents::TenantName)
                .col(TenantEvents::Reason)
                .col(TenantEvents::Message),
        )
        .index(
            Index::create()
                .name("idx_tenant_events_recent")
                .col(TenantEvents::TenantName)
                .col(TenantEvents::LastTimestamp),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No foreign key to users: the owner's id is kept as given so that a tenant's
        // finalization never depends on its owner's row, and deleting a user with tenants is
        // refused by the API, not by a constraint that would surface as a generic error.
        manager.create_table(tenants_table()).await?;

        manager.create_table(tenant_changes_table()).await?;

        manager
            .create_table(resource_version_counter_table())
            .await?;
        // The single row; the no-op update keeps a repeated run from resetting the counter.
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(ResourceVersionCounter::Table)
                    .columns([ResourceVersionCounter::Id, ResourceVersionCounter::Value])
                    .values([1.into(), 0i64.into()])
                    .map_err(|error| DbErr::Migration(error.to_string()))?
                    .on_conflict(
                        OnConflict::column(ResourceVersionCounter::Id)
                            .update_column(ResourceVersionCounter::Id)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;

        manager.create_table(tenant_events_table()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            TenantEvents::Table.into_iden(),
            ResourceVersionCounter::Table.into_iden(),
            TenantChanges::Table.into_iden(),
            Tenants::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
