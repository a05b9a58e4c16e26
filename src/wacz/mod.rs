//! `baoluu wacz`: package closed WARC files as one WACZ 1.1.1 file for ReplayWeb.page.
//!
//! Stands after the index stage (docs/architecture.md, docs/archive.md "Replay and
//! indexes"): it reads what the archive and index stages wrote under `archive_dir` and writes one
//! ZIP file holding `archive/*.warc.gz` (stored, never deflated: replayers read records by range,
//! WACZ 1.1.1 "Zip Compression"), `indexes/index.cdx.gz` (the selected files' CDXJ lines, merged
//! in sorted order and gzipped in blocks, stored), `indexes/index.idx` (one line per block, what
//! ReplayWeb.page loads, see [`blocks`]), `pages/pages.jsonl` (articles from the JSON index and
//! the listing pages, see [`pages`]), `datapackage.json` (sha256 and size of every entry) and
//! `datapackage-digest.json` (sha256 of the manifest). Which files go in is a [`Selection`]; the
//! choice rules are in [`select`]. WARC bytes are streamed into the ZIP and hashed on the way, so
//! a 1 GB file is never held in memory; entries of 4 GiB or more get ZIP64 headers. The package
//! is written to `OUT.wacz.tmp` and renamed, so a reader never sees half a WACZ. This module only
//! reads closed files (`.open` files are skipped), so it needs no archive lock and may run beside
//! a crawl; it never modifies the archive.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

use crate::cdxj;
use crate::index::Sources;

pub use select::might_pick;

pub(crate) mod blocks;
mod cdx;
mod pages;
mod revisits;
mod select;
mod writer;

#[cfg(test)]
mod tests;

/// The block index of `indexes/index.cdx.gz` (WACZ 1.1.1 "Indexes").
pub const IDX_ENTRY: &str = "indexes/index.idx";

/// The extension WACZ 1.1.1 requires ("Zip Format File Extension": MUST use `.wacz`).
const EXTENSION: &str = "wacz";

/// Which closed WARC files to package. The default packages every closed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Only files named `{portal}-{YYYYMMDDhhmmss}-{serial}-{host}.warc.gz` for this portal
    /// (`save` files are portal `save`).
    pub portal: Option<String>,
    /// Only files holding a capture at or after this time: the newest indexed record of the file
    /// (its newest CDXJ timestamp) is at or after `since`, to the second. Such a file goes in
    /// whole, older records included, so the package holds every record of the files it names.
    pub since: Option<DateTime<Utc>>,
}

/// What a package holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The WACZ file written.
    pub path: PathBuf,
    /// The WARC file names under `archive/`, sorted.
    pub warcs: Vec<String>,
    /// Lines of `pages/pages.jsonl` from the JSON index.
    pub articles: usize,
    /// Lines of `pages/pages.jsonl` for other HTML pages (listings, seeds).
    pub listings: usize,
    /// Lines of `indexes/index.cdx.gz`.
    pub cdx_lines: usize,
    /// Size of the WACZ file.
    pub bytes: u64,
}

/// Packaging failures. Nothing is left at the output path when one occurs.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the output {path} must end in .wacz (WACZ 1.1.1 requires the extension)")]
    NotWacz { path: PathBuf },
    #[error("no closed WARC file under {dir} matches {selection}: nothing to package")]
    Empty { dir: PathBuf, selection: String },
    #[error("could not read {path}; check the path and permissions")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write the WACZ {path}; check the disk and permissions")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not write the ZIP structure of {path}")]
    Zip {
        path: PathBuf,
        #[source]
        source: zip::result::ZipError,
    },
    #[error("{path} line {line}: {detail}; run `baoluu verify` to check the archive")]
    BadIndex {
        path: PathBuf,
        line: usize,
        detail: String,
    },
    #[error(transparent)]
    Cdxj(#[from] cdxj::Error),
}

/// Writes the WACZ of the closed WARC files of `archive_dir` that `select` picks to `out`.
pub fn package(archive_dir: &Path, out: &Path, select: &Selection) -> Result<Summary, Error> {
    package_sources(&Sources::local(archive_dir), out, select)
}

/// [`package`] from an archive and the copies of its files fetched back from the bucket
/// (issue 18 item 4): WARC files and index segments `keep_local` removed are read from there.
pub fn package_sources(
    sources: &Sources,
    out: &Path,
    select: &Selection,
) -> Result<Summary, Error> {
    let archive_dir = sources.archive_dir();
    if out.extension().is_none_or(|e| e != EXTENSION) {
        return Err(Error::NotWacz {
            path: out.to_path_buf(),
        });
    }
    let chosen = select::choose(sources, select)?;
    if chosen.sources.is_empty() {
        return Err(Error::Empty {
            dir: archive_dir.join("warc"),
            selection: describe(select),
        });
    }
    let tmp = out.with_extension("wacz.tmp");
    let written = write_package(sources, &tmp, &chosen, select);
    let summary = match written {
        Ok(summary) => summary,
        Err(e) => {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
    };
    fs::rename(&tmp, out).map_err(|source| Error::Write {
        path: out.to_path_buf(),
        source,
    })?;
    Ok(Summary {
        path: out.to_path_buf(),
        ..summary
    })
}

/// Writes every entry into `tmp`, in the order replayers like to find them: WARCs, index,
/// pages, then the manifest that hashes them all.
fn write_package(
    sources: &Sources,
    tmp: &Path,
    chosen: &select::Chosen,
    select: &Selection,
) -> Result<Summary, Error> {
    let created = Utc::now();
    let mut wacz = writer::Wacz::create(tmp, created)?;
    for source in &chosen.sources {
        wacz.copy_stored(&format!("archive/{}", source.name), &source.path)?;
    }
    // Revisit lines are rewritten or dropped so the viewer replays the original (issue 20).
    let fixes = revisits::resolve(&chosen.sources, &chosen.revisits)?;
    let merged = wacz.write_stored(&format!("indexes/{}", blocks::CDX_NAME), |out| {
        cdx::write_merged(&chosen.sources, &fixes, out, tmp)
    })?;
    // ReplayWeb.page loads the index through this file only (issue 20).
    wacz.write_deflated(IDX_ENTRY, |out| {
        out.write_all(merged.idx.as_bytes())
            .map_err(|source| Error::Write {
                path: tmp.to_path_buf(),
                source,
            })
    })?;
    let cdx_lines = merged.lines;
    let counts = wacz.write_deflated("pages/pages.jsonl", |out| {
        pages::write(sources, chosen, out, tmp)
    })?;
    let meta = writer::Meta {
        title: title(select),
        description: format!("WARC files archived by baoluu ({}).", describe(select)),
        created,
    };
    let bytes = wacz.finish(&meta)?;
    Ok(Summary {
        path: tmp.to_path_buf(),
        warcs: chosen.sources.iter().map(|s| s.name.clone()).collect(),
        articles: counts.articles,
        listings: counts.listings,
        cdx_lines,
        bytes,
    })
}

/// "portal hg, captures since 2026-11-01T00:00:00Z" — for messages and the manifest.
fn describe(select: &Selection) -> String {
    let portal = match &select.portal {
        Some(name) => format!("portal {name}"),
        None => "all portals".to_string(),
    };
    match select.since {
        Some(since) => format!(
            "{portal}, files with captures since {}",
            since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        None => portal,
    }
}

fn title(select: &Selection) -> String {
    match &select.portal {
        Some(name) => format!("baoluu archive: {name}"),
        None => "baoluu archive".to_string(),
    }
}

/// `baoluu wacz [--portal NAME] [--since WHEN] OUT.wacz`: packages and prints what went in.
/// Returns the exit code: 0 written, 2 an output name without `.wacz` (a usage error), 1 when
/// nothing matches the selection. Other failures are errors (exit 1 in `main`).
pub fn run_cli(sources: &Sources, out: &Path, select: Selection) -> Result<u8, Error> {
    match package_sources(sources, out, &select) {
        Ok(summary) => {
            println!("{}", report(&summary));
            Ok(0)
        }
        Err(e @ Error::NotWacz { .. }) => {
            eprintln!("error: {e}");
            Ok(2)
        }
        Err(e @ Error::Empty { .. }) => {
            eprintln!("error: {e}");
            Ok(1)
        }
        Err(e) => Err(e),
    }
}

fn report(summary: &Summary) -> String {
    format!(
        "wrote {}: {} WARC files, {} pages ({} articles, {} other pages), {} index lines, {} bytes",
        summary.path.display(),
        summary.warcs.len(),
        summary.articles + summary.listings,
        summary.articles,
        summary.listings,
        summary.cdx_lines,
        summary.bytes
    )
}

/// Parses `--since`: an RFC 3339 time (`2026-11-01T08:00:00Z`), a date or a zone-less time read
/// in Vietnam time, +07:00 (as docs/architecture.md reads zone-less page times: `2026-11-01` is midnight
/// in Hà Nội), or a duration back from now (`36h`, `7d`).
pub fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    parse_since_at(text, Utc::now())
}

fn parse_since_at(text: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Ok(at.with_timezone(&Utc));
    }
    let naive = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S").ok());
    if let Some(naive) = naive {
        let vietnam = FixedOffset::east_opt(7 * 3600).ok_or("bad offset")?;
        return naive
            .and_local_timezone(vietnam)
            .single()
            .map(|at| at.with_timezone(&Utc))
            .ok_or_else(|| format!("{text:?} is not a valid time"));
    }
    let ago = humantime::parse_duration(text).map_err(|_| {
        format!("{text:?} is not a date (2026-11-01), an RFC 3339 time or a duration (7d)")
    })?;
    let ago = chrono::Duration::from_std(ago).map_err(|_| format!("{text:?} is too long ago"))?;
    now.checked_sub_signed(ago)
        .ok_or_else(|| format!("{text:?} is too long ago"))
}
