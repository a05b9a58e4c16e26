//! nginx as the portal's server (`BAOLUU_BENCH_SERVER=nginx`): the server real portals run.
//!
//! The site is written once as static files (`statics.rs`), one root per host; this module
//! writes an `nginx.conf` with one `server` per host address (127.0.0.N, a free port each),
//! starts `nginx -p DIR -c nginx.conf` in the foreground as a child of this bench, waits until
//! every address answers, and stops it (SIGQUIT, then SIGKILL) when dropped. What was served is
//! counted from the access log (`$request_uri $status $body_bytes_sent`, one line per request);
//! the server's CPU is read from /proc for the master and its workers.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::server::Counts;
use crate::site::Served;

/// Worker processes: two, the same CPU budget as the tokio server's two runtime threads on this
/// two-core machine (nginx's own `auto` would pick two here as well).
const WORKERS: u32 = 2;

/// A running nginx serving the static site; stopped when dropped.
pub struct Nginx {
    child: Child,
    access_log: PathBuf,
    /// The prefix directory: configuration, logs, temp paths and the static roots.
    dir: tempfile::TempDir,
}

/// The nginx binary: `nginx` on PATH, else /usr/sbin/nginx (not on a user's PATH on Debian).
pub fn binary() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|d| d.join("nginx"));
    on_path
        .chain([PathBuf::from("/usr/sbin/nginx")])
        .find(|p| p.is_file())
}

/// Free ports, one per host address (bound, read, released; nginx binds them next).
pub fn free_addrs(hosts: u32) -> std::io::Result<Vec<SocketAddr>> {
    (1..=hosts)
        .map(|h| std::net::TcpListener::bind(format!("127.0.0.{h}:0"))?.local_addr())
        .collect()
}

impl Nginx {
    /// Starts nginx in `dir` (static roots already in `dir/root/hN`) on `addrs`.
    pub fn start(dir: tempfile::TempDir, addrs: &[SocketAddr]) -> Result<Nginx, String> {
        let bin = binary().ok_or("nginx not found: apt-get install nginx")?;
        let prefix = dir.path();
        for sub in ["logs", "tmp"] {
            std::fs::create_dir_all(prefix.join(sub)).map_err(|e| format!("{sub}: {e}"))?;
        }
        let conf = prefix.join("nginx.conf");
        std::fs::write(&conf, config(prefix, addrs)).map_err(|e| format!("nginx.conf: {e}"))?;
        let child = Command::new(&bin)
            .arg("-p")
            .arg(prefix)
            .arg("-c")
            .arg(&conf)
            .arg("-e")
            .arg(prefix.join("logs/error.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let mut nginx = Nginx {
            child,
            access_log: prefix.join("logs/access.log"),
            dir,
        };
        nginx.wait_ready(addrs)?;
        Ok(nginx)
    }

    /// Waits until every address accepts a connection, or fails with nginx's error log.
    fn wait_ready(&mut self, addrs: &[SocketAddr]) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut pending: Vec<SocketAddr> = addrs.to_vec();
        while !pending.is_empty() {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("nginx exited ({status}): {}", self.error_log()));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "nginx not listening after 10 s: {}",
                    self.error_log()
                ));
            }
            pending.retain(|a| TcpStream::connect_timeout(a, Duration::from_millis(200)).is_err());
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }

    fn error_log(&self) -> String {
        let path = self.dir.path().join("logs/error.log");
        std::fs::read_to_string(&path).unwrap_or_else(|e| format!("{}: {e}", path.display()))
    }

    /// What nginx served so far, from its access log.
    pub fn counts(&self) -> Counts {
        let text = std::fs::read_to_string(&self.access_log).unwrap_or_default();
        let mut c = Counts::default();
        for line in text.lines() {
            let mut fields = line.rsplitn(3, ' ');
            let bytes: u64 = fields.next().and_then(|b| b.parse().ok()).unwrap_or(0);
            let status: u16 = fields.next().and_then(|s| s.parse().ok()).unwrap_or(0);
            let path = fields.next().unwrap_or("/");
            let counter = match crate::site::served_kind(path, status) {
                Served::Robots => &mut c.robots,
                Served::Listing => &mut c.listings,
                Served::Article => &mut c.articles,
                Served::NotFound => &mut c.not_found,
            };
            *counter += 1;
            c.requests += 1;
            c.bytes += bytes;
        }
        c
    }

    /// CPU seconds (user + system) of the master and its workers so far.
    pub fn cpu(&self) -> f64 {
        let master = self.child.id();
        // SAFETY: sysconf reads a constant of the system.
        let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return 0.0;
        };
        let total: u64 = entries
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
            .filter_map(|stat| proc_cpu(&stat, master))
            .sum();
        total as f64 / ticks
    }
}

/// utime + stime (ticks) from a `/proc/PID/stat` line when the process is `master` or its child.
fn proc_cpu(stat: &str, master: u32) -> Option<u64> {
    let pid: u32 = stat.split(' ').next()?.parse().ok()?;
    // Fields after the parenthesised command name: state ppid … (utime is field 14 of stat).
    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ppid: u32 = rest.get(1)?.parse().ok()?;
    if pid != master && ppid != master {
        return None;
    }
    Some(rest.get(11)?.parse::<u64>().ok()? + rest.get(12)?.parse::<u64>().ok()?)
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGQUIT: graceful shutdown of master and workers; then make sure.
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: a signal to our own child, which is not reaped yet.
        unsafe { libc::kill(pid, libc::SIGQUIT) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The configuration: foreground master, two workers, keep-alive, no gzip, UTF-8 HTML.
pub fn config(prefix: &Path, addrs: &[SocketAddr]) -> String {
    let p = prefix.display();
    // Started as root (as here), nginx would switch its workers to `nobody`, who cannot read
    // the 0700 temp dir; as any other user the directive is not written (nginx would ignore it).
    // SAFETY: geteuid has no preconditions.
    let user = if unsafe { libc::geteuid() } == 0 {
        "user root;\n"
    } else {
        ""
    };
    let servers: String = addrs
        .iter()
        .enumerate()
        .map(|(i, addr)| server_block(prefix, i + 1, addr))
        .collect();
    format!(
        r#"daemon off;
master_process on;
worker_processes {WORKERS};
pid {p}/logs/nginx.pid;
error_log {p}/logs/error.log warn;
{user}events {{ worker_connections 1024; }}
http {{
    types {{ text/html html; text/plain txt; }}
    default_type text/html;
    charset utf-8;
    charset_types text/html;
    gzip off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 300s;
    keepalive_requests 1000000;
    server_tokens off;
    log_format bench '$request_uri $status $body_bytes_sent';
    access_log {p}/logs/access.log bench;
    client_body_temp_path {p}/tmp/body;
    proxy_temp_path {p}/tmp/proxy;
    fastcgi_temp_path {p}/tmp/fastcgi;
    uwsgi_temp_path {p}/tmp/uwsgi;
    scgi_temp_path {p}/tmp/scgi;
    add_header Cache-Control "max-age=60" always;
{servers}}}
"#
    )
}

/// One host: its address, its root; `/` is `index.html`, `/index.html` itself is not served
/// (as the tokio server), and a 404 carries the tokio server's body.
fn server_block(prefix: &Path, host: usize, addr: &SocketAddr) -> String {
    format!(
        r#"    server {{
        listen {addr};
        root {root};
        error_page 404 /404.html;
        location = / {{ try_files /index.html =404; }}
        location = /index.html {{ internal; }}
        location = /404.html {{ internal; }}
        location / {{ try_files $uri =404; }}
    }}
"#,
        root = crate::statics::root(prefix, host as u32).display()
    )
}
