//! The `baoluu` command line: parse arguments, set up tracing, dispatch to the command and turn
//! errors into exit codes (docs/configuration.md). The binary's own modules, declared here and
//! never from src/lib.rs: `cli` (the clap types, exit codes), `logging` (tracing, the progress
//! spinner) and `commands` (the command bodies, signals as cancellation). anyhow lives only in
//! the binary; no crawl logic does.

// Small functions (issue 16): clippy.toml sets the threshold at 80 lines.
#![warn(clippy::too_many_lines)]

mod cli;
mod commands;
mod logging;

use std::process::ExitCode;

use clap::Parser;
use indicatif::ProgressBar;

use cli::{Cli, Command, exit};
use commands::loading::load_for;
use commands::{print_stdout, reading, runs, runtime, tools};
use logging::{init_tracing, progress_bar};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let progress = progress_bar(&cli);
    init_tracing(cli.log_format, progress.clone());
    match run(cli, progress) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit::FATAL)
        }
    }
}

/// The commands that need no validated configuration (a saved page, a demo, an archive to
/// verify); `None` for the others.
fn run_without_config(cli: &Cli) -> Option<anyhow::Result<u8>> {
    if let Command::Extract {
        portal,
        url,
        content_type,
        content_encoding,
        file,
    } = &cli.command
    {
        let selectors = match tools::extract_selectors(&cli.config, portal.as_deref(), url) {
            Ok(selectors) => selectors,
            Err(code) => return Some(Ok(code)),
        };
        return Some(tools::extract(
            file,
            url,
            selectors.as_ref(),
            content_type.as_deref(),
            content_encoding.as_deref(),
        ));
    }
    if let Command::Probe {
        file,
        fetch,
        url,
        json,
    } = &cli.command
    {
        return Some(tools::probe(
            &cli.config,
            file.as_deref(),
            fetch.as_ref(),
            url.as_ref(),
            *json,
        ));
    }
    if let Command::Demo { archive } = &cli.command {
        return Some(runtime().and_then(|rt| rt.block_on(runs::demo(archive.clone()))));
    }
    if let Command::Verify {
        wacz: Some(file), ..
    } = &cli.command
    {
        return Some(baoluu::verify::run_cli_wacz(file).map_err(Into::into));
    }
    if let Command::Verify {
        archive_dir: Some(dir),
        ..
    } = &cli.command
    {
        return Some(baoluu::verify::run_cli(dir).map_err(Into::into));
    }
    None
}

fn run(cli: Cli, progress: Option<ProgressBar>) -> anyhow::Result<u8> {
    if let Some(done) = run_without_config(&cli) {
        return done;
    }
    let config = match load_for(&cli) {
        Ok(config) => config,
        Err(code) => return Ok(code),
    };
    match cli.command {
        Command::CheckConfig { urls } if urls.is_empty() => {
            print_stdout(&config.describe());
            Ok(0)
        }
        Command::CheckConfig { urls } => Ok(tools::check_urls(&config, &urls)),
        Command::Save { urls } => runtime()?.block_on(runs::save(config, urls)),
        Command::Crawl {
            portals,
            backfill,
            shard,
        } => {
            let options = baoluu::crawl::Options { backfill };
            let mut config = config;
            config.keep_shard(shard);
            runtime()?.block_on(runs::crawl(config, portals, options, progress))
        }
        Command::Status { json } => reading::status(&config, json),
        Command::Daemon { shard } => {
            let mut config = config;
            config.keep_shard(shard);
            runtime()?.block_on(runs::daemon(cli.config, config))
        }
        Command::Verify { remote: true, .. } => {
            Ok(runtime()?.block_on(baoluu::storage::fixity::run_cli(&config))?)
        }
        Command::Verify { .. } => reading::verify(&config),
        Command::Wacz {
            portal,
            since,
            out,
            from_storage,
        } => {
            let select = baoluu::wacz::Selection { portal, since };
            reading::wacz(&config, &out, select, from_storage)
        }
        Command::Changes {
            portal,
            since,
            json,
        } => reading::changes(&config, portal, since, json),
        Command::Extract { .. } | Command::Probe { .. } | Command::Demo { .. } => Ok(0),
    }
}
