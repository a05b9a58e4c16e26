//! A small raw HTTP/1.1 server for integration tests: the fixture portal and hostile servers.
//!
//! [`Fixture::start`] binds `ip:0` (any 127.0.0.0/8 address stands in for a host, docs/architecture.md "Tests"),
//! serves on a background thread with its own current-thread tokio runtime — so plain `#[test]`
//! functions that run the baoluu binary can use it as well as `#[tokio::test]` ones — and stops
//! when dropped. Every request is logged on arrival, before the reply ([`Fixture::log`]), so
//! tests can check politeness and headers from the server's side.
//!
//! It is written on a bare `TcpListener` rather than a framework so that replies can break the
//! rules on purpose: chunked framing, a delay before the headers, a trickling body, a reset
//! mid-body, or any bytes at all ([`Reply::raw`]).
//! It never reaches outside the address it was given.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use flate2::Compression;
use flate2::write::GzEncoder;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Decides the reply to each request.
pub type Handler = Arc<dyn Fn(&Logged) -> Reply + Send + Sync>;

/// One request as the server saw it, recorded on arrival (before the reply).
#[derive(Debug, Clone)]
pub struct Logged {
    pub at: Instant,
    pub method: String,
    /// Path and query, as sent in the request line.
    pub target: String,
    /// Header names as they came on the wire (case kept), values trimmed.
    pub headers: Vec<(String, String)>,
    pub peer: SocketAddr,
}

impl Logged {
    /// The first value of a header, name compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The target without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// A running fixture server; stops when dropped.
pub struct Fixture {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Logged>>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Fixture {
    /// Serves `handler`'s replies on `ip:0` (e.g. "127.0.0.2").
    pub fn start(ip: &str, handler: impl Fn(&Logged) -> Reply + Send + Sync + 'static) -> Fixture {
        let listener = std::net::TcpListener::bind((ip, 0)).expect("bind the fixture address");
        listener
            .set_nonblocking(true)
            .expect("make the fixture socket non-blocking");
        let addr = listener.local_addr().expect("fixture address");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = oneshot::channel();
        let shared = Shared {
            handler: Arc::new(handler),
            log: log.clone(),
        };
        let thread = std::thread::Builder::new()
            .name(format!("fixture-{addr}"))
            .spawn(move || run(listener, shared, stopped))
            .expect("spawn the fixture thread");
        Fixture {
            addr,
            log,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Serves fixed pages by target (path and query); anything else is a 404.
    pub fn pages<K: Into<String>>(
        ip: &str,
        pages: impl IntoIterator<Item = (K, Reply)>,
    ) -> Fixture {
        let pages: HashMap<String, Reply> = pages.into_iter().map(|(k, r)| (k.into(), r)).collect();
        Fixture::start(ip, move |req| {
            pages
                .get(&req.target)
                .cloned()
                .unwrap_or_else(Reply::not_found)
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ip:port` + `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The requests received so far, in arrival order.
    pub fn log(&self) -> Vec<Logged> {
        self.log.lock().unwrap().clone()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A reply: status line, headers, body, and how to misbehave while sending them.
#[derive(Debug, Clone)]
pub struct Reply {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// Chunk size for `Transfer-Encoding: chunked`; None sends `Content-Length`.
    chunk_size: Option<usize>,
    /// Bytes written exactly as given (no status line or framing added), then the close.
    raw: Option<Vec<u8>>,
    delay: Duration,
    /// (bytes, interval): the body goes out this many bytes at a time, pausing in between.
    trickle: Option<(usize, Duration)>,
    /// Reset the connection after this many bytes of the framed body.
    reset_after: Option<usize>,
    close: bool,
}

impl Reply {
    /// An empty reply with `status` and its canonical reason phrase.
    pub fn new(status: u16) -> Reply {
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("")
            .to_string();
        Reply {
            status,
            reason,
            headers: Vec::new(),
            body: Vec::new(),
            chunk_size: None,
            raw: None,
            delay: Duration::ZERO,
            trickle: None,
            reset_after: None,
            close: false,
        }
    }

    /// 200 with `Content-Type: text/html; charset=utf-8`.
    pub fn html(body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(200)
            .header("Content-Type", "text/html; charset=utf-8")
            .body(body)
    }

    /// 200, the page gzip-compressed, with `Content-Encoding: gzip`.
    pub fn gzip_html(body: &str) -> Reply {
        Reply::html(gzip(body.as_bytes())).header("Content-Encoding", "gzip")
    }

    /// A redirect (301, 302, 307, 308...) to `location`, as given (relative or absolute).
    pub fn redirect(status: u16, location: &str) -> Reply {
        Reply::new(status).header("Location", location)
    }

    pub fn not_found() -> Reply {
        Reply::new(404)
            .header("Content-Type", "text/plain")
            .body("not found")
    }

    /// These bytes and nothing else, then the connection closes (for wire quirks).
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Reply {
        Reply {
            raw: Some(bytes.into()),
            close: true,
            ..Reply::new(200)
        }
    }

    pub fn reason(mut self, reason: &str) -> Reply {
        self.reason = reason.to_string();
        self
    }

    /// Adds a header (repeats allowed, order kept).
    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    /// Sends the body with `Transfer-Encoding: chunked`, `size` bytes per chunk.
    pub fn chunked(mut self, size: usize) -> Reply {
        self.chunk_size = Some(size.max(1));
        self
    }

    /// Waits this long before sending anything.
    pub fn delay(mut self, delay: Duration) -> Reply {
        self.delay = delay;
        self
    }

    /// Sends the body `bytes` at a time with `every` in between.
    pub fn trickle(mut self, bytes: usize, every: Duration) -> Reply {
        self.trickle = Some((bytes.max(1), every));
        self
    }

    /// Resets the connection (TCP RST) after `bytes` of the body as framed on the wire; the
    /// headers still announce the whole body.
    pub fn reset_after(mut self, bytes: usize) -> Reply {
        self.reset_after = Some(bytes);
        self
    }

    /// Closes the connection after this reply (`Connection: close`).
    pub fn close(mut self) -> Reply {
        self.close = true;
        self
    }

    /// Status line and headers, framing included.
    fn head(&self) -> Vec<u8> {
        let mut head = format!("HTTP/1.1 {} {}\r\n", self.status, self.reason);
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        match self.chunk_size {
            Some(_) => head.push_str("Transfer-Encoding: chunked\r\n"),
            None => head.push_str(&format!("Content-Length: {}\r\n", self.body.len())),
        }
        if self.close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    /// The body as it goes on the wire.
    fn framed_body(&self) -> Vec<u8> {
        let Some(size) = self.chunk_size else {
            return self.body.clone();
        };
        let mut out = Vec::new();
        for chunk in self.body.chunks(size) {
            out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            out.extend_from_slice(chunk);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
        out
    }
}

/// gzip-compresses `bytes` (one member, default level).
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

#[derive(Clone)]
struct Shared {
    handler: Handler,
    log: Arc<Mutex<Vec<Logged>>>,
}

fn run(listener: std::net::TcpListener, shared: Shared, stopped: oneshot::Receiver<()>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("fixture runtime");
    runtime.block_on(async move {
        let listener = TcpListener::from_std(listener).expect("fixture listener");
        tokio::select! {
            _ = stopped => {}
            _ = accept_loop(listener, shared) => {}
        }
    });
    // Dropping the runtime here cancels every connection task.
}

async fn accept_loop(listener: TcpListener, shared: Shared) {
    while let Ok((stream, peer)) = listener.accept().await {
        tokio::spawn(serve(stream, peer, shared.clone()));
    }
}

/// Serves requests on one connection until the client or a reply closes it.
async fn serve(stream: TcpStream, peer: SocketAddr, shared: Shared) {
    let mut stream = BufReader::new(stream);
    while let Some((request, keep_alive)) = read_request(&mut stream, peer).await {
        shared.log.lock().unwrap().push(request.clone());
        let reply = (shared.handler)(&request);
        let open = send(stream.get_mut(), &reply).await;
        if !open || !keep_alive {
            break;
        }
    }
    // Dropping the stream closes it (or resets it, after `set_zero_linger`).
}

/// Reads a request head (and skips a `Content-Length` body). None at end of stream or on
/// garbage. The flag says whether the client allows another request on this connection.
async fn read_request(
    stream: &mut BufReader<TcpStream>,
    peer: SocketAddr,
) -> Option<(Logged, bool)> {
    let mut line = String::new();
    stream.read_line(&mut line).await.ok().filter(|&n| n > 0)?;
    let mut parts = line.split_whitespace();
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next().unwrap_or(""));
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        stream.read_line(&mut line).await.ok().filter(|&n| n > 0)?;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.to_string(), value.trim().to_string()));
    }
    let request = Logged {
        at: Instant::now(),
        method: method.into(),
        target: target.into(),
        headers,
        peer,
    };
    skip_body(stream, &request).await?;
    let close = request
        .header("connection")
        .is_some_and(|c| c.eq_ignore_ascii_case("close"));
    Some((request, version == "HTTP/1.1" && !close))
}

async fn skip_body(stream: &mut BufReader<TcpStream>, request: &Logged) -> Option<()> {
    let length: u64 = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    tokio::io::copy(&mut stream.take(length), &mut tokio::io::sink())
        .await
        .ok()?;
    Some(())
}

/// Writes `reply`; false when the connection must close afterwards.
async fn send(stream: &mut TcpStream, reply: &Reply) -> bool {
    tokio::time::sleep(reply.delay).await;
    if let Some(raw) = &reply.raw {
        let _ = stream.write_all(raw).await;
        return false;
    }
    if stream.write_all(&reply.head()).await.is_err() {
        return false;
    }
    let body = reply.framed_body();
    let cut = reply.reset_after.map_or(body.len(), |k| k.min(body.len()));
    if write_paced(stream, &body[..cut], reply.trickle)
        .await
        .is_err()
    {
        return false;
    }
    if reply.reset_after.is_some() {
        // SO_LINGER 0 makes the close a reset, as a crashed server or middlebox would. A reset
        // discards data still queued, so give the client a moment to take what was sent.
        let _ = stream.flush().await;
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = stream.set_zero_linger();
        return false;
    }
    !reply.close
}

async fn write_paced(
    stream: &mut TcpStream,
    bytes: &[u8],
    trickle: Option<(usize, Duration)>,
) -> std::io::Result<()> {
    let Some((step, every)) = trickle else {
        return stream.write_all(bytes).await;
    };
    for (i, piece) in bytes.chunks(step).enumerate() {
        if i > 0 {
            tokio::time::sleep(every).await;
        }
        stream.write_all(piece).await?;
        stream.flush().await?;
    }
    Ok(())
}

/// The smallest portal: no robots.txt, a home page linking one article `/tin-1`.
pub fn tiny_portal(ip: &str) -> Fixture {
    Fixture::pages(
        ip,
        vec![
            ("/robots.txt", Reply::new(404)),
            (
                "/",
                Reply::html("<html><body><a href=\"/tin-1\">Tin</a></body></html>"),
            ),
            (
                "/tin-1",
                Reply::html(
                    "<html><head><title>Tin một</title></head><body><h1>Tin một</h1>\
                     <p>Nội dung bài viết đủ dài để trích xuất được.</p></body></html>",
                ),
            ),
        ],
    )
}
