//! Library-level figures: the frontier with a million known URLs (run in a child process of
//! this bench so its peak RSS is its own), and WARC writing through `baoluu::archive::Writer`.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use baoluu::archive::{Info, Writer};
use baoluu::fetch::Exchange;
use baoluu::frontier::{Candidate, Frontier, Gate, Kind, Next};
use baoluu::store::{Outcome, Store};

/// Frontier figures, as the child reports them.
#[derive(Default, Debug)]
pub struct FrontierFigures {
    /// µs per URL enqueued in pages of 100: first 10k, last 10k, all.
    pub enqueue_first_us: f64,
    pub enqueue_last_us: f64,
    pub enqueue_all_us: f64,
    /// µs per URL pushed one at a time, after the million.
    pub push_single_us: f64,
    /// µs per take (`next`) and per `mark_done`.
    pub take_us: f64,
    pub done_us: f64,
    pub db_mb: f64,
}

/// Hosts the million URLs are spread over.
const HOSTS: usize = 8;

fn candidate(i: usize) -> Candidate {
    let host = format!("h{}.vn", i % HOSTS);
    Candidate {
        url: format!("https://{host}/chuyen-muc/bai-viet-so-{i}-a{i}.html"),
        portal: "bench".into(),
        host,
        kind: Kind::Article,
        depth: 2,
        via: Some(format!(
            "https://h{}.vn/chuyen-muc/trang-{}.html",
            i % HOSTS,
            i / 100
        )),
        chain_page: 0,
        chain_stale: 0,
    }
}

/// The child's work: `urls` known URLs, then 10k single pushes and 10k takes. Writes the
/// figures as `key value` lines to `out`.
pub fn frontier_child(
    dir: &Path,
    urls: usize,
    out: &Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let store = Arc::new(Store::open(&dir.join("state.sqlite"))?);
    let run = store.begin_run(&["bench".to_string()])?;
    let mut frontier = Frontier::new(store.clone(), run.id)?;
    let mut f = FrontierFigures::default();
    let batches = urls / 100;
    let started = Instant::now();
    let mut mark = Instant::now();
    for b in 0..batches {
        let batch: Vec<Candidate> = (b * 100..(b + 1) * 100).map(candidate).collect();
        frontier.push_all(&batch)?;
        if b + 1 == 100 {
            f.enqueue_first_us = mark.elapsed().as_secs_f64() * 1e6 / 10_000.0;
        }
        if b + 100 == batches {
            mark = Instant::now();
        }
    }
    f.enqueue_last_us = mark.elapsed().as_secs_f64() * 1e6 / 10_000.0;
    f.enqueue_all_us = started.elapsed().as_secs_f64() * 1e6 / urls as f64;
    let t = Instant::now();
    for i in urls..urls + 10_000 {
        frontier.push(&candidate(i))?;
    }
    f.push_single_us = t.elapsed().as_secs_f64() * 1e6 / 10_000.0;
    let (mut take, mut done) = (0.0, 0.0);
    for _ in 0..10_000 {
        let t = Instant::now();
        let Next::Ready(id, _) = frontier.next(0.0, |_| Gate::Free)? else {
            return Err("frontier ran dry".into());
        };
        take += t.elapsed().as_secs_f64();
        let t = Instant::now();
        store.mark_done(id, &Outcome::labelled(baoluu::outcome::Label::Archived))?;
        done += t.elapsed().as_secs_f64();
    }
    f.take_us = take * 1e6 / 10_000.0;
    f.done_us = done * 1e6 / 10_000.0;
    f.db_mb = crate::measure::dir_mb(dir, "state.sqlite") + crate::measure::dir_mb(dir, "-wal");
    let mut file = std::fs::File::create(out)?;
    writeln!(
        file,
        "{} {} {} {} {} {} {}",
        f.enqueue_first_us,
        f.enqueue_last_us,
        f.enqueue_all_us,
        f.push_single_us,
        f.take_us,
        f.done_us,
        f.db_mb
    )?;
    Ok(())
}

pub fn parse_figures(text: &str) -> Option<FrontierFigures> {
    let v: Vec<f64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    (v.len() == 7).then(|| FrontierFigures {
        enqueue_first_us: v[0],
        enqueue_last_us: v[1],
        enqueue_all_us: v[2],
        push_single_us: v[3],
        take_us: v[4],
        done_us: v[5],
        db_mb: v[6],
    })
}

/// WARC writing: `count` exchanges of `body` through [`Writer::write_exchange`] (one gzip
/// member per record, fsync per capture) into `dir`. Returns (body MB/s, WARC MB/s, s/record).
pub fn warc_writer(
    dir: &Path,
    bodies: &[String],
    count: usize,
) -> Result<(f64, f64, f64), baoluu::archive::Error> {
    let info = Info {
        software: "baoluu-bench".into(),
        hostname: "bench".into(),
        user_agent: "baoluu-bench/0.1".into(),
        from: None,
        is_part_of: "bench".into(),
    };
    let mut writer = Writer::new(dir.to_path_buf(), "bench".into(), info, 1_000_000_000);
    let exchanges: Vec<Exchange> = (0..count)
        .map(|i| exchange(i, &bodies[i % bodies.len()]))
        .collect();
    let input: usize = exchanges.iter().map(|e| e.body.len()).sum();
    let started = Instant::now();
    for ex in &exchanges {
        writer.write_exchange(ex)?;
    }
    writer.close()?;
    let secs = started.elapsed().as_secs_f64();
    let output = crate::measure::dir_mb(dir, ".warc.gz");
    Ok((
        input as f64 / 1e6 / secs,
        output / secs,
        secs / count as f64,
    ))
}

/// gzip alone (flate2 at `level`, one member per body): (MB/s of input, output/input).
pub fn gzip_only(bodies: &[String], count: usize, level: u32) -> (f64, f64) {
    use flate2::{Compression, write::GzEncoder};
    let started = Instant::now();
    let (mut input, mut output) = (0usize, 0usize);
    for i in 0..count {
        let body = bodies[i % bodies.len()].as_bytes();
        let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 2), Compression::new(level));
        let _ = enc.write_all(body);
        input += body.len();
        output += enc.finish().map(|v| v.len()).unwrap_or(0);
    }
    let secs = started.elapsed().as_secs_f64();
    (input as f64 / 1e6 / secs, output as f64 / input as f64)
}

fn exchange(i: usize, body: &str) -> Exchange {
    let url: url::Url = format!("http://127.0.0.1:8080/thoi-su/bai-{i}-a{i}.html")
        .parse()
        .expect("valid url");
    Exchange {
        url,
        date: chrono::Utc::now(),
        request_headers: vec![
            ("host".into(), "127.0.0.1:8080".into()),
            ("user-agent".into(), "baoluu-bench/0.1".into()),
            ("accept-encoding".into(), "gzip".into()),
        ],
        version: "HTTP/1.1".into(),
        status: 200,
        reason: "OK".into(),
        response_headers: vec![
            ("content-type".into(), b"text/html; charset=utf-8".to_vec()),
            ("content-length".into(), body.len().to_string().into_bytes()),
        ],
        body: body.as_bytes().to_vec(),
        truncated: None,
        remote_ip: Some([127, 0, 0, 1].into()),
        duration: std::time::Duration::from_millis(1),
    }
}
