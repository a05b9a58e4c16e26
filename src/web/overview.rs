//! `/` and `/portal/{name}` of the status page (issue 19): one row per configured portal, and
//! one portal's newest articles, a page at a time.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use super::html::{Labels, esc, page};
use super::http::Reply;
use super::{Error, Site, chart, lookup};
use crate::config::Portal;
use crate::report::{self, RunReport};
use crate::schedule::{Schedule, VIETNAM};
use crate::store::Store;

/// Articles per page of `/portal/{name}`.
const PER_PAGE: u32 = 50;
/// The deepest page served: `OFFSET` work stays bounded (older articles: `/search`).
const MAX_PAGE: u32 = 200;

/// `/`: a table with one row per configured portal.
pub(super) fn overview(site: &Site, now: DateTime<Utc>) -> Result<Reply, Error> {
    let l = site.labels();
    let store = site.store()?;
    let mut body = format!(
        "<table><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>\n",
        l.portal, l.health, l.last_run, l.next_run, l.total, l.per_day
    );
    for portal in &site.config.portals {
        body.push_str(&portal_row(site, store.as_ref(), portal, now)?);
    }
    body.push_str("</table>");
    Ok(Reply::html(page(l, l.title, &body)))
}

fn portal_row(
    site: &Site,
    store: Option<&Store>,
    portal: &Portal,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    let l = site.labels();
    let last = report::latest(site.archive_dir(), &portal.name)?;
    let ua = &site.config.crawler.user_agent;
    let health = report::health::signals(store, portal, last.as_ref(), ua)?;
    let health: Vec<String> = health
        .iter()
        .map(|h| match h.as_str() {
            "ok" => format!("<span class=\"ok\">{}</span>", l.ok),
            other => format!("<span class=\"bad\">{}</span>", esc(other)),
        })
        .collect();
    let (total, days) = match store {
        Some(s) => (
            s.articles_total(&portal.name)?,
            s.article_days(&portal.name, &chart::first_day(now))?,
        ),
        None => (0, Vec::new()),
    };
    let name = esc(&portal.name);
    Ok(format!(
        "<tr><td><a href=\"/portal/{name}\">{name}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{total}</td><td>{}</td></tr>\n",
        health.join("<br>"),
        last_run(l, &portal.name, last.as_ref()),
        next_run(l, store, portal, now)?,
        chart::svg(&days, now, l.per_day),
    ))
}

/// "2026-11-27 09:05 +07:00 · 10 trang · 3 bài mới · 2 lỗi".
fn last_run(l: &Labels, portal: &str, report: Option<&RunReport>) -> String {
    let Some(r) = report else {
        return l.never.to_string();
    };
    let new = r.per_portal.get(portal).map_or(r.indexed, |s| s.indexed);
    let errors: u64 = (r.by_outcome.iter())
        .filter(|(outcome, _)| *outcome != "archived")
        .map(|(_, n)| n)
        .sum();
    let stopped = match r.interrupted {
        true => format!(" · {}", l.interrupted),
        false => String::new(),
    };
    format!(
        "{} · {} {} · {} {} · {errors} {}{stopped}",
        local(r.ended),
        r.fetched,
        l.pages,
        new,
        l.new_articles,
        l.errors
    )
}

/// When the schedule runs the portal next, as `baoluu status` computes it.
fn next_run(
    l: &Labels,
    store: Option<&Store>,
    portal: &Portal,
    now: DateTime<Utc>,
) -> Result<String, Error> {
    let Ok(schedule) = Schedule::parse(&portal.schedule) else {
        return Ok(esc(&portal.schedule));
    };
    let Some(store) = store else {
        return Ok(l.no_state.to_string());
    };
    let next = schedule.next_after(store.last_run(&portal.name)?.end, now);
    let due = if next <= now {
        format!(" ({})", l.due_now)
    } else {
        String::new()
    };
    Ok(format!("{}{due}", local(next)))
}

/// "2026-11-27 09:05 +07:00".
pub(super) fn local(t: DateTime<Utc>) -> String {
    t.with_timezone(&VIETNAM)
        .format("%Y-%m-%d %H:%M %:z")
        .to_string()
}

/// `/portal/{name}?page=N`: the newest articles, [`PER_PAGE`] a page; `None` for an unknown
/// portal.
pub(super) fn portal(site: &Site, name: &str, number: u32) -> Result<Option<Reply>, Error> {
    let Some(portal) = site.config.portal(name) else {
        return Ok(None);
    };
    let l = site.labels();
    let number = number.min(MAX_PAGE);
    let rows = match site.store()? {
        Some(store) => {
            store.newest_articles(&portal.name, PER_PAGE + 1, (number - 1) * PER_PAGE)?
        }
        None => Vec::new(),
    };
    let more = rows.len() > PER_PAGE as usize && number < MAX_PAGE;
    let shown = &rows[..rows.len().min(PER_PAGE as usize)];
    let mut body = lookup::table(site, shown, false);
    let name = esc(&portal.name);
    body.push_str("<p>");
    if number > 1 {
        let _ = write!(
            body,
            "<a href=\"/portal/{name}?page={}\">{}</a> ",
            number - 1,
            l.newer
        );
    }
    let _ = write!(body, "{} {number} ", l.page);
    if more {
        let _ = write!(
            body,
            "<a href=\"/portal/{name}?page={}\">{}</a>",
            number + 1,
            l.older
        );
    }
    body.push_str("</p>");
    let heading = format!("{}: {}", l.portal, portal.name);
    Ok(Some(Reply::html(page(l, &heading, &body))))
}
