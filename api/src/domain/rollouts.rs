//! Rules of rollouts shared by the handlers, `/apply` and the CLI.

/// Whether `name` is a valid rollout name (the rule of `kind: Rollout` manifests).
pub fn is_rollout_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollout_names() {
        assert!(is_rollout_name("wordpress-6-7"));
        assert!(!is_rollout_name(""));
        assert!(!is_rollout_name("Big_One"));
        assert!(!is_rollout_name(&"a".repeat(64)));
    }
}
