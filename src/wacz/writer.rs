//! The ZIP container of a WACZ and its manifests (WACZ 1.1.1 "Zip Format", "datapackage.json").
//!
//! Every entry's bytes pass through a [`Tally`] on their way into the ZIP, which hashes them
//! (sha256) and counts them, so `datapackage.json` lists the size and hash of each entry as it
//! is when extracted, without reading anything twice. Already-compressed entries (WARCs, the
//! gzipped index) are stored, so replayers can read a record at an offset; text entries are
//! deflated. An entry of 4 GiB or more gets ZIP64 sizes (APPNOTE 4.5.3); the `zip` crate adds
//! ZIP64 offsets by itself once the archive passes 4 GiB. `datapackage.json` is written after
//! all other entries (it hashes them) and `datapackage-digest.json` last (it hashes the manifest).

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use data_encoding::HEXLOWER;
use serde::Serialize;
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use super::Error;
use super::select::read_error;

pub(super) const DATAPACKAGE: &str = "datapackage.json";
pub(super) const DIGEST: &str = "datapackage-digest.json";
const WACZ_VERSION: &str = "1.1.1";
/// Sizes from here on need ZIP64 fields (0xFFFFFFFF is the "see ZIP64" marker).
const ZIP64_FROM: u64 = 0xFFFF_FFFF;
const COPY_BUFFER: usize = 1 << 16;

/// One `resources` item of datapackage.json.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(super) struct Resource {
    pub name: String,
    pub path: String,
    /// `sha256:` + lowercase hex, as py-wacz writes it.
    pub hash: String,
    pub bytes: u64,
}

/// The descriptive part of datapackage.json.
pub(super) struct Meta {
    pub title: String,
    pub description: String,
    pub created: DateTime<Utc>,
}

#[derive(Serialize)]
struct DataPackage<'a> {
    profile: &'static str,
    wacz_version: &'static str,
    title: &'a str,
    description: &'a str,
    created: String,
    software: String,
    resources: &'a [Resource],
}

#[derive(Serialize)]
struct DataPackageDigest {
    path: &'static str,
    hash: String,
}

/// A writer that hashes and counts what passes through it.
pub(super) struct Tally<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> Write for Tally<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W> Tally<W> {
    fn new(inner: W) -> Tally<W> {
        Tally {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn resource(self, path: &str) -> Resource {
        Resource {
            name: resource_name(path),
            path: path.to_string(),
            hash: format!("sha256:{}", HEXLOWER.encode(&self.hasher.finalize())),
            bytes: self.bytes,
        }
    }
}

/// A WACZ being written.
pub(super) struct Wacz {
    zip: ZipWriter<BufWriter<File>>,
    path: PathBuf,
    time: zip::DateTime,
    resources: Vec<Resource>,
}

impl Wacz {
    /// Creates (or truncates) the ZIP file at `path`; entries are dated `created`.
    pub fn create(path: &Path, created: DateTime<Utc>) -> Result<Wacz, Error> {
        let file = File::create(path).map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Wacz {
            zip: ZipWriter::new(BufWriter::with_capacity(COPY_BUFFER, file)),
            path: path.to_path_buf(),
            time: zip_time(created),
            resources: Vec::new(),
        })
    }

    /// Streams the file `src` into the stored entry `entry`.
    pub fn copy_stored(&mut self, entry: &str, src: &Path) -> Result<(), Error> {
        let mut file = File::open(src).map_err(|e| read_error(src, e))?;
        let size = file.metadata().map_err(|e| read_error(src, e))?.len();
        self.start(entry, CompressionMethod::Stored, size)?;
        let wacz = self.path.clone();
        let mut tally = Tally::new(&mut self.zip);
        let mut buf = vec![0; COPY_BUFFER];
        loop {
            let n = file.read(&mut buf).map_err(|e| read_error(src, e))?;
            if n == 0 {
                break;
            }
            tally.write_all(&buf[..n]).map_err(|source| Error::Write {
                path: wacz.clone(),
                source,
            })?;
        }
        let resource = tally.resource(entry);
        self.resources.push(resource);
        Ok(())
    }

    /// A stored entry whose bytes `fill` writes (already compressed data).
    pub fn write_stored<T>(
        &mut self,
        entry: &str,
        fill: impl FnOnce(&mut dyn Write) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.write_with(entry, CompressionMethod::Stored, fill)
    }

    /// A deflated entry whose bytes `fill` writes (text).
    pub fn write_deflated<T>(
        &mut self,
        entry: &str,
        fill: impl FnOnce(&mut dyn Write) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.write_with(entry, CompressionMethod::Deflated, fill)
    }

    fn write_with<T>(
        &mut self,
        entry: &str,
        method: CompressionMethod,
        fill: impl FnOnce(&mut dyn Write) -> Result<T, Error>,
    ) -> Result<T, Error> {
        self.start(entry, method, 0)?;
        let mut tally = Tally::new(&mut self.zip);
        let result = fill(&mut tally)?;
        let resource = tally.resource(entry);
        self.resources.push(resource);
        Ok(result)
    }

    fn start(&mut self, entry: &str, method: CompressionMethod, size: u64) -> Result<(), Error> {
        let options = SimpleFileOptions::default()
            .compression_method(method)
            .last_modified_time(self.time)
            .unix_permissions(0o644)
            .large_file(size >= ZIP64_FROM);
        self.zip
            .start_file(entry, options)
            .map_err(|source| self.zip_error(source))
    }

    fn zip_error(&self, source: zip::result::ZipError) -> Error {
        Error::Zip {
            path: self.path.clone(),
            source,
        }
    }

    /// Writes the two manifests, closes the ZIP and makes it durable; returns its size.
    pub fn finish(mut self, meta: &Meta) -> Result<u64, Error> {
        let manifest = self.datapackage(meta)?;
        self.put_deflated(DATAPACKAGE, &manifest)?;
        // The manifest is not one of its own resources (py-wacz leaves it out too).
        self.resources.pop();
        let digest = self.json(&DataPackageDigest {
            path: DATAPACKAGE,
            hash: format!("sha256:{}", HEXLOWER.encode(&Sha256::digest(&manifest))),
        })?;
        self.put_deflated(DIGEST, &digest)?;
        self.resources.pop();
        let path = self.path.clone();
        let write_error = |source| Error::Write {
            path: path.clone(),
            source,
        };
        let buffered = self.zip.finish().map_err(|source| Error::Zip {
            path: path.clone(),
            source,
        })?;
        let file = buffered
            .into_inner()
            .map_err(|e| write_error(e.into_error()))?;
        file.sync_all().map_err(write_error)?;
        Ok(file.metadata().map_err(write_error)?.len())
    }

    fn put_deflated(&mut self, entry: &str, bytes: &[u8]) -> Result<(), Error> {
        let path = self.path.clone();
        self.write_deflated(entry, |out| {
            out.write_all(bytes)
                .map_err(|source| Error::Write { path, source })
        })
    }

    fn datapackage(&self, meta: &Meta) -> Result<Vec<u8>, Error> {
        self.json(&DataPackage {
            profile: "data-package",
            wacz_version: WACZ_VERSION,
            title: &meta.title,
            description: &meta.description,
            created: meta.created.to_rfc3339_opts(SecondsFormat::Secs, true),
            software: format!("baoluu {}", env!("CARGO_PKG_VERSION")),
            resources: &self.resources,
        })
    }

    fn json(&self, value: &impl Serialize) -> Result<Vec<u8>, Error> {
        serde_json::to_vec_pretty(value).map_err(|e| Error::Write {
            path: self.path.clone(),
            source: e.into(),
        })
    }
}

/// A frictionless resource name: `^[-a-z0-9._/]+$` (Data Package v1), from the entry's file
/// name (host names in WARC names may hold capitals).
fn resource_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-._".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The DOS time of an entry; ZIP cannot date before 1980 or after 2107, which a clock may.
fn zip_time(at: DateTime<Utc>) -> zip::DateTime {
    let parts = (
        u16::try_from(at.year()).ok(),
        u8::try_from(at.month()).ok(),
        u8::try_from(at.day()).ok(),
        u8::try_from(at.hour()).ok(),
        u8::try_from(at.minute()).ok(),
        u8::try_from(at.second()).ok(),
    );
    match parts {
        (Some(y), Some(mo), Some(d), Some(h), Some(mi), Some(s)) => {
            zip::DateTime::from_date_and_time(y, mo, d, h, mi, s).unwrap_or_default()
        }
        _ => zip::DateTime::default(),
    }
}
