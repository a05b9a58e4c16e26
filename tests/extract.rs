//! The extract stage end to end: the seed article as a fixture page, and real pages from
//! `../shared/pages/` (skipped with a message when that folder is absent; never copied here).

mod support;

use std::path::PathBuf;
use std::time::Instant;

use baoluu::config::Selectors;
use baoluu::extract::dates::{parse_visible, to_rfc3339};
use baoluu::extract::{Article, extract, extract_payload};
use encoding_rs::WINDOWS_1258;
use support::fixture::gzip;
use unicode_normalization::UnicodeNormalization;
use url::Url;

const FIXTURE: &str = include_str!("fixtures/haugiang-article.html");
const FIXTURE_URL: &str = "https://baohaugiang.com.vn/xay-dung-dang/cong-tac-to-chuc-xay-dung-dang-dat-nhieu-ket-qua-quan-trong-121360.html";
const MAX_DECODED: usize = 20 << 20;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn fixture_article(selectors: Option<&Selectors>) -> Article {
    extract(FIXTURE, &url(FIXTURE_URL), selectors)
}

/// Asserts the fields every extraction of the seed fixture must get right.
fn assert_seed_fields(a: &Article) {
    assert_eq!(
        a.title,
        "Công tác tổ chức xây dựng Đảng đạt nhiều kết quả quan trọng"
    );
    assert_eq!(a.published.as_deref(), Some("2023-01-05T07:31:00+07:00"));
    assert_eq!(a.authors, ["TRƯỜNG SƠN"]);
    assert_eq!(a.cited_source, None);
    let lead = a.lead.as_deref().unwrap();
    assert!(
        lead.starts_with("Năm 2022, công tác tổ chức xây dựng Đảng"),
        "{lead}"
    );
    assert!(
        a.text
            .starts_with("Ông Nguyễn Thiện Nhơn, Ủy viên Ban Thường vụ"),
        "{}",
        &a.text[..80]
    );
    assert!(
        a.text
            .ends_with("quan tâm thực hiện tốt công tác kết nạp đảng viên…"),
        "{}",
        a.text
    );
    assert_eq!(
        a.text.split("\n\n").count(),
        15,
        "one blank line between the 15 body paragraphs"
    );
    for absent in [
        "Hội nghị tổng kết công tác tổ chức xây dựng Đảng năm 2022.",
        "phát biểu tại hội nghị. Ảnh: TRƯỜNG SƠN",
        "Bài, ảnh:",
        "TRƯỜNG SƠN",
        "Viết bình luận mới",
        "Xem thêm",
        "Những công trình ý nghĩa hướng về đại hội",
        "Quý I, kết nạp được 289 đảng viên",
        "06:17 17/04/2025",
        "THÔNG TIN CẦN BIẾT",
        "Nhiều mây, có mưa",
        "Kỷ niệm 120 năm thành lập làng Vĩnh Viễn",
        "Thông tin quảng cáo",
        "Đoạn ẩn",
        "Chia sẻ",
        "Cỡ chữ",
        "Thứ Năm, ngày 05/01/2023",
        "Năm 2022, công tác tổ chức",
    ] {
        assert!(!a.text.contains(absent), "body must not contain {absent:?}");
    }
}

#[test]
fn seed_fixture_field_by_field() {
    let a = fixture_article(None);
    assert_seed_fields(&a);
    assert_eq!(
        a.canonical_url.as_deref(),
        Some(
            "https://baohaugiang.com.vn/xay-dung-dang/cong-tac-to-chuc-xay-dung-dang-dat-nhieu-ket-qua-quan-trong-121360.html"
        )
    );
    assert_eq!(a.section.as_deref(), Some("Xây dựng Đảng"));
    assert_eq!(a.tags, ["xây dựng Đảng", "công tác tổ chức", "Hậu Giang"]);
    assert_eq!(a.modified, None);
    assert_eq!(a.language, "vi");
    assert!(!a.noarchive);
    assert_eq!(a.flags, ["generic-extractor"]);
    let images: Vec<(&str, Option<&str>)> = a
        .images
        .iter()
        .map(|i| (i.url.as_str(), i.caption.as_deref()))
        .collect();
    assert_eq!(
        images,
        [
            (
                "https://baohaugiang.com.vn/uploads/news/2023_01/hoi-nghi-to-chuc.jpg",
                Some("Hội nghị tổng kết công tác tổ chức xây dựng Đảng năm 2022.")
            ),
            (
                "https://baohaugiang.com.vn/uploads/news/2023_01/ngay-bay.jpg",
                Some(
                    "Ông Nguyễn Huỳnh Đức, Bí thư Thành ủy Ngã Bảy, phát biểu tại hội nghị. Ảnh: TRƯỜNG SƠN"
                )
            ),
        ]
    );
}

#[test]
fn seed_fixture_with_configured_selectors() {
    // A coarse body selector: the markers ("Viết bình luận mới", "Xem thêm") and `remove` must
    // keep the body clean.
    let selectors = Selectors {
        title: Some("div.news-details-content h1".into()),
        body: Some("div.news-details-content".into()),
        published: Some("div.date".into()),
        remove: vec!["div.date".into(), "div.sapo".into()],
        ..Selectors::default()
    };
    let a = fixture_article(Some(&selectors));
    assert_seed_fields(&a);
    assert!(a.flags.is_empty(), "{:?}", a.flags);
    assert_eq!(a.images.len(), 2);
}

#[test]
fn selectors_that_stop_matching_fall_back_to_the_generic_extractor() {
    let selectors = Selectors {
        title: Some("h1.view-page-Tit".into()),
        body: Some("div.divDetail.newscontent".into()),
        ..Selectors::default()
    };
    let a = fixture_article(Some(&selectors));
    assert_seed_fields(&a);
    assert_eq!(a.flags, ["generic-extractor"]);
    // A selector that does not even parse is a miss, not a panic.
    let broken = Selectors {
        body: Some("div[[".into()),
        ..Selectors::default()
    };
    assert_eq!(fixture_article(Some(&broken)).flags, ["generic-extractor"]);
    // The body selector still matches but the title one missed: still flagged.
    let title_missed = Selectors {
        title: Some("h1.view-page-Tit".into()),
        body: Some("div.contentView".into()),
        ..Selectors::default()
    };
    let a = fixture_article(Some(&title_missed));
    assert_seed_fields(&a);
    assert_eq!(a.flags, ["generic-extractor"]);
}

/// Spells Vietnamese as windows-1258 does: letters with circumflex, breve or horn precomposed,
/// tone marks as combining characters (encoding_rs does not decompose by itself).
fn to_windows_1258(text: &str) -> Vec<u8> {
    const TONES: &[char] = &['\u{300}', '\u{301}', '\u{303}', '\u{309}', '\u{323}'];
    let mut spelled = String::new();
    for c in text.chars() {
        let decomposed: String = c.to_string().nfd().collect();
        spelled.extend(
            decomposed
                .chars()
                .filter(|d| !TONES.contains(d))
                .collect::<String>()
                .nfc(),
        );
        spelled.extend(decomposed.chars().filter(|d| TONES.contains(d)));
    }
    let (bytes, _, unmappable) = WINDOWS_1258.encode(&spelled);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn seed_fixture_as_windows_1258_gzip_and_nfd() {
    let plain = fixture_article(None);
    let cp1258 = to_windows_1258(FIXTURE);
    let page_url = url(FIXTURE_URL);

    let declared = extract_payload(
        &gzip(&cp1258),
        Some("text/html; charset=windows-1258"),
        Some("gzip"),
        &page_url,
        None,
        MAX_DECODED,
    )
    .unwrap();
    assert_eq!(declared, plain);

    // The fixture's own <meta charset="utf-8"> now lies: sniffed, and flagged.
    let lying = extract_payload(
        &cp1258,
        Some("text/html"),
        None,
        &page_url,
        None,
        MAX_DECODED,
    )
    .unwrap();
    assert_eq!(lying.flags, ["generic-extractor", "encoding-suspect"]);
    assert_eq!(
        Article {
            flags: plain.flags.clone(),
            ..lying
        },
        plain
    );

    let nfd: String = FIXTURE.nfd().collect();
    assert_ne!(nfd, FIXTURE);
    assert_eq!(extract(&nfd, &page_url, None), plain);
}

#[test]
fn a_decoding_cap_flags_truncation() {
    let a = extract_payload(
        &gzip(FIXTURE.as_bytes()),
        Some("text/html"),
        Some("gzip"),
        &url(FIXTURE_URL),
        None,
        6000,
    )
    .unwrap();
    assert!(a.flags.contains(&"truncated".to_string()), "{:?}", a.flags);
    assert_eq!(
        a.title,
        "Công tác tổ chức xây dựng Đảng đạt nhiều kết quả quan trọng"
    );
}

// ---- real pages ------------------------------------------------------------------------

fn pages_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/pages"))
}

/// The page's bytes, or `None` (with a message) when the shared pages are not here.
fn real_page(file: &str) -> Option<Vec<u8>> {
    let path = pages_dir().join(file);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(_) => {
            eprintln!(
                "skipped: {} is absent (real pages live outside the repository)",
                path.display()
            );
            None
        }
    }
}

struct Expected {
    file: &'static str,
    url: &'static str,
    title: &'static str,
    published: &'static str,
    authors: &'static [&'static str],
    first: &'static str,
    last: &'static str,
}

const BAOLAOCAI: Expected = Expected {
    file: "baolaocai-article",
    url: "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html",
    title: "Sống đẹp từ những điều giản dị",
    published: "2025-06-17T13:43:02+07:00",
    authors: &["Anh Dũng"],
    first: "Từ nhiệm vụ chuyên môn quân sự đến những buổi sinh hoạt hội phụ nữ,",
    last: "còn Thiếu tá Đoàn Thị Hạnh âm thầm ở hậu phương, lặng lẽ góp sức bằng những việc làm ý nghĩa.",
};

const VTCNEWS: Expected = Expected {
    file: "vtcnews-article",
    url: "https://vtcnews.vn/mo-rong-duong-hon-2-000-ty-dong-giai-cuu-ket-xe-o-cua-ngo-phia-dong-tp-hcm-ar994669.html",
    title: "Mở rộng đường hơn 2.000 tỷ đồng 'giải cứu' kẹt xe ở cửa ngõ phía Đông TP.HCM",
    published: "2025-12-24T09:30:00+07:00",
    authors: &["Lương Ý"],
    first: "Dự án xây dựng, nâng cấp và mở rộng đường Nguyễn Thị Định (đoạn từ cầu Giồng Ông Tố đến cầu Mỹ Thủy)",
    last: "đồng thời chỉnh trang hạ tầng, cải thiện diện mạo đô thị khu Đông TP.HCM.",
};

const ZNEWS: Expected = Expected {
    file: "znews-article",
    url: "https://znews.vn/gia-vang-the-gioi-cao-nhat-moi-thoi-dai-post1613516.html",
    title: "Giá vàng thế giới cao nhất mọi thời đại",
    published: "2025-12-23T09:02:07+07:00",
    authors: &["Anh Nguyễn"],
    first: "Chốt phiên giao dịch 22/12, giá vàng thế giới giao ngay tăng mạnh 104,8 USD lên 4.442,6 USD/ounce.",
    last: "trong khi palladium tăng 2,1% lên 1.748,84 USD/ounce và cũng chạm mức cao nhất trong gần 3 năm.",
};

fn check_real(expected: &Expected) -> Option<Article> {
    let html = real_page(&format!("{}.html", expected.file))?;
    let a = extract_payload(
        &html,
        Some("text/html; charset=utf-8"),
        None,
        &url(expected.url),
        None,
        MAX_DECODED,
    )
    .unwrap();
    assert_eq!(a.title, expected.title, "{}", expected.file);
    assert_eq!(
        a.published.as_deref(),
        Some(expected.published),
        "{}",
        expected.file
    );
    assert_eq!(a.authors, expected.authors, "{}", expected.file);
    assert!(
        a.text.starts_with(expected.first),
        "{}: {}",
        expected.file,
        &a.text[..120]
    );
    assert!(
        a.text.ends_with(expected.last),
        "{}: …{}",
        expected.file,
        &a.text[a.text.len() - 200..]
    );
    assert!(
        !a.text.contains("\n\n\n"),
        "{}: one blank line between paragraphs",
        expected.file
    );
    assert!(a.lead.is_some(), "{}", expected.file);
    Some(a)
}

#[test]
fn real_baolaocai_article() {
    let Some(a) = check_real(&BAOLAOCAI) else {
        return;
    };
    assert_eq!(a.section.as_deref(), Some("Review Lào Cai"));
    assert_eq!(a.tags, ["Thiếu tá Đoàn Thị Hạnh"]);
    assert_eq!(a.modified.as_deref(), Some("2025-06-17T13:43:02+07:00"));
    assert!(a.noarchive, "the page sends robots: noarchive");
    assert!(
        a.lead
            .unwrap()
            .starts_with("Không ồn ào, không phô trương thành tích")
    );
    assert_eq!(a.text.split("\n\n").count(), 10);
}

#[test]
fn real_vtcnews_article() {
    let Some(a) = check_real(&VTCNEWS) else {
        return;
    };
    assert_eq!(a.section.as_deref(), Some("Đầu Tư"));
    assert_eq!(a.images.len(), 9);
    assert!(
        a.images
            .iter()
            .all(|i| i.url.starts_with("https://cdn-i.vtcnews.vn/") && i.caption.is_none())
    );
    assert!(!a.text.contains("Đọc thêm") && !a.text.contains("Nút giao Mỹ Thủy hơn 3.400 tỷ"));
    assert!(!a.noarchive);
}

#[test]
fn real_znews_article() {
    let Some(a) = check_real(&ZNEWS) else { return };
    assert!(a.noarchive, "znews sends robots: noarchive");
    assert_eq!(
        a.canonical_url.as_deref(),
        Some("https://znews.vn/gia-vang-the-gioi-cao-nhat-moi-thoi-dai-post1613516.html"),
        "the canonical link, not og:url"
    );
    assert_eq!(a.section.as_deref(), Some("Kinh doanh"));
    assert_eq!(a.images.len(), 1);
    let caption = a.images[0].caption.as_deref().unwrap();
    assert!(caption.ends_with("Ảnh: Reuters."), "{caption}");
    for absent in [
        "Kỷ lục mới của giá vàng",
        "Tủ sách kiến thức kinh tế",
        "Ảnh: Reuters",
        "17 giờ trước",
    ] {
        assert!(!a.text.contains(absent), "{absent}");
    }
    assert!(a.tags.contains(&"giá vàng".to_string()));
}

#[test]
fn real_vtcnews_nfd_date_line() {
    let Some(html) = real_page("vtcnews-article.html") else {
        return;
    };
    let html = String::from_utf8(html).unwrap();
    let start = html
        .find(r#"<span class="time-update mr10 align-super">"#)
        .unwrap();
    let line = &html[start..][html[start..].find('>').unwrap() + 1..];
    let line = &line[..line.find('<').unwrap()];
    assert_ne!(
        line.nfc().collect::<String>(),
        line,
        "the saved date line is decomposed (NFD)"
    );
    assert!(
        !line.contains("Thứ Tư"),
        "so a naive NFC pattern would miss it"
    );
    assert_eq!(
        to_rfc3339(&parse_visible(line).unwrap()),
        "2025-12-24T09:30:00+07:00"
    );

    // Without the structured dates the cascade reaches that visible line.
    let stripped = html
        .replace(
            r#"<meta property="article:published_time" content="2025-12-24T09:30:00">"#,
            "",
        )
        .replace(r#"itemprop="datePublished""#, "")
        .replace(r#""datePublished": "2025-12-24T09:30:00+07:00","#, "");
    let a = extract(&stripped, &url(VTCNEWS.url), None);
    assert_eq!(a.published.as_deref(), Some("2025-12-24T09:30:00+07:00"));
}

#[test]
fn real_gzip_bodies_give_the_same_article() {
    for expected in [&BAOLAOCAI, &VTCNEWS] {
        let (Some(plain), Some(packed)) = (
            real_page(&format!("{}.html", expected.file)),
            real_page(&format!("{}.gzip-body.html", expected.file)),
        ) else {
            return;
        };
        let page_url = url(expected.url);
        let from_plain = extract_payload(
            &plain,
            Some("text/html; charset=utf-8"),
            None,
            &page_url,
            None,
            MAX_DECODED,
        )
        .unwrap();
        let from_gzip = extract_payload(
            &packed,
            Some("text/html; charset=utf-8"),
            Some("gzip"),
            &page_url,
            None,
            MAX_DECODED,
        )
        .unwrap();
        assert_eq!(from_gzip, from_plain, "{}", expected.file);
        assert_eq!(from_gzip.title, expected.title);
    }
}

/// Micro-measure: `extract` throughput over the real pages (run with `--ignored --nocapture`;
/// the numbers are for the build profile the test was compiled with).
#[test]
#[ignore]
fn measure_extract_throughput() {
    let articles = [
        "baolaocai-article.html",
        "vtcnews-article.html",
        "znews-article.html",
    ];
    let listings = [
        "vtcnews-home.html",
        "vtcnews-latest.html",
        "znews-home.html",
        "znews-category-kinh-doanh.html",
        "laodong-category-xe.html",
    ];
    measure("articles", &articles);
    measure("listings", &listings);
}

fn measure(label: &str, files: &[&str]) {
    let pages: Vec<String> = files
        .iter()
        .filter_map(|f| real_page(f).map(|b| String::from_utf8_lossy(&b).into_owned()))
        .collect();
    if pages.is_empty() {
        return;
    }
    let page_url = url("https://example.vn/a-1.html");
    pages
        .iter()
        .for_each(|html| drop(extract(html, &page_url, None))); // warm-up: lazy statics
    let rounds = 10;
    let started = Instant::now();
    for _ in 0..rounds {
        for html in &pages {
            std::hint::black_box(extract(html, &page_url, None));
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let bytes: usize = pages.iter().map(String::len).sum::<usize>() * rounds;
    let n = rounds * pages.len();
    println!(
        "extract {label}: {n} pages in {secs:.2}s = {:.1} pages/s, {:.1} MB/s ({} build)",
        n as f64 / secs,
        bytes as f64 / secs / 1e6,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
}
