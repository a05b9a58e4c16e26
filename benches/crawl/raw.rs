//! The raw loopback limit: plain keep-alive GETs against the portal server, nothing parsed or
//! archived — the ceiling any crawler on this machine works under.
//!
//! `per_host` connections per host, each walking its share of the host's pages in a loop of
//! write request → read head → read `Content-Length` bytes.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// (requests, body bytes, elapsed) for fetching every page of every host once.
pub async fn run(
    addrs: &[SocketAddr],
    paths: Vec<Vec<String>>,
    per_host: usize,
) -> std::io::Result<(u64, u64, Duration)> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (addr, paths) in addrs.iter().zip(paths) {
        for part in 0..per_host {
            let mine: Vec<String> = paths.iter().skip(part).step_by(per_host).cloned().collect();
            tasks.push(tokio::spawn(fetch_all(*addr, mine)));
        }
    }
    let (mut requests, mut bytes) = (0, 0);
    for task in tasks {
        let (r, b) = task.await.map_err(std::io::Error::other)??;
        requests += r;
        bytes += b;
    }
    Ok((requests, bytes, started.elapsed()))
}

async fn fetch_all(addr: SocketAddr, paths: Vec<String>) -> std::io::Result<(u64, u64)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut buf = Vec::with_capacity(64 * 1024);
    let mut chunk = vec![0u8; 64 * 1024];
    let (mut requests, mut bytes) = (0u64, 0u64);
    for path in paths {
        let req = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: raw-bench\r\n\r\n");
        stream.write_all(req.as_bytes()).await?;
        bytes += read_response(&mut stream, &mut buf, &mut chunk).await? as u64;
        requests += 1;
    }
    Ok((requests, bytes))
}

/// Reads one response (head + `Content-Length` body); returns the body length.
async fn read_response(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    chunk: &mut [u8],
) -> std::io::Result<usize> {
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = stream.read(chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = stream.read(chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    buf.drain(..head_end + length);
    Ok(length)
}
