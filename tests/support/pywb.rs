//! pywb as a replay oracle: a collection made with `wb-manager`, a `wayback` server on a free
//! loopback port (killed when its guard drops), and plain HTTP/1.0 GETs against it.
//!
//! The client is a few lines over `TcpStream` on purpose: it must not follow redirects or decode
//! anything behind the test's back, so the test sees exactly what pywb sent.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::cli::oracle;

/// The collection name the tests use.
pub const COLL: &str = "coll";

/// How long `wayback` may take to answer its first request (gevent start-up on a busy machine).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// `wb-manager init coll` + `wb-manager add coll WARC...` in `root`; `None` (after the skip
/// message) when pywb is not installed and oracles are not required.
pub fn collection(root: &Path, warcs: &[PathBuf]) -> Option<()> {
    init_and_add(root, &[COLL], warcs)
}

/// `wb-manager init coll` + `wb-manager add --unpack-wacz coll WACZ` in `root` (the README's
/// "Replaying from the bucket"): pywb copies the package's WARCs and merges its CDX index.
pub fn collection_from_wacz(root: &Path, wacz: &Path) -> Option<()> {
    init_and_add(root, &["--unpack-wacz", COLL], &[wacz.to_path_buf()])
}

fn init_and_add(root: &Path, add: &[&str], files: &[PathBuf]) -> Option<()> {
    let manager = oracle("wb-manager")?;
    run(Command::new(&manager)
        .current_dir(root)
        .args(["init", COLL]));
    run(Command::new(&manager)
        .current_dir(root)
        .arg("add")
        .args(add)
        .args(files));
    Some(())
}

/// The collection's index, which `wb-manager add` wrote and `wayback` reads on each lookup.
pub fn index_path(root: &Path) -> PathBuf {
    root.join("collections")
        .join(COLL)
        .join("indexes")
        .join("index.cdxj")
}

fn run(command: &mut Command) {
    let out = command.output().expect("wb-manager runs");
    assert!(
        out.status.success(),
        "{command:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A running `wayback`, killed when dropped.
pub struct Wayback {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Wayback {
    /// Starts `wayback -b 127.0.0.1 -p PORT -d ROOT` and waits until it answers; `None` when
    /// pywb is not installed and oracles are not required.
    pub fn start(root: &Path) -> Option<Wayback> {
        let wayback = oracle("wayback")?;
        let port = free_port();
        let log = root.join("wayback.log");
        let log_file = std::fs::File::create(&log).expect("wayback log created");
        let child = Command::new(wayback)
            .current_dir(root)
            .args(["-b", "127.0.0.1", "-p", &port.to_string(), "-d"])
            .arg(root)
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log handle"))
            .stderr(log_file)
            .spawn()
            .expect("wayback starts");
        let mut server = Wayback { child, port, log };
        server.wait_until_ready();
        Some(server)
    }

    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "wayback exited ({status}) before answering:\n{}",
                    self.log()
                );
            }
            if self.try_get("/").is_some_and(|r| r.status == 200) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "wayback did not answer within {START_TIMEOUT:?}:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The port it listens on (on 127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// What wayback printed so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `GET path` (which starts with `/`); panics when wayback does not answer.
    pub fn get(&self, path: &str) -> Response {
        self.try_get(path)
            .unwrap_or_else(|| panic!("no answer from wayback for {path}:\n{}", self.log()))
    }

    fn try_get(&self, path: &str) -> Option<Response> {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .ok()?;
        let request = format!(
            "GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut bytes = Vec::new();
        stream.read_to_end(&mut bytes).ok()?;
        Response::parse(&bytes)
    }
}

impl Drop for Wayback {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port that was free a moment ago (wayback binds it itself).
fn free_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a free port");
    listener.local_addr().expect("local address").port()
}

/// One HTTP response as it came over the wire.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn parse(bytes: &[u8]) -> Option<Response> {
        let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&bytes[..end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
            .collect();
        let mut response = Response {
            status,
            headers,
            body: bytes[end + 4..].to_vec(),
        };
        if response
            .header("transfer-encoding")
            .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
        {
            response.body = dechunk(&response.body)?;
        }
        Some(response)
    }

    /// The first value of a header, name compared case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body with any `Content-Encoding: gzip` undone.
    pub fn decoded_body(&self) -> Vec<u8> {
        if self
            .header("content-encoding")
            .is_some_and(|e| e.eq_ignore_ascii_case("gzip"))
        {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&self.body[..])
                .read_to_end(&mut out)
                .expect("a gzip body decodes");
            out
        } else {
            self.body.clone()
        }
    }

    /// The head and the start of the body, for failure messages.
    pub fn describe(&self) -> String {
        let body = String::from_utf8_lossy(&self.body);
        let start: String = body.chars().take(400).collect();
        format!("{} {:?}\n{start}", self.status, self.headers)
    }
}

fn dechunk(mut body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&body[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(body.get(..size)?);
        body = body.get(size + 2..)?;
    }
}
