//! Fetch: one HTTP exchange, recorded faithfully.
//!
//! Sits between the politeness gate and the archive (docs/architecture.md). A [`Fetcher`] sends one GET
//! with an honest User-Agent (and `From:` when configured), `Accept-Encoding: gzip` only and the
//! client's automatic decompression off, so the archive stores the bytes the server sent
//! (docs/archive.md, warctools#14). Redirects are never followed here: each hop is its own
//! [`Exchange`] and the caller decides whether to follow ([`Exchange::redirect_target`]).
//! Bodies are streamed up to a cap; a cut body is marked ([`Truncation`]). Resolved addresses
//! pass an address guard (no private, loopback or link-local address unless the configuration
//! exempts that exact `host:port`: docs/guard.md), checked on what DNS returned, not only on
//! literals.
//! This module never writes files and never decides scope.

mod body;
mod client;
mod failure;
mod guard;
pub mod gunzip;

pub use client::Fetcher;

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use crate::outcome::Label;

/// Why a body was cut short (the WARC `WARC-Truncated` values, WARC 1.1 §5.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Truncation {
    /// The body passed the size cap.
    Length,
    /// The total timeout ran out while the body was arriving.
    Time,
    /// The connection broke while the body was arriving.
    Disconnect,
}

impl Truncation {
    /// The `WARC-Truncated` field value.
    pub fn as_warc(self) -> &'static str {
        match self {
            Truncation::Length => "length",
            Truncation::Time => "time",
            Truncation::Disconnect => "disconnect",
        }
    }
}

/// One request and its response, as sent and received.
///
/// reqwest exposes parsed headers, not raw bytes: names arrive lowercased and repeated headers
/// grouped, so the archive re-serialises the status line and headers from these fields
/// (docs/archive.md). Every value is kept, repeats included, in arrival order
/// per name.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The URL requested (the WARC-Target-URI), percent-encoded by the WHATWG serialiser.
    pub url: Url,
    /// When the request was sent: the WARC-Date of both records.
    pub date: DateTime<Utc>,
    /// Request headers as sent, in order, including `Host`.
    pub request_headers: Vec<(String, String)>,
    /// The HTTP version the response came with, e.g. "HTTP/1.1" or "HTTP/2.0".
    pub version: String,
    pub status: u16,
    /// The canonical reason phrase for `status` (the real one is not observable through reqwest).
    pub reason: String,
    /// Response headers as received (names lowercase), values as raw bytes.
    pub response_headers: Vec<(String, Vec<u8>)>,
    /// The body after transfer decoding (de-chunked) but *not* content decoding: gzip stays gzip.
    pub body: Vec<u8>,
    /// Set when the body was cut.
    pub truncated: Option<Truncation>,
    /// The peer address the response came from (WARC-IP-Address).
    pub remote_ip: Option<IpAddr>,
    /// From sending the request to the end of the body (feeds the adaptive politeness delay).
    pub duration: Duration,
}

impl Exchange {
    /// The first value of a response header (name compared case-insensitively), lossily decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        self.response_headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
    }

    /// For a 3xx with a `Location`, the absolute target (resolved against [`Exchange::url`]).
    pub fn redirect_target(&self) -> Option<Url> {
        if !(300..400).contains(&self.status) || self.status == 304 {
            return None;
        }
        let location = self.header("location")?;
        self.url.join(location.trim()).ok()
    }

    /// The media type without parameters, lowercase (e.g. "text/html").
    pub fn mime(&self) -> String {
        self.header("content-type")
            .map(|v| {
                v.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            })
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "application/octet-stream".to_string())
    }
}

/// What the fetcher needs to know, taken from `[crawler]`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub user_agent: String,
    pub from: Option<String>,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub total_timeout: Duration,
    pub max_body: u64,
    /// Exact authorities allowed to reach private, loopback or link-local addresses: `host:port`,
    /// or `host` for its scheme's default port only (issue 13 item 6). From a configuration:
    /// [`crate::config::Config::private_authorities`].
    pub private_hosts: Vec<String>,
}

impl Settings {
    /// The fetcher's settings from `[crawler]`, with the authorities the configuration marks as
    /// private (IP literals, `localhost`, portals with `allow_private_addresses`).
    pub fn from_config(config: &crate::config::Config) -> Settings {
        let crawler = &config.crawler;
        Settings {
            user_agent: crawler.user_agent.clone(),
            from: crawler.from.clone(),
            connect_timeout: crawler.connect_timeout,
            read_timeout: crawler.read_timeout,
            total_timeout: crawler.total_timeout,
            max_body: crawler.max_body,
            private_hosts: config.private_authorities(),
        }
    }
}

/// Conditional-GET validators from an earlier capture (issue 5 uses them).
#[derive(Debug, Clone, Default)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// Why no exchange happened. Knows whether a retry makes sense and whose fault it is.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("scheme `{0}` is not fetched: only http and https are")]
    Scheme(String),
    #[error(
        "{host} resolves to {ip}, a private, loopback or link-local address: refused unless a portal's hosts name this exact host:port and the host is an IP address, localhost, or in a portal with allow_private_addresses = true (docs/guard.md)"
    )]
    AddressRefused { host: String, ip: IpAddr },
    #[error("could not resolve {host}: {detail}")]
    Dns { host: String, detail: String },
    #[error("could not connect: {0}")]
    Connect(String),
    #[error("timed out before the response headers arrived")]
    Timeout,
    #[error("the request failed: {0}")]
    Request(String),
    #[error("the URL cannot be sent: {0}")]
    Unsendable(String),
}

impl Error {
    /// True for failures that may pass on a later try (network trouble, timeouts).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Error::Dns { .. } | Error::Connect(_) | Error::Timeout | Error::Request(_)
        )
    }

    /// A short machine-friendly outcome label for logs and the store.
    pub fn reason(&self) -> Label {
        match self {
            Error::Scheme(_) => Label::SchemeRefused,
            Error::AddressRefused { .. } => Label::AddressRefused,
            Error::Dns { .. } => Label::DnsError,
            Error::Connect(_) => Label::ConnectError,
            Error::Timeout => Label::Timeout,
            Error::Request(_) => Label::RequestError,
            Error::Unsendable(_) => Label::UrlUnsendable,
        }
    }
}
