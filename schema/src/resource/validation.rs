//! Rules a spec must satisfy before it is stored. Parsing only checks shapes and fills
//! defaults; these checks need context (the configured regions, the owner's plan) and report
//! every broken rule at once, each with the path of its field.

use std::collections::BTreeMap;

use poem_openapi::Object;
use serde::{Deserialize, Serialize};

use super::tenant::{Resources, TenantSpec};
use crate::parsed::{CpuQuantity, EmailAddress, EnvKey, MemoryQuantity, ParseError};

/// One broken rule: `field` is a dotted path such as `spec.replicas` or `spec.env.FOO`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// What a spec is checked against: the platform's regions and the owner's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecLimits {
    pub regions: Vec<String>,
    pub max_replicas: u32,
}

pub const MAX_ENV_VARS: usize = 64;
pub const MAX_ENV_VALUE_BYTES: usize = 4096;
pub use crate::parsed::{
    MAX_CPU_MILLIS, MAX_MEMORY_MIB, MIN_CPU_MILLIS, MIN_MEMORY_MIB, RESERVED_ENV_PREFIXES,
};
pub const MAX_LABELS: usize = 32;

impl TenantSpec {
    /// Checks every rule and returns all that are broken, with paths under `spec.`.
    pub fn validate(&self, limits: &SpecLimits) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        self.check_display_name(&mut errors);
        self.check_placement(limits, &mut errors);
        if let Err(error) = self.resources.cpu_quantity() {
            errors.push(FieldError::new("spec.resources.cpu", error.to_string()));
        }
        if let Err(error) = self.resources.memory_quantity() {
            errors.push(FieldError::new("spec.resources.memory", error.to_string()));
        }
        validate_env(&self.env, &mut errors);
        self.check_admin(&mut errors);
        self.check_optional_fields(&mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    fn check_display_name(&self, errors: &mut Vec<FieldError>) {
        let name_len = self.display_name.chars().count();
        if self.display_name.trim().is_empty() || name_len > 100 {
            errors.push(FieldError::new(
                "spec.displayName",
                format!("must be 1 to 100 characters and not blank, got {name_len}"),
            ));
        } else if self.display_name.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "spec.displayName",
                "must not contain control characters",
            ));
        }
    }

    /// Where and how wide the site runs: a configured region, replicas within the plan.
    fn check_placement(&self, limits: &SpecLimits, errors: &mut Vec<FieldError>) {
        if !limits.regions.iter().any(|r| r == &self.region) {
            errors.push(FieldError::new(
                "spec.region",
                format!(
                    "unknown region {:?}; available: {}",
                    self.region,
                    limits.regions.join(", ")
                ),
            ));
        }
        if self.replicas == 0 {
            errors.push(FieldError::new(
                "spec.replicas",
                "must be at least 1; set state: Stopped to stop the site",
            ));
        } else if self.replicas > limits.max_replicas {
            errors.push(FieldError::new(
                "spec.replicas",
                format!(
                    "must be at most {} on the current plan, got {}",
                    limits.max_replicas, self.replicas
                ),
            ));
        }
    }

    fn check_admin(&self, errors: &mut Vec<FieldError>) {
        if !is_admin_user(&self.admin.user) {
            errors.push(FieldError::new(
                "spec.admin.user",
                "must be 1 to 60 characters of A-Z, a-z, 0-9, '_', '.' and '-'",
            ));
        }
        if EmailAddress::parse(&self.admin.email).is_err() {
            errors.push(FieldError::new(
                "spec.admin.email",
                format!("{:?} is not an e-mail address", self.admin.email),
            ));
        }
    }

    /// `pathPrefix`, `image` and `rebuildNonce`, when given.
    fn check_optional_fields(&self, errors: &mut Vec<FieldError>) {
        if let Some(prefix) = &self.path_prefix
            && !is_path_prefix(prefix)
        {
            errors.push(FieldError::new(
                "spec.pathPrefix",
                "must look like /blog or /a/b: segments of A-Z, a-z, 0-9, '.', '_' and '-', \
                 no trailing slash",
            ));
        }
        if let Some(image) = &self.image
            && !is_plausible_image(image)
        {
            errors.push(FieldError::new(
                "spec.image",
                "must be a non-empty image reference of at most 255 characters without spaces",
            ));
        }
        if let Some(nonce) = &self.rebuild_nonce
            && (nonce.is_empty() || nonce.len() > 64 || nonce.chars().any(char::is_control))
        {
            errors.push(FieldError::new(
                "spec.rebuildNonce",
                "must be 1 to 64 printable characters",
            ));
        }
    }
}

fn validate_env(env: &BTreeMap<String, String>, errors: &mut Vec<FieldError>) {
    if env.len() > MAX_ENV_VARS {
        errors.push(FieldError::new(
            "spec.env",
            format!(
                "at most {MAX_ENV_VARS} variables are allowed, got {}",
                env.len()
            ),
        ));
    }
    for (name, value) in env {
        let field = format!("spec.env.{name}");
        if let Err(error) = EnvKey::parse(name) {
            errors.push(FieldError::new(&field, error.to_string()));
        }
        if value.contains('\0') {
            errors.push(FieldError::new(&field, "value must not contain NUL"));
        }
        if value.len() > MAX_ENV_VALUE_BYTES {
            errors.push(FieldError::new(
                &field,
                format!(
                    "value must be at most {MAX_ENV_VALUE_BYTES} bytes, got {}",
                    value.len()
                ),
            ));
        }
    }
}

/// Checks `metadata.labels`: keys 1–63 characters of `A-Z a-z 0-9 . _ / -` starting with a
/// letter or digit; values up to 63 characters of `A-Z a-z 0-9 . _ -`. The narrow alphabet
/// keeps `k=v,k2=v2` label selectors unambiguous.
pub fn validate_labels(labels: &BTreeMap<String, String>) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if labels.len() > MAX_LABELS {
        errors.push(FieldError::new(
            "metadata.labels",
            format!("at most {MAX_LABELS} labels are allowed"),
        ));
    }
    for (key, value) in labels {
        let field = format!("metadata.labels.{key}");
        let key_ok = (1..=63).contains(&key.len())
            && key.starts_with(|c: char| c.is_ascii_alphanumeric())
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._/-".contains(c));
        if !key_ok {
            errors.push(FieldError::new(
                &field,
                "keys must be 1 to 63 characters of A-Z, a-z, 0-9, '.', '_', '/' and '-', \
                 starting with a letter or digit",
            ));
        }
        if value.len() > 63
            || !value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            errors.push(FieldError::new(
                &field,
                "values must be at most 63 characters of A-Z, a-z, 0-9, '.', '_' and '-'",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

impl Resources {
    pub fn cpu_quantity(&self) -> Result<CpuQuantity, ParseError> {
        CpuQuantity::parse(&self.cpu)
    }

    pub fn memory_quantity(&self) -> Result<MemoryQuantity, ParseError> {
        MemoryQuantity::parse(&self.memory)
    }
}

/// `^[A-Za-z0-9_.-]{1,60}$`
pub fn is_admin_user(user: &str) -> bool {
    (1..=60).contains(&user.len())
        && user
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
}

/// `^(/[A-Za-z0-9._-]+)+$`
pub fn is_path_prefix(prefix: &str) -> bool {
    prefix.len() <= 200
        && prefix.starts_with('/')
        && prefix[1..].split('/').all(|segment| {
            !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        })
}

pub fn is_plausible_image(image: &str) -> bool {
    !image.is_empty()
        && image.len() <= 255
        && !image
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '\'')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::tenant::{AdminSpec, TenantState};

    fn limits() -> SpecLimits {
        SpecLimits {
            regions: vec!["eu-west".into(), "us-east".into()],
            max_replicas: 3,
        }
    }

    fn spec() -> TenantSpec {
        TenantSpec {
            display_name: "Acme Blog".into(),
            region: "eu-west".into(),
            state: TenantState::Running,
            replicas: 2,
            resources: Resources {
                cpu: "0.5".into(),
                memory: "512Mi".into(),
            },
            env: BTreeMap::from([("WP_DEBUG".into(), "false".into())]),
            image: None,
            admin: AdminSpec {
                user: "admin".into(),
                email: "admin@acme.test".into(),
            },
            path_prefix: None,
            restarted_at: None,
            rebuild_nonce: None,
        }
    }

    fn fields_of(spec: &TenantSpec) -> Vec<String> {
        match spec.validate(&limits()) {
            Ok(()) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.field).collect(),
        }
    }

    #[test]
    fn a_good_spec_passes() {
        assert_eq!(spec().validate(&limits()), Ok(()));
        let mut full = spec();
        full.path_prefix = Some("/blog/v2".into());
        full.image = Some("swarmpress/wordpress@sha256:abc".into());
        full.rebuild_nonce = Some("n1".into());
        full.replicas = 3;
        full.resources = Resources {
            cpu: "4".into(),
            memory: "8Gi".into(),
        };
        assert_eq!(full.validate(&limits()), Ok(()));
    }

    #[test]
    fn replicas_are_bounded_by_one_and_the_plan() {
        for (replicas, ok) in [(0, false), (1, true), (3, true), (4, false)] {
            let mut s = spec();
            s.replicas = replicas;
            let expected: Vec<String> = if ok {
                vec![]
            } else {
                vec!["spec.replicas".into()]
            };
            assert_eq!(fields_of(&s), expected, "replicas {replicas}");
        }
    }

    #[test]
    fn cpu_and_memory_errors_name_their_fields() {
        let mut s = spec();
        s.resources.cpu = "8".into();
        s.resources.memory = "512MB".into();
        assert_eq!(
            fields_of(&s),
            ["spec.resources.cpu", "spec.resources.memory"]
        );
    }

    #[test]
    fn env_names_values_and_count_are_checked() {
        let mut s = spec();
        s.env = BTreeMap::from([
            ("GOOD_1".into(), "x".into()),
            ("_ALSO".into(), "".into()),
            ("lower".into(), "x".into()),
            ("1ABC".into(), "x".into()),
            ("WORDPRESS_DB_HOST".into(), "evil".into()),
            ("SWARMPRESS_X".into(), "x".into()),
            ("NUL".into(), "a\0b".into()),
            ("BIG".into(), "x".repeat(4097)),
            ("EXACT".into(), "x".repeat(4096)),
        ]);
        assert_eq!(
            fields_of(&s),
            [
                "spec.env.1ABC",
                "spec.env.BIG",
                "spec.env.NUL",
                "spec.env.SWARMPRESS_X",
                "spec.env.WORDPRESS_DB_HOST",
                "spec.env.lower",
            ]
        );

        let mut many = spec();
        many.env = (0..65).map(|i| (format!("V{i}"), String::new())).collect();
        assert_eq!(fields_of(&many), ["spec.env"]);
        many.env.remove("V0");
        assert_eq!(fields_of(&many), Vec::<String>::new());
    }

    #[test]
    fn region_display_name_admin_and_prefix_are_checked() {
        let mut s = spec();
        s.region = "mars".into();
        s.display_name = " ".into();
        s.admin.user = "bad user".into();
        s.admin.email = "not-an-email".into();
        s.path_prefix = Some("/blog/".into());
        s.image = Some("has space".into());
        s.rebuild_nonce = Some(String::new());
        assert_eq!(
            fields_of(&s),
            [
                "spec.displayName",
                "spec.region",
                "spec.admin.user",
                "spec.admin.email",
                "spec.pathPrefix",
                "spec.image",
                "spec.rebuildNonce",
            ]
        );
        let mut long = spec();
        long.display_name = "x".repeat(101);
        assert_eq!(fields_of(&long), ["spec.displayName"]);
        long.display_name = "é".repeat(100);
        assert_eq!(fields_of(&long), Vec::<String>::new());
        long.admin.user = "a".repeat(61);
        assert_eq!(fields_of(&long), ["spec.admin.user"]);
    }

    #[test]
    fn errors_name_the_limit() {
        let mut s = spec();
        s.replicas = 9;
        let errors = s.validate(&limits()).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            errors[0].field.clone() + ": " + &errors[0].message
        );
        assert!(
            errors[0].message.contains("at most 3"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn path_prefixes() {
        for good in ["/a", "/blog", "/a/b.c/d_e-f"] {
            assert!(is_path_prefix(good), "{good}");
        }
        for bad in ["", "/", "blog", "/blog/", "//a", "/a b", "/a?b", "/é"] {
            assert!(!is_path_prefix(bad), "{bad:?}");
        }
    }

    #[test]
    fn labels() {
        let ok = BTreeMap::from([
            ("team".to_owned(), "web".to_owned()),
            ("swarmpress.io/tier".to_owned(), "gold_1".to_owned()),
            ("empty".to_owned(), String::new()),
        ]);
        assert_eq!(validate_labels(&ok), Ok(()));
        let bad = BTreeMap::from([
            ("-x".to_owned(), "v".to_owned()),
            ("k".to_owned(), "a=b".to_owned()),
            ("k2".to_owned(), "x".repeat(64)),
            (String::new(), "v".to_owned()),
        ]);
        let fields: Vec<String> = validate_labels(&bad)
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "metadata.labels.",
                "metadata.labels.-x",
                "metadata.labels.k",
                "metadata.labels.k2"
            ]
        );
    }
}
