//! A kill between an edited article's index line and its change event (issue 15 item 5): the
//! next start regenerates the event, and writes it like any other — its WARC `metadata`
//! record (`urn:baoluu:change:URL`, the event line as its block), then its line — so the
//! archive proves every event in `changes/`, recovered or not.
//!
//! The crash is built exactly rather than hoped for with a random kill: after an
//! uninterrupted revisit run, the archive is put back to the moment just after the first
//! edit's index line was durable. The run's WARC file is cut before the first change record
//! and renamed `.open` (as a kill leaves it), the index keeps the lines that point before the
//! cut, the changes file is emptied (run 1 had no events), and the store is the one run 1
//! left (the revisit run's updates never happened).
//!
//! A kill between articles' index lines and the run loop's batch that marks them done loses
//! their status page rows too, which that batch writes (issue 17): the next start writes them.

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use baoluu::archive::reader;
use baoluu::history::CHANGE_URN;
use serde_json::Value;

use support::cli::{self, warc_files};
use support::history;
use support::wait::wait_past_last_fetch;

#[test]
fn an_edit_event_lost_to_a_kill_is_written_with_its_warc_record() {
    let w = history::world("127.0.0.148", "");
    let archive = w.dir.path().join("archive");
    history::crawl(&w);
    let before: Vec<PathBuf> = warc_files(&archive);
    let state = w.dir.path().join("state-after-run-1");
    copy_store(&archive, &state);
    wait_past_last_fetch(&archive, Duration::from_secs(1));
    w.edited.store(true, Ordering::SeqCst);
    history::crawl(&w);

    let run2 = warc_files(&archive)
        .into_iter()
        .find(|f| !before.contains(f))
        .expect("the revisit run wrote a WARC file");
    let cut = first_change_record(&run2).expect("the revisit run recorded a change event");
    kill_after(&archive, &run2, cut, &state);
    assert!(
        history::changes(&w).is_empty(),
        "the rebuilt crash has no events yet"
    );

    let log = history::crawl(&w);
    assert!(
        log.contains("change_event_recovered"),
        "the restart regenerated no event:\n{log}"
    );
    let mut got: Vec<(String, String)> = history::changes(&w)
        .iter()
        .map(|e| (tail(&e["url"]), e["change"].as_str().unwrap().to_string()))
        .collect();
    got.sort();
    let want = [
        ("bai-1.html", "edited"),
        ("bai-2.html", "edited"),
        ("bai-4.html", "removed"),
        ("bai-5.html", "removed"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(u, c)| (u.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want, "each event once, none lost");
    every_event_has_its_record(&archive);
    history::verify_clean(&w);
    cli::check_warcs(&archive);
}

/// A kill between a held removal's event (its record and line, written at the run's end) and
/// the store letting the hold go: the next start finds the event in the changes tail and lets
/// the hold go then, so the event is not written a second time. The crash is rebuilt by
/// putting the holds back (as `held_removal` left them) after an uninterrupted revisit run.
#[test]
fn a_removal_written_before_a_kill_is_not_written_again() {
    let w = history::world("127.0.0.149", "");
    let archive = w.dir.path().join("archive");
    history::crawl(&w);
    wait_past_last_fetch(&archive, Duration::from_secs(1));
    w.edited.store(true, Ordering::SeqCst);
    history::crawl(&w);
    let events = history::changes(&w);
    let removals: Vec<&Value> = events.iter().filter(|e| e["change"] == "removed").collect();
    assert_eq!(removals.len(), 2, "{events:?}");
    hold_again(&archive, &removals);

    let log = history::crawl(&w);
    assert!(
        log.contains("change_reconciled"),
        "the restart did not let the holds go:\n{log}"
    );
    let again: Vec<Value> = history::changes(&w);
    let removed_again = again.iter().filter(|e| e["change"] == "removed").count();
    assert_eq!(removed_again, 2, "each removal once: {again:?}");
    let db = rusqlite::Connection::open(archive.join("state.sqlite")).unwrap();
    let (held, gone): (i64, i64) = db
        .query_row(
            "SELECT count(held), count(CASE WHEN gone = 'removed' THEN 1 END) FROM urls",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!((held, gone), (0, 2), "holds let go, both articles removed");
}

/// Puts each removal back as the hold it was before the run's end wrote it (gone unset).
fn hold_again(archive: &Path, removals: &[&Value]) {
    let db = rusqlite::Connection::open(archive.join("state.sqlite")).unwrap();
    for event in removals {
        let current = &event["current"];
        let file = archive
            .join("warc")
            .join(current["filename"].as_str().unwrap());
        let record = reader::read_at(&file, current["offset"].as_u64().unwrap()).unwrap();
        let date = record.header("WARC-Date").unwrap();
        let date = chrono::DateTime::parse_from_rfc3339(date).unwrap().to_utc();
        let held = serde_json::json!({
            "event": event,
            "record_id": record.header("WARC-Record-ID").unwrap(),
            "date": date.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        });
        let url = event["url"].as_str().unwrap();
        let put = db
            .execute(
                "UPDATE urls SET held = ?1, gone = NULL WHERE url = ?2",
                (held.to_string(), url),
            )
            .unwrap();
        assert_eq!(put, 1, "{url}");
    }
}

fn tail(url: &Value) -> String {
    let url = url.as_str().unwrap();
    url.rsplit('/').next().unwrap().to_string()
}

/// The store's files (`state.sqlite` and, in WAL mode, its `-wal`) of `from`, copied to `to`.
fn copy_store(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if name.starts_with("state.sqlite") {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// Offset of the first change event's `metadata` record in `file`.
fn first_change_record(file: &Path) -> Option<u64> {
    reader::records(file).unwrap().find_map(|r| {
        let r = r.unwrap();
        let target = r.header("WARC-Target-URI").unwrap_or_default();
        target.starts_with(CHANGE_URN).then_some(r.offset)
    })
}

/// Puts the archive back to a kill right before the record at `cut` of `file`.
fn kill_after(archive: &Path, file: &Path, cut: u64, state: &Path) {
    let name = file.file_name().unwrap().to_string_lossy().to_string();
    let bytes = std::fs::read(file).unwrap();
    std::fs::write(format!("{}.open", file.display()), &bytes[..cut as usize]).unwrap();
    std::fs::remove_file(file).unwrap();
    let cdxj = archive.join(format!("index/cdxj/{name}.cdxj"));
    let _ = std::fs::remove_file(cdxj);
    let index = archive.join("index/h.jsonl");
    let kept: String = std::fs::read_to_string(&index)
        .unwrap()
        .lines()
        .filter(|l| {
            let line: Value = serde_json::from_str(l).unwrap();
            line["filename"] != name.as_str() || line["offset"].as_u64().unwrap() < cut
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        kept.lines()
            .any(|l| l.contains(&name) && l.contains("\"version\":2")),
        "the cut keeps the first edit's new index line"
    );
    std::fs::write(&index, kept).unwrap();
    std::fs::write(archive.join("changes/h.jsonl"), "").unwrap();
    for entry in std::fs::read_dir(archive).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("state.sqlite")
        {
            std::fs::remove_file(path).unwrap();
        }
    }
    copy_store(state, archive);
}

/// Every line of the changes file is the block of a `metadata` record whose target is the
/// event's URN.
fn every_event_has_its_record(archive: &Path) {
    let mut blocks: Vec<(String, Vec<u8>)> = Vec::new();
    for file in warc_files(archive) {
        for record in reader::records(&file).unwrap() {
            let record = record.unwrap();
            let target = record.header("WARC-Target-URI").unwrap_or_default();
            if target.starts_with(CHANGE_URN) {
                blocks.push((target.to_string(), record.block.clone()));
            }
        }
    }
    let text = std::fs::read_to_string(archive.join("changes/h.jsonl")).unwrap();
    for line in text.lines() {
        let event: Value = serde_json::from_str(line).unwrap();
        let urn = format!("{CHANGE_URN}{}", event["url"].as_str().unwrap());
        assert!(
            blocks
                .iter()
                .any(|(target, block)| *target == urn && block == line.as_bytes()),
            "no metadata record holds the event {line}"
        );
    }
}

/// A kill after articles' index lines were durable and before the run loop's batch marked
/// their URLs done (issue 17: the status page's row is written in that batch, issue 19): the
/// next start settles each line and writes its row, pointing at the line's own `metadata`
/// record. Built exactly: after an uninterrupted run, the store's article URLs are put back in
/// flight, without history or rows, as they were before their batches.
#[test]
fn article_rows_lost_to_a_kill_are_restored_at_the_next_start() {
    let w = history::world("127.0.0.150", "");
    let archive = w.dir.path().join("archive");
    history::crawl(&w);
    let lines = history::index_lines(&w);
    assert_eq!(
        lines.len(),
        history::ARTICLES.len(),
        "run 1 indexed every article"
    );
    let db = rusqlite::Connection::open(archive.join("state.sqlite")).unwrap();
    let taken = db
        .execute(
            "UPDATE urls SET state = 'inflight', version = 0, fingerprint = NULL,
                 version_file = NULL, version_offset = NULL, version_length = NULL,
                 version_ts = NULL, first_captured_at = NULL, next_revisit = NULL
             WHERE url IN (SELECT url FROM articles)",
            [],
        )
        .unwrap();
    assert_eq!(taken, lines.len());
    db.execute_batch("DELETE FROM articles; DELETE FROM article_days")
        .unwrap();
    drop(db);

    let log = history::crawl(&w);
    assert!(
        log.contains("index_reconciled"),
        "nothing was settled:\n{log}"
    );
    let store = baoluu::store::Store::open(&archive.join("state.sqlite")).unwrap();
    let rows = store.newest_articles("h", 100, 0).unwrap();
    let mut urls: Vec<&str> = rows.iter().map(|r| r.url.as_str()).collect();
    urls.sort();
    let mut want: Vec<&str> = lines.iter().map(|l| l["url"].as_str().unwrap()).collect();
    want.sort();
    assert_eq!(urls, want, "a row for every settled line");
    for row in &rows {
        let file = archive.join("warc").join(&row.warc_file);
        let record = reader::read_at(&file, row.meta_offset).unwrap();
        assert_eq!(record.length, row.meta_length, "{}", row.url);
        assert_eq!(record.record_type(), Some("metadata"), "{}", row.url);
        let target = format!("{}{}", baoluu::archive::METADATA_URN, row.url);
        assert_eq!(record.header("WARC-Target-URI"), Some(target.as_str()));
        let block: Value = serde_json::from_slice(&record.block).unwrap();
        let line = lines.iter().find(|l| l["url"] == row.url.as_str()).unwrap();
        assert_eq!(&block, line, "the row points at the line's own record");
        assert_eq!(row.title, line["title"].as_str().unwrap());
    }
}
