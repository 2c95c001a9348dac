//! What a personal access token may do: `read`, `write` or `admin`. Tokens minted before
//! scopes existed keep what they could do (`write`; an administrator's, `admin`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PersonalAccessTokens {
    Table,
    Scope,
    UserId,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Role,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PersonalAccessTokens::Table)
                    .add_column_if_not_exists(
                        ColumnDef::new(PersonalAccessTokens::Scope)
                            .string_len(16)
                            .not_null()
                            .default("write"),
                    )
                    .to_owned(),
            )
            .await?;
        let admins = Query::select()
            .column(Users::Id)
            .from(Users::Table)
            .and_where(Expr::col(Users::Role).eq("admin"))
            .to_owned();
        manager
            .exec_stmt(
                Query::update()
                    .table(PersonalAccessTokens::Table)
                    .values([(PersonalAccessTokens::Scope, "admin".into())])
                    .and_where(Expr::col(PersonalAccessTokens::UserId).in_subquery(admins))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PersonalAccessTokens::Table)
                    .drop_column(PersonalAccessTokens::Scope)
                    .to_owned(),
            )
            .await
    }
}
