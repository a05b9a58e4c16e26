//! `[storage]` (issue 18): the bucket URL, credentials from a shared-credentials file, and
//! every refusal located by file, line and key.

use std::os::unix::fs::PermissionsExt;

use super::*;

const CREDENTIALS: &str = "[default]\naws_access_key_id = AKID\naws_secret_access_key = SECRET\n\n\
                           [other]\naws_access_key_id = OTHER\naws_secret_access_key = S2\n";

/// A configuration whose `[storage]` table holds `lines` (the table header is on line 13).
fn with_storage(lines: &str) -> String {
    format!("{}\n[storage]\n{lines}\n", config("", ""))
}

const STORAGE_LINE: usize = 13;

fn credentials(dir: &Path, mode: u32) -> PathBuf {
    let path = write(dir, "credentials", CREDENTIALS);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    path
}

#[test]
fn storage_is_read_with_defaults_and_a_credentials_file() {
    let dir = tempfile::tempdir().unwrap();
    credentials(dir.path(), 0o600);
    let text = with_storage(
        "url = \"s3://arch/baoluu/\"\nendpoint = \"http://127.0.0.1:9000\"\n\
         credentials_file = \"credentials\"\nprofile = \"other\"\ninstance = \"box-1\"",
    );
    let path = write(dir.path(), "baoluu.toml", &text);
    let storage = Config::load(&path).unwrap().storage.unwrap();
    assert_eq!(
        (storage.bucket.as_str(), storage.prefix.as_str()),
        ("arch", "baoluu")
    );
    assert_eq!(storage.instance, "box-1");
    assert_eq!(storage.region, DEFAULT_STORAGE_REGION);
    assert_eq!(storage.keep_local, None, "forever by default");
    let keys = storage.credentials.unwrap();
    assert_eq!(keys.access_key_id, "OTHER");
    assert!(
        !format!("{keys:?}").contains("S2"),
        "Debug hides the secret"
    );
}

#[test]
fn keep_local_takes_a_duration_or_forever() {
    let dir = tempfile::tempdir().unwrap();
    credentials(dir.path(), 0o600);
    for (written, expected) in [("\"0s\"", Some(Duration::ZERO)), ("\"forever\"", None)] {
        let text = with_storage(&format!(
            "url = \"s3://b\"\ncredentials_file = \"credentials\"\nkeep_local = {written}"
        ));
        let path = write(dir.path(), "baoluu.toml", &text);
        let storage = Config::load(&path).unwrap().storage.unwrap();
        assert_eq!(storage.keep_local, expected, "{written}");
        assert_eq!(storage.prefix, "");
    }
}

#[test]
fn an_inline_secret_is_refused_by_name() {
    let shown = expect_error(
        &with_storage("url = \"s3://b/p\"\nsecret_access_key = \"hunter2\""),
        STORAGE_LINE + 2,
        "storage.secret_access_key",
    );
    assert!(shown.contains("AWS_SECRET_ACCESS_KEY"), "{shown}");
    assert!(
        !shown.contains("hunter2"),
        "the secret is not repeated: {shown}"
    );
}

#[test]
fn a_world_readable_credentials_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    credentials(dir.path(), 0o644);
    let text = with_storage("url = \"s3://b/p\"\ncredentials_file = \"credentials\"");
    let path = write(dir.path(), "baoluu.toml", &text);
    let err = Config::load(&path).unwrap_err();
    assert_eq!(
        (err.line, err.key.as_deref()),
        (Some(STORAGE_LINE + 2), Some("storage.credentials_file"))
    );
    assert!(err.message.contains("chmod 600"), "{err}");
}

#[test]
fn a_missing_profile_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    credentials(dir.path(), 0o600);
    let text =
        with_storage("url = \"s3://b\"\ncredentials_file = \"credentials\"\nprofile = \"nope\"");
    let path = write(dir.path(), "baoluu.toml", &text);
    let err = Config::load(&path).unwrap_err();
    assert_eq!(err.key.as_deref(), Some("storage.credentials_file"));
    assert!(err.message.contains("[nope]"), "{err}");
}

#[test]
fn bad_values_are_located() {
    let cases = [
        (
            "url = \"https://b/p\"",
            STORAGE_LINE + 1,
            "storage.url",
            "s3://",
        ),
        (
            "url = \"s3://b\"\nendpoint = \"ftp://x\"",
            STORAGE_LINE + 2,
            "storage.endpoint",
            "http",
        ),
        (
            "url = \"s3://b\"\ninstance = \"a/b\"",
            STORAGE_LINE + 2,
            "storage.instance",
            "folder",
        ),
        (
            "url = \"s3://b\"\nkeep_local = \"soon\"",
            STORAGE_LINE + 2,
            "storage.keep_local",
            "forever",
        ),
        (
            "url = \"s3://b\"\nconcurrency = 0",
            STORAGE_LINE + 2,
            "storage.concurrency",
            "1 or more",
        ),
    ];
    for (lines, line, key, said) in cases {
        let shown = expect_error(&with_storage(lines), line, key);
        assert!(shown.contains(said), "{shown}");
    }
}

#[test]
fn missing_credentials_are_refused_for_a_crawl_but_not_for_status() {
    if std::env::var_os(crate::config::storage::ACCESS_KEY_VAR).is_some() {
        eprintln!(
            "skipped: {} is set in this environment",
            crate::config::storage::ACCESS_KEY_VAR
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "baoluu.toml",
        &with_storage("url = \"s3://b/p\""),
    );
    let err = Config::load(&path).unwrap_err();
    assert_eq!(
        (err.line, err.key.as_deref()),
        (Some(STORAGE_LINE), Some("storage"))
    );
    assert!(err.message.contains("AWS_ACCESS_KEY_ID"), "{err}");
    let read = Config::load_to_read(&path).unwrap().storage.unwrap();
    assert!(read.credentials.is_none());
}
