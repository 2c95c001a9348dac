//! Login throttling: failed attempts in sliding windows, counted three ways — per account
//! *and* client address (the lockout a guesser meets), per account across all clients over a
//! longer window (the slower rate that bounds distributed guessing: 40 an hour, the same rate
//! as one client's 10 per 15 minutes, so a guesser who can make up client addresses gains
//! nothing), and per client address across accounts.
//! A stranger guessing from one address therefore locks only that address out of the
//! account; its owner, from anywhere else, still logs in.
//!
//! It is consulted before any password hashing, so a throttled attacker costs the server a
//! map lookup, not an Argon2 run. An attempt takes its slot *before* the password is checked
//! ([`LoginThrottle::begin`], counted as a failure until it succeeds), so parallel guesses
//! cannot all pass the check while the first ones are still hashing. This state is per API
//! process and answers without a round trip to the store; the per-account-and-client and
//! per-account counts are kept again in the store (`routes::auth::take_shared_attempt`), so
//! they hold however many replicas a guesser spreads attempts over.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct ThrottleLimits {
    /// The window of the per-client and per-address counts.
    pub window: Duration,
    /// Failures of one account from one client address.
    pub per_account_client: usize,
    /// The window of the per-account count.
    pub account_window: Duration,
    /// Failures of one account from every address together.
    pub per_account: usize,
    /// Failures from one address, whichever accounts.
    pub per_address: usize,
}

impl Default for ThrottleLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_account_client: 10,
            account_window: Duration::from_secs(60 * 60),
            per_account: 40,
            per_address: 50,
        }
    }
}

#[derive(Debug, Default)]
struct Windows {
    pairs: HashMap<(String, Option<IpAddr>), VecDeque<Instant>>,
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

    /// Takes a slot for one attempt of `account` from `address`: `Err(wait)` when either has
    /// used up its failures, else the attempt counts as a failure until
    /// [`Self::succeeded`] says otherwise. Checking and taking are one step under the lock.
    /// The limits this throttle applies (the per-account rate is also kept in the store,
    /// shared by every API process: see `routes::auth`).
    pub fn limits(&self) -> &ThrottleLimits {
        &self.limits
    }

    pub fn begin(&self, account: &str, address: Option<IpAddr>) -> Result<(), Duration> {
        let now = Instant::now();
        let limits = self.limits;
        let mut windows = self.windows();
        let pair = (account.to_owned(), address);
        let pair_wait = windows.pairs.get_mut(&pair).and_then(|failures| {
            blocked_for(failures, limits.per_account_client, limits.window, now)
        });
        let account_wait = windows.accounts.get_mut(account).and_then(|failures| {
            blocked_for(failures, limits.per_account, limits.account_window, now)
        });
        let address_wait = address.and_then(|address| {
            windows
                .addresses
                .get_mut(&address)
                .and_then(|failures| blocked_for(failures, limits.per_address, limits.window, now))
        });
        if let Some(wait) = pair_wait.max(account_wait).max(address_wait) {
            return Err(wait);
        }
        forget_expired(&mut windows, &limits, now);
        windows.pairs.entry(pair).or_default().push_back(now);
        windows
            .accounts
            .entry(account.to_owned())
            .or_default()
            .push_back(now);
        if let Some(address) = address {
            windows.addresses.entry(address).or_default().push_back(now);
        }
        Ok(())
    }

    /// The attempt begun for `account` from `address` was right: that client's failures on
    /// the account are cleared, and the account's and the address's counts give back the slot
    /// it took (not their other failures: one good password must neither excuse guessing at
    /// the account from elsewhere nor an address guessing at other accounts).
    pub fn succeeded(&self, account: &str, address: Option<IpAddr>) {
        let mut windows = self.windows();
        windows.pairs.remove(&(account.to_owned(), address));
        if let Some(failures) = windows.accounts.get_mut(account) {
            failures.pop_back();
        }
        if let Some(failures) = address.and_then(|a| windows.addresses.get_mut(&a)) {
            failures.pop_back();
        }
    }
}

/// Bounds memory: forgets entries whose failures have all expired once the maps grow.
fn forget_expired(windows: &mut Windows, limits: &ThrottleLimits, now: Instant) {
    let live = |window: Duration| {
        move |failures: &VecDeque<Instant>| {
            failures
                .back()
                .is_some_and(|&at| now.duration_since(at) < window)
        }
    };
    if windows.pairs.len() > 100_000 {
        let live = live(limits.window);
        windows.pairs.retain(|_, failures| live(failures));
    }
    if windows.accounts.len() > 100_000 {
        let live = live(limits.account_window);
        windows.accounts.retain(|_, failures| live(failures));
    }
    if windows.addresses.len() > 100_000 {
        let live = live(limits.window);
        windows.addresses.retain(|_, failures| live(failures));
    }
}

/// Accounts created per client address: one client cannot mint accounts by the thousand
/// (each costs an Argon2 hash, and each is a fresh login throttle to spend). The platform's
/// own host (a loopback address) is its operator and is not counted.
#[derive(Debug, Clone)]
pub struct RegistrationThrottle {
    limit: usize,
    window: Duration,
    addresses: Arc<Mutex<HashMap<IpAddr, VecDeque<Instant>>>>,
}

impl RegistrationThrottle {
    pub fn with_limit(limit: usize, window: Duration) -> Self {
        Self {
            limit,
            window,
            addresses: Arc::default(),
        }
    }

    /// Takes a slot for one registration from `address`, or `Err(wait)` when it has used
    /// them up. Checking and taking are one step under the lock, so parallel requests cannot
    /// all pass.
    pub fn begin(&self, address: Option<IpAddr>) -> Result<(), Duration> {
        let Some(address) = address.filter(|address| !address.is_loopback()) else {
            return Ok(());
        };
        let now = Instant::now();
        let mut addresses = self
            .addresses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if addresses.len() > 100_000 {
            let window = self.window;
            addresses.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|&at| now.duration_since(at) < window)
            });
        }
        let times = addresses.entry(address).or_default();
        if let Some(wait) = blocked_for(times, self.limit, self.window, now) {
            return Err(wait);
        }
        times.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrations_are_counted_per_address_and_loopback_is_free() {
        let throttle = RegistrationThrottle::with_limit(2, Duration::from_secs(60));
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        let other: IpAddr = "203.0.113.8".parse().unwrap();
        assert!(throttle.begin(Some(client)).is_ok());
        assert!(throttle.begin(Some(client)).is_ok());
        let wait = throttle.begin(Some(client)).unwrap_err();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(55));
        assert!(throttle.begin(Some(other)).is_ok());
        let host: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..10 {
            assert!(throttle.begin(Some(host)).is_ok());
        }
    }

    fn limits(per_account_client: usize, per_account: usize, per_address: usize) -> ThrottleLimits {
        ThrottleLimits {
            window: Duration::from_secs(60),
            account_window: Duration::from_secs(240),
            per_account_client,
            per_account,
            per_address,
        }
    }

    #[test]
    fn blocks_after_the_limit_per_account_client_and_address() {
        let throttle = LoginThrottle::new(limits(3, 100, 5));
        let address: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            assert!(throttle.begin("a@x.test", Some(address)).is_ok());
        }
        let wait = throttle.begin("a@x.test", Some(address)).unwrap_err();
        assert!(wait <= Duration::from_secs(60) && wait > Duration::from_secs(55));
        assert!(throttle.begin("b@x.test", Some(address)).is_ok());
        assert!(throttle.begin("c@x.test", Some(address)).is_ok());
        assert!(
            throttle.begin("d@x.test", Some(address)).is_err(),
            "the address is spent"
        );
        throttle.succeeded("a@x.test", Some(address));
        assert!(throttle.begin("a@x.test", None).is_ok());
    }

    #[test]
    fn a_stranger_locks_out_only_their_own_address() {
        let throttle = LoginThrottle::new(limits(10, 100, 50));
        let stranger: IpAddr = "203.0.113.1".parse().unwrap();
        let owner: IpAddr = "198.51.100.7".parse().unwrap();
        while throttle.begin("owner@x.test", Some(stranger)).is_ok() {}
        assert!(throttle.begin("owner@x.test", Some(owner)).is_ok());
    }

    #[test]
    fn guesses_from_many_addresses_meet_the_account_rate() {
        let throttle = LoginThrottle::new(limits(10, 25, 50));
        let admitted = (0..10u8)
            .flat_map(|host| {
                let address = IpAddr::from([203, 0, 113, host]);
                (0..10).map(move |_| address)
            })
            .filter(|address| throttle.begin("victim@x.test", Some(*address)).is_ok())
            .count();
        assert_eq!(admitted, 25);
    }

    #[test]
    fn made_up_addresses_buy_no_more_guesses_an_hour_than_one_client() {
        let throttle = LoginThrottle::new(ThrottleLimits::default());
        let admitted = (0..=255u8)
            .map(|host| IpAddr::from([203, 0, 113, host]))
            .filter(|address| throttle.begin("victim@x.test", Some(*address)).is_ok())
            .count();
        // One client's rate is 10 per 15 minutes, 40 an hour.
        assert_eq!(admitted, 40);
    }

    #[test]
    fn attempts_in_flight_hold_their_slots() {
        let throttle = LoginThrottle::new(limits(10, 100, 50));
        // Forty attempts begun before any of them is decided: ten get a slot.
        let admitted = (0..40)
            .filter(|_| throttle.begin("victim@x.test", None).is_ok())
            .count();
        assert_eq!(admitted, 10);
    }

    #[test]
    fn a_success_gives_its_slot_back() {
        let throttle = LoginThrottle::new(limits(10, 3, 2));
        let address: IpAddr = "192.0.2.9".parse().unwrap();
        for _ in 0..5 {
            throttle.begin("me@x.test", Some(address)).unwrap();
            throttle.succeeded("me@x.test", Some(address));
        }
        assert!(throttle.begin("me@x.test", Some(address)).is_ok());
    }

    #[test]
    fn failures_expire_with_the_window() {
        let throttle = LoginThrottle::new(ThrottleLimits {
            window: Duration::from_millis(20),
            account_window: Duration::from_millis(20),
            per_account_client: 1,
            per_account: 10,
            per_address: 10,
        });
        throttle.begin("a", None).unwrap();
        assert!(throttle.begin("a", None).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(throttle.begin("a", None).is_ok());
    }
}
