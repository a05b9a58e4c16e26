//! Fuzz target: robots.txt interpretation (`baoluu::robots`).
//!
//! Input: `path\0body`; the body's first byte picks the status and content coding, the rest is
//! the file. Asserts `/robots.txt` is always allowed and the cache round-trips the decision.
#![no_main]

use baoluu::robots::{Fetched, Robots};
use libfuzzer_sys::fuzz_target;
use url::Url;

const STATUSES: [u16; 4] = [200, 404, 429, 503];
const ENCODINGS: [Option<&str>; 3] = [None, Some("gzip"), Some("deflate")];

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|&b| b == 0).unwrap_or(0);
    let (path, rest) = data.split_at(split);
    let (selector, body) = match rest.get(1..) {
        Some([first, body @ ..]) => (*first, body),
        _ => (0, rest),
    };
    let status = STATUSES[usize::from(selector & 3)];
    let content_encoding = ENCODINGS[usize::from(selector >> 2) % 3];
    let fetched = Fetched::Response {
        status,
        content_encoding,
        body,
    };
    let robots = Robots::from_fetch(fetched, "baoluu");
    let Ok(url) = Url::parse(&format!("https://x.vn/{}", String::from_utf8_lossy(path))) else {
        return;
    };
    let allowed = robots.allowed(&url);
    assert!(robots.allowed(&Url::parse("https://x.vn/robots.txt").unwrap()));
    let _ = (robots.crawl_delay(), robots.sitemaps());
    let back = Robots::from_cache(&robots.to_cache(), "baoluu").unwrap();
    assert_eq!(back.allowed(&url), allowed);
    let _ = Robots::from_cache(data, "baoluu");
});
