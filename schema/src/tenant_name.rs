use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The label every Swarm object of a tenant carries, with the tenant's name as its value: how
/// the platform recognises its own objects.
pub const TENANT_LABEL: &str = "swarmpress.tenant";
/// What the names of a tenant's service, secrets, volume, database and user start with.
pub const OBJECT_PREFIX: &str = "wp_";
/// What the names of tenant buckets start with (bucket names allow no `_`).
pub const BUCKET_PREFIX: &str = "wp-";

/// Names a tenant may not take: they are hostnames the platform serves itself under the base
/// domain, so a tenant holding one would capture the platform's own traffic.
pub const RESERVED_TENANT_NAMES: &[&str] = &[
    "api",
    "www",
    "admin",
    "traefik",
    "prometheus",
    "mariadb",
    "s3",
    "portal",
    "mail",
    "ftp",
    "localhost",
    "swarmpress",
];

/// Endings S3 reserves for bucket names (access point aliases); `--ol-s3` needs `--`, which
/// no slug holds.
const RESERVED_BUCKET_SUFFIXES: &[&str] = &["-s3alias"];

const MIN_LEN: usize = 3;
/// 32 keeps every derived name within its backend's limit: MariaDB identifiers (64) and
/// user names (80), S3 bucket names (63) and DNS labels (63), with the `wp_`/`wp-` prefixes
/// and the `_content` suffix added.
const MAX_LEN: usize = 32;

/// Why a string is not a valid tenant name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenantNameError {
    #[error("tenant name must be {MIN_LEN} to {MAX_LEN} characters long, got {0}")]
    Length(usize),
    #[error("tenant name may only contain a-z, 0-9 and '-', found {0:?}")]
    InvalidCharacter(char),
    #[error("tenant name must start with a lowercase letter")]
    MustStartWithLetter,
    #[error("tenant name must not end with '-'")]
    TrailingHyphen,
    #[error("tenant name must not contain \"--\"")]
    ConsecutiveHyphens,
    #[error("tenant name {0:?} is reserved")]
    Reserved(String),
    #[error("tenant name must not end with {0:?}: S3 reserves it in bucket names")]
    ReservedSuffix(&'static str),
}

/// A tenant's name (its slug): a lowercase DNS label of 3–32 characters that starts with a
/// letter, has no trailing hyphen and no `--`, and is not reserved.
///
/// The only way to get one is [`TenantName::parse`] (also behind `FromStr`, `TryFrom` and
/// serde), so holding one is proof that it is valid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantName(String);

impl TenantName {
    pub fn parse(input: impl Into<String>) -> Result<Self, TenantNameError> {
        let name = input.into();
        let length = name.chars().count();
        if !(MIN_LEN..=MAX_LEN).contains(&length) {
            return Err(TenantNameError::Length(length));
        }
        if let Some(bad) = name
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
        {
            return Err(TenantNameError::InvalidCharacter(bad));
        }
        if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(TenantNameError::MustStartWithLetter);
        }
        if name.ends_with('-') {
            return Err(TenantNameError::TrailingHyphen);
        }
        // Forbidden because "xn--" marks punycode labels, and because `-` maps to `_` in
        // database names, where `a--b` would read as a different, confusable name.
        if name.contains("--") {
            return Err(TenantNameError::ConsecutiveHyphens);
        }
        if RESERVED_TENANT_NAMES.contains(&name.as_str()) {
            return Err(TenantNameError::Reserved(name));
        }
        // The bucket is `wp-<slug>`, and S3 refuses bucket names ending so (found by the
        // name fuzzing in `tests/fuzz_parsers.rs`).
        if let Some(suffix) = RESERVED_BUCKET_SUFFIXES
            .iter()
            .find(|suffix| name.ends_with(*suffix))
        {
            return Err(TenantNameError::ReservedSuffix(suffix));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Swarm service: `wp_<slug>`.
    pub fn service_name(&self) -> String {
        format!("{OBJECT_PREFIX}{}", self.0)
    }

    /// A Swarm secret of the tenant: `wp_<slug>_<purpose>_<suffix>`. Secrets are immutable,
    /// so every new value gets a new name; `suffix` is random, not derived from the value,
    /// so the name says nothing about it.
    pub fn secret_name(&self, purpose: &str, suffix: &str) -> String {
        format!("{}_{purpose}_{suffix}", self.service_name())
    }

    /// The label filter that selects the tenant's Swarm objects: `swarmpress.tenant=<slug>`.
    pub fn label_filter(&self) -> String {
        format!("{TENANT_LABEL}={}", self.0)
    }

    /// The tenant of a service named by [`Self::service_name`].
    pub fn from_service_name(name: &str) -> Option<Self> {
        Self::parse(name.strip_prefix(OBJECT_PREFIX)?).ok()
    }

    /// The tenant of a database or user named by [`Self::database_name`]. Slugs never hold
    /// `_`, so the mapping is one to one; the round trip rejects anything else.
    pub fn from_database_name(name: &str) -> Option<Self> {
        let tenant = Self::parse(name.strip_prefix(OBJECT_PREFIX)?.replace('_', "-")).ok()?;
        (tenant.database_name() == name).then_some(tenant)
    }

    /// The tenant of a bucket named by [`Self::bucket_name`].
    pub fn from_bucket_name(name: &str) -> Option<Self> {
        let tenant = Self::parse(name.strip_prefix(BUCKET_PREFIX)?).ok()?;
        (tenant.bucket_name() == name).then_some(tenant)
    }

    /// The MariaDB database: `wp_<slug>` with `-` as `_`, because `-` is not allowed in an
    /// unquoted SQL identifier. The mapping is injective since slugs never contain `_`.
    pub fn database_name(&self) -> String {
        format!("{OBJECT_PREFIX}{}", self.0.replace('-', "_"))
    }

    /// The MariaDB user, which is granted only [`Self::database_name`]; the same string.
    pub fn database_user(&self) -> String {
        self.database_name()
    }

    /// The S3 bucket: `wp-<slug>` (bucket names allow no `_`).
    pub fn bucket_name(&self) -> String {
        format!("{BUCKET_PREFIX}{}", self.0)
    }

    /// The Docker volume holding `wp-content`: `wp_<slug>_content`.
    pub fn volume_name(&self) -> String {
        format!("{OBJECT_PREFIX}{}_content", self.0)
    }

    /// The routed hostname: `<slug>.<base_domain>`.
    pub fn hostname(&self, base_domain: &str) -> String {
        format!("{}.{}", self.0, base_domain)
    }
}

impl fmt::Display for TenantName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for TenantName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for TenantName {
    type Err = TenantNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for TenantName {
    type Error = TenantNameError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(value)
    }
}

impl From<TenantName> for String {
    fn from(name: TenantName) -> Self {
        name.0
    }
}

/// OpenAPI: a tenant name is a string with the DNS-label pattern, parsed through
/// [`TenantName::parse`] so that a request body or path parameter holding an invalid name is
/// refused by the API layer before any handler sees it.
mod openapi {
    use std::borrow::Cow;

    use poem_openapi::registry::{MetaSchema, MetaSchemaRef};
    use poem_openapi::types::{
        ParseError, ParseFromJSON, ParseFromParameter, ParseResult, ToJSON, Type,
    };
    use serde_json::Value;

    use super::{MAX_LEN, MIN_LEN, TenantName};

    impl Type for TenantName {
        const IS_REQUIRED: bool = true;
        type RawValueType = Self;
        type RawElementValueType = Self;

        fn name() -> Cow<'static, str> {
            "string_tenant_name".into()
        }

        fn schema_ref() -> MetaSchemaRef {
            let mut schema = MetaSchema::new("string");
            schema.min_length = Some(MIN_LEN);
            schema.max_length = Some(MAX_LEN);
            schema.pattern = Some("^[a-z](-?[a-z0-9])*$".to_owned());
            schema.description = Some(
                "A tenant's name (slug): a lowercase DNS label of 3-32 characters that starts \
                 with a letter, with no trailing or doubled hyphen.",
            );
            MetaSchemaRef::Inline(Box::new(schema))
        }

        fn as_raw_value(&self) -> Option<&Self::RawValueType> {
            Some(self)
        }

        fn raw_element_iter<'a>(
            &'a self,
        ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
            Box::new(self.as_raw_value().into_iter())
        }
    }

    impl ParseFromJSON for TenantName {
        fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
            match value.unwrap_or_default() {
                Value::String(text) => TenantName::parse(text).map_err(ParseError::custom),
                other => Err(ParseError::expected_type(other)),
            }
        }
    }

    impl ParseFromParameter for TenantName {
        fn parse_from_parameter(value: &str) -> ParseResult<Self> {
            TenantName::parse(value).map_err(ParseError::custom)
        }
    }

    impl ToJSON for TenantName {
        fn to_json(&self) -> Option<Value> {
            Some(Value::String(self.0.clone()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(slug: &str) -> TenantName {
        TenantName::parse(slug).unwrap()
    }

    #[test]
    fn derived_names_parse_back_to_their_tenant_and_nothing_else_does() {
        let acme = name("acme-blog");
        assert_eq!(
            TenantName::from_database_name(&acme.database_name()),
            Some(acme.clone())
        );
        assert_eq!(
            TenantName::from_bucket_name(&acme.bucket_name()),
            Some(acme.clone())
        );
        assert_eq!(
            TenantName::from_service_name(&acme.service_name()),
            Some(acme.clone())
        );
        assert_eq!(
            TenantName::from_database_name("wp_acme"),
            Some(name("acme"))
        );
        for not_ours in [
            "wp_",
            "wp_Acme",
            "wp_acme__blog",
            "wp_acme_",
            "wp_1abc",
            "wp_ab",
            "wp_swarmpress",
            "swarmpress",
            "wp-acme",
            "mysql",
        ] {
            assert_eq!(TenantName::from_database_name(not_ours), None, "{not_ours}");
        }
        for not_ours in ["wp-", "wp-Acme", "wp_acme", "wp-acme--x", "acme", "wp-api"] {
            assert_eq!(TenantName::from_bucket_name(not_ours), None, "{not_ours}");
        }
        assert_eq!(
            acme.secret_name("db", "0a1b2c3d"),
            "wp_acme-blog_db_0a1b2c3d"
        );
        assert_eq!(acme.label_filter(), "swarmpress.tenant=acme-blog");
    }

    #[test]
    fn accepts_valid_names() {
        for name in [
            "abc",
            "acme-blog",
            "a1b2c3",
            "shop-2024",
            "x-y-z",
            "abcdefghijklmnopqrstuvwxyz012345", // 32 characters
            "apis",                             // a reserved name is only reserved whole
            "www1",
        ] {
            let parsed = TenantName::parse(name);
            assert_eq!(parsed.as_ref().map(TenantName::as_str), Ok(name), "{name}");
        }
    }

    #[test]
    fn rejects_invalid_names_with_their_reason() {
        use TenantNameError::*;
        let cases: &[(&str, TenantNameError)] = &[
            ("", Length(0)),
            ("ab", Length(2)),
            ("abcdefghijklmnopqrstuvwxyz0123456", Length(33)),
            ("Acme", InvalidCharacter('A')),
            ("acme_blog", InvalidCharacter('_')),
            ("acme.blog", InvalidCharacter('.')),
            ("acme blog", InvalidCharacter(' ')),
            ("café", InvalidCharacter('é')),
            ("1abc", MustStartWithLetter),
            ("-abc", MustStartWithLetter),
            ("abc-", TrailingHyphen),
            ("ab--c", ConsecutiveHyphens),
            ("xn--bcher-kva", ConsecutiveHyphens),
            ("media-s3alias", ReservedSuffix("-s3alias")),
        ];
        for (input, reason) in cases {
            assert_eq!(TenantName::parse(*input).as_ref(), Err(reason), "{input:?}");
        }
    }

    #[test]
    fn rejects_every_reserved_name() {
        for reserved in RESERVED_TENANT_NAMES {
            // Names shorter than the minimum fail on length first; that is still a rejection.
            assert!(TenantName::parse(*reserved).is_err(), "{reserved}");
        }
        assert_eq!(
            TenantName::parse("traefik"),
            Err(TenantNameError::Reserved("traefik".into()))
        );
    }

    #[test]
    fn length_is_counted_in_characters() {
        // 17 characters but 34 bytes: within the length bounds, so rejected for the character.
        assert_eq!(
            TenantName::parse("é".repeat(17)),
            Err(TenantNameError::InvalidCharacter('é'))
        );
    }

    #[test]
    fn derives_deterministic_names() {
        let name = TenantName::parse("acme-blog-2").unwrap();
        assert_eq!(name.service_name(), "wp_acme-blog-2");
        assert_eq!(name.database_name(), "wp_acme_blog_2");
        assert_eq!(name.database_user(), "wp_acme_blog_2");
        assert_eq!(name.bucket_name(), "wp-acme-blog-2");
        assert_eq!(name.volume_name(), "wp_acme-blog-2_content");
        assert_eq!(name.hostname("localhost"), "acme-blog-2.localhost");
        assert_eq!(name.to_string(), "acme-blog-2");
    }

    /// Exhaustive over a small alphabet: every string of length 3–4 over `a 1 - _ A` is
    /// checked against an independent statement of the rules, and every accepted one yields
    /// derived names that fit their backends and contain only their allowed characters.
    #[test]
    fn agrees_with_the_rules_on_all_short_strings() {
        let alphabet = ['a', '1', '-', '_', 'A'];
        let mut accepted = 0;
        for len in 3..=4u32 {
            for mut n in 0..alphabet.len().pow(len) {
                let candidate: String = (0..len)
                    .map(|_| {
                        let c = alphabet[n % alphabet.len()];
                        n /= alphabet.len();
                        c
                    })
                    .collect();
                let expected_valid = candidate
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && candidate.starts_with(|c: char| c.is_ascii_lowercase())
                    && !candidate.ends_with('-')
                    && !candidate.contains("--");
                let parsed = TenantName::parse(candidate.clone());
                assert_eq!(parsed.is_ok(), expected_valid, "{candidate:?}: {parsed:?}");
                if let Ok(name) = parsed {
                    accepted += 1;
                    check_derived_names(&name);
                }
            }
        }
        assert!(accepted > 10, "the table should contain valid names too");
    }

    fn check_derived_names(name: &TenantName) {
        let sql_ident = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        assert!(sql_ident(&name.database_name()) && name.database_name().len() <= 64);
        assert!(sql_ident(&name.database_user()) && name.database_user().len() <= 80);
        let bucket = name.bucket_name();
        assert!(bucket.len() <= 63 && !bucket.contains('_') && !bucket.contains("--"));
        assert!(
            name.hostname("example.test")
                .split('.')
                .all(|l| l.len() <= 63)
        );
    }

    #[test]
    fn distinct_names_derive_distinct_database_names() {
        let a = TenantName::parse("ab-c").unwrap();
        let b = TenantName::parse("abc").unwrap();
        assert_ne!(a.database_name(), b.database_name());
    }

    #[test]
    fn serde_goes_through_parse() {
        let name: TenantName = serde_json::from_str("\"acme-blog\"").unwrap();
        assert_eq!(name.as_str(), "acme-blog");
        assert_eq!(serde_json::to_string(&name).unwrap(), "\"acme-blog\"");

        let error = serde_json::from_str::<TenantName>("\"Acme\"").unwrap_err();
        assert!(error.to_string().contains("may only contain"), "{error}");
        assert!(serde_json::from_str::<TenantName>("\"api\"").is_err());
        assert!(serde_json::from_str::<TenantName>("42").is_err());
    }

    #[test]
    fn from_str_and_try_from_parse() {
        assert!("acme".parse::<TenantName>().is_ok());
        assert!("ac".parse::<TenantName>().is_err());
        assert!(TenantName::try_from(String::from("acme")).is_ok());
        assert_eq!(String::from(TenantName::parse("acme").unwrap()), "acme");
    }
}
