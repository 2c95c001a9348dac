//! `plans`: the catalogue, seeded by a migration. `max_instances` NULL means unlimited.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub max_instances: Option<i32>,
    pub max_replicas: i32,
    pub price_cents: i32,
    pub currency: String,
    /// A JSON array of strings.
    #[sea_orm(column_type = "Json")]
    pub features: Json,
    pub sort_order: i32,
    pub max_cpu_millis: i32,
    pub max_memory_mib: i32,
    pub storage_mib: i32,
    pub bandwidth_gib: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
