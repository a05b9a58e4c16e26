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
use std::path::{Path, PathBuf};
use std::process::Command;

use baoluu::archive::reader;
use baoluu::cdxj::Entry;
use baoluu::wacz::{self, Selection};
use support::Fixture;
use support::cli::{baoluu, oracle, stderr, stdout, warc_files, write_config};
use support::portal::{self, Spec};
use support::portal_extra;

struct World {
    portal: Fixture,
    extra: Fixture,
    spec: Spec,
    dir: tempfile::TempDir,
}

impl World {
    fn archive(&self) -> PathBuf {
        self.dir.path().join("archive")
    }

    /// Every archived article URL, both portals.
    fn article_urls(&self) -> Vec<String> {
        let mut urls: Vec<String> = portal::reachable_articles(&self.spec)
            .iter()
            .map(|path| self.portal.url(path))
            .collect();
        urls.extend(
            portal_extra::ARTICLES
                .iter()
                .map(|path| self.extra.url(&portal_extra::encoded(path))),
        );
        urls
    }
}

fn config_text(portal: &Fixture, extra: &Fixture) -> String {
    portal_extra::two_portal_config(
        portal,
        "max_listing_pages = 5\nstale_listing_pages = 1",
        extra,
        "vn-tin",
    )
}

/// Serves both portals and crawls them once through the binary.
fn crawled() -> World {
    let spec = Spec::new(300, None);
    let portal = portal::serve("127.0.0.6", spec.clone());
    let extra = portal_extra::serve("127.0.0.7");
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &config_text(&portal, &extra));
    let out = baoluu(&config, &["crawl"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "crawl failed:\n{}",
        stderr(&out)
    );
    let world = World {
        portal,
        extra,
        spec,
        dir,
    };
    assert!(!warc_files(&world.archive()).is_empty(), "no WARC written");
    world
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
