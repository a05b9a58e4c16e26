//! The synthetic portal: what one host serves, generated on demand from its path.
//!
//! Each host is a provincial news portal with four sections. The home page lists the newest 20
//! articles; each section is a pagination chain (`/thoi-su.html`, `/thoi-su/trang-2.html`, …) of
//! 20 items with a "Xem thêm" link to the next page; articles (~40 KB, NFC Vietnamese) carry a
//! title, a date line, a lead, ~28 body paragraphs, three figures and six related links to other
//! articles of the same host. Images and the stylesheet live on a "CDN" address nobody serves
//! (`127.0.0.250:9`), as on the real portals, so every tool fetches the same set of HTML pages.
//! Text comes from a pool of paragraphs built once, so a page costs a few kilobyte copies and the
//! server is never the bottleneck.

use std::fmt::Write as _;

use unicode_normalization::UnicodeNormalization;

/// Sections, each its own pagination chain.
pub const SECTIONS: [(&str, &str); 4] = [
    ("thoi-su", "Thời sự"),
    ("kinh-te", "Kinh tế"),
    ("xa-hoi", "Xã hội"),
    ("van-hoa", "Văn hóa"),
];
/// Items per listing page.
pub const PER_PAGE: u32 = 20;
/// Paragraphs in an article body.
const BODY_PARAGRAPHS: u32 = 28;
/// Paragraphs in the pool articles draw from.
const POOL: usize = 512;
/// Where images and the stylesheet live: a loopback address with nothing listening.
pub const CDN: &str = "http://127.0.0.250:9";

const WORDS: &[&str] = &[
    "tỉnh",
    "thành phố",
    "nhân dân",
    "cán bộ",
    "Đảng bộ",
    "phát triển",
    "kinh tế",
    "xã hội",
    "nông nghiệp",
    "lúa gạo",
    "thủy sản",
    "đồng bằng",
    "sông Hậu",
    "Cần Thơ",
    "Hậu Giang",
    "Sóc Trăng",
    "Cà Mau",
    "Bạc Liêu",
    "huyện",
    "xã",
    "ấp",
    "người dân",
    "doanh nghiệp",
    "đầu tư",
    "hạ tầng",
    "giao thông",
    "cầu",
    "đường",
    "trường học",
    "bệnh viện",
    "y tế",
    "giáo dục",
    "văn hóa",
    "du lịch",
    "mùa nước nổi",
    "hợp tác xã",
    "nông dân",
    "sản lượng",
    "tăng trưởng",
    "kế hoạch",
    "năm 2025",
    "quý III",
    "Ủy ban",
    "Hội đồng",
    "lãnh đạo",
    "chỉ đạo",
    "triển khai",
    "hoàn thành",
    "khánh thành",
    "thông xe",
    "tổng kết",
    "hội nghị",
    "đánh giá",
    "kết quả",
    "quan trọng",
    "tích cực",
    "bền vững",
    "chuyển đổi số",
    "công nghệ",
    "thị trường",
    "xuất khẩu",
    "giá trị",
    "tỷ đồng",
    "hộ nghèo",
    "an sinh",
    "môi trường",
    "biến đổi khí hậu",
    "sạt lở",
    "mặn xâm nhập",
    "thủy lợi",
    "kênh",
    "rạch",
    "vườn cây ăn trái",
    "xoài",
    "sầu riêng",
    "khóm",
    "tôm",
    "cá tra",
    "lễ hội",
    "đình",
    "chùa",
    "Khmer",
    "đờn ca tài tử",
    "thanh niên",
    "phụ nữ",
    "cựu chiến binh",
    "công an",
    "quân đội",
    "biên phòng",
    "bảo đảm",
    "an toàn",
    "trật tự",
    "được",
    "đã",
    "đang",
    "sẽ",
    "cho biết",
    "nhấn mạnh",
    "đề nghị",
    "yêu cầu",
    "tiếp tục",
    "nâng cao",
    "chất lượng",
    "hiệu quả",
    "đời sống",
    "vật chất",
    "tinh thần",
    "ổn định",
];
const WORDS_ASCII_SLUG: &[&str] = &[
    "tinh",
    "nhan-dan",
    "phat-trien",
    "kinh-te",
    "nong-nghiep",
    "lua-gao",
    "thuy-san",
    "giao-thong",
    "cau",
    "duong",
    "truong-hoc",
    "benh-vien",
    "du-lich",
    "hop-tac-xa",
    "tang-truong",
    "khanh-thanh",
    "tong-ket",
    "hoi-nghi",
    "chuyen-doi-so",
    "xuat-khau",
    "an-sinh",
    "moi-truong",
    "thuy-loi",
    "le-hoi",
    "thanh-nien",
    "phu-nu",
];
const AUTHORS: &[&str] = &[
    "TRƯỜNG SƠN",
    "MỸ HUYỀN",
    "KHÁNH TRUNG",
    "HUỲNH LỢI",
    "P.Y",
    "THÚY LIỄU",
];

/// A small deterministic generator (splitmix64): the same site every run.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn pick<'a>(list: &[&'a str], seed: u64) -> &'a str {
    list[(mix(seed) % list.len() as u64) as usize]
}

/// A sentence of 12–24 words, capitalised, ending with a full stop.
fn sentence(seed: u64) -> String {
    let n = 12 + mix(seed) % 13;
    let words: Vec<&str> = (0..n).map(|k| pick(WORDS, seed * 131 + k)).collect();
    let text = words.join(" ");
    let mut chars = text.chars();
    let first: String = chars
        .next()
        .map(|c| c.to_uppercase().collect())
        .unwrap_or_default();
    format!("{first}{}.", chars.as_str())
}

/// What every page of every host shares, built once.
pub struct Site {
    /// Hosts' article counts (host index → articles).
    pub articles_per_host: u32,
    paragraphs: Vec<String>,
    head_extra: String,
    footer: String,
}

impl Site {
    pub fn new(articles_per_host: u32) -> Site {
        let paragraphs = (0..POOL as u64)
            .map(|p| {
                let n = 4 + mix(p) % 3;
                let s: Vec<String> = (0..n).map(|k| sentence(p * 1000 + k)).collect();
                s.join(" ").nfc().collect()
            })
            .collect();
        Site {
            articles_per_host,
            paragraphs,
            head_extra: head_extra(),
            footer: footer(),
        }
    }

    /// The reply for `path` on host `host` (1-based): (status, content type, body, kind).
    pub fn route(&self, host: u32, path: &str) -> (u16, &'static str, Vec<u8>, Served) {
        const HTML: &str = "text/html; charset=utf-8";
        if path == "/robots.txt" {
            let body = b"User-agent: *\nDisallow:\n".to_vec();
            return (200, "text/plain", body, Served::Robots);
        }
        if path == "/" {
            return (200, HTML, self.home(host).into_bytes(), Served::Listing);
        }
        if let Some(page) = self.listing_route(host, path) {
            return (200, HTML, page.into_bytes(), Served::Listing);
        }
        match article_id(path).filter(|&id| id < self.articles_per_host) {
            Some(id) if path == article_path(host, id) => (
                200,
                HTML,
                self.article(host, id).into_bytes(),
                Served::Article,
            ),
            _ => (404, HTML, b"<h1>404</h1>".to_vec(), Served::NotFound),
        }
    }

    /// The HTML pages of one host: home, section chains and articles.
    pub fn pages_per_host(&self) -> u32 {
        1 + (0..SECTIONS.len() as u32)
            .map(|s| self.section_pages(s))
            .sum::<u32>()
            + self.articles_per_host
    }

    /// Every HTML page path of a host: home, section chains, articles.
    pub fn paths(&self, host: u32) -> Vec<String> {
        let mut paths = vec!["/".to_string()];
        for (s, (slug, _)) in SECTIONS.iter().enumerate() {
            paths.push(format!("/{slug}.html"));
            for page in 2..=self.section_pages(s as u32) {
                paths.push(format!("/{slug}/trang-{page}.html"));
            }
        }
        paths.extend((0..self.articles_per_host).map(|id| article_path(host, id)));
        paths
    }

    /// Article ids of section `s`, newest first.
    fn section_ids(&self, s: u32) -> impl Iterator<Item = u32> {
        let n = SECTIONS.len() as u32;
        (0..self.articles_per_host)
            .rev()
            .filter(move |id| id % n == s)
    }

    fn section_pages(&self, s: u32) -> u32 {
        let count = self.section_ids(s).count() as u32;
        count.div_ceil(PER_PAGE).max(1)
    }

    fn listing_route(&self, host: u32, path: &str) -> Option<String> {
        let path = path.strip_prefix('/')?;
        let (slug, page) = match path.split_once("/trang-") {
            Some((slug, rest)) => (
                slug,
                rest.strip_suffix(".html")?
                    .parse::<u32>()
                    .ok()
                    .filter(|&n| n >= 2)?,
            ),
            None => (path.strip_suffix(".html")?, 1),
        };
        let s = SECTIONS.iter().position(|(name, _)| *name == slug)? as u32;
        (page <= self.section_pages(s)).then(|| self.section(host, s, page))
    }

    fn home(&self, host: u32) -> String {
        let ids: Vec<u32> = (0..self.articles_per_host)
            .rev()
            .take(PER_PAGE as usize)
            .collect();
        let mut main = String::from(r#"<div class="home-news"><h2>Tin mới nhất</h2>"#);
        for id in ids {
            main.push_str(&self.item(host, id));
        }
        main.push_str("</div>");
        self.page(host, "Trang chủ", &main)
    }

    fn section(&self, host: u32, s: u32, page: u32) -> String {
        let (slug, name) = SECTIONS[s as usize];
        let skip = ((page - 1) * PER_PAGE) as usize;
        let mut main = format!(r#"<div class="cate-news"><h1 class="title-cate">{name}</h1>"#);
        for id in self.section_ids(s).skip(skip).take(PER_PAGE as usize) {
            main.push_str(&self.item(host, id));
        }
        if page < self.section_pages(s) {
            let _ = write!(
                main,
                r#"<div class="view-more"><a href="/{slug}/trang-{}.html">Xem thêm</a></div>"#,
                page + 1
            );
        }
        main.push_str("</div>");
        self.page(host, &format!("{name} - trang {page}"), &main)
    }

    fn item(&self, host: u32, id: u32) -> String {
        let title = title(id);
        let lead = &self.paragraphs[(mix(id as u64 + 77) % POOL as u64) as usize];
        let lead: String = lead.chars().take(160).collect();
        format!(
            r#"<div class="item-news"><a class="thumb" href="{path}"><img src="{CDN}/thumb/{host}/{id}.jpg" alt="{title}"></a><h3><a href="{path}">{title}</a></h3><p class="summary">{lead}…</p></div>"#,
            path = article_path(host, id)
        )
    }

    /// An article shaped like the seed portals': title, date line, lead with dateline, body
    /// with figures and captions, byline, related "Xem thêm" block.
    pub fn article(&self, host: u32, id: u32) -> String {
        let title = title(id);
        let seed = (host as u64) << 32 | id as u64;
        let (day, month, hour) = (1 + id % 28, 1 + id % 12, 6 + id % 14);
        let mut body = String::with_capacity(30_000);
        for k in 0..BODY_PARAGRAPHS {
            if k % 9 == 4 {
                let _ = write!(
                    body,
                    r#"<figure class="image"><img src="{CDN}/anh/{host}/{id}-{k}.jpg" alt=""><figcaption>Ảnh minh họa số {k} của bài {id}. Ảnh: {a}</figcaption></figure>"#,
                    a = pick(AUTHORS, seed + k as u64)
                );
            }
            let p = &self.paragraphs[(mix(seed * 64 + k as u64) % POOL as u64) as usize];
            let _ = writeln!(body, "<p>{p}</p>");
        }
        let related: String = (1..=6u32)
            .map(|k| (id + k * 7919) % self.articles_per_host)
            .filter(|&other| other != id)
            .map(|other| {
                format!(
                    r#"<li><a href="{}">{}</a><span>06:17 17/04/2025</span></li>"#,
                    article_path(host, other),
                    crate::site::title(other)
                )
            })
            .collect();
        let lead = &self.paragraphs[(mix(id as u64 + 77) % POOL as u64) as usize];
        let (slug, section) = SECTIONS[(id % SECTIONS.len() as u32) as usize];
        let main = format!(
            r#"<div class="breadcrumb"><a href="/">Trang chủ</a> › <a href="/{slug}.html">{section}</a></div>
<article class="news-details-content"><h1 class="title-detail">{title}</h1>
<div class="date">Thứ Năm, ngày {day:02}/{month:02}/2025 | {hour:02}:31</div>
<div class="sapo">(BT{host}) - {lead}</div>
<div class="contentView">{body}<p style="text-align:right"><strong>Bài, ảnh: {author}</strong></p></div>
<div class="tags">Từ khóa: <span>{section}</span> <span>{w}</span></div>
<div class="comment">Viết bình luận mới</div>
<div class="related"><h3>Xem thêm</h3><ul>{related}</ul></div></article>"#,
            author = pick(AUTHORS, seed),
            w = pick(WORDS, seed + 5),
        );
        self.page(host, &title, &main)
    }

    fn page(&self, host: u32, title: &str, main: &str) -> String {
        let menu: String = SECTIONS
            .iter()
            .map(|(slug, name)| format!(r#"<li><a href="/{slug}.html">{name}</a></li>"#))
            .collect();
        format!(
            r#"<!DOCTYPE html><html lang="vi"><head><meta charset="utf-8"><title>{title} - Báo Thử {host}</title><meta property="og:title" content="{title}"><meta property="og:site_name" content="Báo Thử {host}"><link rel="stylesheet" href="{CDN}/static/site.css">{head}</head><body><div class="header"><a class="logo" href="/"><img src="{CDN}/static/logo.png" alt="Báo Thử"></a><ul class="menu"><li><a href="/">Trang chủ</a></li>{menu}<li class="moremenu"><a href="javascript:void(0)">Xem thêm</a></li></ul></div><div class="main">{main}</div>{footer}</body></html>"#,
            head = self.head_extra,
            footer = self.footer
        )
    }
}

/// What the server served, for its counters.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Served {
    Robots,
    Listing,
    Article,
    NotFound,
}

/// What a response was, from its path and status alone (how nginx's access log is counted):
/// the same classes [`Site::route`] returns for the paths it serves.
pub fn served_kind(path: &str, status: u16) -> Served {
    let path = path.split(['?', '#']).next().unwrap_or("/");
    match (status, path) {
        (200, "/robots.txt") => Served::Robots,
        (200, p) if article_id(p).is_some() => Served::Article,
        (200, _) => Served::Listing,
        _ => Served::NotFound,
    }
}

pub fn title(id: u32) -> String {
    let words: Vec<&str> = (0..8).map(|k| pick(WORDS, id as u64 * 17 + k)).collect();
    let t = format!("Tin {id}: {}", words.join(" "));
    t.nfc().collect()
}

pub fn article_path(host: u32, id: u32) -> String {
    let (section, _) = SECTIONS[(id % SECTIONS.len() as u32) as usize];
    let slug: Vec<&str> = (0..5)
        .map(|k| pick(WORDS_ASCII_SLUG, (host as u64) << 40 | (id as u64) << 8 | k))
        .collect();
    format!("/{section}/{}-a{id}.html", slug.join("-"))
}

fn article_id(path: &str) -> Option<u32> {
    let stem = path.strip_suffix(".html")?;
    let (_, id) = stem.rsplit_once("-a")?;
    id.parse().ok()
}

/// The scripts and meta tags a real portal's `<head>` carries (~2 KB).
fn head_extra() -> String {
    let mut s = String::from(
        r#"<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="keywords" content="tin tức, thời sự, kinh tế, xã hội, văn hóa"><script>"#,
    );
    for k in 0..24 {
        let _ = write!(
            s,
            "window.dataLayer=window.dataLayer||[];function gtag{k}(){{dataLayer.push(arguments)}};"
        );
    }
    s.push_str("</script>");
    s
}

/// A footer with the editorial office's details (~2 KB).
fn footer() -> String {
    let mut s = String::from(r#"<div class="footer"><p>THÔNG TIN CẦN BIẾT</p><ul>"#);
    for k in 0..12 {
        let _ = write!(
            s,
            "<li>Đường dây nóng số {k}: 0292 3821 {k:03} — Phòng Bạn đọc, Ban Biên tập</li>"
        );
    }
    s.push_str("</ul><p>Giấy phép số 123/GP-BTTTT. Tổng Biên tập: Nguyễn Văn Thử. Ghi rõ nguồn khi phát hành lại thông tin từ website này.</p></div>");
    s.nfc().collect()
}
