//! Credentials the API issues: signed JWTs (access and refresh), personal access tokens and
//! generated passwords.

use std::fmt;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::ApiError;

pub const AUDIENCE: &str = "swarmpress";
pub const ACCESS_TTL: Duration = Duration::from_secs(15 * 60);
pub const REFRESH_TTL: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// Personal access tokens start with this, so a leaked one is recognizable by secret scanners
/// and the API can tell them from JWTs without trying to decode.
pub const PAT_PREFIX: &str = "spat_";

const ALPHANUMERIC: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` characters of `[A-Za-z0-9]` from the OS's random source, uniformly drawn.
pub fn random_token(len: usize) -> Result<String, ApiError> {
    let mut out = String::with_capacity(len);
    let mut buffer = [0u8; 64];
    while out.len() < len {
        getrandom::getrandom(&mut buffer)
            .map_err(|error| ApiError::internal(format!("random source: {error}")))?;
        // 248 = 4 × 62: bytes at or above it are dropped so every character is equally likely.
        out.extend(
            buffer
                .iter()
                .filter(|&&byte| byte < 248)
                .map(|&byte| char::from(ALPHANUMERIC[usize::from(byte) % ALPHANUMERIC.len()]))
                .take(len - out.len()),
        );
    }
    Ok(out)
}

/// A new personal access token: `spat_` and 40 random characters (~238 bits).
pub fn new_personal_access_token() -> Result<SecretString, ApiError> {
    Ok(SecretString::from(format!(
        "{PAT_PREFIX}{}",
        random_token(40)?
    )))
}

/// Lowercase hex SHA-256: how tokens are stored, so a database leak yields no usable token.
/// A fast hash is enough here because the tokens are long and random, unlike passwords.
pub fn sha256_hex(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

/// The claims of both token kinds. `sid` is the refresh family (the login session); access
/// tokens carry it so revoking the family also ends its access tokens.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub aud: String,
    pub typ: TokenType,
    pub exp: u64,
    pub iat: u64,
    pub jti: Uuid,
    pub sid: Uuid,
}

/// Signs and checks JWTs with one HMAC key.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtKeys(<redacted>)")
    }
}

pub struct IssuedToken {
    pub token: String,
    pub claims: Claims,
}

fn now_seconds() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

impl JwtKeys {
    pub fn new(secret: &SecretString) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        // Only HS256 is accepted: a token naming any other algorithm (or "none") fails.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
        }
    }

    /// Signs a token of `typ` for `user` in login session `session`, with id `jti` (refresh
    /// families record the jti they expect next).
    pub fn issue(
        &self,
        user: Uuid,
        session: Uuid,
        typ: TokenType,
        jti: Uuid,
    ) -> Result<IssuedToken, ApiError> {
        let ttl = match typ {
            TokenType::Access => ACCESS_TTL,
            TokenType::Refresh => REFRESH_TTL,
        };
        let now = now_seconds();
        let claims = Claims {
            sub: user,
            aud: AUDIENCE.to_owned(),
            typ,
            exp: now + ttl.as_secs(),
            iat: now,
            jti,
            sid: session,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|error| ApiError::internal(format!("JWT encode: {error}")))?;
        Ok(IssuedToken { token, claims })
    }

    /// The claims of a valid, unexpired token of type `typ`; `None` for anything else.
    pub fn verify(&self, token: &str, typ: TokenType) -> Option<Claims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).ok()?;
        (data.claims.typ == typ).then_some(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> JwtKeys {
        JwtKeys::new(&SecretString::from(secret))
    }

    #[test]
    fn round_trips_and_checks_type_and_key() {
        let keys = keys("k".repeat(40).as_str());
        let user = Uuid::new_v4();
        let issued = keys
            .issue(user, Uuid::new_v4(), TokenType::Access, Uuid::new_v4())
            .unwrap();
        let claims = keys.verify(&issued.token, TokenType::Access).unwrap();
        assert_eq!(claims.sub, user);
        assert!(keys.verify(&issued.token, TokenType::Refresh).is_none());
        let other = self::keys("o".repeat(40).as_str());
        assert!(other.verify(&issued.token, TokenType::Access).is_none());
    }

    #[test]
    fn refuses_other_algorithms_expired_tokens_and_other_audiences() {
        let secret = "k".repeat(40);
        let keys = keys(&secret);
        let now = now_seconds();
        let claims = |aud: &str, exp: u64| Claims {
            sub: Uuid::new_v4(),
            aud: aud.to_owned(),
            typ: TokenType::Access,
            exp,
            iat: now,
            jti: Uuid::new_v4(),
            sid: Uuid::new_v4(),
        };
        let key = EncodingKey::from_secret(secret.as_bytes());
        let hs384 = jsonwebtoken::encode(
            &Header::new(Algorithm::HS384),
            &claims(AUDIENCE, now + 60),
            &key,
        )
        .unwrap();
        assert!(keys.verify(&hs384, TokenType::Access).is_none());
        let expired = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(AUDIENCE, now - 120),
            &key,
        )
        .unwrap();
        assert!(keys.verify(&expired, TokenType::Access).is_none());
        let foreign = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims("someone-else", now + 60),
            &key,
        )
        .unwrap();
        assert!(keys.verify(&foreign, TokenType::Access).is_none());
    }

    #[test]
    fn random_tokens_and_hashes() {
        let token = random_token(20).unwrap();
        assert_eq!(token.len(), 20);
        assert!(token.chars().all(|c| c.is_ascii_alphanumeric()));
        let pat = new_personal_access_token().unwrap();
        assert!(pat.expose_secret().starts_with(PAT_PREFIX));
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
