//! Running the real `baoluu` binary, and the archivists' tools used as oracles.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A user agent with a contact, as the config requires.
pub const UA: &str = "baoluu-test/0.1 (+mailto:archive@example.org)";

/// Runs `baoluu --config CONFIG ARGS...` to completion.
pub fn baoluu(config: &Path, args: &[&str]) -> Output {
    command(config, args)
        .output()
        .expect("the baoluu binary runs")
}

/// The command, for tests that need to start it in the background.
pub fn command(config: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baoluu"));
    cmd.arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "info");
    cmd
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `body` as `baoluu.toml` in `dir` and returns its path.
/// The `[crawler]` table every end-to-end test starts from (a test user agent, a fast polite
/// gap for 127.0.0.x fixtures, no disk floor to speak of), plus `extra` key lines.
pub fn crawler_table(extra: &str) -> String {
    format!(
        r#"[crawler]
user_agent = "{UA}"
archive_dir = "archive"
min_free_space = "1MB"
min_delay = "20ms"
delay_factor = 0.0
{extra}
"#
    )
}

pub fn write_config(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("baoluu.toml");
    std::fs::write(&path, body).expect("config written");
    path
}

/// An oracle program from the test venv (`$BAOLUU_VENV/bin`, `./.venv/bin`) or `PATH`.
/// Missing: a skip message, or a panic when `BAOLUU_REQUIRE_ORACLES` is set (CI).
pub fn oracle(name: &str) -> Option<PathBuf> {
    let venv = std::env::var_os("BAOLUU_VENV").map(PathBuf::from);
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv");
    let candidates = venv
        .into_iter()
        .chain([local])
        .map(|v| v.join("bin").join(name));
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let found = candidates.chain(on_path).find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var_os("BAOLUU_REQUIRE_ORACLES").is_none(),
            "{name} is required (BAOLUU_REQUIRE_ORACLES is set) but was not found: run ./.ci/run"
        );
        eprintln!("skipping the {name} check: {name} not found (./.ci/run installs it into .venv)");
    }
    found
}

/// `warcio check -v FILE`: exits 0 and says "pass" for every digest it checks.
/// Returns the number of digests that passed (0 when warcio is missing).
pub fn warcio_check(file: &Path) -> usize {
    let Some(warcio) = oracle("warcio") else {
        return 0;
    };
    let out = Command::new(warcio)
        .arg("check")
        .arg("-v")
        .arg(file)
        .output()
        .expect("warcio runs");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        out.status.success(),
        "warcio check failed on {}:\n{text}",
        file.display()
    );
    let failed: Vec<&str> = text.lines().filter(|l| l.contains("fail")).collect();
    assert!(
        failed.is_empty(),
        "warcio reports failures in {}:\n{text}",
        file.display()
    );
    let passed = text.matches("pass").count();
    assert!(
        passed > 0,
        "warcio checked no digest in {}:\n{text}",
        file.display()
    );
    passed
}

/// The closed WARC files under `archive_dir/warc`, sorted; panics if a `.open` file is left.
pub fn warc_files(archive_dir: &Path) -> Vec<PathBuf> {
    let dir = archive_dir.join("warc");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    let open: Vec<&PathBuf> = files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".open"))
        .collect();
    assert!(open.is_empty(), "WARC files left open: {open:?}");
    files
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".warc.gz"))
        .collect()
}

/// Validates every line of a JSON-lines file against `schema/index-line.schema.json` with the
/// Python `jsonschema` package (from the test venv). Returns the number of lines validated
/// (0 when the validator is missing outside CI).
pub fn validate_index_lines(jsonl: &Path) -> usize {
    let Some(python) = oracle("python3") else {
        return 0;
    };
    let probe = Command::new(&python)
        .args(["-c", "import jsonschema"])
        .output()
        .expect("python runs");
    if !probe.status.success() {
        assert!(
            std::env::var_os("BAOLUU_REQUIRE_ORACLES").is_none(),
            "jsonschema is required: run ./.ci/run"
        );
        eprintln!(
            "skipping the schema check: the jsonschema package is missing (./.ci/run installs it)"
        );
        return 0;
    }
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/index-line.schema.json");
    let script = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema)
count = 0
for number, line in enumerate(open(sys.argv[2], encoding="utf-8"), 1):
    for error in validator.iter_errors(json.loads(line)):
        print(f"line {number}: {error.json_path}: {error.message}")
        sys.exit(1)
    count += 1
print(count)
"#;
    let out = Command::new(&python)
        .args(["-c", script])
        .arg(&schema)
        .arg(jsonl)
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{} does not validate:\n{}{}",
        jsonl.display(),
        stdout(&out),
        stderr(&out)
    );
    stdout(&out).trim().parse().expect("a line count")
}

/// With `BAOLUU_KEEP_ARCHIVE=DIR` set, copies `archive_dir` there, so `.ci/run` can run
/// `baoluu verify` on a real crawled archive after the tests.
pub fn keep_archive(archive_dir: &Path) {
    let Some(dest) = std::env::var_os("BAOLUU_KEEP_ARCHIVE").map(PathBuf::from) else {
        return;
    };
    copy_dir(archive_dir, &dest);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("archive copy directory");
    for entry in std::fs::read_dir(from).expect("archive readable").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else if entry.file_name() != ".lock" {
            std::fs::copy(entry.path(), &target).expect("archive file copied");
        }
    }
}

/// Every record of every closed WARC file reads back with verified digests; warcio agrees.
/// Returns the number of records.
pub fn check_warcs(archive: &Path) -> usize {
    let mut count = 0;
    for file in warc_files(archive) {
        for record in baoluu::archive::reader::records(&file).unwrap() {
            let record = record.unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            record
                .verify_digests()
                .unwrap_or_else(|e| panic!("{} @{}: {e}", file.display(), record.offset));
            count += 1;
        }
        warcio_check(&file);
    }
    count
}

/// `cdxj-indexer FILE`'s lines, sorted bytewise as ours are (the replay oracle, issue 17).
pub fn cdxj_indexer_lines(indexer: &Path, warc: &Path) -> Vec<String> {
    let out = Command::new(indexer).arg(warc).output().unwrap();
    assert!(
        out.status.success(),
        "cdxj-indexer failed on {}:\n{}",
        warc.display(),
        stderr(&out)
    );
    let mut lines: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}
