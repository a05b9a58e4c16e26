//! Judging a fetch of an archived article against its history (issue 15): the crawl side of
//! [`crate::history`]. [`decide`] is pure: from what the store knows of the article, the answer
//! (status, redirect target, the capture that proves it) and the extracted article, it says
//! which index line to write (a new version), which events to record and what the store keeps.
//! [`write`] then appends the index line and the events through the WARC recorder, in that
//! order, each after its `metadata` record is durable (docs/architecture.md rule 6; a kill between the two is
//! repaired on the next start from the index line, see `session.rs`). Never touches the
//! frontier or marks a URL done. `held` writes the removals a run held for its end (suspect
//! runs); `archived` reads the fingerprint of an article archived before the history migration.

use chrono::{DateTime, SecondsFormat, Utc};
use url::Url;

use super::page::Extracted;
use super::task::PortalRun;
use super::visit::{Hop, Refusal, Visit};
use crate::archive::{self, Capture};
use crate::history::{self, Change, Event, Fingerprint, Pointer, ladder::Plan};
use crate::index;
use crate::scope::{Decision, Kind};
use crate::store::{ArticleRow, Known, Revision};

mod archived;
mod held;

pub(super) use archived::with_fingerprint;
pub(super) use held::release_held;

/// What a visit answered, as far as history cares.
#[derive(Debug, Clone)]
pub(super) struct Answer {
    /// The capture that shows the article's state: the last response, or the redirect.
    pub proof: Option<Capture>,
    /// Where the URL now leads, when it redirects elsewhere.
    pub target: Option<Url>,
    /// The payload equals the last capture's (a `revisit` record).
    pub unchanged: bool,
    /// The response archived at `target` now, when the redirect was followed (a move's new URL).
    pub reached: Option<Capture>,
}

impl Answer {
    pub(super) fn of(visit: &Visit, url: &Url) -> Answer {
        let (hops, refused_to) = match visit {
            Visit::Archived { hops } => (hops, None),
            Visit::Refused { hops, refusal } => (hops, refusal_target(refusal)),
            Visit::Failed { hops, .. } => (hops, None),
        };
        let last = hops.last().map(|h: &Hop| h.capture.clone());
        let moved_on = last
            .as_ref()
            .filter(|c| c.url != *url)
            .map(|c| c.url.clone());
        let reached = moved_on.as_ref().and(last.clone());
        let target = refused_to.or(moved_on);
        // A redirect proves a removal or a move by itself; otherwise the last answer does.
        let proof = match &target {
            Some(_) => hops.first().map(|h| h.capture.clone()),
            None => last.clone(),
        };
        let unchanged = last.as_ref().is_some_and(|c| c.revisit.is_some());
        Answer {
            proof,
            target,
            unchanged,
            reached,
        }
    }
}

fn refusal_target(refusal: &Refusal) -> Option<Url> {
    match refusal {
        Refusal::AlreadyArchived { target } | Refusal::RedirectOutOfScope { target } => {
            Url::parse(target).ok()
        }
        _ => None,
    }
}

/// What a fetch does to an article's history.
#[derive(Debug, Clone, Default)]
pub(super) struct Verdict {
    /// Index the article as this version, with this `previous` (None: no new line).
    pub line: Option<(u32, Option<Pointer>)>,
    /// Events to record: change, fields, target.
    pub events: Vec<(Change, Vec<String>, Option<String>)>,
    /// The store's new state (None: not an article the history follows).
    pub revision: Option<Revision>,
    /// A move's new URL, indexed now as its version 1: its URL and store state.
    pub target: Option<(String, Revision)>,
}

/// Judges one fetch of an article URL.
pub(super) fn decide(
    portal: &PortalRun,
    known: Option<&Known>,
    answer: &Answer,
    article: Option<&Extracted>,
    now: DateTime<Utc>,
) -> Verdict {
    let Some(proof) = &answer.proof else {
        return Verdict::default();
    };
    let plan = Plan::of(&portal.portal);
    let unix = |t: DateTime<Utc>| t.timestamp_micros() as f64 / 1e6;
    match known.filter(|k| k.version >= 1) {
        None => first_capture(proof, answer, article, &plan, unix(now)),
        Some(k) => {
            let first = k
                .first_captured_at
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map_or(now, |t| t.to_utc());
            let mut verdict = revisit(portal, k, proof, answer, article);
            let next = plan.next(unix(first), unix(now));
            let target = verdict.target.as_mut().map(|(_, r)| r);
            for revision in verdict.revision.iter_mut().chain(target) {
                revision.next_revisit = next;
            }
            verdict
        }
    }
}

fn first_capture(
    proof: &Capture,
    answer: &Answer,
    article: Option<&Extracted>,
    plan: &Plan,
    now: f64,
) -> Verdict {
    let Some(article) = article else {
        return Verdict::default();
    };
    if answer.target.is_some() {
        // Reached through a redirect: the target is indexed, but its history is not this
        // URL's (the redirecting URL is not followed).
        return Verdict {
            line: Some((1, None)),
            events: Vec::new(),
            revision: Some(Revision::default()),
            target: None,
        };
    }
    let revision = Revision {
        version: Some(1),
        fingerprint: Some(article.fingerprint.to_json()),
        pointer: Some(pointer(proof)),
        gone: None,
        first_captured_at: Some(proof.date.to_rfc3339_opts(SecondsFormat::Micros, true)),
        next_revisit: plan.next(now, now),
        held: None,
    };
    Verdict {
        line: Some((1, None)),
        events: Vec::new(),
        revision: Some(revision),
        target: None,
    }
}

fn revisit(
    portal: &PortalRun,
    k: &Known,
    proof: &Capture,
    answer: &Answer,
    article: Option<&Extracted>,
) -> Verdict {
    let mut v = Verdict {
        revision: Some(Revision {
            gone: k.gone.clone(),
            // An article archived before the history migration got its fingerprint from its
            // WARC record (`with_fingerprint`): kept on every path, or each later revisit reads
            // and extracts that record again.
            fingerprint: k.fingerprint.clone(),
            ..Revision::default()
        }),
        ..Verdict::default()
    };
    if answer.unchanged {
        return v;
    }
    let was = k.gone.as_deref();
    let removed = matches!(proof.status, 404 | 410)
        || article.is_some_and(|e| history::is_soft_404(&e.article))
        || answer
            .target
            .as_ref()
            .is_some_and(|t| leads_to_listing(portal, t));
    if removed {
        if was.is_none() {
            // Judged with the run's other removals at its end (issue 15: suspect runs).
            if let Some(revision) = &mut v.revision {
                revision.held = Some(held(portal, k, proof));
            }
            return v;
        }
        return gone(v, was, Change::Removed, None);
    }
    if let Some(target) = &answer.target {
        if portal.scope.classify(target) != Decision::In(Kind::Article) {
            return v;
        }
        let fields = article.map(|a| changed(k, a)).unwrap_or_default();
        let mut v = gone(v, was, Change::Moved, Some(target.to_string()));
        if let Some((_, fs, _)) = v.events.first_mut() {
            *fs = fields;
        }
        if v.events.is_empty() {
            // Moved before: the new URL has its own history since.
            return v;
        }
        return moved_to(v, k, target, answer.reached.as_ref().zip(article));
    }
    let Some(article) = article else {
        return v;
    };
    // Back after a suspect removal: the suspicion is dropped, nothing was taken down.
    if was.is_some_and(|w| w != Change::Suspect.as_str()) {
        v.events.push((Change::Restored, Vec::new(), None));
    }
    let revision = Revision {
        fingerprint: Some(article.fingerprint.to_json()),
        gone: None,
        ..Revision::default()
    };
    let fields = changed(k, article);
    if k.fingerprint.is_some() && !fields.is_empty() {
        let version = k.version + 1;
        v.line = Some((version, k.pointer.clone()));
        v.events.push((Change::Edited, fields, None));
        v.revision = Some(Revision {
            version: Some(version),
            pointer: Some(pointer(proof)),
            ..revision
        });
    } else {
        v.revision = Some(revision);
    }
    v
}

/// A move whose new URL was fetched now (`reached`, with its article): that URL is indexed as
/// its own version 1 (no `previous`, which always names the same URL; the `moved` event links
/// the two) and joins the ladder where the old URL was, counted from the first capture.
fn moved_to(
    mut v: Verdict,
    k: &Known,
    target: &Url,
    reached: Option<(&Capture, &Extracted)>,
) -> Verdict {
    let Some((capture, article)) = reached else {
        return v;
    };
    v.line = Some((1, None));
    let revision = Revision {
        version: Some(1),
        fingerprint: Some(article.fingerprint.to_json()),
        pointer: Some(pointer(capture)),
        first_captured_at: k.first_captured_at.clone(),
        ..Revision::default()
    };
    v.target = Some((target.to_string(), revision));
    v
}

/// A removal the run's end will judge: its event, and what its `metadata` record refers to.
fn held(portal: &PortalRun, k: &Known, proof: &Capture) -> String {
    let event = event(
        proof.url.as_str(),
        &portal.portal.name,
        Change::Removed,
        proof,
        k.pointer.clone(),
    );
    history::Held {
        event,
        record_id: proof.record_id.clone(),
        date: proof.date.to_rfc3339_opts(SecondsFormat::Micros, true),
    }
    .to_json()
}

/// The event `change` of `url`, proven by `proof`, after the version `previous`; no fields, no
/// target (the one place an event is built from a capture: `write` and `held`).
fn event(
    url: &str,
    portal: &str,
    change: Change,
    proof: &Capture,
    previous: Option<Pointer>,
) -> Event {
    Event {
        url: url.to_string(),
        portal: portal.to_string(),
        change,
        ts: ts(proof),
        fields: Vec::new(),
        status: proof.status,
        target: None,
        previous: previous.unwrap_or_default(),
        current: Pointer {
            ts: None,
            ..pointer(proof)
        },
    }
}

/// A removal or move, recorded once: a URL already in that state gets no second event.
fn gone(mut v: Verdict, was: Option<&str>, change: Change, target: Option<String>) -> Verdict {
    if was != Some(change.as_str()) {
        v.events.push((change, Vec::new(), target));
    }
    if let Some(revision) = &mut v.revision {
        revision.gone = Some(change.as_str().to_string());
    }
    v
}

/// The fields of `article` that differ from the last version's fingerprint (all of them when
/// the store has none: an article archived before issue 15 is compared from its next revisit).
fn changed(k: &Known, article: &Extracted) -> Vec<String> {
    match k.fingerprint.as_deref().and_then(Fingerprint::from_json) {
        Some(old) => old.changed(&article.fingerprint),
        None => Vec::new(),
    }
}

/// A redirect to the home page or a section: the article is gone (issue 15, item 4).
fn leads_to_listing(portal: &PortalRun, target: &Url) -> bool {
    let home = target.path() == "/" && target.query().is_none();
    let listing = matches!(
        portal.scope.classify(target),
        Decision::In(Kind::Seed | Kind::Listing)
    );
    portal.scope.on_hosts(target) && (home || listing)
}

fn pointer(capture: &Capture) -> Pointer {
    Pointer {
        filename: capture.filename.clone(),
        offset: capture.offset,
        length: capture.length,
        ts: Some(ts(capture)),
    }
}

/// The index line's `ts` of a capture.
fn ts(capture: &Capture) -> String {
    capture.date.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Where the crawl writes: the index and changes folders.
pub(super) struct Dirs<'a> {
    pub index: &'a std::path::Path,
    pub changes: &'a std::path::Path,
}

/// What [`write`] records: the article URL, its last version and the capture that proves the
/// change; `indexed` is the article's own capture and extraction, for a new index line.
pub(super) struct Record<'a> {
    pub url: &'a str,
    pub previous: Option<Pointer>,
    pub proof: &'a Capture,
    pub indexed: Option<(&'a Capture, crate::extract::Article)>,
    /// The deferred capture of `indexed` (issue 17): its metadata record is written after it,
    /// one fsync for both; taken when the line is written.
    pub after: &'a mut Option<archive::Unsynced>,
}

/// Appends the verdict's index line, then its events, each through the recorder after its
/// `metadata` record is durable. Returns the changes recorded and the status page's row of the
/// index line (issue 19), which the run loop writes with the URL's state.
pub(super) async fn write(
    recorder: &archive::Recorder,
    dirs: &Dirs<'_>,
    portal: &str,
    verdict: &Verdict,
    record: Record<'_>,
) -> Result<(Vec<Change>, Option<ArticleRow>), archive::Error> {
    let mut row = None;
    if let (Some((version, previous)), Some((capture, article))) = (&verdict.line, record.indexed) {
        let mut line = index::Line::new(portal, capture, article);
        line.version = *version;
        line.previous = previous.clone();
        let json = serde_json::to_vec(&line).unwrap_or_default();
        let file = Some(index::file_path(dirs.index, portal));
        let kind = "application/json";
        let pointer = match record.after.take() {
            Some(after) => {
                recorder
                    .metadata_after(after, capture, kind, json, file)
                    .await?
            }
            None => recorder.metadata(portal, capture, kind, json, file).await?,
        };
        row = Some(ArticleRow::of(&line, &pointer));
    }
    let mut changes = Vec::new();
    for (change, fields, target) in &verdict.events {
        let mut event = event(
            record.url,
            portal,
            *change,
            record.proof,
            record.previous.clone(),
        );
        event.fields.clone_from(fields);
        event.target.clone_from(target);
        event_record(recorder, dirs.changes, &event, record.proof).await?;
        tracing::info!(url = %event.url, change = change.as_str(), fields = ?event.fields, "article_changed");
        changes.push(*change);
    }
    Ok((changes, row))
}

/// One event: a `metadata` record (`WARC-Target-URI: urn:baoluu:change:URL`) whose block is
/// the event line, appended to the portal's changes file once the record is durable.
pub(super) async fn event_record(
    recorder: &archive::Recorder,
    changes_dir: &std::path::Path,
    event: &Event,
    proof: &Capture,
) -> Result<(), archive::Error> {
    let mut about = proof.clone();
    if let Ok(urn) = Url::parse(&format!("{}{}", history::CHANGE_URN, event.url)) {
        about.url = urn;
    }
    let json = serde_json::to_vec(event).unwrap_or_default();
    let file = history::file_path(changes_dir, &event.portal);
    recorder
        .metadata(&event.portal, &about, "application/json", json, Some(file))
        .await
        .map(drop)
}
