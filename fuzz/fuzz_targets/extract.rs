//! Fuzz target: payload decoding, article extraction, link discovery and date parsing
//! (`baoluu::extract`, `baoluu::discover`).
//!
//! Input: raw payload bytes, decoded as the archive would hand them over (no headers, so the
//! charset is prescanned or sniffed). Only panics are findings here: the NFC invariant has a
//! known gap (docs/fuzzing.md) that the property tests track.
#![no_main]

use baoluu::discover::discover;
use baoluu::extract::dates::{parse_structured, parse_visible};
use baoluu::extract::{decode, extract};
use libfuzzer_sys::fuzz_target;
use url::Url;

const PAGE: &str = "https://baohaugiang.com.vn/thoi-su/bai-viet-121360.html";

fuzz_target!(|data: &[u8]| {
    let url = Url::parse(PAGE).unwrap();
    let Ok(decoded) = decode(data, Some("text/html"), None, 1 << 20) else {
        return;
    };
    let article = extract(&decoded.text, &url, None);
    for link in discover(&decoded.text, &url).links {
        assert!(matches!(link.url.scheme(), "http" | "https"));
    }
    for date in article.published.iter().chain(&article.modified) {
        assert!(date.ends_with("+07:00"), "{date}");
    }
    if decoded.text.len() < 4096 {
        let _ = (
            parse_visible(&decoded.text),
            parse_structured(&decoded.text),
        );
    }
});
