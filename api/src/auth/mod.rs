//! Who is calling: access-token cookies (the portal) and bearer tokens (the CLI: personal
//! access tokens, or an access JWT), as typed poem-openapi security schemes.

pub mod cache;
pub mod cookies;

use poem::http::{Method, header};
use poem::{Endpoint, IntoResponse, Request, Response};
use poem_openapi::SecurityScheme;
use poem_openapi::auth::{ApiKey, Bearer};
use swarmpress_schema::resource::{Role, TokenScope, User};
use swarmpress_schema::store::StoreError;
use uuid::Uuid;

use self::cache::CredentialKey;
use crate::error::ApiError;
use crate::state::AppState;
use crate::tokens::{PAT_PREFIX, TokenType, sha256_hex};

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An access JWT of the login session (refresh family) `session`.
    Session { session: Uuid },
    /// The personal access token `id`.
    PersonalAccessToken { id: Uuid },
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: User,
    pub credential: Credential,
    /// A personal access token's scope; `None` for a login session (everything the user may).
    pub scope: Option<TokenScope>,
}

impl Principal {
    /// An administrator acting as one: through a login session or an `admin`-scoped token.
    /// An administrator's `read` or `write` token acts as an ordinary user.
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin && self.scope.is_none_or(|scope| scope == TokenScope::Admin)
    }

    pub fn id(&self) -> Uuid {
        self.user.id
    }

    /// Admins may act on anything; others only on what they own.
    pub fn can_access(&self, owner: Uuid) -> bool {
        self.is_admin() || self.user.id == owner
    }

    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::Forbidden("administrators only".to_owned()))
        }
    }
}

fn state(request: &Request) -> Result<&AppState, ApiError> {
    request
        .data::<AppState>()
        .ok_or_else(|| ApiError::internal("application state missing from the request"))
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized("invalid or expired credentials".to_owned())
}

/// Checks an access JWT: signature, `exp`, `aud`, `typ`; then that its user still exists,
/// that its session (refresh family) is not revoked, and that it was issued after the last
/// password change.
pub(crate) async fn principal_from_access_token(
    state: &AppState,
    token: &str,
) -> Result<Principal, ApiError> {
    let claims = state
        .jwt
        .verify(token, TokenType::Access)
        .ok_or_else(unauthorized)?;
    let key = CredentialKey::Session(claims.sid);
    let principal = match state.credentials.get(&key) {
        Some(principal) => principal,
        None => {
            let user = match state.store.get_user(claims.sub).await {
                Ok(user) => user,
                Err(StoreError::NotFound) => return Err(unauthorized()),
                Err(error) => return Err(error.into()),
            };
            if !state.store.refresh_family_active(claims.sid).await? {
                return Err(unauthorized());
            }
            let principal = Principal {
                user,
                credential: Credential::Session {
                    session: claims.sid,
                },
                scope: None,
            };
            state.credentials.insert(key, principal.clone());
            principal
        }
    };
    // Checked on every request, cached or not: the session is the user's, the token
    // postdates the user's last password change, and the account is enabled.
    if principal.user.id != claims.sub
        || i64::try_from(claims.iat).unwrap_or(i64::MAX)
            < principal.user.password_changed_at.timestamp()
        || principal.user.disabled_at.is_some()
    {
        return Err(unauthorized());
    }
    Ok(principal)
}

async fn principal_from_personal_access_token(
    state: &AppState,
    token: &str,
) -> Result<Principal, ApiError> {
    let hash = sha256_hex(token);
    let key = CredentialKey::TokenHash(hash.clone());
    if let Some(principal) = state.credentials.get(&key) {
        return enabled(principal);
    }
    let (user, token) = state
        .store
        .authenticate_access_token(&hash)
        .await?
        .ok_or_else(unauthorized)?;
    let principal = Principal {
        user,
        credential: Credential::PersonalAccessToken { id: token.id },
        scope: Some(token.scope),
    };
    state.credentials.insert(key, principal.clone());
    enabled(principal)
}

/// A disabled account's tokens are refused (and work again once it is enabled).
fn enabled(principal: Principal) -> Result<Principal, ApiError> {
    if principal.user.disabled_at.is_some() {
        return Err(unauthorized());
    }
    Ok(principal)
}

/// What a user whose password an administrator reset may still do: read their profile,
/// choose a new password, and sign out.
const WHILE_PASSWORD_MUST_CHANGE: [(Method, &str); 3] = [
    (Method::GET, "/auth/profile"),
    (Method::PUT, "/auth/password"),
    (Method::POST, "/auth/logout"),
];

/// Refuses everything else to a user who must choose a new password first.
fn require_current_password(request: &Request, principal: &Principal) -> Result<(), ApiError> {
    if !principal.user.must_change_password {
        return Ok(());
    }
    // The original URI: where the API is nested, `uri()` has the prefix taken off.
    let operation = request
        .original_uri()
        .path()
        .strip_prefix(crate::server::API_PREFIX)
        .unwrap_or_default();
    if WHILE_PASSWORD_MUST_CHANGE
        .iter()
        .any(|(method, path)| request.method() == method && operation == *path)
    {
        return Ok(());
    }
    Err(ApiError::Forbidden(
        "an administrator reset your password: choose a new one first (PUT /auth/password)"
            .to_owned(),
    ))
}

/// Middleware: a read-scoped token reads. Any method that can change something is refused
/// (403) whatever the handler — one rule here rather than a check per handler to forget.
/// Outside the security schemes because a scheme's error would be hidden behind the cookie
/// scheme's 401 when both fail.
pub async fn read_only_tokens<E: Endpoint>(
    endpoint: std::sync::Arc<E>,
    request: Request,
) -> poem::Result<Response> {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|token| token.starts_with(PAT_PREFIX))
        .map(str::to_owned);
    if writes
        && let Some(token) = token
        && let Ok(state) = state(&request)
        // An unknown token is the handler's 401 to give.
        && let Ok(principal) = principal_from_personal_access_token(state, &token).await
        && principal.scope == Some(TokenScope::Read)
    {
        return Ok(ApiError::Forbidden(
            "this personal access token may only read (scope read)".to_owned(),
        )
        .into_response());
    }
    endpoint
        .call(request)
        .await
        .map(IntoResponse::into_response)
}

/// The caller a bearer token names: a personal access token, or else an access JWT.
pub(crate) async fn principal_of_bearer(
    state: &AppState,
    token: &str,
) -> Result<Principal, ApiError> {
    if token.starts_with(PAT_PREFIX) {
        principal_from_personal_access_token(state, token).await
    } else {
        principal_from_access_token(state, token).await
    }
}

async fn check_bearer(request: &Request, bearer: Bearer) -> poem::Result<Principal> {
    let state = state(request)?;
    let principal = principal_of_bearer(state, &bearer.token).await?;
    // A read-scoped token reads: any method that can change something is refused whatever
    // the handler (one rule here rather than one check per handler to forget).
    if principal.scope == Some(TokenScope::Read)
        && !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        )
    {
        return Err(ApiError::Forbidden(
            "this personal access token may only read (scope read)".to_owned(),
        )
        .into());
    }
    require_current_password(request, &principal)?;
    Ok(principal)
}

async fn check_cookie(request: &Request, cookie: ApiKey) -> poem::Result<Principal> {
    let state = state(request)?;
    let principal = principal_from_access_token(state, &cookie.key).await?;
    cookies::check_csrf(request)?;
    require_current_password(request, &principal)?;
    Ok(principal)
}

/// `Authorization: Bearer <personal access token or access JWT>`.
#[derive(SecurityScheme)]
#[oai(
    ty = "bearer",
    bearer_format = "spat_… personal access token, or an access JWT",
    checker = "check_bearer"
)]
pub struct BearerAuth(Principal);

/// The `__Host-access_token` cookie set by login. Writes must also send `X-Requested-With:
/// swarmpress`.
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "__Host-access_token",
    key_in = "cookie",
    checker = "check_cookie"
)]
pub struct CookieAuth(Principal);

/// Either scheme. Bearer is tried first; the cookie's error (missing, expired, CSRF) is the
/// one reported when both fail, since browsers only ever use the cookie.
#[derive(SecurityScheme)]
pub enum Auth {
    Bearer(BearerAuth),
    Cookie(CookieAuth),
}

impl Auth {
    pub fn principal(&self) -> &Principal {
        match self {
            Self::Bearer(BearerAuth(principal)) | Self::Cookie(CookieAuth(principal)) => principal,
        }
    }
}
