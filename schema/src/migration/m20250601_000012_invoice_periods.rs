//! Invoices every billing period: a scheduler issues the next period's invoice of each paid
//! subscription, and an administrator marks invoices paid. One invoice per subscription and
//! period start, so two schedulers (or a retry) cannot bill a period twice.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Invoices {
    Table,
    SubscriptionId,
    PeriodStart,
    PaidAt,
}

const PERIOD_INDEX: &str = "idx_invoices_subscription_period";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Invoices::Table)
                    .add_column_if_not_exists(
                        ColumnDef::new(Invoices::PaidAt)
                            .custom(Alias::new("DATETIME(6)"))
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        if !manager.has_index("invoices", PERIOD_INDEX).await? {
            manager
                .create_index(
                    Index::create()
                        .name(PERIOD_INDEX)
                        .table(Invoices::Table)
                        .col(Invoices::SubscriptionId)
                        .col(Invoices::PeriodStart)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(PERIOD_INDEX)
                    .table(Invoices::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Invoices::Table)
                    .drop_column(Invoices::PaidAt)
                    .to_owned(),
            )
            .await
    }
}
