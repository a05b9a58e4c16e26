//! `indexes/index.cdx.gz`: the selected files' CDXJ lines as one sorted, block-gzipped index.
//!
//! Each per-file index is already sorted bytewise (crate::cdxj), so a k-way merge streams them
//! into one sorted index without holding the lines in memory; pywb and ReplayWeb.page
//! binary-search it (docs/replay.md). The `filename` of every line is the
//! WARC's bare name, which is also its name under `archive/`, where WACZ readers look it up.
//! More files than [`FAN_IN`] are merged in tiers through temporary files beside the output, so
//! the number of open files stays bounded. The merged lines go through a
//! [`BlockWriter`](super::blocks::BlockWriter), which gzips them in blocks and keeps the
//! `indexes/index.idx` text that points at each block (issue 20). Revisit lines pass through
//! [`Fixes`](super::revisits::Fixes) on the way (see [`super::revisits`]).

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::Error;
use super::blocks::{BlockWriter, LINES_PER_BLOCK};
use super::revisits::Fixes;
use super::select::{Lines, Source};

/// Files merged at once (each holds one open file and its buffer).
const FAN_IN: usize = 128;

/// The merged index: its line count and the `.idx` text of its blocks.
pub(super) struct Merged {
    pub lines: usize,
    pub idx: String,
}

/// Writes the merged lines of `sources`, gzipped in blocks, to `out`.
/// `wacz` (the package being written) names write errors and places the tier files.
pub(super) fn write_merged(
    sources: &[Source],
    fixes: &Fixes,
    out: impl Write,
    wacz: &Path,
) -> Result<Merged, Error> {
    write_merged_in(sources, fixes, out, wacz, LINES_PER_BLOCK)
}

fn write_merged_in(
    sources: &[Source],
    fixes: &Fixes,
    out: impl Write,
    wacz: &Path,
    lines_per_block: usize,
) -> Result<Merged, Error> {
    let write_error = |source| Error::Write {
        path: wacz.to_path_buf(),
        source,
    };
    let mut gz = BlockWriter::new(out, lines_per_block);
    let count = if sources.len() <= FAN_IN {
        merge(sources, fixes, &mut gz, wacz)?
    } else {
        let tiers = tier_dir(wacz);
        let merged = merge_in_tiers(sources, fixes, &tiers, &mut gz, wacz);
        let _ = fs::remove_dir_all(&tiers);
        merged?
    };
    let idx = gz.finish().map_err(write_error)?;
    Ok(Merged { lines: count, idx })
}

fn tier_dir(wacz: &Path) -> PathBuf {
    wacz.with_extension("cdx-parts")
}

/// Merges groups of [`FAN_IN`] sources into sorted files in `dir`, then merges those.
fn merge_in_tiers(
    sources: &[Source],
    fixes: &Fixes,
    dir: &Path,
    out: &mut impl Write,
    wacz: &Path,
) -> Result<usize, Error> {
    let write_error = |path: &Path, source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    fs::create_dir_all(dir).map_err(|e| write_error(dir, e))?;
    let mut parts = Vec::new();
    for (n, group) in sources.chunks(FAN_IN).enumerate() {
        let path = dir.join(format!("{n:05}.cdxj"));
        let file = File::create(&path).map_err(|e| write_error(&path, e))?;
        let mut file = BufWriter::new(file);
        merge(group, fixes, &mut file, &path)?;
        file.flush().map_err(|e| write_error(&path, e))?;
        parts.push(Source::new(
            format!("part {n}"),
            path.clone(),
            Lines::OnDisk(path),
        ));
    }
    // The parts' lines were fixed on their way into the parts.
    let fixed = Fixes::default();
    if parts.len() <= FAN_IN {
        merge(&parts, &fixed, out, wacz)
    } else {
        merge_in_tiers(&parts, &fixed, &dir.join("next"), out, wacz)
    }
}

/// The k-way merge: the smallest pending line of all sources goes out next, as `fixes` writes
/// it (a fixed revisit keeps its key and timestamp, so the order holds).
fn merge(
    sources: &[Source],
    fixes: &Fixes,
    out: &mut impl Write,
    target: &Path,
) -> Result<usize, Error> {
    let mut iters = sources
        .iter()
        .map(Source::lines)
        .collect::<Result<Vec<_>, _>>()?;
    let mut heap = BinaryHeap::new();
    for (i, lines) in iters.iter_mut().enumerate() {
        if let Some(line) = lines.next() {
            heap.push(Reverse((line?, i)));
        }
    }
    let mut count = 0;
    while let Some(Reverse((line, i))) = heap.pop() {
        if let Some(line) = fixes.apply(line) {
            out.write_all(line.as_bytes())
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|source| Error::Write {
                    path: target.to_path_buf(),
                    source,
                })?;
            count += 1;
        }
        if let Some(next) = iters[i].next() {
            heap.push(Reverse((next?, i)));
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memory(name: &str, lines: &[&str]) -> Source {
        let lines = lines.iter().map(|l| l.to_string()).collect();
        Source::new(name.into(), PathBuf::from(name), Lines::Rebuilt(lines))
    }

    use crate::fetch::gunzip::gunzip_text as gunzip;

    #[test]
    fn merges_sorted_sources_into_one_sorted_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let wacz = dir.path().join("x.wacz");
        let sources = [
            memory("a", &["com,a)/ 2026", "com,c)/ 2026"]),
            memory("b", &["com,b)/ 2026", "com,d)/ 2026"]),
            memory("c", &[]),
        ];
        let mut out = Vec::new();
        let merged = write_merged_in(&sources, &Fixes::default(), &mut out, &wacz, 3).unwrap();
        assert_eq!(merged.lines, 4);
        assert_eq!(merged.idx.lines().count(), 3, "meta and two blocks");
        assert_eq!(
            gunzip(&out),
            "com,a)/ 2026\ncom,b)/ 2026\ncom,c)/ 2026\ncom,d)/ 2026\n"
        );
    }

    #[test]
    fn many_sources_merge_in_tiers_and_clean_up() {
        let dir = tempfile::tempdir().unwrap();
        let wacz = dir.path().join("x.wacz");
        let keys: Vec<String> = (0..FAN_IN * 2 + 3).map(|n| format!("k{n:06}")).collect();
        // More sources than FAN_IN, keys interleaved: source s holds the keys whose index ≡ s (mod n).
        let n = FAN_IN + 7;
        let sources: Vec<Source> = (0..n)
            .map(|s| {
                let mine: Vec<&str> = keys.iter().skip(s).step_by(n).map(|k| k.as_str()).collect();
                memory(&format!("s{s}"), &mine)
            })
            .collect();
        let mut out = Vec::new();
        let merged = write_merged(&sources, &Fixes::default(), &mut out, &wacz).unwrap();
        assert_eq!(merged.lines, keys.len());
        let expected: String = keys.iter().map(|k| format!("{k}\n")).collect();
        assert_eq!(gunzip(&out), expected);
        assert!(!tier_dir(&wacz).exists(), "tier files are removed");
    }
}
