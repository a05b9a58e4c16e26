//! The article-history fixture portal (issue 15): six articles on a home page; flipping
//! [`History::edited`] edits article 1's title and a paragraph and article 2's body, changes only
//! article 3's page furniture, removes article 4 (404) and redirects article 5 to the home page,
//! and the home page then links only a new article, so only the store sends the crawler back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use super::cli::{UA, baoluu, stderr, stdout, write_config};
use super::{Fixture, Reply, portal};

/// The fixture's articles: 1 title + paragraph edit, 2 body edit, 3 furniture only, 4 removed
/// (404), 5 redirected home, 6 untouched.
pub const ARTICLES: [u32; 6] = [1, 2, 3, 4, 5, 6];

pub fn path(n: u32) -> String {
    format!("/thoi-su/bai-{n}.html")
}

/// An article page: `title`, two paragraphs, and furniture (a view counter, a "most read" box
/// and an ad) outside the article's container.
fn article(title: &str, second: &str, views: u32, most_read: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title} - Báo Hậu Giang</title></head>
<body><div class="main"><div class="news-details-content"><h1>{title}</h1>
<div class="date">Thứ Năm, ngày 05/01/2023 | 07:31</div>
<div class="sapo">(HGO) - Tỉnh Hậu Giang tổng kết công tác năm 2022 với nhiều kết quả quan trọng.</div>
<div class="contentView"><p>Ông Nguyễn Thiện Nhơn cho biết các chỉ tiêu kinh tế - xã hội của tỉnh đều đạt và vượt kế hoạch đề ra trong năm qua.</p>
<p>{second}</p>
<p style="text-align:right"><strong>Bài, ảnh: TRƯỜNG SƠN</strong></p></div></div>
<div class="views">Lượt xem: {views}</div></div>
<div class="sidebar"><h3>Đọc nhiều</h3><ul><li><a href="/thoi-su/bai-{most_read}.html">Tin đọc nhiều</a></li></ul>
<div class="ads">Quảng cáo {views}</div></div></body></html>"#
    )
}

const SECOND: &str =
    "Đoạn thứ hai: năm 2023, tỉnh tiếp tục đẩy mạnh chuyển đổi số và cải cách hành chính.";
const SECOND_EDITED: &str =
    "Đoạn thứ hai: năm 2023, tỉnh quyết tâm đẩy mạnh chuyển đổi số và thu hút đầu tư.";

fn home(edited: bool) -> String {
    let links: String = match edited {
        // The second run's home page links only a new article: revisits come from the store.
        true => format!(r#"<li><a href="{}">Tin mới</a></li>"#, path(9)),
        false => ARTICLES
            .iter()
            .map(|n| format!(r#"<li><a href="{}">Tin {n}</a></li>"#, path(*n)))
            .collect(),
    };
    format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Báo Hậu Giang</title></head><body><ul>{links}</ul></body></html>"#
    )
}

fn route(edited: bool, target: &str) -> Reply {
    let title = |n: u32| format!("Tin số {n}: Hậu Giang tổng kết năm 2022");
    let page = |_n: u32, t: String, second: &str, views: u32| {
        Reply::html(article(
            &t,
            second,
            views,
            if views > 100 { "6" } else { "1" },
        ))
    };
    let n: Option<u32> = target
        .strip_prefix("/thoi-su/bai-")
        .and_then(|r| r.strip_suffix(".html"))
        .and_then(|r| r.parse().ok());
    match (target, n, edited) {
        ("/", _, _) => Reply::html(home(edited)),
        (_, Some(1), true) => page(
            1,
            "Tin số 1: Hậu Giang tổng kết năm 2022 thành công".into(),
            SECOND_EDITED,
            7,
        ),
        (_, Some(2), true) => page(2, title(2), SECOND_EDITED, 7),
        (_, Some(3), true) => page(3, title(3), SECOND, 250),
        (_, Some(4), true) => Reply::not_found(),
        (_, Some(5), true) => Reply::new(301).header("location", "/"),
        (_, Some(n), _) if n <= 6 || n == 9 => page(n, title(n), SECOND, 7),
        _ => Reply::not_found(),
    }
}

pub struct World {
    pub fixture: Fixture,
    pub edited: Arc<AtomicBool>,
    pub dir: tempfile::TempDir,
    pub config: std::path::PathBuf,
}

pub fn world(ip: &str, extra: &str) -> World {
    let edited = Arc::new(AtomicBool::new(false));
    let flag = edited.clone();
    let fixture = Fixture::start(ip, move |req| {
        route(flag.load(Ordering::SeqCst), &req.target)
    });
    let dir = tempfile::tempdir().unwrap();
    let table = portal::table("h", &fixture, &format!("revisit_after = \"0s\"\n{extra}"));
    let body = format!(
        "[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"archive\"\nmin_free_space = \"1MB\"\n\
         min_delay = \"20ms\"\ndelay_factor = 0.0\nretries = 0\n{table}"
    );
    let config = write_config(dir.path(), &body);
    World {
        fixture,
        edited,
        dir,
        config,
    }
}

/// One more history portal, `name` on `ip`, edited when `w`'s is (the same flag): its fixture
/// (kept while the test runs) and the `[[portal]]` table to append to `w`'s configuration.
pub fn second_portal(w: &World, name: &str, ip: &str) -> (Fixture, String) {
    let flag = w.edited.clone();
    let fixture = Fixture::start(ip, move |req| {
        route(flag.load(Ordering::SeqCst), &req.target)
    });
    let table = portal::table(name, &fixture, "revisit_after = \"0s\"");
    (fixture, table)
}

/// `baoluu verify` on the world's archive exits 0.
pub fn verify_clean(w: &World) {
    let out = baoluu(&w.config, &["verify"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// Runs `baoluu crawl`, asserts it exited 0, and returns its log (stderr).
pub fn crawl(w: &World) -> String {
    let out = baoluu(&w.config, &["crawl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stderr(&out)
}

/// The index lines by URL path, in file order.
pub fn index_lines(w: &World) -> Vec<Value> {
    let text = std::fs::read_to_string(w.dir.path().join("archive/index/h.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub fn lines_of<'a>(lines: &'a [Value], w: &World, n: u32) -> Vec<&'a Value> {
    let url = w.fixture.url(&path(n));
    lines.iter().filter(|l| l["url"] == url.as_str()).collect()
}

pub fn changes(w: &World) -> Vec<Value> {
    let out = baoluu(&w.config, &["changes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Articles of the outage portal ([`outage`]).
pub const OUTAGE_ARTICLES: u32 = 12;

/// A portal of [`OUTAGE_ARTICLES`] articles whose articles all answer 404 while `down` is set
/// (an outage or a redesign, issue 15 item 4: `suspect`); its home page links them all.
pub struct Outage {
    pub world: World,
    pub down: Arc<AtomicBool>,
    /// Article 12 redirects (301) to [`MOVED_TO`], whose title was edited.
    pub moved: Arc<AtomicBool>,
}

/// Where article 12 of the outage portal moves (a slug change).
pub const MOVED_TO: &str = "/thoi-su/bai-moi-120.html";

pub fn outage(ip: &str) -> Outage {
    outage_with(ip, "")
}

/// [`outage`] with `extra` keys in its `[[portal]]` table.
pub fn outage_with(ip: &str, extra: &str) -> Outage {
    let down = Arc::new(AtomicBool::new(false));
    let moved = Arc::new(AtomicBool::new(false));
    let (flag, slug) = (down.clone(), moved.clone());
    let fixture = Fixture::start(ip, move |req| {
        if slug.load(Ordering::SeqCst) {
            match req.target.as_str() {
                "/thoi-su/bai-12.html" => return Reply::new(301).header("location", MOVED_TO),
                MOVED_TO => {
                    let title = "Tin số 12: Hậu Giang tổng kết năm 2022 (cập nhật)";
                    return Reply::html(article(title, SECOND, 7, "1"));
                }
                _ => {}
            }
        }
        let n: Option<u32> = req
            .target
            .strip_prefix("/thoi-su/bai-")
            .and_then(|r| r.strip_suffix(".html"))
            .and_then(|r| r.parse().ok());
        match (req.target.as_str(), n) {
            ("/", _) => {
                let links: String = (1..=OUTAGE_ARTICLES)
                    .map(|n| format!(r#"<li><a href="{}">Tin {n}</a></li>"#, path(n)))
                    .collect();
                Reply::html(format!(
                    r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>Báo Hậu Giang</title></head><body><ul>{links}</ul></body></html>"#
                ))
            }
            (_, Some(_)) if flag.load(Ordering::SeqCst) => Reply::not_found(),
            (_, Some(n)) if n <= OUTAGE_ARTICLES => Reply::html(article(
                &format!("Tin số {n}: Hậu Giang tổng kết năm 2022"),
                SECOND,
                7,
                "1",
            )),
            _ => Reply::not_found(),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let table = portal::table("h", &fixture, &format!("revisit_after = \"0s\"\n{extra}"));
    let body = format!(
        "[crawler]\nuser_agent = \"{UA}\"\narchive_dir = \"archive\"\nmin_free_space = \"1MB\"\n\
         min_delay = \"5ms\"\ndelay_factor = 0.0\nretries = 0\n{table}"
    );
    let config = write_config(dir.path(), &body);
    let world = World {
        fixture,
        edited: Arc::new(AtomicBool::new(false)),
        dir,
        config,
    };
    Outage { world, down, moved }
}

/// `baoluu status --json`'s problems for portal `h`.
pub fn problems(w: &World) -> Vec<Value> {
    let out = baoluu(&w.config, &["status", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    doc["portals"][0]["health"]["problems"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}
