//! Daemon: every portal on its own schedule, for years, unattended (issue 5).
//!
//! Sits above [`crate::crawl`] (docs/architecture.md, `schedule` → `crawl`): one [`Session`] for the
//! life of the process (one archive lock, one WARC writer, one set of per-host gates), and one
//! run per due portal, each its own task, so a slow portal never delays another. When a portal
//! is due comes from its [`Schedule`] and the end of its last completed run, kept in the store:
//! a restart neither runs a portal early nor skips it. The [`Planner`] computes each due time
//! once and keeps it until the run starts, so waking up never moves it (issue 13: a cron
//! portal that never ran would otherwise never fire). The run loop carries a [`Heartbeat`]
//! (busy while it works between waits) and the systemd watchdog pings only while it and the
//! WARC writer's are fresh (`crate::notify`). SIGTERM stops starting runs, cancels the
//! running ones (each drains its in-flight fetches within `grace_period`), logs what is still
//! running every few seconds, closes the WARC files and returns; SIGHUP reloads the portals and
//! their schedules, keeping the old configuration when the new one is invalid.
//! It never fetches or parses anything itself.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::causes::Causes;
use crate::config::{Config, Portal};
use crate::crawl::{self, Session, Summary};
use crate::metrics::{self, Metrics};
use crate::notify::{Heartbeat, Notifier};
use crate::report;
use crate::schedule::{Planner, Schedule};

/// The longest the daemon sleeps before looking at the clock again (a changed clock, a
/// reloaded schedule).
const MAX_SLEEP: Duration = Duration::from_secs(60);
/// How often the drain after SIGTERM says what is still running.
const DRAIN_REPORT: Duration = Duration::from_secs(5);

/// What ended a portal's run task.
type Ended = (String, DateTime<Utc>, Result<Summary, crawl::Error>);

/// A portal with its parsed schedule.
struct Scheduled {
    portal: Portal,
    schedule: Schedule,
}

/// Runs until `stop` fires; `reload` delivers SIGHUPs. Ok after a clean drain. `notifier`
/// tells systemd when the daemon is ready and when it stops (`Type=notify`).
pub async fn run(
    config_path: PathBuf,
    config: Config,
    stop: CancellationToken,
    mut reload: mpsc::Receiver<()>,
    notifier: Notifier,
) -> Result<(), crawl::Error> {
    let session = Arc::new(Session::open(&config)?);
    let heartbeat = Arc::new(Heartbeat::new("daemon-loop"));
    let watchdog = CancellationToken::new();
    let _stop_watchdog = watchdog.clone().drop_guard();
    let mut heartbeats = vec![heartbeat.clone()];
    heartbeats.extend(session.writer_heartbeats());
    notifier.spawn_watchdog(heartbeats, watchdog);
    let metrics = Arc::new(Metrics::new());
    if let Some(addr) = config.crawler.metrics_listen {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| crawl::Error::MetricsListen { addr, source })?;
        tracing::info!(%addr, "metrics_serving");
        let pages = crate::web::Site::new(config.clone()).handler(); // status page, issue 19
        tokio::spawn(metrics::serve_with(
            listener,
            metrics.clone(),
            Some(pages),
            stop.child_token(),
        ));
    }
    let mut daemon = Daemon {
        session,
        config,
        config_path,
        portals: HashMap::new(),
        planner: Planner::new(),
        active: HashMap::new(),
        metrics,
    };
    daemon.portals = schedules(&daemon.config);
    tracing::info!(portals = daemon.portals.len(), "daemon_started");
    notifier.send(&format!(
        "READY=1\nSTATUS=scheduling {} portals",
        daemon.portals.len()
    ));
    let mut runs: JoinSet<Ended> = JoinSet::new();
    let result = loop {
        let busy = heartbeat.busy();
        let wake = match daemon.start_due(&mut runs) {
            Ok(wake) => wake,
            Err(err) => break Err(err),
        };
        // Waiting is idle: the watchdog only worries about work that does not finish.
        drop(busy);
        let event = tokio::select! {
            Some(joined) = runs.join_next() => Event::Ended(Box::new(joined)),
            Some(()) = reload.recv() => Event::Reload,
            _ = tokio::time::sleep(wake) => Event::Wake,
            _ = stop.cancelled() => break Ok(()),
        };
        let _busy = heartbeat.busy();
        match event {
            Event::Ended(joined) => {
                if let Err(err) = daemon.finished(*joined) {
                    break Err(err);
                }
            }
            Event::Reload => {
                notifier.send("RELOADING=1");
                daemon.reload();
                notifier.send("READY=1");
            }
            Event::Wake => {}
        }
    };
    notifier.send("STOPPING=1\nSTATUS=draining in-flight fetches");
    daemon.drain(&mut runs).await;
    let Daemon { session, .. } = daemon;
    match Arc::try_unwrap(session) {
        Ok(session) => session.close().await?,
        Err(_) => tracing::warn!(
            "session_still_shared: WARC files are closed by recovery on the next start"
        ),
    }
    tracing::info!("daemon_stopped");
    result
}

/// What woke the run loop.
enum Event {
    Ended(Box<Result<Ended, tokio::task::JoinError>>),
    Reload,
    Wake,
}

struct Daemon {
    session: Arc<Session>,
    config: Config,
    config_path: PathBuf,
    portals: HashMap<String, Scheduled>,
    /// Each idle portal's due time, kept between wakes.
    planner: Planner,
    /// Running portals and the token that stops each.
    active: HashMap<String, (CancellationToken, DateTime<Utc>)>,
    /// Served on `metrics_listen`, when configured.
    metrics: Arc<Metrics>,
}

impl Daemon {
    /// Starts every due portal that is not running; returns how long to sleep.
    fn start_due(&mut self, runs: &mut JoinSet<Ended>) -> Result<Duration, crawl::Error> {
        let now = Utc::now();
        let mut wake = MAX_SLEEP;
        let names: Vec<String> = self.portals.keys().cloned().collect();
        for name in names {
            if self.active.contains_key(&name) {
                continue;
            }
            let due = self.due(&name, now)?;
            if due <= now {
                self.start(&name, now, runs)?;
            } else {
                wake = wake.min((due - now).to_std().unwrap_or(Duration::ZERO));
            }
        }
        Ok(wake.max(Duration::from_millis(10)))
    }

    fn due(&mut self, name: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, crawl::Error> {
        let last = self.session.store().last_run(name)?;
        let scheduled = &self.portals[name];
        Ok(self.planner.due(name, &scheduled.schedule, &last, now))
    }

    fn start(
        &mut self,
        name: &str,
        now: DateTime<Utc>,
        runs: &mut JoinSet<Ended>,
    ) -> Result<(), crawl::Error> {
        let portal = self.portals[name].portal.clone();
        self.session.store().run_started(name, now)?;
        self.planner.started(name);
        let token = CancellationToken::new();
        self.active.insert(name.to_string(), (token.clone(), now));
        let session = self.session.clone();
        let name = name.to_string();
        tracing::info!(portal = %name, "portal_run_started");
        let observer = live_metrics(self.metrics.clone(), name.clone());
        runs.spawn(async move {
            let result = session
                .run(
                    std::slice::from_ref(&portal),
                    crawl::Options::default(),
                    token,
                    Some(observer),
                )
                .await;
            (name, Utc::now(), result)
        });
        Ok(())
    }

    /// Records how a run ended. An archive or store failure ends the daemon (exit 1, so the
    /// service manager can restart it); per-URL trouble never gets here.
    fn finished(
        &mut self,
        joined: Result<Ended, tokio::task::JoinError>,
    ) -> Result<(), crawl::Error> {
        let (name, at, result) = match joined {
            Ok(ended) => ended,
            Err(err) => {
                tracing::error!(error = %err, "portal_run_aborted");
                return Ok(());
            }
        };
        let started = self.active.remove(&name).map_or(at, |(_, started)| started);
        match result {
            Ok(summary) => {
                let status = if summary.interrupted {
                    "interrupted"
                } else {
                    "completed"
                };
                tracing::info!(portal = %name, status, summary = %summary, "portal_run_ended");
                self.session.store().run_ended(&name, at, status)?;
                self.metrics.set_last_run(&name, at.timestamp());
                let dir = &self.config.crawler.archive_dir;
                let portals = vec![name.clone()];
                if let Err(err) = report::record_run(dir, portals, (started, at), &summary) {
                    tracing::warn!(portal = %name, error = %Causes(&err), "run_report_failed");
                }
                // The disk guard stopped it: restarting at once would only stop again.
                match summary.stopped_by {
                    Some(reason) => Err(crawl::Error::DiskGuard(reason)),
                    None => Ok(()),
                }
            }
            Err(err) => {
                tracing::error!(portal = %name, error = %Causes(&err), "portal_run_failed");
                self.session.store().run_ended(&name, at, "failed")?;
                Err(err)
            }
        }
    }

    /// SIGHUP: a valid new configuration replaces the portals and schedules (running portals
    /// finish under the old definition); an invalid one is rejected and the old one kept.
    fn reload(&mut self) {
        let config = match Config::load(&self.config_path) {
            // The instance keeps its `--shard` share across reloads (issue 18).
            Ok(mut config) => {
                config.keep_shard(self.config.shard);
                config
            }
            Err(err) => {
                tracing::error!(error = %err, "config_reload_rejected: keeping the running configuration");
                return;
            }
        };
        // The session (lock, WARC writer, store) lives in archive_dir: moving it needs a
        // restart, and a half-moved archive (reports here, WARCs there) is worse than none
        // (issue 13, item 7).
        if config.crawler.archive_dir != self.config.crawler.archive_dir {
            tracing::error!(
                old = %self.config.crawler.archive_dir.display(),
                new = %config.crawler.archive_dir.display(),
                "config_reload_rejected: archive_dir changed; restart the daemon to move the archive, keeping the running configuration"
            );
            return;
        }
        if format!("{:?}", config.crawler) != format!("{:?}", self.config.crawler) {
            tracing::warn!(
                "config_reload_partial: [crawler] settings take effect at the next start"
            );
        }
        if let Err(err) = self.session.reconfigure(&config) {
            tracing::error!(error = %err, "config_reload_rejected: keeping the running configuration");
            return;
        }
        self.portals = schedules(&config);
        let portals = &self.portals;
        self.planner.retain(|name| portals.contains_key(name));
        self.config = config;
        tracing::info!(portals = self.portals.len(), "config_reloaded");
    }

    /// Stops every run and waits for them; each drains within `grace_period` itself, and the
    /// daemon gives up a little after that.
    async fn drain(&mut self, runs: &mut JoinSet<Ended>) {
        for (token, _) in self.active.values() {
            token.cancel();
        }
        let deadline =
            tokio::time::Instant::now() + self.config.crawler.grace_period + DRAIN_REPORT;
        while !runs.is_empty() {
            let names: Vec<&String> = self.active.keys().collect();
            tracing::info!(running = ?names, "draining");
            let wait =
                DRAIN_REPORT.min(deadline.saturating_duration_since(tokio::time::Instant::now()));
            match tokio::time::timeout(wait, runs.join_next()).await {
                Ok(Some(joined)) => {
                    if let Err(err) = self.finished(joined) {
                        tracing::error!(error = %Causes(&err), "portal_run_failed_while_draining");
                    }
                }
                Ok(None) => break,
                Err(_) if tokio::time::Instant::now() >= deadline => {
                    tracing::warn!(abandoned = runs.len(), "drain_deadline_passed");
                    runs.abort_all();
                    break;
                }
                Err(_) => {}
            }
        }
    }
}

/// Feeds a run's running totals into the Prometheus counters as they grow (one finished URL
/// per call), and `portal`'s queue size.
fn live_metrics(metrics: Arc<Metrics>, portal: String) -> crawl::Observer {
    let seen = std::sync::Mutex::new(Summary::default());
    Box::new(move |now: &Summary| {
        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        metrics.set_queue(&portal, now.queued);
        for (host, count) in &now.backoffs {
            for _ in seen.backoffs.get(host).copied().unwrap_or(0)..*count {
                metrics.record_backoff(host);
            }
        }
        for (name, stats) in &now.portals {
            let before = seen.portals.get(name).cloned().unwrap_or_default();
            for ((change, n), (_, was)) in stats.changes().iter().zip(before.changes()) {
                if *n > was {
                    metrics.record_changes(name, change, n - was);
                }
            }
        }
        let mut bytes = now.bytes.saturating_sub(seen.bytes);
        let mut record =
            |failure: Option<&str>| metrics.record_fetch(failure, std::mem::take(&mut bytes));
        for _ in seen.archived..now.archived {
            record(None);
        }
        for (reason, count) in &now.failed {
            for _ in seen.failed.get(reason).copied().unwrap_or(0)..*count {
                record(Some(reason));
            }
        }
        *seen = Summary {
            archived: now.archived,
            bytes: now.bytes,
            failed: now.failed.clone(),
            backoffs: now.backoffs.clone(),
            portals: now.portals.clone(),
            ..Summary::default()
        };
    })
}

/// Every portal with its parsed schedule (config validation already parsed each one).
fn schedules(config: &Config) -> HashMap<String, Scheduled> {
    let mut portals = HashMap::new();
    for portal in &config.portals {
        match Schedule::parse(&portal.schedule) {
            Ok(schedule) => {
                portals.insert(
                    portal.name.clone(),
                    Scheduled {
                        portal: portal.clone(),
                        schedule,
                    },
                );
            }
            Err(err) => tracing::error!(portal = %portal.name, error = %err, "schedule_invalid"),
        }
    }
    portals
}
