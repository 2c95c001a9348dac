//! The `Allow` header of a 405: the methods the OpenAPI document gives the requested path.
//! Read from the document itself, so it cannot drift from the operations served.

use std::collections::BTreeSet;

/// One path template of the document, split at `/`; `None` stands for a `{parameter}`.
struct Template {
    segments: Vec<Option<String>>,
    allow: String,
}

pub struct AllowedMethods {
    prefix: String,
    templates: Vec<Template>,
}

impl AllowedMethods {
    /// From the OpenAPI document (JSON) of the operations mounted under `prefix`.
    pub fn from_spec(spec: &str, prefix: &str) -> Self {
        let document: serde_json::Value = serde_json::from_str(spec).unwrap_or_default();
        let templates = document["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, item)| Template {
                        segments: split(path)
                            .map(|segment| (!segment.starts_with('{')).then(|| segment.to_owned()))
                            .collect(),
                        allow: methods(item),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            prefix: prefix.trim_end_matches('/').to_owned(),
            templates,
        }
    }

    /// The methods of the path `request_path` names, as an `Allow` value.
    pub fn for_path(&self, request_path: &str) -> Option<&str> {
        let path = request_path.strip_prefix(&self.prefix)?;
        let segments: Vec<&str> = split(path).collect();
        self.templates
            .iter()
            .filter(|t| {
                t.segments.len() == segments.len()
                    && t.segments
                        .iter()
                        .zip(&segments)
                        .all(|(want, got)| want.as_deref().is_none_or(|w| w == *got))
            })
            // A literal segment beats a parameter: `/tenants/stream`-like routes first.
            .max_by_key(|t| t.segments.iter().filter(|s| s.is_some()).count())
            .map(|t| t.allow.as_str())
    }
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|segment| !segment.is_empty())
}

fn methods(item: &serde_json::Value) -> String {
    const METHODS: [&str; 7] = ["get", "put", "post", "delete", "options", "head", "patch"];
    let mut allowed: BTreeSet<&str> = item
        .as_object()
        .map(|ops| {
            ops.keys()
                .filter_map(|key| METHODS.iter().find(|m| **m == key.as_str()).copied())
                .collect()
        })
        .unwrap_or_default();
    // Every GET answers HEAD as well.
    if allowed.contains("get") {
        allowed.insert("head");
    }
    allowed
        .into_iter()
        .map(str::to_ascii_uppercase)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_methods_of_a_concrete_path() {
        let spec = r#"{"paths": {
            "/tenants": {"get": {}, "post": {}},
            "/tenants/{name}": {"get": {}, "put": {}, "delete": {}, "parameters": []},
            "/tenants/{name}/stop": {"post": {}},
            "/tenants/stream": {"get": {}}
        }}"#;
        let allowed = AllowedMethods::from_spec(spec, "/api/v1");
        assert_eq!(allowed.for_path("/api/v1/tenants"), Some("GET, HEAD, POST"));
        assert_eq!(
            allowed.for_path("/api/v1/tenants/acme"),
            Some("DELETE, GET, HEAD, PUT")
        );
        assert_eq!(
            allowed.for_path("/api/v1/tenants/stream"),
            Some("GET, HEAD")
        );
        assert_eq!(allowed.for_path("/api/v1/tenants/acme/stop"), Some("POST"));
        assert_eq!(allowed.for_path("/api/v1/nothing/here"), None);
        assert_eq!(allowed.for_path("/elsewhere"), None);
    }
}
