//! sd_notify for `baoluu daemon` under systemd `Type=notify` (issue 5, part 3): `READY=1` once
//! the session is open (archive locked and repaired, store migrated), `STATUS=` lines, and
//! `STOPPING=1` when a signal starts the drain. The protocol is one datagram per message to the
//! `AF_UNIX` socket named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace),
//! see sd_notify(3). Without that variable every call does nothing, so the daemon runs the same
//! outside systemd. It never decides anything about crawling.
//!
//! # Watchdog and heartbeats (issue 13)
//! When the unit sets `WatchdogSec=`, `WATCHDOG=1` is sent every half `WATCHDOG_USEC`, but only
//! while every [`Heartbeat`] is fresh, so a daemon wedged on a hung disk stops saying it is
//! alive and systemd restarts it. A heartbeat belongs to one worker that can get stuck in a
//! blocking call: the daemon's run loop (store reads and writes between waits), the WARC
//! writer thread (writes, CDXJ indexing) and its sync thread (fsyncs, index lines). A worker
//! marks itself busy when it takes up a piece of work and idle when it is done; waiting for
//! work (the loop in its `select!`, the writer on its empty channel, the sync thread between
//! flights) is idle, and idle is always fresh. **The rule:** a heartbeat is
//! fresh while its current piece of work is younger than half the watchdog interval
//! ([`stale`]). So a worker stuck in a write stops the pings at most half an interval after it
//! got stuck, and systemd, which waits a full interval after the last ping, acts within about
//! 1.5 `WatchdogSec` of the hang. A slow but moving writer (each batch finishes) never stops
//! them; the shipped unit's `WatchdogSec=5min` leaves 2.5 minutes per batch.
//!
//! Test hook: `BAOLUU_TEST_STALL_WRITER=<path>` makes the WARC writer thread wait before each
//! batch for as long as a file exists at `<path>`, as a thread blocked on a hung disk would
//! (see `archive::recorder`); the daemon tests use it to see the pings stop and resume.

use std::os::unix::net::UnixDatagram;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// Where notifications go: read once from the environment by the caller and passed in, so
/// nothing here is global.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    socket: Option<String>,
    watchdog: Option<Duration>,
}

impl Notifier {
    /// From `$NOTIFY_SOCKET` and `$WATCHDOG_USEC` (a watchdog meant for another process, per
    /// `$WATCHDOG_PID`, is ignored).
    pub fn from_env() -> Notifier {
        let socket = std::env::var("NOTIFY_SOCKET")
            .ok()
            .filter(|s| !s.is_empty());
        let for_us = std::env::var("WATCHDOG_PID")
            .map(|pid| pid.trim() == std::process::id().to_string())
            .unwrap_or(true);
        let watchdog = std::env::var("WATCHDOG_USEC")
            .ok()
            .and_then(|usec| usec.trim().parse::<u64>().ok())
            .filter(|usec| *usec > 0 && for_us)
            .map(Duration::from_micros);
        Notifier { socket, watchdog }
    }

    /// Sends `state` (newline-separated `KEY=value` pairs). Failures are logged, never fatal:
    /// a lost notification is systemd's timeout to handle, not a reason to stop archiving.
    pub fn send(&self, state: &str) {
        let Some(socket) = &self.socket else { return };
        if let Err(err) = send_to(socket, state) {
            tracing::warn!(error = %err, socket = %socket, "sd_notify_failed");
        }
    }

    /// Pings the watchdog every half interval until `stop`, when the unit asked for one, while
    /// every heartbeat is fresh (module documentation).
    pub fn spawn_watchdog(&self, heartbeats: Vec<Arc<Heartbeat>>, stop: CancellationToken) {
        let Some(interval) = self.watchdog else {
            return;
        };
        let notifier = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval / 2);
            let mut withheld = false;
            loop {
                tokio::select! {
                    _ = tick.tick() => {
                        let stuck = stale(&heartbeats, interval / 2, Instant::now());
                        withheld = notifier.watchdog_tick(stuck, withheld);
                    }
                    _ = stop.cancelled() => return,
                }
            }
        });
    }

    /// One watchdog tick: a ping when nothing is `stuck`, else a warning (once per stall).
    /// Returns whether the ping was withheld.
    fn watchdog_tick(&self, stuck: Option<(&'static str, Duration)>, withheld: bool) -> bool {
        match stuck {
            None => {
                if withheld {
                    tracing::info!("watchdog_resumed");
                }
                self.send("WATCHDOG=1");
                false
            }
            Some((worker, age)) => {
                if !withheld {
                    tracing::warn!(worker, busy_for = ?age, "watchdog_withheld: a worker is stuck");
                }
                true
            }
        }
    }
}

/// One worker's sign of life: when its current piece of work began, or idle. Shared between
/// the worker (any thread) and the watchdog task; lock-free.
#[derive(Debug)]
pub struct Heartbeat {
    worker: &'static str,
    origin: Instant,
    /// Nanoseconds from `origin` to the start of the current work, plus one; 0 while idle.
    busy_since: AtomicU64,
}

impl Heartbeat {
    /// An idle heartbeat for `worker` (its name in the watchdog's warning).
    pub fn new(worker: &'static str) -> Heartbeat {
        Heartbeat {
            worker,
            origin: Instant::now(),
            busy_since: AtomicU64::new(0),
        }
    }

    /// Marks the start of a piece of work now; the guard marks the worker idle when dropped.
    pub fn busy(&self) -> Busy<'_> {
        self.busy_at(Instant::now());
        Busy(self)
    }

    /// Marks the start of a piece of work at `at` (tests drive the clock through this).
    pub fn busy_at(&self, at: Instant) {
        let nanos = at.saturating_duration_since(self.origin).as_nanos();
        let stamp = u64::try_from(nanos).unwrap_or(u64::MAX - 1) + 1;
        self.busy_since.store(stamp, Ordering::Release);
    }

    /// The worker is waiting for work again.
    pub fn idle(&self) {
        self.busy_since.store(0, Ordering::Release);
    }

    /// How long the current piece of work has been going at `now`; zero while idle.
    pub fn age_at(&self, now: Instant) -> Duration {
        match self.busy_since.load(Ordering::Acquire) {
            0 => Duration::ZERO,
            stamp => {
                let since = self.origin + Duration::from_nanos(stamp - 1);
                now.saturating_duration_since(since)
            }
        }
    }
}

/// Marks its heartbeat idle when dropped (also on an early return or a panic).
pub struct Busy<'a>(&'a Heartbeat);

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.0.idle();
    }
}

/// The freshness rule: the first heartbeat whose current work is `limit` old or older at `now`
/// (its worker's name and that age), or `None` when all are fresh.
pub fn stale(
    heartbeats: &[Arc<Heartbeat>],
    limit: Duration,
    now: Instant,
) -> Option<(&'static str, Duration)> {
    heartbeats
        .iter()
        .map(|h| (h.worker, h.age_at(now)))
        .find(|(_, age)| *age >= limit)
}

fn send_to(socket: &str, state: &str) -> std::io::Result<()> {
    let datagram = UnixDatagram::unbound()?;
    match socket.strip_prefix('@') {
        Some(name) => {
            use std::os::linux::net::SocketAddrExt;
            let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())?;
            datagram.send_to_addr(state.as_bytes(), &addr)?;
        }
        None => {
            datagram.send_to(state.as_bytes(), socket)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_reach_a_path_socket_and_nothing_happens_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let server = UnixDatagram::bind(&path).unwrap();
        let notifier = Notifier {
            socket: Some(path.to_string_lossy().into_owned()),
            watchdog: None,
        };
        notifier.send("READY=1\nSTATUS=crawling");
        let mut buf = [0u8; 64];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1\nSTATUS=crawling");
        Notifier::default().send("READY=1");
    }

    #[test]
    fn abstract_sockets_are_reached_by_their_at_name() {
        use std::os::linux::net::SocketAddrExt;
        let name = format!("baoluu-test-{}", std::process::id());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let server = UnixDatagram::bind_addr(&addr).unwrap();
        send_to(&format!("@{name}"), "STOPPING=1").unwrap();
        let mut buf = [0u8; 16];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"STOPPING=1");
    }

    /// A notifier with a watchdog of `interval`, and the socket that receives its datagrams.
    fn watched(interval: Duration) -> (tempfile::TempDir, UnixDatagram, Notifier) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let server = UnixDatagram::bind(&path).unwrap();
        server.set_nonblocking(true).unwrap();
        let notifier = Notifier {
            socket: Some(path.to_string_lossy().into_owned()),
            watchdog: Some(interval),
        };
        (dir, server, notifier)
    }

    #[tokio::test(start_paused = true)]
    async fn the_watchdog_pings_at_half_the_interval() {
        let (_dir, server, notifier) = watched(Duration::from_secs(10));
        let stop = CancellationToken::new();
        notifier.spawn_watchdog(vec![Arc::new(Heartbeat::new("loop"))], stop.clone());
        tokio::time::sleep(Duration::from_millis(10_500)).await;
        stop.cancel();
        let mut pings = 0;
        let mut buf = [0u8; 16];
        while let Ok(n) = server.recv(&mut buf) {
            assert_eq!(&buf[..n], b"WATCHDOG=1");
            pings += 1;
        }
        assert_eq!(pings, 3, "at 0 s, 5 s and 10 s");
    }

    #[test]
    fn a_heartbeat_is_fresh_while_idle_or_busy_for_less_than_the_limit() {
        let limit = Duration::from_secs(5);
        let writer = Arc::new(Heartbeat::new("writer"));
        let looping = Arc::new(Heartbeat::new("loop"));
        let both = [looping.clone(), writer.clone()];
        let t0 = Instant::now();
        // Idle for an hour is fresh: waiting for work is not being stuck.
        assert_eq!(stale(&both, limit, t0 + Duration::from_secs(3600)), None);
        writer.busy_at(t0);
        assert_eq!(stale(&both, limit, t0 + Duration::from_millis(4_999)), None);
        assert_eq!(
            stale(&both, limit, t0 + limit),
            Some(("writer", limit)),
            "a write as old as the limit is stuck"
        );
        // The write completed: fresh again at once, however long it took.
        writer.idle();
        assert_eq!(stale(&both, limit, t0 + Duration::from_secs(60)), None);
        // A guard marks idle when dropped.
        {
            let _busy = looping.busy();
            let later = Instant::now() + Duration::from_secs(6);
            assert_eq!(stale(&both, limit, later).map(|(w, _)| w), Some("loop"));
        }
        assert_eq!(stale(&both, limit, Instant::now() + limit), None);
    }

    #[test]
    fn a_tick_pings_only_when_nothing_is_stuck() {
        let (_dir, server, notifier) = watched(Duration::from_secs(10));
        let writer = Arc::new(Heartbeat::new("writer"));
        writer.busy_at(Instant::now());
        let later = Instant::now() + Duration::from_secs(6);
        let stuck = stale(std::slice::from_ref(&writer), Duration::from_secs(5), later);
        assert_eq!(stuck.map(|(w, _)| w), Some("writer"));
        assert!(!notifier.watchdog_tick(None, true), "a fresh tick pings");
        assert!(
            notifier.watchdog_tick(stuck, false),
            "a stale tick does not"
        );
        let mut buf = [0u8; 16];
        let n = server.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
        assert!(server.recv(&mut buf).is_err(), "only one ping");
    }
}
