//! Plan allocations as data: storage per site in MiB (finer than the GiB it replaces, so an
//! allocation can be small enough to test with a real upload) and monthly bandwidth per site,
//! next to instances and replicas; and what each site uses of them — its storage as last
//! measured, and its edge traffic per calendar month.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
    StorageGib,
    StorageMib,
    BandwidthGib,
}

#[derive(DeriveIden)]
enum TenantUsage {
    Table,
    TenantUid,
    Tenant,
    VolumeBytes,
    DatabaseBytes,
    BucketBytes,
    MeasuredAt,
}

#[derive(DeriveIden)]
enum TenantBandwidth {
    Table,
    TenantUid,
    Month,
    Bytes,
    UpdatedAt,
}

/// `(plan, monthly bandwidth per site in GiB)`: "More Bandwidth" from Starter Plus up.
const BANDWIDTH: &[(&str, i32)] = &[
    ("free", 10),
    ("hobby", 50),
    ("starter", 100),
    ("starter-plus", 250),
    ("professional", 500),
    ("professional-plus", 750),
    ("business", 1000),
    ("business-plus", 2000),
    ("agency", 3000),
    ("enterprise", 5000),
];

fn big<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

fn timestamp<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .custom(Alias::new("DATETIME(6)"))
        .not_null()
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Plans::Table)
                    .add_column_if_not_exists(
                        ColumnDef::new(Plans::StorageMib)
                            .integer()
                            .not_null()
                            .default(1024),
                    )
                    .add_column_if_not_exists(
                        ColumnDef::new(Plans::BandwidthGib)
                            .integer()
                            .not_null()
                            .default(10),
                    )
                    .to_owned(),
            )
            .await?;
        if manager.has_column("plans", "storage_gib").await? {
            manager
                .exec_stmt(
                    Query::update()
                        .table(Plans::Table)
                        .value(Plans::StorageMib, Expr::col(Plans::StorageGib).mul(1024))
                        .to_owned(),
                )
                .await?;
            manager
                .alter_table(
                    Table::alter()
                        .table(Plans::Table)
                        .drop_column(Plans::StorageGib)
                        .to_owned(),
                )
                .await?;
        }
        for (id, gib) in BANDWIDTH {
            manager
                .exec_stmt(
                    Query::update()
                        .table(Plans::Table)
                        .value(Plans::BandwidthGib, *gib)
                        .and_where(Expr::col(Plans::Id).eq(*id))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(TenantUsage::Table)
                    .if_not_exists()
                    .col(
                        ColumnDef::new(TenantUsage::TenantUid)
                            .uuid()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(TenantUsage::Tenant)
                            .string_len(64)
                            .not_null(),
                    )
                    .col(big(TenantUsage::VolumeBytes))
                    .col(big(TenantUsage::DatabaseBytes))
                    .col(big(TenantUsage::BucketBytes))
                    .col(timestamp(TenantUsage::MeasuredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(TenantBandwidth::Table)
                    .if_not_exists()
                    .col(ColumnDef::new(TenantBandwidth::TenantUid).uuid().not_null())
                    .col(
                        ColumnDef::new(TenantBandwidth::Month)
                            .string_len(7)
                            .not_null(),
                    )
                    .col(big(TenantBandwidth::Bytes))
                    .col(timestamp(TenantBandwidth::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(TenantBandwidth::TenantUid)
                            .col(TenantBandwidth::Month),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TenantBandwidth::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(TenantUsage::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Plans::Table)
                    .add_column_if_not_exists(
                        ColumnDef::new(Plans::StorageGib)
                            .integer()
                            .not_null()
                            .default(1),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Plans::Table)
                    .value(Plans::StorageGib, Expr::col(Plans::StorageMib).div(1024))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Plans::Table)
                    .drop_column(Plans::StorageMib)
                    .drop_column(Plans::BandwidthGib)
                    .to_owned(),
            )
            .await
    }
}
