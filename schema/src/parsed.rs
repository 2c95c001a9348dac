//! Values parsed once at the edge into types that can only hold valid ones: an e-mail address,
//! an environment variable's name, CPU and memory quantities. Whoever holds one never checks it
//! again; the rules live here and nowhere else.

use std::fmt;

/// Why a value was refused: a sentence for the `message` of a field error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(String);

/// A plausible e-mail address, trimmed and lower-cased (so one mailbox is one account).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// One `@`, a local part of 1–64 printable non-space characters, and a domain of at least
    /// two dot-separated labels of letters, digits and inner hyphens. It does not try to be
    /// RFC 5322; it refuses what is certainly a typo.
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let email = raw.trim().to_lowercase();
        if is_plausible_email(&email) {
            Ok(Self(email))
        } else {
            Err(ParseError("is not a valid e-mail address".to_owned()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_plausible_email(email: &str) -> bool {
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

/// Variables the image and the platform set themselves; a tenant overriding them could point
/// WordPress at another tenant's database or break the install.
pub const RESERVED_ENV_PREFIXES: &[&str] = &["WORDPRESS_", "SWARMPRESS_"];

/// The name of an environment variable a tenant may set: `^[A-Z_][A-Z0-9_]*$`, not one of
/// the platform's own.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnvKey(String);

impl EnvKey {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let shape_ok = raw.starts_with(|c: char| c.is_ascii_uppercase() || c == '_')
            && raw
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !shape_ok {
            return Err(ParseError(
                "variable names must match ^[A-Z_][A-Z0-9_]*$".to_owned(),
            ));
        }
        if let Some(prefix) = RESERVED_ENV_PREFIXES.iter().find(|p| raw.starts_with(*p)) {
            return Err(ParseError(format!(
                "names starting with {prefix} are reserved for the platform"
            )));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

pub const MIN_CPU_MILLIS: u32 = 100;
pub const MAX_CPU_MILLIS: u32 = 4000;
pub const MIN_MEMORY_MIB: u64 = 128;
pub const MAX_MEMORY_MIB: u64 = 8 * 1024;

/// A CPU limit per replica, in thousandths of a core: from "0.1" to "4".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct CpuQuantity(u32);

impl CpuQuantity {
    /// A decimal number of cores with at most three fractional digits: "0.5" is 500 millis.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        let shape_ok = !whole.is_empty()
            && whole.len() <= 2
            && digits(whole)
            && digits(fraction)
            && fraction.len() <= 3
            // A '.' must be followed by digits: "1." is refused.
            && fraction.is_empty() != text.contains('.');
        let invalid = || {
            ParseError(format!(
                "must be a number of cores such as \"0.5\", got {text:?}"
            ))
        };
        if !shape_ok {
            return Err(invalid());
        }
        let whole: u32 = whole.parse().map_err(|_| invalid())?;
        let mut fraction_millis = 0;
        for (position, digit) in (0u32..).zip(fraction.chars()) {
            let digit = digit.to_digit(10).ok_or_else(invalid)?;
            fraction_millis += digit * 10u32.pow(2 - position);
        }
        let millis = whole * 1000 + fraction_millis;
        if !(MIN_CPU_MILLIS..=MAX_CPU_MILLIS).contains(&millis) {
            return Err(ParseError(format!(
                "must be between 0.1 and 4 cores, got {text}"
            )));
        }
        Ok(Self(millis))
    }

    pub fn millis(self) -> u32 {
        self.0
    }

    /// The unit Docker takes (`NanoCPUs`).
    pub fn nanos(self) -> i64 {
        i64::from(self.0) * 1_000_000
    }
}

/// A memory limit per replica, from "128Mi" to "8Gi".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MemoryQuantity(u64);

impl MemoryQuantity {
    /// Whole mebibytes or gibibytes: "512Mi" is 512 × 2^20 bytes.
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        let invalid = || ParseError(format!("must look like \"512Mi\" or \"2Gi\", got {text:?}"));
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
            return Err(ParseError(format!(
                "must be between 128Mi and 8Gi, got {text}"
            )));
        }
        Ok(Self(mib * 1024 * 1024))
    }

    pub fn bytes(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_typos_refused() {
        assert_eq!(
            EmailAddress::parse("  Ann@Example.ORG ").unwrap().as_str(),
            "ann@example.org"
        );
        for good in ["a@b.co", "first.last+tag@sub.example.org", "x_y@a-b.test"] {
            assert!(EmailAddress::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "", "a", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.de", "a@-b.co", "a@b..co", ".a@b.co",
            "a@b_c.de",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn env_keys_have_a_shape_and_spare_the_platform_names() {
        assert_eq!(EnvKey::parse("WP_DEBUG").unwrap().as_str(), "WP_DEBUG");
        assert!(EnvKey::parse("_X1").is_ok());
        for bad in ["wp_debug", "1X", "", "A-B", "A B"] {
            assert!(EnvKey::parse(bad).is_err(), "{bad:?}");
        }
        let reserved = EnvKey::parse("WORDPRESS_DB_HOST").unwrap_err();
        assert!(reserved.to_string().contains("reserved"));
    }

    #[test]
    fn cpu_is_a_decimal_between_a_tenth_and_four() {
        let cpu = |v: &str| CpuQuantity::parse(v).map(CpuQuantity::millis);
        assert_eq!(cpu("0.1"), Ok(100));
        assert_eq!(cpu("0.5"), Ok(500));
        assert_eq!(cpu("2.25"), Ok(2250));
        assert_eq!(cpu("4.000"), Ok(4000));
        assert_eq!(CpuQuantity::parse("1").unwrap().nanos(), 1_000_000_000);
        for bad in [
            "0.09", "4.001", "5", "0", "", ".5", "1.", "-1", "1e3", "0.1234", "abc", " 1", "1,5",
        ] {
            assert!(cpu(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn memory_is_mi_or_gi_between_128mi_and_8gi() {
        let memory = |v: &str| MemoryQuantity::parse(v).map(MemoryQuantity::bytes);
        assert_eq!(memory("128Mi"), Ok(128 << 20));
        assert_eq!(memory("8Gi"), Ok(8 << 30));
        assert_eq!(memory("8192Mi"), Ok(8 << 30));
        for bad in [
            "127Mi", "9Gi", "8193Mi", "512", "512MB", "512mi", "Mi", "-1Gi", "1.5Gi", "0Gi",
        ] {
            assert!(memory(bad).is_err(), "{bad:?}");
        }
    }
}
