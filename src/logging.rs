//! Logging for the `baoluu` binary: the tracing subscriber (text or JSON on stderr, filtered by
//! `RUST_LOG`) and `crawl`'s progress spinner, which log lines lift out of the way. Part of the
//! binary, not the library (declared from src/main.rs only). It never decides what is logged:
//! the library's `tracing` events do; this only says where and how they are written.

use indicatif::ProgressBar;

use crate::cli::{Cli, Command, LogFormat};

/// A spinner with running totals for `crawl` on a terminal; None elsewhere (journald, pipes).
pub(crate) fn progress_bar(cli: &Cli) -> Option<ProgressBar> {
    use std::io::IsTerminal as _;
    let wanted =
        matches!(cli.command, Command::Crawl { .. }) && matches!(cli.log_format, LogFormat::Text);
    if !wanted || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new_spinner();
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    Some(bar)
}

pub(crate) fn init_tracing(format: LogFormat, progress: Option<ProgressBar>) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(LogWriter { progress });
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Writes log lines to stderr, lifting the progress bar out of the way while it does.
#[derive(Clone)]
struct LogWriter {
    progress: Option<ProgressBar>,
}

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &self.progress {
            Some(bar) => bar.suspend(|| std::io::stderr().write(buf)),
            None => std::io::stderr().write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> LogWriter {
        self.clone()
    }
}
