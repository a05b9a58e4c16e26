//! `baoluu verify --wacz FILE`: read a WACZ back the way replay tools do and list what is wrong.
//!
//! Stands after `baoluu wacz` (issue 20), beside the pipeline: it never writes. It checks that
//! `datapackage.json` parses and that every resource it lists has that sha256 and size once
//! extracted (WACZ 1.1.1 "datapackage.json"); that every index the package holds is readable
//! in the forms replayers load (see [`super::wacz_index`]: `indexes/index.idx` → blocks of
//! `index.cdx.gz`, or a plain `.cdx`/`.cdxj`); that every CDXJ line opens, through the stored
//! `archive/*.warc.gz` entry it names, a complete WARC record of its URL; and that
//! `pages/pages.jsonl` opens with its header and every page has a capture in the index.
//! Problems are collected into a [`WaczReport`]; only a file that is no ZIP at all is an
//! [`Error`].

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use data_encoding::HEXLOWER;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use zip::ZipArchive;

use super::Error;
use super::wacz_index::{self, Indexed};

const DATAPACKAGE: &str = "datapackage.json";
const PAGES: &str = "pages/pages.jsonl";

/// What `verify --wacz` found.
#[derive(Debug, Default)]
pub struct WaczReport {
    pub path: PathBuf,
    /// Resources of datapackage.json checked.
    pub resources: usize,
    /// CDXJ lines read from the package's indexes.
    pub index_lines: usize,
    /// Lines of pages.jsonl after the header.
    pub pages: usize,
    /// One line each: `entry: what is wrong`.
    pub problems: Vec<String>,
}

impl fmt::Display for WaczReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "checked {}: {} resources, {} index lines, {} pages: ",
            self.path.display(),
            self.resources,
            self.index_lines,
            self.pages
        )?;
        match self.problems.len() {
            0 => writeln!(f, "no problems")?,
            1 => writeln!(f, "1 problem")?,
            n => writeln!(f, "{n} problems")?,
        }
        for problem in &self.problems {
            writeln!(f, "  {problem}")?;
        }
        Ok(())
    }
}

/// The open package: the ZIP reader and the file's path (records are read by offset from it).
pub(super) struct Package {
    pub zip: ZipArchive<File>,
    pub path: PathBuf,
}

impl Package {
    /// The extracted bytes of `name`, or why they cannot be read.
    pub fn bytes(&mut self, name: &str) -> Result<Vec<u8>, String> {
        let mut entry = self
            .zip
            .by_name(name)
            .map_err(|_| "missing from the package".to_string())?;
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot be extracted: {e}"))?;
        Ok(bytes)
    }

    pub fn names(&self) -> Vec<String> {
        // A name that is not UTF-8 is no entry a replayer could ask for.
        self.zip
            .file_names()
            .filter_map(|n| n.ok().map(|n| n.into_owned()))
            .collect()
    }
}

#[derive(Deserialize)]
struct Manifest {
    resources: Vec<Resource>,
}

#[derive(Deserialize)]
struct Resource {
    path: String,
    hash: String,
    bytes: u64,
}

/// Verifies the WACZ at `path` (see the module doc).
pub fn verify_wacz(path: &Path) -> Result<WaczReport, Error> {
    let file = File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let zip = ZipArchive::new(file).map_err(|e| Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("not a ZIP file: {e}")),
    })?;
    let mut package = Package {
        zip,
        path: path.to_path_buf(),
    };
    let mut report = WaczReport {
        path: path.to_path_buf(),
        ..WaczReport::default()
    };
    check_manifest(&mut package, &mut report);
    let indexed = wacz_index::check(&mut package, &mut report.problems);
    report.index_lines = indexed.lines;
    check_pages(&mut package, &indexed, &mut report);
    Ok(report)
}

/// Prints the report and returns the exit code: 0 clean, 1 with problems.
pub fn run_cli_wacz(path: &Path) -> Result<u8, Error> {
    let report = verify_wacz(path)?;
    print!("{report}");
    Ok(if report.problems.is_empty() { 0 } else { 1 })
}

/// datapackage.json parses; every resource's extracted bytes have its sha256 and size.
fn check_manifest(package: &mut Package, report: &mut WaczReport) {
    let manifest = package.bytes(DATAPACKAGE).and_then(|bytes| {
        serde_json::from_slice::<Manifest>(&bytes).map_err(|e| format!("does not parse: {e}"))
    });
    let manifest = match manifest {
        Ok(manifest) => manifest,
        Err(detail) => return report.problems.push(format!("{DATAPACKAGE}: {detail}")),
    };
    for resource in &manifest.resources {
        report.resources += 1;
        if let Err(detail) = check_resource(package, resource) {
            report.problems.push(format!("{}: {detail}", resource.path));
        }
    }
}

fn check_resource(package: &mut Package, resource: &Resource) -> Result<(), String> {
    let mut entry = package
        .zip
        .by_name(&resource.path)
        .map_err(|_| format!("listed in {DATAPACKAGE} but missing from the package"))?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buf = vec![0; 1 << 16];
    loop {
        let n = entry
            .read(&mut buf)
            .map_err(|e| format!("cannot be extracted: {e}"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    let hash = format!("sha256:{}", HEXLOWER.encode(&hasher.finalize()));
    if hash != resource.hash {
        return Err(format!(
            "sha256 is {hash} but {DATAPACKAGE} says {}",
            resource.hash
        ));
    }
    if size != resource.bytes {
        return Err(format!(
            "size is {size} bytes but {DATAPACKAGE} says {}",
            resource.bytes
        ));
    }
    Ok(())
}

/// pages.jsonl opens with its header; every page's URL has a capture in the index.
fn check_pages(package: &mut Package, indexed: &Indexed, report: &mut WaczReport) {
    let text = match package.bytes(PAGES) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(detail) => return report.problems.push(format!("{PAGES}: {detail}")),
    };
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let header = lines
        .next()
        .map(|(_, l)| serde_json::from_str::<serde_json::Value>(l));
    let is_header =
        matches!(&header, Some(Ok(v)) if v.get("format").is_some() && v.get("url").is_none());
    if !is_header {
        report.problems.push(format!(
            "{PAGES} line 1: not the `{{\"format\": …}}` header"
        ));
    }
    for (n, line) in lines {
        report.pages += 1;
        let url = serde_json::from_str::<serde_json::Value>(line)
            .ok()
            .and_then(|v| v.get("url").and_then(|u| u.as_str()).map(String::from));
        match url {
            None => report.problems.push(format!(
                "{PAGES} line {}: no JSON object with a `url`",
                n + 1
            )),
            Some(url) if !indexed.urls.contains(&url) => report.problems.push(format!(
                "{PAGES} line {}: the page {url} has no capture in the index",
                n + 1
            )),
            Some(_) => {}
        }
    }
}
