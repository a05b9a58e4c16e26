//! scrapinghub/article-extraction-benchmark (181 pages): load, score exactly as its
//! `evaluate.py` does, and compare with trafilatura on the same pages.

use std::collections::HashMap;
use std::path::Path;

use baoluu::extract::{Article, decode, extract};
use serde::Deserialize;
use url::Url;

use super::{MAX_DECODED, compare, mean, peer, print_speed};

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

pub fn run_aeb(dir: &Path) {
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
    let ours = print_speed("AEB pages", &refs);
    if let Some(peer) = peer::trafilatura(&refs) {
        let theirs: Vec<[f64; 3]> = pages
            .iter()
            .zip(&peer.texts)
            .map(|(page, text)| shingle_tp_fp_fn(&page.truth, text))
            .collect();
        compare("AEB pages", (f1, ours), (aeb_metrics(&theirs).2, &peer));
    }
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
