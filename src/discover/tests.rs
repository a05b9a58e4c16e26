//! Tests for `discover`: synthetic pages for each form of "Xem thêm", then the real pages in
//! `../shared/pages` (skipped with a message when that folder is absent).

use super::*;

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn page(body: &str) -> Page {
    discover(body, &url("https://baocantho.com.vn/kinh-te/"))
}

/// The relation of `target` among the page's links, if present.
fn relation_of(page: &Page, target: &str) -> Option<Relation> {
    page.links
        .iter()
        .find(|l| l.url.as_str() == target)
        .map(|l| l.relation)
}

fn urls(page: &Page) -> Vec<&str> {
    page.links.iter().map(|l| l.url.as_str()).collect()
}

#[test]
fn form1_plain_link_labelled_xem_them_is_more() {
    let p = page(
        r#"<a href="/kinh-te/trang2.html">Xem thêm</a>
           <a href="/a">Xem tiếp »</a> <a href="/b">  TRANG SAU  </a> <a href="/c">»</a>
           <a href="/d">Next</a> <a href="/e" title="Trang sau"><i class="icon"></i></a>
           <a href="/f">Sau cơn mưa trời lại sáng</a>"#,
    );
    for target in ["/kinh-te/trang2.html", "/a", "/b", "/c", "/d", "/e"] {
        let full = format!("https://baocantho.com.vn{target}");
        assert_eq!(relation_of(&p, &full), Some(Relation::More), "{target}");
    }
    assert_eq!(
        relation_of(&p, "https://baocantho.com.vn/f"),
        Some(Relation::Plain)
    );
}

#[test]
fn form2_load_more_button_with_href_is_more() {
    let p = page(
        r#"<div class="view-more tc"><a class="btn-show-news" href="/tin-moi/trang-2.html"><i></i></a></div>
           <p class="btnMore"><a href="/series/x.html">Đọc</a></p>
           <a class="btn-show-news" href="javascript:void(0)">Xem thêm</a>"#,
    );
    assert_eq!(
        urls(&p),
        [
            "https://baocantho.com.vn/tin-moi/trang-2.html",
            "https://baocantho.com.vn/series/x.html"
        ]
    );
    assert!(p.links.iter().all(|l| l.relation == Relation::More));
}

#[test]
fn form3_links_in_hidden_blocks_are_collected_as_plain() {
    let p = page(
        r#"<button class="btn-an">Xem thêm</button>
           <div class="an" style="display:none"><a href="/bai-a1.html">Bài một</a></div>
           <div style="display: none"><a href="/bai-a2.html">Bài hai</a></div>"#,
    );
    assert_eq!(
        p.links,
        [
            Link {
                url: url("https://baocantho.com.vn/bai-a1.html"),
                relation: Relation::Plain
            },
            Link {
                url: url("https://baocantho.com.vn/bai-a2.html"),
                relation: Relation::Plain
            },
        ]
    );
}

#[test]
fn form4_menu_expander_links_are_ignored() {
    let p = page(
        r##"<ul class="menu"><li><a href="/thoi-su/">Thời sự</a></li>
           <li class="moremenu"><a href="#">Xem thêm</a>
             <ul><li><a href="/the-thao/">Thể thao</a></li></ul></li></ul>"##,
    );
    assert_eq!(urls(&p), ["https://baocantho.com.vn/thoi-su/"]);
}

#[test]
fn form5_related_block_titled_xem_them_gives_plain_links() {
    let p = page(
        r#"<article><div class="contentView"><p>Nội dung</p></div>
           <div class="related"><h3>Xem thêm</h3><ul>
           <li><span>07:31 05/01/2023</span><a href="/thoi-su/bai-142279.html">Bài liên quan</a></li>
           <li><a href="/thoi-su/bai-142280.html">Bài khác</a></li></ul></div></article>"#,
    );
    assert_eq!(
        p.links
            .iter()
            .map(|l| (l.url.path(), l.relation))
            .collect::<Vec<_>>(),
        [
            ("/thoi-su/bai-142279.html", Relation::Plain),
            ("/thoi-su/bai-142280.html", Relation::Plain)
        ]
    );
}

#[test]
fn rel_next_and_pagination_containers_are_more() {
    let p = page(
        r#"<html><head><link rel="next" href="?p=2"><link rel="stylesheet" href="/s.css">
           <link rel="alternate" type="application/rss+xml" href="/rss/cate/kinh-te/"></head>
           <body><a rel="nofollow next" href="/kinh-te/tiep">x</a>
           <ul class="pagination"><li><a href="/kinh-te/?p=1">1</a></li><li><a href="/kinh-te/last">Cuối</a></li></ul>
           <div class="paging"><a href="/kinh-te/p9">9</a></div>
           <a rel="nofollow" href="/quang-cao">Quảng cáo</a></body></html>"#,
    );
    assert_eq!(
        p.links
            .iter()
            .map(|l| (l.url.as_str(), l.relation))
            .collect::<Vec<_>>(),
        [
            ("https://baocantho.com.vn/kinh-te/?p=2", Relation::More),
            ("https://baocantho.com.vn/kinh-te/tiep", Relation::More),
            ("https://baocantho.com.vn/kinh-te/?p=1", Relation::More),
            ("https://baocantho.com.vn/kinh-te/last", Relation::More),
            ("https://baocantho.com.vn/kinh-te/p9", Relation::More),
            // nofollow is followed (archives follow it; see the module doc).
            ("https://baocantho.com.vn/quang-cao", Relation::Plain),
        ]
    );
}

#[test]
fn pagination_url_syntaxes_are_more() {
    let p = page(
        r#"<a href="/thoi-su/?p=3">3</a> <a href="/xe?page=12&sort=new">12</a>
           <a href="/kinh-doanh/trang2.html">2</a> <a href="/tin-moi/trang-3.html">3</a>
           <a href="/tin-moi/trang-4.htm">4</a> <a href="/blog/page/5/">5</a>
           <a href="/thoi-su/?pp=3">x</a> <a href="/trang-chu.html">Trang chủ</a>
           <a href="/trang-10-diem.html">y</a>"#,
    );
    let more: Vec<&str> = p
        .links
        .iter()
        .filter(|l| l.relation == Relation::More)
        .map(|l| l.url.path())
        .collect();
    assert_eq!(
        more,
        [
            "/thoi-su/",
            "/xe",
            "/kinh-doanh/trang2.html",
            "/tin-moi/trang-3.html",
            "/tin-moi/trang-4.htm",
            "/blog/page/5/"
        ]
    );
    assert_eq!(p.links.len(), 9);
}

#[test]
fn base_href_to_another_host_and_path_is_honoured() {
    let html = r#"<html><head><base href="//static.example.vn/v2/"><base href="/ignored/">
        <link rel="canonical" href="bai-a9.html#x"></head>
        <body><a href="tin/bai-a1.html">a</a><a href="/goc.html">b</a>
        <a href="https://baocantho.com.vn/tuyet-doi.html">c</a></body></html>"#;
    let p = discover(html, &url("https://baocantho.com.vn/kinh-te/bai-a9.html"));
    assert_eq!(p.base.as_str(), "https://static.example.vn/v2/");
    assert_eq!(
        urls(&p),
        [
            "https://static.example.vn/v2/tin/bai-a1.html",
            "https://static.example.vn/goc.html",
            "https://baocantho.com.vn/tuyet-doi.html"
        ]
    );
    assert_eq!(
        p.canonical.as_ref().map(Url::as_str),
        Some("https://static.example.vn/v2/bai-a9.html")
    );
}

#[test]
fn unusable_base_falls_back_to_the_page_url() {
    let page_url = url("https://baocantho.com.vn/kinh-te/");
    for base in [r#"<base target="_blank">"#, r#"<base href="javascript:x">"#] {
        let p = discover(&format!("{base}<a href='a.html'>a</a>"), &page_url);
        assert_eq!(p.base, page_url);
        assert_eq!(urls(&p), ["https://baocantho.com.vn/kinh-te/a.html"]);
    }
}

#[test]
fn raw_spaces_and_diacritics_in_hrefs_are_percent_encoded() {
    let p = discover(
        r#"<a href="/tim-kiem/Phó Thủ tướng.html">tìm</a><a href=" /series/dhdcd 2025.html ">s</a>"#,
        &url("https://znews.vn/"),
    );
    assert_eq!(
        urls(&p),
        [
            "https://znews.vn/tim-kiem/Ph%C3%B3%20Th%E1%BB%A7%20t%C6%B0%E1%BB%9Bng.html",
            "https://znews.vn/series/dhdcd%202025.html"
        ]
    );
}

#[test]
fn nfd_labels_match_after_normalisation() {
    // "Xem thêm" with the circumflex and "Xem tiếp" with both marks as combining characters.
    let p = page("<a href='/a'>Xem the\u{0302}m</a><a href='/b'>XEM TIE\u{0302}\u{0301}P</a>");
    assert!(p.links.iter().all(|l| l.relation == Relation::More));
    assert_eq!(p.links.len(), 2);
}

#[test]
fn fragments_and_non_http_links_are_dropped() {
    let p = page(
        r##"<a href="#top">top</a><a href="javascript:void(0)">js</a><a href="mailto:a@b.vn">m</a>
            <a href="tel:0292">t</a><a href="">e</a><a>no href</a>
            <a href="/bai-a1.html#binh-luan">a</a><a href="/bai-a1.html?utm_source=zalo">b</a>"##,
    );
    assert_eq!(urls(&p), ["https://baocantho.com.vn/bai-a1.html"]);
}

#[test]
fn duplicates_keep_first_position_and_more_wins() {
    let p = page(
        r#"<a href="/x">Tin</a><a href="/y">Tin</a><a href="/x#again">Xem thêm</a>
           <area href="/z" shape="rect"><a href="/y">Tin</a>"#,
    );
    assert_eq!(
        p.links
            .iter()
            .map(|l| (l.url.path(), l.relation))
            .collect::<Vec<_>>(),
        [
            ("/x", Relation::More),
            ("/y", Relation::Plain),
            ("/z", Relation::Plain)
        ]
    );
}

#[test]
fn links_per_page_are_capped() {
    let html: String = (0..MAX_LINKS + 50)
        .map(|i| format!("<a href='/bai-{i}.html'>b</a>"))
        .collect::<String>()
        + "<a href='/bai-0.html'>Xem thêm</a>";
    let p = page(&html);
    assert_eq!(p.links.len(), MAX_LINKS);
    assert_eq!(p.links[0].relation, Relation::More);
}

/// A real page from `../shared/pages`, or `None` (with a message) when the folder is absent.
fn real_page(name: &str) -> Option<String> {
    let path =
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/pages")).join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(err) => {
            eprintln!("skipped: real page {} unavailable ({err})", path.display());
            None
        }
    }
}

#[test]
fn real_vtcnews_latest_finds_load_more_page_2() {
    let Some(html) = real_page("vtcnews-latest.html") else {
        return;
    };
    let p = discover(&html, &url("https://vtcnews.vn/tin-moi-hom-nay.html"));
    assert_eq!(
        relation_of(&p, "https://vtcnews.vn/tin-moi-hom-nay/trang-2.html"),
        Some(Relation::More)
    );
    assert_eq!(
        p.canonical.as_ref().map(Url::as_str),
        Some("https://vtcnews.vn/tin-moi-hom-nay.html")
    );
}

#[test]
fn real_znews_category_finds_page_2_and_encodes_spaces() {
    let Some(html) = real_page("znews-category-kinh-doanh.html") else {
        return;
    };
    let p = discover(&html, &url("https://znews.vn/kinh-doanh-tai-chinh.html"));
    assert_eq!(
        relation_of(&p, "https://znews.vn/kinh-doanh-tai-chinh/trang2.html"),
        Some(Relation::More)
    );
    assert!(relation_of(&p, "https://znews.vn/series/dhdcd%202025.html").is_some());
    assert!(
        relation_of(
            &p,
            "https://znews.vn/tieu-diem/thue%20quan%20ong%20trump.html"
        )
        .is_some()
    );
    assert!(p.links.iter().all(|l| !l.url.as_str().contains(' ')));
}

#[test]
fn real_laodong_category_finds_next_page() {
    let Some(html) = real_page("laodong-category-xe.html") else {
        return;
    };
    let p = discover(&html, &url("https://laodong.vn/xe"));
    assert_eq!(
        relation_of(&p, "https://laodong.vn/xe?page=2"),
        Some(Relation::More)
    );
    assert_eq!(
        p.canonical.as_ref().map(Url::as_str),
        Some("https://laodong.vn/xe")
    );
}

#[test]
fn real_articles_yield_many_links() {
    for (name, page_url) in [
        (
            "vtcnews-article.html",
            "https://vtcnews.vn/mo-rong-duong-hon-2-000-ty-dong-giai-cuu-ket-xe-o-cua-ngo-phia-dong-tp-hcm-ar994669.html",
        ),
        (
            "baolaocai-article.html",
            "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html",
        ),
        (
            "znews-article.html",
            "https://znews.vn/gia-vang-the-gioi-cao-nhat-moi-thoi-dai-post1613516.html",
        ),
    ] {
        let Some(html) = real_page(name) else {
            continue;
        };
        let p = discover(&html, &url(page_url));
        assert!(p.links.len() > 20, "{name}: {} links", p.links.len());
        assert!(p.canonical.is_some(), "{name}: no canonical");
    }
}

/// Not a test: `cargo test --lib discover::tests::measure -- --ignored --nocapture`.
#[test]
#[ignore = "micro-measure, run by hand"]
fn measure_znews_home() {
    let Some(html) = real_page("znews-home.html") else {
        return;
    };
    let page_url = url("https://znews.vn/");
    let runs = 10;
    let start = std::time::Instant::now();
    let mut links = 0;
    for _ in 0..runs {
        links = discover(&html, &page_url).links.len();
    }
    let each = start.elapsed() / runs;
    eprintln!(
        "discover(znews-home.html, {} bytes): {each:?} per call, {links} links",
        html.len()
    );
}

#[test]
fn chain_positions_name_the_chain_and_the_page() {
    let at = |u: &str| chain_position(&Url::parse(u).unwrap());
    assert_eq!(
        at("https://a.vn/thoi-su/?p=7"),
        Some(("https://a.vn/thoi-su/?p={n}".to_string(), 7))
    );
    assert_eq!(
        at("https://a.vn/tin-moi/trang-12.html"),
        Some(("https://a.vn/tin-moi/trang-{n}.html".to_string(), 12))
    );
    assert_eq!(
        at("https://a.vn/x.html?cat=2&page=3"),
        Some(("https://a.vn/x.html?cat=2&page={n}".to_string(), 3))
    );
    assert_eq!(at("https://a.vn/thoi-su/"), None);
    assert_eq!(at("https://a.vn/tin-a123.html"), None);
}
