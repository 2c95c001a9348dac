//! `rollout_items`: one row per tenant of a rollout, unique on (rollout_id, tenant_name).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rollout_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub rollout_id: Uuid,
    pub tenant_name: String,
    pub from_image: Option<String>,
    pub to_image: String,
    pub state: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub reason: Option<String>,
    pub batch: i32,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
