//! Short hex digests: label values, name suffixes, spec hashes.

use sha2::{Digest as _, Sha256};

/// The first `len` hex digits of the SHA-256 of `data`.
pub fn short_hash(data: &[u8], len: usize) -> String {
    let digest = Sha256::digest(data);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    hex.truncate(len);
    hex
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
