//! How many sites may start at once. Starting a WordPress site (image layers, PHP warming the
//! opcache, the install, the first health probes) is the most CPU a site ever takes; a burst
//! of them on a small node starved the platform's own services of CPU until Swarm failed
//! their health checks. So a reconcile that would start tasks for a site takes a slot first;
//! with every slot taken the site waits in line, queued, and says so in its status.
//!
//! A slot is held from the moment its site is admitted until a reconcile sees the site's
//! service running all its replicas, or until [`HOLD`] passes (a site that never comes up
//! does not block the others for good). Slots are this process's: after a leader failover the
//! new leader starts with none held, a brief overshoot at worst.
//!
//! Waiting sites are served in the order they asked, and a freed slot wakes the next one at
//! once ([`Admission::woken`]): a queued site polling for a slot every few seconds left slots
//! idle between polls, and every poll was a whole reconcile — in a 100-site burst, dozens a
//! second that did nothing but list the world again.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use swarmpress_schema::TenantName;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The longest a site holds its slot without coming up.
pub const HOLD: Duration = Duration::from_secs(120);
/// Sites starting at once unless configured (`SWARMPRESS_MAX_STARTING`). Measured on 2 cores
/// (docs/architecture.md, "Start slots"): fewer slots leave the CPU idle while starts wait on
/// the engine and the edge, more only crowd it.
pub const DEFAULT_MAX_STARTING: usize = 6;
/// How often a queued site asks again by itself, whether woken or not: the safety net.
pub const QUEUED_RECHECK: Duration = Duration::from_secs(10);
/// A waiting site that has not asked for this long has left the line (deleted, stopped, or
/// no longer wanting to start): it no longer holds up the sites behind it.
const WAITER_GONE: Duration = Duration::from_secs(30);

/// Why a site must wait: how many sites hold a slot, and its place in line (1 = next).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    pub starting: usize,
    pub place: usize,
}

pub struct Admission {
    limit: usize,
    state: Mutex<State>,
    wake: Notify,
}

#[derive(Default)]
struct State {
    admitted: HashMap<TenantName, Instant>,
    /// The line, oldest first, with when each last asked.
    waiting: VecDeque<(TenantName, Instant)>,
    /// Sites at the head of the line woken since [`Admission::woken`] last took them.
    to_wake: Vec<TenantName>,
}

impl State {
    fn prune(&mut self) {
        self.admitted.retain(|_, since| since.elapsed() < HOLD);
        self.waiting
            .retain(|(_, asked)| asked.elapsed() < WAITER_GONE);
    }

    fn free(&self, limit: usize) -> usize {
        limit.saturating_sub(self.admitted.len())
    }

    /// Wakes the waiting sites a free slot awaits (the first `free` of the line).
    fn wake_heads(&mut self, limit: usize) -> bool {
        let free = self.free(limit);
        let mut woke = false;
        for (tenant, _) in self.waiting.iter().take(free) {
            if !self.to_wake.contains(tenant) {
                self.to_wake.push(tenant.clone());
                woke = true;
            }
        }
        woke
    }
}

impl Default for Admission {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_STARTING)
    }
}

impl Admission {
    pub fn new(limit: usize) -> Self {
        Self {
            limit: limit.max(1),
            state: Mutex::new(State::default()),
            wake: Notify::new(),
        }
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a slot for `tenant` (or confirms the one it holds). A free slot goes to the
    /// oldest waiting site first. `Err` when the site must wait: it is then in line, and
    /// woken when its turn comes.
    pub fn admit(&self, tenant: &TenantName) -> Result<(), Waiting> {
        let mut state = self.lock();
        state.prune();
        if state.admitted.contains_key(tenant) {
            return Ok(());
        }
        let free = state.free(self.limit);
        let place = state
            .waiting
            .iter()
            .position(|(waiting, _)| waiting == tenant);
        // Ahead of it: everyone in line before it, or the whole line for a newcomer.
        let ahead = place.unwrap_or(state.waiting.len());
        if ahead < free {
            if let Some(place) = place {
                state.waiting.remove(place);
            }
            state.to_wake.retain(|woken| woken != tenant);
            state.admitted.insert(tenant.clone(), Instant::now());
            return Ok(());
        }
        match place {
            Some(place) => state.waiting[place].1 = Instant::now(),
            None => state.waiting.push_back((tenant.clone(), Instant::now())),
        }
        // Those ahead of it may have left the line: whoever is at its head now is due.
        if state.wake_heads(self.limit) {
            self.wake.notify_one();
        }
        Err(Waiting {
            starting: state.admitted.len(),
            place: ahead + 1,
        })
    }

    /// The site is up (or gone): its slot is free, and the next site in line is woken.
    pub fn release(&self, tenant: &TenantName) {
        let mut state = self.lock();
        let held = state.admitted.remove(tenant).is_some();
        state.waiting.retain(|(waiting, _)| waiting != tenant);
        state.to_wake.retain(|woken| woken != tenant);
        if held {
            state.prune();
            if state.wake_heads(self.limit) {
                self.wake.notify_one();
            }
        }
    }

    /// The site no longer wants to start (stopped, or its tasks run): it leaves the line, so
    /// that it holds up nobody behind it. A slot it holds stays until [`Self::release`].
    pub fn withdraw(&self, tenant: &TenantName) {
        let mut state = self.lock();
        // Every steady-state reconcile asks; the line is nearly always empty.
        if state.waiting.is_empty() && state.to_wake.is_empty() {
            return;
        }
        let before = state.waiting.len();
        state.waiting.retain(|(waiting, _)| waiting != tenant);
        state.to_wake.retain(|woken| woken != tenant);
        if state.waiting.len() != before {
            state.prune();
            if state.wake_heads(self.limit) {
                self.wake.notify_one();
            }
        }
    }

    /// Resolves once a slot waits for sites in line, with those sites: the runner queues
    /// them for a reconcile now.
    pub async fn woken(&self) -> Vec<TenantName> {
        loop {
            let woken = std::mem::take(&mut self.lock().to_wake);
            if !woken.is_empty() {
                return woken;
            }
            self.wake.notified().await;
        }
    }

    /// Sites holding a slot now.
    pub fn starting(&self) -> usize {
        let mut state = self.lock();
        state.prune();
        state.admitted.len()
    }

    /// Sites waiting for a slot now.
    pub fn waiting(&self) -> usize {
        let mut state = self.lock();
        state.prune();
        state.waiting.len()
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    fn name(slug: &str) -> TenantName {
        TenantName::parse(slug).unwrap()
    }

    fn wait(starting: usize, place: usize) -> Result<(), Waiting> {
        Err(Waiting { starting, place })
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_the_limit_start_and_a_slot_frees_when_its_site_is_up() {
        let admission = Admission::new(2);
        assert_eq!(admission.admit(&name("site-a")), Ok(()));
        assert_eq!(admission.admit(&name("site-b")), Ok(()));
        assert_eq!(
            admission.admit(&name("site-a")),
            Ok(()),
            "a site keeps its own slot"
        );
        assert_eq!(admission.admit(&name("site-c")), wait(2, 1));
        admission.release(&name("site-a"));
        assert_eq!(admission.admit(&name("site-c")), Ok(()));
        assert_eq!(admission.starting(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_site_that_never_comes_up_gives_its_slot_back_after_the_hold() {
        let admission = Admission::new(1);
        assert_eq!(admission.admit(&name("stuck")), Ok(()));
        assert_eq!(admission.admit(&name("next")), wait(1, 1));
        tokio::time::advance(HOLD).await;
        assert_eq!(admission.admit(&name("next")), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn waiting_sites_start_in_the_order_they_asked_and_a_freed_slot_wakes_the_next() {
        let admission = Admission::new(1);
        assert_eq!(admission.admit(&name("first")), Ok(()));
        assert_eq!(admission.admit(&name("second")), wait(1, 1));
        assert_eq!(admission.admit(&name("third")), wait(1, 2));
        assert_eq!(admission.waiting(), 2);
        admission.release(&name("first"));
        assert_eq!(admission.woken().await, vec![name("second")]);
        assert_eq!(
            admission.admit(&name("third")),
            wait(0, 2),
            "the slot is the older waiter's even though it is free"
        );
        assert_eq!(admission.admit(&name("second")), Ok(()));
        assert_eq!(admission.admit(&name("newcomer")), wait(1, 2));
        admission.release(&name("second"));
        assert_eq!(admission.woken().await, vec![name("third")]);
        assert_eq!(
            admission.admit(&name("newcomer")),
            wait(0, 2),
            "a newcomer queues behind the line"
        );
        assert_eq!(admission.admit(&name("third")), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_that_stopped_asking_leaves_the_line() {
        let admission = Admission::new(1);
        assert_eq!(admission.admit(&name("first")), Ok(()));
        assert_eq!(admission.admit(&name("deleted")), wait(1, 1));
        tokio::time::advance(Duration::from_secs(5)).await;
        assert_eq!(admission.admit(&name("patient")), wait(1, 2));
        admission.release(&name("first"));
        assert_eq!(admission.woken().await, vec![name("deleted")]);
        // The woken site never comes back (its tenant went away unseen); the one behind it
        // keeps asking, and gets the slot once the other has been silent long enough.
        tokio::time::advance(QUEUED_RECHECK).await;
        assert_eq!(admission.admit(&name("patient")), wait(0, 2));
        tokio::time::advance(WAITER_GONE - QUEUED_RECHECK).await;
        assert_eq!(admission.admit(&name("patient")), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_released_waiter_leaves_the_line_and_wakes_nobody_for_itself() {
        let admission = Admission::new(1);
        assert_eq!(admission.admit(&name("first")), Ok(()));
        assert_eq!(admission.admit(&name("gone")), wait(1, 1));
        assert_eq!(admission.admit(&name("next")), wait(1, 2));
        // Deleted while it waited: the finalizer releases it.
        admission.release(&name("gone"));
        assert_eq!(admission.waiting(), 1);
        admission.release(&name("first"));
        assert_eq!(admission.woken().await, vec![name("next")]);
        assert_eq!(admission.admit(&name("next")), Ok(()));
    }

    #[tokio::test(start_paused = true)]
    async fn a_site_that_no_longer_wants_to_start_leaves_the_line_at_once() {
        let admission = Admission::new(1);
        assert_eq!(admission.admit(&name("first")), Ok(()));
        assert_eq!(admission.admit(&name("stopped")), wait(1, 1));
        assert_eq!(admission.admit(&name("next")), wait(1, 2));
        admission.release(&name("first"));
        assert_eq!(admission.woken().await, vec![name("stopped")]);
        // Stopped by its owner meanwhile: its reconcile starts nothing and withdraws it.
        admission.withdraw(&name("stopped"));
        assert_eq!(admission.woken().await, vec![name("next")]);
        assert_eq!(admission.admit(&name("next")), Ok(()));
    }
}
