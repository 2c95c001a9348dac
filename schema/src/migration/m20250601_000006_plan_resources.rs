//! What a plan allows each replica (CPU, memory) and each site (storage), next to its instance
//! and replica counts.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
    MaxCpuMillis,
    MaxMemoryMib,
    StorageGib,
}

/// `(plan, CPU in thousandths of a core, memory in MiB, storage in GiB)`. The Free plan fits a
/// site with the default resources (0.5 CPU, 512Mi).
const ALLOWANCES: &[(&str, i32, i32, i32)] = &[
    ("free", 500, 512, 1),
    ("hobby", 1000, 1024, 5),
    ("starter", 1000, 1024, 10),
    ("starter-plus", 2000, 2048, 20),
    ("professional", 2000, 2048, 50),
    ("professional-plus", 3000, 4096, 75),
    ("business", 4000, 4096, 100),
    ("business-plus", 4000, 8192, 200),
    ("agency", 4000, 8192, 300),
    ("enterprise", 4000, 8192, 500),
];

fn int_column<T: IntoIden>(column: T, default: i32) -> ColumnDef {
    ColumnDef::new(column)
        .integer()
        .not_null()
        .default(default)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Plans::Table)
                    .add_column_if_not_exists(int_column(Plans::MaxCpuMillis, 500))
                    .add_column_if_not_exists(int_column(Plans::MaxMemoryMib, 512))
                    .add_column_if_not_exists(int_column(Plans::StorageGib, 1))
                    .to_owned(),
            )
            .await?;
        for (id, cpu, memory, storage) in ALLOWANCES {
            manager
                .exec_stmt(
                    Query::update()
                        .table(Plans::Table)
                        .values([
                            (Plans::MaxCpuMillis, (*cpu).into()),
                            (Plans::MaxMemoryMib, (*memory).into()),
                            (Plans::StorageGib, (*storage).into()),
                        ])
                        .and_where(Expr::col(Plans::Id).eq(*id))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Plans::Table)
                    .drop_column(Plans::MaxCpuMillis)
                    .drop_column(Plans::MaxMemoryMib)
                    .drop_column(Plans::StorageGib)
                    .to_owned(),
            )
            .await
    }
}
