use std::fmt;

const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// Bytes at or above this are rejected so that `byte % 62` is uniform (248 = 4 × 62).
const UNBIASED_LIMIT: u8 = 248;

#[derive(Debug, thiserror::Error)]
#[error("the operating system's random number generator failed: {0}")]
pub struct PasswordError(#[from] getrandom::Error);

/// A password made by the platform: exactly 32 characters of `[A-Za-z0-9]` (about 190 bits).
///
/// Being alphanumeric by construction is what lets it go into SQL string literals and Swarm
/// secrets without escaping. It never prints: `Debug` shows `***` and there is no `Display`;
/// read it with [`GeneratedPassword::expose`] where it is actually needed.
#[derive(Clone, PartialEq, Eq)]
pub struct GeneratedPassword(String);

impl GeneratedPassword {
    pub const LEN: usize = 32;

    pub fn generate() -> Result<Self, PasswordError> {
        let mut password = String::with_capacity(Self::LEN);
        let mut buffer = [0u8; 64];
        while password.len() < Self::LEN {
            getrandom::getrandom(&mut buffer)?;
            password.extend(
                buffer
                    .iter()
                    .filter(|&&byte| byte < UNBIASED_LIMIT)
                    .map(|&byte| char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]))
                    .take(Self::LEN - password.len()),
            );
        }
        Ok(Self(password))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for GeneratedPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_32_alphanumeric_characters() {
        for _ in 0..200 {
            let password = GeneratedPassword::generate().unwrap();
            assert_eq!(password.expose().len(), GeneratedPassword::LEN);
            assert!(password.expose().bytes().all(|b| b.is_ascii_alphanumeric()));
        }
    }

    #[test]
    fn passwords_differ() {
        let a = GeneratedPassword::generate().unwrap();
        let b = GeneratedPassword::generate().unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn uses_the_whole_alphabet() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..100 {
            seen.extend(GeneratedPassword::generate().unwrap().expose().bytes());
        }
        // 3 200 uniform draws over 62 symbols miss one with probability ~62·e^-52.
        assert_eq!(seen.len(), ALPHABET.len());
    }

    #[test]
    fn debug_does_not_reveal_it() {
        let password = GeneratedPassword::generate().unwrap();
        assert_eq!(format!("{password:?}"), "***");
        assert_eq!(format!("{:?}", Some(&password)), "Some(***)");
    }
}
