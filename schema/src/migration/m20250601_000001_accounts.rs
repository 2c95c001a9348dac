//! Users, refresh-token families and personal access tokens.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    Role,
    CreatedAt,
    UpdatedAt,
    PasswordChangedAt,
}

#[derive(DeriveIden)]
enum RefreshTokenFamilies {
    Table,
    Id,
    UserId,
    CurrentJti,
    RevokedAt,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PersonalAccessTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Prefix,
    CreatedAt,
    LastUsedAt,
    ExpiresAt,
}

/// Microsecond timestamps: second precision would make events and lease renewals within
/// the same second indistinguishable.
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

fn users_table() -> TableCreateStatement {
    table(Users::Table)
        .col(ColumnDef::new(Users::Id).uuid().not_null().primary_key())
        .col(
            ColumnDef::new(Users::Email)
                .string_len(254)
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(Users::Name).string_len(200).not_null())
        .col(
            ColumnDef::new(Users::PasswordHash)
                .string_len(255)
                .not_null(),
        )
        .col(ColumnDef::new(Users::Role).string_len(16).not_null())
        .col(timestamp(Users::CreatedAt))
        .col(timestamp(Users::UpdatedAt))
        .col(timestamp(Users::PasswordChangedAt))
        .to_owned()
}

fn refresh_token_families_table() -> TableCreateStatement {
    table(RefreshTokenFamilies::Table)
        .col(
            ColumnDef::new(RefreshTokenFamilies::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(RefreshTokenFamilies::UserId)
                .uuid()
                .not_null(),
        )
        .col(
            ColumnDef::new(RefreshTokenFamilies::CurrentJti)
                .string_len(64)
                .not_null(),
        )
        .col(timestamp_null(RefreshTokenFamilies::RevokedAt))
        .col(timestamp(RefreshTokenFamilies::ExpiresAt))
        .col(timestamp(RefreshTokenFamilies::CreatedAt))
        .foreign_key(
            ForeignKey::create()
                .name("fk_refresh_token_families_user")
                .from(RefreshTokenFamilies::Table, RefreshTokenFamilies::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

fn personal_access_tokens_table() -> TableCreateStatement {
    table(PersonalAccessTokens::Table)
        .col(
            ColumnDef::new(PersonalAccessTokens::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(PersonalAccessTokens::UserId)
                .uuid()
                .not_null(),
        )
        .col(
            ColumnDef::new(PersonalAccessTokens::Name)
                .string_len(100)
                .not_null(),
        )
        .col(
            ColumnDef::new(PersonalAccessTokens::TokenHash)
                .char_len(64)
                .not_null()
                .unique_key(),
        )
        .col(
            ColumnDef::new(PersonalAccessTokens::Prefix)
                .string_len(16)
                .not_null(),
        )
        .col(timestamp(PersonalAccessTokens::CreatedAt))
        .col(timestamp_null(PersonalAccessTokens::LastUsedAt))
        .col(timestamp_null(PersonalAccessTokens::ExpiresAt))
        .foreign_key(
            ForeignKey::create()
                .name("fk_personal_access_tokens_user")
                .from(PersonalAccessTokens::Table, PersonalAccessTokens::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(users_table()).await?;

        manager.create_table(refresh_token_families_table()).await?;

        manager.create_table(personal_access_tokens_table()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PersonalAccessTokens::Table.into_iden(),
            RefreshTokenFamilies::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
