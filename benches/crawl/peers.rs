//! The tools a user would run instead, on the same portal in the same run: GNU Wget (one
//! `--recursive --warc-file` process per host, in parallel) and Scrapy (one process over all
//! hosts, with scrapy-warcio's middleware when it imports).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::measure::{self, Usage};
use crate::server::{Counts, Server};

/// A finished peer run.
pub struct PeerRun {
    pub usage: Usage,
    pub served: Counts,
    pub warc_mb: f64,
}

const WGET: &str = "/usr/bin/wget";
const MANIFEST: &str = env!("CARGO_MANIFEST_DIR");

/// The Scrapy venv: `$BAOLUU_BENCH_VENV`, else /work/venv-bench.
fn venv() -> PathBuf {
    std::env::var_os("BAOLUU_BENCH_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/venv-bench"))
}

/// Why a peer cannot run here, if it cannot.
pub fn missing(peer: &str) -> Option<String> {
    match peer {
        "wget" if !Path::new(WGET).is_file() => {
            Some(format!("{WGET} not found (apt-get install wget)"))
        }
        "scrapy" | "scrapy-nowarc" if !venv().join("bin/scrapy").is_file() => Some(format!(
            "no scrapy in {} (python3 -m venv it; pip install scrapy scrapy-warcio)",
            venv().display()
        )),
        "wget" | "scrapy" | "scrapy-nowarc" => None,
        other => Some(format!(
            "unknown peer `{other}` (wget, scrapy, scrapy-nowarc)"
        )),
    }
}

/// `wget --recursive --level=inf --warc-file` per host, all at once.
pub fn wget(server: &Server, dir: &Path) -> std::io::Result<PeerRun> {
    let mut commands = Vec::new();
    for i in 0..server.addrs.len() {
        let n = i + 1;
        let mut cmd = Command::new(WGET);
        cmd.args(["--recursive", "--level=inf", "--no-verbose"])
            .arg(format!(
                "--warc-file={}",
                dir.join(format!("wget-h{n}")).display()
            ))
            .arg(format!(
                "--directory-prefix={}",
                dir.join(format!("files-h{n}")).display()
            ))
            .arg(format!(
                "--output-file={}",
                dir.join(format!("wget-h{n}.log")).display()
            ))
            .arg("--user-agent=wget-bench/0.1 (+mailto:bench@example.org)")
            .arg(format!("http://{}/", server.authority(i)))
            .stdin(Stdio::null());
        commands.push(cmd);
    }
    let before = server.counts();
    let usage = measure::run_all(commands)?;
    Ok(PeerRun {
        usage,
        served: server.counts().since(before),
        warc_mb: measure::dir_mb(dir, ".warc.gz"),
    })
}

/// Scrapy over all hosts; with scrapy-warcio when `warc` is set.
pub fn scrapy(server: &Server, dir: &Path, warc: bool) -> std::io::Result<PeerRun> {
    let hosts: Vec<String> = (0..server.addrs.len())
        .map(|i| server.authority(i))
        .collect();
    let bench = Path::new(MANIFEST).join("bench");
    let mut cmd = Command::new(venv().join("bin/scrapy"));
    cmd.arg("runspider")
        .arg(bench.join("scrapy_bench.py"))
        .arg("-a")
        .arg(format!("hosts={}", hosts.join(",")))
        .env("PYTHONPATH", &bench)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(dir.join("scrapy.stdout"))?)
        .stderr(std::fs::File::create(dir.join("scrapy.stderr"))?);
    if warc {
        let warcs = dir.join("warc");
        std::fs::create_dir_all(&warcs)?;
        let settings = dir.join("warcio.yml");
        std::fs::write(&settings, warcio_settings(&warcs))?;
        cmd.env("SCRAPY_WARCIO_SETTINGS", &settings).args([
            "-s",
            "DOWNLOADER_MIDDLEWARES={\"scrapy_warc_mw.WarcioDownloaderMiddleware\": 543}",
        ]);
    }
    let before = server.counts();
    let usage = measure::run(cmd)?;
    Ok(PeerRun {
        usage,
        served: server.counts().since(before),
        warc_mb: measure::dir_mb(dir, ".warc.gz"),
    })
}

fn warcio_settings(dest: &Path) -> String {
    format!(
        "---\nwarc_spec: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.0/\nmax_warc_size: 1000000000\ncollection: bench\ndescription: baoluu benchmark peer\noperator: bench@example.org\nrobots: obey\nuser_agent: scrapy-bench/0.1\nwarc_prefix: scrapy\nwarc_dest: {}\n",
        dest.display()
    )
}

/// The tail of a peer's stderr, for a failure note.
pub fn stderr_tail(dir: &Path, name: &str) -> String {
    let text = std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(3).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join(" / ")
}
