//! Issue 18 item 4 end to end: with `[storage]`, the index and changes files are closed into
//! segments that are shipped and verified like WARCs; after `keep_local` removed the local
//! WARCs and segments, `verify`, `wacz` and `changes` still see every article, reading them
//! back from a real S3-compatible server (`s3s-fs`), and `changes` reads back only the segments
//! its `--portal`, `--since` and `--json` can show.

mod support;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use support::cli::{self, stderr, stdout};
use support::history;
use support::portal::{self, Spec};
use support::s3::{self, S3Server, SECRET_KEY};
use support::s3_watch::Watch;
use support::shipping::World;
use support::wait::wait_past_last_fetch;

/// Every article URL the two crawls archive, each once: the reachable articles and the two
/// published between the runs, on both portals.
fn expected_urls(w: &World) -> Vec<String> {
    let mut urls = Vec::new();
    for (fixture, spec) in [(&w.hosts.a, &w.hosts.spec_a), (&w.hosts.b, &w.hosts.spec_b)] {
        let new = [spec.first_id + 50, spec.first_id + 51].map(portal::article_path);
        for path in portal::reachable_articles(spec).iter().chain(&new) {
            urls.push(fixture.url(path));
        }
    }
    urls.sort();
    urls
}

fn publish_two(spec: &Spec) {
    spec.extra_articles.store(2, Ordering::SeqCst);
}

/// The index lines of the bucket's segments and of the local current files, by URL.
fn indexed_urls(w: &World) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    let mut texts = Vec::new();
    for key in w.server.keys(&w.key("index/segments/")) {
        texts.push(String::from_utf8(w.server.object(&key).unwrap()).unwrap());
    }
    for entry in std::fs::read_dir(w.archive().join("index"))
        .unwrap()
        .flatten()
    {
        if entry.path().extension().is_some_and(|e| e == "jsonl") {
            texts.push(std::fs::read_to_string(entry.path()).unwrap());
        }
    }
    for line in texts.iter().flat_map(|t| t.lines()) {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        *counts
            .entry(line["url"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    counts
}

#[test]
fn segments_are_shipped_and_readers_see_every_article_after_local_copies_are_deleted() {
    let Some(w) = World::start("keep_local = \"0s\"\nsegment_size = 1") else {
        return;
    };
    w.crawl();
    publish_two(&w.hosts.spec_a);
    publish_two(&w.hosts.spec_b);
    let out = w.crawl();
    assert!(stderr(&out).contains("none pending"), "{}", stderr(&out));

    // Segments of both portals were closed, shipped, verified, and deleted locally.
    let queue = w.queue();
    for portal in ["a", "b"] {
        let prefix = format!("index/segments/{portal}/{portal}-");
        let segments: Vec<_> = queue
            .iter()
            .filter(|(p, ..)| p.starts_with(&prefix))
            .collect();
        assert!(segments.len() >= 2, "{portal}: {queue:?}");
        for (path, state, sha) in segments {
            assert_eq!(state, "done", "{path}");
            let object = w.server.object(&w.key(path)).expect("in the bucket");
            assert_eq!(Some(support::shipping::sha256(&object)), *sha, "{path}");
            assert!(!w.archive().join(path).exists(), "keep_local = 0s: {path}");
        }
    }
    let warcs = queue
        .iter()
        .filter(|(p, ..)| p.starts_with("warc/"))
        .count();
    assert!(
        cli::warc_files(&w.archive()).is_empty(),
        "every WARC deleted"
    );

    // One line per article across the bucket's segments and the current files.
    let indexed = indexed_urls(&w);
    let mut urls: Vec<String> = indexed.keys().cloned().collect();
    urls.sort();
    assert_eq!(urls, expected_urls(&w));
    assert!(indexed.values().all(|n| *n == 1), "{indexed:?}");
    let articles = urls.len();

    // verify reads the removed WARCs and segments back: every JSON line checked, none wrong.
    let out = w.run(SECRET_KEY, &["verify"]);
    let said = stdout(&out);
    assert!(out.status.success(), "{said}{}", stderr(&out));
    assert!(
        said.contains(&format!("checked {warcs} WARC files")),
        "{said}"
    );
    assert!(said.contains("no problems"), "{said}");
    assert_eq!(
        fetched_folders(&w.archive()).len(),
        0,
        "the fetched copies are removed after reading"
    );

    // wacz (with and without --from-storage) holds every article page and validates.
    for (name, flag) in [
        ("local.wacz", None),
        ("bucket.wacz", Some("--from-storage")),
    ] {
        let wacz = w.hosts.dir.path().join(name);
        let mut args = vec!["wacz"];
        args.extend(flag);
        args.push(wacz.to_str().unwrap());
        let out = w.run(SECRET_KEY, &args);
        let said = stdout(&out);
        assert!(out.status.success(), "{said}{}", stderr(&out));
        assert!(said.contains(&format!("{warcs} WARC files")), "{said}");
        assert!(said.contains(&format!("({articles} articles")), "{said}");
        validate(&wacz);
    }
    assert_eq!(
        cli::warc_files(&w.archive()).len(),
        0,
        "nothing fetched into warc/"
    );
}

/// `verify` fetches the removed WARC files back one at a time: watched from the server's
/// side, when each is asked for, the reading's folder of copies holds no other WARC (before,
/// every one was fetched first, and the second request found the first still on disk). Each
/// is fetched once, and the report is the one of a full reading.
#[test]
fn verify_keeps_at_most_one_fetched_warc_on_disk() {
    let Some(w) = World::start("keep_local = \"0s\"\nsegment_size = 1") else {
        return;
    };
    w.crawl();
    let warcs: Vec<String> = (w.queue().into_iter())
        .filter_map(|(p, ..)| p.strip_prefix("warc/").map(str::to_string))
        .collect();
    assert!(warcs.len() >= 2, "{warcs:?}");
    assert!(
        cli::warc_files(&w.archive()).is_empty(),
        "every WARC deleted"
    );

    let archive = w.archive();
    let watch = Watch::start(w.server.addr, move || fetched_warcs(&archive));
    let text = std::fs::read_to_string(&w.hosts.config).unwrap();
    let text = text.replace(&w.server.endpoint(), &watch.endpoint());
    std::fs::write(&w.hosts.config, text).unwrap();
    let out = w.run(SECRET_KEY, &["verify"]);
    let said = stdout(&out);
    assert!(out.status.success(), "{said}{}", stderr(&out));
    let checked = format!("checked {} WARC files", warcs.len());
    assert!(said.contains(&checked), "{said}");
    assert!(said.contains("no problems"), "{said}");

    let mut asked = Vec::new();
    for seen in watch.seen() {
        let Some((_, name)) = seen.request.split_once("/warc/") else {
            continue;
        };
        let name = name.split_whitespace().next().unwrap().to_string();
        assert!(
            seen.look.iter().all(|held| *held == name),
            "{name} asked for while holding {:?}",
            seen.look
        );
        if asked.last() != Some(&name) {
            asked.push(name);
        }
    }
    asked.sort();
    let mut expected = warcs.clone();
    expected.sort();
    assert_eq!(asked, expected, "each removed WARC fetched once");
}

/// The WARC copies in the archive's folders of fetched copies.
fn fetched_warcs(archive: &std::path::Path) -> Vec<String> {
    let folders = fetched_folders(archive).into_iter();
    let files = folders.flat_map(|f| std::fs::read_dir(f.join("warc")).into_iter().flatten());
    files
        .flatten()
        .map(|f| f.file_name().to_string_lossy().into_owned())
        .collect()
}

/// The archive's folders of copies fetched back for a reading (`.fetched-…`).
fn fetched_folders(archive: &std::path::Path) -> Vec<std::path::PathBuf> {
    let entries = std::fs::read_dir(archive).unwrap().flatten();
    entries
        .filter(|e| e.file_name().to_string_lossy().starts_with(".fetched-"))
        .map(|e| e.path())
        .collect()
}

fn validate(wacz: &std::path::Path) {
    if let Some(tool) = cli::oracle("wacz") {
        let checked = std::process::Command::new(tool)
            .args(["validate", "-f"])
            .arg(wacz)
            .output()
            .unwrap();
        assert!(checked.status.success(), "{}", stderr(&checked));
    }
}

/// `baoluu changes` reads the events and the index versions its diffs compare from segments
/// fetched back from the bucket: the history fixture's two edits and two removals on each of
/// two portals, with the word diff, after every segment was shipped and removed locally.
#[test]
fn changes_reads_its_events_and_versions_back_from_the_bucket() {
    let Some((server, _root)) = support::s3::temporary() else {
        return;
    };
    let w = history::world("127.0.0.49", "");
    let (_g, g_table) = history::second_portal(&w, "g", "127.0.0.50");
    let storage = "instance = \"h-1\"\nkeep_local = \"0s\"\nsegment_size = 1";
    server.add_table(&w.config, "baoluu", storage);
    let mut text = std::fs::read_to_string(&w.config).unwrap();
    text.push_str(&g_table);
    std::fs::write(&w.config, text).unwrap();
    let run = |args: &[&str]| {
        let out = s3::keyed(&mut cli::command(&w.config, args), SECRET_KEY)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let crawl = || drop(run(&["crawl"]));
    crawl();
    let archive = w.dir.path().join("archive");
    wait_past_last_fetch(&archive, Duration::from_secs(1));
    w.edited.store(true, Ordering::SeqCst);
    crawl();
    // A third run closes what the second left current: every event is in a shipped segment.
    crawl();
    assert!(!archive.join("changes/h.jsonl").exists());
    assert!(!archive.join("changes/g.jsonl").exists());
    assert_eq!(
        local_segments(&archive),
        Vec::<String>::new(),
        "{:?}",
        list(&archive)
    );
    assert!(!server.keys("baoluu/h-1/changes/segments/h/").is_empty());

    let json = run(&["changes", "--json"]);
    let events: Vec<serde_json::Value> = json
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mut kinds: Vec<String> = events
        .iter()
        .map(|e| format!("{} {}", e["portal"], e["change"]))
        .collect();
    kinds.sort();
    let each = [r#""edited""#, r#""edited""#, r#""removed""#, r#""removed""#];
    let expected: Vec<String> = (["\"g\"", "\"h\""].iter())
        .flat_map(|p| each.map(|c| format!("{p} {c}")))
        .collect();
    assert_eq!(kinds, expected, "{events:?}");
    fetches_only_what_it_shows(&server, &run);
}

/// `changes` fetches back only the segments its output can show; each run below fails if it
/// downloads an object deleted from the bucket before it (a 404 from the server).
fn fetches_only_what_it_shows(server: &S3Server, run: &dyn Fn(&[&str]) -> String) {
    let bucket = "baoluu/h-1";
    // Every segment was closed before this.
    let since = chrono::Utc::now().to_rfc3339();
    // `--portal h` needs nothing of portal g.
    assert!(server.remove(&format!("{bucket}/index/segments/g/")) > 0);
    assert!(server.remove(&format!("{bucket}/changes/segments/g/")) > 0);
    let said = run(&["changes", "--portal", "h"]);
    assert!(said.contains("năm 2022 {+thành công+}"), "{said}");
    assert!(said.contains("[-tiếp tục-] {+quyết tâm+}"), "{said}");
    assert!(!said.contains("[g]"), "{said}");
    // The text form needs only the index segments from each version's capture second to the
    // one holding it: crawl 2 started a second past crawl 1's last fetch, so crawl 1's
    // segments closed after the first versions' lie outside every such window.
    let events = run(&["changes", "--portal", "h", "--json"]);
    let unneeded = outside_every_window(server, &format!("{bucket}/index/segments/h/"), &events);
    assert!(!unneeded.is_empty(), "{events}");
    for key in &unneeded {
        assert_eq!(server.remove(key), 1, "{key}");
    }
    assert_eq!(run(&["changes", "--portal", "h"]), said);
    // `--json` shows no diff, so it needs no index segment.
    assert!(server.remove(&format!("{bucket}/index/segments/h/")) > 0);
    let json = run(&["changes", "--portal", "h", "--json"]);
    assert_eq!(json.lines().count(), 4, "{json}");
    // `--since` later than every segment's closing: no changes segment holds an event then.
    assert!(server.remove(&format!("{bucket}/changes/segments/h/")) > 0);
    assert_eq!(run(&["changes", "--json", "--since", &since]), "");
}

/// The index segments under `prefix` that hold no version an edit among `events` (`changes
/// --json`) compares and lie outside every such version's window: closed before its capture
/// second, or after the segment holding it. Segment names sort in closing order.
fn outside_every_window(server: &S3Server, prefix: &str, events: &str) -> Vec<String> {
    let segments: Vec<(String, Vec<(String, u64)>)> = (server.keys(prefix).into_iter())
        .map(|key| {
            let text = String::from_utf8(server.object(&key).unwrap()).unwrap();
            let lines = text
                .lines()
                .map(|l| pointer(&serde_json::from_str(l).unwrap()));
            (key, lines.collect())
        })
        .collect();
    let mut windows = Vec::new();
    for event in events
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
    {
        if event["change"] != "edited" {
            continue;
        }
        for version in [&event["previous"], &event["current"]] {
            // `current` is captured at the event's `ts`.
            let ts = (version["ts"].as_str().or(event["ts"].as_str()))
                .unwrap()
                .parse::<chrono::DateTime<chrono::Utc>>();
            let holder = segments
                .iter()
                .find(|(_, lines)| lines.contains(&pointer(version)));
            windows.push((ts.unwrap(), holder.expect("held by a segment").0.clone()));
        }
    }
    let closed = |key: &str| baoluu::archive::segments::closed_at(key).unwrap();
    let inside = |key: &str| {
        (windows.iter()).any(|(ts, holder)| closed(key) >= *ts && key <= holder.as_str())
    };
    (segments.into_iter())
        .filter(|(key, _)| !inside(key))
        .map(|(key, _)| key)
        .collect()
}

/// An index line's or a change event version's (`filename`, `offset`).
fn pointer(value: &serde_json::Value) -> (String, u64) {
    let filename = value["filename"].as_str().unwrap().to_string();
    (filename, value["offset"].as_u64().unwrap())
}

/// Segment files still on local disk, of both kinds and both portals.
fn local_segments(archive: &std::path::Path) -> Vec<String> {
    [
        "index/segments/h",
        "index/segments/g",
        "changes/segments/h",
        "changes/segments/g",
    ]
    .iter()
    .flat_map(|folder| std::fs::read_dir(archive.join(folder)).ok())
    .flat_map(|entries| entries.flatten())
    .map(|e| e.path().display().to_string())
    .collect()
}

fn list(archive: &std::path::Path) -> Vec<String> {
    let db = rusqlite::Connection::open(archive.join("state.sqlite")).unwrap();
    let mut stmt = db.prepare("SELECT path || ' ' || state || ' ' || COALESCE(deleted_at, '-') || ' ' || COALESCE(last_error, '') FROM uploads").unwrap();
    let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
    rows.map(Result::unwrap).collect()
}
