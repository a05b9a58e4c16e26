//! WACZ packaging end to end (issue 6): the fixture portals are crawled through the binary, the
//! archive is packaged with [`baoluu::wacz::package`], and the package is read back.
//!
//! - `wacz validate` (py-wacz, the WACZ reference implementation) accepts the package: required
//!   files, frictionless checks of `datapackage.json` (every entry's size and sha256), every file
//!   listed, `datapackage-digest.json` matching — for the whole archive and for one portal.
//! - Replayers read records by range from inside the ZIP: every line of `indexes/index.cdx.gz`
//!   points, through its WARC entry's data offset in the `.wacz` file, at a gzip member holding
//!   the record of that URL (what ReplayWeb.page does with HTTP range requests).
//! - `pages/pages.jsonl` lists every archived article and the portal's front page.
//!
//! The `wacz validate` check skips when the tool is missing, unless `BAOLUU_REQUIRE_ORACLES` is
//! set (`./.ci/run` installs it from `.ci/requirements.txt`).

mod support;

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use baoluu::archive::reader;
use baoluu::cdxj::Entry;
use baoluu::wacz::{self, Selection};
use support::cli::{oracle, stderr, stdout, warc_files};
use support::portal::Spec;
use support::world::{ONCE, Plan, World};

/// Serves both portals and crawls them once.
fn crawled() -> World {
    World::crawled(Plan {
        hosts: ("127.0.0.6", "127.0.0.7"),
        spec: Spec::new(300, None),
        portal_keys: ONCE,
        extra_name: "vn-tin",
        runs: 1,
    })
}

/// `wacz validate -f FILE` must exit 0 and say so.
fn validate(wacz_tool: &Path, file: &Path) {
    let out = Command::new(wacz_tool)
        .args(["validate", "-f"])
        .arg(file)
        .output()
        .expect("wacz runs");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        out.status.success() && text.contains("Validation succeeded"),
        "wacz validate rejects {}:\n{text}",
        file.display()
    );
}

/// `baoluu verify --wacz FILE`: its exit code and output.
fn verify_wacz(file: &Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_baoluu"))
        .args(["verify", "--wacz"])
        .arg(file)
        .output()
        .expect("baoluu runs");
    (
        out.status.code(),
        format!("{}{}", stdout(&out), stderr(&out)),
    )
}

/// The package passes `verify --wacz`: exit 0 and a one-line summary.
fn verified(file: &Path) {
    let (code, text) = verify_wacz(file);
    assert_eq!(
        code,
        Some(0),
        "verify --wacz rejects {}:\n{text}",
        file.display()
    );
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.contains("no problems"), "{text}");
}

/// A copy of the package at `src` with `change` applied to each entry's bytes (`None` leaves
/// the entry out); entries keep their compression method.
fn altered(src: &Path, dst: &Path, change: impl Fn(&str, Vec<u8>) -> Option<(String, Vec<u8>)>) {
    let mut zip = zip_archive(src);
    let mut out = zip::ZipWriter::new(std::fs::File::create(dst).unwrap());
    for i in 0..zip.len() {
        let mut file = zip.by_index(i).unwrap();
        let (name, method) = (file.name().unwrap().to_string(), file.compression());
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).unwrap();
        if let Some((name, bytes)) = change(&name, bytes) {
            let options = zip::write::SimpleFileOptions::default().compression_method(method);
            out.start_file(name, options).unwrap();
            std::io::Write::write_all(&mut out, &bytes).unwrap();
        }
    }
    out.finish().unwrap();
}

fn zip_archive(path: &Path) -> zip::ZipArchive<std::fs::File> {
    zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap()
}

fn entry_bytes(path: &Path, name: &str) -> Vec<u8> {
    let mut zip = zip_archive(path);
    let mut bytes = Vec::new();
    zip.by_name(name).unwrap().read_to_end(&mut bytes).unwrap();
    bytes
}

fn cdx_lines(path: &Path) -> Vec<Entry> {
    let gz = entry_bytes(path, "indexes/index.cdx.gz");
    let mut text = String::new();
    flate2::read::MultiGzDecoder::new(&gz[..])
        .read_to_string(&mut text)
        .unwrap();
    text.lines().map(|l| Entry::parse(l).unwrap()).collect()
}

/// URLs listed in pages.jsonl (after the header line).
fn page_urls(path: &Path) -> HashSet<String> {
    let text = String::from_utf8(entry_bytes(path, "pages/pages.jsonl")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(r#"{"format":"json-pages-1.0","id":"pages","title":"All Pages"}"#)
    );
    lines
        .map(|l| {
            let page: serde_json::Value = serde_json::from_str(l).unwrap();
            assert!(page["ts"].as_str().unwrap().ends_with('Z'), "{l}");
            page["url"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn the_whole_archive_packages_as_a_valid_wacz() {
    let w = crawled();
    let out = w.dir.path().join("all.wacz");
    let summary = wacz::package(&w.archive(), &out, &Selection::default()).unwrap();
    assert_eq!(summary.warcs.len(), warc_files(&w.archive()).len());
    if let Some(tool) = oracle("wacz") {
        validate(&tool, &out);
    }
    verified(&out);
    let pages = page_urls(&out);
    for url in w.article_urls() {
        assert!(pages.contains(&url), "{url} is not in pages.jsonl");
    }
    assert!(pages.contains(&w.portal.url("/")), "the seed is not listed");
    assert_eq!(
        pages.len(),
        summary.articles + summary.listings,
        "{summary:?}"
    );
}

#[test]
fn every_index_line_opens_its_record_inside_the_zip() {
    let w = crawled();
    let out = w.dir.path().join("hg.wacz");
    let select = Selection {
        portal: Some("hg".into()),
        since: None,
    };
    let summary = wacz::package(&w.archive(), &out, &select).unwrap();
    assert!(summary.warcs.iter().all(|name| name.starts_with("hg-")));
    if let Some(tool) = oracle("wacz") {
        validate(&tool, &out);
    }
    verified(&out);
    let mut zip = zip_archive(&out);
    let lines = cdx_lines(&out);
    assert_eq!(lines.len(), summary.cdx_lines);
    for entry in &lines {
        let file = zip
            .by_name(&format!("archive/{}", entry.filename))
            .unwrap_or_else(|_| panic!("{} is not in the package", entry.filename));
        assert_eq!(file.compression(), zip::CompressionMethod::Stored);
        let start = file.data_start().unwrap();
        drop(file);
        // A range read of the .wacz file itself, as ReplayWeb.page does.
        let record = reader::read_at(&out, start + entry.offset).unwrap();
        assert_eq!(record.header("WARC-Target-URI"), Some(entry.url.as_str()));
        assert_eq!(record.length, entry.length, "{}", entry.url);
    }
    let pages = page_urls(&out);
    assert!(pages.iter().all(|url| url.starts_with(&w.portal.url("/"))));
    assert!(!pages.contains(&w.extra.url("/")), "another portal's page");
}

/// How a corrupted copy changes an entry (see [`altered`]).
type Change<'a> = Box<dyn Fn(&str, Vec<u8>) -> Option<(String, Vec<u8>)> + 'a>;

/// Overwrites the 64 hex digits after the first `marker` in the entry `target` with `fill`.
fn wrong_hex(target: &'static str, marker: &'static str, fill: char) -> Change<'static> {
    Box::new(move |name, b| {
        if name != target {
            return Some((name.to_string(), b));
        }
        let t = String::from_utf8(b).unwrap();
        let at = t.find(marker).unwrap() + marker.len();
        let hex = fill.to_string().repeat(64);
        Some((
            name.to_string(),
            format!("{}{hex}{}", &t[..at], &t[at + 64..]).into_bytes(),
        ))
    })
}

/// Each corruption of a good package fails `verify --wacz` with that problem named.
#[test]
fn verify_wacz_names_each_corruption() {
    let w = crawled();
    let good = w.dir.path().join("good.wacz");
    wacz::package(&w.archive(), &good, &Selection::default()).unwrap();
    verified(&good);
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap();
    let same = |name: &str, b: Vec<u8>| Some((name.to_string(), b));
    let lines = cdx_lines(&good);
    let moved = lines[lines.len() / 2].clone();
    let wrong = Entry {
        offset: moved.offset + 7,
        ..moved.clone()
    };
    let offset_problem = format!(
        "no WARC record at offset {} of archive/{}",
        wrong.offset, wrong.filename
    );
    let cases: Vec<(&str, Change, String)> = vec![
        (
            "wrong sha256 in datapackage.json",
            wrong_hex("datapackage.json", "\"sha256:", '0'),
            "sha256 is sha256:".to_string(),
        ),
        (
            "missing index.idx",
            Box::new(move |name, b| (name != "indexes/index.idx").then(|| (name.to_string(), b))),
            "indexes/index.idx: missing".to_string(),
        ),
        (
            "an idx block digest wrong",
            wrong_hex("indexes/index.idx", "\"digest\":\"sha256:", 'f'),
            "indexes/index.idx block 1: digest is sha256:".to_string(),
        ),
        (
            "a CDXJ line with a wrong offset",
            // The index as a plain .cdxj (a form replayers load), one line's offset moved.
            Box::new(move |name, b| match name {
                "indexes/index.idx" => None,
                "indexes/index.cdx.gz" => {
                    let mut all = String::new();
                    flate2::read::MultiGzDecoder::new(&b[..])
                        .read_to_string(&mut all)
                        .unwrap();
                    let plain: String = all
                        .lines()
                        .map(|l| {
                            if Entry::parse(l).unwrap() == moved {
                                wrong.to_line()
                            } else {
                                l.to_string()
                            }
                        })
                        .map(|l| format!("{l}\n"))
                        .collect();
                    Some(("indexes/index.cdxj".to_string(), plain.into_bytes()))
                }
                _ => same(name, b),
            }),
            offset_problem,
        ),
        (
            "a page with no capture",
            Box::new(move |name, b| {
                if name != "pages/pages.jsonl" {
                    return same(name, b);
                }
                let page = r#"{"url":"http://127.0.0.6/khong-co.html","ts":"2026-11-01T00:00:00Z","title":"Không có"}"#;
                same(name, format!("{}{page}\n", text(b)).into_bytes())
            }),
            "the page http://127.0.0.6/khong-co.html has no capture in the index".to_string(),
        ),
    ];
    for (what, change, expected) in cases {
        let bad = w.dir.path().join("bad.wacz");
        altered(&good, &bad, change);
        let (code, out) = verify_wacz(&bad);
        assert_eq!(code, Some(1), "{what}: exit 1 expected:\n{out}");
        assert!(
            out.contains(&expected),
            "{what}: {expected:?} not named:\n{out}"
        );
    }
}
