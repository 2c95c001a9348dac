//! `tenant_secrets`: a tenant's generated WordPress admin password, handed from the API to
//! the controller. The API writes it with the tenant; the controller turns it into a Swarm
//! secret and deletes the row, so it sits in the database only until the first reconcile.

use sea_orm::entity::prelude::*;

#[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenant_secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_uid: Uuid,
    pub tenant_name: String,
    pub admin_password: String,
    pub created_at: DateTimeUtc,
}

/// By hand, so the password never reaches a log through `{:?}`.
impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("tenant_uid", &self.tenant_uid)
            .field("tenant_name", &self.tenant_name)
            .field("admin_password", &"<redacted>")
            .finish()
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
