//! The hand-over table for generated tenant admin passwords.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TenantSecrets {
    Table,
    TenantUid,
    TenantName,
    AdminPassword,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TenantSecrets::Table)
                    .if_not_exists()
                    .engine("InnoDB")
                    .character_set("utf8mb4")
                    .collate("utf8mb4_unicode_ci")
                    .col(
                        ColumnDef::new(TenantSecrets::TenantUid)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(TenantSecrets::TenantName)
                            .string_len(32)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantSecrets::AdminPassword)
                            .string_len(255)
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(TenantSecrets::CreatedAt)
                            .custom(Alias::new("DATETIME(6)"))
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(TenantSecrets::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await
    }
}
