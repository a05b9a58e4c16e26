//! `baoluu status --json` (issue 14, part 4): one JSON document with stable problem codes.
//! A portal whose listings are rendered by JavaScript (no article links in the HTML) but whose
//! sitemap lists its articles is flagged `listings-without-articles` naming the sitemap; a
//! portal that never ran has null times and no problems; the exit code is 0 whatever the
//! health, and 78 for a bad configuration.

mod support;

use support::cli::{UA, baoluu, stderr, stdout, write_config};
use support::portal;
use support::{Fixture, Reply};

fn article(id: u32) -> Reply {
    Reply::html(format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Tin {id}</title><meta property="og:type" content="article"></head><body><article><h1>Tin số {id}</h1><div class="date">20/11/2026 08:00</div><div class="content"><p>Nội dung đầy đủ của tin số {id}, đủ dài để là một bài báo thật sự với nhiều câu chữ.</p><p>Đoạn thứ hai của tin số {id} kết thúc bài viết này.</p></div></article></body></html>"#
    ))
}

/// Listings are an empty shell filled by a script; the sitemap lists five articles.
fn js_portal(req: &support::Logged) -> Reply {
    let origin = format!("http://{}", req.header("host").unwrap_or_default());
    let shell = r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>Báo</title><script src="/app.js"></script></head><body><div id="app"></div><a href="/thoi-su-215.html">Thời sự</a></body></html>"#;
    match req.target.as_str() {
        "/robots.txt" => Reply::new(200).body("User-agent: *\nAllow: /\n"),
        "/" | "/thoi-su-215.html" => Reply::html(shell),
        "/sitemap.xml" => {
            let urls: String = (1..=5)
                .map(|n| format!("<url><loc>{origin}/thoi-su/tin-so-{n}.html</loc></url>"))
                .collect();
            Reply::new(200)
                .header("content-type", "application/xml")
                .body(format!(r#"<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>"#))
        }
        path => match path
            .strip_prefix("/thoi-su/tin-so-")
            .and_then(|p| p.strip_suffix(".html"))
            .and_then(|n| n.parse().ok())
        {
            Some(id) => article(id),
            None => Reply::not_found(),
        },
    }
}

fn crawler() -> String {
    format!(
        "[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"archive\"\nmin_free_space = \"1MB\"\nmin_delay = \"5ms\"\ndelay_factor = 0.0\n"
    )
}

#[test]
fn listings_without_article_links_are_flagged_naming_the_sitemap() {
    let fixture = Fixture::start("127.0.0.41", js_portal);
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{}{}", crawler(), portal::table("js", &fixture, ""));
    let config = write_config(dir.path(), &text);
    let out = baoluu(&config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = baoluu(&config, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let status: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let portal = &status["portals"][0];
    assert!(
        portal["last_run"].as_str().unwrap().ends_with("+07:00"),
        "{status}"
    );
    assert!(
        portal["next_run"].as_str().unwrap().ends_with("+07:00"),
        "{status}"
    );
    let problems = portal["health"]["problems"].as_array().unwrap();
    let js = problems
        .iter()
        .find(|p| p["code"] == "listings-without-articles")
        .unwrap_or_else(|| panic!("not flagged: {status}"));
    assert_eq!(js["sources"], serde_json::json!(["sitemap"]), "{js}");
    assert!(js["message"].as_str().unwrap().contains("sitemap"), "{js}");
    // The sitemap's articles match the profile: nothing was missed.
    assert!(
        !problems.iter().any(|p| p["code"] == "article-pattern-miss"),
        "{status}"
    );
    assert_eq!(portal["coverage"]["archived"], 5, "{status}");

    // The text form prints the same problem.
    let out = baoluu(&config, &["status"]);
    assert!(
        stdout(&out).contains("[listings-without-articles]"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_portal_that_never_ran_has_null_times_and_a_bad_config_exits_78() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Fixture::start("127.0.0.41", js_portal);
    let text = format!("{}{}", crawler(), portal::table("idle", &fixture, ""));
    let config = write_config(dir.path(), &text);
    let out = baoluu(&config, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let status: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let portal = &status["portals"][0];
    assert_eq!(portal["name"], "idle");
    assert!(portal["last_run"].is_null(), "{status}");
    assert!(portal["next_run"].is_null(), "{status}");
    assert_eq!(
        portal["health"],
        serde_json::json!({"ok": true, "problems": []})
    );

    let bad = write_config(dir.path(), "[crawler]\nuser_agent = \"x\"\n");
    let out = baoluu(&bad, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(78), "{}", stderr(&out));
}
