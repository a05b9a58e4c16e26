//! Limits, cuts and broken documents: what comes back is the entries read before the stop.

use std::time::Instant;

use super::*;

fn urlset(count: usize) -> String {
    let mut body = String::from("<?xml version=\"1.0\"?>\n<urlset>\n");
    for i in 0..count {
        body.push_str(&format!(
            "<url><loc>https://baocantho.com.vn/tin-{i}-a{i}.html</loc>\
             <lastmod>2026-01-08T18:21:00+07:00</lastmod></url>\n"
        ));
    }
    body + "</urlset>\n"
}

fn limited(max_decoded: u64, max_entries: usize) -> Limits {
    Limits {
        max_decoded,
        max_entries,
    }
}

#[test]
fn max_entries_stops_only_when_more_follow() {
    let body = urlset(3);
    let p = parse(body.as_bytes(), &limited(u64::MAX, 2)).unwrap();
    assert_eq!(urls(&p).len(), 2);
    assert_eq!(p.stop, Some(Stop::MaxEntries));
    assert!(p.truncated);
    let p = parse(body.as_bytes(), &limited(u64::MAX, 3)).unwrap();
    assert_complete(&p, Kind::UrlSet);
    let text = "https://a.vn/1\nhttps://a.vn/2\nhttps://a.vn/3\n";
    let p = parse(text.as_bytes(), &limited(u64::MAX, 2)).unwrap();
    assert_eq!(urls(&p), ["https://a.vn/1", "https://a.vn/2"]);
    assert_eq!(p.stop, Some(Stop::MaxEntries));
}

#[test]
fn max_decoded_keeps_whole_entries_only() {
    let body = urlset(100);
    let cut = body.find("tin-41-").unwrap() as u64; // inside the 42nd <loc>
    for compressed in [false, true] {
        let input = if compressed {
            gzip(body.as_bytes())
        } else {
            body.clone().into_bytes()
        };
        let p = parse(&input, &limited(cut, usize::MAX)).unwrap();
        assert_eq!(p.stop, Some(Stop::MaxDecoded));
        assert_eq!(urls(&p).len(), 41, "compressed: {compressed}");
        assert_eq!(urls(&p)[40], "https://baocantho.com.vn/tin-40-a40.html");
    }
    let exact = parse(body.as_bytes(), &limited(body.len() as u64, usize::MAX)).unwrap();
    assert_complete(&exact, Kind::UrlSet);
    assert_eq!(exact.entries.len(), 100);
}

#[test]
fn max_decoded_never_yields_a_cut_text_line() {
    let body = "https://a.vn/first\nhttps://a.vn/second-and-longer\n";
    let p = parse(body.as_bytes(), &limited(30, usize::MAX)).unwrap();
    assert_eq!(urls(&p), ["https://a.vn/first"]);
    assert_eq!(p.stop, Some(Stop::MaxDecoded));
}

#[test]
fn malformed_xml_midway_returns_the_entries_before() {
    let body = "<urlset><url><loc>https://a.vn/1</loc></url>\
                <url><loc>https://a.vn/2</loc></url>\
                <url><loc>https://a.vn/3</lo></url>\
                <url><loc>https://a.vn/4</loc></url></urlset>";
    let p = parsed(body);
    assert_eq!(urls(&p), ["https://a.vn/1", "https://a.vn/2"]);
    let Some(Stop::Malformed { offset }) = p.stop else {
        panic!("{:?}", p.stop);
    };
    assert!(offset > 60, "the offset points into the document: {offset}");
    assert!(p.truncated);
}

#[test]
fn a_body_cut_short_returns_the_entries_before() {
    let body = urlset(100);
    let cut = &body.as_bytes()[..body.len() / 2];
    let p = parsed(cut);
    assert_eq!(
        p.stop.map(|s| matches!(s, Stop::Malformed { .. })),
        Some(true)
    );
    assert!((45..=50).contains(&p.entries.len()), "{}", p.entries.len());

    let compressed = gzip(body.as_bytes());
    let p = parsed(&compressed[..compressed.len() / 2]);
    assert_eq!(p.stop, Some(Stop::Corrupt), "a gzip stream cut short");
    assert!(!p.entries.is_empty() && p.entries.len() < 100);
    assert_eq!(p.entries[0].url, "https://baocantho.com.vn/tin-0-a0.html");
}

#[test]
fn a_token_past_the_cap_stops_the_parse() {
    let mut body = String::from("<rss><channel><item><link>https://a.vn/1</link></item><item>");
    body.push_str("<description><![CDATA[");
    // Past the cap by more than the read-ahead the count includes.
    body.push_str(&"x".repeat(MAX_TOKEN as usize + (64 << 10)));
    body.push_str("]]></description><link>https://a.vn/2</link></item></channel></rss>");
    let p = parsed(&body);
    assert_eq!(urls(&p), ["https://a.vn/1"]);
    assert_eq!(p.stop, Some(Stop::LongToken));
}

/// A gzip body that expands to `head` then about `len` bytes of `unit` repeated, built without
/// ever holding the expansion: one member compresses 1 MiB of `unit`, and the body repeats that
/// member (a gzip file is a series of members, RFC 1952 §2.2).
fn bomb(head: &[u8], unit: &[u8], len: u64) -> Vec<u8> {
    let member = gzip(&unit.repeat((1 << 20) / unit.len()));
    let mut body = gzip(head);
    for _ in 0..len >> 20 {
        body.extend_from_slice(&member);
    }
    body
}

/// Peak resident memory of this process so far, in KiB (Linux), after resetting the peak when
/// the kernel allows it. Other tests run in parallel: run a test alone for a clean figure.
fn peak_rss_kib(reset: bool) -> Option<u64> {
    if reset {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// 200 MiB of elements and whitespace after one entry, in about 300 KiB of gzip.
fn markup_bomb() -> Vec<u8> {
    let unit = format!("<x>{}</x>", " ".repeat(4089));
    let head = b"<urlset><url><loc>https://a.vn/1</loc></url>";
    let body = bomb(head, unit.as_bytes(), 200 << 20);
    assert!(body.len() < 1 << 20, "{} bytes compressed", body.len());
    body
}

#[test]
fn gzip_bomb_of_markup_stops_at_max_decoded() {
    // A small cap keeps the unoptimised test quick; the default cap is measured below.
    let p = parse(&markup_bomb(), &limited(4 << 20, usize::MAX)).unwrap();
    assert_eq!(p.stop, Some(Stop::MaxDecoded));
    assert_eq!(urls(&p), ["https://a.vn/1"]);
}

#[test]
fn gzip_bomb_of_zeros_stops_at_the_token_cap() {
    let p = parsed(bomb(b"", &[0], 200 << 20));
    assert_eq!(p.stop, Some(Stop::LongToken));
    assert!(p.entries.is_empty());
}

/// The markup bomb at the default cap, with time and peak memory. Ignored by default; run it
/// alone for a clean memory figure:
/// `cargo test --lib feeds::tests::limits::measure -- --ignored --nocapture --test-threads=1`.
#[test]
#[ignore]
fn measure_gzip_bomb_at_the_default_cap() {
    let body = markup_bomb();
    let before = peak_rss_kib(true);
    let started = Instant::now();
    let p = parsed(&body);
    let elapsed = started.elapsed();
    let after = peak_rss_kib(false);
    assert_eq!(p.stop, Some(Stop::MaxDecoded));
    eprintln!(
        "gzip bomb: {} KiB body, 200 MiB inside, stopped at {} MiB in {elapsed:?}; \
         peak RSS {before:?} → {after:?} KiB",
        body.len() / 1024,
        DEFAULT_MAX_DECODED >> 20,
    );
}

/// Speed on a sitemap at the sitemaps.org size cap. Ignored by default (it builds 50 MB);
/// `cargo test --lib feeds::tests::limits::measure -- --ignored --nocapture` prints MB/s.
#[test]
#[ignore]
fn measure_speed_of_a_50_mb_sitemap() {
    let body = urlset(440_000);
    let mb = body.len() as f64 / 1e6;
    let limits = limited(u64::MAX, usize::MAX);
    let before = peak_rss_kib(true);
    let started = Instant::now();
    let p = parse(body.as_bytes(), &limits).unwrap();
    let plain = started.elapsed().as_secs_f64();
    let after = peak_rss_kib(false);
    assert_eq!(p.entries.len(), 440_000);
    let compressed = gzip(body.as_bytes());
    let started = Instant::now();
    let q = parse(&compressed, &limits).unwrap();
    let gzipped = started.elapsed().as_secs_f64();
    assert_eq!(q, p);
    eprintln!(
        "{mb:.1} MB urlset, {} entries: {:.1} MB/s plain, {:.1} MB/s gzip ({} KiB); \
         peak RSS {before:?} → {after:?} KiB (the entries themselves included)",
        p.entries.len(),
        mb / plain,
        mb / gzipped,
        compressed.len() / 1024,
    );
}

#[test]
fn gzip_broken_before_the_root_is_an_error() {
    let compressed = gzip(urlset(100).as_bytes());
    let cut = &compressed[..12];
    assert!(matches!(
        parse(cut, &Limits::default()),
        Err(Error::Corrupt(_))
    ));
}
