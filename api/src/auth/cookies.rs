//! The two auth cookies and the CSRF rule that comes with cookie authentication.

use std::net::IpAddr;
use std::time::Duration;

use poem::Request;
use poem::http::Method;
use poem::web::cookie::{Cookie, CookieJar, SameSite};

use crate::config::Config;
use crate::error::ApiError;
use crate::tokens::{ACCESS_TTL, REFRESH_TTL};

pub const ACCESS_COOKIE: &str = "access_token";
pub const REFRESH_COOKIE: &str = "refresh_token";
/// The access cookie goes with every API request; the refresh cookie only to the auth
/// endpoints, so it is exposed to as little code as possible.
pub const ACCESS_COOKIE_PATH: &str = "/api";
pub const REFRESH_COOKIE_PATH: &str = "/api/v1/auth";

pub const CSRF_HEADER: &str = "x-requested-with";
pub const CSRF_VALUE: &str = "swarmpress";

fn cookie(config: &Config, name: &str, value: &str, path: &str, max_age: Duration) -> Cookie {
    let mut cookie = Cookie::new_with_str(name, value);
    cookie.set_path(path);
    cookie.set_http_only(true);
    cookie.set_secure(config.secure_cookies);
    cookie.set_same_site(SameSite::Strict);
    cookie.set_max_age(max_age);
    cookie
}

pub fn set_session_cookies(jar: &CookieJar, config: &Config, access: &str, refresh: &str) {
    jar.add(cookie(
        config,
        ACCESS_COOKIE,
        access,
        ACCESS_COOKIE_PATH,
        ACCESS_TTL,
    ));
    jar.add(cookie(
        config,
        REFRESH_COOKIE,
        refresh,
        REFRESH_COOKIE_PATH,
        REFRESH_TTL,
    ));
}

/// Expires both cookies (same name and path, empty value, `Max-Age=0`).
pub fn clear_session_cookies(jar: &CookieJar, config: &Config) {
    jar.add(cookie(
        config,
        ACCESS_COOKIE,
        "",
        ACCESS_COOKIE_PATH,
        Duration::ZERO,
    ));
    jar.add(cookie(
        config,
        REFRESH_COOKIE,
        "",
        REFRESH_COOKIE_PATH,
        Duration::ZERO,
    ));
}

/// Cookies ride along with cross-site requests; a custom header does not (a cross-site page
/// cannot set it without a CORS preflight, which the API never grants). So a write
/// authenticated by cookie must carry it. Bearer tokens are never sent implicitly and need
/// no such proof.
pub fn check_csrf(request: &Request) -> Result<(), ApiError> {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if safe || request.header(CSRF_HEADER) == Some(CSRF_VALUE) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "cookie-authenticated writes must send the header X-Requested-With: {CSRF_VALUE}"
        )))
    }
}

/// The client's address for throttling: the last `X-Forwarded-For` entry (the one the edge
/// proxy appended, which a client cannot forge) when configured to trust it, else the peer.
pub fn client_address(request: &Request, config: &Config) -> Option<IpAddr> {
    if config.trust_forwarded_for
        && let Some(address) = request
            .header("x-forwarded-for")
            .and_then(|value| value.rsplit(',').next())
            .and_then(|last| last.trim().parse().ok())
    {
        return Some(address);
    }
    request
        .remote_addr()
        .as_socket_addr()
        .map(|address| address.ip())
}
