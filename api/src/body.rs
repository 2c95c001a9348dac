//! Request payloads parsed with serde so that errors name the field at fault.
//!
//! poem-openapi's own `Json<T>` reports a nested failure as a chain of type names; clients
//! need `spec.replicas`. These payloads keep poem-openapi's schema (from `T: Type`) for the
//! OpenAPI document and parse with `serde_path_to_error` instead.

use poem::{Request, RequestBody};
use poem_openapi::impl_apirequest_for_payload;
use poem_openapi::payload::{ParsePayload, Payload};
use poem_openapi::registry::{MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, FieldError};

/// Largest request body the API reads (manifests included).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// An `application/json` request body.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: Type + Send> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json";

    fn check_content_type(content_type: &str) -> bool {
        is_json(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ParseFromJSON + DeserializeOwned + Send> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = read_body(request, body).await?;
        let value: T = parse_json(&data)?;
        // serde has checked types and required fields, naming the field at fault; the
        // schema's own rules (unknown fields refused, validators) are poem-openapi's, whose
        // messages name the field only in their text.
        let json: serde_json::Value = parse_json(&data)?;
        if let Err(error) = T::parse_from_json(Some(json)) {
            let message = error.into_message();
            let field = quoted_field(&message).unwrap_or_else(|| "body".to_owned());
            return Err(ApiError::BadRequest {
                detail: format!("invalid body: {message}"),
                errors: vec![FieldError::new(field, message)],
            }
            .into());
        }
        Ok(Self(value))
    }
}

impl_apirequest_for_payload!(JsonBody<T>, T: ParseFromJSON + DeserializeOwned + Send);

/// An `application/merge-patch+json` body (RFC 7396): any JSON value, applied to a document.
#[derive(Debug, Clone)]
pub struct MergePatchBody(pub serde_json::Value);

impl Payload for MergePatchBody {
    const CONTENT_TYPE: &'static str = "application/merge-patch+json";

    fn check_content_type(content_type: &str) -> bool {
        media_type(content_type) == "application/merge-patch+json"
    }

    fn schema_ref() -> MetaSchemaRef {
        serde_json::Value::schema_ref()
    }
}

impl ParsePayload for MergePatchBody {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = read_body(request, body).await?;
        Ok(Self(parse_json(&data)?))
    }
}

impl_apirequest_for_payload!(MergePatchBody);

/// An `application/yaml` body, kept as text: a manifest holds several documents, each parsed
/// and reported on its own.
#[derive(Debug, Clone)]
pub struct YamlBody(pub String);

impl Payload for YamlBody {
    const CONTENT_TYPE: &'static str = "application/yaml";

    fn check_content_type(content_type: &str) -> bool {
        matches!(
            media_type(content_type).as_str(),
            "application/yaml" | "application/x-yaml" | "text/yaml" | "text/x-yaml"
        )
    }

    fn schema_ref() -> MetaSchemaRef {
        String::schema_ref()
    }
}

impl ParsePayload for YamlBody {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = read_body(request, body).await?;
        let text = String::from_utf8(data)
            .map_err(|_| ApiError::bad_request(None, "the body is not UTF-8"))?;
        Ok(Self(text))
    }
}

impl_apirequest_for_payload!(YamlBody);

fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn is_json(content_type: &str) -> bool {
    let media = media_type(content_type);
    media == "application/json"
}

async fn read_body(request: &Request, body: &mut RequestBody) -> poem::Result<Vec<u8>> {
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "the body is larger than {} KiB",
            MAX_BODY_BYTES / 1024
        ))
    };
    // A declared length over the limit is refused before reading a byte; a chunked body is
    // read only up to the limit, so neither can make the API buffer more than 1 MiB.
    if request
        .header("content-length")
        .and_then(|length| length.parse::<usize>().ok())
        .is_some_and(|length| length > MAX_BODY_BYTES)
    {
        return Err(too_large().into());
    }
    let data = body
        .take()?
        .into_bytes_limit(MAX_BODY_BYTES)
        .await
        .map_err(|error| match error {
            poem::error::ReadBodyError::PayloadTooLarge => too_large(),
            _ => ApiError::bad_request(None, "the body could not be read"),
        })?;
    Ok(data.to_vec())
}

/// Parses JSON into `T`, reporting the path of the first field that failed.
pub fn parse_json<T: DeserializeOwned>(data: &[u8]) -> Result<T, ApiError> {
    let deserializer = &mut serde_json::Deserializer::from_slice(data);
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request(None, format!("malformed JSON: {inner}"))
        } else {
            let field = if path == "." {
                missing_field(&inner.to_string()).unwrap_or_default()
            } else {
                match missing_field(&inner.to_string()) {
                    Some(missing) => format!("{path}.{missing}"),
                    None => path,
                }
            };
            ApiError::BadRequest {
                detail: format!("invalid body: {inner}"),
                errors: vec![FieldError::new(
                    if field.is_empty() {
                        "body".to_owned()
                    } else {
                        field
                    },
                    strip_position(&inner.to_string()),
                )],
            }
        }
    })
}

/// The field named in poem-openapi's "unknown field `x`." (or any first backquoted word).
fn quoted_field(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

/// serde reports a missing field at its parent's path, naming it only in the message.
fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest[..rest.find('`')?].to_owned())
}

/// serde_json appends " at line 1 column 12"; the field path says more to a client.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        spec: Inner,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        replicas: u32,
        name: String,
    }

    fn field_of(error: ApiError) -> String {
        match error {
            ApiError::BadRequest { errors, .. } => errors[0].field.clone(),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn names_the_nested_field_at_fault() {
        let error = parse_json::<Outer>(br#"{"spec":{"replicas":"two","name":"x"}}"#).unwrap_err();
        assert_eq!(field_of(error), "spec.replicas");
    }

    #[test]
    fn names_missing_fields() {
        let error = parse_json::<Outer>(br#"{"spec":{"replicas":2}}"#).unwrap_err();
        assert_eq!(field_of(error), "spec.name");
        let error = parse_json::<Outer>(br#"{}"#).unwrap_err();
        assert_eq!(field_of(error), "spec");
    }

    #[test]
    fn malformed_json_has_no_field() {
        let error = parse_json::<Outer>(b"{not json").unwrap_err();
        assert!(matches!(error, ApiError::BadRequest { errors, .. } if errors.is_empty()));
    }
}
