//! Short hex digests: label values, name suffixes, spec hashes.

use sha2::{Digest as _, Sha256};

/// The first `len` hex digits of the SHA-256 of `data`.
pub fn short_hash(data: &[u8], len: usize) -> String {
    let mut hex = hex(&Sha256::digest(data));
    hex.truncate(len);
    hex
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, byte| {
            // Writing to a String cannot fail.
            let _ = write!(out, "{byte:02x}");
            out
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_hashes_are_lowercase_hex() {
        let hash = short_hash(b"abc", 16);
        assert_eq!(hash, "ba7816bf8f01cfea");
        assert_eq!(short_hash(b"abc", 8), "ba7816bf");
    }
}
