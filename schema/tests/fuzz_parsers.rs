//! Property-based fuzzing of what the platform parses from strangers: tenant names and every
//! name derived from them (DNS, database, database user, bucket, service, volume, secret),
//! and manifests (YAML text of any shape) through parsing and validation.
//!
//! Bounded in `scripts/test` by proptest's default case count; a longer run by hand:
//! `PROPTEST_CASES=200000 cargo nextest run -p swarmpress-schema --test fuzz_parsers`. A
//! failure proptest finds is written to `proptest-regressions/` and replayed first by every
//! later run: commit that file with the fix.

use proptest::prelude::*;
use swarmpress_schema::TenantName;
use swarmpress_schema::resource::manifest::{ManifestDocument, parse_manifest};
use swarmpress_schema::resource::validation::{SpecLimits, validate_labels};

/// Strings that reach every rule of the name grammar: mostly near-valid slugs (letters,
/// digits and hyphens around the length limits), some arbitrary Unicode.
fn name_like() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9-]{1,34}",
        2 => "[a-z0-9_.-]{0,40}",
        1 => any::<String>(),
        1 => "[a-z]{1,10}(-s3alias|--ol-s3|xn--[a-z]{1,5}|-)?",
    ]
}

fn is_dns_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// The S3 bucket naming rules (AWS's, which SeaweedFS accepts a superset of).
fn is_s3_bucket_name(name: &str) -> bool {
    (3..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
        && !name.contains("..")
        && !name.starts_with("xn--")
        && !name.starts_with("sthree-")
        && !name.ends_with("-s3alias")
        && !name.ends_with("--ol-s3")
        && name.parse::<std::net::Ipv4Addr>().is_err()
}

/// Docker's rule for service, volume and secret names (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`), with
/// the engine's length limits: 63 for a service (it becomes a DNS name), 64 for a secret.
fn is_docker_name(name: &str, max: usize) -> bool {
    (2..=max).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// An unquoted MariaDB identifier of at most `max` characters.
fn is_sql_identifier(name: &str, max: usize) -> bool {
    (1..=max).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

proptest! {
    #[test]
    fn every_name_derived_from_a_valid_tenant_name_is_valid_where_it_is_used(raw in name_like()) {
        let Ok(name) = TenantName::parse(raw.as_str()) else {
            return Ok(());
        };
        prop_assert!(is_dns_label(name.as_str()), "hostname label {name}");
        prop_assert!(is_dns_label(&name.service_name().replace('_', "-")));
        prop_assert!(is_docker_name(&name.service_name(), 63), "service {}", name.service_name());
        prop_assert!(is_docker_name(&name.volume_name(), 255), "volume {}", name.volume_name());
        for purpose in ["db", "admin", "s3"] {
            let secret = name.secret_name(purpose, "0a1b2c3d");
            prop_assert!(is_docker_name(&secret, 64), "secret {secret}");
        }
        // MariaDB: database names up to 64 characters, user names up to 80.
        prop_assert!(is_sql_identifier(&name.database_name(), 64), "database {}", name.database_name());
        prop_assert!(is_sql_identifier(&name.database_user(), 80));
        prop_assert!(is_s3_bucket_name(&name.bucket_name()), "bucket {}", name.bucket_name());
        // Orphan collection maps every object back to its tenant: the round trips must hold.
        prop_assert_eq!(TenantName::from_service_name(&name.service_name()), Some(name.clone()));
        prop_assert_eq!(TenantName::from_database_name(&name.database_name()), Some(name.clone()));
        prop_assert_eq!(TenantName::from_bucket_name(&name.bucket_name()), Some(name.clone()));
    }

    #[test]
    fn different_tenants_never_share_a_derived_name(a in name_like(), b in name_like()) {
        let (Ok(a), Ok(b)) = (TenantName::parse(a.as_str()), TenantName::parse(b.as_str())) else {
            return Ok(());
        };
        prop_assume!(a != b);
        prop_assert_ne!(a.service_name(), b.service_name());
        prop_assert_ne!(a.database_name(), b.database_name());
        prop_assert_ne!(a.bucket_name(), b.bucket_name());
        prop_assert_ne!(a.volume_name(), b.volume_name());
        // A tenant's objects are found by the prefix of its service name: one tenant's name
        // must not be read as another's object (`wp_blog` and `wp_blog_content`).
        prop_assert_ne!(TenantName::from_service_name(&a.volume_name()), Some(b.clone()));
    }

    #[test]
    fn names_from_other_objects_are_never_mistaken_for_a_tenants(raw in "[a-zA-Z0-9_.-]{0,70}") {
        for found in [
            TenantName::from_service_name(&raw),
            TenantName::from_database_name(&raw),
            TenantName::from_bucket_name(&raw),
        ]
        .into_iter()
        .flatten()
        {
            prop_assert!(
                [found.service_name(), found.database_name(), found.bucket_name()].contains(&raw),
                "{raw} read as tenant {found}"
            );
        }
    }

    #[test]
    fn any_text_is_answered_without_a_panic(text in any::<String>()) {
        check_manifest(&text)?;
    }

    #[test]
    fn any_yaml_shape_is_answered_without_a_panic(value in yaml_document()) {
        let text = serde_yaml::to_string(&value).unwrap_or_default();
        check_manifest(&text)?;
        // Two documents and a list of the same document.
        check_manifest(&format!("{text}\n---\n{text}"))?;
        let list = serde_yaml::to_string(&serde_yaml::Value::Mapping(
            [
                ("kind".into(), "List".into()),
                ("items".into(), serde_yaml::Value::Sequence(vec![value.clone(), value])),
            ]
            .into_iter()
            .collect(),
        ))
        .unwrap_or_default();
        check_manifest(&list)?;
    }
}

/// Parses `text` and validates every document that parsed, as `/apply` does; every error
/// must name its document and, for a field, a path within it.
fn check_manifest(text: &str) -> Result<(), TestCaseError> {
    let limits = SpecLimits {
        regions: vec!["eu-west".to_owned(), "us-east".to_owned()],
        max_replicas: 5,
    };
    let results = parse_manifest(text);
    prop_assert!(results.len() <= text.len() + 1);
    for result in results {
        match result {
            Ok(ManifestDocument::Tenant(tenant)) => {
                if let Err(errors) = tenant.spec.validate(&limits) {
                    prop_assert!(!errors.is_empty());
                    for error in errors {
                        prop_assert!(error.field.starts_with("spec."), "{error:?}");
                    }
                }
                let _ = validate_labels(&tenant.metadata.labels);
            }
            Ok(ManifestDocument::Rollout(rollout)) => {
                let _ = rollout.spec.validate();
            }
            Err(error) => prop_assert!(!error.errors.is_empty(), "{error:?}"),
        }
    }
    Ok(())
}

/// Keys a manifest uses, so that generated documents get past the first checks often.
const KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "labels",
    "resourceVersion",
    "spec",
    "displayName",
    "region",
    "state",
    "replicas",
    "resources",
    "cpu",
    "memory",
    "env",
    "image",
    "admin",
    "user",
    "email",
    "pathPrefix",
    "restartedAt",
    "rebuildNonce",
    "selector",
    "canary",
    "batchSize",
    "failureBudget",
    "healthTimeoutSeconds",
    "startAt",
    "forcePull",
    "items",
    "status",
    "uid",
];

const WORDS: &[&str] = &[
    "swarmpress.io/v1",
    "Tenant",
    "Rollout",
    "List",
    "TenantList",
    "blog",
    "acme-shop",
    "eu-west",
    "us-east",
    "Running",
    "Stopped",
    "0.5",
    "1Gi",
    "512Mi",
    "100m",
    "admin@example.com",
    "/blog",
    "swarmpress/wordpress:6",
    "Ki",
    "-1",
    "1e309",
    "",
];

fn yaml_leaf() -> impl Strategy<Value = serde_yaml::Value> {
    prop_oneof![
        Just(serde_yaml::Value::Null),
        any::<bool>().prop_map(serde_yaml::Value::Bool),
        any::<i64>().prop_map(|n| serde_yaml::Value::Number(n.into())),
        any::<u64>().prop_map(|n| serde_yaml::Value::Number(n.into())),
        any::<f64>().prop_map(|n| serde_yaml::Value::Number(n.into())),
        prop::sample::select(WORDS).prop_map(|w| serde_yaml::Value::String(w.to_owned())),
        "\\PC{0,12}".prop_map(serde_yaml::Value::String),
    ]
}

fn yaml_document() -> impl Strategy<Value = serde_yaml::Value> {
    yaml_leaf().prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_yaml::Value::Sequence),
            prop::collection::vec(
                (
                    prop_oneof![
                        6 => prop::sample::select(KEYS).prop_map(str::to_owned),
                        1 => "[A-Za-z_]{1,8}",
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|entries| {
                serde_yaml::Value::Mapping(
                    entries
                        .into_iter()
                        .map(|(key, value)| (serde_yaml::Value::String(key), value))
                        .collect(),
                )
            }),
        ]
    })
}
