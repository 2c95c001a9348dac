//! User administration: an account can be disabled (it cannot sign in and its credentials
//! stop working, until re-enabled) and can be made to choose a new password at its next
//! sign-in (after an administrator reset it). Every administrative action on accounts is
//! recorded in `audit_entries`: who, what, when and from where.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    DisabledAt,
    MustChangePassword,
}

#[derive(DeriveIden)]
enum AuditEntries {
    Table,
    Id,
    At,
    ActorId,
    ActorEmail,
    Action,
    TargetKind,
    TargetId,
    TargetLabel,
    Detail,
    Source,
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
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column_if_not_exists(timestamp(Users::DisabledAt, true))
                    .add_column_if_not_exists(
                        ColumnDef::new(Users::MustChangePassword)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(AuditEntries::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(AuditEntries::Id)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(timestamp(AuditEntries::At, false))
                    // No foreign key: the record outlives the accounts it names.
                    .col(ColumnDef::new(AuditEntries::ActorId).uuid().not_null())
                    .col(
                        ColumnDef::new(AuditEntries::ActorEmail)
                            .string_len(320)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEntries::Action)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEntries::TargetKind)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEntries::TargetId)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(AuditEntries::TargetLabel)
                            .string_len(320)
                            .not_null(),
                    )
                    .col(ColumnDef::new(AuditEntries::Detail).text().not_null())
                    .col(ColumnDef::new(AuditEntries::Source).string_len(64).null())
                    .index(
                        Index::create()
                            .name("idx_audit_entries_at")
                            .col(AuditEntries::At)
                            .col(AuditEntries::Id),
                    )
                    .index(
                        Index::create()
                            .name("idx_audit_entries_target")
                            .col(AuditEntries::TargetId)
                            .col(AuditEntries::At),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEntries::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::DisabledAt)
                    .drop_column(Users::MustChangePassword)
                    .to_owned(),
            )
            .await
    }
}
