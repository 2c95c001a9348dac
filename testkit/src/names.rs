//! Random names, so concurrent test runs never collide.

/// `len` random characters of `[a-z0-9]`, drawn uniformly.
pub fn random_suffix(len: usize) -> String {
    const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    let mut buffer = [0u8; 32];
    while out.len() < len {
        if let Err(error) = getrandom::getrandom(&mut buffer) {
            panic!("the OS random number generator failed: {error}");
        }
        // 252 = 7 × 36: dropping the bytes above keeps the draw uniform.
        out.extend(
            buffer
                .iter()
                .filter(|&&byte| byte < 252)
                .map(|&byte| char::from(ALPHABET[usize::from(byte) % ALPHABET.len()]))
                .take(len - out.len()),
        );
    }
    out
}

/// `<prefix>-<8 random characters>`: a valid tenant name when `prefix` starts one.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", random_suffix(8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_are_lowercase_and_distinct() {
        let a = random_suffix(40);
        assert_eq!(a.len(), 40);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_ne!(a, random_suffix(40));
    }
}
