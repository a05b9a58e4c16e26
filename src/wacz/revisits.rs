//! Revisit lines of the package's index, rewritten so ReplayWeb.page replays the original.
//!
//! A `revisit` record holds no payload; a replayer finds the original through the record's
//! `WARC-Refers-To-Target-URI` and `WARC-Refers-To-Date` (WARC 1.1 §6.7). ReplayWeb.page 2.5.3
//! (wabac.js) does that only for a revisit line whose `status` is not 3xx and not 304: a 3xx
//! line is served as a redirect from the revisit's own headers, and 304 is a status without a
//! body, so the `server-not-modified` revisit (HTTP 304) a second crawl writes for an ETag page
//! never showed the page (issue 20). This module decides, for every revisit line of the
//! selected files, what `indexes/index.cdx.gz` holds instead (docs/replay.md "Revisits"):
//!
//! - **original in the package**: the line keeps its key, timestamp, `mime` `warc/revisit`,
//!   digest and its own `filename`/`offset`/`length` (the revisit record), and takes the
//!   original's `status`. wabac.js checks that the record it range-reads has the line's URL
//!   and timestamp, so the line must keep pointing at the revisit record; with a 2xx status it
//!   follows the record's `WARC-Refers-To-*` fields to the original and serves its payload
//!   (tests/replayweb.rs checks the answer is `200 text/html`). Pointing the line at the
//!   original's record instead fails there: the record's time is not the line's, and wabac.js
//!   drops a record whose time differs. An identical-payload revisit (status 200) comes out as
//!   it went in.
//! - **original not in the package** (`--since` left its file out): the line is dropped. Kept,
//!   it would point at a record whose original cannot be found: a 304 or an "unable to locate
//!   original record" error, never the page. The URL still replays from any other capture the
//!   package holds.
//!
//! The original is the non-revisit line whose URL and 14-digit time are the record's
//! `WARC-Refers-To-Target-URI` and `WARC-Refers-To-Date`; a revisit without those fields falls
//! back to the newest earlier capture of its URL with the same payload digest. The archive's
//! WARC files and `index/cdxj/*.cdxj` (identical to cdxj-indexer's) are never changed: only the
//! package's index differs. This module reads the revisit records (one range read each) and the
//! selected files' CDXJ lines once more; it never writes.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::Error;
use super::select::{Source, read_error};
use crate::archive::{self, reader};
use crate::cdxj::Entry;

/// The `mime` cdxj-indexer gives a revisit line.
pub(super) const REVISIT_MIME: &str = "warc/revisit";

/// A revisit line of a selected file, and where its record is.
#[derive(Debug, Clone)]
pub(super) struct Revisit {
    pub entry: Entry,
    pub path: PathBuf,
}

/// What the package's index holds for each revisit line, by `(filename, offset)`.
#[derive(Debug, Default)]
pub(super) struct Fixes {
    /// `Some(line)`: write this line instead; `None`: leave the line out.
    lines: HashMap<(String, u64), Option<String>>,
}

impl Fixes {
    /// The line as the package writes it, or `None` when it is left out.
    pub fn apply(&self, line: String) -> Option<String> {
        if self.lines.is_empty() || !line.contains(REVISIT_MIME) {
            return Some(line);
        }
        let Ok(entry) = Entry::parse(&line) else {
            return Some(line);
        };
        match self.lines.get(&(entry.filename, entry.offset)) {
            Some(fixed) => fixed.clone(),
            None => Some(line),
        }
    }
}

/// Where a revisit's original is: its URL, and its time or payload digest.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Target {
    url: String,
    /// 14 digits from `WARC-Refers-To-Date`, when the record has it.
    timestamp: Option<String>,
    digest: Option<String>,
}

/// Decides every revisit's line; reads the selected files' lines again only when there are
/// revisits.
pub(super) fn resolve(sources: &[Source], revisits: &[Revisit]) -> Result<Fixes, Error> {
    if revisits.is_empty() {
        return Ok(Fixes::default());
    }
    let targets = revisits
        .iter()
        .map(target_of)
        .collect::<Result<Vec<_>, _>>()?;
    let urls: HashSet<&str> = targets.iter().map(|t| t.url.as_str()).collect();
    let candidates = originals(sources, &urls)?;
    let mut fixes = Fixes::default();
    for (revisit, target) in revisits.iter().zip(&targets) {
        let found = candidates
            .get(&target.url)
            .and_then(|c| pick(c, target, &revisit.entry));
        let line = found.map(|original| resolved(&revisit.entry, original).to_line());
        if line.is_none() {
            tracing::info!(url = %revisit.entry.url, timestamp = %revisit.entry.timestamp,
                "wacz_revisit_dropped_original_not_packaged");
        }
        let key = (revisit.entry.filename.clone(), revisit.entry.offset);
        fixes.lines.insert(key, line);
    }
    Ok(fixes)
}

/// Reads the revisit record for its `WARC-Refers-To-*` fields.
fn target_of(revisit: &Revisit) -> Result<Target, Error> {
    let record = reader::read_at(&revisit.path, revisit.entry.offset).map_err(|e| match e {
        archive::Error::Io { path, source, .. } => read_error(&path, source),
        other => Error::BadIndex {
            path: revisit.path.clone(),
            line: 0,
            detail: format!("the revisit at offset {}: {other}", revisit.entry.offset),
        },
    })?;
    let url = record
        .header("WARC-Refers-To-Target-URI")
        .unwrap_or(&revisit.entry.url)
        .to_string();
    Ok(Target {
        url,
        timestamp: record.header("WARC-Refers-To-Date").map(digits14),
        digest: revisit.entry.digest.clone(),
    })
}

/// `2026-11-01T08:00:00.123Z` → `20261101080000`, as CDXJ timestamps are written.
fn digits14(date: &str) -> String {
    date.chars().filter(char::is_ascii_digit).take(14).collect()
}

/// The non-revisit lines of the selected files whose URL is one of `urls`.
fn originals(
    sources: &[Source],
    urls: &HashSet<&str>,
) -> Result<HashMap<String, Vec<Entry>>, Error> {
    let mut found: HashMap<String, Vec<Entry>> = HashMap::new();
    for source in sources {
        for line in source.lines()? {
            let line = line?;
            let Ok(entry) = Entry::parse(&line) else {
                continue;
            };
            let original = entry.mime.as_deref() != Some(REVISIT_MIME);
            if original && urls.contains(entry.url.as_str()) {
                found.entry(entry.url.clone()).or_default().push(entry);
            }
        }
    }
    Ok(found)
}

/// The original among `candidates` (lines of the target URL): the one at the target's time
/// (the same digest preferred), else the newest earlier one with the same digest.
fn pick<'a>(candidates: &'a [Entry], target: &Target, revisit: &Entry) -> Option<&'a Entry> {
    let same_digest = |e: &Entry| target.digest.is_some() && e.digest == target.digest;
    if let Some(ts) = &target.timestamp {
        let at: Vec<&Entry> = candidates.iter().filter(|e| &e.timestamp == ts).collect();
        return at.iter().find(|e| same_digest(e)).or(at.first()).copied();
    }
    candidates
        .iter()
        .filter(|e| e.timestamp <= revisit.timestamp)
        .filter(|e| same_digest(e))
        .max_by(|a, b| a.timestamp.cmp(&b.timestamp))
}

/// The revisit's line with the original's status (see the module doc for why only that).
fn resolved(revisit: &Entry, original: &Entry) -> Entry {
    Entry {
        status: original.status.clone(),
        ..revisit.clone()
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::io::Read;

    use super::super::tests::{member, response};
    use super::super::{Selection, package};

    const OLD: &str = "hg-20261120000000-00001-host.warc.gz";
    const NEW: &str = "hg-20261127000000-00001-host.warc.gz";
    const ETAG: &str = "http://hg.example/etag.html";
    const SAME: &str = "http://hg.example/same.html";

    /// A revisit of `url` at `date` with `status`, referring to the capture at `refers`.
    fn revisit(url: &str, date: &str, status: &str, refers: &str) -> Vec<u8> {
        let block = format!("HTTP/1.1 {status}\r\nETag: \"v1\"\r\n\r\n");
        let text = format!(
            "WARC/1.1\r\nWARC-Type: revisit\r\nWARC-Target-URI: {url}\r\nWARC-Date: {date}\r\n\
             WARC-Record-ID: <urn:uuid:{}>\r\nWARC-Refers-To-Target-URI: {url}\r\n\
             WARC-Refers-To-Date: {refers}\r\nWARC-Payload-Digest: sha1:AAAA\r\n\
             Content-Type: application/http;msgtype=response\r\nContent-Length: {}\r\n\r\n{block}\r\n\r\n",
            uuid::Uuid::new_v4(),
            block.len()
        );
        member(text.as_bytes())
    }

    /// OLD holds the originals; NEW holds a 304 and a 200 revisit of them.
    fn archive() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let warc = dir.path().join("warc");
        fs::create_dir_all(&warc).unwrap();
        let old = [
            response(
                ETAG,
                "2026-11-20T00:00:01Z",
                "200 OK",
                "text/html",
                "<p>một</p>",
            ),
            response(
                SAME,
                "2026-11-20T00:00:02Z",
                "200 OK",
                "text/html",
                "<p>hai</p>",
            ),
        ]
        .concat();
        fs::write(warc.join(OLD), old).unwrap();
        let new = [
            revisit(
                ETAG,
                "2026-11-27T00:00:01Z",
                "304 Not Modified",
                "2026-11-20T00:00:01Z",
            ),
            revisit(
                SAME,
                "2026-11-27T00:00:02Z",
                "200 OK",
                "2026-11-20T00:00:02Z",
            ),
        ]
        .concat();
        fs::write(warc.join(NEW), new).unwrap();
        dir
    }

    fn cdx(dir: &tempfile::TempDir, select: &Selection) -> Vec<crate::cdxj::Entry> {
        let out = dir.path().join("out.wacz");
        package(dir.path(), &out, select).unwrap();
        let mut zip = zip::ZipArchive::new(fs::File::open(&out).unwrap()).unwrap();
        let mut bytes = Vec::new();
        let mut entry = zip.by_name("indexes/index.cdx.gz").unwrap();
        entry.read_to_end(&mut bytes).unwrap();
        // No line at all is no gzip block at all.
        let mut text = String::new();
        if !bytes.is_empty() {
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_string(&mut text)
                .unwrap();
        }
        text.lines()
            .map(|l| crate::cdxj::Entry::parse(l).unwrap())
            .collect()
    }

    #[test]
    fn a_304_revisit_takes_its_originals_status_and_keeps_its_record() {
        let dir = archive();
        let lines = cdx(&dir, &Selection::default());
        let at = |url: &str, ts: &str| {
            lines
                .iter()
                .find(|e| e.url == url && e.timestamp == ts)
                .unwrap_or_else(|| panic!("{url} {ts} in {lines:?}"))
                .clone()
        };
        let etag = at(ETAG, "20261127000001");
        assert_eq!(etag.status.as_deref(), Some("200"), "no longer a 304");
        assert_eq!(etag.mime.as_deref(), Some("warc/revisit"));
        assert_eq!((etag.filename.as_str(), etag.offset), (NEW, 0));
        let same = at(SAME, "20261127000002");
        assert_eq!(same.status.as_deref(), Some("200"));
        assert_eq!(same.filename, NEW);
        assert_eq!(lines.len(), 4, "originals kept: {lines:?}");
        // The archive's own index keeps cdxj-indexer's 304.
        let own = crate::cdxj::index_file(&dir.path().join("warc").join(NEW), NEW).unwrap();
        assert!(own[0].contains("\"status\": \"304\""), "{own:?}");
    }

    #[test]
    fn a_revisit_whose_original_is_not_packaged_is_left_out() {
        let dir = archive();
        let since = chrono::DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z").unwrap();
        let select = Selection {
            portal: None,
            since: Some(since.to_utc()),
        };
        let lines = cdx(&dir, &select);
        assert!(lines.is_empty(), "both revisits dropped: {lines:?}");
    }
}
