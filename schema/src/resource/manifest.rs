//! Manifests: multi-document YAML holding `kind: Tenant` and `kind: Rollout` documents.
//!
//! Parsing checks shapes only (types, required fields, unknown fields, `apiVersion` and
//! `kind`) and reports each problem with the document's index in the stream and the path of
//! the field, e.g. document 2, `spec.replicas`. The rules that need context (regions, plan
//! limits) are checked afterwards with [`TenantSpec::validate`] and
//! [`RolloutSpec::validate`].

use std::collections::BTreeMap;
use std::fmt;

use poem_openapi::Object;
use serde::de::{DeserializeOwned, DeserializeSeed};
use serde::{Deserialize, Serialize};

use super::bounded_yaml::{BoundedValue, node_budget};
use super::rollout::{ROLLOUT_KIND, RolloutSpec};
use super::tenant::{API_VERSION, TENANT_KIND, TenantSpec, api_version};
use super::validation::FieldError;
use crate::TenantName;

fn tenant_kind() -> String {
    TENANT_KIND.to_owned()
}

fn rollout_kind() -> String {
    ROLLOUT_KIND.to_owned()
}

/// A tenant as a user writes it: in a manifest, or as the body of `POST /tenants`
/// (where `apiVersion` and `kind` may be left out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct TenantManifest {
    #[serde(default = "api_version")]
    #[oai(default = "api_version")]
    pub api_version: String,
    #[serde(default = "tenant_kind")]
    #[oai(default = "tenant_kind")]
    pub kind: String,
    pub metadata: ManifestMeta,
    pub spec: TenantSpec,
}

/// The part of `metadata` a user may write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct ManifestMeta {
    pub name: TenantName,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[oai(default, skip_serializing_if_is_empty)]
    pub labels: BTreeMap<String, String>,
    /// When given, the write succeeds only if the stored tenant still has this version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[oai(skip_serializing_if_is_none)]
    pub resource_version: Option<String>,
}

/// A rollout as a user writes it in a manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutManifest {
    #[serde(default = "api_version")]
    #[oai(default = "api_version")]
    pub api_version: String,
    #[serde(default = "rollout_kind")]
    #[oai(default = "rollout_kind")]
    pub kind: String,
    pub metadata: RolloutMeta,
    pub spec: RolloutSpec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutMeta {
    /// 1–63 characters of a-z, 0-9 and '-'; applying a manifest with the same name again
    /// updates that rollout while it has not started.
    pub name: String,
}

impl RolloutManifest {
    /// The spec's rules and the name's.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = self.spec.validate().err().unwrap_or_default();
        let name = &self.metadata.name;
        let name_ok = (1..=63).contains(&name.len())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !name_ok {
            errors.insert(
                0,
                FieldError::new(
                    "metadata.name",
                    "must be 1 to 63 characters of a-z, 0-9 and '-'",
                ),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// One parsed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestDocument {
    Tenant(TenantManifest),
    Rollout(RolloutManifest),
}

impl ManifestDocument {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Tenant(_) => TENANT_KIND,
            Self::Rollout(_) => ROLLOUT_KIND,
        }
    }

    pub fn name(&self) -> &str {
        match self {
            Self::Tenant(t) => t.metadata.name.as_str(),
            Self::Rollout(r) => &r.metadata.name,
        }
    }
}

/// Why one document could not be parsed. `kind` and `name` are given when they could be read,
/// so that a per-document result can still say which object it was about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Object, thiserror::Error)]
#[serde(rename_all = "camelCase")]
#[oai(rename_all = "camelCase")]
pub struct ManifestError {
    /// 0-based position of the document in the stream (empty documents count too).
    pub document: usize,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub errors: Vec<FieldError>,
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "document {}", self.document)?;
        if let Some(kind) = &self.kind {
            write!(f, " ({kind}")?;
            if let Some(name) = &self.name {
                write!(f, " {name}")?;
            }
            write!(f, ")")?;
        }
        for (i, error) in self.errors.iter().enumerate() {
            let separator = if i == 0 { ": " } else { "; " };
            if error.field.is_empty() {
                write!(f, "{separator}{}", error.message)?;
            } else {
                write!(f, "{separator}{}: {}", error.field, error.message)?;
            }
        }
        Ok(())
    }
}

/// Parses each document on its own, so that one bad document does not hide the results of
/// the others. Empty documents (a stray `---`) are skipped. A YAML syntax error ends the
/// stream, since the parser cannot tell where the next document starts.
/// The most documents (list items included) one manifest may hold: a request applies them one
/// by one, so a manifest of thousands would hold a request — and the store — for minutes.
pub const MAX_MANIFEST_DOCUMENTS: usize = 100;

pub fn parse_manifest(text: &str) -> Vec<Result<ManifestDocument, ManifestError>> {
    let mut results = Vec::new();
    // One budget for all documents: a bomb split over many documents is still one bomb.
    let budget = node_budget(text);
    for (index, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let value = match BoundedValue::new(&budget).deserialize(document) {
            Ok(value) => value,
            Err(error) => {
                results.push(Err(ManifestError {
                    document: index,
                    kind: None,
                    name: None,
                    errors: vec![FieldError::new("", format!("invalid YAML: {error}"))],
                }));
                break;
            }
        };
        if value.is_null() {
            continue;
        }
        match list_items(&value) {
            Some(items) => results.extend(
                items
                    .iter()
                    .cloned()
                    .map(|item| parse_document(index, item)),
            ),
            None => results.push(parse_document(index, value)),
        }
    }
    results
}

/// The items of a `kind: List` or `kind: TenantList` document (what `GET /tenants` and
/// `swarmpress get -o yaml` print), so that a listing can be applied back as it is.
fn list_items(value: &serde_yaml::Value) -> Option<&Vec<serde_yaml::Value>> {
    let kind = value.get("kind")?.as_str()?;
    if kind != "List" && kind != "TenantList" {
        return None;
    }
    value.get("items")?.as_sequence()
}

/// Fields the server sets on a tenant it returns. A tenant read back (`get -o yaml`) is
/// applied as it is, so these are dropped rather than refused as unknown; everything else
/// stays strict.
const SERVER_SET_METADATA: &[&str] = &[
    "uid",
    "owner",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
];

fn without_server_fields(mut value: serde_yaml::Value) -> serde_yaml::Value {
    if let Some(map) = value.as_mapping_mut() {
        map.remove("status");
        if let Some(metadata) = map
            .get_mut("metadata")
            .and_then(serde_yaml::Value::as_mapping_mut)
        {
            for key in SERVER_SET_METADATA {
                metadata.remove(*key);
            }
        }
    }
    value
}

/// All documents of a manifest, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub documents: Vec<ManifestDocument>,
}

impl Manifest {
    /// Every document, or the errors of every document that failed.
    pub fn parse(text: &str) -> Result<Self, Vec<ManifestError>> {
        let mut documents = Vec::new();
        let mut errors = Vec::new();
        for result in parse_manifest(text) {
            match result {
                Ok(document) => documents.push(document),
                Err(error) => errors.push(error),
            }
        }
        if errors.is_empty() {
            Ok(Self { documents })
        } else {
            Err(errors)
        }
    }
}

fn parse_document(
    index: usize,
    value: serde_yaml::Value,
) -> Result<ManifestDocument, ManifestError> {
    let text_at = |key: &str| value.get(key).and_then(serde_yaml::Value::as_str);
    let kind = text_at("kind").map(str::to_owned);
    let name = value
        .get("metadata")
        .and_then(|m| m.get("name"))
        .and_then(serde_yaml::Value::as_str)
        .map(str::to_owned);
    let fail = |errors: Vec<FieldError>| ManifestError {
        document: index,
        kind: kind.clone(),
        name: name.clone(),
        errors,
    };

    if !value.is_mapping() {
        return Err(fail(vec![FieldError::new(
            "",
            "a document must be a mapping with apiVersion, kind, metadata and spec",
        )]));
    }
    match text_at("apiVersion") {
        Some(API_VERSION) => {}
        Some(other) => {
            return Err(fail(vec![FieldError::new(
                "apiVersion",
                format!("unsupported apiVersion {other:?}; expected {API_VERSION:?}"),
            )]));
        }
        None => {
            return Err(fail(vec![FieldError::new(
                "apiVersion",
                format!("required; expected {API_VERSION:?}"),
            )]));
        }
    }
    match kind.as_deref() {
        Some(TENANT_KIND) => typed(without_server_fields(value))
            .map(ManifestDocument::Tenant)
            .map_err(fail),
        Some(ROLLOUT_KIND) => typed(value).map(ManifestDocument::Rollout).map_err(fail),
        Some(other) => Err(fail(vec![FieldError::new(
            "kind",
            format!("unknown kind {other:?}; expected {TENANT_KIND} or {ROLLOUT_KIND}"),
        )])),
        None => Err(fail(vec![FieldError::new(
            "kind",
            format!("required; expected {TENANT_KIND} or {ROLLOUT_KIND}"),
        )])),
    }
}

/// Deserializes with the failing field's path, then refuses fields the type does not know:
/// a misspelt `replica: 3` must not silently mean one replica. Unknown fields are found by
/// comparing the input with the parsed value serialized back, which keeps the types lenient
/// for stored data (see [`TenantSpec`]) while manifests stay strict.
fn typed<T: DeserializeOwned + Serialize>(value: serde_yaml::Value) -> Result<T, Vec<FieldError>> {
    let input = serde_json::to_value(&value).map_err(|error| {
        vec![FieldError::new(
            "",
            format!("mapping keys must be strings: {error}"),
        )]
    })?;
    let parsed: T = serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let field = if path == "." { String::new() } else { path };
        vec![FieldError::new(field, error.into_inner().to_string())]
    })?;
    let output = serde_json::to_value(&parsed)
        .map_err(|error| vec![FieldError::new("", error.to_string())])?;
    let mut errors = Vec::new();
    unknown_fields(&input, &output, "", &mut errors);
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors)
    }
}

fn unknown_fields(
    input: &serde_json::Value,
    output: &serde_json::Value,
    path: &str,
    errors: &mut Vec<FieldError>,
) {
    let (serde_json::Value::Object(input), serde_json::Value::Object(output)) = (input, output)
    else {
        return;
    };
    for (key, value) in input {
        let field = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        match output.get(key) {
            Some(parsed) => unknown_fields(value, parsed, &field, errors),
            // Fields serialized only when set (`image`, `plans`, …) vanish when written empty.
            None if is_empty(value) => {}
            None => errors.push(FieldError::new(field, "unknown field")),
        }
    }
}

fn is_empty(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Null => true,
        serde_json::Value::Array(items) => items.is_empty(),
        serde_json::Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resource::tenant::TenantState;

    const GOOD: &str = r#"
apiVersion: swarmpress.io/v1
kind: Tenant
metadata: { name: acme-blog, labels: { team: web } }
spec:
  displayName: Acme Blog
  region: eu-west
  state: Running
  replicas: 2
  resources: { cpu: "0.5", memory: 512Mi }
  env: { WP_DEBUG: "false" }
  admin: { user: admin, email: admin@acme.test }
---
apiVersion: swarmpress.io/v1
kind: Tenant
metadata:
  name: minimal
spec:
  displayName: Minimal
  region: eu-west
  admin: { email: a@b.test }
---
apiVersion: swarmpress.io/v1
kind: Rollout
metadata: { name: wp-6-5 }
spec:
  image: swarmpress/wordpress:6.5
  selector: { plans: [starter, business] }
  batchSize: 3
"#;

    fn errors_of(text: &str) -> Vec<(usize, Vec<(String, String)>)> {
        parse_manifest(text)
            .into_iter()
            .filter_map(Result::err)
            .map(|e| {
                (
                    e.document,
                    e.errors.into_iter().map(|f| (f.field, f.message)).collect(),
                )
            })
            .collect()
    }

    fn only_error(text: &str) -> (usize, String, String) {
        let errors = errors_of(text);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let (document, fields) = errors.into_iter().next().unwrap();
        assert_eq!(fields.len(), 1, "{fields:?}");
        let (field, message) = fields.into_iter().next().unwrap();
        (document, field, message)
    }

    #[test]
    fn parses_tenants_and_rollouts_with_defaults() {
        let manifest = Manifest::parse(GOOD).unwrap();
        assert_eq!(manifest.documents.len(), 3);
        let ManifestDocument::Tenant(acme) = &manifest.documents[0] else {
            panic!("expected a tenant")
        };
        assert_eq!(acme.metadata.name.as_str(), "acme-blog");
        assert_eq!(acme.metadata.labels["team"], "web");
        assert_eq!(acme.spec.replicas, 2);
        assert_eq!(acme.spec.resources.memory, "512Mi");
        assert_eq!(acme.spec.env["WP_DEBUG"], "false");

        let ManifestDocument::Tenant(minimal) = &manifest.documents[1] else {
            panic!("expected a tenant")
        };
        assert_eq!(minimal.spec.state, TenantState::Running);
        assert_eq!(minimal.spec.replicas, 1);
        assert_eq!(minimal.spec.resources.cpu, "0.5");
        assert_eq!(minimal.spec.admin.user, "admin");
        assert!(minimal.spec.env.is_empty() && minimal.spec.image.is_none());

        let ManifestDocument::Rollout(rollout) = &manifest.documents[2] else {
            panic!("expected a rollout")
        };
        assert_eq!(manifest.documents[2].kind(), "Rollout");
        assert_eq!(manifest.documents[2].name(), "wp-6-5");
        assert_eq!(rollout.spec.batch_size, 3);
        assert_eq!(rollout.spec.canary, 1);
        assert_eq!(rollout.spec.health_timeout_seconds, 120);
        assert_eq!(rollout.spec.selector.plans, ["starter", "business"]);
        assert!(!rollout.spec.force_pull && rollout.spec.start_at.is_none());
        assert_eq!(rollout.validate(), Ok(()));
    }

    #[test]
    fn a_bad_document_does_not_hide_the_others() {
        let text = format!(
            "{GOOD}---\napiVersion: swarmpress.io/v1\nkind: Tenant\nmetadata: {{ name: x }}\n"
        );
        let results = parse_manifest(&text);
        assert_eq!(results.len(), 4);
        assert!(results[..3].iter().all(Result::is_ok));
        let error = results[3].as_ref().unwrap_err();
        assert_eq!(error.document, 3);
        assert_eq!(error.kind.as_deref(), Some("Tenant"));
        assert_eq!(error.name.as_deref(), Some("x"));
        assert_eq!(Manifest::parse(&text).unwrap_err().len(), 1);
    }

    #[test]
    fn type_errors_carry_the_field_path() {
        let (document, field, message) = only_error(
            "---\n---\napiVersion: swarmpress.io/v1\nkind: Tenant\nmetadata: { name: acme }\n\
             spec: { displayName: A, region: r, replicas: two, admin: { email: a@b.c } }\n",
        );
        assert_eq!(document, 1, "empty documents count");
        assert_eq!(field, "spec.replicas");
        assert!(message.contains("invalid type"), "{message}");

        let (_, field, _) = only_error(
            "apiVersion: swarmpress.io/v1\nkind: Tenant\nmetadata: { name: acme }\n\
             spec: { displayName: A, region: r, admin: { email: a@b.c }, env: { A: [1] } }\n",
        );
        assert_eq!(field, "spec.env.A");

        let (_, field, message) = only_error(
            "apiVersion: swarmpress.io/v1\nkind: Tenant\nmetadata: { name: acme }\n\
             spec: { displayName: A, region: r, admin: { user: root } }\n",
        );
        assert_eq!(field, "spec.admin");
        assert!(message.contains("missing field `email`"), "{message}");

        let (_, field, message) = only_error(
            "apiVersion: swarmpress.io/v1\nkind: Tenant\nmetadata: { name: Bad_Name }\n\
             spec: { displayName: A, region: r, admin: { email: a@b.c } }\n",
        );
        assert_eq!(field, "metadata.name");
        assert!(message.contains("may only contain"), "{message}");
    }

    #[test]
    fn unknown_fields_are_refused_everywhere() {
        let errors = errors_of(
            "apiVersion: swarmpress.io/v1\nkind: Tenant\nstate: { phase: Running }\n\
             metadata: { name: acme, uuid: x }\n\
             spec: { displayName: A, region: r, replica: 3, admin: { email: a@b.c, pw: x },\n\
                     resources: { cpus: 2 }, image: null }\n",
        );
        assert_eq!(errors.len(), 1);
        let fields: Vec<&str> = errors[0].1.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "metadata.uuid",
                "spec.admin.pw",
                "spec.replica",
                "spec.resources.cpus",
                "state",
            ]
        );
        assert!(errors[0].1.iter().all(|(_, m)| m == "unknown field"));

        let (_, field, _) = only_error(
            "apiVersion: swarmpress.io/v1\nkind: Rollout\nmetadata: { name: r }\n\
             spec: { image: i, selector: { all: true, plan: [x] } }\n",
        );
        assert_eq!(field, "spec.selector.plan");
    }

    #[test]
    fn api_version_and_kind_are_checked() {
        let (_, field, message) =
            only_error("apiVersion: v1\nkind: Tenant\nmetadata: { name: acme }\n");
        assert_eq!(field, "apiVersion");
        assert!(message.contains("swarmpress.io/v1"));
        let (_, field, _) = only_error("kind: Tenant\nmetadata: { name: acme }\n");
        assert_eq!(field, "apiVersion");
        let (_, field, message) =
            only_error("apiVersion: swarmpress.io/v1\nkind: Pod\nmetadata: { name: p }\n");
        assert_eq!(field, "kind");
        assert!(message.contains("Pod"));
        let (_, field, _) = only_error("apiVersion: swarmpress.io/v1\nmetadata: { name: p }\n");
        assert_eq!(field, "kind");
        let (_, field, _) = only_error("- a list\n- not a mapping\n");
        assert_eq!(field, "");
    }

    #[test]
    fn yaml_syntax_errors_stop_the_stream() {
        let text = format!("{GOOD}---\nkind: [unclosed\n---\nkind: Tenant\n");
        let results = parse_manifest(&text);
        assert_eq!(results.len(), 4, "{results:?}");
        let error = results[3].as_ref().unwrap_err();
        assert_eq!(error.document, 3);
        assert!(error.errors[0].message.starts_with("invalid YAML"));
        assert!(
            error.to_string().starts_with("document 3: invalid YAML"),
            "{error}"
        );
    }

    #[test]
    fn rollout_rules() {
        let manifest = Manifest::parse(
            "apiVersion: swarmpress.io/v1\nkind: Rollout\nmetadata: { name: Big_One }\n\
             spec: { image: '', batchSize: 0, healthTimeoutSeconds: 5 }\n",
        )
        .unwrap();
        let ManifestDocument::Rollout(rollout) = &manifest.documents[0] else {
            panic!("expected a rollout")
        };
        let fields: Vec<String> = rollout
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "metadata.name",
                "spec.image",
                "spec.selector",
                "spec.batchSize",
                "spec.healthTimeoutSeconds"
            ]
        );
    }

    #[test]
    fn tenants_read_back_from_the_api_apply_as_they_are() {
        let listing = r#"{"apiVersion": "swarmpress.io/v1", "kind": "TenantList",
          "metadata": {"resourceVersion": "9"},
          "items": [{"apiVersion": "swarmpress.io/v1", "kind": "Tenant",
            "metadata": {"name": "acme-blog", "uid": "9b2f8a52-5b1e-4a8e-9a59-0d3f3c1d2e4f",
              "owner": "5f1c4b2a-0000-4000-8000-000000000001", "labels": {"team": "web"},
              "generation": 3, "resourceVersion": "7",
              "creationTimestamp": "2026-11-26T09:00:00Z", "deletionTimestamp": null},
            "spec": {"displayName": "Acme", "region": "eu-west",
              "admin": {"user": "admin", "email": "a@acme.test"}},
            "status": {"phase": "Running", "observedGeneration": 3}}]}"#;
        let results = parse_manifest(listing);
        assert_eq!(results.len(), 1);
        let Ok(ManifestDocument::Tenant(tenant)) = &results[0] else {
            panic!("{results:?}");
        };
        assert_eq!(tenant.metadata.name.as_str(), "acme-blog");
        assert_eq!(tenant.metadata.resource_version.as_deref(), Some("7"));
        assert_eq!(tenant.metadata.labels["team"], "web");
        // Strict still: a field nobody sets is refused.
        let typo = listing.replace("\"generation\"", "\"generaton\"");
        assert!(parse_manifest(&typo)[0].is_err());
    }

    #[test]
    fn empty_text_has_no_documents() {
        assert!(parse_manifest("").is_empty());
        assert!(parse_manifest("---\n---\n").is_empty());
        assert_eq!(Manifest::parse("# only a comment\n").unwrap().documents, []);
    }
}
