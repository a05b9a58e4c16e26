//! Record content: types, links, fields, HTTP blocks, revisits, metadata, other readers.

use super::*;

#[test]
fn exchanges_read_back_as_adjacent_linked_pairs() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(
        dir.path().to_path_buf(),
        "baodaklak".into(),
        info(),
        1 << 30,
    );
    let exchanges = all_exchanges();
    let captures: Vec<Capture> = exchanges
        .iter()
        .map(|ex| writer.write_exchange(ex).unwrap())
        .collect();
    let path = writer.close().unwrap().unwrap();
    let records = read_all(&path);
    assert_eq!(records.len(), 1 + 2 * exchanges.len());
    let warcinfo_id = records[0].header("WARC-Record-ID").unwrap();
    for (i, pair) in records[1..].chunks(2).enumerate() {
        let (response, request) = (&pair[0], &pair[1]);
        assert_eq!(response.record_type(), Some("response"));
        assert_eq!(request.record_type(), Some("request"));
        assert_eq!(
            response.header("WARC-Concurrent-To"),
            request.header("WARC-Record-ID")
        );
        assert_eq!(
            request.header("WARC-Concurrent-To"),
            response.header("WARC-Record-ID")
        );
        assert_eq!(
            response.header("WARC-Date"),
            Some("2026-11-27T18:00:00.123456Z")
        );
        assert_eq!(request.header("WARC-Date"), response.header("WARC-Date"));
        assert_eq!(
            response.header("WARC-Target-URI"),
            Some(exchanges[i].url.as_str())
        );
        assert_eq!(
            request.header("WARC-Target-URI"),
            Some(exchanges[i].url.as_str())
        );
        assert_eq!(response.header("WARC-IP-Address"), Some("127.0.0.1"));
        assert_eq!(
            response.header("Content-Type"),
            Some("application/http;msgtype=response")
        );
        assert_eq!(
            request.header("Content-Type"),
            Some("application/http;msgtype=request")
        );
        assert_eq!(
            response.header("WARC-Record-ID"),
            Some(captures[i].record_id.as_str())
        );
        assert_eq!(
            response.header("WARC-Payload-Digest"),
            Some(captures[i].payload_digest.as_str())
        );
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
    let mut writer = Writer::new(
        dir.path().to_path_buf(),
        "baodaklak".into(),
        info(),
        1 << 30,
    );
    let capture = writer.write_exchange(&html()).unwrap();
    let path = writer.close().unwrap().unwrap();
    let name = path.file_name().unwrap().to_str().unwrap();
    assert_eq!(capture.filename, name);
    assert!(
        name.starts_with("baodaklak-") && name.ends_with("-00000-crawler-1.warc.gz"),
        "{name}"
    );
    let warcinfo = &read_all(&path)[0];
    assert_eq!(warcinfo.record_type(), Some("warcinfo"));
    assert_eq!(warcinfo.header("WARC-Filename"), Some(name));
    assert_eq!(
        warcinfo.header("Content-Type"),
        Some("application/warc-fields")
    );
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
    assert!(
        text.contains("description: HTTP status lines and headers are re-serialised"),
        "{text}"
    );
}

#[test]
fn http_blocks_follow_the_recording_rules() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    let exchanges = [gzipped(), chunked(), truncated(), cookies(), non_ascii()];
    let captures: Vec<Capture> = exchanges
        .iter()
        .map(|ex| writer.write_exchange(ex).unwrap())
        .collect();
    let path = writer.close().unwrap().unwrap();
    let at = |i: usize| reader::read_at(&path, captures[i].offset).unwrap();

    let gz = at(0);
    assert_eq!(
        gz.http_body(),
        Some(&exchanges[0].body[..]),
        "gzip body stored verbatim"
    );
    assert!(
        gz.http_headers()
            .contains(&("Content-Encoding".into(), b"gzip".to_vec()))
    );

    let ch = at(1);
    let text = block_text(&ch);
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(!text.contains("\r\nTransfer-Encoding:"), "{text}");
    assert!(
        text.contains("\r\nX-Crawler-Transfer-Encoding: chunked\r\n"),
        "{text}"
    );
    assert!(
        text.contains("\r\nX-Crawler-Content-Length: 999\r\n"),
        "{text}"
    );
    assert!(
        text.contains("\r\nContent-Length: 15\r\n\r\nde-chunked body"),
        "{text}"
    );
    assert_eq!(ch.header("WARC-Protocol"), Some("h2"));

    let cut = at(2);
    assert_eq!(cut.header("WARC-Truncated"), Some("length"));
    assert_eq!(captures[2].truncated, Some(Truncation::Length));
    let next = reader::read_at(&path, captures[2].offset + captures[2].length).unwrap();
    assert_eq!(
        (next.record_type(), next.header("WARC-Truncated")),
        (Some("request"), None)
    );

    assert!(
        block_text(&at(3)).contains("Set-Cookie: a=1; Path=/\r\nSet-Cookie: b=2; HttpOnly\r\n")
    );

    let uri = at(4).header("WARC-Target-URI").unwrap().to_string();
    assert!(uri.is_ascii() && uri.starts_with("https://xn--"), "{uri}");
    assert!(uri.contains("/th%E1%BB%9Di%20s%E1%BB%B1/"), "{uri}");
    assert_eq!(uri, exchanges[4].url.as_str());
    let request = reader::read_at(&path, captures[4].offset + captures[4].length).unwrap();
    assert!(
        block_text(&request)
            .starts_with("GET /th%E1%BB%9Di%20s%E1%BB%B1/b%C3%A0i%20vi%E1%BA%BFt?q=")
    );
}

#[test]
fn revisits_refer_to_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    let original = writer.write_exchange(&html()).unwrap();
    let mut again = html();
    again.date += chrono::Duration::days(1);
    let revisit = writer
        .write_revisit(
            &again,
            RevisitProfile::IdenticalPayloadDigest,
            &(&original).into(),
        )
        .unwrap();
    let mut not_modified = html();
    (not_modified.status, not_modified.reason, not_modified.body) =
        (304, "Not Modified".into(), Vec::new());
    let nm = writer
        .write_revisit(
            &not_modified,
            RevisitProfile::ServerNotModified,
            &(&original).into(),
        )
        .unwrap();
    let path = writer.close().unwrap().unwrap();

    let record = reader::read_at(&path, revisit.offset).unwrap();
    assert_eq!(record.record_type(), Some("revisit"));
    assert_eq!(
        record.header("WARC-Refers-To"),
        Some(original.record_id.as_str())
    );
    assert_eq!(
        record.header("WARC-Refers-To-Target-URI"),
        Some(original.url.as_str())
    );
    assert_eq!(
        record.header("WARC-Refers-To-Date"),
        Some("2026-11-27T18:00:00.123456Z")
    );
    assert_eq!(
        record.header("WARC-Date"),
        Some("2026-11-28T18:00:00.123456Z")
    );
    assert_eq!(
        record.header("WARC-Profile"),
        Some(RevisitProfile::IdenticalPayloadDigest.uri())
    );
    assert_eq!(
        record.header("WARC-Payload-Digest"),
        Some(original.payload_digest.as_str())
    );
    assert_eq!(record.http_body(), Some(&b""[..]), "headers only");
    record.verify_digests().unwrap();
    let request = reader::read_at(&path, revisit.offset + revisit.length).unwrap();
    assert_eq!(
        request.header("WARC-Concurrent-To"),
        Some(revisit.record_id.as_str())
    );

    let record = reader::read_at(&path, nm.offset).unwrap();
    assert_eq!(
        record.header("WARC-Profile"),
        Some(RevisitProfile::ServerNotModified.uri())
    );
    assert_eq!(record.http_status(), Some(304));
    assert_eq!(nm.payload_digest, original.payload_digest);
}

#[test]
fn metadata_refers_to_its_capture() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    let capture = writer.write_exchange(&non_ascii()).unwrap();
    let json = r#"{"title":"Đắk Lắk"}"#.as_bytes();
    let placed = writer
        .write_metadata(&capture, "application/json", json)
        .unwrap();
    let path = writer.close().unwrap().unwrap();
    assert_eq!(
        path.file_name().unwrap().to_str(),
        Some(placed.file.as_str())
    );
    let record = reader::read_at(&path, placed.offset).unwrap();
    assert_eq!(record.length, placed.length);
    assert_eq!(record.record_type(), Some("metadata"));
    assert_eq!(
        record.header("WARC-Refers-To"),
        Some(capture.record_id.as_str())
    );
    // Its own URN, so replay tools never serve it in place of the page (pywb indexes metadata).
    let urn = format!("urn:baoluu:article:{}", capture.url);
    assert_eq!(record.header("WARC-Target-URI"), Some(urn.as_str()));
    assert_eq!(
        record.header("WARC-Refers-To-Target-URI"),
        Some(capture.url.as_str())
    );
    assert_eq!(record.header("Content-Type"), Some("application/json"));
    assert_eq!(record.block, json);
    record.verify_digests().unwrap();
}

#[test]
fn every_kind_of_record_reads_back_and_verifies() {
    let (_tmp, dir) = output_dir();
    let mut writer = Writer::new(dir.clone(), "baoluu-test".into(), info(), 1 << 30);
    let captures: Vec<Capture> = all_exchanges()
        .iter()
        .map(|ex| writer.write_exchange(ex).unwrap())
        .collect();
    writer
        .write_revisit(
            &html(),
            RevisitProfile::IdenticalPayloadDigest,
            &(&captures[0]).into(),
        )
        .unwrap();
    writer
        .write_metadata(&captures[0], "application/json", br#"{"outlinks":[]}"#)
        .unwrap();
    let path = writer.close().unwrap().unwrap();
    let ours = read_all(&path);
    assert!(ours.iter().all(|r| r.verify_digests().is_ok()));
    // A second, independent reader: the `warc` crate over a multi-member gzip stream.
    let stream = std::io::BufReader::new(flate2::read::MultiGzDecoder::new(
        std::fs::File::open(&path).unwrap(),
    ));
    let theirs: Vec<_> = warc::WarcReader::new(stream)
        .iter_records()
        .map(Result::unwrap)
        .collect();
    assert_eq!(theirs.len(), ours.len());
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a.block, b.body());
        assert_eq!(a.header("WARC-Record-ID"), Some(b.warc_id()));
    }
}
