//! The two auth cookies and the CSRF rule that comes with cookie authentication.

use std::net::IpAddr;
use std::time::Duration;

use ipnet::IpNet;
use poem::Request;
use poem::http::Method;
use poem::web::cookie::{Cookie, CookieJar, SameSite};

use crate::config::Config;
use crate::error::ApiError;
use crate::tokens::{ACCESS_TTL, REFRESH_TTL};

/// `__Host-` names: a browser keeps such a cookie only if it is `Secure`, host-only (no
/// `Domain`) and `Path=/`. That is what stops a tenant site on a sibling host
/// (`evil.<base domain>`) from planting a session cookie of its choosing for the portal's
/// host (cookie tossing, then session fixation); a path scope would not, since a path is no
/// boundary within one origin and the cookies are `HttpOnly` anyway.
pub const ACCESS_COOKIE: &str = "__Host-access_token";
pub const REFRESH_COOKIE: &str = "__Host-refresh_token";
const COOKIE_PATH: &str = "/";

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
        COOKIE_PATH,
        ACCESS_TTL,
    ));
    jar.add(cookie(
        config,
        REFRESH_COOKIE,
        refresh,
        COOKIE_PATH,
        REFRESH_TTL,
    ));
}

/// Expires both cookies (same name and path, empty value, `Max-Age=0`).
pub fn clear_session_cookies(jar: &CookieJar, config: &Config) {
    jar.add(cookie(
        config,
        ACCESS_COOKIE,
        "",
        COOKIE_PATH,
        Duration::ZERO,
    ));
    jar.add(cookie(
        config,
        REFRESH_COOKIE,
        "",
        COOKIE_PATH,
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

/// The client's address for throttling and audit: the peer, unless the peer is a trusted
/// proxy — then the `X-Forwarded-For` entries are read from the right (each proxy appends the
/// address it was reached from), past any that are trusted proxies too, to the first that is
/// not. Entries left of it are whatever the client wrote and are never read.
pub fn client_address(request: &Request, config: &Config) -> Option<IpAddr> {
    let peer = request
        .remote_addr()
        .as_socket_addr()
        .map(|address| address.ip())?;
    Some(forwarded_client(
        peer,
        request.header("x-forwarded-for"),
        &config.trusted_proxies,
    ))
}

fn forwarded_client(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |address: &IpAddr| trusted.iter().any(|net| net.contains(address));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for entry in forwarded_for.unwrap_or_default().rsplit(',') {
        let Ok(address) = entry.trim().parse::<IpAddr>() else {
            // Garbage where an address should be: stop at the last good one.
            break;
        };
        client = address;
        if !is_trusted(&address) {
            break;
        }
    }
    client
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn edge() -> Vec<IpNet> {
        vec!["10.213.0.0/24".parse().unwrap()]
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        // A site (or anyone) reaching the API directly cannot pick its throttle key.
        let client = forwarded_client(ip("172.18.0.9"), Some("1.2.3.4"), &edge());
        assert_eq!(client, ip("172.18.0.9"));
        assert_eq!(
            forwarded_client(ip("10.213.0.4"), Some("1.2.3.4"), &[]),
            ip("10.213.0.4")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_it_was_reached_from() {
        let trusted = edge();
        // The client wrote its own X-Forwarded-For; the edge appended the real address.
        let client = forwarded_client(ip("10.213.0.4"), Some("6.6.6.6, 203.0.113.7"), &trusted);
        assert_eq!(client, ip("203.0.113.7"));
        // Proxies in a chain are skipped while they are trusted.
        let client = forwarded_client(
            ip("10.213.0.4"),
            Some("6.6.6.6, 203.0.113.7, 10.213.0.9"),
            &trusted,
        );
        assert_eq!(client, ip("203.0.113.7"));
    }

    #[test]
    fn a_trusted_proxy_without_a_usable_header_is_the_client() {
        let trusted = edge();
        assert_eq!(
            forwarded_client(ip("10.213.0.4"), None, &trusted),
            ip("10.213.0.4")
        );
        assert_eq!(
            forwarded_client(ip("10.213.0.4"), Some("203.0.113.7, junk"), &trusted),
            ip("10.213.0.4")
        );
    }
}
