//! The one error type of the API and its wire form, `application/problem+json` (RFC 9457).
//!
//! Every error a client can see — ours, poem's and poem-openapi's (bad JSON, a missing
//! parameter, a wrong content type, an unknown route) — leaves as a [`Problem`] with a stable
//! machine `code`. Internal errors are logged with their cause and answered with a generic
//! message, so a database error's text never reaches a client.

use std::time::Duration;
use swarmpress_schema::error_chain::ErrorChain;

use crate::domain::tenants::TenantWriteError;

use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Response};
use poem_openapi::registry::{MetaMediaType, MetaResponse, MetaResponses, Registry};
use poem_openapi::types::Type;
use poem_openapi::{ApiResponse, Object};
use serde::Serialize;
use swarmpress_schema::store::StoreError;

pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

/// One field-level complaint: `field` is a dotted path into the request (`spec.replicas`),
/// or the name of the parameter or header at fault. The schema crate's type, so that manifest
/// and spec validation errors pass through unchanged.
pub use swarmpress_schema::resource::FieldError;

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, Object)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:swarmpress:problem:<code>`.
    #[serde(rename = "type")]
    #[oai(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine code: `validation_failed`, `quota_exceeded`, `conflict`, `not_found`,
    /// `unauthorized`, `forbidden`, `rate_limited` or `internal`.
    pub code: String,
    pub errors: Vec<FieldError>,
}

/// Every error the API answers with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed: unparsable JSON, a missing or mistyped parameter (400).
    #[error("bad request: {detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    /// The request parsed but its content is not acceptable (422).
    #[error("validation failed: {errors:?}")]
    Validation { errors: Vec<FieldError> },
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// Over the plan (403); `field` names what asked too much when one thing did.
    #[error("quota exceeded: {detail}")]
    QuotaExceeded {
        detail: String,
        field: Option<String>,
    },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("rate limited for {retry_after:?}")]
    RateLimited { retry_after: Duration },
    /// More open streams than allowed (per user or in total).
    #[error("too many streams: {0}")]
    TooManyStreams(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A watch asked to resume from a version the change feed no longer holds (410).
    #[error("gone: {0}")]
    Gone(String),
    /// The body is over [`crate::body::MAX_BODY_BYTES`] (413).
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// A service the answer depends on (Prometheus, the Docker engine) cannot be reached
    /// (503). The message is sent: it names the service, never a credential.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A blocking maintenance window refuses the write (503 with `Retry-After` until it
    /// ends); the message is the window's.
    #[error("maintenance: {message}")]
    Maintenance {
        message: String,
        retry_after: Duration,
    },
    /// Anything the client cannot act on. The message is logged, never sent.
    #[error("internal: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            errors: vec![FieldError::new(field, message)],
        }
    }

    /// Over the plan, with nothing in particular to name.
    pub fn quota_exceeded(detail: impl Into<String>) -> Self {
        Self::QuotaExceeded {
            detail: detail.into(),
            field: None,
        }
    }

    pub fn bad_request(field: Option<&str>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self::BadRequest {
            errors: field
                .map(|field| vec![FieldError::new(field, detail.clone())])
                .unwrap_or_default(),
            detail,
        }
    }

    /// Wraps an unexpected failure; its text goes to the log only.
    pub fn internal(error: impl std::fmt::Display) -> Self {
        Self::Internal(error.to_string())
    }

    /// Wraps an unexpected error with its whole source chain, for the log.
    pub fn internal_error(context: &str, error: &(dyn std::error::Error + 'static)) -> Self {
        Self::Internal(format!("{context}: {}", ErrorChain(error)))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::QuotaExceeded { .. } | Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::RateLimited { .. } | Self::TooManyStreams(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Gone(_) => StatusCode::GONE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unavailable(_) | Self::Maintenance { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } | Self::Validation { .. } | Self::UnsupportedMediaType(_) => {
                "validation_failed"
            }
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::Conflict(_) => "conflict",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Gone(_) => "resource_version_expired",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::RateLimited { .. } | Self::TooManyStreams(_) => "rate_limited",
            Self::Unavailable(_) => "unavailable",
            Self::Maintenance { .. } => "maintenance",
            Self::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "Malformed request",
            Self::Validation { .. } => "Validation failed",
            Self::UnsupportedMediaType(_) => "Unsupported media type",
            Self::QuotaExceeded { .. } => "Quota exceeded",
            Self::Conflict(_) => "Conflict",
            Self::NotFound(_) => "Not found",
            Self::Unauthorized(_) => "Unauthorized",
            Self::Forbidden(_) => "Forbidden",
            Self::RateLimited { .. } | Self::TooManyStreams(_) => "Too many requests",
            Self::MethodNotAllowed => "Method not allowed",
            Self::Gone(_) => "Resource version expired",
            Self::PayloadTooLarge(_) => "Payload too large",
            Self::Unavailable(_) => "Service unavailable",
            Self::Maintenance { .. } => "Down for maintenance",
            Self::Internal(_) => "Internal error",
        }
    }

    pub fn problem(&self) -> Problem {
        let (detail, errors) = match self {
            Self::BadRequest { detail, errors } => (detail.clone(), errors.clone()),
            Self::QuotaExceeded { detail, field } => (
                detail.clone(),
                field
                    .iter()
                    .map(|field| FieldError::new(field, detail.clone()))
                    .collect(),
            ),
            Self::Validation { errors } => (
                match errors.as_slice() {
                    [one] => format!("{}: {}", one.field, one.message),
                    _ => format!("{} fields are invalid", errors.len()),
                },
                errors.clone(),
            ),
            Self::UnsupportedMediaType(detail)
            | Self::Conflict(detail)
            | Self::NotFound(detail)
            | Self::Unauthorized(detail)
            | Self::Forbidden(detail)
            | Self::Gone(detail)
            | Self::PayloadTooLarge(detail)
            | Self::TooManyStreams(detail)
            | Self::Unavailable(detail) => (detail.clone(), Vec::new()),
            Self::RateLimited { retry_after } => (
                format!(
                    "too many attempts; retry in {} seconds",
                    retry_after_seconds(*retry_after)
                ),
                Vec::new(),
            ),
            Self::Maintenance { message, .. } => (
                if message.is_empty() {
                    "the platform is under maintenance: writes are refused until it ends".to_owned()
                } else {
                    message.clone()
                },
                Vec::new(),
            ),
            Self::MethodNotAllowed => (
                "this method is not allowed on this resource".to_owned(),
                Vec::new(),
            ),
            Self::Internal(_) => ("an internal error occurred".to_owned(), Vec::new()),
        };
        Problem {
            kind: format!("urn:swarmpress:problem:{}", self.code()),
            title: self.title().to_owned(),
            status: self.status().as_u16(),
            detail,
            code: self.code().to_owned(),
            errors,
        }
    }

    /// Maps any error poem or poem-openapi produced to ours, naming the field at fault where
    /// their message allows.
    pub fn from_poem(error: poem::Error) -> Self {
        use poem_openapi::error as oai;
        let error = match error.downcast::<ApiError>() {
            Ok(error) => return error,
            Err(error) => error,
        };
        if let Some(e) = error.downcast_ref::<oai::ParseParamError>() {
            return Self::bad_request(Some(e.name), e.reason.clone());
        }
        if let Some(e) = error.downcast_ref::<oai::ParsePathError>() {
            // A path that cannot name a tenant names one that does not exist: the same 404
            // as an unknown or invisible tenant, so nothing can be probed through the answer.
            if e.name == "name" {
                return Self::NotFound("no such tenant".to_owned());
            }
            return Self::bad_request(Some(e.name), e.reason.clone());
        }
        if let Some(e) = error.downcast_ref::<oai::ParseRequestPayloadError>() {
            return Self::bad_request(None, e.reason.clone());
        }
        if let Some(e) = error.downcast_ref::<oai::ContentTypeError>() {
            return Self::UnsupportedMediaType(e.to_string());
        }
        if error.is::<oai::AuthorizationError>() {
            return Self::Unauthorized("authentication required".to_owned());
        }
        if error.is::<poem::error::NotFoundError>() {
            return Self::NotFound("no such resource".to_owned());
        }
        if error.is::<poem::error::MethodNotAllowedError>() {
            return Self::MethodNotAllowed;
        }
        let status = error.status();
        let message = error.to_string();
        match status {
            StatusCode::NOT_FOUND => Self::NotFound("no such resource".to_owned()),
            StatusCode::METHOD_NOT_ALLOWED => Self::MethodNotAllowed,
            StatusCode::UNAUTHORIZED => Self::Unauthorized("authentication required".to_owned()),
            StatusCode::FORBIDDEN => Self::Forbidden("forbidden".to_owned()),
            StatusCode::UNSUPPORTED_MEDIA_TYPE => Self::UnsupportedMediaType(message),
            status if status.is_client_error() => Self::bad_request(None, message),
            _ => Self::Internal(message),
        }
    }
}

fn retry_after_seconds(duration: Duration) -> u64 {
    // Round up: a client that waits the advertised time must find the door open.
    duration.as_secs() + u64::from(duration.subsec_nanos() > 0)
}

impl poem::error::ResponseError for ApiError {
    fn status(&self) -> StatusCode {
        ApiError::status(self)
    }

    fn as_response(&self) -> Response {
        if let Self::Internal(message) = self {
            tracing::error!(error = %message, "internal error");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_else(|_| b"{}".to_vec());
        let mut response = Response::builder()
            .status(self.status())
            .content_type(PROBLEM_CONTENT_TYPE)
            .body(body);
        if let Self::RateLimited { retry_after } | Self::Maintenance { retry_after, .. } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_seconds(*retry_after)),
            );
        }
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        poem::error::ResponseError::as_response(&self)
    }
}

/// What a problem with `status` means, for the OpenAPI document.
pub(crate) fn problem_description(status: u16) -> &'static str {
    match status {
        400 => "Malformed request (`validation_failed`)",
        401 => "Not authenticated (`unauthorized`)",
        403 => "Not allowed (`forbidden`) or over the plan's quota (`quota_exceeded`)",
        404 => "No such resource visible to the caller (`not_found`)",
        409 => "Conflicting write (`conflict`)",
        410 => "Watch resumed from a version no longer kept (`resource_version_expired`)",
        413 => "The body is over the size limit (`payload_too_large`)",
        415 => "The body's content type is not one the operation takes (`validation_failed`)",
        422 => "Invalid content (`validation_failed`)",
        429 => "Throttled (`rate_limited`); see `Retry-After`",
        503 => {
            "A service the answer needs (Prometheus, Docker) is unreachable (`unavailable`), or a \
             blocking maintenance window refuses writes (`maintenance`, see `Retry-After`)"
        }
        _ => "Internal error (`internal`)",
    }
}

/// The problem response an operation can give with `status`, for the OpenAPI document.
pub(crate) fn problem_response(status: u16) -> MetaResponse {
    MetaResponse {
        description: problem_description(status),
        status: Some(status),
        status_range: None,
        content: vec![MetaMediaType {
            content_type: PROBLEM_CONTENT_TYPE,
            schema: Problem::schema_ref(),
        }],
        headers: vec![],
    }
}

/// Every problem response there is: for an operation that has not narrowed its errors with
/// [`crate::declared::Fails`].
impl ApiResponse for ApiError {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: [400, 401, 403, 404, 409, 410, 413, 415, 422, 429, 500, 503]
                .into_iter()
                .map(problem_response)
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        Problem::register(registry);
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<TenantWriteError> for ApiError {
    fn from(error: TenantWriteError) -> Self {
        let message = error.to_string();
        match error {
            TenantWriteError::Invalid(errors) => Self::Validation { errors },
            TenantWriteError::QuotaExceeded { field, message } => Self::QuotaExceeded {
                detail: message,
                field: Some(field.to_owned()),
            },
            TenantWriteError::NotFound(_) => Self::NotFound(message),
            TenantWriteError::NameTaken(_)
            | TenantWriteError::Terminating
            | TenantWriteError::Conflict(_) => Self::Conflict(message),
            TenantWriteError::Store(error) => error.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    /// The generic mapping; handlers that can say more (which object, which name) match on
    /// the store error themselves first.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => Self::NotFound("no such resource".to_owned()),
            StoreError::Conflict {
                current_resource_version,
            } => Self::Conflict(format!(
                "the object was changed meanwhile; its resourceVersion is now \
                 {current_resource_version}"
            )),
            StoreError::AlreadyExists => Self::Conflict("it already exists".to_owned()),
            StoreError::QuotaExceeded { limit } => {
                Self::quota_exceeded(format!("the plan allows {}", crate::words::sites(limit)))
            }
            StoreError::Terminating => {
                Self::Conflict("the tenant is being deleted and can no longer change".to_owned())
            }
            StoreError::InvalidTransition { from, to } => {
                Self::Conflict(format!("cannot go from {from} to {to}"))
            }
            StoreError::Gone { requested, oldest } => Self::Gone(format!(
                "resourceVersion {requested} is too old (the oldest kept is {oldest}); \
                 list again and watch from the list's resourceVersion"
            )),
            other => Self::internal_error("store", &other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_text_private() {
        let problem = ApiError::internal("password=hunter2 leaked").problem();
        assert_eq!(problem.status, 500);
        assert_eq!(problem.code, "internal");
        assert!(!problem.detail.contains("hunter2"));
    }

    #[test]
    fn retry_after_rounds_up() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1500)), 2);
        assert_eq!(retry_after_seconds(Duration::from_secs(3)), 3);
    }

    #[test]
    fn problem_serializes_with_the_rfc_field_names() {
        let json =
            serde_json::to_value(ApiError::validation("email", "invalid").problem()).unwrap();
        assert_eq!(json["type"], "urn:swarmpress:problem:validation_failed");
        assert_eq!(json["status"], 422);
        assert_eq!(json["errors"][0]["field"], "email");
    }
}
