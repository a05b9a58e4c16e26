//! sd_notify for `baoluu daemon` under systemd `Type=notify` (issue 5, part 3): `READY=1` once
//! the session is open (archive locked and repaired, store migrated), `STATUS=` lines, and
//! `STOPPING=1` when a signal starts the drain; `WATCHDOG=1` every half `WATCHDOG_USEC` when
//! the unit sets `WatchdogSec=`. The protocol is one datagram per message to the `AF_UNIX`
//! socket named by `$NOTIFY_SOCKET` (a path, or `@name` for the abstract namespace), see
//! sd_notify(3). Without that variable every call does nothing, so the daemon runs the same
//! outside systemd. It never decides anything about crawling.

use std::os::unix::net::UnixDatagram;
use std::time::Duration;

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

    /// Pings the watchdog every half interval until `stop`, when the unit asked for one.
    pub fn spawn_watchdog(&self, stop: CancellationToken) {
        let Some(interval) = self.watchdog else {
            return;
        };
        let notifier = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval / 2);
            loop {
                tokio::select! {
                    _ = tick.tick() => notifier.send("WATCHDOG=1"),
                    _ = stop.cancelled() => return,
                }
            }
        });
    }
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

    #[tokio::test(start_paused = true)]
    async fn the_watchdog_pings_at_half_the_interval() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let server = UnixDatagram::bind(&path).unwrap();
        server.set_nonblocking(true).unwrap();
        let notifier = Notifier {
            socket: Some(path.to_string_lossy().into_owned()),
            watchdog: Some(Duration::from_secs(10)),
        };
        let stop = CancellationToken::new();
        notifier.spawn_watchdog(stop.clone());
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
}
