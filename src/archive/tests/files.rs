//! Files: offsets, close and rename, rotation, crash recovery.

use super::*;

#[test]
fn capture_points_at_the_response_member() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    writer.write_exchange(&html()).unwrap();
    let capture = writer.write_exchange(&gzipped()).unwrap();
    let path = writer.close().unwrap().unwrap();
    let record = reader::read_at(&path, capture.offset).unwrap();
    assert_eq!(record.record_type(), Some("response"));
    assert_eq!(
        record.header("WARC-Record-ID"),
        Some(capture.record_id.as_str())
    );
    assert_eq!(
        (record.offset, record.length),
        (capture.offset, capture.length)
    );
    assert_eq!((capture.status, capture.mime.as_str()), (200, "text/html"));
    assert_eq!(capture.date.timestamp_subsec_nanos(), 123_456_000);
}

#[test]
fn close_renames_and_the_next_write_opens_a_new_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    assert_eq!(writer.close().unwrap(), None);
    assert!(
        warc_files(dir.path()).is_empty(),
        "lazy: nothing before the first write"
    );
    let first = writer.write_exchange(&html()).unwrap();
    let open = warc_files(dir.path());
    assert_eq!(open.len(), 1);
    assert!(open[0].to_str().unwrap().ends_with(".warc.gz.open"));
    let closed = writer.close().unwrap().unwrap();
    assert_eq!(warc_files(dir.path()), std::slice::from_ref(&closed));
    assert_eq!(
        closed.file_name().unwrap().to_str(),
        Some(first.filename.as_str())
    );
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
    let captures: Vec<Capture> = all_exchanges()
        .iter()
        .map(|ex| writer.write_exchange(ex).unwrap())
        .collect();
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
        responses += records
            .iter()
            .filter(|r| r.record_type() == Some("response"))
            .count();
    }
    assert_eq!(responses, captures.len());
    let distinct: std::collections::HashSet<_> = captures.iter().map(|c| &c.filename).collect();
    assert_eq!(distinct.len(), files.len());
}

/// Copies a writer's live `.open` file as a crashed process would have left it.
fn crashed_copy(dir: &Path, cut_at: impl Fn(u64) -> u64) -> (PathBuf, Vec<Capture>) {
    let mut writer = Writer::new(dir.join("live"), "t".into(), info(), 1 << 30);
    let captures: Vec<Capture> = [html(), gzipped(), cookies()]
        .iter()
        .map(|ex| writer.write_exchange(ex).unwrap())
        .collect();
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
    let expected = Recovered {
        path: final_path.clone(),
        records_kept: 6,
        bytes_trimmed: cut_len - kept_end,
    };
    assert_eq!(done, [expected]);
    assert_eq!(warc_files(crash), std::slice::from_ref(&final_path));
    assert_eq!(std::fs::metadata(&final_path).unwrap().len(), kept_end);
    let records = read_all(&final_path);
    assert_eq!(records.len(), 6);
    assert_eq!(records[5].record_type(), Some("response"));
    assert_eq!(
        records[5].header("WARC-Record-ID"),
        Some(last.record_id.as_str())
    );
    assert!(
        recover(crash).unwrap().is_empty(),
        "nothing left to recover"
    );
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
fn group_commit_writes_every_record_and_sync_covers_them_all() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    let captures: Vec<Capture> = (0..5)
        .map(|_| writer.write_exchange(&html()).unwrap())
        .collect();
    writer.sync().unwrap();
    writer.sync().unwrap(); // nothing pending: a no-op
    let open = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "open"))
        .unwrap();
    // Readable before close: the bytes are in the file, offsets as the captures say.
    for capture in &captures {
        let record = reader::read_at(&open, capture.offset).unwrap();
        assert_eq!(
            record.header("WARC-Record-ID"),
            Some(capture.record_id.as_str())
        );
    }
    assert!(writer.close().unwrap().is_some());
}

/// What the recorder tells its indexer, in order.
#[derive(Default)]
struct Told(Vec<String>);

impl Indexer for Told {
    fn committed(&mut self, file: &str, records: Vec<Facts>) {
        let kinds: Vec<&str> = records.iter().map(|f| f.kind.as_str()).collect();
        self.0.push(format!("{file}: {}", kinds.join(",")));
    }

    fn closed(&mut self, files: Vec<PathBuf>) {
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            self.0.push(format!("closed {name}"));
        }
    }
}

#[test]
fn a_file_closed_by_rotation_has_its_records_told_before_its_closing() {
    let dir = tempfile::tempdir().unwrap();
    // The second capture of the batch rotates the first file, records unsynced.
    let (mut writer, first, second) = rotating(dir.path());
    writer
        .write_metadata(&second, "application/json", b"{}")
        .unwrap();
    writer.sync().unwrap();
    let mut told = Told::default();
    let closed = crate::archive::commit::hand_over(&mut writer, &mut told);
    assert_eq!(closed, [dir.path().join(&first.filename)]);
    assert_eq!(
        told.0,
        [
            format!("{}: response", first.filename),
            format!("{}: response,metadata", second.filename),
            format!("closed {}", first.filename),
        ]
    );
    assert_ne!(first.filename, second.filename);
}

/// A `metadata` record written after another page's capture closed its capture's file lands
/// in the next file, and says so: a row pointing at the capture's file would name the wrong
/// record (found in issue 17's seventh step, the status page's rows).
#[test]
fn a_metadata_record_after_a_rotation_names_its_own_file() {
    let dir = tempfile::tempdir().unwrap();
    let (mut writer, first, second) = rotating(dir.path());
    let placed = writer
        .write_metadata(&first, "application/json", b"{}")
        .unwrap();
    writer.close().unwrap();
    assert_eq!(placed.file, second.filename);
    let record = reader::read_at(&dir.path().join(&placed.file), placed.offset).unwrap();
    assert_eq!(record.record_type(), Some("metadata"));
    assert_eq!(record.length, placed.length);
    assert_eq!(
        record.header("WARC-Refers-To"),
        Some(first.record_id.as_str())
    );
}
