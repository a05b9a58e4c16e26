//! Fsyncs of one flight, side by side (issue 17 item 2).
//!
//! A flight of the sync thread (`super::commit`) touches one WARC file per portal and one
//! index file per portal, and each must be durable before anyone is answered. Called one after
//! the other, each `fdatasync` waits for its own journal commit; called at once from several
//! threads, the file system can fold them into one commit (ext4's journal does), so a flight
//! costs about one sync of wall time instead of one per file. The durability order does not
//! change: every WARC sync of a flight finishes before any of its index lines is written. This
//! module only runs the given closure; it never decides what to sync.

use std::sync::Mutex;

/// Runs `f` on every item, the first on this thread and the rest on scoped threads, and
/// returns the results in the items' order. An item whose thread cannot be started runs here,
/// after the others started; a panic in a thread is raised here, as it would be in a loop.
pub(super) fn each<T: Send, R: Send>(items: Vec<T>, f: impl Fn(T) -> R + Sync) -> Vec<R> {
    if items.len() < 2 {
        return items.into_iter().map(&f).collect();
    }
    let slots: Vec<Mutex<Option<T>>> = items.into_iter().map(|i| Mutex::new(Some(i))).collect();
    let (f, slots) = (&f, &slots);
    let take = move |i: usize| -> Option<R> {
        let item = slots[i].lock().ok()?.take()?;
        Some(f(item))
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = (1..slots.len())
            .map(|i| {
                let builder = std::thread::Builder::new().name("warc-sync".into());
                (i, builder.spawn_scoped(scope, move || take(i)).ok())
            })
            .collect();
        let mut results: Vec<Option<R>> = vec![take(0)];
        for (i, handle) in handles {
            let result = match handle.map(|h| h.join()) {
                Some(Ok(result)) => result,
                Some(Err(panic)) => std::panic::resume_unwind(panic),
                None => take(i),
            };
            results.push(result);
        }
        results.into_iter().flatten().collect()
    })
}

#[cfg(test)]
mod tests {
    use super::each;

    #[test]
    fn results_keep_the_items_order_and_run_on_several_threads() {
        let names = each((0..6).collect(), |i: u32| {
            (i * 10, std::thread::current().name().map(str::to_string))
        });
        let values: Vec<u32> = names.iter().map(|(v, _)| *v).collect();
        assert_eq!(values, [0, 10, 20, 30, 40, 50]);
        let on_sync_threads = names
            .iter()
            .filter(|(_, n)| n.as_deref() == Some("warc-sync"))
            .count();
        assert_eq!(
            on_sync_threads, 5,
            "all but the first item on their own thread"
        );
    }

    #[test]
    fn one_item_runs_here() {
        let here = std::thread::current().id();
        assert_eq!(each(vec![1], |_| std::thread::current().id()), [here]);
    }
}
