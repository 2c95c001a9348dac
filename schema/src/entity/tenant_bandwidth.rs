//! `tenant_bandwidth`: bytes a site's edge route carried (requests and responses) per
//! calendar month (`YYYY-MM`, UTC).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_bandwidth")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_uid: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: String,
    pub bytes: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
