//! `[storage]` → the validated [`Storage`] (issue 18; docs/storage.md).
//!
//! Part of the `config` stage's second phase: parses the `s3://bucket/prefix` URL and the
//! endpoint, applies the defaults, and finds the credentials — the standard environment
//! variables, or an AWS shared-credentials file that must not be world-readable. A secret
//! written in the configuration itself is refused by name (it would end up in backups and
//! `check-config` output). Reads the credentials file; never touches the network.

use std::path::{Path, PathBuf};

use toml::Spanned;
use url::Url;

use super::defaults::{
    DEFAULT_CREDENTIALS_PROFILE, DEFAULT_DRAIN_TIMEOUT, DEFAULT_SEGMENT_SIZE,
    DEFAULT_STORAGE_REGION, DEFAULT_UPLOAD_CONCURRENCY,
};
use super::document::Document;
use super::raw::{RawSize, RawStorage, Text};
use super::units::{parse_duration, parse_size};
use super::{Error, Keys, Storage};

/// The standard variables every AWS tool reads.
pub const ACCESS_KEY_VAR: &str = "AWS_ACCESS_KEY_ID";
pub const SECRET_KEY_VAR: &str = "AWS_SECRET_ACCESS_KEY";
pub const SESSION_TOKEN_VAR: &str = "AWS_SESSION_TOKEN";

/// Validates `[storage]`. Missing credentials are an error when `fetching` (a command that
/// uploads); read-only commands get `credentials: None` instead.
pub fn storage(
    doc: &Document,
    raw: &Spanned<RawStorage>,
    fetching: bool,
) -> Result<Storage, Error> {
    let table = raw.get_ref();
    refuse_inline_secrets(doc, table)?;
    let (bucket, prefix) = bucket_url(doc, &table.url)?;
    let endpoint = (table.endpoint.as_ref())
        .map(|e| endpoint(doc, e))
        .transpose()?;
    let instance = instance(doc, table.instance.as_ref())?;
    let keep_local = keep_local(doc, table.keep_local.as_ref())?;
    let concurrency = concurrency(doc, table.concurrency.as_ref())?;
    let drain_timeout = match &table.drain_timeout {
        Some(d) => {
            parse_duration(&d.get_ref().0).map_err(|m| doc.at(d, "storage.drain_timeout", m))?
        }
        None => DEFAULT_DRAIN_TIMEOUT,
    };
    let segment_size = segment_size(doc, table.segment_size.as_ref())?;
    // Credentials last: a typo elsewhere in the table is reported before a missing key.
    let credentials = match &table.credentials_file {
        Some(file) => Some(from_file(doc, file, table.profile.as_ref())?),
        None => from_env(doc, raw, fetching)?,
    };
    let region = (table.region.as_ref()).map_or(DEFAULT_STORAGE_REGION, |r| r.get_ref().as_str());
    Ok(Storage {
        bucket,
        prefix,
        endpoint,
        region: region.to_string(),
        credentials,
        instance,
        keep_local,
        concurrency,
        drain_timeout,
        segment_size,
    })
}

/// `segment_size`: a size above zero (a zero size would close a segment per line).
fn segment_size(doc: &Document, raw: Option<&Spanned<RawSize>>) -> Result<u64, Error> {
    let Some(value) = raw else {
        return Ok(DEFAULT_SEGMENT_SIZE);
    };
    let size = match value.get_ref() {
        RawSize::Bytes(n) => Ok(*n),
        RawSize::Text(t) => parse_size(t),
    };
    match size {
        Ok(0) => Err(doc.at(value, "storage.segment_size", "must be above 0".to_string())),
        Ok(n) => Ok(n),
        Err(m) => Err(doc.at(value, "storage.segment_size", m)),
    }
}

fn refuse_inline_secrets(doc: &Document, table: &RawStorage) -> Result<(), Error> {
    let inline = [
        ("secret_access_key", &table.secret_access_key),
        ("aws_secret_access_key", &table.aws_secret_access_key),
        ("access_key_id", &table.access_key_id),
        ("aws_access_key_id", &table.aws_access_key_id),
    ];
    match inline
        .into_iter()
        .find_map(|(k, v)| v.as_ref().map(|v| (k, v)))
    {
        Some((key, value)) => Err(doc.at(
            value,
            format!("storage.{key}"),
            format!(
                "keys are never written in the configuration: remove it and set \
                 {ACCESS_KEY_VAR} and {SECRET_KEY_VAR} in the environment, or name an AWS \
                 shared-credentials file with credentials_file (readable by this user only)"
            ),
        )),
        None => Ok(()),
    }
}

/// `s3://bucket/some/prefix/` → (`bucket`, `some/prefix`).
fn bucket_url(doc: &Document, url: &Text) -> Result<(String, String), Error> {
    let bad = |m: &str| doc.at(url, "storage.url", m.to_string());
    let parsed =
        Url::parse(url.get_ref()).map_err(|_| bad("url must look like \"s3://bucket/prefix\""))?;
    if parsed.scheme() != "s3" {
        return Err(bad(
            "url must start with s3:// (\"s3://bucket/prefix\"); a server that is not AWS goes in endpoint",
        ));
    }
    let bucket = parsed.host_str().unwrap_or_default().to_string();
    if bucket.is_empty() {
        return Err(bad("url names no bucket: write \"s3://bucket/prefix\""));
    }
    let prefix = parsed.path().trim_matches('/').to_string();
    Ok((bucket, prefix))
}

fn endpoint(doc: &Document, value: &Text) -> Result<Url, Error> {
    match Url::parse(value.get_ref()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
        _ => Err(doc.at(
            value,
            "storage.endpoint",
            "endpoint must be an http(s) URL such as \"http://127.0.0.1:9000\"",
        )),
    }
}

/// The instance name is a folder in the bucket: one safe path segment.
fn instance(doc: &Document, value: Option<&Text>) -> Result<String, Error> {
    let name = match value {
        Some(v) => v.get_ref().clone(),
        None => gethostname::gethostname().to_string_lossy().into_owned(),
    };
    let safe = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    if !name.is_empty() && name != "." && name != ".." && name.chars().all(safe) {
        return Ok(name);
    }
    let message = format!(
        "instance `{name}` must be letters, digits, '.', '_' or '-' (it is a folder in the bucket)"
    );
    Err(match value {
        Some(v) => doc.at(v, "storage.instance", message),
        None => doc.error(0..0, "storage.instance", format!("{message}: set instance")),
    })
}

fn keep_local(doc: &Document, value: Option<&Text>) -> Result<Option<std::time::Duration>, Error> {
    match value.map(|v| (v, v.get_ref().trim())) {
        None | Some((_, "forever")) => Ok(None),
        Some((v, text)) => parse_duration(text)
            .map(Some)
            .map_err(|m| doc.at(v, "storage.keep_local", format!("{m}, or \"forever\""))),
    }
}

fn concurrency(doc: &Document, value: Option<&Spanned<usize>>) -> Result<usize, Error> {
    match value {
        None => Ok(DEFAULT_UPLOAD_CONCURRENCY),
        Some(v) if *v.get_ref() == 0 => Err(doc.at(
            v,
            "storage.concurrency",
            "concurrency = 0 would never upload anything: use 1 or more",
        )),
        Some(v) => Ok(*v.get_ref()),
    }
}

fn from_env(
    doc: &Document,
    raw: &Spanned<RawStorage>,
    fetching: bool,
) -> Result<Option<Keys>, Error> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    match (var(ACCESS_KEY_VAR), var(SECRET_KEY_VAR)) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Some(Keys {
            access_key_id,
            secret_access_key,
            session_token: var(SESSION_TOKEN_VAR),
            source: "the environment".to_string(),
        })),
        _ if !fetching => Ok(None),
        _ => Err(doc.at(
            raw,
            "storage",
            format!(
                "no credentials for the bucket: set {ACCESS_KEY_VAR} and {SECRET_KEY_VAR}, or \
                 credentials_file (an AWS shared-credentials file)"
            ),
        )),
    }
}

/// Reads the profile's keys from an AWS shared-credentials file (INI: `[profile]` sections of
/// `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`).
fn from_file(doc: &Document, file: &Text, profile: Option<&Text>) -> Result<Keys, Error> {
    let key = "storage.credentials_file";
    let path = resolve(doc, file.get_ref());
    let shown = path.display();
    let text = readable_by_owner_only(&path).map_err(|m| doc.at(file, key, m))?;
    let wanted = profile.map_or(DEFAULT_CREDENTIALS_PROFILE, |p| p.get_ref().as_str());
    let section = ini_section(&text, wanted);
    let value = |name: &str| {
        section
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    match (value("aws_access_key_id"), value("aws_secret_access_key")) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(Keys {
            access_key_id,
            secret_access_key,
            session_token: value("aws_session_token"),
            source: format!("{shown} [{wanted}]"),
        }),
        _ => Err(doc.at(
            file,
            key,
            format!(
                "{shown} has no profile [{wanted}] with aws_access_key_id and \
                 aws_secret_access_key: add them, or pick another section with profile"
            ),
        )),
    }
}

/// Relative to the main configuration file's folder, like `archive_dir`.
fn resolve(doc: &Document, written: &str) -> PathBuf {
    let folder = doc.path.parent().unwrap_or_else(|| Path::new(""));
    folder.join(written)
}

fn readable_by_owner_only(path: &Path) -> Result<String, String> {
    use std::os::unix::fs::PermissionsExt;
    let shown = path.display();
    let meta = std::fs::metadata(path)
        .map_err(|e| format!("cannot read the credentials file {shown}: {e}"))?;
    // Other users reading the keys could write to the bucket as us (issue 18 item 1).
    if meta.permissions().mode() & 0o004 != 0 {
        return Err(format!(
            "the credentials file {shown} is readable by every user: run `chmod 600 {shown}`"
        ));
    }
    std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the credentials file {shown}: {e}"))
}

/// `key = value` pairs of one `[name]` section; `#` and `;` lines are comments.
fn ini_section(text: &str, name: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut pairs = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = header.trim() == name;
        } else if let (true, Some((k, v))) = (inside, line.split_once('=')) {
            pairs.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    pairs
}
