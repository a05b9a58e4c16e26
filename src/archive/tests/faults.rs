//! The failure paths of a durable write, reached by fault injection (issue 13, item 10): a
//! torn append whose rollback fails too, an fsync that fails, a disk that returns EIO to
//! recovery. None of them may answer a record as durable that was not fsynced, and none may
//! cut a record that was.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::*;
use crate::archive::sink::faults::{Plan, wrap};

fn faulty_writer(dir: &Path, plan: &Arc<Plan>) -> Writer {
    Writer::new(dir.to_path_buf(), "t".into(), info(), 1 << 30).with_wrap(wrap(plan.clone()))
}

/// A write torn by a full disk whose rollback fails too: the writer abandons its file.
fn tear_with_failed_rollback(writer: &mut Writer, plan: &Plan) {
    plan.fail_write_after(0);
    plan.fail_set_len.store(true, Ordering::SeqCst);
    assert!(writer.write_exchange(&html()).is_err());
    plan.fail_writes.store(false, Ordering::SeqCst);
    plan.fail_set_len.store(false, Ordering::SeqCst);
}

#[test]
fn a_torn_append_whose_rollback_fails_fails_the_whole_batch() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Arc::new(Plan::default());
    let mut writer = faulty_writer(dir.path(), &plan);
    writer.write_exchange(&html()).unwrap(); // opens the file (warcinfo) and writes a pair
    writer.sync().unwrap();
    // One batch: a good capture, then a torn one whose rollback fails too.
    writer.write_exchange(&html()).unwrap();
    tear_with_failed_rollback(&mut writer, &plan);
    // The good capture of the batch was never fsynced: its sync must not say it was.
    let err = writer
        .sync()
        .expect_err("an abandoned file's unsynced records are not durable");
    assert!(err.to_string().contains(".open"), "names the file: {err}");
    // The error still reads as a full disk (the tear was ENOSPC): the crawl stops with 75.
    let Error::Io { source, .. } = err else {
        panic!("expected an I/O error, got {err:?}");
    };
    assert_eq!(source.raw_os_error(), Some(libc::ENOSPC));
    // The next batch goes to a new file and is durable again.
    writer.write_exchange(&html()).unwrap();
    writer.sync().unwrap();
}

#[test]
fn a_failed_fsync_rolls_the_batch_back_and_later_records_follow_whole_ones() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Arc::new(Plan::default());
    let mut writer = faulty_writer(dir.path(), &plan);
    let kept = writer.write_exchange(&html()).unwrap();
    writer.sync().unwrap();
    writer.write_exchange(&html()).unwrap();
    plan.fail_sync.store(true, Ordering::SeqCst);
    assert!(writer.sync().is_err());
    plan.fail_sync.store(false, Ordering::SeqCst);
    let next = writer.write_exchange(&html()).unwrap();
    writer.sync().unwrap();
    assert_eq!(next.offset, kept.offset + kept_pair_len(dir.path(), &kept));
    let path = writer.close().unwrap().unwrap();
    assert_eq!(
        record_types(&path),
        ["warcinfo", "response", "request", "response", "request"]
    );
}

#[test]
fn a_failed_fsync_leaves_no_cdxj_line_of_its_batch() {
    use crate::archive::Indexer;
    let dir = tempfile::tempdir().unwrap();
    let (warc_dir, index_dir) = (dir.path().join("warc"), dir.path().join("index"));
    let plan = Arc::new(Plan::default());
    let mut writer = faulty_writer(&warc_dir, &plan);
    let mut live = crate::cdxj::Live::new(&warc_dir, &index_dir);
    let mut hand_over = |writer: &mut Writer| {
        for (file, records) in writer.take_indexed() {
            live.committed(&file, records);
        }
        live.closed(writer.take_closed());
    };
    writer.write_exchange(&html()).unwrap();
    writer.sync().unwrap();
    hand_over(&mut writer);
    // A batch of a capture and its metadata whose fsync fails: cut off the file.
    let lost = writer.write_exchange(&cookies()).unwrap();
    writer
        .write_metadata(&lost, "application/json", b"{}")
        .unwrap();
    plan.fail_sync.store(true, Ordering::SeqCst);
    assert!(writer.sync().is_err());
    plan.fail_sync.store(false, Ordering::SeqCst);
    hand_over(&mut writer);
    writer.write_exchange(&gzipped()).unwrap();
    writer.sync().unwrap();
    let path = writer.close().unwrap().unwrap();
    hand_over(&mut writer);

    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(crate::cdxj::path_for(&index_dir, &name)).unwrap();
    let urls: Vec<String> = text
        .lines()
        .map(|l| crate::cdxj::Entry::parse(l).unwrap().url)
        .collect();
    assert_eq!(
        urls,
        [
            "https://baodaklak.vn/tin/1.html",
            "https://baodaklak.vn/tin/2.html"
        ],
        "no line of the failed batch: {text}"
    );
    let read_back = crate::cdxj::index_file(&path, &name).unwrap();
    assert_eq!(text, read_back.join("\n") + "\n");
}

#[test]
fn a_deferred_record_cut_off_by_a_later_failed_fsync_reads_as_lost() {
    // Issue 17: the crawl writes a page's records unsynced and has them made durable later,
    // with its article's metadata record or a settle. Any loss in between must fail them.
    let dir = tempfile::tempdir().unwrap();
    let plan = Arc::new(Plan::default());
    let mut writer = faulty_writer(dir.path(), &plan);
    writer.write_exchange(&html()).unwrap();
    writer.sync().unwrap();
    let before = writer.losses();
    writer.write_exchange(&cookies()).unwrap(); // deferred: not synced in its own batch
    assert!(writer.lost_since(before).is_none(), "nothing lost yet");
    // Another task's batch writes and fails its fsync: the deferred record is cut off too.
    writer.write_exchange(&gzipped()).unwrap();
    plan.fail_sync.store(true, Ordering::SeqCst);
    assert!(writer.sync().is_err());
    plan.fail_sync.store(false, Ordering::SeqCst);
    let Some(Error::Io { source, .. }) = writer.lost_since(before) else {
        panic!("the deferred record must read as lost");
    };
    assert_eq!(source.raw_os_error(), Some(libc::EIO));
    // A record written after the loss and synced is durable.
    let after = writer.losses();
    writer.write_exchange(&html()).unwrap();
    writer.sync().unwrap();
    assert!(writer.lost_since(after).is_none());
    // An abandoned file (a torn write whose rollback failed) loses its unsynced records too,
    // and still reads as a full disk.
    let before = writer.losses();
    writer.write_exchange(&html()).unwrap();
    tear_with_failed_rollback(&mut writer, &plan);
    let Some(Error::Io { source, .. }) = writer.lost_since(before) else {
        panic!("the abandoned file's deferred record must read as lost");
    };
    assert_eq!(source.raw_os_error(), Some(libc::ENOSPC));
}

/// The bytes of the response + request pair that starts at `capture.offset`.
pub(super) fn kept_pair_len(dir: &Path, capture: &Capture) -> u64 {
    let open = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "open"))
        .unwrap();
    let response = reader::read_at(&open, capture.offset).unwrap();
    let request = reader::read_at(&open, capture.offset + response.length).unwrap();
    response.length + request.length
}

/// Reads the first `good` bytes of a file, then fails as a dying disk does (EIO).
struct FailingDisk {
    bytes: Vec<u8>,
    at: usize,
    good: usize,
}

impl std::io::Read for FailingDisk {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at >= self.good {
            return Err(std::io::Error::from_raw_os_error(libc::EIO));
        }
        let n = buf.len().min(self.good - self.at);
        buf[..n].copy_from_slice(&self.bytes[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[test]
fn a_read_error_in_recovery_is_no_verdict_on_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let mut writer = Writer::new(dir.path().to_path_buf(), "t".into(), info(), 1 << 30);
    let captures: Vec<Capture> = (0..3)
        .map(|_| writer.write_exchange(&html()).unwrap())
        .collect();
    let path = writer.close().unwrap().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    // The disk fails in the middle of the second capture's response member.
    let good = captures[1].offset as usize + 10;
    let disk = FailingDisk {
        bytes: bytes.clone(),
        at: 0,
        good,
    };
    let verdict = crate::archive::recover::prefix_of(reader::records_from(&path, disk));
    match verdict {
        Err(Error::Io { source, .. }) => assert_eq!(source.raw_os_error(), Some(libc::EIO)),
        other => panic!("EIO must stop recovery, not trim the file: {other:?}"),
    }
    // A real tear at the same place is corruption, and the prefix before it is kept.
    let torn = &bytes[..good];
    let (end, kept) =
        crate::archive::recover::prefix_of(reader::records_from(&path, torn)).unwrap();
    assert_eq!(
        (end, kept),
        (captures[1].offset, 3),
        "warcinfo + the first pair"
    );
}
