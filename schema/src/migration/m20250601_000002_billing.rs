//! The plan catalogue (seeded here), subscriptions and invoices.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Plans {
    Table,
    Id,
    Name,
    MaxInstances,
    MaxReplicas,
    PriceCents,
    Currency,
    Features,
    SortOrder,
}

#[derive(DeriveIden)]
enum Subscriptions {
    Table,
    Id,
    UserId,
    PlanId,
    Status,
    StartedAt,
    EndedAt,
}

#[derive(DeriveIden)]
enum Invoices {
    Table,
    Id,
    UserId,
    SubscriptionId,
    PlanId,
    Description,
    AmountCents,
    Currency,
    Status,
    PeriodStart,
    PeriodEnd,
    IssuedAt,
}

/// The catalogue of the seed design: (id, name, max instances (None = unlimited), max
/// replicas, monthly price in US cents, features). Features accumulate up the tiers.
/// (id, name, max instances, max replicas, monthly price in cents, features)
type PlanRow = (
    &'static str,
    &'static str,
    Option<i32>,
    i32,
    i32,
    &'static [&'static str],
);

const PLANS: &[PlanRow] = &[
    ("free", "Free", Some(1), 1, 0, &["Basic"]),
    (
        "hobby",
        "Hobby",
        Some(2),
        1,
        500,
        &["Basic", "Custom Domain"],
    ),
    (
        "starter",
        "Starter",
        Some(5),
        2,
        1200,
        &["Basic", "Custom Domain", "Backups"],
    ),
    (
        "starter-plus",
        "Starter Plus",
        Some(8),
        2,
        1900,
        &["Basic", "Custom Domain", "Backups", "More Bandwidth"],
    ),
    (
        "professional",
        "Professional",
        Some(15),
        3,
        2900,
        &[
            "Basic",
            "Custom Domain",
            "Backups",
            "More Bandwidth",
            "Priority Support",
        ],
    ),
    (
        "professional-plus",
        "Professional Plus",
        Some(25),
        3,
        4900,
        &[
            "Basic",
            "Custom Domain",
            "Backups",
            "More Bandwidth",
            "Priority Support",
            "More Storage",
        ],
    ),
    (
        "business",
        "Business",
        Some(50),
        4,
        7900,
        &[
            "Basic",
            "Custom Domain",
            "Backups",
            "More Bandwidth",
            "Priority Support+",
            "More Storage",
        ],
    ),
    (
        "business-plus",
        "Business Plus",
        Some(100),
        4,
        12900,
        &[
            "Basic",
            "Custom Domain",
            "Backups",
            "More Bandwidth",
            "Priority Support+",
            "More Storage",
            "High Performance",
        ],
    ),
    (
        "agency",
        "Agency",
        Some(200),
        5,
        24900,
        &[
            "Basic",
            "Custom Domain",
            "Backups",
            "More Bandwidth",
            "Priority Support+",
            "More Storage",
            "High Performance",
            "Reseller Ready",
        ],
    ),
    (
        "enterprise",
        "Enterprise",
        None,
        5,
        49900,
        &["All Features"],
    ),
];

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

fn plans_table() -> TableCreateStatement {
    table(Plans::Table)
        .col(
            ColumnDef::new(Plans::Id)
                .string_len(32)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Plans::Name).string_len(64).not_null())
        .col(ColumnDef::new(Plans::MaxInstances).integer().null())
        .col(ColumnDef::new(Plans::MaxReplicas).integer().not_null())
        .col(ColumnDef::new(Plans::PriceCents).integer().not_null())
        .col(ColumnDef::new(Plans::Currency).char_len(3).not_null())
        .col(ColumnDef::new(Plans::Features).json().not_null())
        .col(ColumnDef::new(Plans::SortOrder).integer().not_null())
        .to_owned()
}

fn subscriptions_table() -> TableCreateStatement {
    table(Subscriptions::Table)
        .col(
            ColumnDef::new(Subscriptions::Id)
                .uuid()
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(Subscriptions::UserId).uuid().not_null())
        .col(
            ColumnDef::new(Subscriptions::PlanId)
                .string_len(32)
                .not_null(),
        )
        .col(
            ColumnDef::new(Subscriptions::Status)
                .string_len(16)
                .not_null(),
        )
        .col(timestamp(Subscriptions::StartedAt))
        .col(timestamp_null(Subscriptions::EndedAt))
        .index(
            Index::create()
                .name("idx_subscriptions_user_status")
                .col(Subscriptions::UserId)
                .col(Subscriptions::Status),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_subscriptions_user")
                .from(Subscriptions::Table, Subscriptions::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_subscriptions_plan")
                .from(Subscriptions::Table, Subscriptions::PlanId)
                .to(Plans::Table, Plans::Id),
        )
        .to_owned()
}

fn invoices_table() -> TableCreateStatement {
    table(Invoices::Table)
        .col(ColumnDef::new(Invoices::Id).uuid().not_null().primary_key())
        .col(ColumnDef::new(Invoices::UserId).uuid().not_null())
        .col(ColumnDef::new(Invoices::SubscriptionId).uuid().null())
        .col(ColumnDef::new(Invoices::PlanId).string_len(32).not_null())
        .col(
            ColumnDef::new(Invoices::Description)
                .string_len(255)
                .not_null(),
        )
        .col(ColumnDef::new(Invoices::AmountCents).integer().not_null())
        .col(ColumnDef::new(Invoices::Currency).char_len(3).not_null())
        .col(ColumnDef::new(Invoices::Status).string_len(16).not_null())
        .col(timestamp(Invoices::PeriodStart))
        .col(timestamp(Invoices::PeriodEnd))
        .col(timestamp(Invoices::IssuedAt))
        .index(
            Index::create()
                .name("idx_invoices_user_issued")
                .col(Invoices::UserId)
                .col(Invoices::IssuedAt),
        )
        .foreign_key(
            ForeignKey::create()
                .name("fk_invoices_user")
                .from(Invoices::Table, Invoices::UserId)
                .to(Users::Table, Users::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(plans_table()).await?;

        let mut insert = Query::insert();
        insert.into_table(Plans::Table).columns([
            Plans::Id,
            Plans::Name,
            Plans::MaxInstances,
            Plans::MaxReplicas,
            Plans::PriceCents,
            Plans::Currency,
            Plans::Features,
            Plans::SortOrder,
        ]);
        for (order, (id, name, max_instances, max_replicas, price, features)) in
            PLANS.iter().enumerate()
        {
            let features = serde_json::Value::from(features.to_vec());
            insert
                .values([
                    (*id).into(),
                    (*name).into(),
                    (*max_instances).into(),
                    (*max_replicas).into(),
                    (*price).into(),
                    "USD".into(),
                    features.into(),
                    <i32 as TryFrom<usize>>::try_from(order)
                        .unwrap_or(i32::MAX)
                        .into(),
                ])
                .map_err(|error| DbErr::Migration(format!("plan {id}: {error}")))?;
        }
        // Idempotent: a run interrupted after this insert but before the migration was
        // recorded repeats it without a duplicate-key error.
        insert.on_conflict(
            OnConflict::column(Plans::Id)
                .update_columns([
                    Plans::Name,
                    Plans::MaxInstances,
                    Plans::MaxReplicas,
                    Plans::PriceCents,
                    Plans::Currency,
                    Plans::Features,
                    Plans::SortOrder,
                ])
                .to_owned(),
        );
        manager.exec_stmt(insert).await?;

        manager.create_table(subscriptions_table()).await?;

        manager.create_table(invoices_table()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Invoices::Table.into_iden(),
            Subscriptions::Table.into_iden(),
            Plans::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
