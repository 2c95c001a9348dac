//! Argon2id password hashing on a bounded pool.
//!
//! A hash costs ~19 MiB and tens of milliseconds of CPU. Running it on the async workers
//! would stall every other request, and running it on unbounded blocking threads would let a
//! login flood take all cores and memory; so each hash waits for one of a fixed number of
//! permits (one per core) and then runs on `spawn_blocking`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Semaphore;

use crate::error::ApiError;

/// OWASP's Argon2id recommendation: 19 MiB, 2 passes, 1 lane.
const MEMORY_KIB: u32 = 19_456;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

pub const MIN_PASSWORD_LEN: usize = 12;
/// Argon2 accepts far longer input, but an unbounded password is free CPU for an attacker.
pub const MAX_PASSWORD_LEN: usize = 256;

#[derive(Clone)]
pub struct PasswordPool {
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified against when the e-mail is unknown, so that
    /// "no such user" costs the same time as "wrong password".
    dummy_hash: Arc<String>,
    /// Hashes and verifications run so far; tests use it to prove throttling happens first.
    work_done: Arc<AtomicU64>,
}

impl std::fmt::Debug for PasswordPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordPool")
            .field("available_permits", &self.permits.available_permits())
            .finish_non_exhaustive()
    }
}

fn argon2() -> Result<Argon2<'static>, ApiError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|error| ApiError::internal(format!("argon2 parameters: {error}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ApiError::internal(format!("argon2 hash: {error}")))
}

fn verify_blocking(password: &str, hash: &str) -> Result<bool, ApiError> {
    let parsed = PasswordHash::new(hash)
        .map_err(|error| ApiError::internal(format!("stored password hash: {error}")))?;
    match argon2()?.verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(error) => Err(ApiError::internal(format!("argon2 verify: {error}"))),
    }
}

impl PasswordPool {
    /// A pool with one permit per available core.
    pub fn new() -> Result<Self, ApiError> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let dummy = crate::tokens::random_token(24)?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(cores)),
            dummy_hash: Arc::new(hash_blocking(&dummy)?),
            work_done: Arc::new(AtomicU64::new(0)),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|error| ApiError::internal(format!("password pool closed: {error}")))?;
        self.work_done.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(job)
            .await
            .map_err(|error| ApiError::internal(format!("password task: {error}")))?
    }

    pub async fn hash(&self, password: &SecretString) -> Result<String, ApiError> {
        let password = password.clone();
        self.run(move || hash_blocking(password.expose_secret()))
            .await
    }

    /// Checks `password` against `hash`, or against a dummy hash when there is no user, so
    /// both cases take the same time. `None` always answers `false`.
    pub async fn verify(
        &self,
        password: &SecretString,
        hash: Option<&str>,
    ) -> Result<bool, ApiError> {
        let password = password.clone();
        let (hash, real) = match hash {
            Some(hash) => (hash.to_owned(), true),
            None => (self.dummy_hash.as_str().to_owned(), false),
        };
        let matched = self
            .run(move || verify_blocking(password.expose_secret(), &hash))
            .await?;
        Ok(real && matched)
    }

    /// How many hashes and verifications have started.
    pub fn work_done(&self) -> u64 {
        self.work_done.load(Ordering::Relaxed)
    }
}

/// Checks the length rules of a new password; the message names no secret.
pub fn check_new_password(password: &str) -> Result<(), String> {
    let length = password.chars().count();
    if length < MIN_PASSWORD_LEN {
        return Err(format!(
            "must be at least {MIN_PASSWORD_LEN} characters long"
        ));
    }
    if length > MAX_PASSWORD_LEN {
        return Err(format!(
            "must be at most {MAX_PASSWORD_LEN} characters long"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_users_never_match() {
        let pool = PasswordPool::new().unwrap();
        let password = SecretString::from("correct horse battery");
        let hash = pool.hash(&password).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(pool.verify(&password, Some(&hash)).await.unwrap());
        let wrong = SecretString::from("wrong horse battery");
        assert!(!pool.verify(&wrong, Some(&hash)).await.unwrap());
        assert!(!pool.verify(&password, None).await.unwrap());
        assert_eq!(pool.work_done(), 4);
    }

    #[test]
    fn password_length_rules() {
        assert!(check_new_password("short").is_err());
        assert!(check_new_password("twelve chars").is_ok());
        assert!(check_new_password(&"x".repeat(257)).is_err());
    }
}
