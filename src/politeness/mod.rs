//! politeness: the per-host gate between `robots` and `fetch` (docs/architecture.md).
//!
//! A host gets one request in flight at a time, and the next request starts no sooner than
//! [`Policy::delay`] after the previous response *ended* (docs/archive.md, "Politeness"; Heritrix's
//! per-host queues that snooze between fetches). Hosts that turn out to share an IP address
//! share one gate from then on: provincial portals often sit on one shared server. A 429 or 503
//! snoozes the whole gate, for `Retry-After` ([`retry_after`]) or an exponential backoff.
//!
//! Why not `governor`: GCRA spaces request *starts* and a keyed limiter has one quota for all
//! keys (governor#193), while we need a gap from the end of each response with a per-host
//! Crawl-delay. The crawl may still put a governor ceiling in front of this gate.
//!
//! This module never decides scope or robots rules, never performs requests, and keeps no
//! global state: the [`Hosts`] table is a handle the crawl passes around.
//!
//! - [`Policy`]: the delay arithmetic, pure.
//! - [`Hosts`]: the table of hosts and gates; [`Hosts::try_begin`] for a scheduler choosing among
//!   hosts, [`Hosts::begin`] to wait for one host.
//! - [`Permit`]: one request in flight; ending it (finish, back off or drop) re-arms the gate.

mod gate;
mod retry_after;

use std::time::Duration;

pub use gate::{Hosts, Permit, Wait};
pub use retry_after::retry_after;

/// The first snooze after a 429/503 without a usable `Retry-After`; doubled on each repeat.
pub const BACKOFF_START: Duration = Duration::from_secs(60);

/// The longest backoff we choose ourselves (a server's `Retry-After` may ask for longer).
pub const BACKOFF_MAX: Duration = Duration::from_secs(60 * 60);

/// The longest any host is closed, even on a server's request: past a day the run is over anyway,
/// and the bound keeps `Instant` arithmetic from overflowing on absurd `Retry-After` values.
pub const MAX_PAUSE: Duration = Duration::from_secs(24 * 60 * 60);

/// How long to leave a host alone between requests (the `[crawler]` keys of the same names).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// The least gap from the end of a response to the next request.
    pub min_delay: Duration,
    /// Adaptive part: this many times the last fetch's duration (Heritrix's delay factor);
    /// 0 disables it, so a slow server is not punished twice.
    pub delay_factor: f64,
    /// Cap of the adaptive part.
    pub max_delay: Duration,
    /// Largest robots.txt Crawl-delay honoured (Heritrix: 300 s).
    pub crawl_delay_cap: Duration,
}

impl Policy {
    /// The policy for a host of a portal: `[crawler]`'s delays, with the portal's own
    /// `min_delay` when it sets one.
    pub fn from_config(config: &crate::config::Config, min_delay: Option<Duration>) -> Policy {
        let crawler = &config.crawler;
        Policy {
            min_delay: min_delay.unwrap_or(crawler.min_delay),
            delay_factor: crawler.delay_factor,
            max_delay: crawler.max_delay,
            crawl_delay_cap: crawler.crawl_delay_cap,
        }
    }
}

impl Default for Policy {
    /// The `[crawler]` defaults (docs/configuration.md), from the one place they are set.
    fn default() -> Policy {
        use crate::config::{
            DEFAULT_CRAWL_DELAY_CAP, DEFAULT_DELAY_FACTOR, DEFAULT_MAX_DELAY, DEFAULT_MIN_DELAY,
        };
        Policy {
            min_delay: DEFAULT_MIN_DELAY,
            delay_factor: DEFAULT_DELAY_FACTOR,
            max_delay: DEFAULT_MAX_DELAY,
            crawl_delay_cap: DEFAULT_CRAWL_DELAY_CAP,
        }
    }
}

impl Policy {
    /// `max(min_delay, min(crawl_delay, crawl_delay_cap), min(delay_factor × last_fetch,
    /// max_delay))` (docs/archive.md, "Politeness").
    pub fn delay(&self, crawl_delay: Option<Duration>, last_fetch: Duration) -> Duration {
        let robots = crawl_delay.unwrap_or_default().min(self.crawl_delay_cap);
        let adaptive = scale(last_fetch, self.delay_factor).min(self.max_delay);
        self.min_delay.max(robots).max(adaptive)
    }
}

/// `duration × factor`, saturating; a zero, negative or NaN factor gives zero.
fn scale(duration: Duration, factor: f64) -> Duration {
    if factor.is_nan() || factor <= 0.0 {
        return Duration::ZERO;
    }
    Duration::try_from_secs_f64(duration.as_secs_f64() * factor).unwrap_or(Duration::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn min_delay_is_the_floor() {
        let policy = Policy::default();
        assert_eq!(policy.delay(None, Duration::from_millis(100)), secs(2));
        assert_eq!(policy.delay(Some(secs(1)), Duration::ZERO), secs(2));
    }

    #[test]
    fn adaptive_part_scales_and_is_capped_by_max_delay() {
        let policy = Policy::default();
        assert_eq!(policy.delay(None, secs(5)), secs(10));
        assert_eq!(policy.delay(None, secs(60)), secs(30));
        assert_eq!(policy.delay(None, Duration::MAX), secs(30));
    }

    #[test]
    fn crawl_delay_is_honoured_up_to_its_cap() {
        let policy = Policy::default();
        assert_eq!(policy.delay(Some(secs(10)), secs(1)), secs(10));
        assert_eq!(policy.delay(Some(secs(1000)), secs(1)), secs(300));
        // Crawl-delay above max_delay still counts: max_delay only caps the adaptive part.
        assert_eq!(policy.delay(Some(secs(45)), secs(60)), secs(45));
    }

    #[test]
    fn factor_zero_or_nonsense_disables_the_adaptive_part() {
        for delay_factor in [0.0, -1.0, f64::NAN] {
            let policy = Policy {
                delay_factor,
                ..Policy::default()
            };
            assert_eq!(policy.delay(None, secs(20)), secs(2), "{delay_factor}");
        }
    }

    #[test]
    fn fractional_factor() {
        let policy = Policy {
            delay_factor: 0.5,
            min_delay: Duration::ZERO,
            ..Policy::default()
        };
        assert_eq!(policy.delay(None, secs(9)), Duration::from_millis(4500));
    }
}
