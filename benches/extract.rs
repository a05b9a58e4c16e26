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
//! Run: `cargo bench --bench extract`.

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
        run_aeb(Path::new(&dir));
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
    print_speed("labelled pages", &pages);
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
/// floor under extraction.
fn print_speed(label: &str, pages: &[(&str, &Url)]) {
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
    for (what, run) in [
        ("extract", &extract_all as &dyn Fn()),
        ("parse only", &parse_all as &dyn Fn()),
    ] {
        let (rounds, wall, cpu) = timed(run);
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

// ---- scrapinghub/article-extraction-benchmark -----------------------------------------------

#[derive(Deserialize)]
struct Truth {
    #[serde(rename = "articleBody", default)]
    article_body: String,
    url: Option<String>,
}

/// One AEB page: its id, decoded HTML, URL and true body.
struct AebPage {
    id: String,
    html: String,
    url: Url,
    truth: String,
}

fn run_aeb(dir: &Path) {
    let pages = load_aeb(dir);
    if pages.is_empty() {
        println!("\nno pages under {}", dir.join("html").display());
        return;
    }
    let mut scores = Vec::new();
    let mut predictions = serde_json::Map::new();
    for page in &pages {
        let body = aeb_body(&extract(&page.html, &page.url, None));
        scores.push(shingle_tp_fp_fn(&page.truth, &body));
        predictions.insert(page.id.clone(), serde_json::json!({ "articleBody": body }));
    }
    let (p, r, f1) = aeb_metrics(&scores);
    println!(
        "\nscrapinghub/article-extraction-benchmark, {} pages (evaluate.py's metric)\nbody F1 {f1:.3}  precision {p:.3}  recall {r:.3}",
        pages.len()
    );
    print_worst(&pages, &scores);
    show_pages(&pages);
    if let Ok(out) = std::env::var("BAOLUU_AEB_OUT") {
        let json = serde_json::Value::Object(predictions).to_string();
        std::fs::write(&out, json).unwrap_or_else(|e| panic!("{out}: {e}"));
        println!("predictions written to {out}");
    }
    let refs: Vec<(&str, &Url)> = pages.iter().map(|p| (p.html.as_str(), &p.url)).collect();
    print_speed("AEB pages", &refs);
}

/// The body as the benchmark sees it: the text. The lead stays out: scored both ways, adding
/// a lead that the page shows lowered F1 from 0.961 to 0.954 (standfirsts are mostly not part
/// of the benchmark's `articleBody`).
fn aeb_body(a: &Article) -> String {
    a.text.clone()
}

fn load_aeb(dir: &Path) -> Vec<AebPage> {
    let truth_path = dir.join("ground-truth.json");
    let truth: HashMap<String, Truth> = std::fs::read(&truth_path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_else(|| panic!("{}: missing or not JSON", truth_path.display()));
    let mut ids: Vec<&String> = truth.keys().collect();
    ids.sort();
    ids.into_iter()
        .filter_map(|id| {
            let gz = std::fs::read(dir.join(format!("html/{id}.html.gz"))).ok()?;
            let html = decode(&gz, Some("text/html"), Some("gzip"), MAX_DECODED)
                .ok()?
                .text;
            let t = &truth[id];
            let url = t.url.as_deref().and_then(|u| Url::parse(u).ok())?;
            Some(AebPage {
                id: id.clone(),
                html,
                url,
                truth: t.article_body.clone(),
            })
        })
        .collect()
}

/// `evaluate.py`'s `_tokenize`: Python's `\w+` (letters, digits, underscore).
fn aeb_tokens(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| !t.is_empty())
        .collect()
}

/// `evaluate.py`'s `string_shingle_matching`: TP, FP, FN over 4-gram shingles, normalised.
fn shingle_tp_fp_fn(truth: &str, pred: &str) -> [f64; 3] {
    let (t, p) = (shingles(truth), shingles(pred));
    let mut counts = [0.0; 3];
    for key in t.keys().chain(p.keys().filter(|k| !t.contains_key(*k))) {
        let (tc, pc) = (
            *t.get(key).unwrap_or(&0) as f64,
            *p.get(key).unwrap_or(&0) as f64,
        );
        counts[0] += tc.min(pc);
        counts[1] += (pc - tc).max(0.0);
        counts[2] += (tc - pc).max(0.0);
    }
    let sum: f64 = counts.iter().sum();
    if sum > 0.0 {
        counts.iter_mut().for_each(|c| *c /= sum);
    }
    counts
}

/// `_ngrams`: every window of four tokens; a text shorter than four is one shingle (none if
/// empty).
fn shingles(text: &str) -> HashMap<Vec<&str>, usize> {
    let tokens = aeb_tokens(text);
    let mut out = HashMap::new();
    let windows = tokens.len().saturating_sub(3).max(1);
    for i in 0..windows {
        let shingle = tokens[i..(i + 4).min(tokens.len())].to_vec();
        if !shingle.is_empty() {
            *out.entry(shingle).or_insert(0) += 1;
        }
    }
    out
}

/// `metrics_from_tp_fp_fns`: mean precision, mean recall, and F1 of those means.
fn aeb_metrics(scores: &[[f64; 3]]) -> (f64, f64, f64) {
    let precision: Vec<f64> = scores
        .iter()
        .filter(|[tp, fp, _]| tp + fp > 0.0)
        .map(|&[tp, fp, fn_]| score(tp, fp, fp, fn_))
        .collect();
    let recall: Vec<f64> = scores
        .iter()
        .filter(|[tp, _, fn_]| tp + fn_ > 0.0)
        .map(|&[tp, fp, fn_]| score(tp, fn_, fp, fn_))
        .collect();
    let (p, r) = (mean(&precision), mean(&recall));
    (p, r, 2.0 * p * r / (p + r))
}

/// `precision_score` (with `miss` = FP) and `recall_score` (with `miss` = FN).
fn score(tp: f64, miss: f64, fp: f64, fn_: f64) -> f64 {
    if fp == 0.0 && fn_ == 0.0 {
        1.0
    } else if tp == 0.0 && miss == 0.0 {
        0.0
    } else {
        tp / (tp + miss)
    }
}

/// Lists the `BAOLUU_AEB_WORST` pages with the lowest per-page shingle F1.
fn print_worst(pages: &[AebPage], scores: &[[f64; 3]]) {
    let Some(n) = std::env::var("BAOLUU_AEB_WORST")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
    else {
        return;
    };
    let mut ranked: Vec<(f64, f64, f64, &AebPage)> = pages
        .iter()
        .zip(scores)
        .map(|(page, &[tp, fp, fn_])| {
            let (p, r) = (score(tp, fp, fp, fn_), score(tp, fn_, fp, fn_));
            let f1 = if p + r > 0.0 {
                2.0 * p * r / (p + r)
            } else {
                0.0
            };
            (f1, p, r, page)
        })
        .collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (f1, p, r, page) in ranked.into_iter().take(n) {
        println!(
            "  {f1:.3} (P {p:.3} R {r:.3}) {} {}",
            &page.id[..12],
            page.url
        );
    }
}

/// Prints the extracted body and the true one of pages whose id starts with one of the
/// comma-separated prefixes in `BAOLUU_AEB_SHOW` (for looking into a low score).
fn show_pages(pages: &[AebPage]) {
    let Ok(prefixes) = std::env::var("BAOLUU_AEB_SHOW") else {
        return;
    };
    for page in pages {
        if prefixes
            .split(',')
            .any(|p| !p.is_empty() && page.id.starts_with(p))
        {
            let a = extract(&page.html, &page.url, None);
            println!(
                "==== {} {}\n---- lead: {:?}\n---- got:\n{}\n---- want:\n{}",
                page.id, page.url, a.lead, a.text, page.truth
            );
        }
    }
}
