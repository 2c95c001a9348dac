//! Docker image references, checked against the distribution grammar
//! (`[registry[:port]/]path[:tag][@algorithm:hex]`) so that a typo is refused when the
//! rollout is created, not discovered as a failed canary minutes later.

/// Longest reference accepted (Docker's own limit on the name part).
pub const MAX_IMAGE_LEN: usize = 255;

/// Why `image` is not a valid reference, or `None` when it is.
pub fn image_reference_problem(image: &str) -> Option<&'static str> {
    if image.is_empty() || image.len() > MAX_IMAGE_LEN {
        return Some("must be an image reference of 1 to 255 characters");
    }
    let (rest, digest) = match image.split_once('@') {
        Some((rest, digest)) => (rest, Some(digest)),
        None => (image, None),
    };
    if digest.is_some_and(|digest| !is_digest(digest)) {
        return Some("the digest must be ALGORITHM:HEX, e.g. sha256: and 64 hex digits");
    }
    // A tag is after the last ':' unless a '/' follows it (then that ':' was a port).
    let (name, tag) = match rest.rfind(':') {
        Some(at) if !rest[at..].contains('/') => (&rest[..at], Some(&rest[at + 1..])),
        _ => (rest, None),
    };
    if tag.is_some_and(|tag| !is_tag(tag)) {
        return Some(
            "the tag must be 1 to 128 of A-Z, a-z, 0-9, '_', '.' and '-', not starting with '.' or '-'",
        );
    }
    let mut components: Vec<&str> = name.split('/').collect();
    // The first of several components is a registry when it looks like a host.
    if components.len() > 1 && (components[0].contains(['.', ':']) || components[0] == "localhost")
    {
        if !is_registry(components[0]) {
            return Some("the registry must be a host name with an optional :port");
        }
        components.remove(0);
    }
    if !components.iter().all(|c| is_path_component(c)) {
        return Some(
            "the repository must be lowercase a-z, 0-9 and inner '.', '_', '__' or '-' separated by '/', e.g. swarmpress/wordpress:6.7",
        );
    }
    None
}

fn is_tag(tag: &str) -> bool {
    let mut chars = tag.chars();
    (1..=128).contains(&tag.len())
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

fn is_digest(digest: &str) -> bool {
    let Some((algorithm, hex)) = digest.split_once(':') else {
        return false;
    };
    !algorithm.is_empty()
        && algorithm.starts_with(|c: char| c.is_ascii_alphabetic())
        && algorithm
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-' | '_'))
        && hex.len() >= 32
        && hex.chars().all(|c| c.is_ascii_hexdigit())
}

fn is_registry(host: &str) -> bool {
    let (host, port) = match host.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (host, None),
    };
    let port_ok =
        port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()));
    port_ok
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

/// `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`.
fn is_path_component(component: &str) -> bool {
    if component.is_empty() {
        return false;
    }
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let ok = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_references_pass() {
        for image in [
            "wordpress",
            "wordpress:6.7-php8.3-apache",
            "swarmpress/wordpress:6.7",
            "library/wordpress:latest",
            "localhost:5000/wp/site_a:v1",
            "registry.example.com/team-a/word--press__x.y:1",
            "ghcr.io/acme/wp@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "wp:6.7@sha256:0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(image_reference_problem(image), None, "{image}");
        }
    }

    #[test]
    fn typos_are_refused() {
        for image in [
            "",
            "Swarmpress/WordPress:6.7",
            "wordpress 6.7",
            "wordpress:",
            "wordpress:-rc",
            "wordpress::6",
            "/wordpress",
            "wordpress/",
            "a//b",
            "wp_:1",
            "wp@sha256:xyz",
            "wp@sha256:",
            "my_registry:5000x/wp",
            "registry.example.com:/wp",
            &format!("wp:{}", "1".repeat(129)),
            &format!("{}:1", "a".repeat(256)),
        ] {
            assert!(image_reference_problem(image).is_some(), "{image}");
        }
    }
}
