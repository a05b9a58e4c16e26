//! A static file server with byte ranges, for ReplayWeb.page in a real browser (issue 20).
//!
//! ReplayWeb.page reads a WACZ by HTTP range requests (the ZIP directory, then each index
//! block and record), so the server that hands Chromium the app (`index.html`, `ui.js`,
//! `sw.js`) also serves the `.wacz` with `Range: bytes=…` (RFC 9110 §14): one origin, as the
//! service worker requires. It listens on 127.0.0.1 only, answers each connection on its own
//! thread and closes it after one response (no keep-alive bookkeeping), and serves only files
//! under its root plus the one WACZ it was given.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};

/// The URL path the WACZ is served at.
pub const WACZ_PATH: &str = "/archive.wacz";

pub struct Server {
    pub base: String,
}

/// Serves the files under `root` and `wacz` at [`WACZ_PATH`] until the process ends.
pub fn serve(root: &Path, wacz: &Path) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    let (root, wacz) = (root.to_path_buf(), wacz.to_path_buf());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (root, wacz) = (root.clone(), wacz.clone());
            std::thread::spawn(move || {
                let _ = answer(stream, &root, &wacz);
            });
        }
    });
    Server { base }
}

struct Request {
    head_only: bool,
    path: String,
    range: Option<String>,
}

fn read_request(stream: &TcpStream) -> std::io::Result<Request> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("range")
        {
            range = Some(value.trim().to_string());
        }
    }
    Ok(Request {
        head_only: method == "HEAD",
        path,
        range,
    })
}

fn answer(mut stream: TcpStream, root: &Path, wacz: &Path) -> std::io::Result<()> {
    let request = read_request(&stream)?;
    let Some(file) = resolve(root, wacz, &request.path) else {
        return stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    };
    let mut handle = File::open(&file)?;
    let size = handle.metadata()?.len();
    let (status, start, end) = match request.range.as_deref().and_then(|r| span(r, size)) {
        Some((start, end)) => ("206 Partial Content", start, end),
        None if request.range.is_some() => {
            let head = format!(
                "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{size}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            return stream.write_all(head.as_bytes());
        }
        None => ("200 OK", 0, size),
    };
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {}\r\nContent-Length: {}\r\nAccept-Ranges: bytes\r\nCache-Control: no-store\r\nConnection: close\r\n",
        content_type(&file),
        end - start
    );
    if status.starts_with("206") {
        head.push_str(&format!(
            "Content-Range: bytes {start}-{}/{size}\r\n",
            end - 1
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if !request.head_only {
        handle.seek(SeekFrom::Start(start))?;
        std::io::copy(&mut handle.take(end - start), &mut stream)?;
    }
    stream.flush()
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` as a half-open span within `size`.
fn span(range: &str, size: u64) -> Option<(u64, u64)> {
    let (first, last) = range.strip_prefix("bytes=")?.split_once('-')?;
    let (start, end) = match (first.trim(), last.trim()) {
        ("", n) => (size.saturating_sub(n.parse().ok()?), size),
        (a, "") => (a.parse().ok()?, size),
        (a, b) => (
            a.parse().ok()?,
            b.parse::<u64>().ok()?.saturating_add(1).min(size),
        ),
    };
    (start < end).then_some((start, end))
}

fn resolve(root: &Path, wacz: &Path, path: &str) -> Option<PathBuf> {
    if path == WACZ_PATH {
        return Some(wacz.to_path_buf());
    }
    let relative = match path.trim_start_matches('/') {
        "" => "index.html",
        other => other,
    };
    let safe = Path::new(relative)
        .components()
        .all(|c| matches!(c, Component::Normal(_)));
    let file = root.join(relative);
    (safe && file.is_file()).then_some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "application/javascript",
        Some("json") => "application/json",
        Some("css") => "text/css",
        _ => "application/octet-stream",
    }
}
