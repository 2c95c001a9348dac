//! `tenant_usage`: a site's storage as last measured (its volume, database and bucket), keyed
//! by the tenant's uid so a new site of the same name starts from nothing.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_usage")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_uid: Uuid,
    pub tenant: String,
    pub volume_bytes: i64,
    pub database_bytes: i64,
    pub bucket_bytes: i64,
    pub measured_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
