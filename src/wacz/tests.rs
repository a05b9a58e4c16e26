//! Packaging a small hand-made archive and reading the WACZ back with the `zip` crate's reader.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::TimeZone;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde_json::Value;
use sha2::{Digest, Sha256};
use zip::{CompressionMethod, ZipArchive};

use super::*;

const HG: &str = "hg-20261127180000-00001-Crawler.warc.gz";
const VN: &str = "vn-old-20261120000000-00001-crawler.warc.gz";

pub(super) fn member(text: &[u8]) -> Vec<u8> {
    let mut gz = GzEncoder::new(Vec::new(), Compression::default());
    gz.write_all(text).unwrap();
    gz.finish().unwrap()
}

fn record(kind: &str, url: &str, date: &str, content_type: &str, block: &[u8]) -> Vec<u8> {
    let mut text = format!(
        "WARC/1.1\r\nWARC-Type: {kind}\r\nWARC-Target-URI: {url}\r\nWARC-Date: {date}\r\n\
         WARC-Record-ID: <urn:uuid:{}>\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n\r\n",
        uuid::Uuid::new_v4(),
        block.len()
    )
    .into_bytes();
    text.extend_from_slice(block);
    text.extend_from_slice(b"\r\n\r\n");
    member(&text)
}

pub(super) fn response(url: &str, date: &str, status: &str, mime: &str, body: &str) -> Vec<u8> {
    let block = format!("HTTP/1.1 {status}\r\nContent-Type: {mime}\r\n\r\n{body}");
    record(
        "response",
        url,
        date,
        "application/http;msgtype=response",
        block.as_bytes(),
    )
}

/// An archive with two closed files (one with a CDXJ index, one without), a `.open` file and a
/// JSON index whose last line is torn.
fn archive() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let warc = dir.path().join("warc");
    fs::create_dir_all(&warc).unwrap();
    let hg = [
        record(
            "warcinfo",
            "",
            "2026-11-27T18:00:00Z",
            "application/warc-fields",
            b"software: t\r\n",
        ),
        response(
            "http://hg.example/",
            "2026-11-27T18:00:01Z",
            "200 OK",
            "text/html; charset=utf-8",
            "<html><head><title>\n Trang chủ &amp; tin </title></head><body>x</body></html>",
        ),
        response(
            "http://hg.example/tin-1.html",
            "2026-11-27T18:00:02Z",
            "200 OK",
            "text/html",
            "<title>Bài một</title><p>Nội dung</p>",
        ),
        response(
            "http://hg.example/robots.txt",
            "2026-11-27T18:00:00Z",
            "200 OK",
            "text/plain",
            "User-agent: *",
        ),
        response(
            "http://hg.example/missing.html",
            "2026-11-27T18:00:03Z",
            "404 Not Found",
            "text/html",
            "<title>404</title>",
        ),
    ]
    .concat();
    fs::write(warc.join(HG), hg).unwrap();
    let vn = response(
        "http://vn.example/",
        "2026-11-20T00:00:01Z",
        "200 OK",
        "text/html",
        "<p>no title</p>",
    );
    fs::write(warc.join(VN), vn).unwrap();
    fs::write(
        warc.join("hg-20261128000000-00002-crawler.warc.gz.open"),
        b"half",
    )
    .unwrap();
    let index = dir.path().join("index");
    crate::cdxj::write_for(&warc, &index, Path::new(HG)).unwrap();
    let article = serde_json::json!({
        "url": "http://hg.example/tin-1.html", "portal": "hg", "ts": "2026-11-27T18:00:02Z",
        "title": "Bài một", "text": "Nội dung", "filename": HG, "offset": 0, "length": 0,
    });
    let elsewhere = serde_json::json!({
        "url": "http://hg.example/tin-0.html", "ts": "2026-11-01T00:00:00Z",
        "title": "Cũ", "text": "cũ", "filename": "hg-gone.warc.gz",
    });
    let torn = "{\"url\": \"http://hg.example/tin-2";
    fs::write(
        index.join("hg.jsonl"),
        format!("{article}\n{elsewhere}\n{torn}"),
    )
    .unwrap();
    dir
}

struct Opened {
    zip: ZipArchive<fs::File>,
}

impl Opened {
    fn new(path: &Path) -> Opened {
        Opened {
            zip: ZipArchive::new(fs::File::open(path).unwrap()).unwrap(),
        }
    }

    /// Entry names in central-directory order.
    fn names(&mut self) -> Vec<String> {
        (0..self.zip.len())
            .map(|i| {
                self.zip
                    .by_index_raw(i)
                    .unwrap()
                    .name()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    fn method(&mut self, name: &str) -> CompressionMethod {
        self.zip.by_name(name).unwrap().compression()
    }

    fn bytes(&mut self, name: &str) -> Vec<u8> {
        let mut out = Vec::new();
        self.zip
            .by_name(name)
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    fn json(&mut self, name: &str) -> Value {
        serde_json::from_slice(&self.bytes(name)).unwrap()
    }

    fn lines(&mut self, name: &str) -> Vec<String> {
        let text = String::from_utf8(self.bytes(name)).unwrap();
        text.lines().map(String::from).collect()
    }

    fn cdx(&mut self) -> Vec<String> {
        let mut text = String::new();
        flate2::read::MultiGzDecoder::new(&self.bytes("indexes/index.cdx.gz")[..])
            .read_to_string(&mut text)
            .unwrap();
        text.lines().map(String::from).collect()
    }
}

fn packaged(select: &Selection) -> (tempfile::TempDir, Summary, Opened) {
    let dir = archive();
    let out = dir.path().join("out.wacz");
    let summary = package(dir.path(), &out, select).unwrap();
    let opened = Opened::new(&out);
    (dir, summary, opened)
}

fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

#[test]
fn entries_are_named_and_compressed_as_wacz_requires() {
    let (_dir, summary, mut wacz) = packaged(&Selection::default());
    assert_eq!(
        wacz.names(),
        [
            format!("archive/{HG}"),
            format!("archive/{VN}"),
            "indexes/index.cdx.gz".into(),
            "indexes/index.idx".into(),
            "pages/pages.jsonl".into(),
            "datapackage.json".into(),
            "datapackage-digest.json".into(),
        ]
    );
    assert_eq!(summary.warcs, [HG, VN]);
    for stored in [&format!("archive/{HG}"), "indexes/index.cdx.gz"] {
        assert_eq!(wacz.method(stored), CompressionMethod::Stored, "{stored}");
    }
    assert_eq!(
        wacz.method("pages/pages.jsonl"),
        CompressionMethod::Deflated
    );
}

/// Issue 20: ReplayWeb.page loads no index from `index.cdx.gz` alone; it needs `index.idx`,
/// whose blocks, read by range and gunzipped one by one, give back every line in order.
#[test]
fn the_idx_points_at_gzip_blocks_holding_every_index_line() {
    let (_dir, summary, mut wacz) = packaged(&Selection::default());
    let idx = String::from_utf8(wacz.bytes("indexes/index.idx")).unwrap();
    let blocks = crate::wacz::blocks::parse_idx(&idx).unwrap();
    assert!(!blocks.is_empty(), "{idx}");
    let gz = wacz.bytes("indexes/index.cdx.gz");
    let mut lines = Vec::new();
    for line in &blocks {
        assert_eq!(line.block.filename, "index.cdx.gz");
        let start = usize::try_from(line.block.offset).unwrap();
        let end = start + usize::try_from(line.block.length).unwrap();
        let bytes = &gz[start..end];
        assert_eq!(line.block.digest, sha256(bytes));
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.starts_with(&format!("{} ", line.prefix)), "{text}");
        lines.extend(text.lines().map(String::from));
    }
    assert_eq!(lines, wacz.cdx());
    assert_eq!(lines.len(), summary.cdx_lines);
}

#[test]
fn warcs_are_copied_byte_for_byte() {
    let (dir, _, mut wacz) = packaged(&Selection::default());
    let original = fs::read(dir.path().join("warc").join(HG)).unwrap();
    assert_eq!(wacz.bytes(&format!("archive/{HG}")), original);
}

#[test]
fn datapackage_lists_every_entry_with_its_hash_and_size() {
    let (_dir, _, mut wacz) = packaged(&Selection::default());
    let manifest = wacz.json("datapackage.json");
    assert_eq!(manifest["profile"], "data-package");
    assert_eq!(manifest["wacz_version"], "1.1.1");
    assert!(
        manifest["software"]
            .as_str()
            .unwrap()
            .starts_with("baoluu ")
    );
    let created = manifest["created"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{created}"
    );
    let resources = manifest["resources"].as_array().unwrap().clone();
    let paths: Vec<&str> = resources
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    let names = wacz.names();
    assert_eq!(
        paths,
        names[..names.len() - 2]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
    for resource in &resources {
        let bytes = wacz.bytes(resource["path"].as_str().unwrap());
        assert_eq!(resource["hash"].as_str().unwrap(), sha256(&bytes));
        assert_eq!(resource["bytes"].as_u64().unwrap(), bytes.len() as u64);
        let name = resource["name"].as_str().unwrap();
        assert!(
            name.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-._".contains(c)),
            "{name} breaks the Data Package name pattern"
        );
    }
    let digest = wacz.json("datapackage-digest.json");
    assert_eq!(digest["path"], "datapackage.json");
    assert_eq!(digest["hash"], sha256(&wacz.bytes("datapackage.json")));
}

#[test]
fn index_is_the_sorted_cdxj_of_both_files_named_as_in_the_zip() {
    let (dir, summary, mut wacz) = packaged(&Selection::default());
    let lines = wacz.cdx();
    assert_eq!(lines.len(), summary.cdx_lines);
    // 4 responses in HG, 1 in VN; warcinfo and requests are not indexed.
    assert_eq!(lines.len(), 5);
    let mut sorted = lines.clone();
    sorted.sort();
    assert_eq!(lines, sorted);
    for line in &lines {
        let entry = crate::cdxj::Entry::parse(line).unwrap();
        assert!(
            wacz.names()
                .contains(&format!("archive/{}", entry.filename))
        );
    }
    let warc = dir.path().join("warc");
    let mut expected = crate::cdxj::index_file(&warc.join(HG), HG).unwrap();
    expected.extend(crate::cdxj::index_file(&warc.join(VN), VN).unwrap());
    expected.sort();
    assert_eq!(lines, expected);
    assert!(
        !dir.path()
            .join("index/cdxj")
            .join(format!("{VN}.cdxj"))
            .exists(),
        "a missing CDXJ is rebuilt in memory, not written into the archive"
    );
}

#[test]
fn pages_list_articles_then_other_html_pages() {
    let (_dir, summary, mut wacz) = packaged(&Selection::default());
    let lines = wacz.lines("pages/pages.jsonl");
    assert_eq!(
        lines[0],
        r#"{"format":"json-pages-1.0","id":"pages","title":"All Pages"}"#
    );
    let pages: Vec<Value> = lines[1..]
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let urls: Vec<&str> = pages.iter().map(|p| p["url"].as_str().unwrap()).collect();
    // The article of a file not in the package, the 404, robots.txt and the torn line are out;
    // the indexed article is listed once, from the JSON index.
    assert_eq!(
        urls,
        [
            "http://hg.example/tin-1.html",
            "http://hg.example/",
            "http://vn.example/"
        ]
    );
    assert_eq!((summary.articles, summary.listings), (1, 2));
    assert_eq!(pages[0]["title"], "Bài một");
    assert_eq!(pages[0]["text"], "Nội dung");
    assert_eq!(pages[0]["ts"], "2026-11-27T18:00:02Z");
    assert_eq!(pages[1]["title"], "Trang chủ & tin");
    assert_eq!(pages[1]["ts"], "2026-11-27T18:00:01Z");
    assert!(pages[1].get("text").is_none());
    assert!(pages[2].get("title").is_none(), "a page without <title>");
    let ids: std::collections::HashSet<&str> =
        pages.iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|id| id.len() == 16));
}

#[test]
fn portal_selects_files_by_name() {
    let (_dir, summary, mut wacz) = packaged(&Selection {
        portal: Some("vn-old".into()),
        since: None,
    });
    assert_eq!(summary.warcs, [VN]);
    assert_eq!(wacz.cdx().len(), 1);
    assert_eq!(summary.articles, 0);
}

#[test]
fn since_keeps_files_with_a_capture_at_or_after_it() {
    let at = |s: &str| Some(chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc());
    let (_dir, summary, _) = packaged(&Selection {
        portal: None,
        since: at("2026-11-27T18:00:03Z"),
    });
    assert_eq!(summary.warcs, [HG]);
    let dir = archive();
    let err = package(
        dir.path(),
        &dir.path().join("x.wacz"),
        &Selection {
            portal: None,
            since: at("2026-11-27T18:00:04Z"),
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::Empty { .. }), "{err}");
    assert!(!dir.path().join("x.wacz").exists());
}

#[test]
fn refuses_an_output_without_the_wacz_extension() {
    let dir = archive();
    let out = dir.path().join("out.zip");
    let err = package(dir.path(), &out, &Selection::default()).unwrap_err();
    assert!(matches!(err, Error::NotWacz { .. }));
    assert!(err.to_string().contains(".wacz"));
    let code = run_cli(
        &crate::index::Sources::local(dir.path()),
        &out,
        Selection::default(),
    )
    .unwrap();
    assert_eq!(code, 2);
}

#[test]
fn a_cdxj_naming_another_file_is_an_error() {
    let dir = archive();
    let cdxj = crate::cdxj::path_for(&dir.path().join("index"), HG);
    let text = fs::read_to_string(&cdxj)
        .unwrap()
        .replace(HG, "other.warc.gz");
    fs::write(&cdxj, text).unwrap();
    let out = dir.path().join("out.wacz");
    let err = package(dir.path(), &out, &Selection::default()).unwrap_err();
    assert!(matches!(&err, Error::BadIndex { line: 1, .. }), "{err}");
    assert!(!out.exists() && !out.with_extension("wacz.tmp").exists());
}

#[test]
fn portal_names_may_hold_dashes() {
    assert_eq!(select::portal_of(VN), Some("vn-old"));
    assert_eq!(select::portal_of(HG), Some("hg"));
    assert_eq!(
        select::portal_of("save-20261127180000-00003-h-20261127180000-00001.warc.gz"),
        Some("save")
    );
    assert_eq!(select::portal_of("other.warc.gz"), None);
}

#[test]
fn titles_are_decoded_and_collapsed() {
    assert_eq!(
        pages::title_of("<HTML><TITLE>A &amp;\n  B</TITLE><p>rest"),
        Some("A & B".into())
    );
    assert_eq!(pages::title_of("<title>  </title>"), None);
    assert_eq!(pages::title_of("<p>none</p>"), None);
}

#[test]
fn since_accepts_times_dates_in_vietnam_time_and_durations() {
    let now = Utc.with_ymd_and_hms(2026, 11, 27, 12, 0, 0).unwrap();
    let parse = |s: &str| parse_since_at(s, now).unwrap().to_rfc3339();
    assert_eq!(parse("2026-11-01T08:00:00Z"), "2026-11-01T08:00:00+00:00");
    assert_eq!(parse("2026-11-01"), "2026-10-31T17:00:00+00:00");
    assert_eq!(parse("2026-11-01T07:30:00"), "2026-11-01T00:30:00+00:00");
    assert_eq!(parse("2d"), "2026-11-25T12:00:00+00:00");
    assert!(parse_since_at("last week", now).is_err());
}

#[test]
fn the_cli_prints_what_went_in() {
    let dir = archive();
    let out = dir.path().join("cli.wacz");
    let sources = crate::index::Sources::local(dir.path());
    let run = |portal: &str| {
        let selection = Selection {
            portal: Some(portal.into()),
            since: None,
        };
        run_cli(&sources, &out, selection).unwrap()
    };
    assert_eq!(run("hg"), 0);
    assert!(out.is_file());
    assert_eq!(run("nobody"), 1);
}

#[test]
fn report_line_counts_pages() {
    let summary = Summary {
        path: PathBuf::from("a.wacz"),
        warcs: vec!["x".into()],
        articles: 3,
        listings: 2,
        cdx_lines: 9,
        bytes: 100,
    };
    assert_eq!(
        report(&summary),
        "wrote a.wacz: 1 WARC files, 5 pages (3 articles, 2 other pages), 9 index lines, 100 bytes"
    );
}

/// ZIP64 for a WARC entry of 4 GiB or more (writes ~4 GiB to the temp dir: run on demand with
/// `cargo test --lib wacz -- --ignored`).
#[test]
#[ignore]
fn an_entry_over_4_gib_is_written_with_zip64_sizes() {
    use std::io::{Seek, SeekFrom};
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.warc.gz");
    let size = (4u64 << 30) + 4096;
    let file = fs::File::create(&big).unwrap();
    file.set_len(size - 4).unwrap();
    let mut file = fs::OpenOptions::new().append(true).open(&big).unwrap();
    file.write_all(b"tail").unwrap();
    let out = dir.path().join("big.wacz");
    let mut wacz = writer::Wacz::create(&out, Utc::now()).unwrap();
    wacz.copy_stored("archive/big.warc.gz", &big).unwrap();
    fs::remove_file(&big).unwrap();
    wacz.write_stored("indexes/index.cdx.gz", |out| {
        out.write_all(b"after the big one").unwrap();
        Ok(())
    })
    .unwrap();
    wacz.finish(&writer::Meta {
        title: "t".into(),
        description: "d".into(),
        created: Utc::now(),
    })
    .unwrap();
    let mut zip = ZipArchive::new(fs::File::open(&out).unwrap()).unwrap();
    let entry = zip.by_name("archive/big.warc.gz").unwrap();
    assert_eq!(entry.size(), size);
    let start = entry.data_start().unwrap();
    drop(entry);
    let mut raw = fs::File::open(&out).unwrap();
    raw.seek(SeekFrom::Start(start + size - 4)).unwrap();
    let mut tail = [0; 4];
    raw.read_exact(&mut tail).unwrap();
    assert_eq!(&tail, b"tail");
    let after = zip.by_name("indexes/index.cdx.gz").unwrap();
    assert!(
        after.header_start() > size,
        "the next entry's offset needs ZIP64 too"
    );
    drop(after);
    let mut small = String::new();
    zip.by_name("indexes/index.cdx.gz")
        .unwrap()
        .read_to_string(&mut small)
        .unwrap();
    assert_eq!(small, "after the big one");
}

#[test]
fn an_index_line_with_a_bad_time_is_named_by_file_and_line() {
    let dir = archive();
    let index = dir.path().join("index/hg.jsonl");
    let text = fs::read_to_string(&index)
        .unwrap()
        .replace("2026-11-27T18:00:02Z", "yesterday");
    fs::write(&index, text).unwrap();
    let err = package(
        dir.path(),
        &dir.path().join("o.wacz"),
        &Selection::default(),
    )
    .unwrap_err();
    match &err {
        Error::BadIndex { path, line, detail } => {
            assert_eq!((path, *line), (&index, 1));
            assert!(detail.contains("yesterday"), "{detail}");
        }
        other => panic!("expected BadIndex, got {other}"),
    }
}
