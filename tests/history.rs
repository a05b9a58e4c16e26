//! Article history end to end (issue 15): a fixture portal is crawled, then edits two articles
//! (one's title and a paragraph, another's body only), changes only the page furniture of a
//! third, removes a fourth (404) and redirects a fifth to the home page; the home page of the
//! second run no longer links any of them, so only the store can send the crawler back. The
//! second run must report exactly two edits with the right fields and two removals; both
//! versions are in the WARCs and the index, pywb replays both, and `verify` is clean.

mod support;

use std::sync::atomic::Ordering;
use std::time::Duration;

use baoluu::archive::reader;
use serde_json::Value;
use support::cli::{baoluu, stderr, stdout, validate_index_lines, warc_files};
use support::history::{World, changes, crawl, index_lines, lines_of, path, verify_clean, world};
use support::pywb::{self, Wayback};
use support::wait::wait_past_last_fetch;

#[test]
fn a_second_run_reports_exactly_the_two_edits_and_the_two_removals() {
    let w = world("127.0.0.41", "");
    crawl(&w);
    let first = index_lines(&w);
    assert_eq!(first.len(), 6, "{first:?}");
    assert!(
        first
            .iter()
            .all(|l| l["version"] == 1 && l.get("previous").is_none())
    );
    // Distinct capture seconds, so replay can tell the versions apart.
    wait_past_last_fetch(&w.dir.path().join("archive"), Duration::from_secs(1));
    w.edited.store(true, Ordering::SeqCst);
    crawl(&w);

    let events = changes(&w);
    check_events(&w, &events);
    let lines = index_lines(&w);
    validate_index_lines(&w.dir.path().join("archive/index/h.jsonl"));
    check_both_versions(&w, &lines, &events);
    check_warcs(&w);
    check_text(&w);
    check_status(&w);
    verify_clean(&w);
    check_replay(&w, &lines);
    check_verify_catches_a_bad_previous(&w);
}

/// The change events are exactly the two edits (with their fields) and the two removals
/// (a 404 and a 301).
fn check_events(w: &World, events: &[Value]) {
    let summary: Vec<(String, String, Value)> = events
        .iter()
        .map(|e| {
            let url = e["url"].as_str().unwrap().to_string();
            (
                url,
                e["change"].as_str().unwrap().to_string(),
                e["fields"].clone(),
            )
        })
        .collect();
    let url = |n| w.fixture.url(&path(n));
    let mut expected = vec![
        (
            url(1),
            "edited".to_string(),
            serde_json::json!(["title", "text"]),
        ),
        (url(2), "edited".to_string(), serde_json::json!(["text"])),
        (url(4), "removed".to_string(), Value::Null),
        (url(5), "removed".to_string(), Value::Null),
    ];
    let mut got = summary.clone();
    got.sort_by(|a, b| a.0.cmp(&b.0));
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(got, expected, "{events:#?}");
    let statuses: Vec<u64> = events
        .iter()
        .map(|e| e["status"].as_u64().unwrap())
        .collect();
    assert!(
        statuses.contains(&404) && statuses.contains(&301),
        "{statuses:?}"
    );
}

/// Both versions of the edited articles are in the index: the first line stays, the edit
/// points back at it, as its event does; the other articles keep one line.
fn check_both_versions(w: &World, lines: &[Value], events: &[Value]) {
    for n in [1, 2] {
        let versions = lines_of(lines, w, n);
        assert_eq!(versions.len(), 2, "article {n}: {versions:?}");
        let (v1, v2) = (versions[0], versions[1]);
        assert_eq!(
            (v1["version"].as_u64(), v2["version"].as_u64()),
            (Some(1), Some(2))
        );
        let previous = &v2["previous"];
        for key in ["filename", "offset", "length", "ts"] {
            assert_eq!(previous[key], v1[key], "article {n}: previous.{key}");
        }
        let url = w.fixture.url(&path(n));
        let event = events.iter().find(|e| e["url"] == url.as_str()).unwrap();
        assert_eq!(event["previous"]["offset"], v1["offset"]);
        assert_eq!(event["current"]["offset"], v2["offset"]);
    }
    assert!(
        lines_of(lines, w, 1)[1]["title"]
            .as_str()
            .unwrap()
            .ends_with("thành công")
    );
    for n in [3, 4, 5, 6] {
        assert_eq!(
            lines_of(lines, w, n).len(),
            1,
            "article {n} got a second line"
        );
    }
}

/// `status` counts the last run's changes (issue 15, item 7), in text and JSON.
fn check_status(w: &World) {
    let text = stdout(&baoluu(&w.config, &["status"]));
    assert!(
        text.contains("  changes: 2 edited, 2 removed (baoluu changes)"),
        "{text}"
    );
    let out = baoluu(&w.config, &["status", "--json"]);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        doc["portals"][0]["changes"],
        serde_json::json!({"edited": 2, "removed": 2, "restored": 0, "moved": 0, "suspect": 0})
    );
}

/// `verify` follows `previous`: pointed at the WARC file's warcinfo record, it complains.
fn check_verify_catches_a_bad_previous(w: &World) {
    let index = w.dir.path().join("archive/index/h.jsonl");
    let text = std::fs::read_to_string(&index).unwrap();
    let broken: Vec<String> = text
        .lines()
        .map(|l| {
            let mut line: Value = serde_json::from_str(l).unwrap();
            if line.get("previous").is_some() {
                line["previous"]["offset"] = 0.into();
            }
            line.to_string()
        })
        .collect();
    std::fs::write(&index, broken.join("\n") + "\n").unwrap();
    let out = baoluu(&w.config, &["verify"]);
    assert_ne!(out.status.code(), Some(0));
    let report = stdout(&out) + &stderr(&out);
    assert!(report.contains("previous"), "{report}");
}

/// The furniture-only page's new bytes are archived (a second response), the untouched one is
/// a revisit record, and every event has its `metadata` record.
fn check_warcs(w: &World) {
    let archive = w.dir.path().join("archive");
    let records: Vec<reader::Record> = warc_files(&archive)
        .iter()
        .flat_map(|f| reader::records(f).unwrap().map(|r| r.unwrap()))
        .collect();
    let responses = |n: u32| {
        let url = w.fixture.url(&path(n));
        records
            .iter()
            .filter(|r| r.record_type() == Some("response"))
            .filter(|r| r.header("WARC-Target-URI") == Some(url.as_str()))
            .count()
    };
    assert_eq!(
        responses(3),
        2,
        "the furniture change is archived for replay"
    );
    assert_eq!(responses(6), 1, "an unchanged article is a revisit record");
    let events = records
        .iter()
        .filter(|r| r.record_type() == Some("metadata"))
        .filter(|r| {
            r.header("WARC-Target-URI")
                .is_some_and(|t| t.starts_with("urn:baoluu:change:http://"))
        })
        .count();
    assert_eq!(events, 4);
}

/// The text form: newest first, with a word diff that keeps Vietnamese words whole.
fn check_text(w: &World) {
    let out = baoluu(&w.config, &["changes", "--portal", "h"]);
    let text = stdout(&out);
    assert!(text.contains("năm 2022 {+thành công+}"), "{text}");
    assert!(text.contains("[-tiếp tục-] {+quyết tâm+}"), "{text}");
    assert_eq!(text.matches(" removed ").count(), 2, "{text}");
    let other = baoluu(&w.config, &["changes", "--portal", "other", "--json"]);
    assert_eq!(stdout(&other), "");
}

/// pywb lists both captures of an edited article and replays each version.
fn check_replay(w: &World, lines: &[Value]) {
    let root = tempfile::tempdir().unwrap();
    let warcs = warc_files(&w.dir.path().join("archive"));
    if pywb::collection(root.path(), &warcs).is_none() {
        return;
    }
    let wayback = Wayback::start(root.path()).unwrap();
    let url = w.fixture.url(&path(1));
    let cdx = wayback.get(&format!("/{}/cdx?url={url}&output=json", pywb::COLL));
    let listed = String::from_utf8_lossy(&cdx.decoded_body()).to_string();
    let captures = listed
        .lines()
        .filter(|l| l.contains("\"status\": \"200\"") || l.contains("\"status\":\"200\""))
        .count();
    assert_eq!(captures, 2, "{listed}");
    for line in lines_of(lines, w, 1) {
        let at: String = line["ts"]
            .as_str()
            .unwrap()
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let page = wayback.get(&format!("/{}/{at}id_/{url}", pywb::COLL));
        let body = String::from_utf8_lossy(&page.decoded_body()).to_string();
        let title = line["title"].as_str().unwrap();
        assert!(
            body.contains(&format!("<h1>{title}</h1>")),
            "{at}: {}",
            page.describe()
        );
    }
}

/// Changes by kind, counted.
fn kinds(events: &[Value]) -> std::collections::BTreeMap<String, usize> {
    let mut counts = std::collections::BTreeMap::new();
    for e in events {
        *counts
            .entry(e["change"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    counts
}

/// Runs 1 and 2 of the outage portal: every one of its 12 articles answers 404 in run 2, so
/// the removals are `suspect` (issue 15 item 4), none `removed`, and `status` flags the portal.
fn outage_run(ip: &str) -> support::history::Outage {
    use support::history::{OUTAGE_ARTICLES, outage, problems};
    let o = outage(ip);
    crawl(&o.world);
    assert_eq!(index_lines(&o.world).len(), OUTAGE_ARTICLES as usize);
    o.down.store(true, Ordering::SeqCst);
    crawl(&o.world);
    let events = changes(&o.world);
    assert_eq!(
        kinds(&events),
        [("suspect".to_string(), 12)].into(),
        "{events:#?}"
    );
    let problems = problems(&o.world);
    let flagged: Vec<&Value> = problems
        .iter()
        .filter(|p| p["code"] == "suspect-removals")
        .collect();
    assert_eq!(flagged.len(), 1, "{problems:?}");
    assert_eq!(flagged[0]["count"], 12);
    let text = stdout(&baoluu(&o.world.config, &["status"]));
    assert!(text.contains("[suspect-removals]"), "{text}");
    assert!(
        text.contains("  changes: 12 suspect (baoluu changes)"),
        "{text}"
    );
    o
}

#[test]
fn a_portal_whose_articles_all_vanish_at_once_is_suspect_and_cleared_when_it_comes_back() {
    let o = outage_run("127.0.0.43");
    o.down.store(false, Ordering::SeqCst);
    let before = o.world.fixture.log().len();
    crawl(&o.world);
    // Each suspect article was asked again.
    let asked = o.world.fixture.log().split_off(before);
    for n in 1..=12 {
        assert!(asked.iter().any(|r| r.target == path(n)), "article {n}");
    }
    let events = changes(&o.world);
    assert_eq!(kinds(&events), [("suspect".to_string(), 12)].into());
    let problems = support::history::problems(&o.world);
    assert!(
        problems.iter().all(|p| p["code"] != "suspect-removals"),
        "{problems:?}"
    );
}

#[test]
fn suspect_removals_still_gone_on_the_next_run_are_confirmed() {
    let o = outage_run("127.0.0.44");
    crawl(&o.world);
    let events = changes(&o.world);
    assert_eq!(
        kinds(&events),
        [("removed".to_string(), 12), ("suspect".to_string(), 12)].into(),
        "{events:#?}"
    );
    let problems = support::history::problems(&o.world);
    assert!(problems.iter().all(|p| p["code"] != "suspect-removals"));
}

/// Revisits stay within `revisit_budget` even when the home page links every known article
/// again, and come after the new articles (issue 15, item 1): counted at the server.
#[test]
fn rediscovered_articles_are_revisited_within_the_budget_after_new_ones() {
    let o = support::history::outage_with("127.0.0.45", "revisit_budget = 3");
    crawl(&o.world);
    let before = o.world.fixture.log().len();
    crawl(&o.world);
    let asked = articles_asked(&o.world, before);
    assert_eq!(asked.len(), 3, "{asked:?}");

    // The history portal's second run links one new article and no known one.
    let w = world("127.0.0.45", "revisit_budget = 2");
    crawl(&w);
    wait_past_last_fetch(&w.dir.path().join("archive"), Duration::from_millis(1100));
    w.edited.store(true, Ordering::SeqCst);
    let before = w.fixture.log().len();
    crawl(&w);
    let asked = articles_asked(&w, before);
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert_eq!(asked[0], path(9), "the new article first: {asked:?}");
}

/// The article paths the portal was asked for after its first `before` requests.
fn articles_asked(w: &World, before: usize) -> Vec<String> {
    let mut log = w.fixture.log();
    log.split_off(before)
        .into_iter()
        .map(|r| r.target)
        .filter(|t| t.starts_with("/thoi-su/"))
        .collect()
}

/// A slug change (issue 15, item 4): article 12 redirects to another article URL whose title
/// was edited. The move is recorded once with the changed fields; the target is archived and
/// indexed (version 1 of its own URL, no `previous`: the event links the two URLs), `verify`
/// is clean, and the target is revisited like any archived article.
#[test]
fn a_moved_article_is_indexed_at_its_new_url_and_compared_like_an_edit() {
    use support::history::{MOVED_TO, outage};
    let o = outage("127.0.0.46");
    let w = &o.world;
    crawl(w);
    wait_past_last_fetch(&w.dir.path().join("archive"), Duration::from_millis(1100));
    o.moved.store(true, Ordering::SeqCst);
    crawl(w);
    let events = changes(w);
    assert_eq!(events.len(), 1, "{events:#?}");
    let (old, new) = (w.fixture.url(&path(12)), w.fixture.url(MOVED_TO));
    assert_eq!(events[0]["change"], "moved");
    assert_eq!(events[0]["url"], old.as_str());
    assert_eq!(events[0]["target"], new.as_str());
    assert_eq!(events[0]["fields"], serde_json::json!(["title"]));
    let lines = index_lines(w);
    let target: Vec<&Value> = lines.iter().filter(|l| l["url"] == new.as_str()).collect();
    assert_eq!(target.len(), 1, "the target is indexed: {lines:#?}");
    assert_eq!(target[0]["version"], 1);
    assert!(target[0].get("previous").is_none());
    assert!(target[0]["title"].as_str().unwrap().ends_with("(cập nhật)"));
    verify_clean(w);

    // Run 3: the target is on the ladder (asked again), the move is not recorded twice.
    let before = w.fixture.log().len();
    crawl(w);
    let asked = w.fixture.log().split_off(before);
    assert!(
        asked.iter().any(|r| r.target == MOVED_TO),
        "target not revisited"
    );
    assert_eq!(changes(w).len(), 1);
    assert_eq!(index_lines(w).len(), lines.len());
}

/// An article archived before the history migration has no fingerprint in the store (issue 15,
/// item 2): its first revisit takes it from the archived response record, so an edit since is
/// an edit (with the right fields) and a furniture change is none.
#[test]
fn an_article_archived_before_history_is_compared_with_its_warc_record() {
    let w = world("127.0.0.47", "");
    crawl(&w);
    let state = w.dir.path().join("archive/state.sqlite");
    let db = rusqlite::Connection::open(&state).unwrap();
    let nulled = db
        .execute("UPDATE urls SET fingerprint = NULL WHERE version = 1", [])
        .unwrap();
    assert_eq!(nulled, 6);
    drop(db);
    wait_past_last_fetch(&w.dir.path().join("archive"), Duration::from_millis(1100));
    w.edited.store(true, Ordering::SeqCst);
    crawl(&w);
    let mut edits: Vec<(String, Value)> = changes(&w)
        .iter()
        .filter(|e| e["change"] == "edited")
        .map(|e| (e["url"].as_str().unwrap().to_string(), e["fields"].clone()))
        .collect();
    edits.sort_by(|a, b| a.0.cmp(&b.0));
    let url = |n| w.fixture.url(&path(n));
    assert_eq!(
        edits,
        vec![
            (url(1), serde_json::json!(["title", "text"])),
            (url(2), serde_json::json!(["text"])),
        ]
    );
    for n in [1, 2] {
        assert_eq!(lines_of(&index_lines(&w), &w, n).len(), 2, "article {n}");
    }
    // The fingerprints read back from the WARC are kept, also for the articles that did not
    // change: a third run reads no record again.
    let db = rusqlite::Connection::open(&state).unwrap();
    let unknown: i64 = db
        .query_row(
            "SELECT count(*) FROM urls WHERE version = 1 AND fingerprint IS NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        unknown, 0,
        "articles revisited without a stored fingerprint"
    );
}
