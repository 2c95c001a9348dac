//! Login throttling: failed attempts per account and per client address in a sliding window.
//!
//! It is consulted before any password hashing, so a throttled attacker costs the server a
//! map lookup, not an Argon2 run. The state is per API process: several replicas each allow
//! the limit, which still bounds guessing to a small multiple of it.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    pub window: Duration,
    pub per_account: usize,
    pub per_address: usize,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_account: 10,
            per_address: 50,
        }
    }
}

#[derive(Debug, Default)]
struct Windows {
    accounts: HashMap<String, VecDeque<Instant>>,
    addresses: HashMap<IpAddr, VecDeque<Instant>>,
}

#[derive(Debug, Clone)]
pub struct LoginThrottle {
    limits: ThrottleLimits,
    windows: Arc<Mutex<Windows>>,
}

/// Drops failures older than the window; returns how long until the oldest remaining one
/// expires if `limit` is reached.
fn blocked_for(
    failures: &mut VecDeque<Instant>,
    limit: usize,
    window: Duration,
    now: Instant,
) -> Option<Duration> {
    while failures
        .front()
        .is_some_and(|&at| now.duration_since(at) >= window)
    {
        failures.pop_front();
    }
    if failures.len() < limit {
        return None;
    }
    failures
        .front()
        .map(|&oldest| window.saturating_sub(now.duration_since(oldest)))
}

impl LoginThrottle {
    pub fn new(limits: ThrottleLimits) -> Self {
        Self {
            limits,
            windows: Arc::new(Mutex::new(Windows::default())),
        }
    }

    fn windows(&self) -> std::sync::MutexGuard<'_, Windows> {
        // A panic while holding the lock cannot leave the maps inconsistent (each operation
        // is a push or pop), so a poisoned lock is still usable.
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Some(wait)` when `account` or `address` has used up its failures.
    pub fn check(&self, account: &str, address: Option<IpAddr>) -> Option<Duration> {
        let now = Instant::now();
        let limits = self.limits;
        let mut windows = self.windows();
        let account_wait = windows
            .accounts
            .get_mut(account)
            .and_then(|failures| blocked_for(failures, limits.per_account, limits.window, now));
        let address_wait = address.and_then(|address| {
            windows
                .addresses
                .get_mut(&address)
                .and_then(|failures| blocked_for(failures, limits.per_address, limits.window, now))
        });
        account_wait.max(address_wait)
    }

    pub fn record_failure(&self, account: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let limits = self.limits;
        let mut windows = self.windows();
        // Bound memory: forget entries whose failures have all expired once the maps grow.
        if windows.accounts.len() > 100_000 {
            windows.accounts.retain(|_, failures| {
                failures
                    .back()
                    .is_some_and(|&at| now.duration_since(at) < limits.window)
            });
        }
        if windows.addresses.len() > 100_000 {
            windows.addresses.retain(|_, failures| {
                failures
                    .back()
                    .is_some_and(|&at| now.duration_since(at) < limits.window)
            });
        }
        let failures = windows.accounts.entry(account.to_owned()).or_default();
        failures.push_back(now);
        if failures.len() > limits.per_account {
            failures.pop_front();
        }
        if let Some(address) = address {
            let failures = windows.addresses.entry(address).or_default();
            failures.push_back(now);
            if failures.len() > limits.per_address {
                failures.pop_front();
            }
        }
    }

    /// A successful login clears the account's failures (not the address's: one good
    /// password must not reset an address that is guessing at other accounts).
    pub fn record_success(&self, account: &str) {
        self.windows().accounts.remove(account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_the_limit_per_account_and_address() {
        let throttle = LoginThrottle::new(ThrottleLimits {
            window: Duration::from_secs(60),
            per_account: 3,
            per_address: 5,
        });
        let address: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(throttle.check("a@x.test", Some(address)).is_none());
            throttle.record_failure("a@x.test", Some(address));
        }
        let wait = throttle.check("a@x.test", None).unwrap();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(55));
        assert!(throttle.check("b@x.test", Some(address)).is_none());
        throttle.record_failure("b@x.test", Some(address));
        throttle.record_failure("c@x.test", Some(address));
        assert!(throttle.check("d@x.test", Some(address)).is_some());
        throttle.record_success("a@x.test");
        assert!(throttle.check("a@x.test", None).is_none());
    }

    #[test]
    fn failures_expire_with_the_window() {
        let throttle = LoginThrottle::new(ThrottleLimits {
            window: Duration::from_millis(20),
            per_account: 1,
            per_address: 10,
        });
        throttle.record_failure("a", None);
        assert!(throttle.check("a", None).is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert!(throttle.check("a", None).is_none());
    }
}
