//! `alternate_feeds` on synthetic pages.

use scraper::Html;

use super::*;

fn feeds(html: &str, page: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    alternate_feeds(&doc, &Url::parse(page).unwrap())
        .iter()
        .map(Url::to_string)
        .collect()
}

#[test]
fn rss_and_atom_links_anywhere_in_document_order() {
    let html = r#"<html><head>
      <link rel="alternate" type="application/rss+xml" title="Tin mới" href="/rss/home.rss">
      <link rel="alternate" hreflang="en" href="/en/">
      <link rel="stylesheet" type="text/css" href="/s.css">
    </head></html><head>
      <link rel="Alternate Feed" type="Application/Atom+XML; charset=utf-8" href="atom.xml#top">
      <link rel="alternate" type="application/feed+json" href="/feed.json">
      <link rel="alternate" type="application/rss+xml" href="/rss/home.rss">
      <link rel="alternate" type="application/rss+xml" href="javascript:void(0)">
      <link rel="alternate" type="application/rss+xml" href="https://cdn.other.vn/x.rss">
    </head><body><p>x</p></body>"#;
    assert_eq!(
        feeds(html, "https://baotayninh.vn/tin-moi/"),
        [
            "https://baotayninh.vn/rss/home.rss",
            "https://baotayninh.vn/tin-moi/atom.xml",
            "https://cdn.other.vn/x.rss",
        ],
        "head links after a stray </html> count; JSON feed, hreflang, stylesheet and \
         javascript: are skipped; duplicates once; the fragment dropped; other hosts kept"
    );
}

#[test]
fn base_href_wins_over_the_page_url() {
    let html = r#"<head><base href="https://baocantho.com.vn/rss/">
      <link rel="alternate" type="application/rss+xml" href="cate/kinh-te/"></head>"#;
    assert_eq!(
        feeds(html, "https://baocantho.com.vn/kinh-te/"),
        ["https://baocantho.com.vn/rss/cate/kinh-te/"]
    );
    let html = r#"<head><base href="javascript:x">
      <link rel="alternate" type="application/rss+xml" href="rss"></head>"#;
    assert_eq!(
        feeds(html, "https://a.vn/b/c"),
        ["https://a.vn/b/rss"],
        "a base that is not http(s) is ignored"
    );
}

#[test]
fn a_page_without_feeds_has_none() {
    assert!(feeds("<p>no feeds</p>", "https://a.vn/").is_empty());
}
