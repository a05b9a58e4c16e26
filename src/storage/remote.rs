//! The bucket, through `object_store`'s S3 client (SigV4, multipart uploads; issue 18 asks
//! for a well-kept client, not hand-written signing).
//!
//! Keys are `{prefix}/{instance}/{path}` where `path` is the file's place under `archive_dir`,
//! so the bucket mirrors the local layout (docs/storage.md). An upload streams the file once,
//! hashing what it sends; [`Remote::digest`] reads the object back to confirm it. Never
//! touches the state database.

use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use data_encoding::HEXLOWER;
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ClientOptions, ObjectStore, ObjectStoreExt, RetryConfig};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::Error;
use crate::config::Storage;

/// Part size of multipart uploads and of read-back ranges: above S3's 5 MiB part minimum.
const CHUNK: usize = 8 * 1024 * 1024;
/// One request's limit; a slow server costs a retry later, not a stuck uploader.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Size and lowercase hex SHA-256 of some bytes.
pub type Fixity = (u64, String);

/// The bucket under `{prefix}/{instance}`.
#[derive(Debug, Clone)]
pub struct Remote {
    store: Arc<dyn ObjectStore>,
    root: String,
}

impl Remote {
    /// Builds the client; nothing is sent until the first upload.
    pub fn connect(storage: &Storage) -> Result<Remote, Error> {
        let keys = storage.credentials.as_ref().ok_or(Error::NoCredentials)?;
        // reqwest is built with `rustls-no-provider` (docs/dependencies.md): the fetch stage
        // installs ring's provider too; whichever runs first wins, the other is a no-op.
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
        let mut builder = AmazonS3Builder::new()
            .with_bucket_name(&storage.bucket)
            .with_region(&storage.region)
            .with_access_key_id(&keys.access_key_id)
            .with_secret_access_key(&keys.secret_access_key)
            // Our own queue retries with backoff (storage/mod.rs); the client tries once
            // more at most, so a refused key shows up in `status` quickly.
            .with_retry(RetryConfig {
                max_retries: 1,
                retry_timeout: Duration::from_secs(30),
                ..RetryConfig::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_timeout(REQUEST_TIMEOUT)
                    .with_connect_timeout(Duration::from_secs(10)),
            );
        if let Some(token) = &keys.session_token {
            builder = builder.with_token(token);
        }
        if let Some(endpoint) = &storage.endpoint {
            builder = builder
                .with_endpoint(endpoint.as_str().trim_end_matches('/'))
                .with_allow_http(endpoint.scheme() == "http")
                .with_virtual_hosted_style_request(false);
        }
        let store = builder.build().map_err(Error::Client)?;
        let root = [storage.prefix.as_str(), storage.instance.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("/");
        Ok(Remote {
            store: Arc::new(store),
            root,
        })
    }

    /// The object key of an archive-relative path.
    pub fn key(&self, path: &str) -> String {
        format!("{}/{path}", self.root)
    }

    fn location(&self, path: &str) -> Path {
        Path::from(self.key(path))
    }

    /// Streams `local` to the object for `path` and returns the fixity of the bytes sent.
    /// A failure part-way aborts the multipart upload; a part-way object is never visible.
    pub async fn upload(&self, local: &FsPath, path: &str) -> Result<Fixity, Error> {
        let mut file = tokio::fs::File::open(local)
            .await
            .map_err(|source| local_error(local, source))?;
        let mut writer = BufWriter::with_capacity(self.store.clone(), self.location(path), CHUNK);
        let refused = |source| self.remote_error(path, source);
        match copy_hashing(&mut file, &mut writer, local, refused).await {
            Ok(fixity) => {
                let shut = writer.shutdown().await;
                shut.map_err(|source| self.remote_error(path, source))?;
                Ok(fixity)
            }
            Err(err) => {
                let _abandoned = writer.abort().await;
                Err(err)
            }
        }
    }

    /// Reads the object back and returns its size and SHA-256: what "verified" means
    /// (issue 18 item 2: a read-back confirms the locally computed digest).
    pub async fn digest(&self, path: &str) -> Result<Fixity, Error> {
        let mut hasher = Sha256::new();
        let size = self
            .read_chunks(path, |bytes| {
                hasher.update(bytes);
                Ok(())
            })
            .await?;
        Ok((size, HEXLOWER.encode(&hasher.finalize())))
    }

    /// Copies the object for `path` to the local file `to` and returns the fixity of the
    /// bytes written (for the readers, which do nothing else meanwhile: plain blocking writes
    /// of each range are fine there).
    pub async fn download(&self, path: &str, to: &FsPath) -> Result<Fixity, Error> {
        let mut file = std::fs::File::create(to).map_err(|source| local_error(to, source))?;
        let mut hasher = Sha256::new();
        let size = self
            .read_chunks(path, |bytes| {
                hasher.update(bytes);
                std::io::Write::write_all(&mut file, bytes)
                    .map_err(|source| local_error(to, source))
            })
            .await?;
        std::io::Write::flush(&mut file).map_err(|source| local_error(to, source))?;
        Ok((size, HEXLOWER.encode(&hasher.finalize())))
    }

    /// Reads the object for `path` in ranges of [`CHUNK`], handing each to `take`; returns
    /// the bytes read. Stops at a short answer rather than asking again forever.
    async fn read_chunks(
        &self,
        path: &str,
        mut take: impl FnMut(&[u8]) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        let location = self.location(path);
        let meta = (self.store.head(&location).await).map_err(|e| self.object_error(path, e))?;
        let mut at = 0u64;
        while at < meta.size {
            let end = (at + CHUNK as u64).min(meta.size);
            let bytes = (self.store.get_range(&location, at..end).await)
                .map_err(|e| self.object_error(path, e))?;
            take(&bytes)?;
            at += bytes.len() as u64;
            if bytes.is_empty() {
                break;
            }
        }
        Ok(at)
    }

    fn remote_error(&self, path: &str, source: std::io::Error) -> Error {
        // BufWriter reports the store's error through io::Error; keep the store's kind.
        match source
            .into_inner()
            .map(|e| e.downcast::<object_store::Error>())
        {
            Some(Ok(e)) => self.object_error(path, *e),
            Some(Err(other)) => Error::Remote {
                key: self.key(path),
                source: object_store::Error::Generic {
                    store: "S3",
                    source: other,
                },
            },
            None => Error::Remote {
                key: self.key(path),
                source: object_store::Error::Generic {
                    store: "S3",
                    source: "the upload failed".into(),
                },
            },
        }
    }

    fn object_error(&self, path: &str, source: object_store::Error) -> Error {
        Error::Remote {
            key: self.key(path),
            source,
        }
    }
}

/// Streams `file` into `writer`, hashing what is sent. A write that fails is the store's answer
/// (a part of a multipart upload refused, say), reported through `remote_error` like the final
/// `shutdown`'s, so refused keys read as refused keys (tests/storage.rs).
async fn copy_hashing(
    file: &mut tokio::fs::File,
    writer: &mut BufWriter,
    local: &FsPath,
    remote_error: impl Fn(std::io::Error) -> Error,
) -> Result<Fixity, Error> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut buffer = vec![0u8; 1024 * 1024];
    loop {
        let n = (file.read(&mut buffer).await).map_err(|source| local_error(local, source))?;
        if n == 0 {
            return Ok((size, HEXLOWER.encode(&hasher.finalize())));
        }
        hasher.update(&buffer[..n]);
        size += n as u64;
        writer
            .write_all(&buffer[..n])
            .await
            .map_err(&remote_error)?;
    }
}

fn local_error(path: &FsPath, source: std::io::Error) -> Error {
    Error::Local {
        path: path.to_path_buf(),
        source,
    }
}
