//! `invoices`: what a plan change, and each billing period after it, billed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invoices")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub user_id: Uuid,
    pub subscription_id: Option<Uuid>,
    pub plan_id: String,
    pub description: String,
    pub amount_cents: i32,
    pub currency: String,
    pub status: String,
    pub period_start: DateTimeUtc,
    pub period_end: DateTimeUtc,
    pub issued_at: DateTimeUtc,
    /// When an administrator (or, one day, a payment provider) marked it paid.
    pub paid_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
