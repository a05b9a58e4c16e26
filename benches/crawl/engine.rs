//! baoluu itself: the release binary's `crawl` on a generated configuration (one portal per
//! host), measured as a child process.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::measure::{self, Usage};
use crate::server::{Counts, Server};

/// A finished engine run.
pub struct EngineRun {
    pub usage: Usage,
    /// What the server served during the run.
    pub served: Counts,
    /// Lines in `index/*.jsonl`: articles archived and indexed.
    pub index_lines: u64,
    pub warc_mb: f64,
}

/// The path of the release binary built with this bench, or `BAOLUU_BENCH_BIN` (another
/// build's binary: before/after comparisons in one served portal's conditions, issue 17).
pub fn binary() -> PathBuf {
    std::env::var_os("BAOLUU_BENCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_baoluu")))
}

/// The configuration: one `[[portal]]` per host, delays as given.
pub fn config(server: &Server, archive: &Path, min_delay: &str) -> String {
    let hosts = server.addrs.len();
    let mut text = format!(
        r#"[crawler]
user_agent = "baoluu-bench/0.1 (+mailto:bench@example.org)"
archive_dir = "{}"
min_delay = "{min_delay}"
delay_factor = 0
max_in_flight = {}
min_free_space = "1MB"
"#,
        archive.display(),
        hosts.max(16)
    );
    for i in 0..hosts {
        let host = server.authority(i);
        let re = regex::escape(&format!("http://{host}"));
        text.push_str(&format!(
            r#"
[[portal]]
name = "p{n}"
seeds = ["http://{host}/"]
hosts = ["{host}"]
article_urls = ['^{re}/[a-z-]+/[a-z0-9-]+-a\d+\.html$']
listing_urls = ['^{re}/([a-z-]+(/trang-\d+)?\.html)?$']
max_listing_pages = 1000000
stale_listing_pages = 1000000
"#,
            n = i + 1
        ));
    }
    text
}

/// Runs `baoluu crawl` over the server's hosts with archive and config in `dir`.
pub fn crawl(server: &Server, dir: &Path, min_delay: &str) -> std::io::Result<EngineRun> {
    let archive = dir.join("archive");
    let config = dir.join("baoluu.toml");
    std::fs::write(&config, self::config(server, &archive, min_delay))?;
    let mut cmd = Command::new(binary());
    cmd.arg("--config")
        .arg(&config)
        .arg("crawl")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("crawl.stdout"))?)
        .stderr(std::fs::File::create(dir.join("crawl.stderr"))?);
    let before = server.counts();
    let usage = measure::run(cmd)?;
    let served = server.counts().since(before);
    Ok(EngineRun {
        usage,
        served,
        index_lines: index_lines(&archive.join("index")),
        warc_mb: measure::dir_mb(&archive.join("warc"), ".warc.gz"),
    })
}

/// Counts the lines of every `*.jsonl` in `dir`.
fn index_lines(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|e| std::fs::read(e.path()).ok())
        .map(|bytes| bytes.iter().filter(|&&b| b == b'\n').count() as u64)
        .sum()
}
