//! The one-page tools of the `baoluu` binary: `probe`, `extract` (with the selectors it picks)
//! and `check-config --url`. Part of the binary, not the library (declared under src/commands,
//! from src/main.rs only). It never crawls, never writes to the archive and never holds the
//! archive lock: each command reads one page or classifies URLs, prints, and returns its code.

use anyhow::Context;
use baoluu::config::Config;

use super::loading::{config_error, load, load_to_read};
use super::print_stdout;
use crate::cli::exit;

/// `baoluu probe`: a saved page needs no configuration; fetching one needs the configured
/// user agent (an honest one, with a contact).
pub(crate) fn probe(
    config: &std::path::Path,
    file: Option<&std::path::Path>,
    fetch: Option<&url::Url>,
    url: Option<&url::Url>,
    json: bool,
) -> anyhow::Result<u8> {
    if file.is_none() && fetch.is_none() {
        eprintln!("error: give a saved page (FILE, or - for standard input) or --fetch URL");
        return Ok(exit::USAGE);
    }
    let user_agent = match fetch {
        Some(_) => match load(config) {
            Ok(config) => config.crawler.user_agent,
            Err(code) => return Ok(code),
        },
        None => String::new(),
    };
    Ok(baoluu::probe::run_cli(file, fetch, url, json, &user_agent)?)
}

/// The selectors `extract` uses: `--portal`'s, else those of the portal whose hosts hold the
/// URL's host (issue 14); no configuration file at all means the generic extractor, since a
/// saved page needs none. A configuration that exists but is invalid is still an error.
pub(crate) fn extract_selectors(
    config: &std::path::Path,
    portal: Option<&str>,
    url: &url::Url,
) -> Result<Option<baoluu::config::Selectors>, u8> {
    if portal.is_none() && !config.exists() {
        return Ok(None);
    }
    let config = load_to_read(config)?;
    let found = match portal {
        None => baoluu::scope::portal_for(&config.portals, url),
        Some(name) => Some(config.portal(name).ok_or_else(|| {
            config_error(&format!(
                "no portal named `{name}` in {}",
                config.source.display()
            ))
        })?),
    };
    Ok(found.and_then(|p| p.selectors.clone()))
}

/// `check-config --url`: one `URL<TAB>PORTAL<TAB>KIND<TAB>why` line per URL, decided by the
/// crawl's own scope (src/scope.rs); 0, or 2 when a URL does not parse (its line goes to stderr).
pub(crate) fn check_urls(config: &Config, urls: &[String]) -> u8 {
    use baoluu::scope::{Decision, Kind, Reason, Scope};
    let mut code = 0;
    for text in urls {
        let Ok(url) = url::Url::parse(text.trim()) else {
            eprintln!(
                "error: `{text}` is not a URL: write an absolute URL such as https://example.org/"
            );
            code = exit::USAGE;
            continue;
        };
        let Some(portal) = baoluu::scope::portal_for(&config.portals, &url) else {
            print_stdout(&format!(
                "{url}\t-\tout-of-scope\tno portal's hosts hold its host\n"
            ));
            continue;
        };
        let (decision, why) = Scope::new(portal).explain(&url);
        let kind = match decision {
            Decision::In(Kind::Article) => "article",
            Decision::In(Kind::Listing | Kind::Seed) => "listing",
            Decision::Out(Reason::Excluded | Reason::Trap(_)) => "excluded",
            Decision::Out(Reason::Host | Reason::Pattern) => "out-of-scope",
        };
        print_stdout(&format!("{text}\t{}\t{kind}\t{why}\n", portal.name));
    }
    code
}

pub(crate) fn extract(
    file: &std::path::Path,
    url: &url::Url,
    selectors: Option<&baoluu::config::Selectors>,
    content_type: Option<&str>,
    content_encoding: Option<&str>,
) -> anyhow::Result<u8> {
    use std::io::Read as _;
    let mut body = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut body)
            .context("could not read the page from standard input")?;
    } else {
        body = std::fs::read(file).with_context(|| format!("could not read {}", file.display()))?;
    }
    let max = baoluu::extract::MAX_DECODED;
    let article = baoluu::extract::extract_payload(
        &body,
        content_type,
        content_encoding,
        url,
        selectors,
        max,
    )
    .with_context(|| format!("could not decode {}", file.display()))?;
    print_stdout(&format!("{}\n", serde_json::to_string_pretty(&article)?));
    Ok(0)
}
