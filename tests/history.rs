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
use support::history::{World, changes, crawl, index_lines, lines_of, path, world};
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

    // Both versions in the index: the first line stays, the edit points back at it.
    let lines = index_lines(&w);
    validate_index_lines(&w.dir.path().join("archive/index/h.jsonl"));
    for n in [1, 2] {
        let versions = lines_of(&lines, &w, n);
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
        let event = events.iter().find(|e| e["url"] == url(n).as_str()).unwrap();
        assert_eq!(event["previous"]["offset"], v1["offset"]);
        assert_eq!(event["current"]["offset"], v2["offset"]);
    }
    assert!(
        lines_of(&lines, &w, 1)[1]["title"]
            .as_str()
            .unwrap()
            .ends_with("thành công")
    );
    for n in [3, 4, 5, 6] {
        assert_eq!(
            lines_of(&lines, &w, n).len(),
            1,
            "article {n} got a second line"
        );
    }
    check_warcs(&w);
    check_text(&w);
    let out = baoluu(&w.config, &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    check_replay(&w, &lines);
    check_verify_catches_a_bad_previous(&w);
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
