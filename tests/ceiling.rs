//! `[crawler] max_rate`: the operator's ceiling across every portal (issue 16 item 6), on top of
//! the per-host politeness. Checked at the servers: requests to two hosts, merged in arrival
//! order, start at least the ceiling's interval apart (a lower bound with a small tolerance).

mod support;

use std::time::{Duration, Instant};

use support::cli::{UA, baoluu, stderr, write_config};
use support::{Fixture, Reply};

fn site(ip: &str) -> Fixture {
    let mut routes = vec![
        ("/robots.txt".to_string(), Reply::new(404)),
        ("/".to_string(), {
            let links: String = (1..=5)
                .map(|n| format!("<a href=\"/tin-{n}\">Tin {n}</a>"))
                .collect();
            Reply::html(format!("<html><body>{links}</body></html>"))
        }),
    ];
    for n in 1..=5 {
        routes.push((
            format!("/tin-{n}"),
            Reply::html(format!(
                "<html><head><title>Tin {n}</title></head><body><h1>Tin {n}</h1>\
                 <p>Nội dung bài viết số {n}, đủ dài để trích xuất được.</p></body></html>"
            )),
        ));
    }
    Fixture::pages(ip, routes)
}

fn portal(name: &str, fixture: &Fixture) -> String {
    let host = fixture.addr().to_string();
    format!(
        "[[portal]]\nname = \"{name}\"\nseeds = [\"http://{host}/\"]\nhosts = [\"{host}\"]\n\
         article_urls = ['^http://[^/]+/tin-\\d+$']\nlisting_urls = ['^http://[^/]+/$']\n"
    )
}

#[test]
fn max_rate_spaces_requests_across_all_hosts() {
    let (a, b) = (site("127.0.0.31"), site("127.0.0.32"));
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &format!(
            "[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"archive\"\nmin_free_space = \"1MB\"\n\
             min_delay = \"10ms\"\ndelay_factor = 0.0\nmax_rate = \"4/s\"\n\n{}\n{}",
            portal("a", &a),
            portal("b", &b)
        ),
    );
    let out = baoluu(&config, &["crawl"]);
    assert!(out.status.success(), "crawl: {}", stderr(&out));
    let mut arrivals: Vec<Instant> = a.log().iter().chain(b.log().iter()).map(|r| r.at).collect();
    arrivals.sort();
    // robots.txt, /sitemap.xml, the home page and five articles per host.
    assert!(arrivals.len() >= 14, "{} requests", arrivals.len());
    // 4/s: 250 ms between request starts; the server sees arrivals, so allow 20 ms of jitter.
    let floor = Duration::from_millis(230);
    for pair in arrivals.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(
            gap >= floor,
            "requests {gap:?} apart across hosts, ceiling 4/s"
        );
    }
}
