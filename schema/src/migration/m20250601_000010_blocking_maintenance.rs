//! A maintenance window may block writes: during a `blocking` window the API refuses every
//! write but an administrator's (503 `maintenance`). Windows made before keep only blocking
//! the portal's pages.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MaintenanceWindows {
    Table,
    Blocking,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MaintenanceWindows::Table)
                    .add_column_if_not_exists(
                        ColumnDef::new(MaintenanceWindows::Blocking)
                            .boolean()
                            .not_null()
                            .default(false),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(MaintenanceWindows::Table)
                    .drop_column(MaintenanceWindows::Blocking)
                    .to_owned(),
            )
            .await
    }
}
