//! A small HTTP/1.1 keep-alive server for the synthetic portal: one listener per host address
//! (127.0.0.1 … 127.0.0.H, a port each), pages generated per request by [`Site`].
//!
//! It reads a request head, answers with `Content-Length` and keeps the connection open unless
//! the client asked for `Connection: close`; request bodies are not expected (GET only). It
//! counts what it served per host, and can log each request's arrival time (the politeness
//! measurement). Its own limit is measured by the raw client in `raw.rs`.
//!
//! With `BAOLUU_BENCH_SERVER=nginx` the same [`Server`] fronts an nginx child serving the site
//! as static files (`nginx.rs`): addresses, counts and server CPU then come from nginx.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

use crate::nginx::Nginx;
use crate::site::{Served, Site};

/// What one host served.
#[derive(Default)]
pub struct HostStats {
    pub requests: AtomicU64,
    pub articles: AtomicU64,
    pub listings: AtomicU64,
    pub robots: AtomicU64,
    pub not_found: AtomicU64,
    pub bytes: AtomicU64,
    /// Arrival time of every request while logging is on.
    pub log: Mutex<Vec<Instant>>,
}

/// Totals over all hosts at one moment (subtract two to get a run's share).
#[derive(Clone, Copy, Default, Debug)]
pub struct Counts {
    pub requests: u64,
    pub articles: u64,
    pub listings: u64,
    pub robots: u64,
    pub not_found: u64,
    pub bytes: u64,
}

impl Counts {
    pub fn since(self, before: Counts) -> Counts {
        Counts {
            requests: self.requests - before.requests,
            articles: self.articles - before.articles,
            listings: self.listings - before.listings,
            robots: self.robots - before.robots,
            not_found: self.not_found - before.not_found,
            bytes: self.bytes - before.bytes,
        }
    }

    /// HTML pages served: listings (home included) and articles.
    pub fn pages(&self) -> u64 {
        self.articles + self.listings
    }
}

pub struct Server {
    /// Host `i + 1` listens on `addrs[i]`.
    pub addrs: Vec<SocketAddr>,
    pub stats: Arc<Vec<HostStats>>,
    pub site: Arc<Site>,
    logging: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<()>>,
    /// Set when nginx serves the site instead of the tokio listeners.
    nginx: Option<Nginx>,
}

impl Server {
    /// Starts `hosts` listeners on 127.0.0.1 … 127.0.0.`hosts` serving `site`.
    pub fn start(rt: &Handle, hosts: u32, site: Site) -> std::io::Result<Server> {
        let site = Arc::new(site);
        let stats: Arc<Vec<HostStats>> =
            Arc::new((0..hosts).map(|_| HostStats::default()).collect());
        let logging = Arc::new(AtomicBool::new(false));
        let mut addrs = Vec::new();
        let mut tasks = Vec::new();
        for host in 1..=hosts {
            let std_listener =
                std::net::TcpListener::bind(("127.0.0.".to_string() + &host.to_string(), 0))?;
            std_listener.set_nonblocking(true)?;
            addrs.push(std_listener.local_addr()?);
            let shared = Shared {
                host,
                site: site.clone(),
                stats: stats.clone(),
                logging: logging.clone(),
            };
            let _guard = rt.enter();
            let listener = TcpListener::from_std(std_listener)?;
            tasks.push(rt.spawn(accept_loop(listener, shared)));
        }
        Ok(Server {
            addrs,
            stats,
            site,
            logging,
            tasks,
            nginx: None,
        })
    }

    /// Writes `site` as static files in `dir` once and starts nginx on 127.0.0.1 …
    /// 127.0.0.`hosts` serving them; checks a sample of pages against the tokio server's bytes.
    pub fn start_nginx(hosts: u32, site: Site, dir: tempfile::TempDir) -> Result<Server, String> {
        let files = crate::statics::write(&site, hosts, dir.path())
            .map_err(|e| format!("writing the static site in {}: {e}", dir.path().display()))?;
        let addrs = crate::nginx::free_addrs(hosts).map_err(|e| format!("free ports: {e}"))?;
        let nginx = Nginx::start(dir, &addrs)?;
        let checked = crate::statics::verify(&site, &addrs)
            .map_err(|e| format!("nginx does not serve what the tokio server would:\n{e}"))?;
        println!(
            "nginx serves {files} static files; {checked} sample URLs identical to the tokio server's"
        );
        Ok(Server {
            addrs,
            stats: Arc::new(Vec::new()),
            site: Arc::new(site),
            logging: Arc::new(AtomicBool::new(false)),
            tasks: Vec::new(),
            nginx: Some(nginx),
        })
    }

    /// CPU seconds used so far by this process (where the tokio server and the raw client
    /// run, and the measuring threads) plus nginx's master and workers when nginx serves.
    pub fn cpu(&self) -> f64 {
        crate::measure::self_cpu() + self.nginx.as_ref().map_or(0.0, Nginx::cpu)
    }

    /// `host:port` of host `i` (0-based), as a portal's `hosts` entry names it.
    pub fn authority(&self, i: usize) -> String {
        self.addrs[i].to_string()
    }

    pub fn counts(&self) -> Counts {
        if let Some(nginx) = &self.nginx {
            return nginx.counts();
        }
        let mut c = Counts::default();
        for s in self.stats.iter() {
            c.requests += s.requests.load(Ordering::Relaxed);
            c.articles += s.articles.load(Ordering::Relaxed);
            c.listings += s.listings.load(Ordering::Relaxed);
            c.robots += s.robots.load(Ordering::Relaxed);
            c.not_found += s.not_found.load(Ordering::Relaxed);
            c.bytes += s.bytes.load(Ordering::Relaxed);
        }
        c
    }

    /// Starts (clearing) or stops the per-request arrival log.
    pub fn set_logging(&self, on: bool) {
        if on {
            for s in self.stats.iter() {
                s.log.lock().unwrap().clear();
            }
        }
        self.logging.store(on, Ordering::SeqCst);
    }

    /// Each host's logged arrival times.
    pub fn logs(&self) -> Vec<Vec<Instant>> {
        self.stats
            .iter()
            .map(|s| s.log.lock().unwrap().clone())
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

#[derive(Clone)]
struct Shared {
    host: u32,
    site: Arc<Site>,
    stats: Arc<Vec<HostStats>>,
    logging: Arc<AtomicBool>,
}

async fn accept_loop(listener: TcpListener, shared: Shared) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve(stream, shared.clone()));
    }
}

/// Serves requests on one connection until the client closes it or asks to.
async fn serve(mut stream: TcpStream, shared: Shared) {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let end = loop {
            if let Some(end) = find_head_end(&buf) {
                break end;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
            if buf.len() > 64 * 1024 {
                return;
            }
        };
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        buf.drain(..end + 4);
        let (reply, close) = respond(&shared, &head);
        if stream.write_all(&reply).await.is_err() || close {
            return;
        }
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}

/// The full response bytes for one request head, and whether to close afterwards.
fn respond(shared: &Shared, head: &str) -> (Vec<u8>, bool) {
    let stats = &shared.stats[(shared.host - 1) as usize];
    if shared.logging.load(Ordering::Relaxed) {
        stats.log.lock().unwrap().push(Instant::now());
    }
    let mut lines = head.split("\r\n");
    let target = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("/");
    let close = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("connection:") && l.contains("close")
    });
    let path = target.split(['?', '#']).next().unwrap_or("/");
    let (status, mime, body, served) = shared.site.route(shared.host, path);
    let counter = match served {
        Served::Robots => &stats.robots,
        Served::Listing => &stats.listings,
        Served::Article => &stats.articles,
        Served::NotFound => &stats.not_found,
    };
    counter.fetch_add(1, Ordering::Relaxed);
    stats.requests.fetch_add(1, Ordering::Relaxed);
    stats.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
    let reason = if status == 200 { "OK" } else { "Not Found" };
    let mut reply = format!(
        "HTTP/1.1 {status} {reason}\r\nServer: bench-portal\r\nContent-Type: {mime}\r\nContent-Length: {}\r\nCache-Control: max-age=60\r\n{}\r\n",
        body.len(),
        if close { "Connection: close\r\n" } else { "" }
    )
    .into_bytes();
    reply.extend_from_slice(&body);
    (reply, close)
}
