//! `baoluu demo` end to end (issue 19): the binary as a child process crawls its sample portal
//! into `--archive DIR`, prints the status page's URL (waited for line by line, with a
//! deadline), serves a page naming a sample article, and exits 0 on SIGINT leaving the WARC,
//! index and CDXJ files behind. It ignores `--config`: a missing file is no error.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Generous: the demo crawls ~15 pages at a 50 ms gap; a busy CI machine is slow.
const DEADLINE: Duration = Duration::from_secs(120);

#[test]
fn demo_crawls_serves_its_status_page_and_stops_cleanly_on_sigint() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("demo-archive");
    let mut child = Command::new(env!("CARGO_BIN_EXE_baoluu"))
        .args(["--config", "/nonexistent/baoluu.toml", "demo", "--archive"])
        .arg(&archive)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("baoluu demo starts");
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut printed = Vec::new();
    let url = loop {
        let line = rx.recv_timeout(DEADLINE).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("no status page URL printed; so far: {printed:#?}")
        });
        printed.push(line.clone());
        if let Some(rest) = line.split("status page: ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let all = printed.join("\n");
    assert!(all.contains("10 new articles"), "{all}");
    assert!(all.contains("WARC: ") && all.contains("CDXJ: "), "{all}");
    let home = get(&url, "/");
    assert!(
        home.contains("/portal/demo") && home.contains("10 bài mới"),
        "{home}"
    );
    let portal = get(&url, "/portal/demo");
    assert!(portal.contains(baoluu::demo::site::A_TITLE), "{portal}");
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "demo did not exit 0 on SIGINT");
    let names = |sub: &str| -> Vec<String> {
        std::fs::read_dir(archive.join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    };
    assert!(
        names("warc").iter().any(|n| n.ends_with(".warc.gz")),
        "{:?}",
        names("warc")
    );
    let index = std::fs::read_to_string(archive.join("index/demo.jsonl")).unwrap();
    assert_eq!(index.lines().count(), 10);
    assert!(index.contains(baoluu::demo::site::A_TITLE));
    assert!(names("index/cdxj").iter().any(|n| n.ends_with(".cdxj")));
}

/// GET `path` on the server at `url` over a plain socket (loopback only).
fn get(url: &str, path: &str) -> String {
    let addr = url.trim_start_matches("http://").trim_end_matches('/');
    assert!(addr.starts_with("127."), "{addr}");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}
