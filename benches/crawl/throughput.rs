//! Crawl throughput at one size: the raw loopback limit, baoluu (and its tmpfs diagnostic run),
//! and the peers, each the best of `BAOLUU_BENCH_REPEAT` runs, with the ratios baoluu/peer.

use std::path::Path;

use crate::measure::{self, Table, Usage};
use crate::server::{Counts, Server};
use crate::site::Site;
use crate::{Opts, engine, peers, raw, scratch};

/// One size: raw limit, baoluu, peers.
pub fn run(
    rt: &tokio::runtime::Runtime,
    opts: &Opts,
    n: u32,
    table: &mut Table,
    other: &mut Table,
) {
    let site = Site::new((n / opts.hosts).max(1));
    let articles = announce(&site, opts);
    let server = start_server(rt, opts, site);
    let raw_rate = raw_limit(rt, &server, n, table, other);
    let label = format!("{}k", articles as f64 / 1000.0);
    let best = best_of(opts.repeat, || {
        baoluu(&server, scratch(opts, "baoluu"), articles, "")
    });
    row(table, &format!("baoluu {label}"), &best, raw_rate);
    if opts.tmpfs && Path::new("/dev/shm").is_dir() {
        let diag = best_of(opts.repeat, || {
            let dir = tempfile::Builder::new()
                .prefix("baoluu-bench-shm-")
                .tempdir_in("/dev/shm")
                .expect("tmpfs dir");
            baoluu(
                &server,
                dir,
                articles,
                "; diagnostic: fsync costs ~nothing on tmpfs",
            )
        });
        let name = format!("baoluu {label}, archive on tmpfs");
        row(table, &name, &diag, raw_rate);
    }
    for peer in &opts.peers {
        if let Some(why) = peers::missing(peer) {
            table.add(vec![format!("{peer} {label}"), format!("skipped: {why}")]);
            continue;
        }
        let result = best_of(opts.repeat, || peer_run(&server, opts, peer));
        let name = match peer.as_str() {
            "wget" => format!("wget ×{} {label}", opts.hosts),
            _ => format!("{peer} {label}"),
        };
        row(table, &name, &result, raw_rate);
        ratios(other, &label, peer, &best, &result);
    }
}

/// The portal's server: the tokio one in this process, or nginx on the site as static files.
fn start_server(rt: &tokio::runtime::Runtime, opts: &Opts, site: Site) -> Server {
    if opts.server == "nginx" {
        let dir = scratch(opts, "nginx");
        Server::start_nginx(opts.hosts, site, dir).unwrap_or_else(|e| {
            eprintln!("error: BAOLUU_BENCH_SERVER=nginx: {e}");
            std::process::exit(1)
        })
    } else {
        Server::start(rt.handle(), opts.hosts, site).expect("server starts")
    }
}

/// Prints what the portal holds and who serves it; returns the number of articles.
fn announce(site: &Site, opts: &Opts) -> u64 {
    let hosts = opts.hosts;
    let per_host = site.articles_per_host;
    let sample = per_host.min(50);
    let mean = (0..sample)
        .map(|id| site.article(1, id).len())
        .sum::<usize>()
        / sample as usize;
    let pages = site.pages_per_host() as u64 * hosts as u64;
    let articles = per_host as u64 * hosts as u64;
    println!(
        "\n== {articles} articles (mean {:.1} KB), {pages} HTML pages on {hosts} hosts, {} server (load {})",
        mean as f64 / 1e3,
        opts.server,
        measure::load()
    );
    articles
}

/// One `baoluu crawl` with its archive in `dir`, checked against the portal's articles.
fn baoluu(server: &Server, dir: tempfile::TempDir, articles: u64, note: &str) -> Measured {
    let cpu0 = server.cpu();
    let run = engine::crawl(server, dir.path(), "0s").expect("baoluu runs");
    let server_cpu = server.cpu() - cpu0;
    let check = format!(
        "{} index lines / {articles} articles, {} served{}{note}",
        run.index_lines,
        run.served.articles,
        if run.usage.ok { "" } else { ", EXIT NON-ZERO" }
    );
    (run.usage, run.served, run.warc_mb, server_cpu, check)
}

/// One run of a peer ("wget", "scrapy" or "scrapy-nowarc").
fn peer_run(server: &Server, opts: &Opts, peer: &str) -> Measured {
    let dir = scratch(opts, peer);
    let cpu0 = server.cpu();
    let run = match peer {
        "wget" => peers::wget(server, dir.path()),
        "scrapy" => peers::scrapy(server, dir.path(), true),
        _ => peers::scrapy(server, dir.path(), false),
    }
    .expect("peer runs");
    let server_cpu = server.cpu() - cpu0;
    let mut check = format!("{} articles served", run.served.articles);
    if !run.usage.ok {
        let log = if peer == "wget" {
            "wget-h1.log"
        } else {
            "scrapy.stderr"
        };
        let tail = peers::stderr_tail(dir.path(), log);
        check += &format!(", exit non-zero: {tail}");
    }
    if peer == "scrapy" && run.warc_mb == 0.0 {
        check += ", NO WARC written";
    }
    (run.usage, run.served, run.warc_mb, server_cpu, check)
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
        if peer == "wget" {
            "target (issue 17): ≥ 1.0× pages/s of wget ×8, ≤ 1.5× its CPU per page".into()
        } else {
            String::new()
        },
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
        let cpu0 = server.cpu();
        let (requests, bytes, elapsed) = rt
            .block_on(raw::run(&server.addrs, paths.clone(), per_host))
            .expect("raw client");
        let cpu = server.cpu() - cpu0;
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
