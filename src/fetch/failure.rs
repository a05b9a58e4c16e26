//! Turning reqwest's errors into [`Error`]s that say what failed.
//!
//! reqwest reports a failed request as one error with a chain of causes (hyper, hyper-util, the
//! resolver, io, rustls). Callers branch on the kind — retry a timeout, give up on a refused
//! address, blame DNS — so the chain is searched for the cause that decides it, and the message
//! names the peer and the stage instead of echoing the innermost text alone (docs/architecture.md.2).
//! This module never retries and never logs.

use std::error::Error as StdError;
use std::io;
use std::time::Duration;

use url::Url;

use super::guard::LookupError;
use super::{Error, Settings};

type Cause<'a> = &'a (dyn StdError + 'static);

/// Classifies an error from sending the request (no response headers arrived).
pub(super) fn classify(err: &reqwest::Error, url: &Url, settings: &Settings) -> Error {
    // reqwest could not even build the request (e.g. a URL past the `http` crate's 64 KiB
    // limit): no server was asked, and no retry will change that.
    if err.is_builder() {
        return Error::Unsendable(format!(
            "{} bytes of URL; the HTTP client refuses it",
            url.as_str().len()
        ));
    }
    if let Some(lookup) = find::<LookupError>(err) {
        return match lookup {
            LookupError::Refused(r) => Error::AddressRefused {
                host: r.host.clone(),
                ip: r.ip,
            },
            other => Error::Dns {
                host: other.host().to_string(),
                detail: other.detail(),
            },
        };
    }
    let peer = authority(url);
    if err.is_connect() {
        return Error::Connect(connect_detail(err, &peer, settings.connect_timeout));
    }
    if err.is_timeout() {
        return Error::Timeout;
    }
    Error::Request(request_detail(err, &peer))
}

fn connect_detail(err: &reqwest::Error, peer: &str, timeout: Duration) -> String {
    if err.is_timeout() {
        let limit = humantime::format_duration(timeout);
        return format!("{peer} did not accept a connection within {limit} (connect_timeout)");
    }
    if let Some(tls) = find::<rustls::Error>(err) {
        return format!("the tls handshake with {peer} failed: {tls}");
    }
    match find::<io::Error>(err).map(io::Error::kind) {
        Some(io::ErrorKind::ConnectionRefused) => {
            format!("{peer} refused the connection; check that the server is up")
        }
        _ => format!("{peer} could not be reached ({})", innermost(err)),
    }
}

fn request_detail(err: &reqwest::Error, peer: &str) -> String {
    use io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof};
    match find::<io::Error>(err).map(io::Error::kind) {
        Some(ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof) => {
            format!("the connection to {peer} broke before the response headers arrived")
        }
        _ => format!("{peer} sent no usable response ({})", innermost(err)),
    }
}

/// `host:port` with the scheme's default port spelled out, as a peer is named in messages.
fn authority(url: &Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// The causes from `err` inward. `io::Error::source` skips the error it wraps (it returns the
/// wrapped error's own source), so for io errors the walk steps into `get_ref` instead: that is
/// where tokio-rustls puts a `rustls::Error`.
fn chain<'a>(err: Cause<'a>) -> impl Iterator<Item = Cause<'a>> {
    std::iter::successors(Some(err), |&e| next_cause(e))
}

fn next_cause(err: Cause<'_>) -> Option<Cause<'_>> {
    match err.downcast_ref::<io::Error>() {
        Some(io) => io.get_ref().map(|inner| inner as Cause<'_>),
        None => err.source(),
    }
}

fn find<T: StdError + 'static>(err: Cause<'_>) -> Option<&T> {
    chain(err).find_map(|e| e.downcast_ref::<T>())
}

fn innermost(err: Cause<'_>) -> String {
    chain(err)
        .last()
        .map(ToString::to_string)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] io::Error);

    #[test]
    fn the_walk_steps_into_wrapped_io_errors() {
        let inner = LookupError::Empty {
            host: "x.vn".into(),
        };
        let err = Outer(io::Error::other(inner));
        let found = find::<LookupError>(&err).expect("found through io::Error::get_ref");
        assert_eq!(found.host(), "x.vn");
        assert_eq!(
            innermost(&err),
            "the system resolver found no address for x.vn"
        );
        assert_eq!(
            find::<io::Error>(&err).map(io::Error::kind),
            Some(io::ErrorKind::Other)
        );
    }

    #[test]
    fn authority_spells_out_default_ports() {
        assert_eq!(
            authority(&Url::parse("https://báo.vn/x").unwrap()),
            "xn--bo-mia.vn:443"
        );
        assert_eq!(
            authority(&Url::parse("http://127.0.0.2:8080/").unwrap()),
            "127.0.0.2:8080"
        );
    }
}
