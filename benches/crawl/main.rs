//! Crawl benchmark (issue 8): speed and scale of the whole pipeline against the tools users
//! would pick instead, in one run on this machine.
//!
//! A synthetic multi-host portal ([`site`], served by [`server`] on 127.0.0.1 … 127.0.0.H) is
//! crawled by the release `baoluu crawl` (a child process: wall time, CPU from `wait4`, peak
//! RSS), by `wget --recursive --warc-file` one process per host in parallel, and by Scrapy; the
//! same server's raw keep-alive limit is measured beside them. Then politeness efficiency
//! (H hosts × delay d against the ideal H/d), the frontier with a million known URLs (a child
//! process, for its own RSS) and WARC writing through `baoluu::archive::Writer`.
//! Benchmarks print figures; nothing here asserts a timing.
//!
//! Run: `cargo bench --bench crawl`. Environment:
//! - `BAOLUU_BENCH_SIZES=1000,10000,100000` articles per throughput run (default 1000,10000)
//! - `BAOLUU_BENCH_HOSTS=8` hosts; `BAOLUU_BENCH_REPEAT=3` runs of each tool, best kept
//! - `BAOLUU_BENCH_PEERS=wget,scrapy,scrapy-nowarc` (default wget,scrapy; empty: none)
//! - `BAOLUU_BENCH_PARTS=crawl,politeness,frontier,warc` (default all)
//! - `BAOLUU_BENCH_DELAY_MS=200`, `BAOLUU_BENCH_POLITE_ARTICLES=16` (per host)
//! - `BAOLUU_BENCH_FRONTIER_URLS=1000000`; `BAOLUU_BENCH_VENV=/work/venv-bench` (Scrapy)
//! - `BAOLUU_BENCH_TMP=/path` where archives go (default the system temp dir: keep it on disk)
//! - `BAOLUU_BENCH_TMPFS=0` skips the diagnostic baoluu run with its archive on /dev/shm
//! - `BAOLUU_BENCH_SERVER=tokio|nginx` serves the throughput runs from the tokio server in this
//!   process (default) or from nginx on the site written once as static files (`apt-get install
//!   nginx`); politeness always uses the tokio server (it needs each request's arrival time)
//! - `BAOLUU_BENCH_BIN=/path/to/baoluu` runs that binary instead of the one built with the
//!   bench (A/B of two builds, alternated, on the same machine and load)

mod engine;
mod figures;
mod measure;
mod micro;
mod nginx;
mod peers;
mod politeness;
mod raw;
mod server;
mod site;
mod statics;
mod throughput;

use std::path::PathBuf;
use std::time::Duration;

use measure::Table;

struct Opts {
    hosts: u32,
    sizes: Vec<u32>,
    peers: Vec<String>,
    repeat: usize,
    parts: Vec<String>,
    delay: Duration,
    polite_articles: u32,
    frontier_urls: usize,
    tmp: PathBuf,
    /// Also run baoluu with its archive on /dev/shm (what fsync costs).
    tmpfs: bool,
    /// Who serves the throughput runs: "tokio" or "nginx".
    server: String,
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

impl Opts {
    fn from_env() -> Opts {
        let num = |name: &str, default: &str| {
            env_or(name, default)
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("{name} must be a number"))
        };
        Opts {
            hosts: num("BAOLUU_BENCH_HOSTS", "8") as u32,
            sizes: list(&env_or("BAOLUU_BENCH_SIZES", "1000,10000"))
                .iter()
                .map(|s| {
                    s.replace('_', "")
                        .replace('k', "000")
                        .parse()
                        .expect("BAOLUU_BENCH_SIZES: numbers")
                })
                .collect(),
            peers: list(&env_or("BAOLUU_BENCH_PEERS", "wget,scrapy")),
            repeat: num("BAOLUU_BENCH_REPEAT", "1").max(1) as usize,
            parts: list(&env_or(
                "BAOLUU_BENCH_PARTS",
                "crawl,politeness,frontier,warc",
            )),
            delay: Duration::from_millis(num("BAOLUU_BENCH_DELAY_MS", "200")),
            polite_articles: num("BAOLUU_BENCH_POLITE_ARTICLES", "16") as u32,
            frontier_urls: num("BAOLUU_BENCH_FRONTIER_URLS", "1000000") as usize,
            tmpfs: num("BAOLUU_BENCH_TMPFS", "1") != 0,
            server: env_or("BAOLUU_BENCH_SERVER", "tokio"),
            tmp: std::env::var_os("BAOLUU_BENCH_TMP")
                .map(PathBuf::from)
                .unwrap_or_else(std::env::temp_dir),
        }
    }

    fn wants(&self, part: &str) -> bool {
        self.parts.iter().any(|p| p == part)
    }
}

fn main() {
    if let Ok(kind) = std::env::var("BAOLUU_BENCH_CHILD") {
        figures::child(&kind);
        return;
    }
    let opts = Opts::from_env();
    check_server(&opts);
    header();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let mut crawl = Table::new(&[
        "run",
        "HTML pages",
        "wall s",
        "pages/s",
        "of raw limit",
        "CPU ms/page",
        "peak RSS MB",
        "WARC MB",
        "server CPU ms/page",
        "check",
    ]);
    let mut other = Table::new(&["figure", "value", "note"]);
    if opts.wants("crawl") {
        for &n in &opts.sizes {
            throughput::run(&rt, &opts, n, &mut crawl, &mut other);
        }
    }
    if opts.wants("politeness") {
        figures::politeness(&rt, &opts, &mut other);
    }
    if opts.wants("frontier") {
        figures::frontier(&opts, &mut other);
    }
    if opts.wants("warc") {
        figures::warc(&opts, &mut other);
    }
    crawl.print();
    other.print();
}

/// Exits with a clear message when `BAOLUU_BENCH_SERVER` names a server this machine lacks.
fn check_server(opts: &Opts) {
    let problem = match opts.server.as_str() {
        "tokio" => return,
        "nginx" if nginx::binary().is_some() => return,
        "nginx" => {
            "nginx is not installed (not on PATH, no /usr/sbin/nginx): apt-get install nginx"
        }
        _ => "unknown server (tokio, nginx)",
    };
    eprintln!("error: BAOLUU_BENCH_SERVER={}: {problem}", opts.server);
    std::process::exit(2);
}

/// Machine, date and load, for the record.
fn header() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    println!(
        "crawl bench: {} · {cores} cores · {cpu} · load {}",
        chrono::Utc::now().format("%Y-%m-%d %H:%M UTC"),
        measure::load()
    );
}

fn scratch(opts: &Opts, name: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("baoluu-bench-{name}-"))
        .tempdir_in(&opts.tmp)
        .expect("scratch directory")
}
