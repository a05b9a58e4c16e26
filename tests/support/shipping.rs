//! A crawl shipping its archive to a real S3-compatible server (issue 18): two fixture
//! portals, a running `s3s-fs`, and a configuration uploading to it, with the helpers that
//! read the upload queue and the bucket (tests/storage.rs, tests/storage_segments.rs).

use std::path::PathBuf;
use std::process::Output;

use sha2::{Digest, Sha256};

use super::cli::{self, stderr};
use super::portal::TwoHosts;
use super::s3::{self, S3Server, SECRET_KEY};

pub const INSTANCE: &str = "box-1";

/// Two fixture portals, a running server, and a configuration uploading to it.
pub struct World {
    pub hosts: TwoHosts,
    pub server: S3Server,
    _root: tempfile::TempDir,
}

impl World {
    /// `None` when no s3s-fs binary is available (and CI does not require one).
    pub fn start(storage_extra: &str) -> Option<World> {
        let binary = s3::binary()?;
        let root = tempfile::tempdir().unwrap();
        let server = S3Server::start(&binary, root.path());
        let hosts = TwoHosts::start(None, "min_delay = \"0s\"\nwarc_max_size = \"20kB\"");
        let extra = format!("instance = \"{INSTANCE}\"\n{storage_extra}");
        server.add_table(&hosts.config, "baoluu", &extra);
        Some(World {
            hosts,
            server,
            _root: root,
        })
    }

    pub fn archive(&self) -> PathBuf {
        self.hosts.archive()
    }

    pub fn run(&self, secret: &str, args: &[&str]) -> Output {
        self.command(secret, args).output().unwrap()
    }

    /// A `crawl` with the right key, which must succeed.
    pub fn crawl(&self) -> Output {
        let out = self.run(SECRET_KEY, &["crawl"]);
        assert!(out.status.success(), "{}", stderr(&out));
        out
    }

    pub fn command(&self, secret: &str, args: &[&str]) -> std::process::Command {
        let mut cmd = cli::command(&self.hosts.config, args);
        s3::keyed(&mut cmd, secret);
        cmd
    }

    pub fn key(&self, path: &str) -> String {
        format!("baoluu/{INSTANCE}/{path}")
    }

    /// `(path, state, sha256)` of every row of the upload queue.
    pub fn queue(&self) -> Vec<(String, String, Option<String>)> {
        let db = rusqlite::Connection::open(self.archive().join("state.sqlite")).unwrap();
        let mut stmt = db
            .prepare("SELECT path, state, sha256 FROM uploads ORDER BY path")
            .unwrap();
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap();
        rows.map(Result::unwrap).collect()
    }

    pub fn status_json(&self) -> serde_json::Value {
        let out = self.run(SECRET_KEY, &["status", "--json"]);
        assert!(out.status.success(), "{}", stderr(&out));
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
