//! CDXJ lines for a WARC written by [`archive::Writer`], the exact line format, and the atomic
//! index file. The cross-check against the real `cdxj-indexer` is in `tests/replay.rs`.

use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::*;
use crate::archive::{Capture, Info, Original, RevisitProfile, Writer};
use crate::fetch::Exchange;

fn exchange(url: &str, status: u16, headers: &[(&str, &str)], body: &[u8]) -> Exchange {
    let url = url::Url::parse(url).unwrap();
    Exchange {
        request_headers: vec![("Host".into(), url.host_str().unwrap().into())],
        url,
        date: Utc.with_ymd_and_hms(2026, 11, 27, 18, 0, 5).unwrap()
            + chrono::Duration::microseconds(250),
        version: "HTTP/1.1".into(),
        status,
        reason: "OK".into(),
        response_headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.as_bytes().to_vec()))
            .collect(),
        body: body.to_vec(),
        truncated: None,
        remote_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        duration: Duration::from_millis(5),
    }
}

fn writer(dir: &Path) -> Writer {
    let info = Info {
        software: "baoluu/test".into(),
        hostname: "test".into(),
        user_agent: "baoluu-test".into(),
        from: None,
        is_part_of: "cdxj".into(),
    };
    Writer::new(dir.to_path_buf(), "cdxj".into(), info, 1 << 30)
}

struct Written {
    file: PathBuf,
    article: Capture,
    redirect: Capture,
    revisit: Capture,
    metadata: crate::archive::Placed,
}

const ARTICLE: &str = "https://www.BaoHauGiang.com.vn/tin-tức/bài-1.html?z=2&a=1";
const METADATA: &[u8] = r#"{"title":"Tin số 1"}"#.as_bytes();

/// A WARC with a 200 (HTML, charset parameter), a 301, a revisit and a metadata record.
fn write_warc(dir: &Path) -> Written {
    let mut w = writer(dir);
    let html = "<p>Tin tức Hậu Giang</p>".as_bytes();
    let ct = ("content-type", "text/html; charset=utf-8");
    let article = w
        .write_exchange(&exchange(ARTICLE, 200, &[ct], html))
        .unwrap();
    let old = "https://baohaugiang.com.vn/cu.html";
    let moved = [("location", "/tin-tức/bài-1.html")];
    let redirect = w.write_exchange(&exchange(old, 301, &moved, b"")).unwrap();
    let original = Original::from(&article);
    let again = exchange(ARTICLE, 200, &[ct], html);
    let revisit = w
        .write_revisit(&again, RevisitProfile::IdenticalPayloadDigest, &original)
        .unwrap();
    let metadata = w
        .write_metadata(&article, "application/json", METADATA)
        .unwrap();
    let file = w.close().unwrap().unwrap();
    Written {
        file,
        article,
        redirect,
        revisit,
        metadata,
    }
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_response_revisit_and_metadata_record_gets_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let w = write_warc(dir.path());
    let lines = index_file(&w.file, &name(&w.file)).unwrap();
    assert_eq!(lines.len(), 4, "no warcinfo, no requests: {lines:#?}");
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted, "lines are sorted bytewise");

    let entries: Vec<Entry> = lines.iter().map(|l| Entry::parse(l).unwrap()).collect();
    let at = |offset: u64| entries.iter().find(|e| e.offset == offset).unwrap();
    let article = at(w.article.offset);
    let key = "vn,com,baohaugiang)/tin-t%e1%bb%a9c/b%c3%a0i-1.html?a=1&z=2";
    assert_eq!(article.key, key);
    assert_eq!(article.timestamp, "20261127180005");
    assert_eq!(article.url, w.article.url.as_str());
    assert_eq!(article.mime.as_deref(), Some("text/html"));
    assert_eq!(article.status.as_deref(), Some("200"));
    assert_eq!(
        article.digest.as_deref(),
        Some(w.article.payload_digest.as_str())
    );
    assert_eq!(article.length, w.article.length);
    assert_eq!(article.filename, name(&w.file));

    let redirect = at(w.redirect.offset);
    assert_eq!(redirect.key, "vn,com,baohaugiang)/cu.html");
    assert_eq!(redirect.status.as_deref(), Some("301"));
    assert_eq!(
        redirect.mime, None,
        "a 301 without Content-Type has no mime"
    );
    assert_eq!(redirect.digest.as_deref(), Some(sha1_digest(b"").as_str()));

    let revisit = at(w.revisit.offset);
    assert_eq!(revisit.key, key);
    assert_eq!(revisit.mime.as_deref(), Some("warc/revisit"));
    assert_eq!(revisit.status.as_deref(), Some("200"));
    assert_eq!(
        revisit.digest.as_deref(),
        Some(w.article.payload_digest.as_str())
    );

    let metadata = at(w.metadata.offset);
    assert_eq!(metadata.length, w.metadata.length);
    assert_ne!(
        metadata.key, key,
        "the article JSON must not share the page's replay key"
    );
    assert!(
        metadata.url.starts_with("urn:baoluu:article:"),
        "{}",
        metadata.url
    );
    assert_eq!(metadata.mime.as_deref(), Some("application/json"));
    assert_eq!(metadata.status, None);
    assert_eq!(
        metadata.digest.as_deref(),
        Some(sha1_digest(METADATA).as_str())
    );
}

#[test]
fn a_line_is_spelt_as_cdxj_indexer_writes_it() {
    let entry = Entry {
        key: "vn,example)/a".into(),
        timestamp: "20261127180005".into(),
        url: "https://example.vn/a".into(),
        mime: Some("text/html".into()),
        status: Some("200".into()),
        digest: Some("sha1:AAAA".into()),
        length: 123,
        offset: 4567,
        filename: "a.warc.gz".into(),
    };
    let line = r#"vn,example)/a 20261127180005 {"url": "https://example.vn/a", "mime": "text/html", "status": "200", "digest": "sha1:AAAA", "length": "123", "offset": "4567", "filename": "a.warc.gz"}"#;
    assert_eq!(entry.to_line(), line);
    assert_eq!(Entry::parse(line).unwrap(), entry);
    let bare = Entry {
        mime: None,
        status: None,
        digest: None,
        ..entry
    };
    assert!(bare.to_line().ends_with(r#"{"url": "https://example.vn/a", "length": "123", "offset": "4567", "filename": "a.warc.gz"}"#));
}

#[test]
fn json_strings_escape_like_python() {
    assert_eq!(py_json("a\"b\\c/d"), r#""a\"b\\c/d""#);
    assert_eq!(
        py_json("\n\r\t\u{8}\u{c}\u{1}\u{7f}"),
        r#""\n\r\t\b\f\u0001\u007f""#
    );
    assert_eq!(py_json("Hậu 𝄞"), r#""H\u1eadu \ud834\udd1e""#);
}

#[test]
fn parse_accepts_numbers_and_rejects_broken_lines() {
    let line = r#"k 20260101000000 {"url": "u", "length": 5, "offset": 7, "filename": "f"}"#;
    let entry = Entry::parse(line).unwrap();
    assert_eq!((entry.length, entry.offset), (5, 7));
    for broken in [
        "k",
        "k 20260101000000",
        "k 20260101000000 {not json}",
        r#"k 20260101000000 {"url": "u", "length": "x", "offset": "7", "filename": "f"}"#,
        r#"k 20260101000000 {"length": "1", "offset": "7", "filename": "f"}"#,
    ] {
        assert!(Entry::parse(broken).is_err(), "{broken}");
    }
}

#[test]
fn write_for_replaces_the_index_through_a_rename() {
    let dir = tempfile::tempdir().unwrap();
    let warc_dir = dir.path().join("warc");
    let index_dir = dir.path().join("index");
    let w = write_warc(&warc_dir);
    let file_name = name(&w.file);
    let stale = path_for(&index_dir, &file_name);
    fs::create_dir_all(stale.parent().unwrap()).unwrap();
    fs::write(&stale, "stale\n").unwrap();

    let written = write_for(&warc_dir, &index_dir, Path::new(&file_name)).unwrap();
    assert_eq!(
        written,
        index_dir.join("cdxj").join(format!("{file_name}.cdxj"))
    );
    let text = fs::read_to_string(&written).unwrap();
    let expected = index_file(&w.file, &file_name).unwrap().join("\n") + "\n";
    assert_eq!(text, expected);
    let left: Vec<String> = fs::read_dir(index_dir.join("cdxj"))
        .unwrap()
        .map(|e| name(&e.unwrap().path()))
        .collect();
    assert_eq!(
        left,
        [format!("{file_name}.cdxj")],
        "no temporary file left"
    );
    // An absolute path works as well as a name.
    assert_eq!(write_for(&warc_dir, &index_dir, &w.file).unwrap(), written);
}

#[test]
fn a_missing_warc_is_an_archive_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = write_for(dir.path(), dir.path(), Path::new("nope.warc.gz")).unwrap_err();
    assert!(
        matches!(err, Error::Archive(archive::Error::Io { .. })),
        "{err}"
    );
}

#[test]
fn a_urn_target_keys_as_the_surt_package_keys_it() {
    assert_eq!(
        super::key_of("urn:baoluu:article:http://127.0.0.3:4567/thoi-su/Tin-so-1.html?b=2&a=1"),
        "urn:baoluu:article:http://127.0.0.3:4567/thoi-su/tin-so-1.html?a=1&b=2"
    );
    assert_eq!(
        super::key_of("urn:pageinfo:http://Example.com/"),
        "urn:pageinfo:http://example.com"
    );
}

/// Everything `writer` made durable and closed, handed to a [`Live`] as the recorder hands it.
fn hand_over(writer: &mut Writer, live: &mut Live) {
    use crate::archive::Indexer;
    for (file, records) in writer.take_indexed() {
        live.committed(&file, records);
    }
    live.closed(writer.take_closed());
}

/// The index files left in `index_dir/cdxj`, by name.
fn index_names(index_dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(index_dir.join("cdxj"))
        .unwrap()
        .map(|e| name(&e.unwrap().path()))
        .collect();
    names.sort();
    names
}

#[test]
fn lines_built_while_writing_are_the_lines_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let (warc_dir, index_dir) = (dir.path().join("warc"), dir.path().join("index"));
    let mut live = Live::new(&warc_dir, &index_dir);
    let mut w = writer(&warc_dir);
    let html = "<p>Tin tức Hậu Giang</p>".as_bytes();
    // A head a reader must trim and cut, as the writer does.
    let odd = ("content-type", "  Text/HTML;charset=utf-8");
    let article = w
        .write_exchange(&exchange(ARTICLE, 200, &[odd], html))
        .unwrap();
    let moved = [("location", "/tin-tức/bài-1.html")];
    let old = "https://baohaugiang.com.vn/cu.html";
    w.write_exchange(&exchange(old, 301, &moved, b"")).unwrap();
    w.sync().unwrap();
    hand_over(&mut w, &mut live);
    let again = exchange(ARTICLE, 304, &[], b"");
    let profile = RevisitProfile::ServerNotModified;
    w.write_revisit(&again, profile, &Original::from(&article))
        .unwrap();
    w.write_metadata(&article, "application/json", METADATA)
        .unwrap();
    let fields = w
        .write_metadata(&article, "application/warc-fields", b"a: b\r\n")
        .unwrap();
    let file = w.close().unwrap().unwrap();
    hand_over(&mut w, &mut live);

    let file_name = name(&file);
    let read_back = index_file(&file, &file_name).unwrap().join("\n") + "\n";
    let built = fs::read_to_string(path_for(&index_dir, &file_name)).unwrap();
    assert_eq!(built, read_back, "byte for byte");
    assert_eq!(built.lines().count(), 4, "warc-fields not indexed: {built}");
    let offsets: Vec<u64> = built
        .lines()
        .map(|l| Entry::parse(l).unwrap().offset)
        .collect();
    assert!(!offsets.contains(&fields.offset), "{built}");
    assert!(
        built.contains(r#""mime": "warc/revisit", "status": "304""#),
        "{built}"
    );
    assert!(
        built.contains(r#""mime": "Text/HTML", "status": "200""#),
        "{built}"
    );
    assert_eq!(
        index_names(&index_dir),
        [format!("{file_name}.cdxj")],
        "side file and temporary file gone"
    );
}

#[test]
fn lines_wait_for_the_fsync() {
    // A failed fsync, injected, is in src/archive/tests/faults.rs; here: no record reaches the
    // side file before its batch's fsync.
    let dir = tempfile::tempdir().unwrap();
    let (warc_dir, index_dir) = (dir.path().join("warc"), dir.path().join("index"));
    let mut live = Live::new(&warc_dir, &index_dir);
    let mut w = writer(&warc_dir);
    let kept = w
        .write_exchange(&exchange(ARTICLE, 200, &[], b"1"))
        .unwrap();
    w.sync().unwrap();
    hand_over(&mut w, &mut live);
    let side = side_path(&index_dir, &kept.filename);
    let first = fs::read_to_string(&side).unwrap();
    assert_eq!(first.lines().count(), 1, "{first}");
    assert!(first.contains(&format!("\"offset\": \"{}\"", kept.offset)));
    // Written, not yet synced: nothing reaches the side file.
    w.write_exchange(&exchange(ARTICLE, 200, &[], b"2"))
        .unwrap();
    assert!(w.take_indexed().is_empty(), "facts wait for the fsync");
    assert_eq!(fs::read_to_string(&side).unwrap(), first);
}

#[test]
fn recovery_discards_side_files_and_indexes_by_reading() {
    let dir = tempfile::tempdir().unwrap();
    let (warc_dir, index_dir) = (dir.path().join("warc"), dir.path().join("index"));
    // A file killed while open: its side file names a record recovery will not find.
    let killed = write_warc(&warc_dir).file;
    let killed_name = name(&killed);
    fs::rename(&killed, warc_dir.join(format!("{killed_name}.open"))).unwrap();
    fs::create_dir_all(index_dir.join("cdxj")).unwrap();
    let stale = "zz,ghost)/ 20260101000000 {\"url\": \"http://ghost/\"}\n";
    fs::write(side_path(&index_dir, &killed_name), stale).unwrap();
    // A file killed after its rename, before its index was sorted.
    let mut w = writer(&warc_dir);
    w.write_exchange(&exchange(
        "https://baohaugiang.com.vn/b.html",
        200,
        &[],
        b"b",
    ))
    .unwrap();
    let renamed = w.close().unwrap().unwrap();
    let renamed_name = name(&renamed);
    fs::write(side_path(&index_dir, &renamed_name), stale).unwrap();
    // An orphan side file whose WARC is gone.
    fs::write(side_path(&index_dir, "gone.warc.gz"), stale).unwrap();

    crate::crawl::recover(dir.path()).unwrap();
    let mut expected = vec![
        format!("{killed_name}.cdxj"),
        format!("{renamed_name}.cdxj"),
    ];
    expected.sort();
    assert_eq!(index_names(&index_dir), expected, "no side file left");
    for (file, file_name) in [(&killed, &killed_name), (&renamed, &renamed_name)] {
        let text = fs::read_to_string(path_for(&index_dir, file_name)).unwrap();
        let lines = index_file(file, file_name).unwrap().join("\n") + "\n";
        assert_eq!(text, lines, "{file_name} indexed by reading");
        assert!(!text.contains("ghost"));
    }
}

#[tokio::test]
async fn the_recorder_indexes_every_file_it_rotates() {
    let dir = tempfile::tempdir().unwrap();
    let (warc_dir, index_dir) = (dir.path().join("warc"), dir.path().join("index"));
    let info = Info {
        software: "baoluu/test".into(),
        hostname: "test".into(),
        user_agent: "baoluu-test".into(),
        from: None,
        is_part_of: String::new(),
    };
    let live = Box::new(Live::new(&warc_dir, &index_dir));
    // Small files: every capture after the first rotates.
    let recorder = crate::archive::Recorder::start(warc_dir.clone(), info, 1, live, None).unwrap();
    for n in 0..3 {
        let url = format!("https://baohaugiang.com.vn/tin-{n}.html");
        let ex = exchange(&url, 200, &[("content-type", "text/html")], b"<p>x</p>");
        let capture = recorder.record("p", std::sync::Arc::new(ex)).await.unwrap();
        let meta = METADATA.to_vec();
        recorder
            .metadata("p", &capture, "application/json", meta, None)
            .await
            .unwrap();
    }
    let closed = recorder.close().await.unwrap();
    let mut files: Vec<PathBuf> = fs::read_dir(&warc_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 3, "{files:?}");
    assert_eq!(closed.len(), 1, "the last file, closed at shutdown");
    for file in &files {
        let file_name = name(file);
        let text = fs::read_to_string(path_for(&index_dir, &file_name)).unwrap();
        let lines = index_file(file, &file_name).unwrap();
        assert_eq!(lines.len(), 2, "response + metadata: {lines:?}");
        assert_eq!(text, lines.join("\n") + "\n");
    }
    let expected: Vec<String> = files.iter().map(|f| format!("{}.cdxj", name(f))).collect();
    assert_eq!(index_names(&index_dir), expected, "no side file left");
}
