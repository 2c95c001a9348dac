//! Announcements, maintenance windows, rollouts and their items, and leader leases.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Announcements {
    Table,
    Id,
    Type,
    Title,
    Message,
    StartsAt,
    EndsAt,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MaintenanceWindows {
    Table,
    Id,
    StartsAt,
    EndsAt,
    Message,
    RolloutId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Rollouts {
    Table,
    Id,
    Name,
    Spec,
    State,
    Message,
    CreatedBy,
    CreatedAt,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum RolloutItems {
    Table,
    Id,
    RolloutId,
    TenantName,
    FromImage,
    ToImage,
    State,
    Reason,
    Batch,
    StartedAt,
    FinishedAt,
}

#[derive(DeriveIden)]
enum LeaderLeases {
    Table,
    Name,
    Holder,
    Epoch,
    RenewedAt,
    ExpiresAt,
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

fn announcements_table() -> TableCreateStatement {
    table(Announcements::Table)
        .col(
            ColumnDef::new(Announcements::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(Announcements::Type)
                .string_len(16)
                .not_null(),
        )
        .col(
            ColumnDef::new(Announcements::Title)
                .string_len(200)
                .not_null(),
        )
        .col(ColumnDef::new(Announcements::Message).text().not_null())
        .col(timestamp(Announcements::StartsAt))
        .col(timestamp(Announcements::EndsAt))
        .col(ColumnDef::new(Announcements::CreatedBy).uuid().null())
        .col(timestamp(Announcements::CreatedAt))
        .index(
            Index::create()
                .name("idx_announcements_period")
                .col(Announcements::StartsAt)
                .col(Announcements::EndsAt),
        )
        .to_owned()
}

fn maintenance_windows_table() -> TableCreateStatement {
    table(MaintenanceWindows::Table)
        .col(
            ColumnDef::new(MaintenanceWindows::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(timestamp(MaintenanceWindows::StartsAt))
        .col(timestamp(MaintenanceWindows::EndsAt))
        .col(
            ColumnDef::new(MaintenanceWindows::Message)
                .text()
                .not_null(),
        )
        .col(ColumnDef::new(MaintenanceWindows::RolloutId).uuid().null())
        .col(timestamp(MaintenanceWindows::CreatedAt))
        .index(
            Index::create()
                .name("idx_maintenance_windows_period")
                .col(MaintenanceWindows::StartsAt)
                .col(MaintenanceWindows::EndsAt),
        )
        .to_owned()
}

fn rollouts_table() -> TableCreateStatement {
    table(Rollouts::Table)
        .col(ColumnDef::new(Rollouts::Id).uuid().not_null().primary_key())
        .col(
            ColumnDef::new(Rollouts::Name)
                .string_len(63)
                .null()
                .unique_key(),
        )
        .col(ColumnDef::new(Rollouts::Spec).json().not_null())
        .col(ColumnDef::new(Rollouts::State).string_len(16).not_null())
        .col(ColumnDef::new(Rollouts::Message).text().null())
        .col(ColumnDef::new(Rollouts::CreatedBy).uuid().null())
        .col(timestamp(Rollouts::CreatedAt))
        .col(timestamp_null(Rollouts::StartedAt))
        .col(timestamp_null(Rollouts::FinishedAt))
        .index(
            Index::create()
                .name("idx_rollouts_state")
                .col(Rollouts::State),
        )
        .to_owned()
}

fn rollout_items_table() -> TableCreateStatement {
    table(RolloutItems::Table)
        .col(
            ColumnDef::new(RolloutItems::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(ColumnDef::new(RolloutItems::RolloutId).uuid().not_null())
        .col(
            ColumnDef::new(RolloutItems::TenantName)
                .string_len(32)
                .not_null(),
        )
        .col(
            ColumnDef::new(RolloutItems::FromImage)
                .string_len(255)
                .null(),
        )
        .col(
            ColumnDef::new(RolloutItems::ToImage)
                .string_len(255)
                .not_null(),
        )
        .col(
            ColumnDef::new(RolloutItems::State)
                .string_len(16)
                .not_null(),
        )
        .col(ColumnDef::new(RolloutItems::Reason).text().null())
        .col(ColumnDef::new(RolloutItems::Batch).integer().not_null())
        .col(timestamp_null(RolloutItems::StartedAt))
        .col(timestamp_null(RolloutItems::FinishedAt))
        .index(
            Index::create()
                .name("uq_rollout_items_tenant")
                .unique()
                .col(RolloutItems::RolloutId)
                .col(RolloutItems::TenantName),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_rollout_items_rollout")
                .from(RolloutItems::Table, RolloutItems::RolloutId)
                .to(Rollouts::Table, Rollouts::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn leader_leases_table() -> TableCreateStatement {
    table(LeaderLeases::Table)
        .col(
            ColumnDef::new(LeaderLeases::Name)
                .string_len(64)
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(LeaderLeases::Holder)
                .string_len(128)
                .not_null(),
        )
        .col(ColumnDef::new(LeaderLeases::Epoch).big_integer().not_null())
        .col(timestamp(LeaderLeases::RenewedAt))
        .col(timestamp(LeaderLeases::ExpiresAt))
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(announcements_table()).await?;

        manager.create_table(maintenance_windows_table()).await?;

        manager.create_table(rollouts_table()).await?;

        manager.create_table(rollout_items_table()).await?;

        manager.create_table(leader_leases_table()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LeaderLeases::Table.into_iden(),
            RolloutItems::Table.into_iden(),
            Rollouts::Table.into_iden(),
            MaintenanceWindows::Table.into_iden(),
            Announcements::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
