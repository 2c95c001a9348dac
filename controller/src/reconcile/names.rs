//! Names and labels of the Swarm objects the reconciler owns.

use std::collections::HashMap;

use swarmpress_schema::TenantName;

pub use crate::digest::short_hash;
use crate::swarm::TENANT_LABEL;

/// What a tenant secret holds: `db` or `admin`.
pub const PURPOSE_LABEL: &str = "swarmpress.purpose";
pub const PURPOSE_DB: &str = "db";
pub const PURPOSE_ADMIN: &str = "admin";

/// The labels every object of a tenant carries: how the controller recognises its own.
pub fn tenant_labels(tenant: &TenantName) -> HashMap<String, String> {
    HashMap::from([(TENANT_LABEL.to_owned(), tenant.to_string())])
}

pub fn secret_labels(tenant: &TenantName, purpose: &str) -> HashMap<String, String> {
    let mut labels = tenant_labels(tenant);
    labels.insert(PURPOSE_LABEL.to_owned(), purpose.to_owned());
    labels
}

/// `wp_<slug>_<purpose>_<suffix>`. Swarm secrets are immutable, so every new value gets a new
/// name; `suffix` is random, not derived from the value, so the name says nothing about it.
pub fn secret_name(tenant: &TenantName, purpose: &str, suffix: &str) -> String {
    format!("{}_{purpose}_{suffix}", tenant.service_name())
}

/// The label filter that selects one tenant's objects.
pub fn tenant_filter(tenant: &TenantName) -> String {
    format!("{TENANT_LABEL}={tenant}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_follow_the_convention() {
        let tenant = TenantName::parse("acme-blog").unwrap();
        assert_eq!(
            secret_name(&tenant, PURPOSE_DB, "0a1b2c3d"),
            "wp_acme-blog_db_0a1b2c3d"
        );
        assert_eq!(tenant_filter(&tenant), "swarmpress.tenant=acme-blog");
        assert_eq!(
            secret_labels(&tenant, PURPOSE_ADMIN)[PURPOSE_LABEL],
            "admin"
        );
    }
}
