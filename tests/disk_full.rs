//! A real ENOSPC (issue 7): the archive lives on a tiny tmpfs; the crawl stops with a clear
//! error and exit 75, everything written stays valid, and after the disk grows the next run
//! continues where it stopped. Needs root to mount (CI runs as root); skips elsewhere.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use baoluu::archive::reader;
use support::cli::{UA, baoluu, stderr, warc_files, warcio_check, write_config};
use support::portal::{self, Spec};

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Tmpfs> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            assert!(
                std::env::var_os("BAOLUU_REQUIRE_ORACLES").is_none(),
                "CI must be able to mount a tmpfs"
            );
            eprintln!("skipping the ENOSPC test: cannot mount a tmpfs here (not root?)");
        }
        ok.then(|| Tmpfs(dir.to_path_buf()))
    }

    fn grow(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(status.success(), "remount failed");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_stops_the_crawl_resumably_and_loses_nothing() {
    let spec = Spec::new(300, None);
    let fixture = portal::serve("127.0.0.3", spec.clone());
    let dir = tempfile::tempdir().unwrap();
    let disk = dir.path().join("disk");
    std::fs::create_dir(&disk).unwrap();
    let Some(tmpfs) = Tmpfs::mount(&disk, "160k") else {
        return;
    };
    let table = portal::table("b", &fixture, "");
    let config = write_config(
        dir.path(),
        &format!(
            r#"[crawler]
user_agent = "{UA}"
archive_dir = "disk/archive"
min_delay = "10ms"
delay_factor = 0.0
retries = 1
# The guard would stop first (it is meant to): this test is about a real ENOSPC.
min_free_space = "0"

{table}"#
        ),
    );
    let out = baoluu(&config, &["crawl"]);
    let err = stderr(&out);
    assert_eq!(
        out.status.code(),
        Some(75),
        "a full disk must stop the crawl resumably:\n{err}"
    );
    assert!(err.contains("disk under the archive is full"), "{err}");

    tmpfs.grow("64m");
    let archive = disk.join("archive");
    let out = baoluu(&config, &["crawl"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "the next run continues:\n{}",
        stderr(&out)
    );
    // Nothing lost: every record reads and verifies, every article is in the index once.
    let mut urls = Vec::new();
    for file in warc_files(&archive) {
        for record in reader::records(&file).unwrap() {
            record.unwrap().verify_digests().unwrap();
        }
        warcio_check(&file);
    }
    let index = std::fs::read_to_string(archive.join("index/b.jsonl")).unwrap();
    for line in index.lines() {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        urls.push(line["url"].as_str().unwrap().to_string());
    }
    urls.sort();
    let lines = urls.len();
    urls.dedup();
    assert_eq!(urls.len(), lines, "an article was indexed twice");
    let mut expected: Vec<String> = portal::reachable_articles(&spec)
        .iter()
        .map(|p| fixture.url(p))
        .collect();
    expected.sort();
    assert_eq!(urls, expected);
}

#[test]
fn the_disk_guard_stops_a_run_cleanly_and_the_next_run_resumes() {
    let spec = Spec::new(300, None);
    let fixture = portal::serve("127.0.0.3", spec.clone());
    let dir = tempfile::tempdir().unwrap();
    let table = portal::table("b", &fixture, "");
    let text = |min_free: &str| {
        format!(
            "[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"archive\"\nmin_delay = \"10ms\"\ndelay_factor = 0.0\nmin_free_space = \"{min_free}\"\n{table}"
        )
    };
    let config = write_config(dir.path(), &text("1000TB"));
    let out = baoluu(&config, &["crawl"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(75), "{err}");
    assert!(
        err.contains("below min_free_space"),
        "the run says why it stopped:\n{err}"
    );
    warc_files(&dir.path().join("archive")); // no .open file left behind
    assert!(
        fixture.log().len() <= 1,
        "the guard stops before fetching much: {}",
        fixture.log().len()
    );

    let config = write_config(dir.path(), &text("1MB"));
    let out = baoluu(&config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("resumed"), "{}", stderr(&out));
}
