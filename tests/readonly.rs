//! An operator who may only read the archive (the README adds readers to the `baoluu` group)
//! can run every read-only command: `status` and `verify` open state.sqlite read-only and write
//! nothing (issue 13, item 8).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use support::cli::{UA, baoluu, stderr, stdout, write_config};
use support::fixture::tiny_portal;

/// The user that reads: `nobody` when the tests run as root (root ignores file modes).
const NOBODY: &str = "65534";

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Runs the binary as a user who can read but not write `archive` (and cannot create files in
/// it): as `nobody` under root, else as ourselves with the write bits removed.
fn as_reader(config: &Path, args: &[&str]) -> Output {
    let bin = env!("CARGO_BIN_EXE_baoluu");
    let mut cmd = if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid", NOBODY, "--regid", NOBODY, "--clear-groups", bin]);
        c
    } else {
        Command::new(bin)
    };
    cmd.arg("--config").arg(config).args(args);
    cmd.output().expect("setpriv or baoluu runs")
}

/// Every folder 0555 and every file 0444 below (and including) `dir`.
fn make_read_only(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            make_read_only(&path);
        } else {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o444)).unwrap();
        }
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o555)).unwrap();
}

#[test]
fn status_and_verify_work_for_a_reader_who_cannot_write() {
    let fixture = tiny_portal("127.0.0.2");
    let dir = tempfile::tempdir().unwrap();
    let host = fixture.addr().to_string();
    let config = write_config(
        dir.path(),
        &format!(
            "[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"archive\"\nmin_free_space = \"1MB\"\n\
             min_delay = \"10ms\"\ndelay_factor = 0.0\n[[portal]]\nname = \"p\"\n\
             seeds = [\"http://{host}/\"]\nhosts = [\"{host}\"]\n\
             article_urls = ['^http://[^/]+/tin-\\d+$']\nlisting_urls = ['^http://[^/]+/$']\n"
        ),
    );
    let crawled = baoluu(&config, &["crawl"]);
    assert!(crawled.status.success(), "crawl: {}", stderr(&crawled));
    let archive = dir.path().join("archive");
    assert!(archive.join("state.sqlite").exists());
    make_read_only(dir.path());
    // The root of a tempdir must stay traversable for `nobody`.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();

    let status = as_reader(&config, &["status"]);
    assert!(
        status.status.success(),
        "status as a reader: {}",
        stderr(&status)
    );
    let text = stdout(&status);
    assert!(
        text.contains("p: run 1 finished"),
        "status shows the run: {text}"
    );
    assert!(text.contains("next:"), "status shows the next run: {text}");
    // The politeness in force, per host (issue 13, item 12).
    let expected = format!("politeness: {host}: ≥ 10ms between requests (min_delay 10ms)");
    assert!(text.contains(&expected), "status shows the delay: {text}");
    assert!(
        text.contains(&format!("robots.txt of http://{host}: unavailable (4xx")),
        "status shows the robots.txt state: {text}"
    );

    let verify = as_reader(&config, &["verify"]);
    assert!(
        verify.status.success(),
        "verify as a reader: {}{}",
        stdout(&verify),
        stderr(&verify)
    );
    // Nothing was created beside the state file (no -wal/-shm left by a reader).
    let names: Vec<String> = std::fs::read_dir(&archive)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.ends_with("-wal") || n.ends_with("-shm")),
        "a reader left files behind: {names:?}"
    );
    // Let tempdir clean up.
    for_all_writable(dir.path());
}

fn for_all_writable(dir: &Path) {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_dir() {
            for_all_writable(&entry.path());
        }
    }
}
