//! Politeness efficiency: H hosts × delay d. Ideal is H/d requests per second (each host one
//! request every d, since the delay counts from the end of a response and loopback responses
//! take well under a millisecond). Measured from the server's arrival log, per host from its
//! first request to its last, so process start-up and the final drain do not count against it.

use std::time::{Duration, Instant};

pub struct Politeness {
    /// Σ (requests − 1) × d / Σ (last − first): 1.0 is ideal.
    pub efficiency: f64,
    /// Requests per second over the hosts' active spans, all hosts together.
    pub rate: f64,
    /// The ideal H/d.
    pub ideal: f64,
    /// Shortest gap between two requests to one host (must be ≥ d).
    pub min_gap: Duration,
    pub requests: usize,
}

pub fn analyse(logs: &[Vec<Instant>], delay: Duration) -> Politeness {
    let (mut intervals, mut span) = (0usize, Duration::ZERO);
    let mut min_gap = Duration::MAX;
    let (mut first, mut last): (Option<Instant>, Option<Instant>) = (None, None);
    for log in logs.iter().filter(|l| l.len() >= 2) {
        let mut sorted = log.clone();
        sorted.sort();
        intervals += sorted.len() - 1;
        span += sorted[sorted.len() - 1] - sorted[0];
        for pair in sorted.windows(2) {
            min_gap = min_gap.min(pair[1] - pair[0]);
        }
        first = Some(first.map_or(sorted[0], |f| f.min(sorted[0])));
        let end = sorted[sorted.len() - 1];
        last = Some(last.map_or(end, |l| l.max(end)));
    }
    let requests: usize = logs.iter().map(Vec::len).sum();
    let ideal = logs.len() as f64 / delay.as_secs_f64();
    let whole = match (first, last) {
        (Some(f), Some(l)) => (l - f).as_secs_f64(),
        _ => 0.0,
    };
    Politeness {
        efficiency: intervals as f64 * delay.as_secs_f64() / span.as_secs_f64().max(1e-9),
        rate: requests.saturating_sub(1) as f64 / whole.max(1e-9),
        ideal,
        min_gap,
        requests,
    }
}
