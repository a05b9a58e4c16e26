//! Paths in the configuration resolve once, against the configuration file's folder, whatever
//! the working directory and however the config path was written (issue 13, item 9).

mod support;

use std::process::Command;

use support::cli::{UA, stderr};
use support::{Fixture, Reply};

#[test]
fn relative_config_and_archive_dir_give_cdxj_beside_the_warc() {
    let fixture = Fixture::pages(
        "127.0.0.2",
        vec![
            ("/robots.txt", Reply::new(404)),
            ("/tin", Reply::html("<html><body><p>Tin.</p></body></html>")),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    let host = fixture.addr().to_string();
    std::fs::write(
        site.join("b.toml"),
        format!(
            "[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"archive\"\nmin_free_space = \"1MB\"\n\
             min_delay = \"10ms\"\n[[portal]]\nname = \"p\"\nseeds = [\"http://{host}/\"]\n\
             hosts = [\"{host}\"]\narticle_urls = ['^http://[^/]+/tin$']\nlisting_urls = []\n"
        ),
    )
    .unwrap();
    // `cd dir && baoluu --config site/b.toml save URL`: both paths relative.
    let out = Command::new(env!("CARGO_BIN_EXE_baoluu"))
        .current_dir(dir.path())
        .args(["--config", "site/b.toml", "save", &fixture.url("/tin")])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(out.status.success(), "save failed: {err}");
    assert!(!err.contains("cdxj_failed"), "CDXJ was not written: {err}");
    let archive = site.join("archive");
    let warcs: Vec<_> = std::fs::read_dir(archive.join("warc"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        warcs.len(),
        1,
        "one WARC file under site/archive/warc: {warcs:?}"
    );
    let cdxj = archive
        .join("index/cdxj")
        .join(format!("{}.cdxj", warcs[0]));
    let text = std::fs::read_to_string(&cdxj)
        .unwrap_or_else(|e| panic!("{} missing ({e}); stderr: {err}", cdxj.display()));
    assert!(
        text.contains("/tin"),
        "the CDXJ indexes the saved page: {text}"
    );
}
