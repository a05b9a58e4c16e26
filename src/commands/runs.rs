//! The commands of the `baoluu` binary that fetch and archive: `save`, `crawl`, `daemon` and
//! `demo`, with what they share: SIGINT/SIGTERM as cancellation (a second signal exits at once),
//! SIGHUP as a reload, and a full disk as a resumable stop (exit 75). Part of the binary, not
//! the library (declared under src/commands, from src/main.rs only). It never holds crawl
//! logic: it starts `baoluu::crawl`, `baoluu::daemon` and the uploads, then turns their
//! results into output and exit codes.

use std::path::PathBuf;

use anyhow::Context;
use baoluu::config::Config;
use baoluu::notify::Notifier;
use baoluu::report;
use indicatif::ProgressBar;
use tokio_util::sync::CancellationToken;

use super::print_stdout;
use crate::cli::exit;

pub(crate) async fn save(config: Config, urls: Vec<String>) -> anyhow::Result<u8> {
    let cancel = watch_signals();
    let report = match baoluu::save::save(&config, &urls, cancel.clone()).await {
        Ok(report) => report,
        Err(err) if err.is_disk_full() => return Ok(disk_full(&err)),
        Err(err) => return Err(err).context("save failed"),
    };
    for line in &report.lines {
        print_stdout(&format!("{line}\n"));
    }
    Ok(if cancel.is_cancelled() {
        exit::STOPPED
    } else {
        0
    })
}

pub(crate) async fn crawl(
    config: Config,
    portals: Vec<String>,
    options: baoluu::crawl::Options,
    progress: Option<ProgressBar>,
) -> anyhow::Result<u8> {
    if let Some(unknown) = portals.iter().find(|name| config.portal(name).is_none()) {
        eprintln!(
            "error: configuration: no portal named `{unknown}` in {}",
            config.source.display()
        );
        return Ok(exit::CONFIG);
    }
    let cancel = watch_signals();
    let observer = progress.clone().map(|bar| -> baoluu::crawl::Observer {
        Box::new(move |s| {
            bar.set_message(format!(
                "{} fetched, {} archived, {} indexed, {} bytes",
                s.fetched, s.archived, s.indexed, s.bytes
            ))
        })
    });
    let started = chrono::Utc::now();
    let uploads = baoluu::storage::UploadTask::start(&config)
        .context("could not start uploading to the bucket")?;
    let summary =
        match baoluu::crawl::crawl(&config, &portals, options, cancel.clone(), observer).await {
            Ok(summary) => summary,
            Err(err) if err.is_disk_full() => return Ok(disk_full(&err)),
            Err(err) => return Err(err).context("crawl failed"),
        };
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    eprintln!("{summary}");
    let names = match portals.is_empty() {
        true => config.portals.iter().map(|p| p.name.clone()).collect(),
        false => portals,
    };
    let times = (started, chrono::Utc::now());
    report::record_run(&config.crawler.archive_dir, names, times, &summary)
        .context("could not write the run report")?;
    // Pending uploads never change the exit code: they go with the next run (issue 18).
    match summary.interrupted {
        true => uploads.stop().await,
        false => uploads.finish(None).await,
    }
    Ok(if summary.interrupted {
        exit::STOPPED
    } else {
        0
    })
}

/// `baoluu demo`: Ctrl-C ends it cleanly (exit 0), the archive stays.
pub(crate) async fn demo(archive: Option<PathBuf>) -> anyhow::Result<u8> {
    let stop = watch_signals();
    let say = |line: &str| print_stdout(&format!("{line}\n"));
    baoluu::demo::run(archive, stop, &say)
        .await
        .context("the demo stopped")?;
    Ok(0)
}

pub(crate) async fn daemon(path: PathBuf, config: Config) -> anyhow::Result<u8> {
    let stop = watch_signals();
    let (reload_tx, reload) = tokio::sync::mpsc::channel(1);
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            return;
        };
        while hup.recv().await.is_some() {
            tracing::info!("sighup_received: reloading the configuration");
            let _ = reload_tx.try_send(());
        }
    });
    let uploads = baoluu::storage::UploadTask::start(&config)
        .context("could not start uploading to the bucket")?;
    let grace = config.crawler.grace_period;
    let ran = baoluu::daemon::run(path, config, stop, reload, Notifier::from_env()).await;
    // A daemon that failed (another one holds the archive lock, a full disk) does not drain:
    // the uploads stay queued for the process that owns the archive.
    match ran.is_ok() {
        true => uploads.finish(Some(grace)).await,
        false => uploads.stop().await,
    }
    match ran {
        Ok(()) => Ok(0),
        Err(err) if err.is_disk_full() => Ok(disk_full(&err)),
        Err(err) => Err(err).context("the daemon stopped"),
    }
}

/// A full disk stops the work early but resumably: what is written stays valid (a torn last
/// record is trimmed on the next start) and the next run continues (issue 7).
fn disk_full(err: &baoluu::crawl::Error) -> u8 {
    eprintln!(
        "error: the disk under the archive is full ({err}); free some space and run again: the crawl resumes where it stopped"
    );
    exit::STOPPED
}

/// SIGINT/SIGTERM cancel the token (stop the head, drain the tail: docs/architecture.md rule 5); a second
/// signal exits at once.
fn watch_signals() -> CancellationToken {
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    tokio::spawn(async move {
        let mut signals = 0;
        loop {
            if wait_for_signal().await.is_err() {
                return;
            }
            signals += 1;
            if signals > 1 {
                eprintln!("second signal: exiting now");
                std::process::exit(i32::from(exit::STOPPED));
            }
            tracing::warn!(
                "signal_received: finishing in-flight fetches, then stopping (send again to exit now)"
            );
            token.cancel();
        }
    });
    cancel
}

async fn wait_for_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    tokio::select! {
        _ = term.recv() => Ok(()),
        _ = int.recv() => Ok(()),
    }
}
