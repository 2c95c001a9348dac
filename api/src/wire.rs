//! Wire types the API answers with and its CLI reads back: shared by both, owned by neither
//! handler module.

use poem_openapi::{Enum, Object};
use serde::Deserialize;
use swarmpress_schema::resource::Tenant;
use swarmpress_schema::resource::validation::FieldError;

#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct ListMeta {
    /// Watch from this version to see every change after this list.
    pub resource_version: String,
    /// More items follow: ask again with `continue` set to this. Absent on the last page.
    #[serde(default, rename = "continue")]
    #[oai(rename = "continue")]
    pub continue_: Option<String>,
}

#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct TenantList {
    pub api_version: String,
    pub kind: String,
    pub metadata: ListMeta,
    pub items: Vec<Tenant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Enum)]
#[serde(rename_all = "lowercase")]
#[oai(rename_all = "lowercase")]
pub enum ApplyAction {
    Created,
    Configured,
    Unchanged,
    Invalid,
}

#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct ApplyResult {
    pub kind: String,
    pub name: String,
    pub action: ApplyAction,
    pub errors: Vec<FieldError>,
    /// For a tenant created by this call (not on a dry run): its WordPress admin password,
    /// shown this once.
    #[oai(skip_serializing_if_is_none)]
    #[serde(default)]
    pub admin_password: Option<String>,
}

#[derive(Debug, Deserialize, Object)]
pub struct ApplyResults {
    pub results: Vec<ApplyResult>,
}
