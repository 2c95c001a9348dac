//! Counted nouns in messages people read: "1 site", "2 sites".

/// `count` and the noun, singular for exactly one.
pub fn counted(count: impl Into<u64>, singular: &str, plural: &str) -> String {
    let count = count.into();
    if count == 1 {
        format!("1 {singular}")
    } else {
        format!("{count} {plural}")
    }
}

/// Sites, the noun most messages count.
pub fn sites(count: impl Into<u64>) -> String {
    counted(count, "site", "sites")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(sites(1u32), "1 site");
        assert_eq!(sites(0u32), "0 sites");
        assert_eq!(sites(5u64), "5 sites");
        assert_eq!(
            counted(1u32, "document was", "documents were"),
            "1 document was"
        );
    }
}
