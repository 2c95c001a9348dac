//! Maintenance that blocks writes. The portal shows a popup during any maintenance window; a
//! window marked `blocking` also makes the API refuse every write but an administrator's
//! (503 `maintenance`, `Retry-After` until the window ends), so the CLI and tokens meet the
//! same closed door as the portal. Reads keep working, and so do login, refresh and logout
//! (an administrator must be able to sign in to end the window early). A write without valid
//! credentials gets its 401 as always (registration excepted, which needs none and is closed).
//!
//! One middleware rather than a check per handler, for the same reason as the read-only
//! token rule: no write can forget it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use poem::http::{Method, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use swarmpress_schema::resource::MaintenanceWindow;
use swarmpress_schema::store::Store;
use tokio::time::Instant;

use crate::auth::cookies::ACCESS_COOKIE;
use crate::error::ApiError;
use crate::server::API_PREFIX;
use crate::state::AppState;

/// How long one answer of the store stands for, in this process. An administrator's change
/// of windows through this process applies at once ([`MaintenanceGate::forget`]); another
/// replica's, within this long.
const FRESH_FOR: Duration = Duration::from_secs(2);

/// Writes that stay open during a blocking window: signing in and out.
const OPEN_PATHS: [&str; 3] = ["/auth/login", "/auth/refresh", "/auth/logout"];

/// The one write anyone may make without credentials, closed with the rest.
const REGISTER_PATH: &str = "/auth/register";

type Looked = (Instant, Option<MaintenanceWindow>);

/// The blocking window in force, as last looked up. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct MaintenanceGate {
    last: Arc<Mutex<Option<Looked>>>,
}

impl MaintenanceGate {
    /// The blocking window in force now, if any. A store that cannot answer blocks nothing:
    /// the write then fails or succeeds on its own, and maintenance is no reason to fail it.
    pub async fn blocking(&self, store: &Store) -> Option<MaintenanceWindow> {
        let now = Utc::now();
        if let Some((at, window)) = self.lock().as_ref()
            && at.elapsed() < FRESH_FOR
        {
            return window.clone().filter(|w| w.is_active(now));
        }
        match store.blocking_maintenance_window(now).await {
            Ok(window) => {
                *self.lock() = Some((Instant::now(), window.clone()));
                window
            }
            Err(error) => {
                tracing::warn!(%error, "cannot look up maintenance windows");
                None
            }
        }
    }

    /// Forgets the last answer: windows were changed through this process.
    pub fn forget(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Looked>> {
        // A panic elsewhere while holding it cannot leave the cached answer half-written.
        self.last
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether the request is a write the window closes: any method that can change something,
/// on the API, but signing in and out.
fn closes(method: &Method, path: &str) -> bool {
    let writes = !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    let Some(operation) = path.strip_prefix(API_PREFIX) else {
        return false;
    };
    writes && operation.starts_with('/') && !OPEN_PATHS.contains(&operation)
}

/// Who makes a write, as far as the window cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    /// An administrator acting as one: the window does not close the door on them.
    Administrator,
    /// Anyone else signed in.
    User,
    /// No valid credentials: the handler's 401 is the answer (for all but registration).
    Anonymous,
}

/// The caller, by the same credentials the handlers accept (bearer first, then the session
/// cookie).
async fn caller(state: &AppState, request: &Request) -> Caller {
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let mut principal = match bearer {
        Some(token) => crate::auth::principal_of_bearer(state, token).await.ok(),
        None => None,
    };
    if principal.is_none()
        && let Some(token) = request
            .cookie()
            .get(ACCESS_COOKIE)
            .map(|cookie| cookie.value_str().to_owned())
    {
        principal = crate::auth::principal_from_access_token(state, &token)
            .await
            .ok();
    }
    match principal {
        Some(principal) if principal.is_admin() => Caller::Administrator,
        Some(_) => Caller::User,
        None => Caller::Anonymous,
    }
}

/// Whether the window refuses this caller's write to `path`: a signed-in user's, and a
/// registration. Without credentials anywhere else the handler answers 401 as always: who
/// has not proved who they are learns that first.
fn refused(caller: Caller, path: &str) -> bool {
    match caller {
        Caller::Administrator => false,
        Caller::User => true,
        Caller::Anonymous => path.strip_prefix(API_PREFIX) == Some(REGISTER_PATH),
    }
}

/// Middleware: refuses the writes a blocking window closes, unless an administrator makes
/// them.
pub async fn blocks_writes<E: Endpoint>(
    endpoint: Arc<E>,
    request: Request,
) -> poem::Result<Response> {
    if closes(request.method(), request.uri().path())
        && let Some(state) = request.data::<AppState>()
        && let Some(window) = state.maintenance.blocking(&state.store).await
        && refused(caller(state, &request).await, request.uri().path())
    {
        let left = (window.end - Utc::now()).to_std().unwrap_or_default();
        return Ok(ApiError::Maintenance {
            message: window.message,
            retry_after: left,
        }
        .into_response());
    }
    endpoint
        .call(request)
        .await
        .map(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_api_write_but_signing_in_and_out_is_closed() {
        for (method, path, closed) in [
            (Method::POST, "/api/v1/tenants", true),
            (Method::PATCH, "/api/v1/tenants/acme", true),
            (Method::DELETE, "/api/v1/tenants/acme", true),
            (Method::PUT, "/api/v1/auth/password", true),
            (Method::POST, "/api/v1/auth/register", true),
            (Method::POST, "/api/v1/apply", true),
            (Method::POST, "/api/v1/auth/login", false),
            (Method::POST, "/api/v1/auth/refresh", false),
            (Method::POST, "/api/v1/auth/logout", false),
            (Method::GET, "/api/v1/tenants", false),
            (Method::HEAD, "/api/v1/tenants", false),
            (Method::OPTIONS, "/api/v1/tenants", false),
            (Method::POST, "/index.html", false),
            (Method::POST, "/api/v1x/tenants", false),
        ] {
            assert_eq!(closes(&method, path), closed, "{method} {path}");
        }
    }

    #[test]
    fn only_an_administrator_passes_and_the_anonymous_meet_their_401_first() {
        assert!(!refused(Caller::Administrator, "/api/v1/tenants"));
        assert!(refused(Caller::User, "/api/v1/tenants"));
        assert!(refused(Caller::User, "/api/v1/auth/register"));
        assert!(!refused(Caller::Anonymous, "/api/v1/tenants"));
        assert!(refused(Caller::Anonymous, "/api/v1/auth/register"));
    }
}
