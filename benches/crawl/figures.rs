//! The figures beside throughput: politeness efficiency, the frontier with a million known URLs
//! (in a child process of this bench, for its own peak RSS), WARC writing; and the child modes
//! of this binary (`BAOLUU_BENCH_CHILD`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::measure::{self, Table, Usage};
use crate::server::Server;
use crate::site::Site;
use crate::{Opts, engine, env_or, micro, scratch};

pub fn politeness(rt: &tokio::runtime::Runtime, opts: &Opts, other: &mut Table) {
    let site = Site::new(opts.polite_articles);
    let server = Server::start(rt.handle(), opts.hosts, site).expect("server starts");
    let dir = scratch(opts, "polite");
    server.set_logging(true);
    let delay = format!("{}ms", opts.delay.as_millis());
    let run = engine::crawl(&server, dir.path(), &delay).expect("baoluu runs");
    server.set_logging(false);
    let p = crate::politeness::analyse(&server.logs(), opts.delay);
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

pub fn child(kind: &str) {
    let dir = PathBuf::from(std::env::var_os("BAOLUU_BENCH_CHILD_DIR").expect("child dir"));
    let out = PathBuf::from(std::env::var_os("BAOLUU_BENCH_CHILD_OUT").expect("child out"));
    let urls: usize = env_or("BAOLUU_BENCH_FRONTIER_URLS", "1000000")
        .parse()
        .expect("urls");
    match kind {
        "frontier" => micro::frontier_child(&dir, urls, &out).expect("frontier child"),
        "serve" => serve_forever(&dir, urls),
        // "idle": the baseline RSS of this binary, alive long enough to be sampled.
        _ => std::thread::sleep(Duration::from_millis(300)),
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

pub fn frontier(opts: &Opts, other: &mut Table) {
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

pub fn warc(opts: &Opts, other: &mut Table) {
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
