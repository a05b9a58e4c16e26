//! The [`Fetcher`]: one GET, its headers chosen and recorded here, its response turned into an
//! [`Exchange`].
//!
//! The reqwest client is configured for archiving (docs/archive.md;
//! docs/dependencies.md): HTTP/1.1 only (h2 frames cannot be stored as a status line and headers),
//! no redirect following (every hop is its own exchange), no retries (the crawl decides),
//! no automatic decompression (gzip bodies are stored verbatim), no proxy (the address guard
//! must see the real peer), and a resolver that applies the address guard. There are two such
//! clients: reqwest's resolver is not told the port, so URLs whose exact `host:port` the
//! configuration exempts go through one whose resolver keeps those names' private addresses,
//! every other URL through one that keeps none (issue 13 item 6). The request headers
//! are all set here, `Host` included, so what [`Exchange::request_headers`] records is what went
//! on the wire. This module never writes files and never follows links.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use chrono::Utc;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::time::{Instant, timeout_at};
use url::{Host, Url};

use super::failure;
use super::guard::{Guard, GuardedResolver, Table};
use super::{Error, Exchange, Settings, Validators, body};

/// What we accept: a browser's preference order, so servers send the page they send people.
const ACCEPT: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
/// gzip only: replayers decode gzip, not br or zstd (docs/archive.md, pywb#947, wabac.js#191).
const ACCEPT_ENCODING: &str = "gzip";
/// Vietnamese first: portals serve the Vietnamese edition by default, but some negotiate.
const ACCEPT_LANGUAGE: &str = "vi,en;q=0.5";

/// An HTTP client configured for archiving. Cheap to clone (reqwest's client is shared).
#[derive(Clone)]
pub struct Fetcher {
    /// For every URL the guard does not exempt: its resolver keeps no restricted address.
    client: reqwest::Client,
    /// Only for URLs whose exact authority the guard exempts.
    exempt_client: reqwest::Client,
    guard: Guard,
    settings: Arc<Settings>,
    user_agent: HeaderValue,
    from: Option<HeaderValue>,
}

impl Fetcher {
    /// Builds the client. Fails when `user_agent` or `from` cannot be sent as a header value.
    pub fn new(settings: Settings) -> Result<Fetcher, Error> {
        Fetcher::build(settings, Table::default())
    }

    /// For tests: a fetcher that resolves the names in `table` to the given addresses instead of
    /// asking the system resolver (other names still go to it). The guard applies as usual, so
    /// a public-looking name mapped to 127.0.0.5 is refused unless exempt (issue 13 item 6).
    #[doc(hidden)]
    pub fn with_static_dns(settings: Settings, table: &[(&str, IpAddr)]) -> Result<Fetcher, Error> {
        let mut map: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for (name, ip) in table {
            map.entry(name.to_ascii_lowercase()).or_default().push(*ip);
        }
        Fetcher::build(settings, Arc::new(map))
    }

    fn build(settings: Settings, table: Table) -> Result<Fetcher, Error> {
        install_crypto_provider();
        let user_agent = header_value("user_agent", &settings.user_agent)?;
        let from = settings
            .from
            .as_deref()
            .map(|f| header_value("from", f))
            .transpose()?;
        let guard = Guard::new(&settings.private_hosts);
        let client = build_client(&settings, GuardedResolver::strict(table.clone()))?;
        let exempting = GuardedResolver::exempting(&guard, table);
        let exempt_client = build_client(&settings, exempting)?;
        let settings = Arc::new(settings);
        Ok(Fetcher {
            client,
            exempt_client,
            guard,
            settings,
            user_agent,
            from,
        })
    }

    /// Sends one GET (no redirect following). `validators` turn it into a conditional GET.
    ///
    /// Errors mean no response headers arrived; anything after that is an [`Exchange`],
    /// with [`Exchange::truncated`] set when the body was cut.
    pub async fn fetch(
        &self,
        url: &Url,
        validators: Option<&Validators>,
    ) -> Result<Exchange, Error> {
        self.fetch_capped(url, validators, self.settings.max_body)
            .await
    }

    /// [`Fetcher::fetch`] with a body cap of its own: sitemaps and feeds may be larger than
    /// pages (a sitemap may hold 50 MB, sitemaps.org), so they get `max_feed_body`.
    pub async fn fetch_capped(
        &self,
        url: &Url,
        validators: Option<&Validators>,
        max_body: u64,
    ) -> Result<Exchange, Error> {
        let host = self.check_target(url)?;
        let headers = self.request_headers(url, &host, validators);
        let date = Utc::now();
        let started = Instant::now();
        let deadline = started + self.settings.total_timeout;
        let mut response = self.send(url, &headers, deadline).await?;
        let (body, truncated) = body::read(&mut response, deadline, max_body).await;
        let duration = started.elapsed();
        Ok(Exchange {
            url: url.clone(),
            date,
            request_headers: recorded(&headers),
            version: format!("{:?}", response.version()),
            status: response.status().as_u16(),
            reason: response
                .status()
                .canonical_reason()
                .unwrap_or("")
                .to_string(),
            response_headers: response_headers(response.headers()),
            body,
            truncated,
            remote_ip: response.remote_addr().map(|a| a.ip()),
            duration,
        })
    }

    /// Sends the request; the response headers must arrive before `deadline`.
    async fn send(
        &self,
        url: &Url,
        headers: &[(&'static str, HeaderValue)],
        deadline: Instant,
    ) -> Result<reqwest::Response, Error> {
        let client = match self.guard.exempts(url) {
            true => &self.exempt_client,
            false => &self.client,
        };
        let request = client.get(url.clone()).headers(header_map(headers));
        let response = match timeout_at(deadline, request.send()).await {
            Err(_elapsed) => return Err(Error::Timeout),
            Ok(Err(err)) => return Err(failure::classify(&err, url, &self.settings)),
            Ok(Ok(response)) => response,
        };
        self.check_peer(url, &response)?;
        Ok(response)
    }

    /// Refuses non-http(s) schemes and restricted IP literals (which never reach the resolver).
    /// Returns the host as the guard compares it.
    fn check_target(&self, url: &Url) -> Result<String, Error> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::Scheme(url.scheme().to_string()));
        }
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(ip.into()),
            Some(Host::Ipv6(ip)) => Some(ip.into()),
            _ => None,
        };
        if let Some(ip) = literal {
            self.guard.check(url, ip).map_err(refusal)?;
        }
        Ok(host)
    }

    /// The last line of defence: the peer the response came from must pass the guard too
    /// (a resolver bypass or a proxy would otherwise go unnoticed).
    fn check_peer(&self, url: &Url, response: &reqwest::Response) -> Result<(), Error> {
        match response.remote_addr() {
            Some(peer) => self.guard.check(url, peer.ip()).map_err(refusal),
            None => Ok(()),
        }
    }

    /// The headers we send, in wire order, with the names as written on the wire
    /// (hyper title-cases them: `http1_title_case_headers`). Never `Range` (docs/archive.md).
    fn request_headers(
        &self,
        url: &Url,
        host: &str,
        validators: Option<&Validators>,
    ) -> Vec<(&'static str, HeaderValue)> {
        let mut headers = vec![
            ("Host", host_header(url, host)),
            ("User-Agent", self.user_agent.clone()),
            ("Accept", HeaderValue::from_static(ACCEPT)),
            ("Accept-Encoding", HeaderValue::from_static(ACCEPT_ENCODING)),
            ("Accept-Language", HeaderValue::from_static(ACCEPT_LANGUAGE)),
        ];
        if let Some(from) = &self.from {
            headers.push(("From", from.clone()));
        }
        let validators = validators.cloned().unwrap_or_default();
        // Validators come from an earlier response; one that cannot be sent back is skipped,
        // which turns the conditional GET into a plain one (RFC 9110 §13.1: both are safe).
        let etag = validators
            .etag
            .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
        let since = validators
            .last_modified
            .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
        headers.extend(etag.map(|v| ("If-None-Match", v)));
        headers.extend(since.map(|v| ("If-Modified-Since", v)));
        headers
    }
}

/// reqwest with `rustls-no-provider` uses the process-wide default provider; install ring's once
/// (docs/dependencies.md: aws-lc-rs costs a minute of build time). An already installed provider,
/// ours or the embedding program's, is kept.
fn install_crypto_provider() {
    let _already_installed = rustls::crypto::ring::default_provider().install_default();
}

fn build_client(settings: &Settings, resolver: GuardedResolver) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .http1_only()
        .http1_title_case_headers()
        .redirect(reqwest::redirect::Policy::none())
        .retry(reqwest::retry::never())
        .referer(false)
        .no_proxy()
        .connect_timeout(settings.connect_timeout)
        .read_timeout(settings.read_timeout)
        .dns_resolver(resolver)
        .build()
        .map_err(|e| {
            Error::Request(format!(
                "could not set up the http client ({e}); check the TLS set-up"
            ))
        })
}

fn header_value(key: &str, value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::from_str(value).map_err(|_| {
        Error::Request(format!(
            "the configured `{key}` cannot be sent as an http header; use printable ascii only"
        ))
    })
}

/// `host[:port]`, the port only when it is not the scheme's default (RFC 9110 §7.2).
fn host_header(url: &Url, host: &str) -> HeaderValue {
    let value = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    // A parsed URL's host and port are ASCII (IDNA applied by the WHATWG parser).
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn header_map(headers: &[(&'static str, HeaderValue)]) -> HeaderMap {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        // from_bytes lowercases; the title case goes back on in hyper's writer.
        if let Ok(name) = HeaderName::from_bytes(name.as_bytes()) {
            map.append(name, value.clone());
        }
    }
    map
}

fn recorded(headers: &[(&'static str, HeaderValue)]) -> Vec<(String, String)> {
    let text = |v: &HeaderValue| String::from_utf8_lossy(v.as_bytes()).into_owned();
    headers
        .iter()
        .map(|(n, v)| (n.to_string(), text(v)))
        .collect()
}

/// Every value kept, repeats included: `HeaderMap::iter` yields each value of a name in turn.
fn response_headers(headers: &HeaderMap) -> Vec<(String, Vec<u8>)> {
    headers
        .iter()
        .map(|(n, v)| (n.as_str().to_string(), v.as_bytes().to_vec()))
        .collect()
}

fn refusal(refused: super::guard::Refused) -> Error {
    Error::AddressRefused {
        host: refused.host,
        ip: refused.ip,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn settings() -> Settings {
        Settings {
            user_agent: "baoluu-test/0.1 (+mailto:a@example.org)".into(),
            from: Some("a@example.org".into()),
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
            total_timeout: Duration::from_secs(2),
            max_body: 1024,
            private_hosts: vec![],
        }
    }

    #[test]
    fn host_header_carries_only_non_default_ports() {
        let url = Url::parse("http://Example.VN:80/a").unwrap();
        assert_eq!(host_header(&url, "example.vn"), "example.vn");
        let url = Url::parse("https://example.vn:8443/a").unwrap();
        assert_eq!(host_header(&url, "example.vn"), "example.vn:8443");
        let url = Url::parse("http://[::1]:8080/").unwrap();
        assert_eq!(host_header(&url, "[::1]"), "[::1]:8080");
    }

    #[test]
    fn request_headers_are_in_order_with_validators_last() {
        let fetcher = Fetcher::new(settings()).unwrap();
        let url = Url::parse("http://example.vn/").unwrap();
        let validators = Validators {
            etag: Some("\"x\"".into()),
            last_modified: Some("Mon".into()),
        };
        let names: Vec<_> = fetcher
            .request_headers(&url, "example.vn", Some(&validators))
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(
            names,
            [
                "Host",
                "User-Agent",
                "Accept",
                "Accept-Encoding",
                "Accept-Language",
                "From",
                "If-None-Match",
                "If-Modified-Since"
            ]
        );
    }

    #[test]
    fn a_user_agent_with_a_newline_is_refused() {
        let mut s = settings();
        s.user_agent = "bad\nagent".into();
        let err = Fetcher::new(s).err().unwrap();
        assert!(err.to_string().contains("user_agent"), "{err}");
    }

    #[test]
    fn non_http_schemes_and_private_literals_are_refused_before_sending() {
        let fetcher = Fetcher::new(settings()).unwrap();
        let ftp = Url::parse("ftp://example.vn/x").unwrap();
        assert!(matches!(fetcher.check_target(&ftp), Err(Error::Scheme(s)) if s == "ftp"));
        let private = Url::parse("http://[::ffff:10.0.0.1]/").unwrap();
        assert!(matches!(
            fetcher.check_target(&private),
            Err(Error::AddressRefused { .. })
        ));
        let public = Url::parse("http://93.184.215.14/").unwrap();
        assert_eq!(fetcher.check_target(&public).unwrap(), "93.184.215.14");
    }
}
