//! Extraction benchmark (issue 4): how well and how fast the generic extractor turns a page into
//! an article.
//!
//! Scores `extract(html, url, None)` (selectors off: the generic layer alone) against hand-made
//! labels in `benches/labels/{page}.json` for the real pages of `../shared/pages/` (skipped with
//! a message when that folder is absent; never copied into the repository) and the fixtures of
//! `tests/fixtures/`. Body quality is token F1: whitespace-split words after NFC and lower
//! casing, precision and recall on token multisets. Speed is pages/s and MB/s of HTML on one
//! core, repeating the set until at least two seconds have passed.
//!
//! With `BAOLUU_AEB_DIR=/path/to/article-extraction-benchmark` it also runs over the 181 pages
//! of github.com/scrapinghub/article-extraction-benchmark (`html/*.html.gz`,
//! `ground-truth.json`) and scores the body exactly as that project's `evaluate.py` does: 4-gram
//! shingles of `\w+` tokens, per-page TP/FP/FN normalised to sum 1, mean precision and mean
//! recall, F1 their harmonic mean. `BAOLUU_AEB_OUT=file.json` writes the predictions in
//! `evaluate.py`'s format; `BAOLUU_AEB_WORST=N` lists the N worst pages. That data stays outside
//! this repository. `BAOLUU_BENCH_ROUNDS=N` runs exactly N rounds instead of two seconds' worth
//! (for `perf stat`, whose instruction counts do not depend on what else the machine runs).
//! With `BAOLUU_TRAFILATURA_PYTHON` naming a Python that has trafilatura (`bench/
//! requirements-extract.txt`), trafilatura runs on the same pages in the same run and is scored
//! by the same functions (`extract/peer.rs`).
//! Run: `cargo bench --bench extract`.

#[path = "extract/aeb.rs"]
mod aeb;
#[path = "extract/peer.rs"]
mod peer;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use baoluu::extract::{Article, decode, extract};
use scraper::Html;
use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;
use url::Url;

const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");
/// Decoding cap: the crawler's default `max_body`.
const MAX_DECODED: usize = 20 << 20;
/// Least time one speed measurement runs.
const MIN_ELAPSED: Duration = Duration::from_secs(2);

/// What a reader of the page sees as its article (benches/labels/*.json).
#[derive(Deserialize)]
struct Label {
    url: String,
    title: String,
    published: Option<String>,
    authors: Vec<String>,
    /// The clean body: article paragraphs only, no lead, captions, bylines or related lists.
    text: String,
}

/// A page to extract and what it should yield.
struct Case {
    name: String,
    html: String,
    url: Url,
    label: Label,
}

fn main() {
    let cases = local_cases();
    if cases.is_empty() {
        println!("no labelled pages found");
    } else {
        report_local(&cases);
    }
    if let Ok(dir) = std::env::var("BAOLUU_AEB_DIR") {
        aeb::run_aeb(Path::new(&dir));
    } else {
        println!(
            "\n(set BAOLUU_AEB_DIR to a checkout of scrapinghub/article-extraction-benchmark to score it too)"
        );
    }
}

// ---- the labelled pages -------------------------------------------------------------------

/// Every label whose page is present: `../shared/pages/{name}.html` or
/// `tests/fixtures/{name}.html`.
fn local_cases() -> Vec<Case> {
    let labels = PathBuf::from(MANIFEST).join("benches/labels");
    let mut names: Vec<String> = std::fs::read_dir(&labels)
        .map(|dir| {
            dir.filter_map(|e| e.ok())
                .filter_map(|e| {
                    e.file_name()
                        .to_str()?
                        .strip_suffix(".json")
                        .map(String::from)
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter_map(|name| load_case(&labels, name))
        .collect()
}

fn load_case(labels: &Path, name: String) -> Option<Case> {
    let label: Label =
        serde_json::from_slice(&std::fs::read(labels.join(format!("{name}.json"))).ok()?)
            .unwrap_or_else(|e| panic!("benches/labels/{name}.json: {e}"));
    let candidates = [
        PathBuf::from(MANIFEST).join(format!("../shared/pages/{name}.html")),
        PathBuf::from(MANIFEST).join(format!("tests/fixtures/{name}.html")),
    ];
    let Some(bytes) = candidates.iter().find_map(|p| std::fs::read(p).ok()) else {
        println!("skipped {name}: its page is absent (real pages live outside the repository)");
        return None;
    };
    let html = decode(&bytes, Some("text/html"), None, MAX_DECODED)
        .ok()?
        .text;
    let url = Url::parse(&label.url).unwrap_or_else(|e| panic!("{name}: url: {e}"));
    Some(Case {
        name,
        html,
        url,
        label,
    })
}

fn report_local(cases: &[Case]) {
    println!("Extraction, generic extractor (selectors = None), labelled pages\n");
    println!(
        "| page | body F1 | precision | recall | title | published | authors |\n|---|---|---|---|---|---|---|"
    );
    let mut f1s = Vec::new();
    for case in cases {
        let a = extract(&case.html, &case.url, None);
        let (p, r, f1) = token_prf(&case.label.text, &a.text);
        f1s.push(f1);
        println!(
            "| {} | {f1:.3} | {p:.3} | {r:.3} | {} | {} | {} |",
            case.name,
            yes_no(a.title == case.label.title),
            yes_no(a.published == case.label.published),
            yes_no(a.authors == case.label.authors),
        );
        explain_misses(case, &a);
    }
    println!("\nmean body F1 {:.3} over {} pages", mean(&f1s), f1s.len());
    let pages: Vec<(&str, &Url)> = cases.iter().map(|c| (c.html.as_str(), &c.url)).collect();
    let ours = print_speed("labelled pages", &pages);
    if let Some(peer) = peer::trafilatura(&pages) {
        let theirs: Vec<f64> = cases
            .iter()
            .zip(&peer.texts)
            .map(|(case, text)| token_prf(&case.label.text, text).2)
            .collect();
        compare("labelled pages", (mean(&f1s), ours), (mean(&theirs), &peer));
    }
}

/// The side-by-side line: body F1 and pages/s (by CPU time, one thread) of both extractors.
fn compare(set: &str, (our_f1, our_rate): (f64, f64), (their_f1, peer): (f64, &peer::Run)) {
    let (their_rate, their_mb) = peer.rates();
    println!(
        "\n| {set} | body F1 | pages/s (one thread, CPU time) | MB/s |\n|---|---|---|---|\n| baoluu | {our_f1:.3} | {our_rate:.1} | |\n| trafilatura {} | {their_f1:.3} | {their_rate:.1} | {their_mb:.2} |\nbaoluu / trafilatura: {:.1}× pages/s, F1 {:+.3}",
        peer.version,
        our_rate / their_rate.max(1e-9),
        our_f1 - their_f1
    );
    println!(
        "(trafilatura: {} rounds of {} pages in {:.1} s wall, {:.1} s CPU)",
        peer.rounds, peer.pages, peer.wall, peer.cpu
    );
}

/// Prints what differs from the label, so a failing field can be fixed.
fn explain_misses(case: &Case, a: &Article) {
    let l = &case.label;
    if a.title != l.title {
        println!("    title: got {:?}, want {:?}", a.title, l.title);
    }
    if a.published != l.published {
        println!(
            "    published: got {:?}, want {:?}",
            a.published, l.published
        );
    }
    if a.authors != l.authors {
        println!("    authors: got {:?}, want {:?}", a.authors, l.authors);
    }
}

fn yes_no(ok: bool) -> &'static str {
    if ok { "yes" } else { "NO" }
}

/// Words of a body as the local score counts them: NFC, lower case, split on whitespace.
fn words(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    let normal: String = text.nfc().collect::<String>().to_lowercase();
    for w in normal.split_whitespace() {
        *counts.entry(w.to_string()).or_insert(0) += 1;
    }
    counts
}

/// Precision, recall and F1 of `got` against `want` on word multisets.
fn token_prf(want: &str, got: &str) -> (f64, f64, f64) {
    let (want, got) = (words(want), words(got));
    let common: usize = got
        .iter()
        .map(|(w, n)| (*n).min(want.get(w).copied().unwrap_or(0)))
        .sum();
    let (n_got, n_want) = (got.values().sum::<usize>(), want.values().sum::<usize>());
    if n_got == 0 && n_want == 0 {
        return (1.0, 1.0, 1.0);
    }
    let p = ratio(common, n_got);
    let r = ratio(common, n_want);
    let f1 = if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    };
    (p, r, f1)
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

// ---- speed --------------------------------------------------------------------------------

/// Extracts the pages over and over until [`MIN_ELAPSED`] has passed; prints pages/s and MB/s,
/// by the wall clock and by this thread's CPU time (the machine is shared: CPU time is the
/// steadier figure), then the same for parsing alone (`scraper::Html::parse_document`), the
/// floor under extraction. Returns extraction's pages/s by CPU time (wall time when unknown).
fn print_speed(label: &str, pages: &[(&str, &Url)]) -> f64 {
    let extract_all = || {
        for (html, url) in pages {
            std::hint::black_box(extract(html, url, None));
        }
    };
    let parse_all = || {
        for (html, _) in pages {
            std::hint::black_box(Html::parse_document(html));
        }
    };
    extract_all(); // warm-up: lazy statics, caches
    let bytes: usize = pages.iter().map(|(h, _)| h.len()).sum();
    println!(
        "speed ({label}, one thread, mean page {:.0} KB):",
        bytes as f64 / pages.len() as f64 / 1e3
    );
    let mut extract_rate = 0.0;
    for (what, run) in [
        ("extract", &extract_all as &dyn Fn()),
        ("parse only", &parse_all as &dyn Fn()),
    ] {
        let (rounds, wall, cpu) = timed(run);
        if what == "extract" {
            extract_rate = (rounds * pages.len()) as f64 / cpu.unwrap_or(wall);
        }
        let rate = |secs: f64| {
            format!(
                "{:.1} pages/s, {:.2} MB/s",
                (rounds * pages.len()) as f64 / secs,
                (rounds * bytes) as f64 / secs / 1e6
            )
        };
        let cpu = cpu.map_or(String::new(), |c| {
            format!("; by CPU time {c:.2} s: {}", rate(c))
        });
        println!(
            "  {what}: {} pages in {wall:.2} s wall: {}{cpu}",
            rounds * pages.len(),
            rate(wall)
        );
    }
    extract_rate
}

/// Runs `round` until [`MIN_ELAPSED`] has passed (or `BAOLUU_BENCH_ROUNDS` times); returns the
/// rounds, the wall-clock seconds and the CPU seconds of this thread (when known).
fn timed(round: &dyn Fn()) -> (usize, f64, Option<f64>) {
    let fixed: Option<usize> = std::env::var("BAOLUU_BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok());
    let (started, cpu_started) = (Instant::now(), thread_cpu());
    let mut rounds = 0;
    while fixed.map_or(started.elapsed() < MIN_ELAPSED, |f| rounds < f) {
        round();
        rounds += 1;
    }
    let wall = started.elapsed().as_secs_f64().max(1e-9);
    let cpu = cpu_started
        .zip(thread_cpu())
        .map(|(a, b)| (b - a).max(1e-9));
    (rounds, wall, cpu)
}

/// Seconds of CPU this thread has run (Linux `/proc/thread-self/schedstat`), if known.
fn thread_cpu() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: f64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(nanos / 1e9)
}
