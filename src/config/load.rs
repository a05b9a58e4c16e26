//! Reading the configuration: the main file, then every file its `crawler.portals` globs name.
//!
//! The entry of the `config` stage. For each file it runs phase one (the raw serde mirror) and
//! phase two (`validate`), then checks what spans portals: names are unique across all files and
//! `merged_into` names a configured portal. Never touches the network.

use std::path::{Path, PathBuf};

use super::document::{Document, portal_key};
use super::raw::{MainFile, PortalFile, RawPortal, Text};
use super::{Config, Error, Portal, contact, storage, validate};

/// A validated portal and where it was written, for the checks across portals.
struct Site {
    portal: Portal,
    file: PathBuf,
    key: String,
    name_line: usize,
    merged_line: usize,
}

/// Reads and validates the main file and the portal files its globs match; `contact` is the
/// operator's `BAOLUU_CONTACT` (applied, and placeholders refused when `fetching`, by
/// `contact::settle`).
pub fn load(path: &Path, contact: Option<&str>, fetching: bool) -> Result<Config, Error> {
    let main = Document::read(path)?;
    let raw: MainFile = main.parse()?;
    let mut crawler = validate::crawler(&main, raw.crawler.get_ref())?;
    let mut sites = Vec::new();
    collect(&main, &raw.portal, &mut sites)?;
    for file in portal_files(&main, &raw.crawler.get_ref().portals)? {
        let doc = Document::read(&file)?;
        let raw: PortalFile = doc.parse()?;
        collect(&doc, &raw.portal, &mut sites)?;
    }
    check_unique_names(&sites)?;
    check_merged_into(&sites)?;
    let portals: Vec<Portal> = sites.into_iter().map(|s| s.portal).collect();
    contact::settle(
        &main,
        raw.crawler.get_ref(),
        &mut crawler,
        &portals,
        contact,
        fetching,
    )?;
    let storage = (raw.storage.as_ref())
        .map(|s| storage::storage(&main, s, fetching))
        .transpose()?;
    Ok(Config {
        source: path.to_path_buf(),
        crawler,
        portals,
        storage,
        shard: None,
    })
}

fn collect(
    doc: &Document,
    raws: &[toml::Spanned<RawPortal>],
    sites: &mut Vec<Site>,
) -> Result<(), Error> {
    for (index, spanned) in raws.iter().enumerate() {
        let portal = validate::portal(doc, index, spanned)?;
        let raw = spanned.get_ref();
        let merged_at = raw
            .merged_into
            .as_ref()
            .map_or(raw.name.span().start, |m| m.span().start);
        sites.push(Site {
            key: portal_key(index, Some(&portal.name)),
            portal,
            file: doc.path.clone(),
            name_line: doc.line_at(raw.name.span().start),
            merged_line: doc.line_at(merged_at),
        });
    }
    Ok(())
}

/// The files the `crawler.portals` globs match, relative to the main file's folder, each glob's
/// matches sorted. A glob that matches nothing is fine (a fresh install may have no portal files
/// yet); the main file itself is skipped should a glob match it.
fn portal_files(main: &Document, globs: &[Text]) -> Result<Vec<PathBuf>, Error> {
    let folder = main.path.parent().unwrap_or_else(|| Path::new(""));
    let main_id = std::fs::canonicalize(&main.path).ok();
    let mut files: Vec<PathBuf> = Vec::new();
    for (i, written) in globs.iter().enumerate() {
        for file in glob_matches(main, folder, written, i)? {
            let same_as_main = main_id.is_some() && std::fs::canonicalize(&file).ok() == main_id;
            if !same_as_main && !files.contains(&file) {
                files.push(file);
            }
        }
    }
    Ok(files)
}

fn glob_matches(
    main: &Document,
    folder: &Path,
    written: &Text,
    i: usize,
) -> Result<Vec<PathBuf>, Error> {
    let key = format!("crawler.portals[{i}]");
    let pattern = glob_pattern(folder, written.get_ref()).ok_or_else(|| {
        main.at(
            written,
            &key,
            "the configuration folder's path is not utf-8: move it",
        )
    })?;
    let paths = glob::glob(&pattern).map_err(|e| {
        main.at(
            written,
            &key,
            format!(
                "invalid glob pattern: {}; write one such as \"portals/*.toml\"",
                e.msg
            ),
        )
    })?;
    let mut matched = paths.collect::<Result<Vec<_>, _>>().map_err(|e| {
        main.at(
            written,
            &key,
            format!("cannot read {}: {}", e.path().display(), e.error()),
        )
    })?;
    matched.retain(|p| p.is_file());
    matched.sort();
    Ok(matched)
}

/// `folder/pattern`, with the folder's own glob characters escaped.
fn glob_pattern(folder: &Path, pattern: &str) -> Option<String> {
    if Path::new(pattern).is_absolute() || folder.as_os_str().is_empty() {
        return Some(pattern.to_string());
    }
    let folder = glob::Pattern::escape(folder.to_str()?);
    Some(format!("{folder}/{pattern}"))
}

fn check_unique_names(sites: &[Site]) -> Result<(), Error> {
    for (i, site) in sites.iter().enumerate() {
        if let Some(first) = sites[..i]
            .iter()
            .find(|s| s.portal.name == site.portal.name)
        {
            let message = format!(
                "portal name `{}` is already used at {}:{}: portal names must be unique",
                site.portal.name,
                first.file.display(),
                first.name_line
            );
            return Err(site_error(site, site.name_line, "name", message));
        }
    }
    Ok(())
}

fn check_merged_into(sites: &[Site]) -> Result<(), Error> {
    for site in sites {
        let Some(target) = &site.portal.merged_into else {
            continue;
        };
        let message = if *target == site.portal.name {
            format!(
                "portal `{target}` cannot be merged into itself: name the paper that absorbed it"
            )
        } else if sites.iter().any(|s| s.portal.name == *target) {
            let Some(cycle) = cycle_from(sites, &site.portal.name) else {
                continue;
            };
            format!(
                "merged_into goes round in a circle ({cycle}): the paper at the end of a merger \
                 chain is the one that absorbed the others and has no merged_into"
            )
        } else {
            format!(
                "merged_into names `{target}`, which is no configured portal: add that portal or fix the name"
            )
        };
        return Err(site_error(site, site.merged_line, "merged_into", message));
    }
    Ok(())
}

/// `a → b → a` when following `merged_into` from `start` comes back to it; the shard of a
/// family is its chain's end (`shard::family_root`), which a circle does not have.
fn cycle_from(sites: &[Site], start: &str) -> Option<String> {
    let mut chain = vec![start];
    let merged = |name: &str| {
        sites
            .iter()
            .find(|s| s.portal.name == name)
            .and_then(|s| s.portal.merged_into.as_deref())
    };
    while let Some(next) = merged(chain[chain.len() - 1]) {
        if next == start {
            chain.push(next);
            return Some(chain.join(" → "));
        }
        if chain.contains(&next) {
            return None; // a circle further on, reported at one of its own portals
        }
        chain.push(next);
    }
    None
}

fn site_error(site: &Site, line: usize, field: &str, message: String) -> Error {
    Error {
        file: site.file.clone(),
        line: Some(line),
        key: Some(format!("{}.{field}", site.key)),
        message,
    }
}
