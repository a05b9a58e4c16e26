//! End-to-end tests of the archive: exchanges written by [`Writer`], read back by [`reader`],
//! recovered by [`recover`]. Set `BAOLUU_KEEP_WARC=DIR` to keep the mixed file that
//! `records::every_kind_of_record_reads_back_and_verifies` writes (for `warcio check -v`).

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::reader::{self, Record};
use super::*;
use crate::fetch::gunzip::gzip;
use crate::fetch::{Exchange, Truncation};

mod faults;
mod files;
mod flights;
mod records;

pub(crate) fn info() -> Info {
    Info {
        software: "baoluu/0.1.0".into(),
        hostname: "crawler 1".into(),
        user_agent: "baoluu/0.1 (+https://example.org/about)".into(),
        from: Some("archive@example.org".into()),
        is_part_of: "baodaklak".into(),
    }
}

fn exchange(url: &str, headers: &[(&str, &[u8])], body: &[u8]) -> Exchange {
    let url = url::Url::parse(url).unwrap();
    Exchange {
        request_headers: vec![
            ("Host".into(), url.host_str().unwrap().into()),
            ("User-Agent".into(), "baoluu/0.1".into()),
            ("Accept-Encoding".into(), "gzip".into()),
        ],
        url,
        date: Utc.with_ymd_and_hms(2026, 11, 27, 18, 0, 0).unwrap()
            + chrono::Duration::nanoseconds(123_456_789),
        version: "HTTP/1.1".into(),
        status: 200,
        reason: "OK".into(),
        response_headers: headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_vec()))
            .collect(),
        body: body.to_vec(),
        truncated: None,
        remote_ip: Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))),
        duration: Duration::from_millis(20),
    }
}

pub(crate) fn html() -> Exchange {
    let body = "<html><body>Tin tức Đắk Lắk</body></html>".as_bytes();
    exchange(
        "https://baodaklak.vn/tin/1.html",
        &[("content-type", b"text/html; charset=utf-8")],
        body,
    )
}

pub(crate) fn gzipped() -> Exchange {
    let headers: &[(&str, &[u8])] = &[
        ("content-type", b"text/html"),
        ("content-encoding", b"gzip"),
    ];
    exchange(
        "https://baodaklak.vn/tin/2.html",
        headers,
        &gzip(b"<p>nen gzip</p>"),
    )
}

/// A writer in `dir` that closes its file before every capture (1-byte files), after writing
/// [`html`] into the first file and [`gzipped`] into the second: their captures.
pub(crate) fn rotating(dir: &Path) -> (Writer, Capture, Capture) {
    let mut writer = Writer::new(dir.to_path_buf(), "t".into(), info(), 1);
    let first = writer.write_exchange(&html()).unwrap();
    let second = writer.write_exchange(&gzipped()).unwrap();
    assert_ne!(
        first.filename, second.filename,
        "the second capture rotated"
    );
    (writer, first, second)
}

fn chunked() -> Exchange {
    let headers: &[(&str, &[u8])] = &[
        ("content-type", b"text/plain"),
        ("transfer-encoding", b"chunked"),
        ("content-length", b"999"),
    ];
    let mut ex = exchange("https://baodaklak.vn/chunked", headers, b"de-chunked body");
    ex.version = "HTTP/2.0".into();
    ex
}

fn truncated() -> Exchange {
    let mut ex = exchange(
        "https://baodaklak.vn/big.pdf",
        &[("content-type", b"application/pdf")],
        &[7u8; 1000],
    );
    ex.truncated = Some(Truncation::Length);
    ex
}

fn cookies() -> Exchange {
    let headers: &[(&str, &[u8])] = &[
        ("set-cookie", b"a=1; Path=/"),
        ("set-cookie", b"b=2; HttpOnly"),
        ("content-type", b"text/html"),
    ];
    exchange("https://baodaklak.vn/?x=1", headers, b"<p>cookies</p>")
}

fn non_ascii() -> Exchange {
    exchange(
        "https://báođắklắk.vn/thời sự/bài viết?q=Đắk Lắk",
        &[("content-type", b"text/html")],
        b"<p>x</p>",
    )
}

fn all_exchanges() -> Vec<Exchange> {
    vec![
        html(),
        gzipped(),
        chunked(),
        truncated(),
        cookies(),
        non_ascii(),
    ]
}

fn read_all(path: &Path) -> Vec<Record> {
    reader::records(path).unwrap().map(Result::unwrap).collect()
}

/// The `WARC-Type` of every record in `path`, in order.
fn record_types(path: &Path) -> Vec<String> {
    let records = read_all(path);
    let types = records.iter().map(|r| r.record_type().unwrap_or_default());
    types.map(str::to_string).collect()
}

fn warc_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

/// The directory `BAOLUU_KEEP_WARC` names (kept), or a temporary one.
fn output_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("BAOLUU_KEEP_WARC") {
        Some(dir) => (None, PathBuf::from(dir)),
        None => {
            let tmp = tempfile::tempdir().unwrap();
            let path = tmp.path().to_path_buf();
            (Some(tmp), path)
        }
    }
}

fn block_text(record: &Record) -> String {
    String::from_utf8_lossy(&record.block).into_owned()
}
