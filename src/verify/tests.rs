//! `verify` over archives written by the real writer and index, then damaged on purpose.

use std::fs;
use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::*;
use crate::archive::{Capture, Info, Writer};
use crate::extract::Article;
use crate::fetch::Exchange;
use crate::fetch::gunzip::{gunzip_text, gzip};
use crate::index::{self, Line};

fn exchange(path: &str, body: &str) -> Exchange {
    let url = url::Url::parse(&format!("https://baohaugiang.com.vn{path}")).unwrap();
    Exchange {
        request_headers: vec![("Host".into(), "baohaugiang.com.vn".into())],
        url,
        date: Utc.with_ymd_and_hms(2026, 11, 27, 18, 0, 0).unwrap(),
        version: "HTTP/1.1".into(),
        status: 200,
        reason: "OK".into(),
        response_headers: vec![("content-type".into(), b"text/html; charset=utf-8".to_vec())],
        body: body.as_bytes().to_vec(),
        truncated: None,
        remote_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        duration: Duration::from_millis(5),
    }
}

fn writer(archive: &Path, prefix: &str) -> Writer {
    let info = Info {
        software: "baoluu/test".into(),
        hostname: "test".into(),
        user_agent: "baoluu-test".into(),
        from: None,
        is_part_of: prefix.into(),
    };
    Writer::new(archive.join("warc"), prefix.into(), info, 1 << 30)
}

/// An archive with one closed WARC of two articles, their JSON index lines and the CDXJ.
struct Sound {
    dir: tempfile::TempDir,
    captures: Vec<Capture>,
    warc: PathBuf,
}

impl Sound {
    fn new() -> Sound {
        let dir = tempfile::tempdir().unwrap();
        let mut w = writer(dir.path(), "hg");
        let captures: Vec<Capture> = [
            ("/tin-1.html", "<p>Tin một</p>"),
            ("/tin-2.html", "<p>Hai</p>"),
        ]
        .iter()
        .map(|(path, body)| w.write_exchange(&exchange(path, body)).unwrap())
        .collect();
        let warc = w.close().unwrap().unwrap();
        let index_dir = dir.path().join("index");
        std::fs::create_dir_all(&index_dir).unwrap();
        let lines: String = captures
            .iter()
            .map(|c| serde_json::to_string(&Line::new("hg", c, Article::default())).unwrap() + "\n")
            .collect();
        std::fs::write(index::file_path(&index_dir, "hg"), lines).unwrap();
        let sound = Sound {
            dir,
            captures,
            warc,
        };
        crate::cdxj::write_for(
            &sound.path().join("warc"),
            &sound.path().join("index"),
            &sound.warc,
        )
        .unwrap();
        sound
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn append(&self, relative: &str, text: &str) {
        let mut file = fs::OpenOptions::new()
            .append(true)
            .open(self.path().join(relative))
            .unwrap();
        file.write_all(text.as_bytes()).unwrap();
    }

    fn line(&self, n: usize) -> Line {
        Line::new("hg", &self.captures[n], Article::default())
    }
}

fn name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

#[test]
fn a_sound_archive_has_no_problems() {
    let s = Sound::new();
    let report = verify(s.path()).unwrap();
    assert_eq!(report.problems, [], "{report}");
    // warcinfo + (response, request) × 2; 2 JSON lines + 2 CDXJ lines.
    assert_eq!(
        (report.files, report.records, report.index_lines),
        (1, 5, 4)
    );
    assert!(!report.writer_active);
    assert_eq!(
        report.to_string(),
        "checked 1 WARC files (5 records) and 4 index lines: no problems\n"
    );
    assert_eq!(run_cli(s.path()).unwrap(), 0);
}

/// A second, unindexed file whose response record states a wrong payload digest, and whose
/// request record is torn: the file, the response's capture, and where the tear starts.
fn damaged_file(s: &Sound) -> (PathBuf, Capture, u64) {
    let mut w = writer(s.path(), "bad");
    let capture = w
        .write_exchange(&exchange("/tin-3.html", "<p>Ba</p>"))
        .unwrap();
    let file = w.close().unwrap().unwrap();
    let bytes = fs::read(&file).unwrap();
    let (start, end) = (
        capture.offset as usize,
        (capture.offset + capture.length) as usize,
    );
    let record = gunzip_text(&bytes[start..end]);
    let wrong = crate::cdxj::sha1_digest(b"something else");
    let forged = record.replace(&capture.payload_digest, &wrong);
    assert_ne!(forged, record);
    let mut damaged = bytes[..start].to_vec();
    damaged.extend(gzip(forged.as_bytes()));
    let torn_at = damaged.len() as u64;
    // The request record, cut in half: as if the machine died mid-write.
    let rest = &bytes[end..];
    damaged.extend(&rest[..rest.len() / 2]);
    fs::write(&file, &damaged).unwrap();
    (file, capture, torn_at)
}

#[test]
fn a_rewritten_payload_digest_and_a_torn_member_are_found() {
    let s = Sound::new();
    let (file, capture, torn_at) = damaged_file(&s);
    let wrong = crate::cdxj::sha1_digest(b"something else");

    let report = verify(s.path()).unwrap();
    let shown = PathBuf::from("warc").join(name(&file));
    assert_eq!(report.problems.len(), 2, "{report}");
    match &report.problems[0] {
        Problem::Digest {
            file,
            offset,
            detail,
        } => {
            assert_eq!((file, *offset), (&shown, capture.offset));
            assert!(
                detail.contains("WARC-Payload-Digest says") && detail.contains(&wrong),
                "{detail}"
            );
        }
        other => panic!("expected a digest problem, got {other}"),
    }
    assert!(
        matches!(&report.problems[1], Problem::Unreadable { file, offset, .. } if *file == shown && *offset == torn_at),
        "{report}"
    );
    assert_eq!(run_cli(s.path()).unwrap(), 1);
}

/// Appends to `s`'s index eight lines that point wrong (see the test below).
fn append_bad_pointers(s: &Sound) {
    let warc = name(&s.warc);
    let mut request = s.line(0);
    request.offset += request.length; // the request record that follows the response
    let mut past_end = s.line(0);
    past_end.offset = fs::metadata(&s.warc).unwrap().len() + 10;
    let mut gone = s.line(1);
    gone.filename = "hg-missing.warc.gz".into();
    let mut wrong_url = s.line(1);
    wrong_url.url = "https://baohaugiang.com.vn/khac.html".into();
    let mut escape = s.line(1);
    escape.filename = "../state.sqlite".into();
    let mut jsonl = String::new();
    for line in [&request, &past_end, &gone, &wrong_url, &escape] {
        jsonl.push_str(&serde_json::to_string(line).unwrap());
        jsonl.push('\n');
    }
    jsonl.push_str("{\"url\": \"torn");
    s.append("index/hg.jsonl", &jsonl);

    // A CDXJ line whose digest is not the record's.
    let cdxj = crate::cdxj::path_for(&s.path().join("index"), &warc);
    let text = fs::read_to_string(&cdxj).unwrap();
    let first = text.lines().next().unwrap();
    let digest = &s.captures[0].payload_digest;
    let forged = first.replace(digest.as_str(), &crate::cdxj::sha1_digest(b"x"));
    assert_ne!(forged, first);
    s.append(&format!("index/cdxj/{warc}.cdxj"), &format!("{forged}\n"));
}

#[test]
fn bad_index_pointers_are_named_by_file_and_line() {
    let s = Sound::new();
    let warc = name(&s.warc);
    append_bad_pointers(&s);

    let report = verify(s.path()).unwrap();
    let found: Vec<(String, usize, String)> = report
        .problems
        .iter()
        .map(|p| match p {
            Problem::IndexLine {
                index,
                line,
                detail,
            } => (index.display().to_string(), *line, detail.clone()),
            other => panic!("unexpected {other}"),
        })
        .collect();
    let expect = |n: usize, file: &str, line: usize, needle: &str| {
        let (f, l, d) = &found[n];
        assert_eq!((f.as_str(), *l), (file, line), "{report}");
        assert!(d.contains(needle), "problem {n}: {d:?} lacks {needle:?}");
    };
    assert_eq!(found.len(), 8, "{report}");
    expect(0, "index/hg.jsonl", 3, "points at a request record");
    expect(1, "index/hg.jsonl", 4, "no record at offset");
    expect(
        2,
        "index/hg.jsonl",
        5,
        "hg-missing.warc.gz, which is not in warc/",
    );
    expect(
        3,
        "index/hg.jsonl",
        6,
        "`url` is https://baohaugiang.com.vn/khac.html",
    );
    expect(4, "index/hg.jsonl", 7, "is not a name inside warc/");
    expect(5, "index/hg.jsonl", 8, "not a JSON index line");
    let cdxj_name = format!("index/cdxj/{warc}.cdxj");
    expect(6, &cdxj_name, 3, "`digest` is sha1:");
    expect(7, &cdxj_name, 3, "out of order: sorts before line 2");
    let text = report.to_string();
    assert!(text.contains("8 problems"), "{text}");
    assert!(
        text.contains(&format!("  {cdxj_name} line 3: `digest` is")),
        "{text}"
    );
}

#[test]
fn a_stray_open_file_is_a_leftover_unless_a_writer_holds_the_lock() {
    let s = Sound::new();
    let open = s
        .path()
        .join("warc")
        .join("hg-20261127180000-00009-test.warc.gz.open");
    fs::copy(&s.warc, &open).unwrap();

    let report = verify(s.path()).unwrap();
    let shown = PathBuf::from("warc").join(name(&open));
    assert_eq!(
        report.problems,
        [Problem::LeftOpen { file: shown }],
        "{report}"
    );
    assert_eq!(report.files, 2, "the leftover is read too");
    assert!(
        report
            .to_string()
            .contains("next `baoluu crawl` recovers it")
    );

    let lock = Lock::acquire(s.path()).unwrap();
    let report = verify(s.path()).unwrap();
    assert_eq!(report.problems, [], "{report}");
    assert!(report.writer_active);
    assert_eq!(report.files, 1, "the file being written is skipped");
    assert!(report.to_string().contains("open WARC files were skipped"));
    drop(lock);
}

#[test]
fn an_index_may_point_into_a_file_still_being_written() {
    let s = Sound::new();
    let mut w = writer(s.path(), "live");
    let capture = w
        .write_exchange(&exchange("/tin-4.html", "<p>Bốn</p>"))
        .unwrap();
    let line = Line::new("live", &capture, Article::default());
    s.append(
        "index/hg.jsonl",
        &(serde_json::to_string(&line).unwrap() + "\n"),
    );
    let _lock = Lock::acquire(s.path()).unwrap();
    let report = verify(s.path()).unwrap();
    assert_eq!(report.problems, [], "{report}");
    assert_eq!(report.index_lines, 5);
    w.close().unwrap();
}

#[test]
fn a_folder_that_is_no_archive_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = verify(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NotArchive { .. }), "{err}");
    assert!(
        err.to_string().contains("archive_dir of your config"),
        "{err}"
    );
}

/// Removed WARC files kept in a folder standing for the bucket, brought back into the
/// reading's folder of copies; each bring finds that folder empty.
struct Bucket {
    held: PathBuf,
    copies: PathBuf,
    brought: Vec<String>,
}

impl Removed for Bucket {
    fn names(&self) -> Vec<String> {
        list_dir(&self.held)
            .unwrap()
            .iter()
            .map(|p| name(p))
            .collect()
    }

    fn bring(&mut self, name: &str) -> Result<PathBuf, BringError> {
        assert_eq!(list_dir(&self.copies)?, Vec::<PathBuf>::new(), "{name}");
        self.brought.push(name.to_string());
        let copy = self.copies.join(name);
        fs::copy(self.held.join(name), &copy)?;
        Ok(copy)
    }

    fn release(&mut self, copy: &Path) -> Result<(), BringError> {
        Ok(fs::remove_file(copy)?)
    }
}

/// Walking removed files one at a time reports what a reading with every one fetched first
/// reports, problems and order included: records damaged in a removed file, index lines
/// pointing wrong into one, and an edit whose `previous` lies in another removed file.
#[test]
fn removed_files_brought_back_one_at_a_time_give_the_report_of_all_fetched() {
    let s = Sound::new();
    let (bad, capture, _) = damaged_file(&s);
    append_bad_pointers(&s);
    let mut edit = s.line(1);
    edit.version = 2;
    edit.previous = Some(index::Pointer {
        filename: name(&bad),
        offset: capture.offset,
        length: capture.length,
        ts: None,
    });
    // After the torn line the bad pointers end with.
    s.append(
        "index/hg.jsonl",
        &format!("\n{}\n", serde_json::to_string(&edit).unwrap()),
    );
    let copies = s.path().join(".fetched-1");
    let (held, warcs) = (s.path().join("held"), copies.join("warc"));
    fs::create_dir_all(&held).unwrap();
    fs::create_dir_all(&warcs).unwrap();
    let sources = Sources::local(s.path()).with_fetched(&copies);
    for file in [&s.warc, &bad] {
        fs::copy(file, warcs.join(name(file))).unwrap();
        fs::rename(file, held.join(name(file))).unwrap();
    }
    let all_fetched = verify_sources(&sources).unwrap().to_string();
    assert!(all_fetched.contains("11 problems"), "{all_fetched}");
    assert!(all_fetched.contains("previous url"), "{all_fetched}");

    for file in list_dir(&warcs).unwrap() {
        fs::remove_file(file).unwrap();
    }
    let mut bucket = Bucket {
        held,
        copies: warcs.clone(),
        brought: Vec::new(),
    };
    let one_by_one = verify_removed(&sources, &mut bucket).unwrap().to_string();
    assert_eq!(one_by_one, all_fetched);
    assert_eq!(
        bucket.brought,
        [name(&bad), name(&s.warc)],
        "each once, in name order"
    );
    assert_eq!(list_dir(&warcs).unwrap(), Vec::<PathBuf>::new(), "released");
}
