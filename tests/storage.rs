//! Issue 18 end to end: `baoluu crawl` ships its archive to a real S3-compatible server
//! (`s3s-fs` in its own process on 127.0.0.1), verified; a kill -9 mid-upload, a server that
//! is down then back, and refused keys cost retries and a `status` problem, never data.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::cli::{self, stderr};
use support::s3::{self, SECRET_KEY};
use support::shipping::{INSTANCE, World, sha256};

/// The closed files a crawl leaves that belong in the bucket, relative to the archive.
fn shippable(archive: &Path) -> Vec<String> {
    let mut paths = Vec::new();
    for (folder, suffix) in [
        ("warc", ".warc.gz"),
        ("index/cdxj", ".cdxj"),
        ("runs", ".json"),
    ] {
        for entry in std::fs::read_dir(archive.join(folder)).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(suffix) {
                paths.push(format!("{folder}/{name}"));
            }
        }
    }
    paths.sort();
    paths
}

fn problem_codes(status: &serde_json::Value) -> Vec<String> {
    let problems = status["storage"]["problems"].as_array().cloned();
    problems
        .unwrap_or_default()
        .iter()
        .map(|p| p["code"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_crawl_uploads_every_closed_file_verified_then_deletes_its_local_warcs() {
    let Some(w) = World::start("keep_local = \"0s\"") else {
        return;
    };
    let out = w.crawl();
    assert!(stderr(&out).contains("none pending"), "{}", stderr(&out));
    let queue = w.queue();
    let warcs = queue
        .iter()
        .filter(|(p, ..)| p.starts_with("warc/"))
        .count();
    assert!(
        warcs >= 2,
        "rotation at 20 KB makes several WARCs: {queue:?}"
    );
    for kind in ["index/cdxj/", "runs/"] {
        assert!(
            queue.iter().any(|(p, ..)| p.starts_with(kind)),
            "{kind}: {queue:?}"
        );
    }
    for (path, state, sha) in &queue {
        assert_eq!(state, "done", "{path}");
        let object = w.server.object(&w.key(path)).expect("object in the bucket");
        assert_eq!(Some(sha256(&object)), *sha, "{path}: recorded digest");
        let local = w.archive().join(path);
        match path.starts_with("warc/") || path.contains("/segments/") {
            true => assert!(!local.exists(), "keep_local = 0s: {path} deleted"),
            false => assert_eq!(std::fs::read(&local).unwrap(), object, "{path}"),
        }
    }
    let status = w.status_json();
    assert_eq!(status["storage"]["pending"], 0, "{status}");
    assert_eq!(status["storage"]["done"], queue.len(), "{status}");

    // The local WARCs are gone: a WACZ built from the bucket holds them all, and checks out.
    let wacz = w.hosts.dir.path().join("from-bucket.wacz");
    let out = w.run(
        SECRET_KEY,
        &["wacz", "--from-storage", wacz.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}{}",
        cli::stdout(&out),
        stderr(&out)
    );
    assert!(
        cli::stdout(&out).contains(&format!("{warcs} WARC files")),
        "{}",
        cli::stdout(&out)
    );
    let out = w.run(SECRET_KEY, &["verify", "--wacz", wacz.to_str().unwrap()]);
    assert!(out.status.success(), "{}", cli::stdout(&out));
    if let Some(tool) = cli::oracle("wacz") {
        let checked = std::process::Command::new(tool)
            .args(["validate", "-f"])
            .arg(&wacz)
            .output()
            .unwrap();
        assert!(checked.status.success(), "{}", stderr(&checked));
    }

    // verify --remote reads every object back; a changed byte in the bucket is caught.
    let out = w.run(SECRET_KEY, &["verify", "--remote"]);
    let said = cli::stdout(&out);
    assert!(out.status.success(), "{said}{}", stderr(&out));
    assert!(said.contains(&format!("{} objects", queue.len())), "{said}");
    let (victim, ..) = &queue[0];
    let stored = w.server.root.join(s3::BUCKET).join(w.key(victim));
    let mut bytes = std::fs::read(&stored).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&stored, bytes).unwrap();
    let out = w.run(SECRET_KEY, &["verify", "--remote"]);
    let said = cli::stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&format!("problem: {}", w.key(victim))),
        "{said}"
    );
}

#[test]
fn refused_keys_cost_retries_and_a_status_problem_never_data() {
    let Some(w) = World::start("keep_local = \"0s\"\ndrain_timeout = \"3s\"") else {
        return;
    };
    let out = w.run("not-the-secret", &["crawl"]);
    assert!(
        out.status.success(),
        "pending uploads keep exit 0: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("pending (they go with the next run"),
        "{}",
        stderr(&out)
    );
    let local = shippable(&w.archive());
    assert!(local.iter().any(|p| p.starts_with("warc/")), "{local:?}");
    assert!(w.server.keys("baoluu/").is_empty(), "nothing accepted");
    assert!(w.queue().iter().all(|(_, state, _)| state == "pending"));
    let status = w.status_json();
    assert_eq!(status["storage"]["pending"], local.len(), "{status}");
    assert_eq!(
        problem_codes(&status),
        ["storage-credentials-refused"],
        "{status}"
    );

    // The right key: the next run ships everything that was kept.
    w.crawl();
    for path in &local {
        assert!(w.server.object(&w.key(path)).is_some(), "{path} uploaded");
    }
    assert!(problem_codes(&w.status_json()).is_empty());
}

/// Another process runs this archive's uploads (it holds `.uploads.lock`, as a crawl or daemon
/// does for its whole life): a second process uploads nothing and says so — it used to start
/// uploading before reaching the archive lock (issue 18). Once the lock is free, the next run
/// ships everything.
#[test]
fn a_second_process_leaves_the_uploads_to_the_one_that_runs_them() {
    let Some(w) = World::start("drain_timeout = \"3s\"") else {
        return;
    };
    std::fs::create_dir_all(w.archive()).unwrap();
    let held = std::fs::File::create(w.archive().join(".uploads.lock")).unwrap();
    held.try_lock().unwrap();
    let out = w.crawl();
    assert!(w.server.keys("baoluu/").is_empty(), "nothing uploaded");
    assert!(
        stderr(&out).contains("uploads_run_elsewhere"),
        "{}",
        stderr(&out)
    );
    let local = shippable(&w.archive());
    assert!(local.iter().any(|p| p.starts_with("warc/")), "{local:?}");

    drop(held);
    w.crawl();
    for path in &local {
        assert!(w.server.object(&w.key(path)).is_some(), "{path} uploaded");
    }
}

/// Refused keys on a file past one part (8 MiB: a multipart upload, as nearly every real WARC
/// is) are reported as refused keys: the refusal comes from a part's write, which was taken for
/// an unreachable server.
#[test]
fn refused_keys_on_a_multipart_upload_are_refused_keys() {
    let Some(w) = World::start("drain_timeout = \"3s\"") else {
        return;
    };
    let big = w.archive().join("warc/big-00000.warc.gz");
    std::fs::create_dir_all(big.parent().unwrap()).unwrap();
    let bytes: Vec<u8> = (0..9 * 1024 * 1024u32)
        .map(|i| (i * 7 % 251) as u8)
        .collect();
    std::fs::write(&big, bytes).unwrap();
    let out = w.run("not-the-secret", &["crawl"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let db = rusqlite::Connection::open(w.archive().join("state.sqlite")).unwrap();
    let error: String = db
        .query_row(
            "SELECT last_error FROM uploads WHERE path = 'warc/big-00000.warc.gz'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        error.starts_with("storage-credentials-refused: "),
        "{error}"
    );
}

#[test]
fn a_server_down_then_restarted_mid_run_gets_everything() {
    let Some(mut w) = World::start("drain_timeout = \"120s\"") else {
        return;
    };
    w.server.stop();
    let mut child = (w.command(SECRET_KEY, &["crawl"]))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // The run is over (its report written) and the drain is retrying against a dead server.
    let started = Instant::now();
    while !w.archive().join("runs").exists() || failures(&w) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no failed upload seen"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let status = w.status_json();
    assert_eq!(problem_codes(&status), ["storage-unreachable"], "{status}");
    w.server.restart();
    let exit = child.wait().unwrap();
    assert!(exit.success());
    for (path, state, sha) in w.queue() {
        assert_eq!(state, "done", "{path}");
        let local = std::fs::read(w.archive().join(&path)).unwrap();
        assert_eq!(
            Some(sha256(&local)),
            sha,
            "keep_local forever: {path} kept and matching"
        );
        assert_eq!(w.server.object(&w.key(&path)), Some(local), "{path}");
    }
}

fn failures(w: &World) -> i64 {
    let db = rusqlite::Connection::open(w.archive().join("state.sqlite")).ok();
    let count = db.and_then(|db| {
        db.query_row("SELECT COALESCE(SUM(attempts), 0) FROM uploads", [], |r| {
            r.get(0)
        })
        .ok()
    });
    count.unwrap_or(0)
}

#[test]
fn kill_9_mid_upload_records_nothing_and_the_next_start_redoes_it() {
    let Some(w) = World::start("keep_local = \"0s\"") else {
        return;
    };
    // A large closed WARC (as a crashed earlier run might leave) makes a multipart upload
    // long enough to be caught in the middle.
    let big = "warc/old-20260101000000-00000-h.warc.gz";
    let bytes: Vec<u8> = (0..48 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::create_dir_all(w.archive().join("warc")).unwrap();
    std::fs::write(w.archive().join(big), &bytes).unwrap();
    let mut child = (w.command(SECRET_KEY, &["daemon"]))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !s3::multipart_in_progress(&w.server.root) {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no multipart upload seen"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let row = w.queue().into_iter().find(|(p, ..)| p == big).unwrap();
    assert_eq!(row.1, "pending", "a half-sent object is never done");
    assert!(w.server.object(&w.key(big)).is_none(), "no partial object");
    assert_eq!(
        std::fs::read(w.archive().join(big)).unwrap(),
        bytes,
        "kept locally"
    );

    w.crawl();
    let row = w.queue().into_iter().find(|(p, ..)| p == big).unwrap();
    assert_eq!((row.1.as_str(), row.2), ("done", Some(sha256(&bytes))));
    assert_eq!(w.server.object(&w.key(big)), Some(bytes));
    assert!(
        !w.archive().join(big).exists(),
        "deleted only now, verified"
    );
}

#[test]
fn two_shards_split_the_portals_and_share_the_bucket() {
    let Some(w) = World::start("") else {
        return;
    };
    // The second instance: its own archive and state, its own folder in the same bucket.
    let text = std::fs::read_to_string(&w.hosts.config).unwrap();
    let second = text
        .replace("archive_dir = \"archive\"", "archive_dir = \"archive-2\"")
        .replace(
            &format!("instance = \"{INSTANCE}\""),
            "instance = \"box-2\"",
        );
    let config_2 = w.hosts.dir.path().join("second.toml");
    std::fs::write(&config_2, second).unwrap();
    let out = w.run(SECRET_KEY, &["crawl", "--shard", "1/2"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let mut cmd = cli::command(&config_2, &["crawl", "--shard", "2/2"]);
    let out = s3::keyed(&mut cmd, SECRET_KEY).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // FNV-1a("a") is even and FNV-1a("b") odd: portal a is shard 1 of 2, b shard 2.
    for (instance, portal) in [(INSTANCE, "a-"), ("box-2", "b-")] {
        let warcs = w.server.keys(&format!("baoluu/{instance}/warc/"));
        assert!(!warcs.is_empty(), "{instance} uploaded");
        let prefix = format!("baoluu/{instance}/warc/{portal}");
        assert!(warcs.iter().all(|k| k.starts_with(&prefix)), "{warcs:?}");
    }
    let out = w.run(SECRET_KEY, &["crawl", "--shard", "3/2"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
