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

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("could not start the async runtime")
}
