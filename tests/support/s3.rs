//! A real S3-compatible server for the storage tests (issue 18 item 6): `s3s-fs`, a separate
//! process speaking SigV4 and multipart uploads, serving a temporary folder on 127.0.0.1.
//!
//! Its binary comes from `$BAOLUU_S3S_BIN` (`.ci/s3-server` installs it and `.ci/run` sets
//! it). Missing: a skip message, or a panic when `CI` or `BAOLUU_REQUIRE_ORACLES` is set.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BUCKET: &str = "archive";
pub const ACCESS_KEY: &str = "baoluu-test-key";
pub const SECRET_KEY: &str = "baoluu-test-secret";

/// The server binary, or `None` (with a skip message) when this machine has none.
pub fn binary() -> Option<PathBuf> {
    let found = std::env::var_os("BAOLUU_S3S_BIN")
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    if found.is_none() {
        let required = std::env::var("CI").is_ok_and(|v| v == "true")
            || std::env::var_os("BAOLUU_REQUIRE_ORACLES").is_some();
        assert!(
            !required,
            "s3s-fs is required (CI) but BAOLUU_S3S_BIN names no file: run ./.ci/s3-server"
        );
        eprintln!(
            "skipping: no S3 server (set BAOLUU_S3S_BIN to an s3s-fs binary; ./.ci/s3-server installs one)"
        );
    }
    found
}

/// One running `s3s-fs`; stopped (SIGKILL) when dropped.
pub struct S3Server {
    binary: PathBuf,
    pub root: PathBuf,
    pub addr: SocketAddr,
    child: Option<Child>,
}

/// A server over a temporary folder (removed when the returned guard drops), or `None` when
/// this machine has no server binary ([`binary`]).
pub fn temporary() -> Option<(S3Server, tempfile::TempDir)> {
    let binary = binary()?;
    let root = tempfile::tempdir().unwrap();
    Some((S3Server::start(&binary, root.path()), root))
}

impl S3Server {
    /// Starts the server on a free loopback port, with the bucket [`BUCKET`] created.
    pub fn start(binary: &Path, root: &Path) -> S3Server {
        std::fs::create_dir_all(root.join(BUCKET)).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = S3Server {
            binary: binary.to_path_buf(),
            root: root.to_path_buf(),
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            child: None,
        };
        server.restart();
        server
    }

    /// (Re)starts the process on the same port and folder, and waits until it listens.
    pub fn restart(&mut self) {
        self.stop();
        let child = Command::new(&self.binary)
            .args(["--host", "127.0.0.1", "--port"])
            .arg(self.addr.port().to_string())
            .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
            .arg(&self.root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs starts");
        self.child = Some(child);
        let started = Instant::now();
        while TcpStream::connect(self.addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "s3s-fs did not listen on {}",
                self.addr
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the process (the folder stays).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Appends to the configuration file `config` the `[storage]` table for this server
    /// (objects under `prefix`), plus `extra` lines.
    pub fn add_table(&self, config: &Path, prefix: &str, extra: &str) {
        let mut text = std::fs::read_to_string(config).unwrap();
        text.push_str(&self.table(prefix, extra));
        std::fs::write(config, text).unwrap();
    }

    /// The `[storage]` table for this server, plus `extra` lines.
    pub fn table(&self, prefix: &str, extra: &str) -> String {
        format!(
            "\n[storage]\nurl = \"s3://{BUCKET}/{prefix}\"\nendpoint = \"{}\"\n{extra}\n",
            self.endpoint()
        )
    }

    /// The stored bytes of the object `key` (s3s-fs keeps each object as a file).
    pub fn object(&self, key: &str) -> Option<Vec<u8>> {
        std::fs::read(self.root.join(BUCKET).join(key)).ok()
    }

    /// Deletes every object under `prefix` behind the client's back (as a lost object), and
    /// returns how many there were.
    pub fn remove(&self, prefix: &str) -> usize {
        let keys = self.keys(prefix);
        for key in &keys {
            std::fs::remove_file(self.root.join(BUCKET).join(key)).unwrap();
        }
        keys.len()
    }

    /// Every object key under `prefix`, sorted (s3s-fs's own metadata files left out).
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let base = self.root.join(BUCKET);
        let mut keys = Vec::new();
        walk(&base, &base, &mut keys);
        keys.retain(|k| k.starts_with(prefix));
        keys.sort();
        keys
    }
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(base, &path, out);
        } else if let Ok(rel) = path.strip_prefix(base) {
            let temporary = entry.file_name().to_string_lossy().starts_with(".tmp.");
            if !temporary {
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `cmd` with the test keys in its environment: [`ACCESS_KEY`] and the secret `secret`.
pub fn keyed<'a>(cmd: &'a mut Command, secret: &str) -> &'a mut Command {
    cmd.env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", secret)
}

/// Whether a multipart upload has parts on the server and is not completed yet.
pub fn multipart_in_progress(root: &Path) -> bool {
    std::fs::read_dir(root).is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(".upload_id-"))
    })
}
