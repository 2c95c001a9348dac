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
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use swarmpress_schema::TenantName;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The longest a site holds its slot without coming up.
pub const HOLD: Duration = Duration::from_secs(120);
/// The most sites starting at once unless configured (`SWARMPRESS_MAX_STARTING`).
pub const DEFAULT_MAX_STARTING: usize = 8;
/// Sites that may always start at once, however busy the machine.
pub const MIN_STARTING: usize = 2;
/// With the machine's CPU busier than this, the slots shrink by one per sample (down to
/// [`MIN_STARTING`]); below it they grow by one (up to the most configured). Starting a site
/// is CPU-bound while few run (on 2 cores a 30-site burst took 24–29 s with six slots and
/// 30 s with three, at half the API's p99 meanwhile) but waits on other things as more run
/// (the 100-site burst took 207 s with three slots, 175 s with six): a fixed count is wrong
/// at one end or the other, the CPU's headroom is not.
pub const BUSY_CEILING: f64 = 0.75;
/// How often [`sample_cpu`] reads the machine's CPU.
pub const CPU_SAMPLE: Duration = Duration::from_millis(500);
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
    /// Slots open now: the limit, or — once CPU samples arrive — between [`MIN_STARTING`] and
    /// the limit, following the CPU's headroom.
    open: AtomicUsize,
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

    fn free(&self, open: usize) -> usize {
        open.saturating_sub(self.admitted.len())
    }

    /// Wakes the waiting sites a free slot awaits (the first `free` of the line).
    fn wake_heads(&mut self, open: usize) -> bool {
        let free = self.free(open);
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
        let limit = limit.max(1);
        Self {
            limit,
            open: AtomicUsize::new(limit),
            state: Mutex::new(State::default()),
            wake: Notify::new(),
        }
    }

    /// The most sites that may start at once.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Slots open now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::SeqCst)
    }

    /// One reading of how busy the machine's CPU is (0–1): a slot opens while there is
    /// headroom and closes while there is none, never below [`MIN_STARTING`] or above the
    /// limit. Sites already starting keep their slots.
    pub fn cpu_sampled(&self, busy: f64) {
        let floor = MIN_STARTING.min(self.limit);
        let open = self.open();
        let next = if busy < BUSY_CEILING {
            (open + 1).min(self.limit)
        } else {
            open.saturating_sub(1).max(floor)
        };
        self.open.store(next, Ordering::SeqCst);
        if next > open {
            let mut state = self.lock();
            state.prune();
            if state.wake_heads(next) {
                self.wake.notify_one();
            }
        }
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
        let free = state.free(self.open());
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
        if state.wake_heads(self.open()) {
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
            if state.wake_heads(self.open()) {
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
/// Busy and total jiffies of the machine (the `cpu` line of `/proc/stat`).
fn cpu_jiffies(stat: &str) -> Option<(u64, u64)> {
    let line = stat.lines().find(|line| line.starts_with("cpu "))?;
    let fields: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|field| field.parse().ok())
        .collect();
    let total: u64 = fields.iter().sum();
    // idle and iowait
    let idle = fields.get(3)? + fields.get(4).copied().unwrap_or(0);
    Some((total.saturating_sub(idle), total))
}

/// Feeds [`Admission::cpu_sampled`] from the host's `/proc/stat` (at `proc_stat`) every
/// [`CPU_SAMPLE`] until the process ends. Without a readable file the slots stay at the limit.
pub async fn sample_cpu(admission: &Admission, proc_stat: PathBuf) {
    let mut last: Option<(u64, u64)> = None;
    let mut ticker = tokio::time::interval(CPU_SAMPLE);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(now) = tokio::fs::read_to_string(&proc_stat)
            .await
            .ok()
            .as_deref()
            .and_then(cpu_jiffies)
        else {
            tracing::warn!(path = %proc_stat.display(), "cannot read the CPU's figures; start slots stay fixed");
            return;
        };
        if let Some((busy, total)) = last
            && now.1 > total
        {
            #[allow(clippy::cast_precision_loss)] // jiffies over half a second
            let share = now.0.saturating_sub(busy) as f64 / (now.1 - total) as f64;
            admission.cpu_sampled(share);
        }
        last = Some(now);
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
    async fn slots_open_one_at_a_time_with_cpu_headroom_and_close_without_it() {
        let admission = Admission::new(4);
        for _ in 0..10 {
            admission.cpu_sampled(0.95);
        }
        assert_eq!(
            admission.open(),
            MIN_STARTING,
            "a busy machine keeps the floor"
        );
        assert_eq!(admission.admit(&name("site-a")), Ok(()));
        assert_eq!(admission.admit(&name("site-b")), Ok(()));
        assert_eq!(admission.admit(&name("site-c")), wait(2, 1));
        admission.cpu_sampled(0.2);
        assert_eq!(admission.open(), 3, "one more slot per idle sample");
        assert_eq!(
            admission.woken().await,
            vec![name("site-c")],
            "the opened slot wakes the next in line"
        );
        assert_eq!(admission.admit(&name("site-c")), Ok(()));
        for _ in 0..10 {
            admission.cpu_sampled(0.2);
        }
        assert_eq!(admission.open(), 4, "never above the limit");
        admission.cpu_sampled(0.9);
        assert_eq!(admission.open(), 3);
        assert_eq!(
            admission.starting(),
            3,
            "sites already starting keep their slots"
        );
        assert_eq!(admission.admit(&name("site-d")), wait(3, 1));
    }

    #[test]
    fn the_cpu_line_gives_busy_and_total_jiffies() {
        let stat = "cpu  100 5 50 800 40 0 5 0 0 0\ncpu0 50 2 25 400 20 0 3 0 0 0\n";
        assert_eq!(cpu_jiffies(stat), Some((160, 1000)));
        assert_eq!(cpu_jiffies("intr 1 2 3\n"), None);
    }
}
