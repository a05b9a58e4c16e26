//! The records we write, one function per `WARC-Type`: warcinfo, response, request, revisit,
//! metadata.
//!
//! Between the writer (which owns files and offsets) and the serialisation layer
//! ([`super::record`]). Each function fixes which named fields a record carries and their order:
//! WARC-Type, WARC-Record-ID, WARC-Date, WARC-Target-URI, WARC-IP-Address, the links
//! (Concurrent-To, Refers-To…), WARC-Warcinfo-ID, WARC-Protocol, WARC-Truncated, then the
//! digests, Content-Type and Content-Length. This module never touches files.

use chrono::{DateTime, Utc};

use super::ahead::{Block, Response};
use super::http::{self, request_block, warc_protocol};
use super::record::{Fields, format_date};
use super::{Capture, Info, Original, RevisitProfile};
use crate::fetch::Exchange;

pub(super) const RESPONSE_TYPE: &str = "application/http;msgtype=response";
const REQUEST_TYPE: &str = "application/http;msgtype=request";

/// Told to every reader of our files: the HTTP messages are rebuilt, not captured raw
/// (docs/archive.md; reqwest exposes parsed headers only).
const DESCRIPTION: &str = "HTTP status lines and headers are re-serialised from the parsed \
    response (header names lowercased by the HTTP client and written here with conventional \
    capitalisation; repeated headers regrouped by name, every value kept on its own line; status \
    line always HTTP/1.1, the real protocol in WARC-Protocol; reason phrase canonical). Bodies are \
    stored de-chunked: Transfer-Encoding is renamed X-Crawler-Transfer-Encoding, any original \
    Content-Length renamed X-Crawler-Content-Length, and Content-Length counts the stored body. \
    Content encodings are untouched (gzip bodies are stored gzipped).";

/// The record ids of one exchange's records, and the file's warcinfo they belong to.
pub(crate) struct Ids {
    /// The response (or revisit) record.
    pub(crate) response: String,
    pub(crate) request: String,
    pub(crate) warcinfo: String,
}

/// The `warcinfo` record that opens a file (WARC 1.1 §6.2), fields as `application/warc-fields`.
pub(crate) fn warcinfo(id: &str, date: DateTime<Utc>, filename: &str, info: &Info) -> Vec<u8> {
    let block = warcinfo_fields(info);
    Fields::new("warcinfo", id, date)
        .add("WARC-Filename", filename)
        .finish(None, "application/warc-fields", block.as_bytes())
}

fn warcinfo_fields(info: &Info) -> String {
    let mut fields = vec![
        ("software", info.software.as_str()),
        ("format", "WARC File Format 1.1"),
        (
            "conformsTo",
            "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
        ),
        ("hostname", info.hostname.as_str()),
        ("http-header-user-agent", info.user_agent.as_str()),
    ];
    if let Some(from) = &info.from {
        fields.push(("http-header-from", from.as_str()));
    }
    fields.extend([
        ("robots", "obey"),
        ("isPartOf", info.is_part_of.as_str()),
        ("description", DESCRIPTION),
    ]);
    fields
        .iter()
        .map(|(name, value)| format!("{name}: {}\r\n", super::record::one_line(value)))
        .collect()
}

/// The fields every record about an exchange opens with.
fn exchange_fields(kind: &str, id: &str, ex: &Exchange) -> Fields {
    Fields::new(kind, id, ex.date)
        .add("WARC-Target-URI", ex.url.as_str())
        .add_opt("WARC-IP-Address", ex.remote_ip.map(|ip| ip.to_string()))
}

/// The head of the `response` record (WARC 1.1 §6.4) whose block, the re-serialised HTTP
/// response and its body, was `made` ahead.
pub(crate) fn response_head(ex: &Exchange, ids: &Ids, made: &Response) -> Vec<u8> {
    let payload_digest = Some(made.payload_digest.as_str());
    let about = (made.block.digest.as_str(), payload_digest, RESPONSE_TYPE);
    exchange_fields("response", &ids.response, ex)
        .add("WARC-Concurrent-To", &ids.request)
        .add("WARC-Warcinfo-ID", &ids.warcinfo)
        .add_opt("WARC-Protocol", warc_protocol(&ex.version))
        .add_opt("WARC-Truncated", ex.truncated.map(|t| t.as_warc()))
        .head(about, made.block.len)
}

/// The `request` record (WARC 1.1 §6.6), pointing back at its response or revisit.
pub(crate) fn request(ex: &Exchange, ids: &Ids) -> Vec<u8> {
    exchange_fields("request", &ids.request, ex)
        .add("WARC-Concurrent-To", &ids.response)
        .add("WARC-Warcinfo-ID", &ids.warcinfo)
        .add_opt("WARC-Protocol", warc_protocol(&ex.version))
        .finish(None, REQUEST_TYPE, &request_block(ex))
}

/// The `revisit` record (WARC 1.1 §6.7): HTTP head only, the payload left in `original`.
pub(crate) fn revisit(
    ex: &Exchange,
    ids: &Ids,
    profile: RevisitProfile,
    original: &Original,
    payload_digest: &str,
) -> Vec<u8> {
    exchange_fields("revisit", &ids.response, ex)
        .add("WARC-Concurrent-To", &ids.request)
        .add("WARC-Refers-To", &original.record_id)
        .add("WARC-Refers-To-Target-URI", original.url.as_str())
        .add("WARC-Refers-To-Date", format_date(original.date))
        .add("WARC-Profile", profile.uri())
        .add("WARC-Warcinfo-ID", &ids.warcinfo)
        .add_opt("WARC-Protocol", warc_protocol(&ex.version))
        .finish(
            Some(payload_digest),
            RESPONSE_TYPE,
            &http::response_head(ex),
        )
}

/// Prefix of a metadata record's WARC-Target-URI; the described page's URL follows.
pub const METADATA_URN: &str = "urn:baoluu:article:";
/// The URN prefix of a change event's `metadata` record (`WARC-Target-URI`, issue 15); the
/// history module writes such records, the archive only recognises them.
pub const CHANGE_URN: &str = "urn:baoluu:change:";

/// The head of a `metadata` record (WARC 1.1 §6.8) about a capture, e.g. extracted article
/// JSON, whose block was `made` ahead.
pub(crate) fn metadata_head(
    id: &str,
    warcinfo: &str,
    about: &Capture,
    content_type: &str,
    made: &Block,
) -> Vec<u8> {
    let (target, page) = metadata_target(about);
    Fields::new("metadata", id, about.date)
        .add("WARC-Target-URI", &target)
        .add("WARC-Refers-To", &about.record_id)
        .add("WARC-Refers-To-Target-URI", &page)
        .add("WARC-Warcinfo-ID", warcinfo)
        .head((&made.digest, None, content_type), made.len)
}

/// A metadata record's (`WARC-Target-URI`, `WARC-Refers-To-Target-URI`). A URN of our own as
/// the target: replay tools index metadata records under their target URI, and pywb would
/// otherwise serve this JSON in place of the page it describes (browsertrix does the same with
/// `urn:pageinfo:`). The page's URL is in WARC-Refers-To-Target-URI. A change event (issue 15)
/// comes with its own URN already: `urn:baoluu:change:URL`.
pub(super) fn metadata_target(about: &Capture) -> (String, String) {
    match about.url.as_str().strip_prefix(CHANGE_URN) {
        Some(page) => (about.url.to_string(), page.to_string()),
        None => (
            format!("{METADATA_URN}{}", about.url),
            about.url.to_string(),
        ),
    }
}
