//! A fixture news portal modelled on the seed site (baohaugiang.com.vn, as a reader sees its article pages):
//! a home page, sections with `?p=N` pagination and "Xem thêm" links, articles whose related
//! "Xem thêm" block links other articles, and the awkward parts a crawler must survive — a
//! robots.txt with a wildcard Disallow and a Crawl-delay, a 301 from an old article URL, a 429
//! with Retry-After, a 500, gzip and chunked responses, an endless pagination trap and a
//! calendar trap.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{Fixture, Reply};

/// What to vary between the hosts of one test.
#[derive(Clone)]
pub struct Spec {
    /// Article ids start here, so two hosts' articles differ.
    pub first_id: u32,
    /// robots.txt `Crawl-delay`, if any.
    pub crawl_delay: Option<&'static str>,
    /// Articles published after a first crawl (the daemon issue adds them between passes).
    pub extra_articles: Arc<AtomicUsize>,
}

impl Spec {
    pub fn new(first_id: u32, crawl_delay: Option<&'static str>) -> Spec {
        Spec {
            first_id,
            crawl_delay,
            extra_articles: Arc::new(AtomicUsize::new(0)),
        }
    }
}

/// The paths every article of a portal built from `spec` lives at, whether or not it is linked
/// from a listing (related-block-only and redirect targets included); not the 500 article.
pub fn reachable_articles(spec: &Spec) -> Vec<String> {
    let mut paths: Vec<String> = (0..14).map(|n| article_path(spec.first_id + n)).collect();
    paths.retain(|p| !p.contains("bai-cu-"));
    paths.push(format!("/thoi-su/bai-moi-{}.html", spec.first_id + 12));
    paths
}

/// The stylesheet every page links (a page requisite, issue 6).
pub const STYLESHEET: &str = "body { font-family: serif; }\n.sapo { font-weight: bold; }\n";

/// The bytes served for an article image path: a tiny JPEG-ish payload unique to the path.
pub fn image_bytes(path: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend_from_slice(path.as_bytes());
    bytes.extend_from_slice(&[0xFF, 0xD9]);
    bytes
}

/// The image path of article `id` (its only body image).
pub fn image_path(id: u32) -> String {
    format!("/anh/{id}.jpg")
}

/// Paths the crawler must never request: robots-disallowed (plain and wildcard rules).
pub fn forbidden_paths(spec: &Spec) -> Vec<String> {
    vec![
        format!("/thoi-su/bi-mat-{}.html", spec.first_id + 90),
        "/private/ho-so-1.html".to_string(),
    ]
}

pub fn article_path(id: u32) -> String {
    match id % 100 {
        12 => format!("/thoi-su/bai-cu-{id}.html"),
        _ => format!("/thoi-su/tin-so-{id}.html"),
    }
}

/// Serves the portal on `ip`.
pub fn serve(ip: &str, spec: Spec) -> Fixture {
    let throttled = Arc::new(AtomicUsize::new(0));
    Fixture::start(ip, move |req| route(&spec, &throttled, req))
}

/// The article that sends an ETag and answers a matching `If-None-Match` with 304.
pub fn etag_article(spec: &Spec) -> String {
    article_path(spec.first_id + 1)
}

const ETAG: &str = "\"v1\"";

fn route(spec: &Spec, throttled: &AtomicUsize, req: &super::Logged) -> Reply {
    let target = req.target.as_str();
    let id0 = spec.first_id;
    if target == etag_article(spec) {
        if req.header("if-none-match") == Some(ETAG) {
            return Reply::new(304).header("etag", ETAG);
        }
        return Reply::html(article(spec, id0 + 1)).header("etag", ETAG);
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let page: u32 = query
        .strip_prefix("p=")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1);
    match path {
        "/robots.txt" => robots(spec),
        "/static/site.css" => Reply::new(200)
            .header("content-type", "text/css")
            .body(STYLESHEET),
        p if p.starts_with("/anh/") && p.ends_with(".jpg") => Reply::new(200)
            .header("content-type", "image/jpeg")
            .body(image_bytes(p)),
        "/" => Reply::html(home(spec)),
        "/thoi-su-215.html" if page <= 3 => Reply::html(section(spec, page)),
        "/kinh-te-216.html" => Reply::html(listing("Kinh tế", &[id0 + 8, id0 + 9, id0 + 10], None)),
        // Endless pagination: every page links the next and lists only known articles.
        "/trap-217.html" => Reply::html(listing(
            "Bẫy",
            &[id0, id0 + 1],
            Some(format!("/trap-217.html?p={}", page + 1)),
        )),
        // A calendar: every day links the day before, forever.
        "/lich-su-kien.html" => Reply::html(calendar(query)),
        p if p == format!("/thoi-su/bai-cu-{}.html", id0 + 12) => {
            Reply::redirect(301, &format!("/thoi-su/bai-moi-{}.html", id0 + 12))
        }
        p if p == format!("/thoi-su/loi-{}.html", id0 + 14) => Reply::new(500).body("lỗi máy chủ"),
        p if p == format!("/thoi-su/tin-so-{}.html", id0 + 13)
            && throttled.fetch_add(1, Ordering::SeqCst) == 0 =>
        {
            Reply::new(429).header("retry-after", "1").body("chậm lại")
        }
        p => article_reply(spec, p),
    }
}

fn robots(spec: &Spec) -> Reply {
    let delay = spec
        .crawl_delay
        .map(|d| format!("Crawl-delay: {d}\n"))
        .unwrap_or_default();
    let body = format!("User-agent: *\nDisallow: /private/\nDisallow: /*/bi-mat-\n{delay}");
    Reply::new(200)
        .header("content-type", "text/plain; charset=utf-8")
        .body(body)
}

fn article_reply(spec: &Spec, path: &str) -> Reply {
    let id = path
        .strip_prefix("/thoi-su/")
        .and_then(|rest| rest.strip_suffix(".html"))
        .and_then(|slug| slug.rsplit('-').next())
        .and_then(|id| id.parse::<u32>().ok());
    match id {
        Some(id) if id >= spec.first_id && id < spec.first_id + 100 => {
            let html = article(spec, id);
            match id - spec.first_id {
                9 => Reply::gzip_html(&html),
                10 => Reply::html(html).chunked(512),
                _ => Reply::html(html),
            }
        }
        _ => Reply::not_found(),
    }
}

const NAV: &str = r#"<ul class="menu"><li><a href="/">Trang chủ</a></li><li><a href="/thoi-su-215.html">Thời sự</a></li><li><a href="/kinh-te-216.html">Kinh tế</a></li><li class="moremenu"><a href="javascript:void(0)">Xem thêm</a></li></ul>"#;

fn page(title: &str, main: &str) -> String {
    format!(
        r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title} - Báo Hậu Giang</title><link rel="stylesheet" href="/static/site.css"></head><body>{NAV}<div class="main">{main}</div><div class="footer"><p>THÔNG TIN CẦN BIẾT</p><a href="http://127.0.0.99/quang-cao">Quảng cáo</a></div></body></html>"#
    )
}

fn home(spec: &Spec) -> String {
    let id0 = spec.first_id;
    let extra = spec.extra_articles.load(Ordering::SeqCst) as u32;
    let mut items = String::new();
    for id in [id0, id0 + 1]
        .into_iter()
        .chain((0..extra).map(|n| id0 + 50 + n))
    {
        items.push_str(&item(id));
    }
    let main = format!(
        r#"{items}<a href="/thoi-su/bi-mat-{secret}.html">Tin nội bộ</a> <a href="/private/ho-so-1.html">Hồ sơ</a>
<a href="/tim-kiem/Phó Thủ tướng.html">Tìm kiếm</a> <a href="/trap-217.html">Chuyên đề</a>
<a href="/lich-su-kien.html?ngay=2023-01-05">Xem theo ngày</a>
<div class="view-more"><a href="/thoi-su-215.html?p=2">Xem thêm</a></div>"#,
        secret = id0 + 90
    );
    page("Trang chủ", &main)
}

fn section(spec: &Spec, page_no: u32) -> String {
    let id0 = spec.first_id;
    let ids: Vec<u32> = match page_no {
        1 => vec![id0, id0 + 1, id0 + 2],
        2 => vec![id0 + 3, id0 + 4, id0 + 5],
        _ => vec![id0 + 6, id0 + 7],
    };
    let next = (page_no < 3).then(|| format!("/thoi-su-215.html?p={}", page_no + 1));
    listing("Thời sự", &ids, next)
}

fn listing(title: &str, ids: &[u32], next: Option<String>) -> String {
    let items: String = ids.iter().map(|&id| item(id)).collect();
    let more = next
        .map(|n| format!(r#"<p class="btnMore"><a href="{n}">Xem thêm</a></p>"#))
        .unwrap_or_default();
    page(title, &format!("<h1>{title}</h1>{items}{more}"))
}

fn item(id: u32) -> String {
    format!(
        r#"<div class="item"><a href="{}">Tin số {id}</a><p>Tóm tắt tin số {id}.</p></div>"#,
        article_path(id)
    )
}

fn calendar(query: &str) -> String {
    let day = query
        .strip_prefix("ngay=")
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let previous = day
        .and_then(|d| d.pred_opt())
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let main =
        format!(r#"<h1>Sự kiện</h1><a href="/lich-su-kien.html?ngay={previous}">Ngày trước</a>"#);
    page("Xem theo ngày", &main)
}

/// An article shaped like the seed page: title, date line, lead with dateline, body, caption,
/// byline, comments, and a "Xem thêm" related block that links other articles.
pub fn article(spec: &Spec, id: u32) -> String {
    let id0 = spec.first_id;
    let related: Vec<String> = match id - id0 {
        0 => vec![article_path(id0 + 11), article_path(id0 + 12)],
        1 => vec![article_path(id0 + 13)],
        2 => vec![format!("/thoi-su/loi-{}.html", id0 + 14)],
        _ => vec![article_path(id0)],
    };
    let related: String = related
        .iter()
        .map(|href| {
            format!(r#"<li><a href="{href}">Tin liên quan</a><span>06:17 17/04/2025</span></li>"#)
        })
        .collect();
    let main = format!(
        r#"<div class="news-details-content"><h1>Tin số {id}: công tác xây dựng Đảng</h1>
<div class="date">Thứ Năm, ngày 05/01/2023 | 07:31</div>
<div class="sapo">(HGO) - Năm 2022, tin số {id} đạt nhiều kết quả quan trọng.</div>
<div class="contentView"><p>Ông Nguyễn Thiện Nhơn cho biết tin số {id} có nội dung đầy đủ.</p>
<p style="text-align:center"><img src="/anh/{id}.jpg"></p><p style="text-align:center"><em>Hội nghị tổng kết. Ảnh: T.S</em></p>
<p>Đoạn thứ hai của tin số {id}, kết thúc bài viết.</p>
<p style="text-align:right"><strong>Bài, ảnh: TRƯỜNG SƠN</strong></p></div>
<div class="comment">Viết bình luận mới</div>
<div class="related"><h3>Xem thêm</h3><ul>{related}</ul></div></div>"#
    );
    page(&format!("Tin số {id}"), &main)
}

/// The `[[portal]]` table of a fixture portal served by `fixture`, plus `extra` key lines
/// (e.g. `max_listing_pages = 5`): one place for the patterns every end-to-end test uses.
pub fn table(name: &str, fixture: &Fixture, extra: &str) -> String {
    let host = fixture.addr().to_string();
    let re = regex::escape(&format!("http://{host}"));
    format!(
        r#"
[[portal]]
name = "{name}"
seeds = ["http://{host}/"]
hosts = ["{host}"]
article_urls = ['^{re}/thoi-su/[a-z0-9-]+-\d+\.html$']
listing_urls = ['^{re}/([a-z-]+-\d+\.html(\?p=\d+)?|lich-su-kien\.html\?ngay=[0-9-]+)?$']
{extra}
"#
    )
}

/// Two fixture portals on two loopback hosts — "a" on 127.0.0.2 (articles from id 100) and "b" on
/// 127.0.0.3 (from id 300) — and one configuration crawling both: the world of the end-to-end
/// crawl and crash tests.
pub struct TwoHosts {
    pub a: Fixture,
    pub b: Fixture,
    pub spec_a: Spec,
    pub spec_b: Spec,
    pub dir: tempfile::TempDir,
    pub config: std::path::PathBuf,
}

impl TwoHosts {
    /// `crawl_delay_a` is host a's robots.txt Crawl-delay; `crawler` holds the `[crawler]` keys
    /// beyond the user agent, the archive and a small disk guard.
    pub fn start(crawl_delay_a: Option<&'static str>, crawler: &str) -> TwoHosts {
        let spec_a = Spec::new(100, crawl_delay_a);
        let spec_b = Spec::new(300, None);
        let a = serve("127.0.0.2", spec_a.clone());
        let b = serve("127.0.0.3", spec_b.clone());
        let dir = tempfile::tempdir().unwrap();
        let chains = "max_listing_pages = 20\nstale_listing_pages = 2";
        let text = format!(
            "[crawler]\nuser_agent = \"{}\"\narchive_dir = \"archive\"\nmin_free_space = \"1MB\"\n{crawler}\n{}{}",
            super::cli::UA,
            table("a", &a, chains),
            table("b", &b, chains)
        );
        let config = super::cli::write_config(dir.path(), &text);
        TwoHosts {
            a,
            b,
            spec_a,
            spec_b,
            dir,
            config,
        }
    }

    pub fn archive(&self) -> std::path::PathBuf {
        self.dir.path().join("archive")
    }
}
