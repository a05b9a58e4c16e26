//! Hostile and broken servers for `tests/hostile.rs` (issue 7), and the harness that runs the
//! binary against them under a hard time limit while watching its memory.
//!
//! A [`World`] is two fixture hosts and one configuration. Host A is a small portal whose seed
//! page links the hostile URL(s) of one test next to a normal article; routes a test adds take
//! precedence over A's defaults. Host B is a second, well-behaved portal that must be archived
//! whatever A does ("no other URL suffers"). [`Endless`] is the one server the fixture cannot
//! be: a body that never ends. [`run_limited`] spawns the binary, kills it (and fails the test)
//! past a deadline and samples its peak RSS from `/proc/PID/status`; [`Ran`] reads the JSON log
//! events (`--log-format json`) the crawl writes per URL.
//! Nothing here reaches beyond the 127.0.0.0/8 addresses it binds.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use baoluu::archive::reader;
use serde_json::Value;

use super::cli::{self, crawler_table, warc_files, warcio_check, write_config};
use super::{Fixture, Logged, Reply};

/// Every command gets this long (`BAOLUU_HOSTILE_LIMIT` seconds, for a slow machine or a
/// measurement); past it the child is killed and the test fails.
pub fn limit() -> Duration {
    let secs = std::env::var("BAOLUU_HOSTILE_LIMIT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    Duration::from_secs(secs)
}
/// The memory bound of issue 7: peak resident set size of the child, in KiB.
pub const MAX_RSS_KIB: u64 = 200 * 1024;
/// The normal article on host A, linked from A's seed next to the hostile URLs.
pub const NORMAL_A: &str = "/bai/binh-thuong-1.html";
/// How many articles host B has.
pub const B_ARTICLES: usize = 8;

/// A test's own routes on host A: `Some(reply)` overrides the defaults.
pub type Route = Box<dyn Fn(&Logged) -> Option<Reply> + Send + Sync>;

/// The `[crawler]` settings a test may change; the rest are fixed and fast.
#[derive(Clone)]
pub struct Options {
    pub read_timeout: &'static str,
    pub total_timeout: &'static str,
    pub max_body: Option<&'static str>,
    pub max_redirects: u32,
    pub retries: u32,
    /// Extra entries for portal A's `hosts` (another server the hostile URLs point at).
    pub extra_hosts: Vec<String>,
    /// Delay before each of host B's replies (to keep B busy while A misbehaves).
    pub b_delay: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            read_timeout: "5s",
            total_timeout: "20s",
            max_body: None,
            max_redirects: 5,
            retries: 2,
            extra_hosts: Vec::new(),
            b_delay: Duration::ZERO,
        }
    }
}

/// Host A (hostile portal), host B (normal portal), and a configuration naming both.
pub struct World {
    pub a: Fixture,
    pub b: Fixture,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl World {
    /// A's seed links `links` (hrefs written verbatim, relative or absolute) and [`NORMAL_A`].
    pub fn new(links: &[String], route: Route, options: &Options) -> World {
        let seed = seed_page(links.iter().cloned().chain([NORMAL_A.to_string()]));
        let a = Fixture::start("127.0.0.2", move |req| {
            route(req).unwrap_or_else(|| default_a(req, &seed))
        });
        let b = serve_b(options.b_delay);
        let dir = tempfile::tempdir().unwrap();
        let config = write_config(dir.path(), &config_text(&a, &b, options));
        World { a, b, dir, config }
    }

    pub fn archive(&self) -> PathBuf {
        self.dir.path().join("archive")
    }

    /// `baoluu --log-format json crawl`, under [`limit`].
    pub fn crawl(&self) -> Ran {
        run_limited(
            debug_events(cli::command(
                &self.config,
                &["--log-format", "json", "crawl"],
            )),
            limit(),
        )
    }

    /// `baoluu --log-format json save URL...`, under [`limit`].
    pub fn save(&self, urls: &[String]) -> Ran {
        let mut args = vec!["--log-format", "json", "save"];
        args.extend(urls.iter().map(String::as_str));
        run_limited(debug_events(cli::command(&self.config, &args)), limit())
    }

    /// Index lines of `portal`, by URL (empty when the file does not exist).
    pub fn index(&self, portal: &str) -> HashMap<String, Value> {
        index_lines(&self.archive().join("index").join(format!("{portal}.jsonl")))
    }

    /// URLs of host B's articles.
    pub fn b_articles(&self) -> Vec<String> {
        (1..=B_ARTICLES).map(|n| self.b.url(&b_path(n))).collect()
    }

    /// What every hostile test checks after the command: it exited 0 within its memory bound,
    /// every WARC file reads back with verified digests (ours and warcio's), host B's articles
    /// are all indexed, and so is A's normal article when `a_normal` (its host was crawlable).
    pub fn assert_unharmed(&self, ran: &Ran, a_normal: bool) {
        ran.assert_ok();
        super::cli::check_warcs(&self.archive());
        let normal = self.index("normal");
        for url in self.b_articles() {
            assert!(
                normal.contains_key(&url),
                "host B's {url} has no index line: another URL suffered\n{}",
                ran.tail()
            );
        }
        if a_normal {
            let url = self.a.url(NORMAL_A);
            assert!(
                self.index("hostile").contains_key(&url),
                "host A's normal article {url} has no index line\n{}",
                ran.tail()
            );
        }
    }
}

fn default_a(req: &Logged, seed: &str) -> Reply {
    match req.target.as_str() {
        "/robots.txt" => robots_allow_all(),
        "/" => Reply::html(seed.to_string()),
        NORMAL_A => Reply::html(article_html(
            "Bình thường",
            "Bài bình thường của máy chủ A.",
        )),
        _ => Reply::not_found(),
    }
}

fn serve_b(delay: Duration) -> Fixture {
    let seed = seed_page((1..=B_ARTICLES).map(b_path));
    Fixture::start("127.0.0.3", move |req| {
        let reply = match req.target.as_str() {
            "/robots.txt" => robots_allow_all(),
            "/" => Reply::html(seed.clone()),
            path if path.starts_with("/bai/tin-b-") => {
                Reply::html(article_html("Tin B", &format!("Nội dung của {path}.")))
            }
            _ => Reply::not_found(),
        };
        reply.delay(delay)
    })
}

fn b_path(n: usize) -> String {
    format!("/bai/tin-b-{n}.html")
}

pub fn robots_allow_all() -> Reply {
    Reply::new(200)
        .header("content-type", "text/plain")
        .body("User-agent: *\nAllow: /\n")
}

/// A listing page linking every `href`.
pub fn seed_page(hrefs: impl IntoIterator<Item = String>) -> String {
    let items: String = hrefs
        .into_iter()
        .map(|h| format!(r#"<div class="item"><a href="{h}">Tin</a></div>"#))
        .collect();
    format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Trang chủ</title></head><body><div class="main">{items}</div></body></html>"#
    )
}

/// An article page shaped like the fixture portal's: title, date, body paragraph.
pub fn article_html(title: &str, text: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title></head><body><div class="news-details-content"><h1>{title}</h1>
<div class="date">Thứ Năm, ngày 05/01/2023 | 07:31</div>
<div class="contentView"><p>{text}</p><p>Đoạn thứ hai của bài viết, kết thúc bài.</p></div></div></body></html>"#
    )
}

fn config_text(a: &Fixture, b: &Fixture, o: &Options) -> String {
    let max_body = o
        .max_body
        .map(|m| format!("max_body = \"{m}\"\n"))
        .unwrap_or_default();
    let mut hosts_a = vec![a.addr().to_string()];
    hosts_a.extend(o.extra_hosts.iter().cloned());
    let crawler = crawler_table("max_in_flight = 4");
    format!(
        r#"{crawler}
retries = {retries}
grace_period = "5s"
connect_timeout = "2s"
read_timeout = "{read}"
total_timeout = "{total}"
max_redirects = {redirects}
{max_body}
{portal_a}
{portal_b}"#,
        retries = o.retries,
        read = o.read_timeout,
        total = o.total_timeout,
        redirects = o.max_redirects,
        portal_a = portal_table("hostile", &a.url("/"), &hosts_a),
        portal_b = portal_table("normal", &b.url("/"), &[b.addr().to_string()]),
    )
}

fn portal_table(name: &str, seed: &str, hosts: &[String]) -> String {
    let hosts: Vec<String> = hosts.iter().map(|h| format!("\"{h}\"")).collect();
    format!(
        r#"
[[portal]]
name = "{name}"
seeds = ["{seed}"]
hosts = [{hosts}]
article_urls = ['^http://127\.0\.0\.\d+:\d+/bai/.+$']
listing_urls = ['^http://127\.0\.0\.\d+:\d+/$']
"#,
        hosts = hosts.join(", ")
    )
}

/// One finished command: how it ended, what it said, and its peak memory.
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    /// The largest `VmHWM` sampled while it ran, in KiB.
    pub peak_kib: u64,
    pub elapsed: Duration,
    /// Every JSON log line of stderr.
    pub events: Vec<Value>,
}

impl Ran {
    /// Exit 0 and peak RSS under [`MAX_RSS_KIB`].
    pub fn assert_ok(&self) {
        assert!(
            self.status.success(),
            "the command failed ({}):\n{}",
            self.status,
            self.tail()
        );
        self.assert_memory();
    }

    pub fn assert_memory(&self) {
        assert!(
            self.peak_kib < MAX_RSS_KIB,
            "peak RSS {} KiB, over the {} KiB bound",
            self.peak_kib,
            MAX_RSS_KIB
        );
    }

    /// The last lines of stderr (for failure messages).
    pub fn tail(&self) -> String {
        let lines: Vec<&str> = self.stderr.lines().collect();
        let from = lines.len().saturating_sub(40);
        lines[from..]
            .iter()
            .map(|l| l.chars().take(600).collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Events whose message is `message` and whose `url` field is `url`.
    pub fn events_for(&self, message: &str, url: &str) -> Vec<&Value> {
        self.events
            .iter()
            .filter(|e| e["fields"]["message"] == message && e["fields"]["url"] == url)
            .collect()
    }

    /// The `url_finished` event of `url`: its outcome is visible, or the test fails.
    pub fn finished(&self, url: &str) -> &Value {
        let found = self.events_for("url_finished", url);
        assert_eq!(
            found.len(),
            1,
            "expected one url_finished event for {}\n{}",
            short(url),
            self.tail()
        );
        &found[0]["fields"]
    }

    /// The outcome label `url_finished` gave `url`.
    pub fn outcome(&self, url: &str) -> String {
        self.finished(url)["outcome"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The fields of every `page_fetched` event of `url`.
    pub fn fetched(&self, url: &str) -> Vec<&Value> {
        self.events_for("page_fetched", url)
            .into_iter()
            .map(|e| &e["fields"])
            .collect()
    }

    /// The printed `save` line of `url`.
    pub fn save_line(&self, url: &str) -> String {
        self.stdout
            .lines()
            .find(|l| l.starts_with(url))
            .unwrap_or_else(|| panic!("no save line for {}:\n{}", short(url), self.stdout))
            .to_string()
    }
}

/// A URL shortened for messages (the 100 KB one would drown them).
pub fn short(url: &str) -> String {
    if url.len() <= 200 {
        return url.to_string();
    }
    format!("{}…({} bytes)", &url[..200], url.len())
}

/// Runs `cmd` to completion with piped output; kills it and panics after `limit`. Samples the
/// child's `VmHWM` every few milliseconds (the last sample before exit is within that of the
/// true peak, and the peak of a crawl is during a page, not at its end).
/// The per-URL events (`page_fetched`, `url_finished`) are `debug` (issue 17).
fn debug_events(mut cmd: Command) -> Command {
    cmd.env("RUST_LOG", "info,baoluu=debug");
    cmd
}

pub fn run_limited(mut cmd: Command, limit: Duration) -> Ran {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the baoluu binary starts");
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let mut peak_kib = 0;
    let status = loop {
        peak_kib = peak_kib.max(vm_hwm_kib(child.id()).unwrap_or(0));
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            let err = stderr.join().unwrap();
            let lines: Vec<&str> = err.lines().collect();
            let tail = lines[lines.len().saturating_sub(30)..].join("\n");
            panic!("the command did not finish within {limit:?}; killed it. stderr tail:\n{tail}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = started.elapsed();
    let stdout = stdout.join().unwrap();
    let stderr = stderr.join().unwrap();
    let events = stderr
        .lines()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    Ran {
        status,
        stdout,
        stderr,
        peak_kib,
        elapsed,
        events,
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// The process's peak resident set size so far (`VmHWM`), in KiB.
pub fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Index lines of one `.jsonl` file by URL; every line must parse.
pub fn index_lines(path: &Path) -> HashMap<String, Value> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return HashMap::new();
    };
    text.lines()
        .map(|l| {
            let line: Value = serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("{}: unparsable index line ({e})", path.display()));
            (line["url"].as_str().unwrap().to_string(), line)
        })
        .collect()
}

/// A server whose page bodies never end: after the headers (no `Content-Length`, so the body
/// runs until the close) it writes until the client goes away. `/robots.txt` is a 404.
pub struct Endless {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

impl Endless {
    pub fn start(ip: &str) -> Endless {
        let listener = TcpListener::bind((ip, 0)).expect("bind the endless server");
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let (flag, counter) = (stop.clone(), sent.clone());
        let thread = std::thread::spawn(move || accept_endless(listener, flag, counter));
        Endless {
            addr,
            stop,
            sent,
            thread: Some(thread),
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Body bytes written so far, over all connections.
    pub fn sent(&self) -> u64 {
        self.sent.load(Ordering::SeqCst)
    }
}

impl Drop for Endless {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn accept_endless(listener: TcpListener, stop: Arc<AtomicBool>, sent: Arc<AtomicU64>) {
    while !stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (stop, sent) = (stop.clone(), sent.clone());
                std::thread::spawn(move || serve_endless(stream, &stop, &sent));
            }
            Err(_) => std::thread::sleep(Duration::from_millis(5)),
        }
    }
}

fn serve_endless(mut stream: TcpStream, stop: &AtomicBool, sent: &AtomicU64) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let Some(path) = read_head(&mut stream) else {
        return;
    };
    if path == "/robots.txt" {
        let _ = stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        return;
    }
    let head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n\r\n<html><body>";
    if stream.write_all(head).is_err() {
        return;
    }
    let piece = "<p>vô tận</p>".repeat(4096);
    while !stop.load(Ordering::SeqCst) {
        if stream.write_all(piece.as_bytes()).is_err() {
            return;
        }
        sent.fetch_add(piece.len() as u64, Ordering::SeqCst);
    }
}

/// Reads a request head (at most 64 KiB) and returns its target.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        if stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let line = String::from_utf8_lossy(&head);
    line.split_whitespace().nth(1).map(str::to_string)
}
