//! `baoluu extract FILE` through the binary: the tool for writing portal profiles (issue 4).

mod support;

use std::path::Path;
use std::process::Command;

fn extract(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_baoluu"))
        .arg("extract")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn extract_prints_the_article_of_a_saved_page_without_a_config() {
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/haugiang-article.html");
    let out = extract(&[
        "--url",
        "https://baohaugiang.com.vn/xay-dung-dang/bai-121360.html",
        page.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let article: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        article["title"],
        "Công tác tổ chức xây dựng Đảng đạt nhiều kết quả quan trọng"
    );
    assert_eq!(article["published"], "2023-01-05T07:31:00+07:00");
    assert_eq!(article["authors"], serde_json::json!(["TRƯỜNG SƠN"]));
    assert!(
        article["text"]
            .as_str()
            .unwrap()
            .starts_with("Ông Nguyễn Thiện Nhơn")
    );
}

#[test]
fn extract_reads_a_gzip_body_from_standard_input() {
    let page = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/haugiang-article.html"),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_baoluu"))
        .args(["extract", "--content-encoding", "gzip", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&support::fixture::gzip(&page))
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let article: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(article["authors"], serde_json::json!(["TRƯỜNG SƠN"]));
}

#[test]
fn extract_with_an_unknown_portal_exits_78() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::cli::write_config(
        dir.path(),
        &format!("[crawler]\nuser_agent = \"{}\"\n", support::cli::UA),
    );
    let out = Command::new(env!("CARGO_BIN_EXE_baoluu"))
        .args([
            "--config",
            config.to_str().unwrap(),
            "extract",
            "--portal",
            "nosuch",
            "x.html",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(78));
}

/// A page whose configured title selector and the generic extractor disagree.
const TWO_TITLES: &str = r#"<html><head><title>Generic title</title></head><body>
<h1>Generic title</h1><h2 class="real">Configured title</h2>
<div class="b"><p>Một đoạn văn đủ dài để làm thân bài của trang thử nghiệm này, không hơn không kém.</p></div>
</body></html>"#;

fn extract_with_config(config: &Path, args: &[&str]) -> serde_json::Value {
    let out = support::cli::baoluu(config, &[&["extract"], args].concat());
    assert!(out.status.success(), "{}", support::cli::stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Issue 14 part 5: `--url` picks the portal whose hosts hold the URL's host (before, the
/// generic extractor ran unless `--portal` was given); another host still gets the generic one.
#[test]
fn extract_uses_the_portal_of_the_urls_host() {
    let dir = tempfile::tempdir().unwrap();
    let config = support::cli::write_config(
        dir.path(),
        &format!(
            r#"[crawler]
user_agent = "{}"

[[portal]]
name = "p"
family = "content-fck"
seeds = ["https://example.org/"]
hosts = ["example.org"]

[portal.selectors]
title = "h2.real"
body = "div.b"
"#,
            support::cli::UA
        ),
    );
    let page = dir.path().join("page.html");
    std::fs::write(&page, TWO_TITLES).unwrap();
    let page = page.to_str().unwrap();
    let own = extract_with_config(&config, &["--url", "https://example.org/tin-a1.html", page]);
    assert_eq!(own["title"], "Configured title");
    let other = extract_with_config(&config, &["--url", "https://example.net/tin-a1.html", page]);
    assert_eq!(other["title"], "Generic title");
}

/// With no configuration file at all, `extract --url` runs the generic extractor instead of
/// failing: a saved page needs no configuration (issue 14 part 5).
#[test]
fn extract_without_a_config_file_uses_the_generic_extractor() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("page.html");
    std::fs::write(&page, TWO_TITLES).unwrap();
    let missing = dir.path().join("none.toml");
    let article = extract_with_config(
        &missing,
        &[
            "--url",
            "https://example.org/tin-a1.html",
            page.to_str().unwrap(),
        ],
    );
    assert_eq!(article["title"], "Generic title");
}
