//! Inputs an attacker would send.

/// The "billion laughs": nine levels of nine aliases each, 9⁹ strings once expanded, in a
/// few hundred bytes.
pub fn yaml_bomb() -> String {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for level in b'b'..=b'i' {
        let previous = char::from(level - 1);
        let level = char::from(level);
        let refs = vec![format!("*{previous}"); 9].join(",");
        text.push_str(&format!("{level}: &{level} [{refs}]\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_bomb_is_small() {
        let bomb = super::yaml_bomb();
        assert!(bomb.len() < 1024, "{}", bomb.len());
        assert_eq!(bomb.lines().count(), 9);
    }
}
