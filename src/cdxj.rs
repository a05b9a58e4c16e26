//! CDXJ: the replay index of one WARC file, as pywb and ReplayWeb.page read it.
//!
//! Part of the index stage (docs/architecture.md, §2 "Archive layout"): each WARC file gets
//! `index/cdxj/{warc file name}.cdxj` next to the JSON index, and `verify` reads it back through
//! [`Entry::parse`]. Two paths build the same lines, from the same small struct
//! ([`archive::Facts`], turned into an [`Entry`] by [`Entry::from_facts`] alone, so the line
//! format has one implementation):
//!
//! - While a crawl writes, [`Live`] (the recorder's indexer, `live.rs`) gets the facts the
//!   writer states of each record once its batch is fsynced, appends the lines to a side file
//!   and sorts them into the index when the file closes. Issue 17 item 4: we used to re-read
//!   and inflate every closed WARC at the end of a run to index it, 5.6% of CPU at 4k
//!   articles and the RSS rise at the end of a run (BENCHMARKS.md, "What limits baoluu's
//!   throughput"); the writer already knows every field a line needs.
//! - [`write_for`] / [`index_file`] read a closed file back ([`facts_of`]): after a crash
//!   ([`index_closed`] on what recovery closed; the side file is not trusted), for `wacz` and
//!   for `verify`, which checks each line against the record it points at.
//!
//! A line is `SURT-key timestamp14 {json}` with the JSON
//! fields `url, mime, status, digest, length, offset, filename`, all strings, in that order and
//! spelt as `cdxj-indexer` writes them (Python `json.dumps`: `", "` and `": "` separators, non-ASCII
//! as `\uXXXX`), so a line of ours and one of theirs for the same record are the same bytes
//! (docs/replay.md). Like `cdxj-indexer`, we index `response`, `revisit`,
//! `resource` and `metadata` records, except `resource` / `metadata` records holding
//! `application/warc-fields`; `request` and `warcinfo` records are not indexed. Lines are sorted
//! bytewise, as pywb's binary search needs. The key is [`crate::canonical::surt`].
//! This module reads closed WARC files only (it never reads one being written) and never
//! decides what to fetch.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use sha1::{Digest, Sha1};

use crate::archive::{self, Facts, reader::Record};

/// Record types cdxj-indexer indexes by default (its `DEFAULT_RECORDS`).
const INDEXED_TYPES: [&str; 4] = ["response", "revisit", "resource", "metadata"];

/// The `mime` cdxj-indexer gives every revisit record: the payload lives elsewhere.
const REVISIT_MIME: &str = "warc/revisit";

/// CDXJ failures: reading the WARC file or writing the index.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Archive(#[from] archive::Error),
    #[error("could not write the CDXJ index {path}; check the disk and permissions")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One CDXJ line. `mime`, `status` and `digest` are absent where cdxj-indexer leaves them out
/// (a record without an HTTP status, a revisit without a payload digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// SURT key of `url`.
    pub key: String,
    /// 14 digits, `YYYYMMDDhhmmss`, from WARC-Date.
    pub timestamp: String,
    /// `WARC-Target-URI`.
    pub url: String,
    pub mime: Option<String>,
    pub status: Option<String>,
    /// `sha1:` + base32 payload digest.
    pub digest: Option<String>,
    /// Compressed length of the record's gzip member.
    pub length: u64,
    /// Offset of the record's gzip member.
    pub offset: u64,
    /// The WARC file's name, relative to `archive_dir/warc`.
    pub filename: String,
}

impl Entry {
    /// The entry for `record` read back from a file, or `None` for record types a replay
    /// index leaves out.
    pub fn for_record(record: &Record, filename: &str) -> Result<Option<Entry>, String> {
        Entry::from_facts(&facts_of(record), filename)
    }

    /// The entry for a record described by `facts` (read back, or stated by the writer as it
    /// wrote the record), or `None` for record types a replay index leaves out. The one place
    /// the line's rules live.
    pub fn from_facts(facts: &Facts, filename: &str) -> Result<Option<Entry>, String> {
        let kind = facts.kind.as_str();
        if !INDEXED_TYPES.contains(&kind) || is_warc_fields(facts) {
            return Ok(None);
        }
        let url = facts
            .target
            .as_deref()
            .ok_or_else(|| format!("{kind} record without WARC-Target-URI"))?;
        let date = facts
            .date
            .as_deref()
            .ok_or_else(|| format!("{kind} record without WARC-Date"))?;
        Ok(Some(Entry {
            key: key_of(url),
            timestamp: timestamp14(date)?,
            url: url.to_string(),
            mime: mime_of(facts),
            status: status_of(facts),
            digest: facts.payload_digest.clone(),
            length: facts.length,
            offset: facts.offset,
            filename: filename.to_string(),
        }))
    }

    /// The line, without its newline.
    pub fn to_line(&self) -> String {
        let (length, offset) = (self.length.to_string(), self.offset.to_string());
        let fields = [
            ("url", Some(self.url.as_str())),
            ("mime", self.mime.as_deref()),
            ("status", self.status.as_deref()),
            ("digest", self.digest.as_deref()),
            ("length", Some(length.as_str())),
            ("offset", Some(offset.as_str())),
            ("filename", Some(self.filename.as_str())),
        ];
        let json: Vec<String> = fields
            .iter()
            .filter_map(|(name, value)| value.map(|v| format!("\"{name}\": {}", py_json(v))))
            .collect();
        format!("{} {} {{{}}}", self.key, self.timestamp, json.join(", "))
    }

    /// Reads a line back (ours or cdxj-indexer's; numbers are accepted as strings or numbers).
    pub fn parse(line: &str) -> Result<Entry, String> {
        let (key, rest) = line.split_once(' ').ok_or("no space after the key")?;
        let (timestamp, json) = rest.split_once(' ').ok_or("no space after the timestamp")?;
        let map: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(json).map_err(|e| format!("JSON part does not parse: {e}"))?;
        let text = |name: &str| -> Option<String> {
            match map.get(name)? {
                serde_json::Value::String(s) => Some(s.clone()),
                other => Some(other.to_string()),
            }
        };
        let number = |name: &str| -> Result<u64, String> {
            let value = text(name).ok_or_else(|| format!("no `{name}`"))?;
            value.parse().map_err(|_| format!("`{name}` is {value:?}"))
        };
        Ok(Entry {
            key: key.to_string(),
            timestamp: timestamp.to_string(),
            url: text("url").ok_or("no `url`")?,
            mime: text("mime"),
            status: text("status"),
            digest: text("digest"),
            length: number("length")?,
            offset: number("offset")?,
            filename: text("filename").ok_or("no `filename`")?,
        })
    }
}

/// What a record read back from a file tells an index: its named fields, and for an HTTP
/// record what its head says. A record stating no `WARC-Payload-Digest` gets, as warcio's
/// `ensure_digest` gives it, the digest of its HTTP body or of its whole block; a revisit
/// without one gets none.
pub fn facts_of(record: &Record) -> Facts {
    let kind = record.record_type().unwrap_or_default();
    let header = |name: &str| record.header(name).map(str::to_string);
    if !INDEXED_TYPES.contains(&kind) {
        // Not indexed whatever it holds: spare the digest of a request or warcinfo block.
        return Facts {
            kind: kind.to_string(),
            target: None,
            date: None,
            content_type: None,
            http_status: None,
            http_content_type: None,
            payload_digest: None,
            offset: record.offset,
            length: record.length,
        };
    }
    let http_content_type = record
        .http_headers()
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Content-Type"))
        .map(|(_, value)| String::from_utf8_lossy(&value).into_owned());
    let payload_digest = header("WARC-Payload-Digest").or_else(|| {
        (kind != "revisit").then(|| sha1_digest(record.http_body().unwrap_or(&record.block)))
    });
    Facts {
        kind: kind.to_string(),
        target: header("WARC-Target-URI"),
        date: header("WARC-Date"),
        content_type: header("Content-Type"),
        http_status: record.http_status(),
        http_content_type,
        payload_digest,
        offset: record.offset,
        length: record.length,
    }
}

/// cdxj-indexer skips `resource` and `metadata` records of `application/warc-fields`.
fn is_warc_fields(facts: &Facts) -> bool {
    matches!(facts.kind.as_str(), "resource" | "metadata")
        && facts.content_type.as_deref() == Some("application/warc-fields")
}

/// The SURT key; a target that is no URL keys as itself, as cdxj-indexer does.
fn key_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {
            crate::canonical::surt(&parsed)
        }
        Ok(_) => opaque_key(url),
        Err(_) => url.to_string(),
    }
}

/// What the `surt` package makes of a non-HTTP target such as our metadata records'
/// `urn:baoluu:article:…`: no host reversal, lowercased, query pieces sorted, a trailing `/`
/// dropped (checked against surt 0.3.1 through tests/replay.rs).
fn opaque_key(url: &str) -> String {
    let lower = url.to_lowercase();
    let (path, query) = match lower.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (lower.as_str(), None),
    };
    let path = path.strip_suffix('/').unwrap_or(path);
    match query {
        Some(query) => {
            let mut pieces: Vec<&str> = query.split('&').collect();
            pieces.sort_unstable();
            format!("{path}?{}", pieces.join("&"))
        }
        None => path.to_string(),
    }
}

/// `2026-11-27T18:00:00.123456Z` → `20261127180000`.
fn timestamp14(date: &str) -> Result<String, String> {
    let parsed = chrono::DateTime::parse_from_rfc3339(date)
        .map_err(|_| format!("WARC-Date {date:?} is not a W3C/ISO 8601 date"))?;
    Ok(parsed
        .with_timezone(&chrono::Utc)
        .format("%Y%m%d%H%M%S")
        .to_string())
}

/// The media type without parameters: the HTTP `Content-Type` for HTTP records, the record's
/// own `Content-Type` otherwise, `warc/revisit` for revisits.
fn mime_of(facts: &Facts) -> Option<String> {
    let value = match facts.kind.as_str() {
        "revisit" => return Some(REVISIT_MIME.to_string()),
        "response" => facts.http_content_type.as_deref()?,
        _ => facts.content_type.as_deref()?,
    };
    // cdxj-indexer cuts at the first `;` or whitespace (its RE_SPACE), then trims.
    let cut = value
        .split(|c: char| c == ';' || c.is_whitespace())
        .next()
        .unwrap_or_default();
    Some(cut.trim().to_string())
}

fn status_of(facts: &Facts) -> Option<String> {
    matches!(facts.kind.as_str(), "response" | "revisit")
        .then_some(facts.http_status)
        .flatten()
        .map(|status| status.to_string())
}

/// `sha1:` + base32, the form our WARC digests take.
pub(crate) fn sha1_digest(bytes: &[u8]) -> String {
    format!(
        "sha1:{}",
        data_encoding::BASE32.encode(&Sha1::digest(bytes))
    )
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`): short escapes for `"`, `\`
/// and the usual controls, `\uXXXX` (lowercase hex, surrogate pairs) for everything else outside
/// printable ASCII.
fn py_json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// The CDXJ lines of every indexed record in `warc`, sorted bytewise. `filename` is what the
/// lines name the file (its name relative to `archive_dir/warc`).
pub fn index_file(warc: &Path, filename: &str) -> Result<Vec<String>, Error> {
    let mut lines = Vec::new();
    for record in archive::reader::records(warc)? {
        let record = record?;
        let entry =
            Entry::for_record(&record, filename).map_err(|detail| archive::Error::Corrupt {
                path: warc.to_path_buf(),
                offset: record.offset,
                detail,
            })?;
        lines.extend(entry.map(|e| e.to_line()));
    }
    lines.sort_unstable();
    Ok(lines)
}

/// Where the CDXJ index of the WARC file named `warc_name` lives.
pub fn path_for(index_dir: &Path, warc_name: &str) -> PathBuf {
    index_dir.join("cdxj").join(format!("{warc_name}.cdxj"))
}

/// Indexes the closed WARC `file` (a path, or a name relative to `warc_dir`) into
/// `index_dir/cdxj/{name}.cdxj`, replacing any earlier index of it. Written to a temporary file,
/// fsynced and renamed, so a reader never sees half an index. Returns the index's path.
pub fn write_for(warc_dir: &Path, index_dir: &Path, file: &Path) -> Result<PathBuf, Error> {
    let warc = warc_dir.join(file);
    let name = warc
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lines = index_file(&warc, &name)?;
    let target = path_for(index_dir, &name);
    let bytes: Vec<&[u8]> = lines.iter().map(|line| line.as_bytes()).collect();
    install(&target, &bytes)?;
    tracing::info!(file = %name, lines = lines.len(), "cdxj_written");
    Ok(target)
}

/// CDXJ for closed files by reading them (recovery: what a crash left is indexed from the
/// bytes that survived, not from a side file). CDXJ is derived data ([`write_for`] can
/// rebuild it any time), so a failure is logged, not fatal; `baoluu verify` reports the
/// missing index.
pub fn index_closed(warc_dir: &Path, index_dir: &Path, files: Vec<PathBuf>) {
    for file in files {
        // `write_for` takes the name inside `warc_dir`; the closed path already includes it
        // (joined twice, a relative archive_dir pointed nowhere: issue 13, item 9).
        let name = file
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| file.clone());
        if let Err(err) = write_for(warc_dir, index_dir, &name) {
            tracing::error!(file = %file.display(), error = %err, "cdxj_failed");
        }
    }
}

/// Writes `lines` (each followed by a newline) as `target`: to a temporary file, fsynced and
/// renamed, so a reader (pywb, the uploader) never sees half an index.
fn install(target: &Path, lines: &[&[u8]]) -> Result<(), Error> {
    let tmp = target.with_extension("cdxj.tmp");
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { path, source }
    };
    if let Some(dir) = target.parent() {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let mut out = BufWriter::new(File::create(&tmp).map_err(io(&tmp))?);
    for line in lines {
        out.write_all(line)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(io(&tmp))?;
    }
    let file = out.into_inner().map_err(|e| io(&tmp)(e.into_error()))?;
    file.sync_all().map_err(io(&tmp))?;
    fs::rename(&tmp, target).map_err(io(target))
}

mod live;

pub use live::{Live, discard_side_files, side_path};

#[cfg(test)]
mod tests;
