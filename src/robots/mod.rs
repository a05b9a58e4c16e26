//! robots: what robots.txt says about a URL, per RFC 9309.
//!
//! Sits between `scope` and `politeness` (docs/architecture.md). The caller fetches `/robots.txt`
//! ([`robots_url`]) through the fetch stage, which also archives it, following up to
//! [`MAX_REDIRECTS`] hops; this module turns the outcome ([`Fetched`]) into a [`Robots`] by the
//! status rules of RFC 9309 §2.3.1 (docs/archive.md, "robots.txt"): a 2xx is parsed, a 4xx other
//! than 429 means *unavailable* (everything allowed), a 5xx, a 429, a network error or a
//! timeout means *unreachable* (everything disallowed; retry later). Unlike most archival
//! crawlers we do not allow on failure (stormcrawler#1042). The caller caches one entry per
//! [`authority`] for at most [`CACHE_TTL`] through [`Robots::to_cache`]; it also decides how long
//! an unreachable file may keep a host closed (docs/archive.md allows "unavailable" after ~30 days).
//! This module never fetches, never caches by itself and never rate-limits.
//!
//! The parser crate stays behind the private `rules` module; nothing public names it. The file
//! is parsed once into a rule table and matched by our own `pattern` matcher (issue 13:
//! robotstxt 0.3's matcher ignores `*`; docs/robots.md).

mod body;
mod pattern;
mod rules;

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::fetch::{Exchange, Truncation};

use rules::Rules;

pub use body::MAX_BODY;

/// How long a fetched robots.txt may be used (RFC 9309 §2.4: SHOULD NOT cache for more than 24 h).
pub const CACHE_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// Redirect hops the caller follows for `/robots.txt` (RFC 9309 §2.3.1.2: at least five).
pub const MAX_REDIRECTS: usize = 5;

/// Where the robots.txt that governs `url` lives: `scheme://host[:port]/robots.txt`.
pub fn robots_url(url: &Url) -> Url {
    let mut robots = url.clone();
    robots.set_path("/robots.txt");
    robots.set_query(None);
    robots.set_fragment(None);
    // Credentials are not part of the authority a robots.txt speaks for; failures only mean
    // the URL cannot carry them in the first place.
    let _ = robots.set_username("");
    let _ = robots.set_password(None);
    robots
}

/// The cache key: one robots.txt per scheme + host + port (RFC 9309 §2.3), the port always
/// written so `http://a.vn` and `http://a.vn:80` share an entry.
pub fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port_or_known_default() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// The product token robots.txt groups are matched against (RFC 9309 §2.2.1):
/// `baoluu/0.1 (+https://…)` gives `baoluu`.
pub fn product_token(user_agent: &str) -> String {
    rules::token_prefix(user_agent.trim()).to_string()
}

/// How fetching `/robots.txt` ended, as the caller saw it after following redirects.
#[derive(Debug, Clone, Copy)]
pub enum Fetched<'a> {
    /// The final response. `content_encoding` is the raw `Content-Encoding` header (fetch does
    /// no decoding); `body` may be truncated by fetch's cap.
    Response {
        status: u16,
        content_encoding: Option<&'a str>,
        body: &'a [u8],
    },
    /// Network error or timeout, a body cut in transit (disconnect, deadline), or a redirect to
    /// somewhere the fetch guard refuses: all *unreachable* (RFC 9309 §2.3.1.4; issue 13).
    Failed,
    /// More than [`MAX_REDIRECTS`] hops.
    TooManyRedirects,
}

/// What we know about one authority's robots.txt.
#[derive(Clone)]
enum Verdict {
    /// A 2xx body, parsed.
    Rules(Rules),
    /// No usable file where one could exist (4xx): everything allowed.
    Unavailable,
    /// The server could not answer (5xx, 429, network): everything disallowed until retried.
    Unreachable,
}

/// robots.txt as interpreted for one product token.
#[derive(Clone)]
pub struct Robots {
    verdict: Verdict,
    /// Our product token, matched case-insensitively against `User-agent:` lines.
    token: String,
}

/// A cached entry that cannot be read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    #[error("cached robots.txt entry is unreadable (unknown format); fetch robots.txt again")]
    Format,
}

/// Version byte of [`Robots::to_cache`]'s format. 2 since issue 13: format 1 entries may hold
/// the fragment of a robots.txt cut in transit (then parsed as the whole file); refusing them
/// makes the caller fetch the file again.
const CACHE_FORMAT: u8 = 2;

impl Robots {
    /// Applies RFC 9309 §2.3.1 to a fetch outcome.
    pub fn from_fetch(fetched: Fetched<'_>, product_token: &str) -> Robots {
        let verdict = match fetched {
            Fetched::Response {
                status,
                content_encoding,
                body,
            } => Self::verdict_for(status, content_encoding, body, product_token),
            Fetched::Failed => Verdict::Unreachable,
            // §2.3.1.2 lets a crawler treat a redirect loop or chain as unavailable.
            Fetched::TooManyRedirects => Verdict::Unavailable,
        };
        Robots::new(verdict, product_token)
    }

    /// [`Robots::from_fetch`] for the final response of a robots.txt fetch, as `crawl`, `save`
    /// and `probe --fetch` all judge it: a body cut by a disconnect or the deadline is a network
    /// error, so *unreachable* (RFC 9309 §2.3.1.4; issue 13 item 3), never a shorter file. Only
    /// our own size cap may cut it (§2.5: what is past 500 KiB may be ignored).
    pub fn from_exchange(exchange: &Exchange, product_token: &str) -> Robots {
        if let Some(cut @ (Truncation::Disconnect | Truncation::Time)) = exchange.truncated {
            tracing::warn!(robots = %exchange.url, truncated = cut.as_warc(), "robots_unreachable");
            return Robots::from_fetch(Fetched::Failed, product_token);
        }
        let encoding = exchange.header("content-encoding");
        let fetched = Fetched::Response {
            status: exchange.status,
            content_encoding: encoding.as_deref(),
            body: &exchange.body,
        };
        Robots::from_fetch(fetched, product_token)
    }

    fn verdict_for(status: u16, encoding: Option<&str>, body: &[u8], token: &str) -> Verdict {
        match status {
            200..=299 => match body::text(encoding, body) {
                Ok(text) => Verdict::Rules(Rules::parse(&text, &matchable(token))),
                // Rules we could not read are no licence to crawl: retry later.
                Err(_) => Verdict::Unreachable,
            },
            // §2.3.1.3; 429 is the server asking us to slow down, not a missing file.
            400..=499 if status != 429 => Verdict::Unavailable,
            // §2.3.1.4 for 5xx and 429. A 1xx or an unfollowed 3xx reaching us is a broken
            // exchange: treated the same, so the file is fetched again later.
            _ => Verdict::Unreachable,
        }
    }

    fn new(verdict: Verdict, product_token: &str) -> Robots {
        Robots {
            verdict,
            token: matchable(product_token),
        }
    }

    /// May `url` be fetched? `/robots.txt` itself always may ("implicitly allowed", RFC 9309
    /// §2.2.2), even when unreachable: it is how we learn the rules. Matching uses path + query.
    pub fn allowed(&self, url: &Url) -> bool {
        if url.path() == "/robots.txt" {
            return true;
        }
        match &self.verdict {
            Verdict::Rules(rules) => rules.allowed(&path_and_query(url)),
            Verdict::Unavailable => true,
            Verdict::Unreachable => false,
        }
    }

    /// Crawl-delay of our group, else of `*` (not in RFC 9309; politeness caps it).
    pub fn crawl_delay(&self) -> Option<Duration> {
        match &self.verdict {
            Verdict::Rules(rules) => rules.crawl_delay(),
            _ => None,
        }
    }

    /// `Sitemap:` URLs as written (unresolved, unchecked), in file order.
    pub fn sitemaps(&self) -> Vec<String> {
        match &self.verdict {
            Verdict::Rules(rules) => rules.sitemaps().to_vec(),
            _ => Vec::new(),
        }
    }

    /// `"rules"`, `"unavailable"` or `"unreachable"`: for logs, the store and run reports.
    pub fn state(&self) -> &'static str {
        match self.verdict {
            Verdict::Rules(_) => "rules",
            Verdict::Unavailable => "unavailable",
            Verdict::Unreachable => "unreachable",
        }
    }

    /// True when everything is disallowed because the server failed: fetch it again later.
    pub fn is_unreachable(&self) -> bool {
        matches!(self.verdict, Verdict::Unreachable)
    }

    /// A compact form for the store: a format byte, a state byte, then the (decoded, capped,
    /// normalised) text for `rules`. The caller keeps the fetch time and honours [`CACHE_TTL`].
    pub fn to_cache(&self) -> Vec<u8> {
        let (tag, text) = match &self.verdict {
            Verdict::Rules(rules) => (b'R', rules.text()),
            Verdict::Unavailable => (b'A', ""),
            Verdict::Unreachable => (b'U', ""),
        };
        let mut out = Vec::with_capacity(2 + text.len());
        out.extend_from_slice(&[CACHE_FORMAT, tag]);
        out.extend_from_slice(text.as_bytes());
        out
    }

    /// Reads back [`Robots::to_cache`]'s output (the text is parsed again, once).
    pub fn from_cache(bytes: &[u8], product_token: &str) -> Result<Robots, CacheError> {
        let verdict = match bytes {
            [CACHE_FORMAT, b'R', text @ ..] => {
                let text = std::str::from_utf8(text).map_err(|_| CacheError::Format)?;
                Verdict::Rules(Rules::parse(text, &matchable(product_token)))
            }
            [CACHE_FORMAT, b'A'] => Verdict::Unavailable,
            [CACHE_FORMAT, b'U'] => Verdict::Unreachable,
            _ => return Err(CacheError::Format),
        };
        Ok(Robots::new(verdict, product_token))
    }
}

impl fmt::Debug for Robots {
    /// Summarised: the text can be half a megabyte.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Robots")
            .field("state", &self.state())
            .field("token", &self.token)
            .field("crawl_delay", &self.crawl_delay())
            .field("sitemaps", &self.sitemaps().len())
            .finish()
    }
}

/// An empty token would equal the empty product token of a `User-agent: 1bot` line; `*` can
/// never match a specific group, so an empty token falls back to the `*` rules only.
fn matchable(product_token: &str) -> String {
    let token = rules::token_prefix(product_token.trim());
    if token.is_empty() {
        "*".to_string()
    } else {
        token.to_string()
    }
}

/// What RFC 9309 §2.2.2 matches: the path plus `?query`, never the fragment.
fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

#[cfg(test)]
mod tests;
