//! Where an archive's readers find its lines and its WARC files (issue 18 item 4): one index
//! made of each portal's closed segments (`archive::segments`) and then its current file, and
//! WARC files under `warc/`, whether they are on local disk or were fetched back from the
//! bucket after `keep_local` removed them.
//!
//! Fetched copies live in a folder of their own with the archive's layout (`warc/…`,
//! `index/segments/…`), never in the archive itself, so the uploader never sees them as new
//! files; the `storage` module fills it, and readers (`verify`, `wacz`, `changes`) read
//! through a [`Sources`] without knowing where a file came from. Without `[storage]` the
//! sources are the archive alone and readers behave as they always did. Reads names only.

use std::path::{Path, PathBuf};

use crate::archive::segments;

/// An archive, and optionally the folder its deleted files were fetched back into.
#[derive(Debug, Clone)]
pub struct Sources {
    archive_dir: PathBuf,
    fetched: Option<PathBuf>,
}

impl Sources {
    /// The archive's own files only.
    pub fn local(archive_dir: &Path) -> Sources {
        Sources {
            archive_dir: archive_dir.to_path_buf(),
            fetched: None,
        }
    }

    /// Also reads the copies in `dir` (the archive's layout) of files gone from the archive.
    pub fn with_fetched(self, dir: &Path) -> Sources {
        Sources {
            fetched: Some(dir.to_path_buf()),
            ..self
        }
    }

    /// The archive folder.
    pub fn archive_dir(&self) -> &Path {
        &self.archive_dir
    }

    /// The archive, then the fetched copies.
    fn roots(&self) -> impl Iterator<Item = &Path> {
        std::iter::once(self.archive_dir.as_path()).chain(self.fetched.as_deref())
    }

    /// The folders WARC files are looked up in, local first.
    pub fn warc_dirs(&self) -> Vec<PathBuf> {
        self.roots().map(|r| r.join("warc")).collect()
    }

    /// The `index` folders (for CDXJ files), local first.
    pub fn index_dirs(&self) -> Vec<PathBuf> {
        self.roots().map(super::dir).collect()
    }

    /// The path of the closed WARC file `filename`: the local one when it is there, else the
    /// fetched copy, else the local path (which a reader then reports as missing).
    pub fn warc(&self, filename: &str) -> PathBuf {
        let local = self.archive_dir.join("warc").join(filename);
        self.roots()
            .map(|r| r.join("warc").join(filename))
            .find(|p| p.is_file())
            .unwrap_or(local)
    }

    /// The line files of `folder` (`"index"` or `"changes"`) in reading order: portal by
    /// portal (sorted by name; only `portal` when given), its closed segments oldest first,
    /// then its current file. A segment closed while this lists is picked up by listing
    /// again; one closed after the listing, before the caller reads the current file, is
    /// missed by that reading (a reader beside a running crawl sees the index as of a moment,
    /// give or take its last batch).
    pub fn line_files(&self, folder: &str, portal: Option<&str>) -> std::io::Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for name in self.portals(folder)? {
            if portal.is_some_and(|p| p != name) {
                continue;
            }
            files.extend(self.portal_files(folder, &name)?);
        }
        Ok(files)
    }

    /// Segments then the current file of one portal, listed until a segment closing beside
    /// the listing no longer changes it (a few tries; a busy writer closes one per batch).
    fn portal_files(&self, folder: &str, portal: &str) -> std::io::Result<Vec<PathBuf>> {
        let current = super::file_path(&self.archive_dir.join(folder), portal);
        let mut segments = self.segments(folder, portal)?;
        for _ in 0..5 {
            let has_current = current.is_file();
            let again = self.segments(folder, portal)?;
            if again == segments {
                segments.extend(has_current.then(|| current.clone()));
                return Ok(segments);
            }
            segments = again;
        }
        segments.extend(current.is_file().then_some(current));
        Ok(segments)
    }

    /// A portal's closed segments by name, the local copy when there is one.
    fn segments(&self, folder: &str, portal: &str) -> std::io::Result<Vec<PathBuf>> {
        let mut by_name: Vec<(std::ffi::OsString, PathBuf)> = Vec::new();
        for root in self.roots() {
            for path in segments::list(&super::file_path(&root.join(folder), portal))? {
                let name = path.file_name().unwrap_or_default().to_os_string();
                if !by_name.iter().any(|(n, _)| *n == name) {
                    by_name.push((name, path));
                }
            }
        }
        by_name.sort();
        Ok(by_name.into_iter().map(|(_, p)| p).collect())
    }

    /// The portals with a current file or a segment folder under `folder`, sorted.
    fn portals(&self, folder: &str) -> std::io::Result<Vec<String>> {
        let mut names = Vec::new();
        let current = read_names(&self.archive_dir.join(folder))?;
        names.extend(
            current
                .into_iter()
                .filter_map(|n| n.strip_suffix(".jsonl").map(str::to_string)),
        );
        for root in self.roots() {
            names.extend(read_names(&root.join(folder).join("segments"))?);
        }
        names.sort();
        names.dedup();
        Ok(names)
    }
}

/// The entry names of `dir` (none when it does not exist).
fn read_names(dir: &Path) -> std::io::Result<Vec<String>> {
    let paths = crate::archive::paths_in(dir)?;
    let names = paths.iter().filter_map(|p| p.file_name()?.to_str());
    Ok(names.map(str::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, b"{}\n").unwrap();
    }

    #[test]
    fn segments_local_or_fetched_come_before_the_current_file_portal_by_portal() {
        let dir = tempfile::tempdir().unwrap();
        let (archive, fetched) = (dir.path().join("a"), dir.path().join("f"));
        touch(&archive.join("index/p.jsonl"));
        touch(&archive.join("index/segments/p/p-2-0000.jsonl"));
        touch(&fetched.join("index/segments/p/p-1-0000.jsonl"));
        touch(&fetched.join("index/segments/p/p-2-0000.jsonl"));
        touch(&fetched.join("index/segments/old/old-1-0000.jsonl"));
        touch(&archive.join("index/q.jsonl"));
        touch(&archive.join("index/cdxj/w.warc.gz.cdxj"));
        let sources = Sources::local(&archive).with_fetched(&fetched);
        let files = sources.line_files("index", None).unwrap();
        let shown: Vec<String> = files
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            shown,
            [
                "f/index/segments/old/old-1-0000.jsonl",
                "f/index/segments/p/p-1-0000.jsonl",
                "a/index/segments/p/p-2-0000.jsonl",
                "a/index/p.jsonl",
                "a/index/q.jsonl",
            ]
        );
        assert_eq!(sources.line_files("index", Some("q")).unwrap().len(), 1);
        let local = Sources::local(&archive).line_files("index", None).unwrap();
        assert_eq!(
            local.len(),
            3,
            "without fetched copies: the local files only"
        );
    }

    #[test]
    fn a_warc_is_read_locally_when_present_else_from_the_fetched_copy() {
        let dir = tempfile::tempdir().unwrap();
        let (archive, fetched) = (dir.path().join("a"), dir.path().join("f"));
        touch(&archive.join("warc/here.warc.gz"));
        touch(&fetched.join("warc/here.warc.gz"));
        touch(&fetched.join("warc/gone.warc.gz"));
        let sources = Sources::local(&archive).with_fetched(&fetched);
        assert_eq!(
            sources.warc("here.warc.gz"),
            archive.join("warc/here.warc.gz")
        );
        assert_eq!(
            sources.warc("gone.warc.gz"),
            fetched.join("warc/gone.warc.gz")
        );
        assert_eq!(
            sources.warc("none.warc.gz"),
            archive.join("warc/none.warc.gz")
        );
    }
}
