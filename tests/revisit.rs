//! Revisits (issue 5): with `revisit_after`, a known article is fetched again with its
//! validators; a 304 and an unchanged body each become a `revisit` record whose Refers-To
//! fields point at the original capture, and the index gets no second line.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use baoluu::archive::reader::{self, Record};
use support::cli::{baoluu, crawler_table, stderr, warc_files, warcio_check, write_config};
use support::portal::{self, Spec};
use support::wait::wait_past_last_fetch;

fn config(fixture: &support::Fixture) -> String {
    let table = portal::table("b", fixture, "revisit_after = \"1s\"");
    format!("{}{table}", crawler_table("retries = 0"))
}

#[test]
fn unchanged_articles_become_revisit_records_pointing_at_the_original() {
    let spec = Spec::new(300, None);
    let fixture = portal::serve("127.0.0.3", spec.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &config(&fixture));
    let out = baoluu(&config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // `revisit_after` (1 s) has passed for every article of the first run.
    wait_past_last_fetch(&dir.path().join("archive"), Duration::from_millis(1500));
    let marker = fixture.log().len();
    let out = baoluu(&config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    // The second run asked conditionally for the article that has an ETag.
    let etag_path = portal::etag_article(&spec);
    let second = fixture.log().split_off(marker);
    let conditional = second
        .iter()
        .find(|r| r.target == etag_path)
        .expect("the ETag article is revisited");
    assert_eq!(conditional.header("if-none-match"), Some("\"v1\""));

    let archive = dir.path().join("archive");
    check_revisit_records(&archive, &fixture, &etag_path);
    check_one_index_line_each(&archive);
    for file in warc_files(&archive) {
        warcio_check(&file);
    }
}

/// The 304 and the unchanged body each got a revisit record of the right profile, whose
/// Refers-To fields and digest are those of the original response.
fn check_revisit_records(archive: &Path, fixture: &support::Fixture, etag_path: &str) {
    let records: Vec<Record> = warc_files(archive)
        .iter()
        .flat_map(|f| reader::records(f).unwrap().map(|r| r.unwrap()))
        .collect();
    let responses: HashMap<String, &Record> = records
        .iter()
        .filter(|r| r.record_type() == Some("response") && r.http_status() == Some(200))
        .map(|r| (r.header("WARC-Target-URI").unwrap().to_string(), r))
        .collect();
    let revisits: Vec<&Record> = records
        .iter()
        .filter(|r| r.record_type() == Some("revisit"))
        .collect();
    let profile = |url: &str| {
        revisits
            .iter()
            .find(|r| r.header("WARC-Target-URI") == Some(url))
            .unwrap_or_else(|| panic!("no revisit record for {url}"))
    };
    let not_modified = profile(&fixture.url(etag_path));
    assert_eq!(
        not_modified.header("WARC-Profile"),
        Some("http://netpreserve.org/warc/1.1/revisit/server-not-modified")
    );
    let same = fixture.url(&portal::article_path(300));
    let identical = profile(&same);
    assert_eq!(
        identical.header("WARC-Profile"),
        Some("http://netpreserve.org/warc/1.1/revisit/identical-payload-digest")
    );
    for (revisit, url) in [(not_modified, fixture.url(etag_path)), (identical, same)] {
        check_refers_to(revisit, responses[&url], &url);
    }
}

/// A revisit record's Refers-To fields and payload digest are those of `original`.
fn check_refers_to(revisit: &Record, original: &Record, url: &str) {
    assert_eq!(
        revisit.header("WARC-Refers-To"),
        original.header("WARC-Record-ID"),
        "{url}"
    );
    assert_eq!(revisit.header("WARC-Refers-To-Target-URI"), Some(url));
    assert_eq!(
        revisit.header("WARC-Refers-To-Date"),
        original.header("WARC-Date"),
        "{url}"
    );
    assert_eq!(
        revisit.header("WARC-Payload-Digest"),
        original.header("WARC-Payload-Digest"),
        "{url}"
    );
}

/// No article was archived twice as a full response: the index has one line each.
fn check_one_index_line_each(archive: &Path) {
    let index = std::fs::read_to_string(archive.join("index/b.jsonl")).unwrap();
    let mut urls: Vec<&str> = index
        .lines()
        .map(|l| {
            l.split("\"url\":\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        })
        .collect();
    let lines = urls.len();
    urls.sort();
    urls.dedup();
    assert_eq!(
        urls.len(),
        lines,
        "an unchanged article got a second index line"
    );
}
