//! `tenant_changes`: the watch change feed. One row per tenant write, keyed by the resourceVersion
//! the write took, holding the whole object as it was after the write.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_changes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub resource_version: i64,
    pub tenant_name: String,
    pub owner_id: Uuid,
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub change_type: String,
    #[sea_orm(column_type = "Json")]
    pub object: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
