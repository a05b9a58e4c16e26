//! What `baoluu status` prints: per configured portal, the last run's report, when the next run
//! is due (issue 5, part 4) and the portal's health problems, as text or (`--json`, issue 14
//! part 4) as one JSON document with the stable problem codes of docs/status.md. Read-only: it
//! opens the store read-only and schedules nothing.

use std::fmt::Write;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{Error, RunReport, latest};
use crate::config::{Config, Portal};
use crate::schedule::{Schedule, VIETNAM};
use crate::store::Store;
use crate::summary::PortalStats;

/// The crawl-state file inside `archive_dir` (the same one the crawl and daemon open).
const STATE_FILE: &str = "state.sqlite";

/// The store, when a crawl ever created one.
fn open_store(archive_dir: &Path) -> Result<Option<Store>, Error> {
    let state = archive_dir.join(STATE_FILE);
    // Opening would create an empty database; `status` must not invent state. Read-only: an
    // operator who may only read the archive runs it too (issue 13, item 8).
    Ok(match state.exists() {
        true => Some(Store::open_read_only(&state)?),
        false => None,
    })
}

/// One paragraph per configured portal; times in +07:00.
pub fn status(archive_dir: &Path, config: &Config, now: DateTime<Utc>) -> Result<String, Error> {
    let store = open_store(archive_dir)?;
    let mut out = String::new();
    for portal in &config.portals {
        let last = latest(archive_dir, &portal.name)?;
        let next = next_line(store.as_ref(), portal, now)?;
        let _ = writeln!(out, "{}: {}", portal.name, last_line(last.as_ref()));
        let _ = writeln!(out, "  next: {next}");
        for line in super::health::signals(
            store.as_ref(),
            portal,
            last.as_ref(),
            &config.crawler.user_agent,
        )? {
            let _ = writeln!(out, "  health: {line}");
        }
        if let Some(stats) = last.as_ref().and_then(|r| r.per_portal.get(&portal.name)) {
            let _ = writeln!(
                out,
                "  coverage: sitemaps and feeds listed {} articles, {} archived",
                stats.listed, stats.listed_archived
            );
        }
        let stats = last.as_ref().and_then(|r| r.per_portal.get(&portal.name));
        if let Some(changes) = stats.and_then(PortalStats::changes_line) {
            let _ = writeln!(out, "  changes: {changes}");
        }
        for shape in learned(store.as_ref(), portal)? {
            let _ = writeln!(out, "  learned pattern: ^{shape}$");
        }
        for line in super::politeness::lines(store.as_ref(), config, portal, last.as_ref(), now)? {
            let _ = writeln!(out, "  politeness: {line}");
        }
    }
    if let (Some(_), Some(store)) = (&config.storage, &store) {
        for line in crate::storage::queue_lines(&crate::storage::queue_status(store)?) {
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(out)
}

/// `status --json`: `{"portals": [{"name", "last_run", "next_run", "health": {"ok",
/// "problems"}, "coverage", "changes", "learned_patterns"}]}`, times RFC 3339 in +07:00 (null when the
/// portal never ran, or when no schedule applies).
pub fn status_json(
    archive_dir: &Path,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    let store = open_store(archive_dir)?;
    let mut portals = Vec::new();
    for portal in &config.portals {
        let last = latest(archive_dir, &portal.name)?;
        let ua = &config.crawler.user_agent;
        let problems = super::health::problems(store.as_ref(), portal, last.as_ref(), ua)?;
        let stats = last.as_ref().and_then(|r| r.per_portal.get(&portal.name));
        portals.push(serde_json::json!({
            "name": portal.name,
            "last_run": last.as_ref().map(|r| rfc3339(r.started)),
            "next_run": next_run(store.as_ref(), portal, now)?.map(rfc3339),
            "health": {"ok": problems.is_empty(), "problems": problems},
            "coverage": stats.map(|s| serde_json::json!({
                "listed": s.listed,
                "archived": s.listed_archived,
            })),
            "changes": stats.map(super::changes::json),
            "learned_patterns": learned(store.as_ref(), portal)?
                .iter()
                .map(|shape| format!("^{shape}$"))
                .collect::<Vec<_>>(),
        }));
    }
    let mut doc = serde_json::json!({ "portals": portals });
    // The upload queue (issue 18): present when `[storage]` is configured.
    if let (Some(_), Some(store)) = (&config.storage, &store) {
        doc["storage"] = serde_json::json!(crate::storage::queue_status(store)?);
    }
    Ok(format!(
        "{}\n",
        serde_json::to_string_pretty(&doc).unwrap_or_default()
    ))
}

/// The URL shapes runs learned for `portal` under its current patterns (issue 14).
fn learned(store: Option<&Store>, portal: &Portal) -> Result<Vec<String>, Error> {
    match store {
        Some(store) => Ok(store.learned_shapes(&portal.name, &portal.profile_key())?),
        None => Ok(Vec::new()),
    }
}

/// When the schedule runs the portal next; None without state or with a bad schedule.
fn next_run(
    store: Option<&Store>,
    portal: &Portal,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Error> {
    let (Some(store), Ok(schedule)) = (store, Schedule::parse(&portal.schedule)) else {
        return Ok(None);
    };
    let last = store.last_run(&portal.name)?;
    Ok(Some(schedule.next_after(last.end, now)))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.with_timezone(&VIETNAM)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// "run 42 finished 2026-11-27 09:00 → 09:05 (+07:00): 10 fetched, …; not_found 2".
fn last_line(report: Option<&RunReport>) -> String {
    let Some(r) = report else {
        return "never ran".to_string();
    };
    let state = if r.interrupted {
        "interrupted (resumable)"
    } else {
        "finished"
    };
    let mut line = format!(
        "run {} {state}, {} → {}: {} fetched, {} archived, {} new articles, {} bytes",
        r.run,
        local(r.started),
        local(r.ended),
        r.fetched,
        r.archived,
        r.indexed,
        r.bytes
    );
    let failures: Vec<String> = r
        .by_outcome
        .iter()
        .filter(|(outcome, _)| *outcome != "archived")
        .map(|(outcome, n)| format!("{outcome} {n}"))
        .collect();
    if !failures.is_empty() {
        let _ = write!(line, "; {}", failures.join(", "));
    }
    line
}

/// When the schedule says the portal runs next, from the store's last completed run.
fn next_line(store: Option<&Store>, portal: &Portal, now: DateTime<Utc>) -> Result<String, Error> {
    let schedule = match Schedule::parse(&portal.schedule) {
        Ok(schedule) => schedule,
        Err(err) => return Ok(format!("unknown ({err})")),
    };
    let Some(store) = store else {
        return Ok("no state yet".to_string());
    };
    let last = store.last_run(&portal.name)?;
    let next = schedule.next_after(last.end, now);
    let due = if next <= now { " (due now)" } else { "" };
    Ok(format!("{}{due} [{}]", local(next), portal.schedule.trim()))
}

fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&VIETNAM)
        .format("%Y-%m-%d %H:%M:%S %:z")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::sample;

    #[test]
    fn never_ran_and_a_summary_line() {
        assert_eq!(last_line(None), "never ran");
        let line = last_line(Some(&sample(&["p"], 4, 2)));
        assert_eq!(
            line,
            "run 4 finished, 2026-11-27 09:00:00 +07:00 → 2026-11-27 09:05:00 +07:00: \
             10 fetched, 8 archived, 3 new articles, 12345 bytes; robots-disallowed 2"
        );
    }

    #[test]
    fn local_times_are_vietnam_time() {
        let t = DateTime::parse_from_rfc3339("2026-11-27T20:00:00Z").unwrap();
        assert_eq!(local(t.to_utc()), "2026-11-28 03:00:00 +07:00");
    }
}
