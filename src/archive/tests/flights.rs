//! The writer thread with its fsyncs behind it (issue 17, `commit`): a capture is written while
//! an earlier flight waits for the disk, and a failed fsync cuts off what was written after
//! the records it covered, answering every job among them with the failure.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::*;
use crate::archive::sink::faults::{Plan, wrap};

/// An indexer that keeps nothing.
struct Nothing;

impl Indexer for Nothing {
    fn committed(&mut self, _: &str, _: Vec<Facts>) {}
    fn closed(&mut self, _: Vec<PathBuf>) {}
}

fn recorder(dir: &Path, plan: &Arc<Plan>) -> Arc<Recorder> {
    let wrapped = (None, wrap(plan.clone()));
    let started = Recorder::start_wrapped(
        dir.to_path_buf(),
        info(),
        1 << 30,
        Box::new(Nothing),
        wrapped,
    );
    Arc::new(started.unwrap())
}

/// Waits (a bounded while) until `done` says so; false if it never did.
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..2000 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    false
}

fn open_len(dir: &Path) -> u64 {
    let paths = crate::archive::paths_in(dir).unwrap();
    paths
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum()
}

#[tokio::test]
async fn a_capture_is_written_while_a_flight_waits_for_the_disk() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Arc::new(Plan::default());
    let recorder = recorder(dir.path(), &plan);
    recorder.record("t", Arc::new(html())).await.unwrap();
    plan.hold_sync.store(true, Ordering::SeqCst);
    let flying = tokio::spawn({
        let recorder = recorder.clone();
        async move { recorder.record("t", Arc::new(cookies())).await }
    });
    assert!(eventually(|| plan.held.load(Ordering::SeqCst) == 1).await);
    // The writer thread does not wait with the flight: a deferred capture is written and
    // answered while the disk still holds the fsync.
    let deferred = recorder.record_deferred("t", Arc::new(gzipped()));
    let answered = tokio::time::timeout(Duration::from_secs(10), deferred).await;
    let (capture, unsynced) = answered.expect("answered while the flight is out").unwrap();
    assert_eq!(
        plan.held.load(Ordering::SeqCst),
        1,
        "the flight is still out"
    );
    assert!(
        !flying.is_finished(),
        "its capture is not answered before its fsync"
    );
    plan.hold_sync.store(false, Ordering::SeqCst);
    flying.await.unwrap().unwrap();
    recorder.settle(unsynced).await.unwrap();
    let recorder = Arc::into_inner(recorder).unwrap();
    let closed = recorder.close().await.unwrap();
    let records = read_all(&closed[0]);
    let responses = records
        .iter()
        .filter(|r| r.record_type() == Some("response"));
    let urls: Vec<&str> = responses
        .filter_map(|r| r.header("WARC-Target-URI"))
        .collect();
    assert_eq!(urls.len(), 3);
    assert_eq!(urls[2], capture.url.as_str());
}

#[tokio::test]
async fn a_failed_fsync_cuts_off_and_fails_what_was_written_while_it_was_out() {
    let dir = tempfile::tempdir().unwrap();
    let plan = Arc::new(Plan::default());
    let recorder = recorder(dir.path(), &plan);
    let kept = recorder.record("t", Arc::new(html())).await.unwrap();
    plan.hold_sync.store(true, Ordering::SeqCst);
    let spawn_record = |ex: Exchange| {
        let recorder = recorder.clone();
        tokio::spawn(async move { recorder.record("t", Arc::new(ex)).await })
    };
    let flying = spawn_record(cookies());
    assert!(eventually(|| plan.held.load(Ordering::SeqCst) == 1).await);
    // Written while the flight is out: a deferred capture, then a capture that waits for
    // the next flight.
    let deferred = recorder.record_deferred("t", Arc::new(gzipped()));
    let answered = tokio::time::timeout(Duration::from_secs(10), deferred).await;
    let (_, unsynced) = answered.expect("answered while the flight is out").unwrap();
    let before = open_len(dir.path());
    let waiting = spawn_record(html());
    assert!(
        eventually(|| open_len(dir.path()) > before).await,
        "written"
    );
    // The flight's fsync fails: its file is cut back to where its records began.
    plan.fail_sync.store(true, Ordering::SeqCst);
    plan.hold_sync.store(false, Ordering::SeqCst);
    for (name, task) in [
        ("the flight's capture", flying),
        ("the waiting one", waiting),
    ] {
        let Err(Error::Io { source, .. }) = task.await.unwrap() else {
            panic!("{name} must fail with the fsync");
        };
        assert_eq!(source.raw_os_error(), Some(libc::EIO), "{name}");
    }
    let lost = recorder.settle(unsynced).await;
    assert!(lost.is_err(), "the deferred capture was cut off too");
    plan.fail_sync.store(false, Ordering::SeqCst);
    let next = recorder.record("t", Arc::new(html())).await.unwrap();
    assert_eq!(
        next.offset,
        kept.offset + faults::kept_pair_len(dir.path(), &kept)
    );
    let recorder = Arc::into_inner(recorder).unwrap();
    let closed = recorder.close().await.unwrap();
    assert_eq!(
        record_types(&closed[0]),
        ["warcinfo", "response", "request", "response", "request"]
    );
}
