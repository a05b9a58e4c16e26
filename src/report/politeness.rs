//! What politeness is in force, per host, for `baoluu status` (issue 13, item 12): the gap the
//! gate keeps between requests (min_delay, robots.txt Crawl-delay under its cap, the adaptive
//! part), robots.txt's state and when it was fetched, and how often the host asked us to back
//! off in the last run. Reads the configuration, the store's robots.txt cache and the last run
//! report; it never fetches and never changes a delay.

use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::{Error, RunReport};
use crate::config::{Config, Portal};
use crate::robots::{CACHE_TTL, Robots, authority, product_token};
use crate::schedule::VIETNAM;
use crate::store::{CachedRobots, Store};

/// One line per host of `portal`.
pub fn lines(
    store: Option<&Store>,
    config: &Config,
    portal: &Portal,
    last: Option<&RunReport>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, Error> {
    let policy = crate::politeness::Policy::from_config(config, portal.min_delay);
    let token = product_token(&config.crawler.user_agent);
    let mut out = Vec::new();
    for host in &portal.hosts {
        let robots = match store {
            Some(store) => cached_robots(store, host, &token)?,
            None => None,
        };
        let crawl_delay = robots.as_ref().and_then(|r| r.robots.crawl_delay());
        let mut line = format!(
            "{host}: {}",
            delay_text(&policy, crawl_delay, config.crawler.delay_factor)
        );
        line.push_str("; ");
        line.push_str(&robots_text(robots.as_ref(), now));
        let backoffs = last
            .and_then(|r| r.backoffs.get(host))
            .copied()
            .unwrap_or(0);
        if backoffs > 0 {
            line.push_str(&format!(
                "; backed off {backoffs}× in the last run (429/503: the whole host paused)"
            ));
        }
        out.push(line);
    }
    Ok(out)
}

/// "≥ 5s between requests (Crawl-delay 5s; min_delay 2s; up to 30s on slow answers)".
fn delay_text(
    policy: &crate::politeness::Policy,
    crawl_delay: Option<Duration>,
    factor: f64,
) -> String {
    let floor = policy.delay(crawl_delay, Duration::ZERO);
    let mut why = vec![format!("min_delay {}", secs(policy.min_delay))];
    if let Some(asked) = crawl_delay {
        let honoured = asked.min(policy.crawl_delay_cap);
        let capped = if honoured < asked {
            format!(
                ", capped at crawl_delay_cap {}",
                secs(policy.crawl_delay_cap)
            )
        } else {
            String::new()
        };
        why.insert(0, format!("robots.txt Crawl-delay {}{capped}", secs(asked)));
    }
    if factor > 0.0 && policy.max_delay > floor {
        why.push(format!(
            "up to {} after slow answers ({factor}× the fetch time)",
            secs(policy.max_delay)
        ));
    }
    format!("≥ {} between requests ({})", secs(floor), why.join("; "))
}

fn secs(d: Duration) -> String {
    humantime::format_duration(Duration::from_millis(d.as_millis() as u64)).to_string()
}

/// A robots.txt verdict from the store's cache, with when it was fetched.
struct Cached {
    robots: Robots,
    fetched: DateTime<Utc>,
    authority: String,
}

/// The cached robots.txt of `host` (written `host` or `host:port`), over https, else http.
fn cached_robots(store: &Store, host: &str, token: &str) -> Result<Option<Cached>, Error> {
    for scheme in ["https", "http"] {
        let Ok(url) = Url::parse(&format!("{scheme}://{host}/")) else {
            continue;
        };
        let key = authority(&url);
        let Some(CachedRobots {
            fetched_at, body, ..
        }) = store.robots_get(&key)?
        else {
            continue;
        };
        let Ok(robots) = Robots::from_cache(&body, token) else {
            continue; // an entry of an older format: the next crawl fetches it again
        };
        let fetched = DateTime::from_timestamp(fetched_at as i64, 0).unwrap_or_default();
        return Ok(Some(Cached {
            robots,
            fetched,
            authority: key,
        }));
    }
    Ok(None)
}

/// "robots.txt: rules (fetched 2026-12-03 09:00 +07:00, fresh until …)".
fn robots_text(cached: Option<&Cached>, now: DateTime<Utc>) -> String {
    let Some(c) = cached else {
        return "robots.txt not fetched yet".to_string();
    };
    let state = match c.robots.state() {
        "rules" => "rules obeyed",
        "unavailable" => "unavailable (4xx: everything allowed)",
        _ => "unreachable (everything disallowed until it can be fetched)",
    };
    let fetched = c
        .fetched
        .with_timezone(&VIETNAM)
        .format("%Y-%m-%d %H:%M %:z");
    let ttl = chrono::Duration::from_std(CACHE_TTL).unwrap_or_default();
    let age = if now - c.fetched > ttl {
        ", stale: fetched again before the next request"
    } else {
        ""
    };
    format!(
        "robots.txt of {}: {state}, fetched {fetched}{age}",
        c.authority
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::politeness::Policy;

    fn policy() -> Policy {
        Policy {
            min_delay: Duration::from_secs(2),
            delay_factor: 2.0,
            max_delay: Duration::from_secs(30),
            crawl_delay_cap: Duration::from_secs(300),
        }
    }

    #[test]
    fn the_floor_is_the_larger_of_min_delay_and_crawl_delay() {
        let text = delay_text(&policy(), None, 2.0);
        assert!(
            text.starts_with("≥ 2s between requests (min_delay 2s; up to 30s"),
            "{text}"
        );
        let text = delay_text(&policy(), Some(Duration::from_secs(5)), 0.0);
        assert_eq!(
            text,
            "≥ 5s between requests (robots.txt Crawl-delay 5s; min_delay 2s)"
        );
        let text = delay_text(&policy(), Some(Duration::from_secs(900)), 0.0);
        assert!(text.starts_with("≥ 5m between requests"), "{text}");
        assert!(
            text.contains("Crawl-delay 15m, capped at crawl_delay_cap 5m"),
            "{text}"
        );
    }
}
