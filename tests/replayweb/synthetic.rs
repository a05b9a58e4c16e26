//! A synthetic archive of N articles, written by baoluu's own archive writer, for the
//! 10k-article ReplayWeb.page benchmark (issue 20). No network: each article is an
//! [`Exchange`] made here, written with [`Writer::write_exchange`], indexed with
//! [`baoluu::cdxj::write_for`], and listed in the JSON index the way a crawl lists it.

use std::io::Write;
use std::path::{Path, PathBuf};

use baoluu::archive::{Info, Writer};
use baoluu::fetch::Exchange;

pub struct Built {
    pub archive: PathBuf,
    pub articles: Vec<String>,
    pub titles: Vec<String>,
}

fn exchange(url: &str, at: chrono::DateTime<chrono::Utc>, html: &str) -> Exchange {
    let url = url::Url::parse(url).expect("a valid URL");
    let host = url.host_str().unwrap_or_default().to_string();
    Exchange {
        url,
        date: at,
        request_headers: vec![("Host".into(), host), ("User-Agent".into(), "bench".into())],
        version: "HTTP/1.1".into(),
        status: 200,
        reason: "OK".into(),
        response_headers: vec![("content-type".into(), b"text/html; charset=utf-8".to_vec())],
        body: html.as_bytes().to_vec(),
        truncated: None,
        remote_ip: None,
        duration: std::time::Duration::from_millis(1),
    }
}

/// Writes `count` articles of one portal under `archive` (WARC files of about 64 MB).
pub fn archive(archive: &Path, count: usize) -> Built {
    let warc = archive.join("warc");
    let index = archive.join("index");
    std::fs::create_dir_all(&warc).unwrap();
    std::fs::create_dir_all(&index).unwrap();
    let info = Info {
        software: "baoluu-bench".into(),
        hostname: "bench".into(),
        user_agent: "bench".into(),
        from: None,
        is_part_of: "syn".into(),
    };
    let mut writer = Writer::new(warc.clone(), "syn".into(), info, 64 << 20);
    let mut jsonl =
        std::io::BufWriter::new(std::fs::File::create(index.join("syn.jsonl")).unwrap());
    let start = chrono::Utc::now() - chrono::Duration::days(30);
    let (mut articles, mut titles) = (Vec::new(), Vec::new());
    for n in 0..count {
        let url = format!("http://bao.example/thoi-su/tin-tong-hop-{n:05}.html");
        let title = format!("Tin tổng hợp số {n}: Hậu Giang phát triển kinh tế");
        let text = format!("Đoạn mở đầu của tin số {n}. ").repeat(20);
        let html = format!(
            "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\"><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
        );
        let at = start + chrono::Duration::seconds(n as i64);
        let capture = writer.write_exchange(&exchange(&url, at, &html)).unwrap();
        let line = serde_json::json!({
            "url": url, "portal": "syn", "host": "bao.example",
            "ts": at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "title": title, "text": text, "status": 200, "mime": "text/html",
            "digest": capture.payload_digest, "filename": capture.filename,
            "offset": capture.offset, "length": capture.length,
        });
        articles.push(url);
        titles.push(title);
        // The JSON index names a file once it is closed: the writer may rotate mid-run.
        writeln!(jsonl, "{line}").unwrap();
    }
    writer.close().unwrap();
    jsonl.flush().unwrap();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&warc)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for file in files {
        baoluu::cdxj::write_for(&warc, &index, Path::new(file.file_name().unwrap())).unwrap();
    }
    Built {
        archive: archive.to_path_buf(),
        articles,
        titles,
    }
}
