//! `probe --fetch URL`: one page fetched politely, robots.txt first.
//!
//! Part of `probe`. The user names exactly one URL, so there is no frontier, no store and no
//! archive here, but the manners are the crawl's (docs/architecture.md, docs/robots.md):
//! robots.txt of the URL's origin is fetched first through the same [`Fetcher`] and judged by
//! [`Robots`] for baoluu's product token (RFC 9309); a disallowed URL, or a robots.txt that could
//! not be fetched (§2.3.1.4), is refused before any page request. A Crawl-delay (capped) or
//! the minimum delay separates every two requests, measured from the end of one response to
//! the next request. Redirects are followed by hand, at most [`MAX_REDIRECTS`], only within the
//! URL's host (robots.txt is checked again when the scheme or port changes); a redirect to
//! another host is reported, not followed. The fetcher does not decompress, so a gzip body is
//! inflated here with a cap. The URL's host is exempt from the address guard because the user
//! asked for it. Nothing is written anywhere.

use std::time::Duration;

use tokio::time::Instant;
use url::Url;

use super::{Error, rule};
use crate::config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_BODY, DEFAULT_READ_TIMEOUT, DEFAULT_TOTAL_TIMEOUT,
};
use crate::fetch::gunzip::{Capped, gunzip};
use crate::fetch::{Exchange, Fetcher, Settings};
use crate::robots::{self, Robots};

/// Redirect hops followed for the page and for robots.txt (RFC 9309 §2.3.1.2: at least five).
pub const MAX_REDIRECTS: usize = robots::MAX_REDIRECTS;

/// How the one-page fetch behaves; [`Default`] is gentle.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Sent as `From:` when set.
    pub from: Option<String>,
    /// The least time between the end of one response and the next request.
    pub min_delay: Duration,
    /// The largest robots.txt Crawl-delay waited (a probe is interactive: 30 s by default).
    pub crawl_delay_cap: Duration,
    pub max_body: u64,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub total_timeout: Duration,
}

impl Default for FetchOptions {
    fn default() -> FetchOptions {
        FetchOptions {
            from: None,
            min_delay: Duration::from_secs(1),
            crawl_delay_cap: Duration::from_secs(30),
            max_body: DEFAULT_MAX_BODY,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            read_timeout: DEFAULT_READ_TIMEOUT,
            total_timeout: DEFAULT_TOTAL_TIMEOUT,
        }
    }
}

/// The page as fetched, content-decoded.
#[derive(Debug, Clone)]
pub struct FetchedPage {
    /// The body after undoing `Content-Encoding: gzip`.
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    /// The final URL (after same-host redirects).
    pub url: Url,
    /// Every URL that answered with a redirect, in order.
    pub redirects: Vec<Url>,
    /// robots.txt's state for the final URL's origin (`rules`, `unavailable`).
    pub robots: String,
    /// The Crawl-delay waited between requests (after the cap), if robots.txt set one.
    pub crawl_delay: Option<Duration>,
    /// The body was cut (size cap, timeout, broken connection or stream).
    pub truncated: bool,
}

impl FetchedPage {
    /// Lines for the probe's notes.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = vec![format!(
            "fetched {} after robots.txt ({})",
            self.url, self.robots
        )];
        if let Some(delay) = self.crawl_delay {
            notes.push(format!("waited robots.txt's Crawl-delay of {delay:?}"));
        }
        for from in &self.redirects {
            notes.push(format!("{from} redirected"));
        }
        if self.truncated {
            notes.push("the body was cut short: the page is truncated".to_string());
        }
        notes
    }
}

/// Fetches `url` with `user_agent`: robots.txt first, then the page (see the module doc).
pub async fn fetch_politely(
    url: &Url,
    user_agent: &str,
    options: &FetchOptions,
) -> Result<FetchedPage, Error> {
    let fetcher =
        Fetcher::new(settings(url, user_agent, options)).map_err(|source| Error::Fetch {
            url: url.to_string(),
            source,
        })?;
    let mut visit = Visit {
        fetcher,
        token: robots::product_token(user_agent),
        options,
        pacer: Pacer::new(options.min_delay),
        robots: None,
    };
    let mut current = url.clone();
    let mut redirects = Vec::new();
    for _ in 0..=MAX_REDIRECTS {
        visit.check_robots(&current).await?;
        let exchange = visit.get(&current).await?;
        match exchange.redirect_target() {
            Some(to) if to.host_str() != url.host_str() => {
                return Err(Error::OffHostRedirect {
                    from: current.to_string(),
                    to: to.to_string(),
                });
            }
            Some(to) => redirects.push(std::mem::replace(&mut current, to)),
            None => return visit.finish(exchange, redirects),
        }
    }
    Err(Error::TooManyRedirects {
        url: url.to_string(),
        max: MAX_REDIRECTS,
    })
}

/// The fetcher's settings: the URL's exact `host:port` may be private or loopback (the user
/// named it; the address guard's exemptions are port-exact, issue 13 item 6).
fn settings(url: &Url, user_agent: &str, options: &FetchOptions) -> Settings {
    Settings {
        user_agent: user_agent.to_string(),
        from: options.from.clone(),
        connect_timeout: options.connect_timeout,
        read_timeout: options.read_timeout,
        total_timeout: options.total_timeout,
        max_body: options.max_body,
        private_hosts: url
            .host_str()
            .map(|host| match url.port() {
                Some(port) => format!("{host}:{port}"),
                None => host.to_string(),
            })
            .into_iter()
            .collect(),
    }
}

/// Keeps `gap` between the end of one response and the next request.
struct Pacer {
    gap: Duration,
    last: Option<Instant>,
}

impl Pacer {
    fn new(gap: Duration) -> Pacer {
        Pacer { gap, last: None }
    }

    async fn wait(&self) {
        if let Some(last) = self.last {
            tokio::time::sleep_until(last + self.gap).await;
        }
    }

    fn done(&mut self) {
        self.last = Some(Instant::now());
    }
}

/// robots.txt of one authority, with the text to quote a rule from.
struct Checked {
    authority: String,
    robots_url: Url,
    robots: Robots,
    text: String,
}

/// How fetching robots.txt ended.
enum RobotsEnd {
    /// The final (non-redirect) response.
    Response(Box<Exchange>),
    /// Network trouble, a timeout, or a redirect somewhere we may not fetch: unreachable
    /// (RFC 9309 §2.3.1.4; issue 13 item 4).
    Failed,
    /// More than five redirects: unavailable (§2.3.1.2).
    TooManyRedirects,
}

/// One polite visit in progress.
struct Visit<'a> {
    fetcher: Fetcher,
    token: String,
    options: &'a FetchOptions,
    pacer: Pacer,
    robots: Option<Checked>,
}

impl Visit<'_> {
    /// One paced GET.
    async fn get(&mut self, url: &Url) -> Result<Exchange, Error> {
        self.pacer.wait().await;
        let result = self.fetcher.fetch(url, None).await;
        self.pacer.done();
        result.map_err(|source| Error::Fetch {
            url: url.to_string(),
            source,
        })
    }

    /// Refuses `url` unless robots.txt of its authority allows it (fetched when not yet known).
    async fn check_robots(&mut self, url: &Url) -> Result<(), Error> {
        let authority = robots::authority(url);
        if self
            .robots
            .as_ref()
            .is_none_or(|c| c.authority != authority)
        {
            let checked = self.fetch_robots(url, authority).await?;
            self.pacer.gap = delay(self.options, checked.robots.crawl_delay());
            self.robots = Some(checked);
        }
        let Some(checked) = &self.robots else {
            return Ok(());
        };
        if checked.robots.is_unreachable() {
            return Err(Error::RobotsUnreachable {
                robots_url: checked.robots_url.to_string(),
            });
        }
        if checked.robots.allowed(url) {
            return Ok(());
        }
        Err(Error::RobotsDisallowed {
            url: url.to_string(),
            robots_url: checked.robots_url.to_string(),
            token: self.token.clone(),
            rule: rule::disallowing_rule(&checked.text, &self.token, &path_and_query(url)),
        })
    }

    /// robots.txt of `url`'s authority, judged as the crawl judges it (RFC 9309 §2.3.1).
    async fn fetch_robots(&mut self, url: &Url, authority: String) -> Result<Checked, Error> {
        let robots_url = robots::robots_url(url);
        let end = self.follow_robots(&robots_url).await?;
        let (robots, text) = match &end {
            RobotsEnd::Response(exchange) => (
                Robots::from_exchange(exchange, &self.token),
                robots_text(exchange),
            ),
            RobotsEnd::Failed => (
                Robots::from_fetch(robots::Fetched::Failed, &self.token),
                String::new(),
            ),
            RobotsEnd::TooManyRedirects => {
                let fetched = robots::Fetched::TooManyRedirects;
                (Robots::from_fetch(fetched, &self.token), String::new())
            }
        };
        Ok(Checked {
            authority,
            robots_url,
            robots,
            text,
        })
    }

    /// Fetches robots.txt, following up to five redirects anywhere the address guard allows.
    async fn follow_robots(&mut self, robots_url: &Url) -> Result<RobotsEnd, Error> {
        let mut current = robots_url.clone();
        for hop in 0..=MAX_REDIRECTS {
            let exchange = match self.get(&current).await {
                Ok(exchange) => exchange,
                // The origin itself cannot be fetched (address guard, unsendable URL).
                Err(Error::Fetch { url, source }) if hop == 0 && !source.is_retryable() => {
                    return Err(Error::Fetch { url, source });
                }
                // A redirect we may not follow (address guard, scheme) or a network error: the
                // file could not be read, so unreachable, as the crawl judges it.
                Err(_) => return Ok(RobotsEnd::Failed),
            };
            match exchange.redirect_target() {
                Some(target) => current = target,
                None => return Ok(RobotsEnd::Response(Box::new(exchange))),
            }
        }
        Ok(RobotsEnd::TooManyRedirects)
    }

    fn finish(&self, exchange: Exchange, redirects: Vec<Url>) -> Result<FetchedPage, Error> {
        if !(200..300).contains(&exchange.status) {
            return Err(Error::Status {
                url: exchange.url.to_string(),
                status: exchange.status,
            });
        }
        let (body, cut) = content_decoded(&exchange)?;
        let checked = self.robots.as_ref();
        Ok(FetchedPage {
            content_type: exchange.header("content-type"),
            truncated: cut || exchange.truncated.is_some(),
            robots: checked.map_or("unknown", |c| c.robots.state()).to_string(),
            crawl_delay: checked
                .and_then(|c| c.robots.crawl_delay())
                .map(|d| d.min(self.options.crawl_delay_cap)),
            url: exchange.url,
            redirects,
            body,
        })
    }
}

/// The pause between requests: the Crawl-delay (capped) when longer than the minimum.
fn delay(options: &FetchOptions, crawl_delay: Option<Duration>) -> Duration {
    let asked = crawl_delay.unwrap_or_default().min(options.crawl_delay_cap);
    asked.max(options.min_delay)
}

/// RFC 9309 §2.2.2 matches the path and query.
fn path_and_query(url: &Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    }
}

/// robots.txt as text, only to quote a rule (the verdict decodes it itself).
fn robots_text(exchange: &Exchange) -> String {
    let gzip = exchange
        .header("content-encoding")
        .is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip"));
    let bytes = match gzip {
        true => gunzip(&exchange.body, robots::MAX_BODY).bytes,
        false => exchange.body.clone(),
    };
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The body with `Content-Encoding` undone (we only ever ask for gzip), and whether it was cut.
fn content_decoded(exchange: &Exchange) -> Result<(Vec<u8>, bool), Error> {
    let coding = exchange
        .header("content-encoding")
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match coding.as_str() {
        "" | "identity" => Ok((exchange.body.clone(), false)),
        "gzip" | "x-gzip" => {
            let Capped {
                bytes: body,
                cut,
                error,
            } = gunzip(&exchange.body, crate::extract::MAX_DECODED);
            match error {
                Some(source) if body.is_empty() => Err(Error::Corrupt {
                    url: exchange.url.to_string(),
                    source,
                }),
                _ => Ok((body, cut || error.is_some())),
            }
        }
        other => Err(Error::Encoding {
            url: exchange.url.to_string(),
            coding: other.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delay_is_the_capped_crawl_delay_or_the_minimum() {
        let options = FetchOptions {
            min_delay: Duration::from_secs(1),
            crawl_delay_cap: Duration::from_secs(30),
            ..FetchOptions::default()
        };
        let secs = |s| Some(Duration::from_secs(s));
        assert_eq!(delay(&options, None), Duration::from_secs(1));
        assert_eq!(delay(&options, secs(5)), Duration::from_secs(5));
        assert_eq!(delay(&options, secs(3600)), Duration::from_secs(30));
    }

    #[test]
    fn only_the_urls_host_is_exempt_from_the_address_guard() {
        let url = Url::parse("http://127.0.0.7:8080/a").unwrap();
        let s = settings(
            &url,
            "baoluu/0.1 (+https://example.org/)",
            &FetchOptions::default(),
        );
        assert_eq!(s.private_hosts, ["127.0.0.7:8080"]);
    }
}
