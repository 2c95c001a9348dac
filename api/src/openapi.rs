//! The OpenAPI document, made exact where poem-openapi's output says less than the API does.
//!
//! - **Statuses an operation has by its shape.** A handler declares the problems its own code
//!   answers with ([`crate::declared`]); what happens before it runs is added here: 400 for an
//!   operation with parameters or a body, 401 for one that needs credentials, 403 for a write
//!   that takes the cookie (the CSRF header), 413 and 415 for one with a body.
//! - **Nullable optional fields.** poem-openapi writes an `Option` field that is `None` as
//!   `null` and reads `null` as `None`, but declares it only as not required. Every property
//!   that is neither required nor defaulted is an `Option` and is declared `nullable`.
//! - **Closed request objects.** Objects that refuse unknown fields say so with
//!   `additionalProperties: false` ([`closed_schemas`]).

use poem_openapi::types::Type;
use serde_json::{Map, Value, json};

use crate::error::{PROBLEM_CONTENT_TYPE, problem_description};

/// The document served at `/api/v1/openapi.json` and printed by `swarmpress-api openapi`.
pub fn document(generated: &str) -> Result<String, serde_json::Error> {
    let mut document: Value = serde_json::from_str(generated)?;
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for operations in paths.values_mut().filter_map(Value::as_object_mut) {
            for (method, operation) in operations.iter_mut() {
                add_statuses_of_shape(method, operation);
            }
        }
    }
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        let closed = closed_schemas();
        for (name, schema) in schemas.iter_mut() {
            declare_nullable(schema);
            if closed.iter().any(|closed| closed == name) {
                schema["additionalProperties"] = Value::Bool(false);
            }
        }
    }
    serde_json::to_string(&document)
}

/// Request objects whose parsing refuses unknown fields (`deny_unknown_fields`). Named through
/// their types, so a rename cannot leave a stale entry; the contract test sends each of them
/// an unknown field and expects it refused.
pub fn closed_schemas() -> Vec<String> {
    use crate::routes::{auth, billing, cluster, rollouts, tenants, users};
    use swarmpress_schema::resource::{
        AdminSpec, AnnouncementInput, MaintenanceWindowInput, Resources, RolloutSelector,
        TenantSpec,
    };
    [
        auth::RegisterRequest::name(),
        auth::LoginRequest::name(),
        auth::ProfileUpdate::name(),
        auth::PasswordChange::name(),
        auth::TokenRequest::name(),
        billing::UpgradeRequest::name(),
        cluster::AvailabilityRequest::name(),
        rollouts::NewRollout::name(),
        tenants::CreateMetadata::name(),
        tenants::TenantCreateRequest::name(),
        tenants::ScaleRequest::name(),
        users::UserPatch::name(),
        AnnouncementInput::name(),
        MaintenanceWindowInput::name(),
        RolloutSelector::name(),
        TenantSpec::name(),
        Resources::name(),
        AdminSpec::name(),
    ]
    .into_iter()
    .map(|name| name.into_owned())
    .collect()
}

/// Request objects open on purpose: PUT takes back what GET returned, `status`, `uid` and all.
pub fn open_request_schemas() -> Vec<String> {
    use crate::routes::tenants::{ReplaceMetadata, TenantReplaceRequest};
    vec![
        TenantReplaceRequest::name().into_owned(),
        ReplaceMetadata::name().into_owned(),
    ]
}

fn add_statuses_of_shape(method: &str, operation: &mut Value) {
    let has_body = operation.get("requestBody").is_some();
    let has_parameters = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|parameters| !parameters.is_empty());
    let schemes: Vec<&str> = operation
        .get("security")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys().map(String::as_str))
        .collect();
    let writes = !matches!(method, "get" | "head");
    let mut statuses = vec![500];
    if has_body || has_parameters {
        statuses.push(400);
    }
    if !schemes.is_empty() {
        statuses.push(401);
    }
    if writes && schemes.contains(&"CookieAuth") {
        statuses.push(403);
    }
    if has_body {
        statuses.extend([413, 415]);
    }
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for status in statuses {
        responses
            .entry(status.to_string())
            .or_insert_with(|| problem_response_json(status));
    }
    sort_by_status(responses);
}

fn problem_response_json(status: u16) -> Value {
    json!({
        "description": problem_description(status),
        "content": {
            PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}
        }
    })
}

fn sort_by_status(responses: &mut Map<String, Value>) {
    let mut entries: Vec<(String, Value)> = std::mem::take(responses).into_iter().collect();
    entries.sort_by(|(a, _), (b, _)| a.cmp(b));
    responses.extend(entries);
}

fn declare_nullable(schema: &mut Value) {
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        if required.contains(name) || property.get("default").is_some() {
            continue;
        }
        if let Some(reference) = property.as_object_mut().and_then(|p| p.remove("$ref")) {
            // Siblings of `$ref` are ignored in OpenAPI 3.0: wrap it to say more.
            property["allOf"] = json!([{ "$ref": reference }]);
        }
        property["nullable"] = Value::Bool(true);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    fn served() -> Value {
        serde_json::from_str(&crate::server::openapi_json()).unwrap()
    }

    #[test]
    fn optional_fields_are_nullable_and_defaults_are_not() {
        let document = served();
        let token = &document["components"]["schemas"]["AccessToken"]["properties"];
        assert_eq!(token["expiresAt"]["nullable"], true);
        let scale = &document["components"]["schemas"]["ScaleRequest"]["properties"];
        assert_eq!(scale["resources"]["nullable"], true);
        assert!(scale["resources"]["allOf"][0]["$ref"].is_string());
        let spec = &document["components"]["schemas"]["TenantSpec"]["properties"];
        assert!(spec["replicas"].get("nullable").is_none());
    }

    #[test]
    fn every_request_object_is_closed_or_open_on_purpose() {
        let document = served();
        let schemas = document["components"]["schemas"].as_object().unwrap();
        let mut reachable = BTreeSet::new();
        let mut pending: Vec<&Value> = document["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|operations| operations.as_object().unwrap().values())
            .filter_map(|operation| operation.get("requestBody"))
            .collect();
        while let Some(value) = pending.pop() {
            match value {
                Value::Object(map) => {
                    if let Some(Value::String(reference)) = map.get("$ref") {
                        let name = reference.trim_start_matches("#/components/schemas/");
                        if reachable.insert(name.to_owned()) {
                            pending.push(&schemas[name]);
                        }
                    }
                    pending.extend(map.values());
                }
                Value::Array(items) => pending.extend(items),
                _ => {}
            }
        }
        let closed = closed_schemas();
        let open = open_request_schemas();
        for name in reachable {
            let schema = &schemas[&name];
            if schema.get("properties").is_none() {
                continue; // an enum or a scalar
            }
            assert!(
                closed.contains(&name) || open.contains(&name),
                "request object {name} is neither closed nor listed as open on purpose"
            );
            assert_eq!(
                schema.get("additionalProperties") == Some(&Value::Bool(false)),
                closed.contains(&name),
                "{name}"
            );
        }
    }

    #[test]
    fn statuses_follow_the_operation_shape() {
        let document = served();
        let statuses = |path: &str, method: &str| -> Vec<String> {
            document["paths"][path][method]["responses"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect()
        };
        assert_eq!(statuses("/health", "get"), ["200", "500"]);
        let create = statuses("/tenants", "post");
        for status in ["400", "401", "403", "413", "415", "422", "500"] {
            assert!(create.contains(&status.to_owned()), "{status}: {create:?}");
        }
        assert!(!statuses("/plans", "get").contains(&"415".to_owned()));
    }
}
