//! Which problem statuses an operation answers with, declared in its handler's signature so
//! the OpenAPI document lists exactly those.
//!
//! A handler returns [`Outcome<T, { NOT_FOUND | CONFLICT }>`](Outcome): the statuses its own
//! code can produce. The statuses that come from an operation's shape before its handler runs —
//! 400 for a malformed parameter or body, 401 without credentials, 403 for a cookie-authenticated
//! write without the CSRF header, 413 and 415 for a body — and 500 are added to the document by
//! [`crate::openapi`], which reads that shape from the document itself.
//!
//! An error whose status the handler did not declare is still answered (a client must never
//! see a dropped connection for it), and logged as a contract bug; the contract test
//! (`api/tests/api/contract.rs`) fails on it.

use poem_openapi::ApiResponse;
use poem_openapi::registry::{MetaResponses, Registry};

use crate::error::{ApiError, problem_response};

/// 400 raised by the handler itself (a parameter checked by hand).
pub const BAD_REQUEST: u32 = 1 << 0;
/// 403: not the caller's to do, or over the plan's quota.
pub const FORBIDDEN: u32 = 1 << 1;
pub const NOT_FOUND: u32 = 1 << 2;
pub const CONFLICT: u32 = 1 << 3;
/// 410: a watch resumed from a version no longer kept.
pub const GONE: u32 = 1 << 4;
/// 413 raised by the handler (a manifest with too many documents).
pub const TOO_LARGE: u32 = 1 << 5;
/// 422: the request parsed, its content is refused.
pub const INVALID: u32 = 1 << 6;
pub const THROTTLED: u32 = 1 << 7;
/// 401 from an operation that takes no credentials (a login that fails).
pub const UNAUTHORIZED: u32 = 1 << 9;
/// 503: Prometheus or the Docker engine is unreachable.
pub const UNAVAILABLE: u32 = 1 << 8;

const STATUSES: [(u32, u16); 10] = [
    (BAD_REQUEST, 400),
    (UNAUTHORIZED, 401),
    (FORBIDDEN, 403),
    (NOT_FOUND, 404),
    (CONFLICT, 409),
    (GONE, 410),
    (TOO_LARGE, 413),
    (INVALID, 422),
    (THROTTLED, 429),
    (UNAVAILABLE, 503),
];

/// Statuses any operation may give whatever it declares: the document adds those that fit
/// the operation's shape (see the module comment).
const ALWAYS_POSSIBLE: [u16; 6] = [400, 401, 403, 413, 415, 500];

/// An [`ApiError`] from an operation that declared the statuses `DECLARED`.
#[derive(Debug)]
pub struct Fails<const DECLARED: u32>(pub ApiError);

/// What a handler returns: its answer, or a problem with one of the statuses it declares.
pub type Outcome<T, const DECLARED: u32 = 0> = Result<T, Fails<DECLARED>>;

/// The statuses `declared` names, in ascending order.
pub fn statuses(declared: u32) -> impl Iterator<Item = u16> {
    STATUSES
        .into_iter()
        .filter(move |(bit, _)| declared & bit != 0)
        .map(|(_, status)| status)
}

impl<const DECLARED: u32, E: Into<ApiError>> From<E> for Fails<DECLARED> {
    fn from(error: E) -> Self {
        Self(error.into())
    }
}

impl<const DECLARED: u32> From<Fails<DECLARED>> for poem::Error {
    /// The error travels as the [`ApiError`] itself, so the one problem+json rendering (and
    /// its downcast in [`ApiError::from_poem`]) applies unchanged.
    fn from(Fails(error): Fails<DECLARED>) -> Self {
        let status = error.status().as_u16();
        if !ALWAYS_POSSIBLE.contains(&status) && !statuses(DECLARED).any(|s| s == status) {
            tracing::error!(status, error = %error, "answered with a status the operation does not declare");
        }
        poem::Error::from(error)
    }
}

impl<const DECLARED: u32> ApiResponse for Fails<DECLARED> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: statuses(DECLARED)
                .chain([500])
                .map(problem_response)
                .collect(),
        }
    }

    fn register(registry: &mut Registry) {
        <ApiError as ApiResponse>::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_declared_statuses_in_order() {
        assert_eq!(
            statuses(NOT_FOUND | CONFLICT | INVALID).collect::<Vec<_>>(),
            [404, 409, 422]
        );
        assert_eq!(statuses(0).count(), 0);
        let meta = <Fails<{ NOT_FOUND }> as ApiResponse>::meta();
        let listed: Vec<_> = meta.responses.iter().filter_map(|r| r.status).collect();
        assert_eq!(listed, [404, 500]);
    }

    #[test]
    fn the_error_travels_as_itself() {
        let fails: Fails<{ NOT_FOUND }> = ApiError::NotFound("x".to_owned()).into();
        let error = poem::Error::from(fails);
        assert!(error.downcast_ref::<ApiError>().is_some());
    }
}
