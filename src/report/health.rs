//! Portal health for `baoluu status` (issue 9, part 3): the signals that a portal was
//! redesigned or moved, so a user knows which profile to update. From the last run's report:
//! no new articles, articles whose body needed the generic extractor although the portal has
//! selectors (its own or its family's), pages redirecting to a host outside the portal; from
//! the store's robots.txt cache: a robots.txt that could not be fetched or that shuts baoluu
//! out of a seed. Read-only; it judges, it never changes a profile.

use url::Url;

use super::{Error, RunReport};
use crate::config::Portal;
use crate::robots::{Robots, authority, product_token};
use crate::store::Store;

/// Share of generic-extractor articles above which the selectors are said to have stopped
/// matching: a few misses are odd pages (galleries, videos), most misses are a redesign.
const GENERIC_SHARE: f64 = 0.5;

/// One line per signal; `["ok"]` when nothing is wrong, and a note when the portal never ran.
pub fn signals(
    store: Option<&Store>,
    portal: &Portal,
    last: Option<&RunReport>,
    user_agent: &str,
) -> Result<Vec<String>, Error> {
    let mut lines = Vec::new();
    if let Some(report) = last {
        run_signals(portal, report, &mut lines);
    }
    if let Some(store) = store {
        robots_signals(store, portal, &product_token(user_agent), &mut lines)?;
    }
    // "ok" only when the run recorded what health is judged by (older reports did not).
    let judged = last.is_some_and(|r| r.per_portal.contains_key(&portal.name));
    if lines.is_empty() && judged {
        lines.push("ok".to_string());
    }
    Ok(lines)
}

fn run_signals(portal: &Portal, report: &RunReport, lines: &mut Vec<String>) {
    let Some(stats) = report.per_portal.get(&portal.name) else {
        return;
    };
    if stats.indexed == 0 && !report.interrupted {
        lines
            .push("no new articles in the last run (quiet portal, or its listings changed)".into());
    }
    let has_selectors = portal.selectors.is_some();
    let share = stats.generic as f64 / stats.indexed.max(1) as f64;
    if has_selectors && stats.indexed > 0 && share > GENERIC_SHARE {
        let profile = match &portal.family {
            Some(family) => format!("family {family}"),
            None => "its selectors".to_string(),
        };
        lines.push(format!(
            "selectors stopped matching: {} of {} new articles needed the generic extractor; the markup changed? check the profile ({profile}) with `baoluu probe`",
            stats.generic, stats.indexed
        ));
    }
    for (host, count) in &stats.moved_to {
        lines.push(format!(
            "redirects to another host: {host} ({count} pages); the portal may have moved: add the host or a new profile"
        ));
    }
}

/// The cached robots.txt of each seed's authority (what the last run used).
fn robots_signals(
    store: &Store,
    portal: &Portal,
    token: &str,
    lines: &mut Vec<String>,
) -> Result<(), Error> {
    let mut seen = Vec::new();
    for seed in &portal.seeds {
        let key = authority(seed);
        if seen.contains(&key) {
            continue;
        }
        if let Some(line) = robots_line(store, seed, &key, token)? {
            lines.push(line);
        }
        seen.push(key);
    }
    Ok(())
}

fn robots_line(store: &Store, seed: &Url, key: &str, token: &str) -> Result<Option<String>, Error> {
    let Some((_, _, body)) = store.robots_get(key)? else {
        return Ok(None);
    };
    let Ok(robots) = Robots::from_cache(&body, token) else {
        return Ok(None);
    };
    Ok(if robots.is_unreachable() {
        Some(format!(
            "robots.txt of {key} could not be fetched at the last try: nothing on that host is crawled until it can"
        ))
    } else if !robots.allowed(seed) {
        Some(format!(
            "robots.txt of {key} disallows the seed {seed}: the portal shut crawlers out"
        ))
    } else {
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crawl::PortalStats;
    use crate::report::tests::sample;
    use std::collections::BTreeMap;

    fn portal(selectors: bool) -> Portal {
        let text = format!(
            "[crawler]\nuser_agent = \"baoluu/0.1 (+mailto:x@y.vn)\"\n[[portal]]\nname = \"p\"\nseeds = [\"https://p.vn/\"]\nhosts = [\"p.vn\"]\narticle_urls = ['^https://p\\.vn/a-\\d+$']\nlisting_urls = []\n{}",
            if selectors {
                "[portal.selectors]\nbody = \"div.x\"\n"
            } else {
                ""
            }
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        crate::config::Config::load(&path)
            .unwrap()
            .portals
            .remove(0)
    }

    fn report(stats: PortalStats) -> RunReport {
        let mut report = sample(&["p"], 1, 9);
        report.per_portal = BTreeMap::from([("p".to_string(), stats)]);
        report
    }

    #[test]
    fn a_healthy_run_is_ok_and_a_portal_that_never_ran_says_nothing() {
        let stats = PortalStats {
            indexed: 10,
            generic: 2,
            ..PortalStats::default()
        };
        let ok = signals(None, &portal(true), Some(&report(stats)), "baoluu").unwrap();
        assert_eq!(ok, vec!["ok".to_string()]);
        assert!(
            signals(None, &portal(true), None, "baoluu")
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn selectors_that_stopped_matching_and_a_move_are_flagged() {
        let stats = PortalStats {
            indexed: 4,
            generic: 3,
            moved_to: BTreeMap::from([("moi.vn".to_string(), 7)]),
            ..PortalStats::default()
        };
        let lines = signals(None, &portal(true), Some(&report(stats.clone())), "baoluu").unwrap();
        assert!(
            lines[0].starts_with("selectors stopped matching: 3 of 4"),
            "{lines:?}"
        );
        assert!(lines[1].contains("moi.vn (7 pages)"), "{lines:?}");
        // Without selectors the generic extractor is the plan, not a symptom.
        let lines = signals(None, &portal(false), Some(&report(stats)), "baoluu").unwrap();
        assert_eq!(lines.len(), 1, "{lines:?}");
    }

    #[test]
    fn unreachable_and_shut_out_robots_are_flagged() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        let p = portal(false);
        let key = authority(&p.seeds[0]);
        let shut = Robots::from_fetch(
            crate::robots::Fetched::Response {
                status: 200,
                content_encoding: None,
                body: b"User-agent: *\nDisallow: /\n",
            },
            "baoluu",
        );
        store
            .robots_put(&key, 1.0, shut.state(), &shut.to_cache())
            .unwrap();
        let lines = signals(Some(&store), &p, None, "baoluu/0.1").unwrap();
        assert!(lines[0].contains("disallows the seed"), "{lines:?}");
        let down = Robots::from_fetch(crate::robots::Fetched::Failed, "baoluu");
        store
            .robots_put(&key, 2.0, down.state(), &down.to_cache())
            .unwrap();
        let lines = signals(Some(&store), &p, None, "baoluu/0.1").unwrap();
        assert!(lines[0].contains("could not be fetched"), "{lines:?}");
    }
}
