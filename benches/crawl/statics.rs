//! The portal as static files, for nginx: every page [`Site::route`] answers (robots.txt, home,
//! section chains, articles, and the 404 body) written once per host under `root/hN/`, with
//! the same bytes the tokio server sends and at the same URL paths (`/` is `index.html`; the
//! site has no query strings). Then a check that nginx serves a sample of them byte for byte,
//! with the tokio server's status and Content-Type.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::site::Site;

/// Host `host`'s document root under the nginx prefix.
pub fn root(prefix: &Path, host: u32) -> PathBuf {
    prefix.join("root").join(format!("h{host}"))
}

/// The file a URL path is stored in, under a host's root.
fn file_of(root: &Path, path: &str) -> PathBuf {
    match path {
        "/" => root.join("index.html"),
        p => root.join(p.trim_start_matches('/')),
    }
}

/// A path no host serves, for the 404 body.
const MISSING: &str = "/khong-co-trang-nay.html";

/// Writes every host's pages under `prefix`; returns the number of files.
pub fn write(site: &Site, hosts: u32, prefix: &Path) -> std::io::Result<u64> {
    let mut files = 0;
    for host in 1..=hosts {
        let root = root(prefix, host);
        let mut paths = site.paths(host);
        paths.push("/robots.txt".into());
        for path in &paths {
            let (_, _, body, _) = site.route(host, path);
            put(&file_of(&root, path), &body)?;
        }
        let (_, _, body, _) = site.route(host, MISSING);
        put(&root.join("404.html"), &body)?;
        files += paths.len() as u64 + 1;
    }
    Ok(files)
}

fn put(file: &Path, body: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::File::create(file)?.write_all(body)
}

/// Fetches a sample of URLs on every host and compares each with what the tokio server would
/// send: status, Content-Type and body. Returns every mismatch.
pub fn verify(site: &Site, addrs: &[SocketAddr]) -> Result<usize, String> {
    let mut checked = 0;
    let mut errors = Vec::new();
    for (i, addr) in addrs.iter().enumerate() {
        let host = i as u32 + 1;
        for path in sample(site, host) {
            let (status, mime, body, _) = site.route(host, &path);
            let want = (status, mime.to_string(), body);
            checked += 1;
            match get(*addr, &path) {
                Ok(got) if got == want => {}
                Ok((s, m, b)) => errors.push(format!(
                    "http://{addr}{path} differs: got {s} `{m}` {} bytes, the tokio server sends {status} `{mime}` {} bytes",
                    b.len(),
                    want.2.len()
                )),
                Err(e) => errors.push(format!("http://{addr}{path}: {e}")),
            }
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors.join("\n"))
    }
}

/// robots.txt, home, each section's first and last page, the first and last articles, two paths
/// that must be 404 (`/index.html` is a file on disk but not a page of the site).
fn sample(site: &Site, host: u32) -> Vec<String> {
    let all = site.paths(host);
    let articles = site.articles_per_host as usize;
    let listings = &all[..all.len() - articles];
    let mut paths = vec![
        "/robots.txt".to_string(),
        MISSING.into(),
        "/index.html".into(),
    ];
    paths.extend(listings.iter().take(2).cloned());
    paths.extend(listings.last().cloned());
    paths.extend(all[all.len() - articles..].iter().take(2).cloned());
    paths.extend(all.last().cloned());
    paths
}

/// One GET with `Connection: close`: (status, Content-Type, body).
fn get(addr: SocketAddr, path: &str) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(req.as_bytes())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply)?;
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let end = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of head"))?;
    let head = String::from_utf8_lossy(&reply[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| bad("no status"))?;
    let mime = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-type")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default();
    Ok((status, mime, reply[end + 4..].to_vec()))
}
