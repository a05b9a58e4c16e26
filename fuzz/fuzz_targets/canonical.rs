//! Fuzz target: URL resolution and canonicalisation (`baoluu::canonical`).
//!
//! Input: `base\nhref` as bytes (lossy UTF-8). Asserts what the crawl relies on: resolved URLs
//! are fragment-free http(s), `canonicalize` is idempotent and keeps the origin; `surt` and
//! `host_key` take anything.
#![no_main]

use baoluu::canonical::{canonicalize, host_key, resolve, surt};
use libfuzzer_sys::fuzz_target;
use url::Url;

const FALLBACK_BASE: &str = "https://baohaugiang.com.vn/thoi-su/bai-viet-121360.html";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (base, href) = text.split_once('\n').unwrap_or((FALLBACK_BASE, &text));
    let base = Url::parse(base)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .unwrap_or_else(|| Url::parse(FALLBACK_BASE).unwrap());
    let _ = (surt(&base), host_key(&base));
    if let Ok(any) = Url::parse(href) {
        let _ = (surt(&any), host_key(&any), canonicalize(&any));
    }
    let Some(url) = resolve(&base, href) else {
        return;
    };
    assert!(matches!(url.scheme(), "http" | "https"), "{url}");
    assert_eq!(url.fragment(), None);
    let once = canonicalize(&url);
    assert_eq!(canonicalize(&once), once);
    assert_eq!(
        (once.scheme(), once.host_str(), once.port()),
        (url.scheme(), url.host_str(), url.port())
    );
    let _ = (surt(&once), host_key(&once));
});
