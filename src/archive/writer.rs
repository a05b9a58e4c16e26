//! The WARC writer: files, offsets, fsync, rotation and the `.open` → final-name rename.
//!
//! Sits after fetch (docs/architecture.md). A [`Writer`] owns at most one `….warc.gz.open` file, created
//! lazily on the first write and opened by a warcinfo record. Each record is compressed into its
//! own gzip member in memory (from a block made ahead, `super::ahead`, for responses and
//! metadata) and appended whole, so an offset is always a member's first byte; writes are made
//! durable by [`Writer::sync`], or by [`Writer::start_sync`] on another thread and
//! [`Writer::end_sync`] (or [`Writer::close`]), which the caller calls
//! before it tells anyone a record exists, because the index and the store are written only
//! after the WARC bytes are durable (docs/architecture.md rule 6): one fsync covers every record
//! written since the last (group commit, issue 8). Files rotate before a capture once they
//! reach `max_size`; a record is never split across files. Each `response`, `revisit` and
//! `metadata` record's [`Facts`] (what a CDXJ line needs: offset, length, digests, the HTTP
//! head's status and type) are kept with the file until its fsync, then handed out by
//! [`Writer::take_indexed`], or dropped with the bytes a failed fsync cut off (issue 17 item 4:
//! the index is built without reading the file back). This module never decides what to
//! fetch and never reads a file back.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use tracing::{info, warn};

use super::ahead;
use super::facts::{self, Facts};
use super::gzip::{Bulk, Gzip};
use super::kinds::{self, Ids};
use super::record::{
    CAPTURE_BULK_LEVEL, GZIP_LEVEL, METADATA_BULK_LEVEL, METADATA_GZIP_LEVEL, record_id,
    sha1_digest, warc_time,
};
use super::sink::{self, Sink, Wrap};
use super::{Capture, Error, Info, Original, Placed, RevisitProfile};
use crate::fetch::Exchange;

mod syncs;

use syncs::Losses;
pub(crate) use syncs::Syncing;

/// How many serials to try when names are taken before giving up (a directory that full is a
/// configuration problem, not something to loop on).
const MAX_SERIAL_TRIES: u32 = 10_000;

/// Writes WARC files for one prefix (a portal name, or "save") into one directory.
pub struct Writer {
    dir: PathBuf,
    prefix: String,
    info: Info,
    max_size: u64,
    /// The serial the next file tries first (IIPC naming: counts files within this writer).
    next_serial: u32,
    current: Option<OpenFile>,
    /// Closed files not yet handed to [`Writer::take_closed`].
    closed: Vec<PathBuf>,
    /// Set when a file was abandoned with records written but not fsynced: the next
    /// [`Writer::sync`] must fail for them, not answer them durable (issue 13, item 10).
    lost: Option<Error>,
    /// Wraps each opened file (a fault injector in tests).
    wrap: Wrap,
    /// The facts of records made durable since the last [`Writer::take_indexed`], by file
    /// name, in writing order: what the recorder's indexer gets (issue 17 item 4).
    indexed: Vec<(String, Vec<Facts>)>,
    /// Records lost before their fsync: a record written unsynced counts as durable only if
    /// no loss happened between its write and a sync (the recorder's deferred captures).
    losses: Losses,
    /// One deflate state per gzip level, reset for each member (issue 17: a new state per
    /// record cost 8.5% of a crawl's instructions, most of it zeroing tables).
    captures_gzip: Gzip,
    metadata_gzip: Gzip,
    /// Bulk compressors for the records made here rather than ahead, made at the first.
    captures_bulk: Option<Bulk>,
    metadata_bulk: Option<Bulk>,
}

/// Which gzip level a record is written at: captures (and warcinfo) at [`GZIP_LEVEL`], derived
/// `metadata` records at [`METADATA_GZIP_LEVEL`].
#[derive(Clone, Copy)]
enum Members {
    Captures,
    Metadata,
}

/// The file being written.
struct OpenFile {
    file: Box<dyn Sink>,
    /// The path while being written (ends in `.open`).
    path: PathBuf,
    /// The final file name, without `.open`.
    name: String,
    /// Bytes written so far: the offset of the next member.
    size: u64,
    warcinfo_id: String,
    /// Where the bytes not yet fsynced start (group commit), if any.
    unsynced_from: Option<u64>,
    /// The facts of the indexable records not yet fsynced: dropped with their bytes when the
    /// fsync fails, so an index never names a record the file no longer holds.
    unsynced_facts: Vec<Facts>,
}

impl Writer {
    /// A writer for `dir`; no file is created until the first write.
    pub fn new(dir: PathBuf, prefix: String, info: Info, max_size: u64) -> Writer {
        Writer {
            dir,
            prefix: sanitise(&prefix, true),
            info,
            max_size,
            next_serial: 0,
            current: None,
            closed: Vec::new(),
            lost: None,
            wrap: sink::plain(),
            indexed: Vec::new(),
            losses: Losses::default(),
            captures_gzip: Gzip::new(GZIP_LEVEL),
            metadata_gzip: Gzip::new(METADATA_GZIP_LEVEL),
            captures_bulk: None,
            metadata_bulk: None,
        }
    }

    /// The same writer with every file it opens wrapped by `wrap` (fault injection in tests).
    pub(crate) fn with_wrap(mut self, wrap: Wrap) -> Writer {
        self.wrap = wrap;
        self
    }

    /// Whether the next capture would first close the current file (a sync handed out must
    /// come back before a file is closed under it).
    pub(crate) fn rotation_due(&self) -> bool {
        (self.current.as_ref()).is_some_and(|open| open.size >= self.max_size)
    }

    /// Archives one exchange as a `response` record followed by its `request` record (durable
    /// once [`Writer::sync`] returns).
    pub fn write_exchange(&mut self, ex: &Exchange) -> Result<Capture, Error> {
        let path = self.dir.clone();
        let bulk = (self.captures_bulk).get_or_insert_with(|| Bulk::new(CAPTURE_BULK_LEVEL));
        let made = ahead::response(ex, bulk).map_err(Error::io("compress a record for", &path))?;
        self.write_response(ex, &made)
    }

    /// [`Writer::write_exchange`] with the response's block `made` ahead (issue 17): only the
    /// records' heads are compressed here.
    pub(crate) fn write_response(
        &mut self,
        ex: &Exchange,
        made: &ahead::Response,
    ) -> Result<Capture, Error> {
        self.rotate_if_full()?;
        let warcinfo = self.current()?.warcinfo_id.clone();
        let ids = Ids {
            response: record_id(),
            request: record_id(),
            warcinfo,
        };
        let head = kinds::response_head(ex, &ids, made);
        let response = self.join(&head, &made.block, Members::Captures)?;
        let request = self.compress(&kinds::request(ex, &ids), Members::Captures)?;
        let (offset, length) = self.append_pair(&response, &request)?;
        let digest = &made.payload_digest;
        self.note(facts::of_exchange("response", ex, digest, (offset, length)));
        Ok(self.capture(ex, ids.response, offset, length, digest.clone()))
    }

    /// Archives an unchanged fetch as a `revisit` record (HTTP head only) pointing at
    /// `original`, followed by its `request` record.
    pub fn write_revisit(
        &mut self,
        ex: &Exchange,
        profile: RevisitProfile,
        original: &Original,
    ) -> Result<Capture, Error> {
        self.rotate_if_full()?;
        let warcinfo = self.current()?.warcinfo_id.clone();
        let ids = Ids {
            response: record_id(),
            request: record_id(),
            warcinfo,
        };
        let payload_digest = revisit_digest(ex, profile, original);
        let revisit = kinds::revisit(ex, &ids, profile, original, &payload_digest);
        let revisit = self.compress(&revisit, Members::Captures)?;
        let request = self.compress(&kinds::request(ex, &ids), Members::Captures)?;
        let (offset, length) = self.append_pair(&revisit, &request)?;
        self.note(facts::of_exchange(
            "revisit",
            ex,
            &payload_digest,
            (offset, length),
        ));
        let capture = self.capture(ex, ids.response, offset, length, payload_digest);
        Ok(Capture {
            revisit: Some(profile),
            ..capture
        })
    }

    /// Writes a `metadata` record about `refers_to` (no rotation first, so it normally lands in
    /// the capture's file). Returns where the member landed: the current file.
    pub fn write_metadata(
        &mut self,
        refers_to: &Capture,
        content_type: &str,
        block: &[u8],
    ) -> Result<Placed, Error> {
        let path = self.dir.clone();
        let bulk = (self.metadata_bulk).get_or_insert_with(|| Bulk::new(METADATA_BULK_LEVEL));
        let made = ahead::block(block, bulk).map_err(Error::io("compress a record for", &path))?;
        self.write_metadata_block(refers_to, content_type, &made)
    }

    /// [`Writer::write_metadata`] with the block `made` ahead (issue 17).
    pub(crate) fn write_metadata_block(
        &mut self,
        refers_to: &Capture,
        content_type: &str,
        made: &ahead::Block,
    ) -> Result<Placed, Error> {
        let warcinfo = self.current()?.warcinfo_id.clone();
        let head = kinds::metadata_head(&record_id(), &warcinfo, refers_to, content_type, made);
        let member = self.join(&head, made, Members::Metadata)?;
        let at = (self.append(&[&member])?, member.len() as u64);
        let (target, _) = kinds::metadata_target(refers_to);
        let date = refers_to.date;
        let digest = made.digest.clone();
        self.note(facts::of_metadata(&target, date, content_type, digest, at));
        let file = self.current()?.name.clone();
        Ok(Placed {
            file,
            offset: at.0,
            length: at.1,
        })
    }

    /// Fsyncs and renames the current file to its final name, then fsyncs the directory so the
    /// rename survives a crash. Returns the final path, or `None` if no file was open. The next
    /// write opens a new file.
    pub fn close(&mut self) -> Result<Option<PathBuf>, Error> {
        let Some(mut open) = self.current.take() else {
            return Ok(None);
        };
        if let Err(source) = open.file.sync_all() {
            if open.unsynced_from.is_some() {
                self.lose(&open.path, source.raw_os_error());
            }
            return Err(Error::io("sync", &open.path)(source));
        }
        let final_path = self.dir.join(&open.name);
        fs::rename(&open.path, &final_path).map_err(Error::io("rename", &open.path))?;
        sync_dir(&self.dir)?;
        info!(file = %open.name, bytes = open.size, "warc_closed");
        self.commit(open.name, open.unsynced_facts);
        self.closed.push(final_path.clone());
        Ok(Some(final_path))
    }

    /// Files closed since the last call (by rotation or [`Writer::close`]), for indexing.
    pub fn take_closed(&mut self) -> Vec<PathBuf> {
        std::mem::take(&mut self.closed)
    }

    /// The facts of the indexable records made durable since the last call, by file name (the
    /// final name), in writing order. Taken before [`Writer::take_closed`], a closed file's
    /// facts are all there before its closing is told.
    pub fn take_indexed(&mut self) -> Vec<(String, Vec<Facts>)> {
        std::mem::take(&mut self.indexed)
    }

    /// Remembers the facts of a record just appended, until its fsync says whether it stays.
    fn note(&mut self, facts: Facts) {
        if let Some(open) = self.current.as_mut() {
            open.unsynced_facts.push(facts);
        }
    }

    /// The facts of records now durable in `name`.
    fn commit(&mut self, name: String, facts: Vec<Facts>) {
        if facts.is_empty() {
            return;
        }
        match self.indexed.last_mut() {
            Some((last, kept)) if *last == name => kept.extend(facts),
            _ => self.indexed.push((name, facts)),
        }
    }

    fn rotate_if_full(&mut self) -> Result<(), Error> {
        if self.rotation_due() {
            self.close()?;
        }
        Ok(())
    }

    /// The open file, opening the next one (with its warcinfo) if none is.
    fn current(&mut self) -> Result<&mut OpenFile, Error> {
        let open = match self.current.take() {
            Some(open) => open,
            None => self.open_next()?,
        };
        Ok(self.current.insert(open))
    }

    fn open_next(&mut self) -> Result<OpenFile, Error> {
        fs::create_dir_all(&self.dir).map_err(Error::io("create the folder", &self.dir))?;
        let now = Utc::now();
        let (file, name) = self.create_unique(now)?;
        // The new directory entry must survive a crash too: recovery can only trim what it finds.
        sync_dir(&self.dir)?;
        let path = self.dir.join(format!("{name}.open"));
        let mut open = OpenFile {
            file: (self.wrap)(file),
            path,
            name,
            size: 0,
            warcinfo_id: record_id(),
            unsynced_from: None,
            unsynced_facts: Vec::new(),
        };
        let record = kinds::warcinfo(&open.warcinfo_id, warc_time(now), &open.name, &self.info);
        let member = (self.captures_gzip.member(&record))
            .map_err(Error::io("compress a record for", &open.path))?;
        open.append(&[&member])?;
        info!(file = %open.name, "warc_opened");
        Ok(open)
    }

    /// Creates `NAME.open` with the first serial whose `.open` and final names are both free.
    fn create_unique(&mut self, now: DateTime<Utc>) -> Result<(File, String), Error> {
        let host = sanitise(&self.info.hostname, false);
        for _ in 0..MAX_SERIAL_TRIES {
            let name = file_name(&self.prefix, now, self.next_serial, &host);
            self.next_serial += 1;
            if self.dir.join(&name).exists() {
                continue;
            }
            let path = self.dir.join(format!("{name}.open"));
            match OpenOptions::new().append(true).create_new(true).open(&path) {
                Ok(file) => return Ok((file, name)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(Error::io("create", &path)(e)),
            }
        }
        let source = io::Error::new(
            io::ErrorKind::AlreadyExists,
            "no free WARC serial: clear out the directory",
        );
        Err(Error::io("find a free WARC serial in", &self.dir)(source))
    }

    fn compress(&mut self, record: &[u8], kind: Members) -> Result<Vec<u8>, Error> {
        let path = self.current()?.path.clone();
        let gzip = match kind {
            Members::Captures => &mut self.captures_gzip,
            Members::Metadata => &mut self.metadata_gzip,
        };
        gzip.member(record)
            .map_err(Error::io("compress a record for", &path))
    }

    /// A record's `head` and its block made ahead, as one member.
    fn join(&mut self, head: &[u8], made: &ahead::Block, kind: Members) -> Result<Vec<u8>, Error> {
        let path = self.current()?.path.clone();
        let gzip = match kind {
            Members::Captures => &mut self.captures_gzip,
            Members::Metadata => &mut self.metadata_gzip,
        };
        gzip.member_with(head, &made.tail)
            .map_err(Error::io("compress a record for", &path))
    }

    /// Appends a response-or-revisit member and its request member, adjacent; returns the
    /// first one's (offset, length).
    fn append_pair(&mut self, first: &[u8], second: &[u8]) -> Result<(u64, u64), Error> {
        let offset = self.append(&[first, second])?;
        Ok((offset, first.len() as u64))
    }

    /// Appends members to the current file. If the append cannot be undone, the file is
    /// abandoned as `.open` for [`super::recover`] rather than closed with a torn member inside.
    fn append(&mut self, members: &[&[u8]]) -> Result<u64, Error> {
        let open = self.current()?;
        let result = open.append(members);
        let torn = result.is_err() && open.file.len().ok() != Some(open.size);
        if let (true, Err(Error::Io { source, .. })) = (torn, &result) {
            let code = source.raw_os_error();
            self.abandon(code);
        }
        result
    }

    /// Drops the open file, torn, for [`super::recover`]. Records of the batch already written
    /// to it but not fsynced are not durable: remember that, so the batch's sync reports it
    /// instead of answering them as archived (issue 13, item 10). `code` is the OS error that
    /// tore it (a full disk must still read as one).
    fn abandon(&mut self, code: Option<i32>) {
        let Some(open) = self.current.take() else {
            return;
        };
        warn!(file = %open.path.display(), "warc_abandoned");
        if open.unsynced_from.is_some() {
            self.lose(&open.path, code);
            let source = match code {
                Some(code) => io::Error::from_raw_os_error(code),
                None => io::Error::other("the WARC file was abandoned before its fsync"),
            };
            self.lost = Some(Error::io("sync", &open.path)(source));
        }
    }

    fn capture(
        &self,
        ex: &Exchange,
        record_id: String,
        offset: u64,
        length: u64,
        payload_digest: String,
    ) -> Capture {
        let filename = self
            .current
            .as_ref()
            .map(|open| open.name.clone())
            .unwrap_or_default();
        Capture {
            url: ex.url.clone(),
            date: warc_time(ex.date),
            record_id,
            filename,
            offset,
            length,
            status: ex.status,
            mime: ex.mime(),
            payload_digest,
            truncated: ex.truncated,
            revisit: None,
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        if let Err(error) = self.close() {
            warn!(%error, "warc_close_failed");
        }
    }
}

impl OpenFile {
    /// Writes whole members and remembers where the bytes not yet fsynced start; on failure
    /// rolls the file back to its previous length so the next member does not follow a torn
    /// one. Returns the first member's offset.
    fn append(&mut self, members: &[&[u8]]) -> Result<u64, Error> {
        let offset = self.size;
        let written = members
            .iter()
            .try_for_each(|member| self.file.write_all(member));
        if let Err(source) = written {
            // A failed rollback leaves the length unequal to `size`: the caller abandons the file.
            let _ = self.file.set_len(offset);
            return Err(Error::io("write to", &self.path)(source));
        }
        self.size += members.iter().map(|m| m.len() as u64).sum::<u64>();
        self.unsynced_from.get_or_insert(offset);
        Ok(offset)
    }
}

/// An identical-payload revisit states the digest of what was just fetched; a 304 has no body,
/// so a server-not-modified revisit carries the original's (WARC 1.1 §6.7.2, §6.7.3).
fn revisit_digest(ex: &Exchange, profile: RevisitProfile, original: &Original) -> String {
    match profile {
        RevisitProfile::ServerNotModified => original.payload_digest.clone(),
        RevisitProfile::IdenticalPayloadDigest => {
            let digest = sha1_digest(&ex.body);
            if digest != original.payload_digest {
                warn!(url = %ex.url, %digest, original = %original.payload_digest, "revisit_digest_mismatch");
            }
            digest
        }
    }
}

/// `{prefix}-{YYYYMMDDhhmmss}-{serial:05}-{host}.warc.gz` (IIPC naming, docs/configuration.md).
fn file_name(prefix: &str, created: DateTime<Utc>, serial: u32, host: &str) -> String {
    format!(
        "{prefix}-{}-{serial:05}-{host}.warc.gz",
        created.format("%Y%m%d%H%M%S")
    )
}

/// Keeps `[A-Za-z0-9.-]` (and `_` in prefixes); anything else, a `/` above all, becomes `-`.
fn sanitise(text: &str, allow_underscore: bool) -> String {
    let kept: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || (allow_underscore && c == '_') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if kept.trim_matches(['-', '.']).is_empty() {
        "unknown".to_string()
    } else {
        kept
    }
}

fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("sync the folder", dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn file_names_follow_iipc_pattern() {
        let at = Utc.with_ymd_and_hms(2026, 11, 27, 18, 5, 9).unwrap();
        assert_eq!(
            file_name("baodaklak", at, 7, "crawl-1.example"),
            "baodaklak-20261127180509-00007-crawl-1.example.warc.gz"
        );
    }

    #[test]
    fn taken_names_bump_the_serial() {
        let dir = tempfile::tempdir().unwrap();
        let info = Info {
            software: "s".into(),
            hostname: "h".into(),
            user_agent: "u".into(),
            from: None,
            is_part_of: "p".into(),
        };
        let mut writer = Writer::new(dir.path().to_path_buf(), "p".into(), info, 1 << 20);
        let at = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        fs::write(dir.path().join(file_name("p", at, 0, "h")), b"").unwrap();
        fs::write(
            dir.path()
                .join(format!("{}.open", file_name("p", at, 1, "h"))),
            b"",
        )
        .unwrap();
        let (_, name) = writer.create_unique(at).unwrap();
        assert_eq!(name, "p-20260101000000-00002-h.warc.gz");
        assert_eq!(writer.next_serial, 3);
        writer.current = None;
    }

    #[test]
    fn names_are_sanitised() {
        assert_eq!(sanitise("host name/ü.vn", false), "host-name--.vn");
        assert_eq!(sanitise("", false), "unknown");
        assert_eq!(sanitise("../..", true), "unknown");
        assert_eq!(sanitise("bao_lao-cai", true), "bao_lao-cai");
        assert_eq!(sanitise("bao_lao", false), "bao-lao");
    }
}
