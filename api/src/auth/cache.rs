//! A short-lived cache of resolved credentials.
//!
//! Checking a credential against the database costs two queries (the user, and whether the
//! session's refresh family is still active) — more than the request itself usually costs.
//! A resolved principal is reused for [`CREDENTIAL_TTL`]. Revocations made through this
//! process (logout, password change, token deletion, profile change, reuse detection) drop
//! the affected entries at once; a revocation made through another API replica takes effect
//! here within the TTL. Without the check at all, an access JWT would stay valid for its
//! whole 15 minutes; with it, the window is two seconds.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::Principal;

/// How long a resolved credential is trusted without asking the database again.
pub const CREDENTIAL_TTL: Duration = Duration::from_secs(2);
/// Past this many entries, expired ones are swept; if none expired, the cache starts over.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CredentialKey {
    /// An access JWT's session (its refresh family).
    Session(Uuid),
    /// A personal access token, by its SHA-256.
    TokenHash(String),
}

#[derive(Debug)]
struct Entry {
    principal: Principal,
    resolved: Instant,
}

#[derive(Debug, Clone)]
pub struct CredentialCache {
    ttl: Duration,
    entries: Arc<Mutex<HashMap<CredentialKey, Entry>>>,
}

impl Default for CredentialCache {
    fn default() -> Self {
        Self::new(CREDENTIAL_TTL)
    }
}

impl CredentialCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CredentialKey, Entry>> {
        // The map holds no invariant a panicking holder could break half-way.
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The principal resolved for `key` less than the TTL ago.
    pub fn get(&self, key: &CredentialKey) -> Option<Principal> {
        let entries = self.lock();
        entries
            .get(key)
            .filter(|entry| entry.resolved.elapsed() < self.ttl)
            .map(|entry| entry.principal.clone())
    }

    pub fn insert(&self, key: CredentialKey, principal: Principal) {
        let mut entries = self.lock();
        if entries.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            entries.retain(|_, entry| entry.resolved.elapsed() < ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            key,
            Entry {
                principal,
                resolved: Instant::now(),
            },
        );
    }

    /// Forgets every credential of `user`: after a password or profile change.
    pub fn forget_user(&self, user: Uuid) {
        self.lock()
            .retain(|_, entry| entry.principal.user.id != user);
    }

    /// Forgets a personal access token: after it is deleted.
    pub fn forget_token(&self, id: Uuid) {
        self.lock().retain(|_, entry| {
            entry.principal.credential != super::Credential::PersonalAccessToken { id }
        });
    }

    /// Forgets one session: after logout or refresh-token reuse.
    pub fn forget_session(&self, session: Uuid) {
        self.lock().remove(&CredentialKey::Session(session));
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use swarmpress_schema::resource::{Role, User};

    use super::super::Credential;
    use super::*;

    fn principal(user: Uuid) -> Principal {
        Principal {
            user: User {
                id: user,
                email: "a@example.test".to_owned(),
                name: "A".to_owned(),
                role: Role::User,
                created_at: Utc::now(),
                updated_at: Utc::now(),
                password_changed_at: Utc::now(),
                disabled_at: None,
                must_change_password: false,
            },
            credential: Credential::Session {
                session: Uuid::new_v4(),
            },
            scope: None,
        }
    }

    #[test]
    fn entries_expire_and_can_be_forgotten() {
        let cache = CredentialCache::new(Duration::from_millis(50));
        let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
        let (session, other) = (Uuid::new_v4(), Uuid::new_v4());
        cache.insert(CredentialKey::Session(session), principal(alice));
        cache.insert(CredentialKey::Session(other), principal(bob));
        cache.insert(CredentialKey::TokenHash("h".to_owned()), principal(alice));
        assert_eq!(
            cache
                .get(&CredentialKey::Session(session))
                .map(|p| p.user.id),
            Some(alice)
        );

        cache.forget_user(alice);
        assert!(cache.get(&CredentialKey::Session(session)).is_none());
        assert!(
            cache
                .get(&CredentialKey::TokenHash("h".to_owned()))
                .is_none()
        );
        assert!(cache.get(&CredentialKey::Session(other)).is_some());
        cache.forget_session(other);
        let token = Uuid::new_v4();
        let mut by_token = principal(bob);
        by_token.credential = Credential::PersonalAccessToken { id: token };
        cache.insert(CredentialKey::TokenHash("t".to_owned()), by_token);
        cache.forget_token(Uuid::new_v4());
        assert!(
            cache
                .get(&CredentialKey::TokenHash("t".to_owned()))
                .is_some()
        );
        cache.forget_token(token);
        assert!(
            cache
                .get(&CredentialKey::TokenHash("t".to_owned()))
                .is_none()
        );
        assert!(cache.get(&CredentialKey::Session(other)).is_none());

        cache.insert(CredentialKey::Session(session), principal(alice));
        std::thread::sleep(Duration::from_millis(60));
        assert!(cache.get(&CredentialKey::Session(session)).is_none());
    }

    #[test]
    fn stays_bounded() {
        let cache = CredentialCache::new(Duration::from_secs(60));
        for _ in 0..MAX_ENTRIES + 10 {
            cache.insert(
                CredentialKey::Session(Uuid::new_v4()),
                principal(Uuid::new_v4()),
            );
        }
        assert!(cache.lock().len() <= MAX_ENTRIES);
    }
}
