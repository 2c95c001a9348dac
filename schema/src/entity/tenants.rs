//! `tenants`: one row per tenant; `labels`, `spec` and `status` hold the resource types as JSON.
//! `resource_version` is the global version of the row's last write.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    #[sea_orm(unique)]
    pub uid: Uuid,
    pub owner_id: Uuid,
    #[sea_orm(column_type = "Json")]
    pub labels: Json,
    #[sea_orm(column_type = "Json")]
    pub spec: Json,
    #[sea_orm(column_type = "Json")]
    pub status: Json,
    pub generation: i64,
    pub resource_version: i64,
    pub created_at: DateTimeUtc,
    pub deletion_timestamp: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
