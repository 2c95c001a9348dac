//! Labels of the Swarm objects the reconciler owns (their names are `TenantName`'s).

use std::collections::HashMap;

use swarmpress_schema::TenantName;

use crate::adapters::swarm::TENANT_LABEL;

/// What a tenant secret holds: `db`, `admin` or `s3`.
pub const PURPOSE_LABEL: &str = "swarmpress.purpose";
pub const PURPOSE_DB: &str = "db";
pub const PURPOSE_ADMIN: &str = "admin";
pub const PURPOSE_S3: &str = "s3";
/// On an `s3` secret: the id of the access key it holds (an id is no secret; the secret key
/// cannot be read back from the secret, the id tells which key it is).
pub const S3_KEY_ID_LABEL: &str = "swarmpress.s3-key-id";

/// The labels every object of a tenant carries: how the controller recognises its own.
pub fn tenant_labels(tenant: &TenantName) -> HashMap<String, String> {
    HashMap::from([(TENANT_LABEL.to_owned(), tenant.to_string())])
}

pub fn secret_labels(tenant: &TenantName, purpose: &str) -> HashMap<String, String> {
    let mut labels = tenant_labels(tenant);
    labels.insert(PURPOSE_LABEL.to_owned(), purpose.to_owned());
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_the_tenant_and_the_purpose() {
        let tenant = TenantName::parse("acme-blog").unwrap();
        assert_eq!(tenant_labels(&tenant)[TENANT_LABEL], "acme-blog");
        assert_eq!(
            secret_labels(&tenant, PURPOSE_ADMIN)[PURPOSE_LABEL],
            "admin"
        );
    }
}
