//! Which local files belong in the bucket: closed WARC files, their CDXJ, run reports, and the
//! closed segments of the index and changes files (issue 18 item 4).
//!
//! The uploader finds them by listing `archive_dir` instead of being told by the writer
//! thread, so a file closed by crash recovery, by `save`, or while the uploader was down is
//! queued all the same (issue 18 item 3). Every file listed here is complete by construction:
//! WARCs are written as `….open` and renamed when closed, CDXJ and run reports are written to
//! a `.tmp` and renamed (docs/archive.md), segments are renamed whole out of the current file
//! once closed (`archive::segments`). Never reads file contents.

use std::path::Path;

/// The folders scanned, the suffix a closed file has there, and its kind in the queue.
const PLACES: &[(&str, &str, &str)] = &[
    ("warc", ".warc.gz", "warc"),
    ("index/cdxj", ".cdxj", "cdxj"),
    ("runs", ".json", "run"),
];

/// The segment folders (`{folder}/segments/{portal}/*.jsonl`) and their kind in the queue.
const SEGMENTS: &[(&str, &str)] = &[("index", "index"), ("changes", "changes")];

/// `(path relative to archive_dir with '/', kind)` of every closed file, sorted by path.
pub fn closed_files(archive_dir: &Path) -> std::io::Result<Vec<(String, &'static str)>> {
    let mut found = Vec::new();
    for (folder, suffix, kind) in PLACES {
        files_in(archive_dir, folder, suffix, kind, &mut found)?;
    }
    for (folder, kind) in SEGMENTS {
        let segments = format!("{folder}/segments");
        for portal in names(&archive_dir.join(&segments))? {
            let place = format!("{segments}/{portal}");
            files_in(archive_dir, &place, ".jsonl", kind, &mut found)?;
        }
    }
    found.sort();
    Ok(found)
}

/// Adds the files of `archive_dir/folder` ending in `suffix`.
fn files_in(
    archive_dir: &Path,
    folder: &str,
    suffix: &str,
    kind: &'static str,
    found: &mut Vec<(String, &'static str)>,
) -> std::io::Result<()> {
    for path in crate::archive::paths_in(&archive_dir.join(folder))? {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if name.ends_with(suffix) && path.is_file() {
            found.push((format!("{folder}/{name}"), kind));
        }
    }
    Ok(())
}

/// The names of the folders in `dir` (none when it does not exist).
fn names(dir: &Path) -> std::io::Result<Vec<String>> {
    let paths = crate::archive::paths_in(dir)?;
    let folders = paths.iter().filter(|p| p.is_dir());
    Ok(folders
        .filter_map(|p| Some(p.file_name()?.to_str()?.to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_closed_files_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "warc/a-1.warc.gz",
            "warc/a-2.warc.gz.open",
            "index/cdxj/a-1.warc.gz.cdxj",
            "index/cdxj/a-2.warc.gz.cdxj.tmp",
            "index/a.jsonl",
            "index/segments/a/a-20261204T100000Z-0000.jsonl",
            "changes/a.jsonl",
            "changes/segments/a/a-20261204T100000Z-0000.jsonl",
            "runs/r.json",
            "runs/r2.json.tmp",
            "state.sqlite",
        ] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"x").unwrap();
        }
        let listed = closed_files(dir.path()).unwrap();
        assert_eq!(
            listed,
            [
                (
                    "changes/segments/a/a-20261204T100000Z-0000.jsonl".to_string(),
                    "changes"
                ),
                ("index/cdxj/a-1.warc.gz.cdxj".to_string(), "cdxj"),
                (
                    "index/segments/a/a-20261204T100000Z-0000.jsonl".to_string(),
                    "index"
                ),
                ("runs/r.json".to_string(), "run"),
                ("warc/a-1.warc.gz".to_string(), "warc"),
            ]
        );
    }
}
