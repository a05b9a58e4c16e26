//! The WARC reader (`archive::reader`) over random bytes, random gzip members, and real records
//! truncated or corrupted at random places. Invariants: no panic; the iterator ends; records
//! before the damage read back intact; the damage is reported as an error, never as a record.

use std::path::Path;

use baoluu::archive::reader::{Record, read_at, records};
use proptest::prelude::*;

use crate::common::{cases, gzip};

/// One complete response record (WARC 1.1 §6.3) holding an HTTP message with `body`.
fn record_text(id: u32, body: &[u8]) -> Vec<u8> {
    let mut block = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    block.extend_from_slice(body);
    let mut out = format!(
        "WARC/1.1\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{id:012}>\r\n\
         WARC-Target-URI: https://x.vn/a-{id}.html\r\nWARC-Date: 2026-01-01T00:00:00Z\r\n\
         Content-Type: application/http;msgtype=response\r\nContent-Length: {}\r\n\r\n",
        block.len()
    )
    .into_bytes();
    out.extend_from_slice(&block);
    out.extend_from_slice(b"\r\n\r\n");
    out
}

/// Reads every record of `bytes` written to a file; checks the iterator ends after an error.
fn read_all(bytes: &[u8]) -> (Vec<Record>, bool) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.warc.gz");
    std::fs::write(&path, bytes).unwrap();
    read_file(&path)
}

fn read_file(path: &Path) -> (Vec<Record>, bool) {
    let mut ok = Vec::new();
    let mut iter = records(path).unwrap();
    for item in iter.by_ref() {
        match item {
            Ok(record) => {
                let _ = (
                    record.http_status(),
                    record.http_headers(),
                    record.http_body(),
                );
                let _ = (record.verify_digests(), record.record_type());
                ok.push(record);
            }
            Err(_) => {
                assert!(iter.next().is_none(), "records continued after an error");
                return (ok, true);
            }
        }
    }
    (ok, false)
}

/// A record's member text with random header lines, as a damaged or foreign writer makes them.
fn header_soup() -> impl Strategy<Value = Vec<u8>> {
    let line = prop_oneof![
        Just("Content-Length: 0".to_string()),
        "Content-Length: [0-9 +\\-]{0,22}",
        Just("WARC-Type: response".to_string()),
        Just(" folded continuation".to_string()),
        Just("no colon here".to_string()),
        Just("Content-Type: application/http;msgtype=response".to_string()),
        Just("WARC-Block-Digest: sha1:AAAA".to_string()),
        "\\PC{0,20}",
    ];
    let version = prop::sample::select(vec!["WARC/1.1\r\n", "WARC/1.0\r\n", "WARC/1.1\n", ""]);
    (
        version,
        prop::collection::vec(line, 0..6),
        prop::collection::vec(any::<u8>(), 0..64),
        prop::sample::select(vec!["\r\n\r\n", "\r\n", ""]),
    )
        .prop_map(|(v, lines, block, end)| {
            let mut out = v.as_bytes().to_vec();
            out.extend(lines.iter().flat_map(|l| format!("{l}\r\n").into_bytes()));
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(&block);
            out.extend_from_slice(end.as_bytes());
            out
        })
}

fn real_file(bodies: &[Vec<u8>]) -> (Vec<u8>, Vec<usize>) {
    let mut file = Vec::new();
    let mut ends = Vec::new();
    for (i, body) in bodies.iter().enumerate() {
        file.extend(gzip(&record_text(i as u32, body)));
        ends.push(file.len());
    }
    (file, ends)
}

fn bodies() -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 1..5)
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn random_bytes_are_errors_not_panics(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        let (ok, _) = read_all(&bytes);
        prop_assert!(ok.is_empty() || bytes.starts_with(&[0x1f, 0x8b]));
    }

    #[test]
    fn random_members_are_errors_not_panics(members in prop::collection::vec(header_soup(), 1..4)) {
        let bytes: Vec<u8> = members.iter().flat_map(|m| gzip(m)).collect();
        let _ = read_all(&bytes);
    }

    #[test]
    fn whole_files_read_back(bodies in bodies()) {
        let (file, ends) = real_file(&bodies);
        let (ok, failed) = read_all(&file);
        prop_assert!(!failed);
        prop_assert_eq!(ok.len(), bodies.len());
        for (i, record) in ok.iter().enumerate() {
            prop_assert_eq!(record.http_body(), Some(&bodies[i][..]));
            prop_assert_eq!(record.offset + record.length, ends[i] as u64);
        }
    }

    #[test]
    fn truncated_files_keep_the_records_before_the_cut(bodies in bodies(), cut in any::<prop::sample::Index>()) {
        let (file, ends) = real_file(&bodies);
        let cut = cut.index(file.len());
        let (ok, failed) = read_all(&file[..cut]);
        let whole = ends.iter().filter(|&&end| end <= cut).count();
        prop_assert_eq!(ok.len(), whole);
        prop_assert_eq!(failed, !ends.contains(&cut) && cut != 0);
    }

    #[test]
    fn corrupted_files_never_panic(bodies in bodies(), at in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let (mut file, _) = real_file(&bodies);
        let i = at.index(file.len());
        file[i] ^= byte | 1;
        let (ok, _) = read_all(&file);
        prop_assert!(ok.len() <= bodies.len());
    }

    #[test]
    fn read_at_any_offset_never_panics(bodies in bodies(), at in any::<prop::sample::Index>()) {
        let (file, ends) = real_file(&bodies);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.warc.gz");
        std::fs::write(&path, &file).unwrap();
        let offset = at.index(file.len() + 10) as u64;
        let result = read_at(&path, offset);
        let starts: Vec<u64> = std::iter::once(0).chain(ends.iter().map(|&e| e as u64)).collect();
        if starts[..bodies.len()].contains(&offset) {
            prop_assert!(result.is_ok());
        }
    }
}
