//! The edge's routing table as the controller last published it: one row, read by every
//! controller replica when Traefik asks (see `controller/src/edge`).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EdgeRoutes {
    Table,
    /// Always 1: the table holds the one current configuration.
    Id,
    /// SHA-256 (hex) of `config`, so a reader can tell a change without reading it all.
    Digest,
    /// Traefik's dynamic configuration (JSON).
    Config,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(EdgeRoutes::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(EdgeRoutes::Id)
                            .tiny_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(EdgeRoutes::Digest).char_len(64).not_null())
                    .col(
                        ColumnDef::new(EdgeRoutes::Config)
                            .custom(Alias::new("MEDIUMTEXT"))
                            .not_null(),
                    )
                    .col(ColumnDef::new(EdgeRoutes::UpdatedAt).date_time().not_null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EdgeRoutes::Table).to_owned())
            .await
    }
}
