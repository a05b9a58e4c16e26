//! trafilatura beside baoluu on the same pages, in the same run (issue 8): the extraction
//! benchmark writes the decoded pages to a temporary folder, runs `bench/trafilatura_extract.py`
//! with the Python named by `BAOLUU_TRAFILATURA_PYTHON` (one that has trafilatura installed), and
//! scores the texts it returns with the bench's own functions. Without that variable the
//! comparison is skipped with a message.

use std::path::PathBuf;
use std::process::Command;

use serde::Deserialize;
use url::Url;

/// What trafilatura did with a set of pages.
#[derive(Deserialize)]
pub struct Run {
    /// Extracted body per page, in the order given.
    pub texts: Vec<String>,
    pub pages: usize,
    pub bytes: usize,
    pub rounds: usize,
    pub wall: f64,
    pub cpu: f64,
    pub version: String,
}

impl Run {
    /// Pages/s and MB/s by this one thread's CPU time.
    pub fn rates(&self) -> (f64, f64) {
        let secs = self.cpu.max(1e-9);
        let n = self.rounds as f64;
        (
            n * self.pages as f64 / secs,
            n * self.bytes as f64 / secs / 1e6,
        )
    }
}

/// Runs trafilatura over `pages`, or says why not.
pub fn trafilatura(pages: &[(&str, &Url)]) -> Option<Run> {
    let Ok(python) = std::env::var("BAOLUU_TRAFILATURA_PYTHON") else {
        println!(
            "trafilatura: skipped (set BAOLUU_TRAFILATURA_PYTHON to a python with trafilatura)"
        );
        return None;
    };
    let dir = tempfile::tempdir().ok()?;
    let manifest: Vec<serde_json::Value> = pages
        .iter()
        .enumerate()
        .map(|(i, (html, url))| {
            let path = dir.path().join(format!("{i}.html"));
            std::fs::write(&path, html).expect("page written");
            serde_json::json!({ "path": path, "url": url.as_str() })
        })
        .collect();
    let manifest_path = dir.path().join("manifest.json");
    let out = dir.path().join("out.json");
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).ok()?).ok()?;
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/trafilatura_extract.py");
    let status = Command::new(&python)
        .arg(&script)
        .arg(&manifest_path)
        .arg(&out)
        .status();
    match status {
        Ok(s) if s.success() => serde_json::from_slice(&std::fs::read(&out).ok()?).ok(),
        other => {
            println!(
                "trafilatura: failed to run {python} {}: {other:?}",
                script.display()
            );
            None
        }
    }
}
