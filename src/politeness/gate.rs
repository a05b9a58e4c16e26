//! The host table: gates, permits and waiting. [`Hosts`] maps host keys to gates (one per
//! host, merged when hosts share an IP), a gate admits one [`Permit`] at a time and re-opens
//! when the permit ends plus the host's delay. Never sleeps while holding its lock.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::{BACKOFF_MAX, BACKOFF_START, MAX_PAUSE, Policy};

/// Why [`Hosts::try_begin`] said not yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// A request to this host (or one sharing its IP) is in flight.
    Busy,
    /// The gate re-opens at this instant (politeness delay or backoff).
    Until(Instant),
}

/// The per-host gates of one crawl. Cheap to clone (an `Arc` inside): every clone is the same
/// table.
#[derive(Clone)]
pub struct Hosts {
    shared: Arc<Shared>,
}

struct Shared {
    /// `std::sync::Mutex`, not tokio's: every critical section is a few map operations and none
    /// holds the lock across an `.await`; it must also be usable from `Permit::drop`, which
    /// cannot await.
    table: Mutex<Table>,
    /// Policy of hosts never passed to [`Hosts::configure`].
    default_policy: Policy,
}

#[derive(Default)]
struct Table {
    hosts: HashMap<String, Host>,
    /// Gates by index; a merged gate forwards to the one that absorbed it (a small union-find),
    /// so permits and hosts that name the old index still reach the live gate.
    gates: Vec<Gate>,
    /// The gate each learned address belongs to.
    ips: HashMap<IpAddr, usize>,
}

/// What we know about one host; lives as long as the table.
struct Host {
    gate: usize,
    policy: Policy,
    /// From robots.txt, capped by the policy when used.
    crawl_delay: Option<Duration>,
}

struct Gate {
    /// Set when this gate was merged into another; all other fields then are stale.
    merged_into: Option<usize>,
    /// Permits out: 0 or 1, briefly 2 after two busy gates merge.
    in_flight: u32,
    /// No request before this instant; `None` until the first request ends.
    next_at: Option<Instant>,
    /// Backoffs in a row without a normal finish, for the exponential part.
    backoffs: u32,
    /// When the last permit ended: a Crawl-delay learned afterwards still counts from here.
    last_end: Option<Instant>,
    /// Wakes [`Hosts::begin`] callers when a permit ends or the gate is merged away.
    notify: Arc<Notify>,
}

impl Gate {
    fn new() -> Gate {
        Gate {
            merged_into: None,
            in_flight: 0,
            next_at: None,
            backoffs: 0,
            last_end: None,
            notify: Arc::new(Notify::new()),
        }
    }

    /// Closes the gate until `now + pause` unless it is already closed for longer.
    fn snooze(&mut self, now: Instant, pause: Duration) {
        let until = now + pause.min(MAX_PAUSE);
        self.next_at = Some(self.next_at.map_or(until, |at| at.max(until)));
    }
}

/// How a permit ended.
enum End {
    Finished(Duration),
    BackedOff(Option<Duration>),
    Dropped,
}

impl Table {
    fn host(&mut self, name: &str, default: Policy) -> &mut Host {
        let gates = &mut self.gates;
        self.hosts.entry(name.to_string()).or_insert_with(|| {
            gates.push(Gate::new());
            Host {
                gate: gates.len() - 1,
                policy: default,
                crawl_delay: None,
            }
        })
    }

    fn root(&self, mut gate: usize) -> usize {
        while let Some(next) = self.gates[gate].merged_into {
            gate = next;
        }
        gate
    }

    fn gate_of(&mut self, name: &str, default: Policy) -> usize {
        let gate = self.host(name, default).gate;
        self.root(gate)
    }

    /// Folds gate `from` into `into`: the stricter of both states survives. Returns the old
    /// gate's notifier so its waiters can re-check against the merged gate.
    fn merge(&mut self, from: usize, into: usize) -> Arc<Notify> {
        let old = &mut self.gates[from];
        old.merged_into = Some(into);
        let (in_flight, next_at, backoffs) = (old.in_flight, old.next_at, old.backoffs);
        let notify = old.notify.clone();
        let gate = &mut self.gates[into];
        gate.in_flight += in_flight;
        gate.next_at = gate.next_at.max(next_at);
        gate.backoffs = gate.backoffs.max(backoffs);
        notify
    }

    /// Re-arms the gate a permit held and returns its notifier.
    fn end(&mut self, host: &str, gate: usize, end: End, default: Policy) -> Arc<Notify> {
        let now = Instant::now();
        let Host {
            policy,
            crawl_delay,
            ..
        } = *self.host(host, default);
        let root = self.root(gate);
        let gate = &mut self.gates[root];
        gate.in_flight = gate.in_flight.saturating_sub(1);
        let pause = match end {
            End::Finished(took) => {
                gate.backoffs = 0;
                policy.delay(crawl_delay, took)
            }
            End::BackedOff(asked) => {
                let pause = asked.unwrap_or_else(|| backoff(gate.backoffs));
                gate.backoffs = gate.backoffs.saturating_add(1);
                pause.max(policy.delay(crawl_delay, Duration::ZERO))
            }
            // A cancelled fetch says nothing about the server: the plain delay.
            End::Dropped => policy.delay(crawl_delay, Duration::ZERO),
        };
        gate.snooze(now, pause);
        gate.last_end = Some(now);
        gate.notify.clone()
    }
}

/// `BACKOFF_START × 2^n`, capped at [`BACKOFF_MAX`].
fn backoff(previous: u32) -> Duration {
    let factor = 2u32.saturating_pow(previous);
    BACKOFF_START.saturating_mul(factor).min(BACKOFF_MAX)
}

impl Hosts {
    /// An empty table; hosts not configured otherwise use `default_policy`.
    pub fn new(default_policy: Policy) -> Hosts {
        let shared = Shared {
            table: Mutex::new(Table::default()),
            default_policy,
        };
        Hosts {
            shared: Arc::new(shared),
        }
    }

    /// Sets a host's policy (a portal's `min_delay` override).
    pub fn configure(&self, host: &str, policy: Policy) {
        self.shared.lock().host(host, policy).policy = policy;
    }

    /// Records the host's robots.txt Crawl-delay (capped by its policy when applied). The
    /// robots.txt response itself ended before its Crawl-delay was known, so an idle gate's next
    /// slot moves to at least that end plus the new delay.
    pub fn set_crawl_delay(&self, host: &str, delay: Option<Duration>) {
        let mut table = self.shared.lock();
        let entry = table.host(host, self.shared.default_policy);
        entry.crawl_delay = delay;
        let wait = entry.policy.delay(delay, Duration::ZERO);
        let root = table.gate_of(host, self.shared.default_policy);
        let gate = &mut table.gates[root];
        if let Some(end) = gate.last_end {
            let until = end + wait;
            gate.next_at = Some(gate.next_at.map_or(until, |at| at.max(until)));
        }
    }

    /// Records an address `host` resolved to. A host already seen at `ip` shares its gate from
    /// now on: one request in flight per IP (docs/archive.md).
    pub fn learn_ip(&self, host: &str, ip: IpAddr) {
        let woken = {
            let mut table = self.shared.lock();
            let gate = table.gate_of(host, self.shared.default_policy);
            match table.ips.get(&ip).map(|&other| table.root(other)) {
                Some(other) if other != gate => Some(table.merge(gate, other)),
                Some(_) => None,
                None => {
                    table.ips.insert(ip, gate);
                    None
                }
            }
        };
        if let Some(notify) = woken {
            notify.notify_waiters();
        }
    }

    /// Takes the host's permit if its gate is open at `now`; never waits. For a scheduler that
    /// picks among hosts (see also [`Hosts::ready_at`]).
    pub fn try_begin(&self, host: &str, now: Instant) -> Result<Permit, Wait> {
        let mut table = self.shared.lock();
        let index = table.gate_of(host, self.shared.default_policy);
        let gate = &mut table.gates[index];
        if gate.in_flight > 0 {
            return Err(Wait::Busy);
        }
        if let Some(at) = gate.next_at.filter(|&at| at > now) {
            return Err(Wait::Until(at));
        }
        gate.in_flight += 1;
        let shared = self.shared.clone();
        Ok(Permit {
            shared,
            host: host.to_string(),
            gate: index,
            ended: false,
        })
    }

    /// Waits for the host's turn and takes its permit. Woken when the permit in flight ends, not
    /// by polling; waiters are not queued in order (fine for `baoluu save`, its one user).
    /// Cancel-safe: dropping the future takes nothing.
    pub async fn begin(&self, host: &str) -> Permit {
        loop {
            let notify = self.notifier(host);
            let woken = notify.notified();
            let mut woken = std::pin::pin!(woken);
            // Registered before looking, so a release between the look and the await still
            // wakes us (tokio::sync::Notify docs, "enable").
            woken.as_mut().enable();
            match self.try_begin(host, Instant::now()) {
                Ok(permit) => return permit,
                Err(Wait::Busy) => woken.await,
                Err(Wait::Until(at)) => tokio::time::sleep_until(at).await,
            }
        }
    }

    /// When the host's gate opens (possibly already past); `None` while a request is in flight.
    pub fn ready_at(&self, host: &str) -> Option<Instant> {
        let mut table = self.shared.lock();
        let index = table.gate_of(host, self.shared.default_policy);
        let gate = &table.gates[index];
        if gate.in_flight > 0 {
            return None;
        }
        Some(gate.next_at.unwrap_or_else(Instant::now))
    }

    fn notifier(&self, host: &str) -> Arc<Notify> {
        let mut table = self.shared.lock();
        let index = table.gate_of(host, self.shared.default_policy);
        table.gates[index].notify.clone()
    }
}

impl Shared {
    /// The table, even after a panic elsewhere: its invariants are counters and instants that
    /// no panic can leave half-updated in a way worse than a missed delay.
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Hosts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = self.shared.lock();
        f.debug_struct("Hosts")
            .field("hosts", &table.hosts.len())
            .field("ips", &table.ips.len())
            .finish()
    }
}

/// The right to send one request to a host. End it with [`Permit::finish`] or
/// [`Permit::back_off`]; dropping it counts as a finish with the plain delay, so a cancelled
/// fetch never wedges a host.
#[must_use = "a permit re-arms its host when it ends; finish it with the fetch duration"]
pub struct Permit {
    shared: Arc<Shared>,
    host: String,
    /// The gate index at issue; resolved through merges when the permit ends.
    gate: usize,
    ended: bool,
}

impl Permit {
    /// The response ended normally after `fetch_duration`: the next request waits
    /// [`Policy::delay`] from now.
    pub fn finish(mut self, fetch_duration: Duration) {
        self.end(End::Finished(fetch_duration));
    }

    /// A 429 or 503: snooze the host for `retry_after` (from [`super::retry_after`]), else
    /// an exponential backoff from [`BACKOFF_START`]; never less than the plain delay.
    pub fn back_off(mut self, retry_after: Option<Duration>) {
        self.end(End::BackedOff(retry_after));
    }

    /// The host this permit is for.
    pub fn host(&self) -> &str {
        &self.host
    }

    fn end(&mut self, end: End) {
        self.ended = true;
        let notify = {
            let mut table = self.shared.lock();
            table.end(&self.host, self.gate, end, self.shared.default_policy)
        };
        notify.notify_waiters();
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.ended {
            self.end(End::Dropped);
        }
    }
}

impl fmt::Debug for Permit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").field("host", &self.host).finish()
    }
}

#[cfg(test)]
mod tests;
