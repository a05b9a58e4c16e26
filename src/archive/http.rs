//! HTTP blocks: the request and response messages re-serialised from a [`fetch::Exchange`].
//!
//! Sits between the writer and the exchange. reqwest hands us parsed headers (names lowercased,
//! repeats grouped), so the recorded message cannot be the bytes on the wire: we write an
//! HTTP/1.1 status line whatever the protocol (`HTTP/2 200` breaks parsers, stormcrawler#828),
//! conventional name capitalisation, every value raw and on its own line, the de-chunked body
//! verbatim, `Transfer-Encoding` renamed and a `Content-Length` that counts the stored body
//! (warcio#74/#75, heritrix3#769). Content encodings are untouched: gzip stays gzip
//! (warctools#14). This module never decodes a body and never writes files.
//!
//! [`fetch::Exchange`]: crate::fetch::Exchange

use crate::fetch::Exchange;

/// The prefix given to hop-by-hop framing headers whose meaning no longer holds for the stored
/// body (the name Heritrix and warcio readers already recognise).
const RENAMED_PREFIX: &str = "X-Crawler-";

/// Names whose conventional spelling is not plain "capitalise each dash-separated word".
const SPECIAL_NAMES: &[&str] = &[
    "ETag",
    "WWW-Authenticate",
    "Content-MD5",
    "TE",
    "DNT",
    "X-XSS-Protection",
    "X-UA-Compatible",
];

/// `content-type` → `Content-Type`, `etag` → `ETag`. HTTP names are case-insensitive
/// (RFC 9110 §5.1); the conventional spelling only helps people reading the WARC.
pub(crate) fn capitalise(name: &str) -> String {
    if let Some(special) = SPECIAL_NAMES.iter().find(|s| s.eq_ignore_ascii_case(name)) {
        return special.to_string();
    }
    name.split('-')
        .map(capitalise_word)
        .collect::<Vec<_>>()
        .join("-")
}

fn capitalise_word(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => {
            first.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
        }
        None => String::new(),
    }
}

/// The protocol for `WARC-Protocol` (WARC 1.1 §5.19, ALPN identifiers), or `None` for HTTP/1.x,
/// which the status line we write already states.
pub(crate) fn warc_protocol(version: &str) -> Option<String> {
    match version.trim().to_ascii_uppercase().as_str() {
        "HTTP/1.1" | "HTTP/1.0" | "" => None,
        "HTTP/2" | "HTTP/2.0" => Some("h2".to_string()),
        "HTTP/3" | "HTTP/3.0" => Some("h3".to_string()),
        other => Some(other.to_ascii_lowercase()),
    }
}

/// The response status line and headers, ending with the blank line: the whole block of a
/// revisit, and the head of a response block.
pub(crate) fn response_head(ex: &Exchange) -> Vec<u8> {
    let mut out = status_line(ex.status, &ex.reason);
    for (name, value) in &ex.response_headers {
        push_header(&mut out, &recorded_name(name), value);
    }
    push_header(
        &mut out,
        "Content-Length",
        ex.body.len().to_string().as_bytes(),
    );
    out.extend_from_slice(b"\r\n");
    out
}

/// The response block: head, then the body bytes exactly as received after de-chunking (the
/// writer makes it in parts: `super::ahead`).
#[cfg(test)]
pub(crate) fn response_block(ex: &Exchange) -> Vec<u8> {
    let mut out = response_head(ex);
    out.extend_from_slice(&ex.body);
    out
}

/// The request block: `GET {path?query} HTTP/1.1`, the headers we sent, a blank line.
pub(crate) fn request_block(ex: &Exchange) -> Vec<u8> {
    let mut target = ex.url.path().to_string();
    if let Some(query) = ex.url.query() {
        target.push('?');
        target.push_str(query);
    }
    let mut out = format!("GET {} HTTP/1.1\r\n", one_line_str(&target)).into_bytes();
    for (name, value) in &ex.request_headers {
        push_header(&mut out, name, value.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

fn status_line(status: u16, reason: &str) -> Vec<u8> {
    format!("HTTP/1.1 {status} {}\r\n", one_line_str(reason.trim())).into_bytes()
}

/// The name a received header is recorded under: framing headers that describe bytes we did not
/// store are renamed (the stored body is de-chunked and gets its own `Content-Length`).
fn recorded_name(name: &str) -> String {
    let name = capitalise(name);
    if name == "Transfer-Encoding" || name == "Content-Length" {
        format!("{RENAMED_PREFIX}{name}")
    } else {
        name
    }
}

/// The first `Content-Type` of the recorded head as a reader of the record sees it: the value
/// as [`push_header`] writes it, leading blanks trimmed, invalid UTF-8 replaced (the CDXJ
/// `mime` is built from it while writing, issue 17 item 4).
pub(crate) fn recorded_content_type(ex: &Exchange) -> Option<String> {
    let (_, value) = ex
        .response_headers
        .iter()
        .find(|(name, _)| recorded_name(name).eq_ignore_ascii_case("Content-Type"))?;
    let value: Vec<u8> = value
        .iter()
        .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b })
        .collect();
    Some(String::from_utf8_lossy(value.trim_ascii_start()).into_owned())
}

fn push_header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(one_line_str(name).as_bytes());
    out.extend_from_slice(b": ");
    out.extend(
        value
            .iter()
            .map(|&b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
    out.extend_from_slice(b"\r\n");
}

/// A CR or LF inside a line would split the message: reqwest never yields one, hand-made
/// exchanges might.
fn one_line_str(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn exchange(headers: &[(&str, &[u8])], body: &[u8]) -> Exchange {
        Exchange {
            url: url::Url::parse("https://báo.vn/tin tức/a?b=1&c=đ").unwrap(),
            date: chrono::Utc::now(),
            request_headers: vec![
                ("Host".into(), "xn--bo-fka.vn".into()),
                ("User-Agent".into(), "baoluu".into()),
            ],
            version: "HTTP/2.0".into(),
            status: 200,
            reason: "OK".into(),
            response_headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_vec()))
                .collect(),
            body: body.to_vec(),
            truncated: None,
            remote_ip: None,
            duration: Duration::from_millis(5),
        }
    }

    #[test]
    fn names_get_conventional_capitalisation() {
        assert_eq!(capitalise("content-type"), "Content-Type");
        assert_eq!(capitalise("etag"), "ETag");
        assert_eq!(capitalise("www-authenticate"), "WWW-Authenticate");
        assert_eq!(capitalise("x-powered-by"), "X-Powered-By");
    }

    #[test]
    fn protocol_is_recorded_only_beyond_http1() {
        assert_eq!(warc_protocol("HTTP/1.1"), None);
        assert_eq!(warc_protocol("HTTP/1.0"), None);
        assert_eq!(warc_protocol("HTTP/2.0").as_deref(), Some("h2"));
        assert_eq!(warc_protocol("HTTP/3.0").as_deref(), Some("h3"));
    }

    #[test]
    fn framing_headers_are_renamed_and_real_length_written() {
        let ex = exchange(
            &[
                ("transfer-encoding", b"chunked"),
                ("content-length", b"999"),
                ("content-type", b"text/html"),
            ],
            b"hello",
        );
        let block = String::from_utf8(response_block(&ex)).unwrap();
        assert_eq!(
            block,
            "HTTP/1.1 200 OK\r\nX-Crawler-Transfer-Encoding: chunked\r\nX-Crawler-Content-Length: 999\r\n\
             Content-Type: text/html\r\nContent-Length: 5\r\n\r\nhello"
        );
    }

    #[test]
    fn repeated_values_each_get_a_line_and_raw_bytes_survive() {
        let latin1 = [b'a', 0xE9, b'b'];
        let ex = exchange(
            &[
                ("set-cookie", b"a=1"),
                ("set-cookie", b"b=2"),
                ("x-odd", &latin1),
            ],
            b"",
        );
        let head = response_head(&ex);
        let text = String::from_utf8_lossy(&head);
        assert!(
            text.contains("Set-Cookie: a=1\r\nSet-Cookie: b=2\r\n"),
            "{text}"
        );
        assert!(head.windows(3).any(|w| w == latin1), "raw byte kept");
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn newlines_cannot_inject_headers() {
        let ex = exchange(&[("x-a", b"1\r\nEvil: 2")], b"");
        let text = String::from_utf8(response_head(&ex)).unwrap();
        assert!(text.contains("X-A: 1  Evil: 2\r\n"), "{text}");
    }

    #[test]
    fn request_line_has_percent_encoded_path_and_query() {
        let ex = exchange(&[], b"");
        let text = String::from_utf8(request_block(&ex)).unwrap();
        assert_eq!(
            text,
            "GET /tin%20t%E1%BB%A9c/a?b=1&c=%C4%91 HTTP/1.1\r\nHost: xn--bo-fka.vn\r\nUser-Agent: baoluu\r\n\r\n"
        );
    }
}
