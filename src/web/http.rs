//! A tiny HTTP/1.1 responder over tokio (issue 5 part 7, issue 19): one request per connection,
//! answered by a [`Handler`] and closed. It serves `/metrics`, the status page and the demo's
//! sample portal; no server framework, as none is in the dependency tree.
//!
//! The handler runs on tokio's blocking pool (pages read SQLite), so a slow page never stalls
//! the runtime that drives the crawl. Only the request line is read (RFC 9112 §2.1, §3); bodies
//! are never read, headers are ignored. This module never decides what a page says.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// A client that sends no request line within this long is dropped.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// Enough for any real request head; longer heads are cut off.
const MAX_REQUEST: usize = 8 * 1024;

/// What a handler answers: a status line's code and reason, a content type and the body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn new(
        status: &'static str,
        content_type: &'static str,
        body: impl Into<Vec<u8>>,
    ) -> Reply {
        Reply {
            status,
            content_type,
            body: body.into(),
        }
    }

    /// `200 OK`, `text/html; charset=utf-8`.
    pub fn html(body: String) -> Reply {
        Reply::new("200 OK", "text/html; charset=utf-8", body)
    }

    /// The head and body as sent: `Connection: close`, a `Content-Length`, no caching.
    fn bytes(&self) -> Vec<u8> {
        let head = format!(
            "HTTP/1.1 {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
            self.status,
            self.content_type,
            self.body.len()
        );
        let mut out = head.into_bytes();
        out.extend_from_slice(&self.body);
        out
    }
}

/// Answers `(method, request target)`; the target keeps its query string.
pub type Handler = Arc<dyn Fn(&str, &str) -> Reply + Send + Sync>;

/// Serves `handler` on `listener` until `stop` is cancelled. Errors on one connection only
/// drop that connection.
pub async fn serve(
    listener: TcpListener,
    handler: Handler,
    stop: CancellationToken,
) -> std::io::Result<()> {
    loop {
        let (stream, _) = tokio::select! {
            () = stop.cancelled() => return Ok(()),
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(err) => { tracing::warn!(%err, "http accept failed"); continue; }
            },
        };
        let handler = Arc::clone(&handler);
        tokio::spawn(async move {
            if let Err(err) = respond(stream, handler).await {
                tracing::debug!(%err, "http connection dropped");
            }
        });
    }
}

/// Reads the request head, answers, closes.
async fn respond(mut stream: TcpStream, handler: Handler) -> std::io::Result<()> {
    let head = tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no request line"))??;
    let reply = match request_line(&head) {
        Some((method, target)) => {
            let (method, target) = (method.to_string(), target.to_string());
            tokio::task::spawn_blocking(move || handler(&method, &target))
                .await
                .unwrap_or_else(|_| {
                    Reply::new("500 Internal Server Error", "text/plain", "error\n")
                })
        }
        None => Reply::new(
            "400 Bad Request",
            "text/plain; charset=utf-8",
            "bad request\n",
        ),
    };
    stream.write_all(&reply.bytes()).await?;
    stream.shutdown().await
}

/// Bytes up to the blank line ending the head (RFC 9112 §2.1), capped at [`MAX_REQUEST`].
async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while buf.len() < MAX_REQUEST && !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// `(method, target)` from the request line.
fn request_line(head: &str) -> Option<(&str, &str)> {
    let mut parts = head.lines().next()?.split(' ');
    let method = parts.next()?;
    let target = parts.next()?;
    Some((method, target))
}

/// The path of a request target, without its query string.
pub fn path(target: &str) -> &str {
    target.split('?').next().unwrap_or(target)
}

/// The decoded `name` parameter of a request target's query string.
pub fn query_param(target: &str, name: &str) -> Option<String> {
    let (_, query) = target.split_once('?')?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_line_and_query() {
        assert_eq!(
            request_line("GET /metrics?x=1 HTTP/1.1\r\n\r\n"),
            Some(("GET", "/metrics?x=1"))
        );
        assert_eq!(request_line(""), None);
        assert_eq!(path("/metrics?x=1"), "/metrics");
        assert_eq!(
            query_param("/search?q=C%E1%BA%A7n+Th%C6%A1&x=1", "q").as_deref(),
            Some("Cần Thơ")
        );
        assert_eq!(query_param("/search", "q"), None);
    }
}
