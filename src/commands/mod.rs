//! The bodies of the `baoluu` binary's commands, grouped by what they touch: one page
//! ([`tools`]), fetching runs ([`runs`]), what runs left behind ([`reading`]), and the
//! configuration they load ([`loading`]); here, what they all share. Part of the binary, not the
//! library (declared from src/main.rs only). It never parses arguments (src/cli.rs does) and
//! never holds crawl logic (the library does): it calls the library and returns exit codes.

pub(crate) mod loading;
pub(crate) mod reading;
pub(crate) mod runs;
pub(crate) mod tools;

use anyhow::Context;

/// Writes to standard output; a reader that went away (`| head`) is not an error of ours.
pub(crate) fn print_stdout(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The async runtime of every command. Its blocking pool (page reading, record compression)
/// is held to twice the cores, at least 8: the work there is CPU-bound, and each extra thread
/// costs a malloc arena of its own (issue 17: 16 tasks in flight grew 20+ threads and 13 MB
/// more peak RSS, for no more pages per second).
pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(blocking_threads())
        .enable_all()
        .build()
        .context("could not start the async runtime")
}

/// Most threads the blocking pool runs at once: twice the cores, at least 8.
fn blocking_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
    (cores * 2).max(8)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Twice as many blocking tasks as the cap, each holding its thread a while: the pool runs
    /// as many at once as the cap and never more (tokio's own default is 512).
    #[test]
    fn the_blocking_pool_runs_at_most_its_cap_at_once() {
        let runtime = super::runtime().unwrap();
        let cap = super::blocking_threads();
        let (running, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        runtime.block_on(async {
            let tasks: Vec<_> = (0..cap * 2)
                .map(|_| {
                    let (running, peak) = (running.clone(), peak.clone());
                    tokio::task::spawn_blocking(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(200));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                })
                .collect();
            for task in tasks {
                task.await.unwrap();
            }
        });
        assert_eq!(peak.load(Ordering::SeqCst), cap);
    }
}
