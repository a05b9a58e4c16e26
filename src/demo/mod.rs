//! `baoluu demo` (issue 19): baoluu at work in one command, without the network. It serves the
//! sample portal of [`site`] on a free loopback port, crawls it into a fresh archive with the
//! ordinary crawl (robots.txt, politeness, WARC, index, CDXJ), prints what was archived and
//! where, then serves the status page (`crate::web`) for that archive until Ctrl-C.
//!
//! It never loads the configured portals (its configuration is written for the sample portal
//! alone) and never listens beyond 127.0.0.1. The archive stays after it exits, for a look.

pub mod site;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::report::RunReport;

/// The demo configuration's name inside the archive folder.
const CONFIG_FILE: &str = "baoluu-demo.toml";

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not {doing} {path}")]
    Io {
        doing: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the demo configuration is invalid (a bug in baoluu)")]
    Config(#[from] crate::config::Error),
    #[error("the demo crawl failed")]
    Crawl(#[from] crate::crawl::Error),
    #[error(transparent)]
    Report(#[from] crate::report::Error),
}

fn io(doing: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |source| Error::Io {
        doing,
        path,
        source,
    }
}

/// Runs the demo: `archive` (or a new temporary folder), lines to `say`, until `stop`.
pub async fn run(
    archive: Option<PathBuf>,
    stop: CancellationToken,
    say: &(dyn Fn(&str) + Sync),
) -> Result<(), Error> {
    let dir = archive.unwrap_or_else(|| {
        std::env::temp_dir().join(format!("baoluu-demo-{}", uuid::Uuid::new_v4().simple()))
    });
    std::fs::create_dir_all(&dir).map_err(io("create the archive folder", &dir))?;
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    let portal = loopback(&dir).await?;
    let addr = portal.local_addr().map_err(io("read the port of", &dir))?;
    tokio::spawn(crate::web::http::serve(
        portal,
        site::handler(addr),
        stop.child_token(),
    ));
    say(&format!("Báo Sông Xanh (cổng tin mẫu): http://{addr}/"));
    let config = write_config(&dir, addr)?;
    say(&format!("Lưu trữ vào / archiving into {}", dir.display()));
    let started = chrono::Utc::now();
    let options = crate::crawl::Options::default();
    let summary = crate::crawl::crawl(&config, &[], options, stop.clone(), None).await?;
    let report =
        RunReport::from_summary(vec!["demo".into()], started, chrono::Utc::now(), &summary);
    crate::report::write(&dir, &report)?;
    say(&format!(
        "Đã lưu {} trang, {} bài mới / archived {} pages, {} new articles",
        summary.archived, summary.indexed, summary.archived, summary.indexed
    ));
    for line in produced(&dir) {
        say(&line);
    }
    if stop.is_cancelled() {
        return Ok(());
    }
    let status = loopback(&dir).await?;
    let url = format!(
        "http://{}/",
        status.local_addr().map_err(io("read the port of", &dir))?
    );
    let pages = crate::web::Site::new(config).handler();
    let metrics = Arc::new(crate::metrics::Metrics::new());
    say(&format!(
        "Trang trạng thái / status page: {url}  (Ctrl-C để dừng / to stop)"
    ));
    crate::metrics::serve_with(status, metrics, Some(pages), stop)
        .await
        .map_err(io("serve the status page for", &dir))
}

/// A listener on a free port of 127.0.0.1.
async fn loopback(dir: &Path) -> Result<TcpListener, Error> {
    TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(io("open a loopback port for", dir))
}

/// The demo's configuration, written next to the archive and loaded like any other (so it is
/// validated the same way). The placeholder contact is accepted: the portal is loopback.
fn write_config(dir: &Path, addr: std::net::SocketAddr) -> Result<Config, Error> {
    let re = regex::escape(&format!("http://{addr}"));
    let text = format!(
        r#"# Written by `baoluu demo` for its sample portal; not for real portals.
[crawler]
user_agent = "baoluu-demo/0.1 (+https://github.com/baoluu/baoluu)"
archive_dir = "."
min_delay = "50ms"
delay_factor = 0.0
max_in_flight = 2
grace_period = "5s"
min_free_space = "1MB"

[[portal]]
name = "demo"
seeds = ["http://{addr}/"]
hosts = ["{addr}"]
article_urls = ['^{re}/bai/[a-z0-9-]+\.html$']
listing_urls = ['^{re}/(tin-moi\?trang=\d+)?$']
"#
    );
    let path = dir.join(CONFIG_FILE);
    std::fs::write(&path, text).map_err(io("write", &path))?;
    Ok(Config::load_with_contact(&path, None)?)
}

/// "WARC: …", "index: …", "CDXJ: …" lines for the files the crawl wrote.
fn produced(dir: &Path) -> Vec<String> {
    let list = |sub: &str, ext: &str| -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files.retain(|p| p.to_string_lossy().ends_with(ext));
        files.sort();
        files
    };
    let mut lines = Vec::new();
    for (label, sub, ext) in [
        ("WARC", "warc", ".warc.gz"),
        ("index", "index", ".jsonl"),
        ("CDXJ", "index/cdxj", ".cdxj"),
    ] {
        for file in list(sub, ext) {
            lines.push(format!("  {label}: {}", file.display()));
        }
    }
    lines
}
