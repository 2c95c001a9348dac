//! Rules a spec must satisfy before it is stored. Parsing only checks shapes and fills
//! defaults; these checks need context (the configured regions, the owner's plan) and report
//! every broken rule at once, each with the path of its field.

use std::collections::BTreeMap;

use poem_openapi::Object;
use serde::{Deserialize, Serialize};

use super::tenant::{Resources, TenantSpec};

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
/// Variables the image and the platform set themselves; a tenant overriding them could point
/// WordPress at another tenant's database or break the install.
pub const RESERVED_ENV_PREFIXES: &[&str] = &["WORDPRESS_", "SWARMPRESS_"];
pub const MIN_CPU_MILLIS: u32 = 100;
pub const MAX_CPU_MILLIS: u32 = 4000;
pub const MIN_MEMORY_MIB: u64 = 128;
pub const MAX_MEMORY_MIB: u64 = 8 * 1024;
pub const MAX_LABELS: usize = 32;

impl TenantSpec {
    /// Checks every rule and returns all that are broken, with paths under `spec.`.
    pub fn validate(&self, limits: &SpecLimits) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: String| errors.push(FieldError::new(field, message));

        let name_len = self.display_name.chars().count();
        if self.display_name.trim().is_empty() || name_len > 100 {
            fail(
                "spec.displayName",
                format!("must be 1 to 100 characters and not blank, got {name_len}"),
            );
        } else if self.display_name.chars().any(char::is_control) {
            fail(
                "spec.displayName",
                "must not contain control characters".to_owned(),
            );
        }

        if !limits.regions.iter().any(|r| r == &self.region) {
            fail(
                "spec.region",
                format!(
                    "unknown region {:?}; available: {}",
                    self.region,
                    limits.regions.join(", ")
                ),
            );
        }

        if self.replicas == 0 {
            fail(
                "spec.replicas",
                "must be at least 1; set state: Stopped to stop the site".to_owned(),
            );
        } else if self.replicas > limits.max_replicas {
            fail(
                "spec.replicas",
                format!(
                    "must be at most {} on the current plan, got {}",
                    limits.max_replicas, self.replicas
                ),
            );
        }

        if let Err(message) = self.resources.cpu_millis() {
            fail("spec.resources.cpu", message);
        }
        if let Err(message) = self.resources.memory_bytes() {
            fail("spec.resources.memory", message);
        }

        validate_env(&self.env, &mut errors);

        if !is_admin_user(&self.admin.user) {
            errors.push(FieldError::new(
                "spec.admin.user",
                "must be 1 to 60 characters of A-Z, a-z, 0-9, '_', '.' and '-'",
            ));
        }
        if !is_plausible_email(&self.admin.email) {
            errors.push(FieldError::new(
                "spec.admin.email",
                format!("{:?} is not an e-mail address", self.admin.email),
            ));
        }

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

        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
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
        if !is_env_name(name) {
            errors.push(FieldError::new(
                &field,
                "variable names must match ^[A-Z_][A-Z0-9_]*$",
            ));
        } else if let Some(prefix) = RESERVED_ENV_PREFIXES.iter().find(|p| name.starts_with(*p)) {
            errors.push(FieldError::new(
                &field,
                format!("names starting with {prefix} are reserved for the platform"),
            ));
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
    /// The CPU limit in thousandths of a core: "0.5" is 500. A decimal with at most three
    /// fractional digits, 0.1 to 4.
    pub fn cpu_millis(&self) -> Result<u32, String> {
        let text = self.cpu.as_str();
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        let shape_ok = !whole.is_empty()
            && whole.len() <= 2
            && digits(whole)
            && digits(fraction)
            && fraction.len() <= 3
            // A '.' must be followed by digits: "1." is refused.
            && fraction.is_empty() != text.contains('.');
        let invalid = || format!("must be a number of cores such as \"0.5\", got {text:?}");
        if !shape_ok {
            return Err(invalid());
        }
        let whole: u32 = whole.parse().map_err(|_| invalid())?;
        let mut fraction_millis = 0;
        for (position, digit) in fraction.chars().enumerate() {
            let digit = digit.to_digit(10).ok_or_else(invalid)?;
            fraction_millis += digit * 10u32.pow(2 - position as u32);
        }
        let millis = whole * 1000 + fraction_millis;
        if !(MIN_CPU_MILLIS..=MAX_CPU_MILLIS).contains(&millis) {
            return Err(format!("must be between 0.1 and 4 cores, got {text}"));
        }
        Ok(millis)
    }

    /// The CPU limit in the unit Docker takes (`NanoCPUs`).
    pub fn cpu_nanos(&self) -> Result<i64, String> {
        self.cpu_millis()
            .map(|millis| i64::from(millis) * 1_000_000)
    }

    /// The memory limit in bytes: "512Mi" is 512 × 2^20. 128Mi to 8Gi.
    pub fn memory_bytes(&self) -> Result<u64, String> {
        let text = self.memory.as_str();
        let invalid = || format!("must look like \"512Mi\" or \"2Gi\", got {text:?}");
        let (number, unit_mib) = if let Some(n) = text.strip_suffix("Mi") {
            (n, 1u64)
        } else if let Some(n) = text.strip_suffix("Gi") {
            (n, 1024u64)
        } else {
            return Err(invalid());
        };
        if number.is_empty() || number.len() > 6 || !number.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        let mib = number.parse::<u64>().map_err(|_| invalid())? * unit_mib;
        if !(MIN_MEMORY_MIB..=MAX_MEMORY_MIB).contains(&mib) {
            return Err(format!("must be between 128Mi and 8Gi, got {text}"));
        }
        Ok(mib * 1024 * 1024)
    }
}

/// `^[A-Z_][A-Z0-9_]*$`
pub fn is_env_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
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

/// A plausible address: one `@`, a local part of 1–64 printable non-space characters, and a
/// domain of at least two dot-separated labels of letters, digits and inner hyphens. It does
/// not try to be RFC 5322; it rejects what is certainly a typo.
pub fn is_plausible_email(email: &str) -> bool {
    if email.len() > 254 {
        return false;
    }
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && local
            .chars()
            .all(|c| c.is_ascii_graphic() && !"@\"(),:;<>[\\]".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
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
    fn cpu_is_a_decimal_between_a_tenth_and_four() {
        let cpu = |v: &str| {
            Resources {
                cpu: v.into(),
                memory: "512Mi".into(),
            }
            .cpu_millis()
        };
        assert_eq!(cpu("0.1"), Ok(100));
        assert_eq!(cpu("0.5"), Ok(500));
        assert_eq!(cpu("1"), Ok(1000));
        assert_eq!(cpu("2.25"), Ok(2250));
        assert_eq!(cpu("4"), Ok(4000));
        assert_eq!(cpu("4.000"), Ok(4000));
        for bad in [
            "0.09", "4.001", "5", "0", "", ".5", "1.", "-1", "1e3", "0.1234", "abc", " 1", "1,5",
        ] {
            assert!(cpu(bad).is_err(), "{bad:?}");
        }
        let mut s = spec();
        s.resources.cpu = "8".into();
        assert_eq!(fields_of(&s), ["spec.resources.cpu"]);
    }

    #[test]
    fn memory_is_mi_or_gi_between_128mi_and_8gi() {
        let memory = |v: &str| {
            Resources {
                cpu: "1".into(),
                memory: v.into(),
            }
            .memory_bytes()
        };
        assert_eq!(memory("128Mi"), Ok(128 << 20));
        assert_eq!(memory("1Gi"), Ok(1 << 30));
        assert_eq!(memory("8Gi"), Ok(8 << 30));
        assert_eq!(memory("8192Mi"), Ok(8 << 30));
        for bad in [
            "127Mi", "9Gi", "8193Mi", "512", "512MB", "512mi", "Mi", "-1Gi", "1.5Gi", "0Gi",
        ] {
            assert!(memory(bad).is_err(), "{bad:?}");
        }
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
    fn emails() {
        for good in ["a@b.co", "first.last+tag@sub.example.org", "x_y@a-b.test"] {
            assert!(is_plausible_email(good), "{good}");
        }
        for bad in [
            "", "a", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.de", "a@-b.co", "a@b..co", ".a@b.co",
            "a@b.co ", "a@b_c.de",
        ] {
            assert!(!is_plausible_email(bad), "{bad:?}");
        }
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
