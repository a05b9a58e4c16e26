//! SIGHUP reload rebuilds everything derived from the portals (issue 13, item 7): a host added
//! by the reload may be fetched (the address guard is rebuilt), a removed one no longer may, and
//! a reload that changes `archive_dir` is refused whole (that needs a restart), so run reports
//! never land apart from the WARC files.

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use support::Fixture;
use support::cli::{self, UA, write_config};
use support::fixture::tiny_portal;

fn portal_table(name: &str, fixture: &Fixture) -> String {
    let host = fixture.addr().to_string();
    format!(
        "[[portal]]\nname = \"{name}\"\nseeds = [\"http://{host}/\"]\nhosts = [\"{host}\"]\n\
         article_urls = ['^http://[^/]+/tin-\\d+$']\nlisting_urls = ['^http://[^/]+/$']\n\
         schedule = \"every 1h\"\n"
    )
}

fn config_text(archive_dir: &str, portals: &[String]) -> String {
    format!(
        "[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"{archive_dir}\"\nmin_free_space = \"1MB\"\n\
         min_delay = \"10ms\"\ndelay_factor = 0.0\ngrace_period = \"3s\"\n\n{}",
        portals.join("\n")
    )
}

fn wait_for(what: &str, ready: impl Fn() -> bool) {
    support::wait::wait_for(what, Duration::from_secs(30), ready);
}

fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

type Log = Arc<Mutex<String>>;

/// Reads the child's stderr on a thread, so the test can wait on its lines.
fn collect_stderr(child: &mut Child) -> Log {
    let log = Log::default();
    let mut pipe = child.stderr.take().unwrap();
    let sink = log.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    log
}

fn text(log: &Log) -> String {
    log.lock().unwrap().clone()
}

fn article_fetched(fixture: &Fixture) -> bool {
    fixture.log().iter().any(|r| r.path() == "/tin-1")
}

/// Run reports of `portal` under `archive/runs`.
fn reports(archive: &Path, portal: &str) -> usize {
    std::fs::read_dir(archive.join("runs"))
        .map(|d| {
            d.flatten()
                .filter(|e| {
                    std::fs::read_to_string(e.path())
                        .is_ok_and(|t| t.contains(&format!("\"{portal}\"")))
                })
                .count()
        })
        .unwrap_or(0)
}

#[test]
fn reload_rebuilds_the_guard_and_refuses_a_new_archive_dir() {
    let (a, b, c) = (
        tiny_portal("127.0.0.21"),
        tiny_portal("127.0.0.22"),
        tiny_portal("127.0.0.23"),
    );
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let config = write_config(
        dir.path(),
        &config_text("archive", &[portal_table("a", &a)]),
    );
    let mut child = cli::command(&config, &["daemon"])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let log = collect_stderr(&mut child);
    wait_for("portal a's first run", || reports(&archive, "a") >= 1);

    // A reload that also moves archive_dir is refused whole: b is not added.
    let moved = [portal_table("a", &a), portal_table("b", &b)];
    write_config(dir.path(), &config_text("elsewhere", &moved));
    signal(&child, "HUP");
    // Then a valid reload adds c (b's reload was refused, so b stays out).
    let added = [portal_table("a", &a), portal_table("c", &c)];
    // The first SIGHUP must be handled before the file changes again: wait for its verdict.
    wait_for("the first reload's verdict", || {
        text(&log).contains("config_reload")
    });
    assert!(
        text(&log).contains("archive_dir"),
        "the refused reload says why (archive_dir needs a restart): {}",
        text(&log)
    );
    write_config(dir.path(), &config_text("archive", &added));
    signal(&child, "HUP");
    wait_for("portal c's run after the reload", || {
        reports(&archive, "c") >= 1
    });

    assert!(
        article_fetched(&c),
        "a host added by reload is fetched, not refused"
    );
    assert!(
        b.log().is_empty(),
        "the refused reload added nothing: {:?}",
        b.log()
    );
    assert!(
        !dir.path().join("elsewhere").exists(),
        "nothing written to the refused archive_dir"
    );
    signal(&child, "TERM");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "daemon did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(child.wait().unwrap().code(), Some(0));
    // c's index line is in the one archive.
    let index = std::fs::read_to_string(archive.join("index/c.jsonl")).unwrap_or_default();
    assert!(
        index.contains("/tin-1"),
        "c's article indexed in the old archive: {index}"
    );
}
