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

mod engine;
mod measure;
mod micro;
mod peers;
mod politeness;
mod raw;
mod server;
mod site;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use measure::{Table, Usage};
use server::{Counts, Server};
use site::Site;

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
        child(&kind);
        return;
    }
    let opts = Opts::from_env();
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
            throughput(&rt, &opts, n, &mut crawl, &mut other);
        }
    }
    if opts.wants("politeness") {
        politeness(&rt, &opts, &mut other);
    }
    if opts.wants("frontier") {
        frontier(&opts, &mut other);
    }
    if opts.wants("warc") {
        warc(&opts, &mut other);
    }
    crawl.print();
    other.print();
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

/// One size: raw limit, baoluu, peers.
fn throughput(
    rt: &tokio::runtime::Runtime,
    opts: &Opts,
    n: u32,
    table: &mut Table,
    other: &mut Table,
) {
    let per_host = (n / opts.hosts).max(1);
    let site = Site::new(per_host);
    let articles = per_host as u64 * opts.hosts as u64;
    let pages = site.pages_per_host() as u64 * opts.hosts as u64;
    let sample = per_host.min(50);
    let mean = (0..sample)
        .map(|id| site.article(1, id).len())
        .sum::<usize>()
        / sample as usize;
    println!(
        "\n== {articles} articles (mean {:.1} KB), {pages} HTML pages on {} hosts (load {})",
        mean as f64 / 1e3,
        opts.hosts,
        measure::load()
    );
    let server = Server::start(rt.handle(), opts.hosts, site).expect("server starts");
    let raw_rate = raw_limit(rt, &server, n, table, other);
    let label = format!("{}k", articles as f64 / 1000.0);
    let best = best_of(opts.repeat, || {
        let dir = scratch(opts, "baoluu");
        let cpu0 = measure::self_cpu();
        let run = engine::crawl(&server, dir.path(), "0s").expect("baoluu runs");
        let server_cpu = measure::self_cpu() - cpu0;
        let check = format!(
            "{} index lines / {articles} articles, {} served{}",
            run.index_lines,
            run.served.articles,
            if run.usage.ok { "" } else { ", EXIT NON-ZERO" }
        );
        (run.usage, run.served, run.warc_mb, server_cpu, check)
    });
    row(table, &format!("baoluu {label}"), &best, raw_rate);
    if opts.tmpfs && Path::new("/dev/shm").is_dir() {
        let diag = best_of(opts.repeat, || {
            let dir = tempfile::Builder::new()
                .prefix("baoluu-bench-shm-")
                .tempdir_in("/dev/shm")
                .expect("tmpfs dir");
            let cpu0 = measure::self_cpu();
            let run = engine::crawl(&server, dir.path(), "0s").expect("baoluu runs");
            let server_cpu = measure::self_cpu() - cpu0;
            let check = format!(
                "{} index lines; diagnostic: fsync costs ~nothing on tmpfs",
                run.index_lines
            );
            (run.usage, run.served, run.warc_mb, server_cpu, check)
        });
        row(
            table,
            &format!("baoluu {label}, archive on tmpfs"),
            &diag,
            raw_rate,
        );
    }
    for peer in &opts.peers {
        let name = peer.trim_end_matches("-nowarc");
        if let Some(why) = peers::missing(name) {
            table.add(vec![format!("{peer} {label}"), format!("skipped: {why}")]);
            continue;
        }
        let result = best_of(opts.repeat, || {
            let dir = scratch(opts, peer);
            let cpu0 = measure::self_cpu();
            let run = match peer.as_str() {
                "wget" => peers::wget(&server, dir.path()),
                "scrapy" => peers::scrapy(&server, dir.path(), true),
                _ => peers::scrapy(&server, dir.path(), false),
            }
            .expect("peer runs");
            let server_cpu = measure::self_cpu() - cpu0;
            let mut check = format!("{} articles served", run.served.articles);
            if !run.usage.ok {
                check += &format!(
                    ", exit non-zero: {}",
                    peers::stderr_tail(
                        dir.path(),
                        if peer == "wget" {
                            "wget-h1.log"
                        } else {
                            "scrapy.stderr"
                        }
                    )
                );
            }
            if peer == "scrapy" && run.warc_mb == 0.0 {
                check += ", NO WARC written";
            }
            (run.usage, run.served, run.warc_mb, server_cpu, check)
        });
        let label2 = if peer == "wget" {
            format!("wget ×{} {label}", opts.hosts)
        } else {
            format!("{peer} {label}")
        };
        row(table, &label2, &result, raw_rate);
        ratios(other, &label, peer, &best, &result);
    }
}

type Measured = (Usage, Counts, f64, f64, String);

/// Runs `f` `repeat` times and keeps the fastest.
fn best_of(repeat: usize, mut f: impl FnMut() -> Measured) -> Measured {
    let mut best: Option<Measured> = None;
    for _ in 0..repeat {
        let m = f();
        if best.as_ref().is_none_or(|b| m.0.wall < b.0.wall) {
            best = Some(m);
        }
    }
    best.expect("at least one run")
}

fn row(table: &mut Table, name: &str, m: &Measured, raw_rate: f64) {
    let (usage, served, warc_mb, server_cpu, check) = m;
    let pages = served.pages().max(1) as f64;
    let rate = pages / usage.wall.as_secs_f64();
    table.add(vec![
        name.to_string(),
        served.pages().to_string(),
        format!("{:.2}", usage.wall.as_secs_f64()),
        format!("{rate:.0}"),
        format!("{:.1}%", 100.0 * rate / raw_rate),
        format!("{:.2}", usage.cpu * 1e3 / pages),
        format!("{:.0}", usage.rss_mb),
        format!("{warc_mb:.1}"),
        format!("{:.2}", server_cpu * 1e3 / pages),
        check.clone(),
    ]);
}

fn ratios(other: &mut Table, label: &str, peer: &str, ours: &Measured, theirs: &Measured) {
    let rate = |m: &Measured| m.1.pages() as f64 / m.0.wall.as_secs_f64();
    let cpu = |m: &Measured| m.0.cpu / m.1.pages().max(1) as f64;
    other.add(vec![
        format!("baoluu / {peer} at {label}"),
        format!(
            "{:.2}× pages/s, {:.2}× CPU per page",
            rate(ours) / rate(theirs),
            cpu(ours) / cpu(theirs)
        ),
        "target: ≥ 2× pages/s of wget ×8 and ≤ its CPU per page".into(),
    ]);
}

/// The raw keep-alive limit with one connection per host (baoluu's shape) and four.
fn raw_limit(
    rt: &tokio::runtime::Runtime,
    server: &Server,
    n: u32,
    table: &mut Table,
    other: &mut Table,
) -> f64 {
    let paths: Vec<Vec<String>> = (1..=server.addrs.len() as u32)
        .map(|h| server.site.paths(h))
        .collect();
    let mut best_rate = 0.0;
    for per_host in [1, 4] {
        let cpu0 = measure::self_cpu();
        let (requests, bytes, elapsed) = rt
            .block_on(raw::run(&server.addrs, paths.clone(), per_host))
            .expect("raw client");
        let cpu = measure::self_cpu() - cpu0;
        let rate = requests as f64 / elapsed.as_secs_f64();
        best_rate = f64::max(best_rate, rate);
        let name = format!("raw GETs, {per_host} conn/host, {n}");
        let note = format!("{:.0} MB/s", bytes as f64 / 1e6 / elapsed.as_secs_f64());
        table.add(vec![
            name,
            requests.to_string(),
            format!("{:.2}", elapsed.as_secs_f64()),
            format!("{rate:.0}"),
            "—".into(),
            format!("{:.3} (server+client)", cpu * 1e3 / requests as f64),
            "—".into(),
            "—".into(),
            "—".into(),
            note.clone(),
        ]);
        other.add(vec![
            format!("raw loopback limit ({per_host} conn/host, {n} articles)"),
            format!("{rate:.0} req/s, {note}"),
            "same server, nothing archived".into(),
        ]);
    }
    best_rate
}

fn politeness(rt: &tokio::runtime::Runtime, opts: &Opts, other: &mut Table) {
    let site = Site::new(opts.polite_articles);
    let server = Server::start(rt.handle(), opts.hosts, site).expect("server starts");
    let dir = scratch(opts, "polite");
    server.set_logging(true);
    let delay = format!("{}ms", opts.delay.as_millis());
    let run = engine::crawl(&server, dir.path(), &delay).expect("baoluu runs");
    server.set_logging(false);
    let p = politeness::analyse(&server.logs(), opts.delay);
    let wall_rate = run.served.requests as f64 / run.usage.wall.as_secs_f64();
    other.add(vec![
        format!("politeness efficiency, {} hosts × {delay}", opts.hosts),
        format!("{:.1}%", p.efficiency * 100.0),
        format!(
            "{} requests; {:.1} req/s over the active span vs ideal {:.1}; {:.1} req/s over the whole run ({:.2} s incl. start-up); shortest gap {:.1} ms; target ≥ 95%",
            p.requests,
            p.rate,
            p.ideal,
            wall_rate,
            run.usage.wall.as_secs_f64(),
            p.min_gap.as_secs_f64() * 1e3
        ),
    ]);
}

/// Runs this bench again as a child doing `kind`, measured by `wait4`.
fn spawn_child(kind: &str, dir: &Path, out: &Path, urls: usize) -> Usage {
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.env("BAOLUU_BENCH_CHILD", kind)
        .env("BAOLUU_BENCH_CHILD_DIR", dir)
        .env("BAOLUU_BENCH_CHILD_OUT", out)
        .env("BAOLUU_BENCH_FRONTIER_URLS", urls.to_string())
        .stdin(Stdio::null());
    measure::run(cmd).expect("child runs")
}

fn child(kind: &str) {
    let dir = PathBuf::from(std::env::var_os("BAOLUU_BENCH_CHILD_DIR").expect("child dir"));
    let out = PathBuf::from(std::env::var_os("BAOLUU_BENCH_CHILD_OUT").expect("child out"));
    let urls: usize = env_or("BAOLUU_BENCH_FRONTIER_URLS", "1000000")
        .parse()
        .expect("urls");
    match kind {
        "frontier" => micro::frontier_child(&dir, urls, &out).expect("frontier child"),
        "serve" => serve_forever(&dir, urls),
        _ => {} // "idle": the baseline RSS of this binary
    }
}

/// For profiling by hand: serves `articles` on the usual hosts, writes `baoluu.toml` (archive in
/// `dir/archive`) and waits until killed. `BAOLUU_BENCH_CHILD=serve BAOLUU_BENCH_CHILD_DIR=/tmp/p
/// BAOLUU_BENCH_CHILD_OUT=- BAOLUU_BENCH_FRONTIER_URLS=10000 target/release/deps/crawl-…`
fn serve_forever(dir: &Path, articles: usize) {
    let opts = Opts::from_env();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let site = Site::new((articles as u32 / opts.hosts).max(1));
    let server = Server::start(rt.handle(), opts.hosts, site).expect("server starts");
    std::fs::create_dir_all(dir).expect("dir");
    let config = dir.join("baoluu.toml");
    let delay = format!("{}ms", env_or("BAOLUU_BENCH_SERVE_DELAY_MS", "0"));
    std::fs::write(
        &config,
        engine::config(&server, &dir.join("archive"), &delay),
    )
    .expect("config");
    println!("serving; config {}", config.display());
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn frontier(opts: &Opts, other: &mut Table) {
    let dir = scratch(opts, "frontier");
    let out = dir.path().join("figures.txt");
    let idle = spawn_child("idle", dir.path(), &out, 0);
    let usage = spawn_child("frontier", dir.path(), &out, opts.frontier_urls);
    let text = std::fs::read_to_string(&out).unwrap_or_default();
    let Some(f) = micro::parse_figures(&text) else {
        other.add(vec![
            "frontier scale".into(),
            "FAILED".into(),
            format!("child ok={}", usage.ok),
        ]);
        return;
    };
    let m = opts.frontier_urls as f64 / 1e6;
    other.add(vec![
        format!("frontier: peak RSS with {m}M known URLs"),
        format!("{:.0} MB", usage.rss_mb),
        format!("bench binary idle: {:.0} MB; state.sqlite + WAL {:.0} MB; whole child {:.1} s; target ≤ 150 MB", idle.rss_mb, f.db_mb, usage.wall.as_secs_f64()),
    ]);
    other.add(vec![
        "frontier: enqueue (pages of 100)".into(),
        format!("{:.1} µs/URL", f.enqueue_all_us),
        format!(
            "first 10k {:.1} µs/URL, last 10k {:.1} µs/URL (flat = no growth with size)",
            f.enqueue_first_us, f.enqueue_last_us
        ),
    ]);
    other.add(vec![
        format!("frontier: take with {m}M known"),
        format!("{:.1} µs next + {:.1} µs mark_done", f.take_us, f.done_us),
        format!("single push {:.1} µs/URL", f.push_single_us),
    ]);
}

fn warc(opts: &Opts, other: &mut Table) {
    let site = Site::new(1000);
    let bodies: Vec<String> = (0..64).map(|id| site.article(1, id)).collect();
    let mean = bodies.iter().map(String::len).sum::<usize>() / bodies.len();
    for level in [6, 1] {
        let (gzip, ratio) = micro::gzip_only(&bodies, 2000, level);
        other.add(vec![
            format!(
                "gzip alone (flate2 zlib-rs, level {level}{})",
                if level == 6 {
                    ", the default, as baoluu writes"
                } else {
                    ""
                }
            ),
            format!("{gzip:.0} MB/s"),
            format!(
                "one member per {:.0} KB body, compressed to {:.1}%",
                mean as f64 / 1e3,
                ratio * 100.0
            ),
        ]);
    }
    let targets: Vec<(String, PathBuf)> = vec![
        ("disk".into(), opts.tmp.clone()),
        ("tmpfs (no real fsync)".into(), PathBuf::from("/dev/shm")),
    ];
    for (name, base) in targets.into_iter().filter(|(_, b)| b.is_dir()) {
        let dir = tempfile::Builder::new()
            .prefix("baoluu-bench-warc-")
            .tempdir_in(&base)
            .expect("dir");
        match micro::warc_writer(dir.path(), &bodies, 2000) {
            Ok((body_mbs, warc_mbs, per)) => other.add(vec![
                format!("WARC writing, Writer::write_exchange on {name}"),
                format!("{body_mbs:.0} MB/s of bodies"),
                format!("{warc_mbs:.1} MB/s of .warc.gz; {:.0} µs per exchange (response + request member, fsync each)", per * 1e6),
            ]),
            Err(e) => other.add(vec![format!("WARC writing on {name}"), "FAILED".into(), e.to_string()]),
        }
    }
}
