//! `/auth`: registration, login, refresh-token rotation, logout, profile, password and
//! personal access tokens.

use std::net::IpAddr;

use chrono::Utc;
use poem::Request;
use poem::web::Data;
use poem::web::cookie::CookieJar;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use swarmpress_schema::parsed::EmailAddress;
use swarmpress_schema::resource::{AccessToken, Role, TokenScope, User};
use swarmpress_schema::store::{NewUser, RefreshRotation, StoreError};
use uuid::Uuid;

use crate::auth::cookies::{
    ACCESS_COOKIE, REFRESH_COOKIE, check_csrf, clear_session_cookies, client_address,
    set_session_cookies,
};
use crate::auth::{Auth, Credential, Principal};
use crate::body::JsonBody;
use crate::declared::{CONFLICT, FORBIDDEN, INVALID, NOT_FOUND, Outcome, THROTTLED, UNAUTHORIZED};
use crate::error::{ApiError, ApiResult, FieldError};
use crate::passwords::check_new_password;
use crate::routes::ApiTags;
use crate::state::AppState;
use crate::tokens::{REFRESH_TTL, TokenType, new_personal_access_token, sha256_hex};

/// Longest display name accepted.
const MAX_NAME_CHARS: usize = 100;
/// Personal access tokens may live at most this long (and forever when no expiry is asked).
const MAX_TOKEN_DAYS: u32 = 3650;
const DEFAULT_TOKEN_DAYS: u32 = 90;

#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[oai(rename_all = "camelCase")]
pub struct RegisterRequest {
    pub email: String,
    /// At least 12 characters.
    #[oai(write_only)]
    pub password: String,
    #[serde(default)]
    pub name: Option<String>,
}

#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[oai(rename_all = "camelCase")]
pub struct LoginRequest {
    pub email: String,
    #[oai(write_only)]
    pub password: String,
}

#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[oai(rename_all = "camelCase")]
pub struct ProfileUpdate {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    /// Required to change the e-mail (the account's login and where a reset would go).
    #[serde(default)]
    #[oai(write_only)]
    pub current_password: Option<String>,
}

#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[oai(rename_all = "camelCase")]
pub struct PasswordChange {
    #[oai(write_only)]
    pub current_password: String,
    /// At least 12 characters.
    #[oai(write_only)]
    pub new_password: String,
}

#[derive(Debug, Deserialize, Object)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[oai(rename_all = "camelCase")]
pub struct TokenRequest {
    /// What the token is for, e.g. "laptop CLI".
    pub name: String,
    /// Lifetime in days (1 to 3650); 90 when absent. A token that never expires is a
    /// credential nobody remembers to revoke.
    #[serde(default)]
    pub expires_in_days: Option<u32>,
    /// What the token may do: `read`, `write` (the default) or `admin` (administrators only).
    #[serde(default)]
    pub scope: Option<TokenScope>,
    /// The account's password: a stolen session cannot mint itself a lasting credential.
    #[oai(write_only)]
    pub current_password: String,
}

/// A new personal access token. `token` is shown this once; only its hash is kept.
#[derive(Debug, Object)]
#[oai(rename_all = "camelCase")]
pub struct CreatedToken {
    #[oai(flatten)]
    pub metadata: AccessToken,
    pub token: String,
}

#[derive(ApiResponse)]
pub enum RegisterResponse {
    /// Registered and logged in: the auth cookies are set.
    #[oai(status = 201)]
    Created(Json<User>),
}

#[derive(ApiResponse)]
pub enum LoginResponse {
    /// Logged in: the auth cookies are set.
    #[oai(status = 200)]
    Ok(Json<User>),
}

#[derive(ApiResponse)]
pub enum NoContentResponse {
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
pub enum UserResponse {
    #[oai(status = 200)]
    Ok(Json<User>),
}

#[derive(ApiResponse)]
pub enum TokenListResponse {
    #[oai(status = 200)]
    Ok(Json<Vec<AccessToken>>),
}

#[derive(ApiResponse)]
pub enum TokenCreatedResponse {
    #[oai(status = 201)]
    Created(Json<CreatedToken>),
}

/// The address, or `None` with its complaint added to `errors`.
fn parse_email(field: &str, raw: &str, errors: &mut Vec<FieldError>) -> Option<EmailAddress> {
    EmailAddress::parse(raw)
        .map_err(|error| errors.push(FieldError::new(field, error.to_string())))
        .ok()
}

fn check_name(field: &str, name: &str, errors: &mut Vec<FieldError>) {
    if name.chars().count() > MAX_NAME_CHARS || name.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("must be at most {MAX_NAME_CHARS} printable characters"),
        ));
    }
}

fn fail_if_any(errors: Vec<FieldError>) -> ApiResult<()> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation { errors })
    }
}

fn refresh_expiry() -> ApiResult<chrono::DateTime<Utc>> {
    Ok(Utc::now() + chrono::Duration::from_std(REFRESH_TTL).map_err(ApiError::internal)?)
}

/// The throttle's limits again, counted in the store so that they hold across API replicas
/// (each process's own throttle alone would let a guesser multiply them by the replicas):
/// the account from this client (the lockout a guesser meets), then the account from
/// everywhere. Taken before the password is checked, like the in-process slots.
async fn take_shared_attempt(
    state: &AppState,
    account: &str,
    address: Option<IpAddr>,
) -> ApiResult<()> {
    let limits = state.throttle.limits();
    let keys = [
        (
            shared_pair_key(account, address),
            limits.window,
            limits.per_account_client,
        ),
        (
            sha256_hex(account),
            limits.account_window,
            limits.per_account,
        ),
    ];
    for (key, window, limit) in keys {
        let limit = u32::try_from(limit).unwrap_or(u32::MAX);
        if let Err(retry_after) = state.store.take_login_attempt(&key, window, limit).await? {
            tracing::warn!(?address, "login throttled across API replicas");
            return Err(ApiError::RateLimited { retry_after });
        }
    }
    Ok(())
}

/// The right password was given: both shared slots go back.
async fn give_back_shared_attempt(
    state: &AppState,
    account: &str,
    address: Option<IpAddr>,
) -> ApiResult<()> {
    for key in [shared_pair_key(account, address), sha256_hex(account)] {
        state.store.give_back_login_attempt(&key).await?;
    }
    Ok(())
}

/// A hash of account and client (a newline cannot be part of a valid e-mail, so no pair
/// can collide with an account alone or with another pair).
fn shared_pair_key(account: &str, address: Option<IpAddr>) -> String {
    let client = address.map_or_else(|| "unknown".to_owned(), |address| address.to_string());
    sha256_hex(&format!("{account}\n{client}"))
}

/// Checks that `password` is the caller's, under the login throttle (this also answers "is
/// this the password?"). A wrong one is a 422 naming `field` and stays a failed attempt.
async fn confirm_password(
    state: &AppState,
    request: &Request,
    principal: &Principal,
    password: String,
    field: &str,
) -> ApiResult<()> {
    let password = SecretString::from(password);
    let account = principal.user.email.clone();
    let address = client_address(request, &state.config);
    if let Err(retry_after) = state.throttle.begin(&account, address) {
        return Err(ApiError::RateLimited { retry_after });
    }
    take_shared_attempt(state, &account, address).await?;
    let credentials = state.store.get_user_credentials(principal.id()).await?;
    if !state
        .passwords
        .verify(&password, Some(&credentials.password_hash))
        .await?
    {
        return Err(ApiError::validation(field, "is not the current password"));
    }
    state.throttle.succeeded(&account, address);
    give_back_shared_attempt(state, &account, address).await?;
    Ok(())
}

/// Starts a login session: a new refresh family, an access and a refresh token, both cookies.
async fn start_session(state: &AppState, jar: &CookieJar, user: &User) -> ApiResult<Uuid> {
    let jti = Uuid::new_v4();
    let family = state
        .store
        .create_refresh_family(user.id, &jti.to_string(), refresh_expiry()?)
        .await?;
    let refresh = state.jwt.issue(user.id, family, TokenType::Refresh, jti)?;
    let access = state
        .jwt
        .issue(user.id, family, TokenType::Access, Uuid::new_v4())?;
    set_session_cookies(jar, &state.config, &access.token, &refresh.token);
    Ok(family)
}

pub struct AuthApi;

#[OpenApi(prefix_path = "/auth", tag = "ApiTags::Auth")]
impl AuthApi {
    /// Creates an account on the default plan and logs it in.
    #[oai(path = "/register", method = "post", operation_id = "register")]
    async fn register(
        &self,
        state: Data<&AppState>,
        request: &Request,
        jar: &CookieJar,
        body: JsonBody<RegisterRequest>,
    ) -> Outcome<RegisterResponse, { INVALID | CONFLICT | THROTTLED }> {
        let address = client_address(request, &state.config);
        let request = body.0;
        let name = request.name.unwrap_or_default().trim().to_owned();
        let mut errors = Vec::new();
        let email = parse_email("email", &request.email, &mut errors);
        if let Err(message) = check_new_password(&request.password) {
            errors.push(FieldError::new("password", message));
        }
        check_name("name", &name, &mut errors);
        let (Some(email), true) = (email, errors.is_empty()) else {
            return Err(ApiError::Validation { errors }.into());
        };
        // Counted once the request is well-formed, before the password is hashed.
        if let Err(retry_after) = state.registrations.begin(address) {
            tracing::warn!(?address, "registration throttled");
            return Err(ApiError::RateLimited { retry_after }.into());
        }
        let password = SecretString::from(request.password);
        let password_hash = state.passwords.hash(&password).await?;
        let user = match state
            .store
            .create_user(NewUser {
                email: email.to_string(),
                name,
                password_hash,
                role: Role::User,
            })
            .await
        {
            Ok(user) => user,
            Err(StoreError::AlreadyExists) => {
                return Err(ApiError::Conflict(
                    "an account with this e-mail already exists".to_owned(),
                )
                .into());
            }
            Err(error) => return Err(error.into()),
        };
        start_session(&state, jar, &user).await?;
        tracing::info!(user = %user.id, "user registered");
        Ok(RegisterResponse::Created(Json(user)))
    }

    /// Logs in with e-mail and password. Repeated failures for an account or from an
    /// address are refused with 429 before any password is checked.
    #[oai(path = "/login", method = "post", operation_id = "login")]
    async fn login(
        &self,
        state: Data<&AppState>,
        request: &Request,
        jar: &CookieJar,
        body: JsonBody<LoginRequest>,
    ) -> Outcome<LoginResponse, { UNAUTHORIZED | FORBIDDEN | INVALID | THROTTLED }> {
        // Checked before the throttle remembers anything about it: no address that cannot
        // be an account's takes memory, however long.
        let email = EmailAddress::parse(&body.0.email)
            .map_err(|error| ApiError::validation("email", error.to_string()))?;
        let password = SecretString::from(body.0.password);
        let address = client_address(request, &state.config);
        if let Err(retry_after) = state.throttle.begin(email.as_str(), address) {
            tracing::warn!(?address, "login throttled");
            return Err(ApiError::RateLimited { retry_after }.into());
        }
        take_shared_attempt(&state, email.as_str(), address).await?;
        let credentials = state.store.find_user_by_email(email.as_str()).await?;
        // Verified even when the user is unknown (against a dummy hash): answering faster
        // for unknown e-mails would tell an attacker which accounts exist.
        let matched = state
            .passwords
            .verify(
                &password,
                credentials.as_ref().map(|c| c.password_hash.as_str()),
            )
            .await?;
        let user = match credentials {
            Some(credentials) if matched => credentials.user,
            // The slot taken above stays a failure.
            _ => {
                return Err(ApiError::Unauthorized("wrong e-mail or password".to_owned()).into());
            }
        };
        state.throttle.succeeded(email.as_str(), address);
        give_back_shared_attempt(&state, email.as_str(), address).await?;
        // Said only to who knows the password: it tells nothing an attacker can use.
        if user.disabled_at.is_some() {
            tracing::info!(user = %user.id, "login refused: the account is disabled");
            return Err(ApiError::Forbidden(
                "this account is disabled; ask an administrator".to_owned(),
            )
            .into());
        }
        start_session(&state, jar, &user).await?;
        tracing::info!(user = %user.id, "logged in");
        Ok(LoginResponse::Ok(Json(user)))
    }

    /// Exchanges the refresh cookie for new access and refresh cookies. A refresh token
    /// used twice means it was stolen: its whole session is revoked.
    #[oai(path = "/refresh", method = "post", operation_id = "refresh")]
    async fn refresh(
        &self,
        state: Data<&AppState>,
        request: &Request,
        jar: &CookieJar,
    ) -> Outcome<LoginResponse, { UNAUTHORIZED | FORBIDDEN }> {
        check_csrf(request)?;
        let unauthorized = || ApiError::Unauthorized("invalid or expired refresh token".to_owned());
        let token = jar
            .get(REFRESH_COOKIE)
            .map(|cookie| cookie.value_str().to_owned())
            .ok_or_else(unauthorized)?;
        let claims = state
            .jwt
            .verify(&token, TokenType::Refresh)
            .ok_or_else(unauthorized)?;
        let next = state
            .jwt
            .issue(claims.sub, claims.sid, TokenType::Refresh, Uuid::new_v4())?;
        let rotation = state
            .store
            .rotate_refresh_family(
                claims.sid,
                &claims.jti.to_string(),
                &next.claims.jti.to_string(),
                refresh_expiry()?,
            )
            .await?;
        match rotation {
            RefreshRotation::Rotated { .. } => {}
            RefreshRotation::Reused { user_id } => {
                state.credentials.forget_session(claims.sid);
                tracing::warn!(user = %user_id, session = %claims.sid,
                    "refresh token reused; session revoked");
                clear_session_cookies(jar, &state.config);
                return Err(unauthorized().into());
            }
            RefreshRotation::Invalid => {
                clear_session_cookies(jar, &state.config);
                return Err(unauthorized().into());
            }
        }
        let user = match state.store.get_user(claims.sub).await {
            Ok(user) if user.disabled_at.is_none() => user,
            // Disabling revoked the session too; this covers a refresh racing it.
            Ok(_) | Err(StoreError::NotFound) => {
                clear_session_cookies(jar, &state.config);
                return Err(unauthorized().into());
            }
            Err(error) => return Err(error.into()),
        };
        let access = state
            .jwt
            .issue(user.id, claims.sid, TokenType::Access, Uuid::new_v4())?;
        set_session_cookies(jar, &state.config, &access.token, &next.token);
        Ok(LoginResponse::Ok(Json(user)))
    }

    /// Revokes the current session (its refresh family) and clears the cookies. Works with
    /// an expired access cookie, as long as either cookie names the session.
    #[oai(path = "/logout", method = "post", operation_id = "logout")]
    async fn logout(
        &self,
        state: Data<&AppState>,
        request: &Request,
        jar: &CookieJar,
    ) -> Outcome<NoContentResponse, { FORBIDDEN }> {
        check_csrf(request)?;
        let session = jar
            .get(REFRESH_COOKIE)
            .and_then(|c| state.jwt.verify(c.value_str(), TokenType::Refresh))
            .or_else(|| {
                jar.get(ACCESS_COOKIE)
                    .and_then(|c| state.jwt.verify(c.value_str(), TokenType::Access))
            });
        if let Some(claims) = session {
            state.store.revoke_refresh_family(claims.sid).await?;
            state.credentials.forget_session(claims.sid);
        }
        clear_session_cookies(jar, &state.config);
        Ok(NoContentResponse::NoContent)
    }

    /// The caller's profile.
    #[oai(path = "/profile", method = "get", operation_id = "getProfile")]
    async fn profile(&self, auth: Auth) -> Outcome<UserResponse> {
        Ok(UserResponse::Ok(Json(auth.principal().user.clone())))
    }

    /// Changes the caller's name or e-mail.
    #[oai(path = "/profile", method = "patch", operation_id = "updateProfile")]
    async fn update_profile(
        &self,
        state: Data<&AppState>,
        request: &Request,
        auth: Auth,
        body: JsonBody<ProfileUpdate>,
    ) -> Outcome<UserResponse, { INVALID | CONFLICT | THROTTLED }> {
        let principal = auth.principal();
        let name = body.0.name.as_deref().map(|n| n.trim().to_owned());
        let mut errors = Vec::new();
        let email = match body.0.email.as_deref() {
            Some(raw) => parse_email("email", raw, &mut errors),
            None => None,
        };
        if let Some(name) = &name {
            check_name("name", name, &mut errors);
        }
        fail_if_any(errors)?;
        let email = email.map(|email| email.to_string());
        if email
            .as_ref()
            .is_some_and(|email| *email != principal.user.email)
        {
            let Some(password) = body.0.current_password else {
                return Err(ApiError::validation(
                    "currentPassword",
                    "is required to change the e-mail",
                )
                .into());
            };
            confirm_password(&state, request, principal, password, "currentPassword").await?;
        }
        match state.store.update_user(principal.id(), name, email).await {
            Ok(user) => {
                state.credentials.forget_user(principal.id());
                Ok(UserResponse::Ok(Json(user)))
            }
            Err(StoreError::AlreadyExists) => Err(ApiError::Conflict(
                "an account with this e-mail already exists".to_owned(),
            )
            .into()),
            Err(error) => Err(error.into()),
        }
    }

    /// Changes the password. Every other login session and every personal access token is
    /// revoked (a stolen token must not outlive the password change meant to shut it out). A
    /// cookie session gets fresh cookies.
    #[oai(path = "/password", method = "put", operation_id = "changePassword")]
    async fn change_password(
        &self,
        state: Data<&AppState>,
        request: &Request,
        jar: &CookieJar,
        auth: Auth,
        body: JsonBody<PasswordChange>,
    ) -> Outcome<NoContentResponse, { INVALID | THROTTLED }> {
        let principal = auth.principal();
        if let Err(message) = check_new_password(&body.0.new_password) {
            return Err(ApiError::validation("newPassword", message).into());
        }
        let current = body.0.current_password;
        let new = SecretString::from(body.0.new_password);
        confirm_password(
            &state,
            request,
            principal,
            current.clone(),
            "currentPassword",
        )
        .await?;
        if current == new.expose_secret() {
            return Err(ApiError::validation(
                "newPassword",
                "must differ from the current password",
            )
            .into());
        }
        let hash = state.passwords.hash(&new).await?;
        // Every session goes, the caller's included, and access tokens issued before now stop
        // working; then a cookie caller gets a new session, whose tokens postdate the change.
        let user = state
            .store
            .set_password(principal.id(), &hash, None)
            .await?;
        state.credentials.forget_user(principal.id());
        if let Credential::Session { .. } = principal.credential {
            start_session(&state, jar, &user).await?;
        }
        tracing::info!(
            user = %principal.id(),
            "password changed; other sessions and every access token revoked"
        );
        Ok(NoContentResponse::NoContent)
    }

    /// The caller's personal access tokens (metadata only).
    #[oai(path = "/tokens", method = "get", operation_id = "listTokens")]
    async fn list_tokens(&self, state: Data<&AppState>, auth: Auth) -> Outcome<TokenListResponse> {
        let tokens = state
            .store
            .list_access_tokens(auth.principal().id())
            .await?;
        Ok(TokenListResponse::Ok(Json(tokens)))
    }

    /// Creates a personal access token for the CLI. The secret is in this response only.
    #[oai(path = "/tokens", method = "post", operation_id = "createToken")]
    async fn create_token(
        &self,
        state: Data<&AppState>,
        http: &Request,
        auth: Auth,
        body: JsonBody<TokenRequest>,
    ) -> Outcome<TokenCreatedResponse, { INVALID | THROTTLED }> {
        let request = body.0;
        let principal = auth.principal();
        let scope = request.scope.unwrap_or(TokenScope::Write);
        let name = request.name.trim().to_owned();
        let mut errors = Vec::new();
        if name.is_empty() {
            errors.push(FieldError::new("name", "must not be blank"));
        }
        check_name("name", &name, &mut errors);
        if let Some(days) = request.expires_in_days
            && !(1..=MAX_TOKEN_DAYS).contains(&days)
        {
            errors.push(FieldError::new(
                "expiresInDays",
                format!("must be between 1 and {MAX_TOKEN_DAYS}"),
            ));
        }
        if scope == TokenScope::Admin && !principal.is_admin() {
            errors.push(FieldError::new(
                "scope",
                "admin tokens are for administrators (signed in with their password)",
            ));
        }
        fail_if_any(errors)?;
        confirm_password(
            &state,
            http,
            principal,
            request.current_password,
            "currentPassword",
        )
        .await?;
        let secret = new_personal_access_token()?;
        let token = secret.expose_secret();
        // `spat_` and four characters: enough to tell tokens apart, far too little to guess.
        let prefix: String = token.chars().take(9).collect();
        let days = request.expires_in_days.unwrap_or(DEFAULT_TOKEN_DAYS);
        let expires_at = Some(Utc::now() + chrono::Duration::days(i64::from(days)));
        let metadata = state
            .store
            .create_access_token(
                auth.principal().id(),
                &name,
                &sha256_hex(token),
                &prefix,
                expires_at,
                scope,
            )
            .await?;
        tracing::info!(user = %auth.principal().id(), token = %metadata.id, "access token created");
        Ok(TokenCreatedResponse::Created(Json(CreatedToken {
            metadata,
            token: token.to_owned(),
        })))
    }

    /// Revokes one of the caller's personal access tokens.
    #[oai(path = "/tokens/:id", method = "delete", operation_id = "deleteToken")]
    async fn delete_token(
        &self,
        state: Data<&AppState>,
        auth: Auth,
        id: Path<Uuid>,
    ) -> Outcome<NoContentResponse, { NOT_FOUND }> {
        match state
            .store
            .delete_access_token(auth.principal().id(), id.0)
            .await
        {
            Ok(()) => {
                state.credentials.forget_token(id.0);
                Ok(NoContentResponse::NoContent)
            }
            Err(StoreError::NotFound) => Err(ApiError::NotFound("no such token".to_owned()).into()),
            Err(error) => Err(error.into()),
        }
    }
}
