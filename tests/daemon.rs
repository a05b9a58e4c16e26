//! `baoluu daemon` against the fixture portal (issue 5): scheduled passes that fetch listings
//! and new articles only, schedules that survive a restart, SIGTERM drains and exits 0, SIGHUP
//! with a broken configuration keeps the old one.

mod support;

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use support::cli::{self, crawler_table, stderr, warc_files, write_config};
use support::portal::{self, Spec};
use support::wait::wait_for;
use support::{Fixture, Logged};

struct World {
    fixture: Fixture,
    spec: Spec,
    dir: tempfile::TempDir,
    config: PathBuf,
}

fn world(schedule: &str) -> World {
    let spec = Spec::new(300, None);
    let fixture = portal::serve("127.0.0.3", spec.clone());
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &config_text(&fixture, schedule));
    World {
        fixture,
        spec,
        dir,
        config,
    }
}

fn config_text(fixture: &Fixture, schedule: &str) -> String {
    let table = portal::table("b", fixture, &format!("schedule = \"{schedule}\""));
    format!("{}{table}", crawler_table("grace_period = \"5s\""))
}

impl World {
    fn archive(&self) -> PathBuf {
        self.dir.path().join("archive")
    }

    fn start(&self) -> Child {
        cli::command(&self.config, &["daemon"])
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// Starts the daemon with a systemd notification socket (and `envs`); stderr goes to
    /// `daemon-<n>.log`, read by [`Notified::stop`]. The socket is how tests see the daemon
    /// ready, reloaded and pinging, instead of sleeping.
    fn start_notified(&self, n: u32, envs: &[(&str, &std::ffi::OsStr)]) -> Notified {
        let socket_path = self.dir.path().join(format!("notify-{n}.sock"));
        let socket = UnixDatagram::bind(&socket_path).unwrap();
        let log = self.dir.path().join(format!("daemon-{n}.log"));
        let child = cli::command(&self.config, &["daemon"])
            .env("NOTIFY_SOCKET", &socket_path)
            .envs(envs.iter().copied())
            .stderr(std::fs::File::create(&log).unwrap())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Notified { child, socket, log }
    }

    fn index_lines(&self) -> Vec<serde_json::Value> {
        let path = self.archive().join("index/b.jsonl");
        let text = std::fs::read_to_string(path).unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

/// A daemon started by [`World::start_notified`].
struct Notified {
    child: Child,
    socket: UnixDatagram,
    log: PathBuf,
}

impl Notified {
    /// The next datagram within `limit`, if any.
    fn next(&self, limit: Duration) -> Option<String> {
        self.socket.set_read_timeout(Some(limit)).unwrap();
        let mut buf = [0u8; 512];
        let n = self.socket.recv(&mut buf).ok()?;
        Some(String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    /// Waits (bounded) for a datagram with the line `line`; returns the datagram.
    fn expect(&self, line: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "no {line} within {limit:?}");
            if let Some(message) = self.next(left)
                && message.lines().any(|l| l == line)
            {
                return message;
            }
        }
    }

    /// SIGTERM; the exit code and the log.
    fn stop(self) -> (Option<i32>, String) {
        let (code, _) = terminate(self.child, Duration::from_secs(20));
        (code, std::fs::read_to_string(&self.log).unwrap())
    }
}

/// SIGTERM, then the exit code and stderr (bounded: the child is killed after `limit`).
fn terminate(mut child: Child, limit: Duration) -> (Option<i32>, String) {
    signal(&child, "TERM");
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the daemon did not stop within {limit:?} of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), stderr(&out))
}

fn signal(child: &Child, name: &str) {
    let pid = child.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args([&format!("-{name}"), &pid])
            .status()
            .unwrap()
            .success()
    );
}

/// A pass is over when the URL that answers 500 was tried 1 + `retries` (2) times and every
/// article's image (requisites come last) was fetched.
fn failing_url_given_up(w: &World) -> bool {
    let log = w.fixture.log();
    let given_up = log.iter().filter(|r| r.path().contains("/loi-")).count() >= 3;
    let images = log.iter().filter(|r| r.path().starts_with("/anh/")).count();
    given_up && images >= portal::reachable_articles(&w.spec).len()
}

fn articles_requested(log: &[Logged]) -> Vec<String> {
    log.iter()
        .filter(|r| r.path().starts_with("/thoi-su/"))
        .map(|r| r.target.clone())
        .collect()
}

#[test]
fn a_second_scheduled_pass_fetches_listings_and_new_articles_only() {
    let w = world("every 3s");
    let child = w.start();
    let first = portal::reachable_articles(&w.spec).len();
    wait_for("the first pass", Duration::from_secs(60), || {
        w.index_lines().len() >= first
    });
    wait_for("the end of the first pass", Duration::from_secs(30), || {
        failing_url_given_up(&w)
    });
    // Between passes the portal publishes two articles.
    let marker = w.fixture.log().len();
    w.spec.extra_articles.store(2, Ordering::SeqCst);
    wait_for("the second pass", Duration::from_secs(60), || {
        w.index_lines().len() >= first + 2
    });
    let (code, err) = terminate(child, Duration::from_secs(20));
    assert_eq!(code, Some(0), "{err}");

    let second: Vec<Logged> = w.fixture.log().split_off(marker);
    assert!(
        second.iter().any(|r| r.target == "/"),
        "the seed is fetched again"
    );
    let new = [portal::article_path(350), portal::article_path(351)];
    // The URL that answered 500 in pass 1 gets its second chance (issue 5, part 6).
    let broken = format!("/thoi-su/loi-{}.html", w.spec.first_id + 14);
    let mut articles = articles_requested(&second);
    assert!(articles.contains(&broken), "no second chance: {articles:?}");
    articles.retain(|a| *a != broken);
    for target in &articles {
        // Anything else is a known article fetched again.
        assert!(
            new.contains(target),
            "pass 2 fetched a known article: {target}"
        );
    }
    for path in &new {
        assert!(
            articles.contains(path),
            "pass 2 missed the new article {path}"
        );
    }
    let lines = w.index_lines();
    assert_eq!(
        lines.len(),
        first + 2,
        "the index gains exactly the new lines"
    );
    warc_files(&w.archive());
}

/// Issue 13, item 5: a portal that never finished a run, on a cron schedule, runs at the first
/// slot after the daemon starts (here: the next second), not never.
#[test]
fn a_fresh_daemon_on_a_cron_schedule_runs_at_its_first_slot() {
    let w = world("* * * * * *");
    let child = w.start();
    wait_for("a request at the portal", Duration::from_secs(30), || {
        !w.fixture.log().is_empty()
    });
    let (code, err) = terminate(child, Duration::from_secs(20));
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("portal_run_started"), "{err}");
    assert_eq!(w.fixture.log()[0].target, "/robots.txt");
}

#[test]
fn a_restart_neither_runs_early_nor_forgets_the_schedule() {
    let w = world("every 1h");
    let child = w.start();
    let first = portal::reachable_articles(&w.spec).len();
    wait_for("the first pass", Duration::from_secs(60), || {
        w.index_lines().len() >= first
    });
    // Let the run finish (its report is written once the store recorded its end), then stop
    // and start again.
    wait_for("the run report", Duration::from_secs(60), || {
        run_reports(&w) > 0
    });
    let (code, err) = terminate(child, Duration::from_secs(20));
    assert_eq!(code, Some(0), "{err}");
    let before = w.fixture.log().len();
    // READY=1 comes just before the first scheduling decision, which runs before the loop
    // looks at signals: a due portal would be started (and logged) even if SIGTERM came at once.
    let daemon = w.start_notified(2, &[]);
    daemon.expect("READY=1", Duration::from_secs(30));
    let (code, err) = daemon.stop();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("daemon_started"), "{err}");
    assert!(
        !err.contains("portal_run_started"),
        "the portal ran again before its hour was up: {err}"
    );
    let after: Vec<String> = w
        .fixture
        .log()
        .split_off(before)
        .into_iter()
        .map(|r| r.target)
        .collect();
    assert!(
        after.is_empty(),
        "the portal ran again before its hour was up: {after:?}"
    );
}

#[test]
fn sigterm_mid_run_exits_0_closes_files_and_the_next_start_resumes() {
    let w = world("every 1h");
    let child = w.start();
    wait_for("a few articles", Duration::from_secs(60), || {
        articles_requested(&w.fixture.log()).len() >= 3
    });
    let started = Instant::now();
    let (code, err) = terminate(child, Duration::from_secs(20));
    assert_eq!(code, Some(0), "SIGTERM must exit 0:\n{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "the drain took {:?}",
        started.elapsed()
    );
    assert!(
        err.contains("draining") || err.contains("daemon_stopped"),
        "{err}"
    );
    warc_files(&w.archive()); // no .open file left

    let child = w.start();
    let all = portal::reachable_articles(&w.spec).len();
    wait_for("the resumed pass", Duration::from_secs(60), || {
        w.index_lines().len() >= all
    });
    let (code, _) = terminate(child, Duration::from_secs(20));
    assert_eq!(code, Some(0));
    let lines = w.index_lines();
    let mut urls: Vec<&str> = lines.iter().map(|l| l["url"].as_str().unwrap()).collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), lines.len(), "an article was indexed twice");
    assert_eq!(lines.len(), all);
}

/// Under systemd `Type=notify` (issue 5, part 3): READY=1 once the daemon is up, STOPPING=1
/// when SIGTERM starts the drain, datagrams on the socket named by `$NOTIFY_SOCKET`.
#[test]
fn the_daemon_tells_systemd_it_is_ready_and_stopping() {
    let w = world("every 1h");
    let socket_path = w.dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let child = cli::command(&w.config, &["daemon"])
        .env("NOTIFY_SOCKET", &socket_path)
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut buf = [0u8; 256];
    let n = socket.recv(&mut buf).expect("a notification within 30 s");
    let ready = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(ready.lines().any(|l| l == "READY=1"), "{ready}");
    assert!(ready.contains("STATUS=scheduling 1 portals"), "{ready}");
    let (code, err) = terminate(child, Duration::from_secs(20));
    assert_eq!(code, Some(0), "{err}");
    let n = socket.recv(&mut buf).expect("STOPPING=1 after SIGTERM");
    let stopping = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(stopping.lines().any(|l| l == "STOPPING=1"), "{stopping}");
}

#[test]
fn sighup_with_a_broken_config_keeps_the_running_one() {
    let w = world("every 1h");
    let daemon = w.start_notified(1, &[]);
    daemon.expect("READY=1", Duration::from_secs(30));
    wait_for("the first request", Duration::from_secs(30), || {
        !w.fixture.log().is_empty()
    });
    std::fs::write(&w.config, "[crawler]\nuser_agent = \"no contact\"\n").unwrap();
    signal(&daemon.child, "HUP");
    // RELOADING=1, then READY=1 once the reload was handled (rejected here).
    daemon.expect("RELOADING=1", Duration::from_secs(30));
    daemon.expect("READY=1", Duration::from_secs(30));
    assert!(
        child_alive(&daemon.child),
        "the daemon died on a broken reload"
    );
    let (code, err) = daemon.stop();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("config_reload_rejected"), "{err}");
    assert!(
        err.contains("user_agent"),
        "the rejection names the key: {err}"
    );
}

fn run_reports(w: &World) -> usize {
    std::fs::read_dir(w.archive().join("runs")).map_or(0, |d| d.count())
}

fn child_alive(child: &Child) -> bool {
    Path::new(&format!("/proc/{}", child.id())).exists()
}

#[test]
fn the_daemon_serves_metrics_writes_run_reports_and_status_reads_them() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let w = world("every 1h");
    let text = std::fs::read_to_string(&w.config).unwrap();
    let text = text.replace(
        "[crawler]\n",
        &format!("[crawler]\nmetrics_listen = \"127.0.0.1:{port}\"\n"),
    );
    std::fs::write(&w.config, text).unwrap();
    let child = w.start();
    wait_for("the first pass", Duration::from_secs(60), || {
        failing_url_given_up(&w)
    });
    wait_for("the run report", Duration::from_secs(30), || {
        run_reports(&w) > 0
    });
    let metrics = http_get(port, "/metrics");
    assert!(metrics.starts_with("HTTP/1.1 200"), "{metrics}");
    let archived = metric(&metrics, "baoluu_pages_archived_total");
    assert!(
        archived >= portal::reachable_articles(&w.spec).len() as f64,
        "{metrics}"
    );
    assert!(
        metrics.contains("baoluu_last_run_timestamp_seconds{portal=\"b\"}"),
        "{metrics}"
    );
    // The fixture's 429 snoozed the host once; the queue drained by the run's end.
    let host = w.fixture.addr().to_string();
    let backoffs = metric(
        &metrics,
        &format!("baoluu_host_backoffs_total{{host=\"{host}\"}}"),
    );
    assert!(backoffs >= 1.0, "{metrics}");
    assert_eq!(
        metric(&metrics, "baoluu_queue_urls{portal=\"b\"}"),
        0.0,
        "{metrics}"
    );
    let (code, err) = terminate(child, Duration::from_secs(20));
    assert_eq!(code, Some(0), "{err}");

    let out = cli::baoluu(&w.config, &["status"]);
    let status = cli::stdout(&out);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        status.contains("b: run") && status.contains("archived"),
        "{status}"
    );
    assert!(
        status.contains("next:") && status.contains("+07:00"),
        "{status}"
    );
}

fn http_get(port: u16, path: &str) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// The value of an unlabelled metric line.
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

/// Issue 13, item 11: WATCHDOG=1 flows while the daemon works and while it idles, stops while
/// the WARC writer thread is stuck (the `BAOLUU_TEST_STALL_WRITER` hook: the writer waits before
/// each batch while a file exists, as on a hung disk), and comes back when it writes again.
#[test]
fn the_watchdog_pings_only_while_the_writer_is_not_stuck() {
    let w = world("every 1h");
    let stall = w.dir.path().join("stall");
    // Pings every second; a batch older than a second withholds them.
    let usec = std::ffi::OsStr::new("2000000");
    let daemon = w.start_notified(
        1,
        &[
            ("WATCHDOG_USEC", usec),
            ("BAOLUU_TEST_STALL_WRITER", stall.as_os_str()),
        ],
    );
    daemon.expect("READY=1", Duration::from_secs(30));
    wait_for("the first run's end", Duration::from_secs(60), || {
        run_reports(&w) > 0
    });
    // Idle between runs: still pinging.
    for _ in 0..2 {
        daemon.expect("WATCHDOG=1", Duration::from_secs(10));
    }
    // The writer gets stuck, then the portal is due every second: its first write blocks.
    std::fs::write(&stall, "").unwrap();
    let requests = w.fixture.log().len();
    let text = std::fs::read_to_string(&w.config).unwrap();
    std::fs::write(&w.config, text.replace("every 1h", "* * * * * *")).unwrap();
    signal(&daemon.child, "HUP");
    wait_for(
        "a request of the second run",
        Duration::from_secs(30),
        || w.fixture.log().len() > requests,
    );
    // No ping for three intervals: the daemon no longer says it is alive.
    let silent = Duration::from_secs(3);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last_ping = Instant::now();
    while last_ping.elapsed() < silent {
        assert!(Instant::now() < deadline, "the pings never stopped");
        let left = silent.saturating_sub(last_ping.elapsed());
        if daemon
            .next(left)
            .is_some_and(|m| m.lines().any(|l| l == "WATCHDOG=1"))
        {
            last_ping = Instant::now();
        }
    }
    // The disk answers again: the writer finishes its batch and the pings resume.
    std::fs::remove_file(&stall).unwrap();
    for _ in 0..3 {
        daemon.expect("WATCHDOG=1", Duration::from_secs(30));
    }
    let (code, err) = daemon.stop();
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("watchdog_withheld"), "{err}");
    assert!(err.contains("warc-writer"), "{err}");
    assert!(err.contains("watchdog_resumed"), "{err}");
}
