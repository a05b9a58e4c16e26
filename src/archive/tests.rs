//! End-to-end tests of the archive: exchanges written by [`Writer`], read back by [`reader`],
//! recovered by [`recover`]. Set `BAOLUU_KEEP_WARC=DIR` to keep the mixed file that
//! `every_kind_of_record_reads_back_and_verifies` writes (for `warcio check -v`).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;

use super::reader::{self, Record};
use super::*;
use crate::fetch::{Exchange, Truncation};

fn info() -> Info {
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
        date: Utc.with_ymd_and_hms(2026, 11, 27, 18, 0, 0).unwrap() + chrono::Duration::nanoseconds(123_456_789),
        version: "HTTP/1.1".into(),
        status: 200,
        reason: "OK".into(),
        response_headers: headers.iter().map(|(n, v)| (n.to_string(), v.to_vec())).collect(),
        body: body.to_vec(),
        truncated: None,
        remote_ip: Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))),
        duration: Duration::from_millis(20),
    }
}

fn html() -> Exchange {
    let body = "<html><body>Tin tức Đắk Lắk</body></html>".as_bytes();
    exchange("https://baodaklak.vn/tin/1.html", &[("content-type", b"text/html; charset=utf-8")], body)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn gzipped() -> Exchange {
    let headers: &[(&str, &[u8])] = &[("content-type", b"text/html"), ("content-encoding", b"gzip")];
    exchange("https://baodaklak.vn/tin/2.html", headers, &gzip(b"<p>nen gzip</p>"))
}

fn chunked() -> Exchange {
    let headers: &[(&str, &[u8])] =
        &[("content-type", b"text/plain"), ("transfer-encoding", b"chunked"), ("content-length", b"999")];
    let mut ex = exchange("https://baodaklak.vn/chunked", headers, b"de-chunked body");
    ex.version = "HTTP/2.0".into();
    ex
}

fn truncated() -> Exchange {
    let mut ex = exchange("https://baodaklak.vn/big.pdf", &[("content-type", b"application/pdf")], &[7u8; 1000]);
    ex.truncated = Some(Truncation::Length);
    ex
}

fn cookies() -> Exchange {
    let headers: &[(&str, &[u8])] =
        &[("set-cookie", b"a=1; Path=/"), ("set-cookie", b"b=2; HttpOnly"), ("content-type", b"text/html")];
    exchange("https://baodaklak.vn/?x=1", headers, b"<p>cookies</p>")
}

fn non_ascii() -> Exchange {
    exchange("https://báođắklắk.vn/thời sự/bài viết?q=Đắk Lắk", &[("content-type", b"text/html")], b"<p>x</p>")
}

fn all_exchanges() -> Vec<Exchange> {
    vec![html(), gzipped(), chunked(), truncated(), cookies(), non_ascii()]
}

fn read_all(path: &Path) -> Vec<Record> {
    reader::records(path).unwrap().map(Result::unwrap).collect()
}

fn warc_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
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

#[test]
fn exchanges_read_back_as_adjacent_linked_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "baodaklak".into(), info(), 1 << 30);
    let exchanges = all_exchanges();
    let captures: Vec<Capture> = exchanges.iter().map(|ex| writer.write_exchange(ex).unwrap()).collect();
    let path = writer.close().unwrap().unwrap();
    let records = read_all(&path);
    assert_eq!(records.len(), 1 + 2 * exchanges.len());
    let warcinfo_id = records[0].header("WARC-Record-ID").unwrap();
    for (i, pair) in records[1..].chunks(2).enumerate() {
        let (response, request) = (&pair[0], &pair[1]);
        assert_eq!(response.record_type(), Some("response"));
        assert_eq!(request.record_type(), Some("request"));
        assert_eq!(response.header("WARC-Concurrent-To"), request.header("WARC-Record-ID"));
        assert_eq!(request.header("WARC-Concurrent-To"), response.header("WARC-Record-ID"));
        assert_eq!(response.header("WARC-Date"), Some("2026-11-27T18:00:00.123456Z"));
        assert_eq!(request.header("WARC-Date"), response.header("WARC-Date"));
        assert_eq!(response.header("WARC-Target-URI"), Some(exchanges[i].url.as_str()));
        assert_eq!(request.header("WARC-Target-URI"), Some(exchanges[i].url.as_str()));
        assert_eq!(response.header("WARC-IP-Address"), Some("127.0.0.1"));
        assert_eq!(response.header("Content-Type"), Some("application/http;msgtype=response"));
        assert_eq!(request.header("Content-Type"), Some("application/http;msgtype=request"));
        assert_eq!(response.header("WARC-Record-ID"), Some(captures[i].record_id.as_str()));
        assert_eq!(response.header("WARC-Payload-Digest"), Some(captures[i].payload_digest.as_str()));
        assert_eq!(response.http_body(), Some(&exchanges[i].body[..]));
        assert_eq!(response.http_status(), Some(200));
    }
    for record in &records {
        let length: usize = record.header("Content-Length").unwrap().parse().unwrap();
        assert_eq!(length, record.block.len());
        record.verify_digests().unwrap();
        if record.record_type() != Some("warcinfo") {
            assert_eq!(record.header("WARC-Warcinfo-ID"), Some(warcinfo_id));
        }
    }
}

#[test]
fn warcinfo_opens_the_file_and_describes_the_crawl() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "baodaklak".into(), info(), 1 << 30);
    let capture = writer.write_exchange(&html()).unwrap();
    let path = writer.close().unwrap().unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    assert_eq!(capture.filename, name);
    assert!(name.starts_with("baodaklak-") && name.ends_with("-00000-crawler-1.warc.gz"), "{name}");
    let warcinfo = &read_all(&path)[0];
    assert_eq!(warcinfo.record_type(), Some("warcinfo"));
    assert_eq!(warcinfo.header("WARC-Filename"), Some(name));
    assert_eq!(warcinfo.header("Content-Type"), Some("application/warc-fields"));
    let text = block_text(warcinfo);
    for line in [
        "software: baoluu/0.1.0\r\n",
        "format: WARC File Format 1.1\r\n",
        "conformsTo: http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\n",
        "hostname: crawler 1\r\n",
        "http-header-user-agent: baoluu/0.1 (+https://example.org/about)\r\n",
        "http-header-from: archive@example.org\r\n",
        "robots: obey\r\n",
        "isPartOf: baodaklak\r\n",
    ] {
        assert!(text.contains(line), "missing {line:?} in {text}");
    }
    assert!(text.contains("description: HTTP status lines and headers are re-serialised"), "{text}");
}

#[test]
fn http_blocks_follow_the_recording_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    let exchanges = [gzipped(), chunked(), truncated(), cookies(), non_ascii()];
    let captures: Vec<Capture> = exchanges.iter().map(|ex| writer.write_exchange(ex).unwrap()).collect();
    let path = writer.close().unwrap().unwrap();
    let at = |i: usize| reader::read_at(&path, captures[i].offset).unwrap();

    let gz = at(0);
    assert_eq!(gz.http_body(), Some(&exchanges[0].body[..]), "gzip body stored verbatim");
    assert!(gz.http_headers().contains(&("Content-Encoding".into(), b"gzip".to_vec())));

    let ch = at(1);
    let text = block_text(&ch);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(!text.contains("\r\nTransfer-Encoding:"), "{text}");
    assert!(text.contains("\r\nX-Crawler-Transfer-Encoding: chunked\r\n"), "{text}");
    assert!(text.contains("\r\nX-Crawler-Content-Length: 999\r\n"), "{text}");
    assert!(text.contains("\r\nContent-Length: 15\r\n\r\nde-chunked body"), "{text}");
    assert_eq!(ch.header("WARC-Protocol"), Some("h2"));

    let cut = at(2);
    assert_eq!(cut.header("WARC-Truncated"), Some("length"));
    assert_eq!(captures[2].truncated, Some(Truncation::Length));
    let next = reader::read_at(&path, captures[2].offset + captures[2].length).unwrap();
    assert_eq!((next.record_type(), next.header("WARC-Truncated")), (Some("request"), None));

    assert!(block_text(&at(3)).contains("Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; HttpOnly\r\n"));

    let uri = at(4).header("WARC-Target-URI").unwrap().to_string();
    assert!(uri.is_ascii() && uri.starts_with("https://xn--"), "{uri}");
    assert!(uri.contains("/th%E1%BB%9Di%20s%E1%BB%B1/"), "{uri}");
    assert_eq!(uri, exchanges[4].url.as_str());
    let request = reader::read_at(&path, captures[4].offset + captures[4].length).unwrap();
    assert!(block_text(&request).starts_with("GET /th%E1%BB%9Di%20s%E1%BB%B1/b%C3%A0i%20vi%E1%BA%BFt?q="));
}

#[test]
fn capture_points_at_the_response_member() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    writer.write_exchange(&html()).unwrap();
    let capture = writer.write_exchange(&gzipped()).unwrap();
    let path = writer.close().unwrap().unwrap();
    let record = reader::read_at(&path, capture.offset).unwrap();
    assert_eq!(record.record_type(), Some("response"));
    assert_eq!(record.header("WARC-Record-ID"), Some(capture.record_id.as_str()));
    assert_eq!((record.offset, record.length), (capture.offset, capture.length));
    assert_eq!((capture.status, capture.mime.as_str()), (200, "text/html"));
    assert_eq!(capture.date.timestamp_subsec_nanos(), 123_456_000);
}

#[test]
fn close_renames_and_the_next_write_opens_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    assert_eq!(writer.close().unwrap(), None);
    assert!(warc_files(dir.path()).is_empty(), "lazy: nothing before the first write");
    let first = writer.write_exchange(&html()).unwrap();
    let open = warc_files(dir.path());
    assert_eq!(open.len(), 1);
    assert!(open[0].to_str().unwrap().ends_with(".warc.gz.open"));
    let closed = writer.close().unwrap().unwrap();
    assert_eq!(warc_files(dir.path()), [closed.clone()]);
    assert_eq!(closed.file_name().unwrap().to_str(), Some(first.filename.as_str()));
    assert_eq!(writer.close().unwrap(), None);
    let second = writer.write_exchange(&html()).unwrap();
    assert!(second.filename.contains("-00001-"), "{}", second.filename);
    drop(writer);
    let names = warc_files(dir.path());
    assert_eq!(names.len(), 2, "drop closed the second file: {names:?}");
    assert!(names.iter().all(|p| p.extension().unwrap() == "gz"));
}

#[test]
fn rotation_starts_every_file_with_warcinfo() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1500);
    let captures: Vec<Capture> = all_exchanges().iter().map(|ex| writer.write_exchange(ex).unwrap()).collect();
    writer.close().unwrap();
    let files = warc_files(dir.path());
    assert!(files.len() >= 2, "{files:?}");
    let mut responses = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(name.ends_with(".warc.gz"), "{name}");
        let records = read_all(file);
        assert_eq!(records[0].record_type(), Some("warcinfo"));
        assert_eq!(records[0].header("WARC-Filename"), Some(name));
        assert_eq!(records.len() % 2, 1, "pairs never split across files");
        responses += records.iter().filter(|r| r.record_type() == Some("response")).count();
    }
    assert_eq!(responses, captures.len());
    let distinct: std::collections::HashSet<_> = captures.iter().map(|c| &c.filename).collect();
    assert_eq!(distinct.len(), files.len());
}

#[test]
fn revisits_refer_to_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    let original = writer.write_exchange(&html()).unwrap();
    let mut again = html();
    again.date += chrono::Duration::days(1);
    let revisit = writer.write_revisit(&again, RevisitProfile::IdenticalPayloadDigest, &(&original).into()).unwrap();
    let mut not_modified = html();
    (not_modified.status, not_modified.reason, not_modified.body) = (304, "Not Modified".into(), Vec::new());
    let nm = writer.write_revisit(&not_modified, RevisitProfile::ServerNotModified, &(&original).into()).unwrap();
    let path = writer.close().unwrap().unwrap();

    let record = reader::read_at(&path, revisit.offset).unwrap();
    assert_eq!(record.record_type(), Some("revisit"));
    assert_eq!(record.header("WARC-Refers-To"), Some(original.record_id.as_str()));
    assert_eq!(record.header("WARC-Refers-To-Target-URI"), Some(original.url.as_str()));
    assert_eq!(record.header("WARC-Refers-To-Date"), Some("2026-11-27T18:00:00.123456Z"));
    assert_eq!(record.header("WARC-Date"), Some("2026-11-28T18:00:00.123456Z"));
    assert_eq!(record.header("WARC-Profile"), Some(RevisitProfile::IdenticalPayloadDigest.uri()));
    assert_eq!(record.header("WARC-Payload-Digest"), Some(original.payload_digest.as_str()));
    assert_eq!(record.http_body(), Some(&b""[..]), "headers only");
    record.verify_digests().unwrap();
    let request = reader::read_at(&path, revisit.offset + revisit.length).unwrap();
    assert_eq!(request.header("WARC-Concurrent-To"), Some(revisit.record_id.as_str()));

    let record = reader::read_at(&path, nm.offset).unwrap();
    assert_eq!(record.header("WARC-Profile"), Some(RevisitProfile::ServerNotModified.uri()));
    assert_eq!(record.http_status(), Some(304));
    assert_eq!(nm.payload_digest, original.payload_digest);
}

#[test]
fn metadata_refers_to_its_capture() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    let capture = writer.write_exchange(&non_ascii()).unwrap();
    let json = r#"{"title":"Đắk Lắk"}"#.as_bytes();
    let (offset, length) = writer.write_metadata(&capture, "application/json", json).unwrap();
    let path = writer.close().unwrap().unwrap();
    let record = reader::read_at(&path, offset).unwrap();
    assert_eq!(record.length, length);
    assert_eq!(record.record_type(), Some("metadata"));
    assert_eq!(record.header("WARC-Refers-To"), Some(capture.record_id.as_str()));
    assert_eq!(record.header("WARC-Target-URI"), Some(capture.url.as_str()));
    assert_eq!(record.header("Content-Type"), Some("application/json"));
    assert_eq!(record.block, json);
    record.verify_digests().unwrap();
}

/// Copies a writer's live `.open` file as a crashed process would have left it.
fn crashed_copy(dir: &Path, cut_at: impl Fn(u64) -> u64) -> (PathBuf, Vec<Capture>) {
    let mut writer = Writer::new(dir.join("live"), "t".into(), info(), 1 << 30);
    let captures: Vec<Capture> = [html(), gzipped(), cookies()].iter().map(|ex| writer.write_exchange(ex).unwrap()).collect();
    let live = warc_files(&dir.join("live")).remove(0);
    let mut bytes = std::fs::read(&live).unwrap();
    bytes.truncate(cut_at(bytes.len() as u64) as usize);
    let crash = dir.join("crash");
    std::fs::create_dir_all(&crash).unwrap();
    let copy = crash.join(live.file_name().unwrap());
    std::fs::write(&copy, bytes).unwrap();
    (copy, captures)
}

#[test]
fn recovery_trims_a_torn_last_member_and_closes_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (copy, captures) = crashed_copy(dir.path(), |len| len - 10);
    let crash = copy.parent().unwrap();
    let cut_len = std::fs::metadata(&copy).unwrap().len();
    let done = recover(crash).unwrap();
    let last = &captures[2];
    let kept_end = last.offset + last.length;
    let final_path = PathBuf::from(copy.to_str().unwrap().strip_suffix(".open").unwrap());
    let expected = Recovered { path: final_path.clone(), records_kept: 6, bytes_trimmed: cut_len - kept_end };
    assert_eq!(done, [expected]);
    assert_eq!(warc_files(crash), [final_path.clone()]);
    assert_eq!(std::fs::metadata(&final_path).unwrap().len(), kept_end);
    let records = read_all(&final_path);
    assert_eq!(records.len(), 6);
    assert_eq!(records[5].record_type(), Some("response"));
    assert_eq!(records[5].header("WARC-Record-ID"), Some(last.record_id.as_str()));
    assert!(recover(crash).unwrap().is_empty(), "nothing left to recover");
}

#[test]
fn recovery_reports_trimmed_bytes_and_removes_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    let (copy, captures) = crashed_copy(dir.path(), |len| len - 10);
    let full = captures[2].offset + captures[2].length;
    let cut_len = std::fs::metadata(&copy).unwrap().len();
    let crash = copy.parent().unwrap();
    // A crash while the first member was being written leaves no complete record.
    let torn_only = crash.join("t-20260101000000-00009-x.warc.gz.open");
    std::fs::write(&torn_only, &std::fs::read(&copy).unwrap()[..40]).unwrap();
    let done = recover(crash).unwrap();
    assert_eq!(done.len(), 2);
    let trimmed = done.iter().find(|r| r.records_kept > 0).unwrap();
    assert_eq!(trimmed.bytes_trimmed, cut_len - full);
    let removed = done.iter().find(|r| r.records_kept == 0).unwrap();
    assert_eq!(removed.bytes_trimmed, 40);
    assert!(!torn_only.exists() && !removed.path.exists());
    assert_eq!(warc_files(crash).len(), 1);
}

#[test]
fn every_kind_of_record_reads_back_and_verifies() {
    let (_tmp, dir) = output_dir();
    let mut writer = Writer::new(dir.clone(), "baoluu-test".into(), info(), 1 << 30);
    let captures: Vec<Capture> = all_exchanges().iter().map(|ex| writer.write_exchange(ex).unwrap()).collect();
    writer.write_revisit(&html(), RevisitProfile::IdenticalPayloadDigest, &(&captures[0]).into()).unwrap();
    writer.write_metadata(&captures[0], "application/json", br#"{"outlinks":[]}"#).unwrap();
    let path = writer.close().unwrap().unwrap();
    let ours = read_all(&path);
    assert!(ours.iter().all(|r| r.verify_digests().is_ok()));
    // A second, independent reader: the `warc` crate over a multi-member gzip stream.
    let stream = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(std::fs::File::open(&path).unwrap()));
    let theirs: Vec<_> = warc::WarcReader::new(stream).iter_records().map(Result::unwrap).collect();
    assert_eq!(theirs.len(), ours.len());
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a.block, b.body());
        assert_eq!(a.header("WARC-Record-ID"), Some(b.warc_id()));
    }
}
