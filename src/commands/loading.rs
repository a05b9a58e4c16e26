//! Loading the configuration for a command of the `baoluu` binary: with or without the contact
//! check, and an unusable configuration turned into its message and exit code 78. Part of the
//! binary, not the library (declared under src/commands, from src/main.rs only). It never
//! validates anything itself: `baoluu::config` does; this only reports what it found.

use baoluu::config::Config;

use crate::cli::{Cli, Command, exit};

/// The configuration a command needs: commands that never fetch load it without the contact
/// check. Err is the exit code after the error was printed.
pub(crate) fn load_for(cli: &Cli) -> Result<Config, u8> {
    let reading = matches!(
        cli.command,
        Command::Status { .. } | Command::Verify { .. } | Command::Wacz { .. }
    );
    match reading {
        true => load_to_read(&cli.config),
        false => load(&cli.config),
    }
}

/// The configuration, or the exit code after printing why it is unusable.
pub(crate) fn load(path: &std::path::Path) -> Result<Config, u8> {
    Config::load(path).map_err(|err| config_error(&err.to_string()))
}

/// [`load`] for a command that never fetches: a placeholder contact is no error there.
pub(crate) fn load_to_read(path: &std::path::Path) -> Result<Config, u8> {
    Config::load_to_read(path).map_err(|err| config_error(&err.to_string()))
}

pub(crate) fn config_error(message: &str) -> u8 {
    eprintln!("error: configuration: {message}");
    exit::CONFIG
}
