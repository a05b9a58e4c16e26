//! Extraction (`extract::decode`, `extract::extract`) and link discovery (`discover`) on
//! arbitrary bytes and on generated HTML: unclosed tags, nested documents, stray `</html>`,
//! NFD text, character references, JSON-LD, dates, bylines, selectors that do not parse.
//! Invariants: no panic; decoded text and every extracted string are NFC; an extracted article's
//! fingerprint by the crawl's shortcut is its full one; dates are RFC 3339 in +07:00; discovered
//! links are canonical, distinct, fragment-free http(s) URLs.

use baoluu::canonical::canonicalize;
use baoluu::config::Selectors;
use baoluu::discover::{MAX_LINKS, discover};
use baoluu::extract::{Article, decode, extract, extract_payload};
use baoluu::history::Fingerprint;
use proptest::prelude::*;
use unicode_normalization::{UnicodeNormalization, is_nfc};
use url::Url;

use crate::common::{any_text, cases, phrase};

const MAX_DECODED: usize = 1 << 20;

fn page_url() -> Url {
    Url::parse("https://baohaugiang.com.vn/thoi-su/bai-viet-121360.html").unwrap()
}

const TAGS: &[&str] = &[
    "p",
    "div",
    "span",
    "a",
    "h1",
    "h2",
    "article",
    "section",
    "time",
    "figure",
    "figcaption",
    "table",
    "tr",
    "td",
    "ul",
    "li",
    "b",
    "em",
    "script",
    "style",
    "noscript",
    "template",
    "html",
    "body",
    "head",
    "title",
    "header",
    "footer",
    "iframe",
    "svg",
    "math",
    "select",
];

const VOID_TAGS: &[&str] = &["img", "br", "meta", "link", "base", "input", "hr"];

fn attribute() -> impl Strategy<Value = String> {
    let class = prop::sample::select(vec![
        "content-fck",
        "detail-title",
        "fw700",
        "pubdate",
        "author",
        "sapo",
        "an",
        "d-none",
        "AMN_res_1",
        "view-more",
        "pagination",
        "moremenu",
        "btnMore",
        "breadcrumb",
        "tags",
    ]);
    prop_oneof![
        class.prop_map(|c| format!("class=\"{c}\"")),
        Just("id=\"newscontents\"".to_string()),
        Just("style=\"display:none\"".to_string()),
        Just("hidden".to_string()),
        prop::sample::select(vec!["canonical", "next", "nofollow", "author"])
            .prop_map(|r| format!("rel=\"{r}\"")),
        href().prop_map(|h| format!("href=\"{h}\"")),
        href().prop_map(|h| format!("src='{h}'")),
        prop::sample::select(vec![
            "article:published_time",
            "og:title",
            "og:image",
            "robots"
        ])
        .prop_map(|p| format!("property=\"{p}\"")),
        prop::sample::select(vec![
            "pubdate",
            "author",
            "keywords",
            "robots",
            "description"
        ])
        .prop_map(|n| format!("name=\"{n}\"")),
        date_value().prop_map(|d| format!("content=\"{d}\"")),
        date_value().prop_map(|d| format!("datetime=\"{d}\"")),
        Just("charset=\"windows-1258\"".to_string()),
        Just("content=\"noarchive\"".to_string()),
        Just("type=\"application/ld+json\"".to_string()),
        "[a-z]{1,4}=\"\\PC{0,6}\"",
        Just("x=\"unclosed".to_string()),
    ]
}

fn href() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/thoi-su/bai-viet-a123.html#binh-luan".to_string()),
        Just("?p=2".to_string()),
        Just("//cdn.example.vn/x.jpg".to_string()),
        Just("javascript:void(0)".to_string()),
        Just("https://other.vn/trang-2.html?utm_source=x".to_string()),
        Just("/tim-kiem/Phó Thủ tướng.html".to_string()),
        Just("http://[::1]:81/a".to_string()),
        Just("https://x.vn:99999/".to_string()),
        "[a-z0-9/._%?&=#-]{0,16}",
    ]
}

fn date_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("2025-06-17T13:43:02+0700".to_string()),
        Just("2026-01-08".to_string()),
        Just("Thứ Năm, ngày 05/01/2023 | 07:31".to_string()),
        Just("31/02/2023 25:61".to_string()),
        "[0-9]{1,4}[/-][0-9]{1,2}[/-][0-9]{1,5}( [0-9]{1,2}:[0-9]{2})?",
    ]
}

/// Text content: Vietnamese (NFC or NFD), bylines, dates, character references that decode to
/// combining marks, stray `<` and `&`.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => phrase(),
        1 => Just("Bài, ảnh: TRƯỜNG SƠN".to_string()),
        1 => Just("Theo TTXVN".to_string()),
        1 => date_value(),
        1 => Just("Xem thêm »".to_string()),
        1 => Just("&amp; &nbsp; &lt;p&gt; &#0; &#xD800; &bogus;".to_string()),
        1 => Just("a < b && c".to_string()),
        1 => Just("{\"@type\":\"NewsArticle\",\"datePublished\":\"2025-06-17T13:43:02+0700\",\"author\":{\"name\":\"A\"},\"headline\":[1,{\"x\":null}]".to_string()),
        1 => "\\PC{0,12}",
    ]
}

/// Combining-mark character references: text that is NFC as written but not once decoded.
fn combining_reference() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "e&#769;",
        "o&#x302;&#x301;",
        "u&#795;&#771;",
        "A&#x0300;",
        "&#x301;",
    ])
    .prop_map(str::to_string)
}

/// HTML: elements nested at random, some closed, some not, some closed twice.
fn html_with(text: BoxedStrategy<String>) -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        4 => text,
        1 => (prop::sample::select(VOID_TAGS), prop::collection::vec(attribute(), 0..3))
            .prop_map(|(t, a)| format!("<{t} {}>", a.join(" "))),
        1 => prop::sample::select(vec!["</html>", "</body>", "<html>", "<!DOCTYPE html>", "</p>", "<!--", "-->", "<![CDATA[", "</div"])
            .prop_map(str::to_string),
    ];
    leaf.prop_recursive(6, 96, 6, |inner| {
        (
            prop::sample::select(TAGS),
            prop::collection::vec(attribute(), 0..3),
            prop::collection::vec(inner, 0..6),
            prop::sample::select(vec![0u8, 1, 1, 1, 2]),
        )
            .prop_map(|(tag, attrs, children, close)| {
                let close = match close {
                    0 => String::new(),
                    1 => format!("</{tag}>"),
                    _ => format!("</{tag}></{tag}>"),
                };
                format!("<{tag} {}>{}{close}", attrs.join(" "), children.concat())
            })
    })
}

fn html() -> impl Strategy<Value = String> {
    html_with(text().boxed())
}

/// A page around generated HTML, so the head/body paths of the extractor run.
fn page() -> impl Strategy<Value = String> {
    (html(), html(), phrase()).prop_map(|(head, body, title)| {
        format!(
            "<!DOCTYPE html><html><head><title>{title} - Báo Hậu Giang</title>{head}</head>\
             <body><h1 class=\"fw700\">{title}</h1><div id=\"newscontents\"><div class=\"content-fck\">{body}</div></div></body></html>"
        )
    })
}

fn selectors() -> impl Strategy<Value = Option<Selectors>> {
    let css = prop_oneof![
        Just("h1.fw700, .detail-title h1".to_string()),
        Just("#newscontents .content-fck".to_string()),
        Just("span.pubdate".to_string()),
        Just("div[class*='AMN_res_']".to_string()),
        Just("div[".to_string()),
        Just(":has(".to_string()),
        Just("".to_string()),
        "\\PC{0,10}",
    ];
    let one = prop::option::of(css.clone());
    prop::option::of(
        (
            one.clone(),
            one.clone(),
            one.clone(),
            one.clone(),
            one,
            prop::collection::vec(css, 0..3),
        )
            .prop_map(|(title, lead, body, published, byline, remove)| Selectors {
                title,
                lead,
                body,
                published,
                byline,
                remove,
            }),
    )
}

/// Every string of `article`, with the field it came from.
fn strings(article: &Article) -> Vec<(&'static str, &str)> {
    let mut out = vec![
        ("title", article.title.as_str()),
        ("text", article.text.as_str()),
        ("language", article.language.as_str()),
    ];
    let optional = [
        ("lead", &article.lead),
        ("cited_source", &article.cited_source),
        ("section", &article.section),
        ("canonical_url", &article.canonical_url),
        ("published", &article.published),
        ("modified", &article.modified),
    ];
    out.extend(
        optional
            .into_iter()
            .filter_map(|(name, v)| v.as_deref().map(|v| (name, v))),
    );
    out.extend(article.authors.iter().map(|a| ("authors", a.as_str())));
    out.extend(article.tags.iter().map(|t| ("tags", t.as_str())));
    for image in &article.images {
        out.push(("images.url", image.url.as_str()));
        out.extend(image.caption.as_deref().map(|c| ("images.caption", c)));
    }
    out
}

fn check_article(article: &Article) -> Result<(), TestCaseError> {
    for (field, value) in strings(article) {
        prop_assert!(is_nfc(value), "{} is not NFC: {:?}", field, value);
    }
    // The crawl fingerprints extracted articles by the shortcut (issue 17), which holds only
    // for what extraction returns: NFC fields, text as clean paragraphs.
    prop_assert_eq!(Fingerprint::of_extracted(article), Fingerprint::of(article));
    for date in [&article.published, &article.modified]
        .into_iter()
        .flatten()
    {
        prop_assert!(
            chrono::DateTime::parse_from_rfc3339(date).is_ok(),
            "{}",
            date
        );
        prop_assert!(date.ends_with("+07:00"), "{}", date);
    }
    if let Some(url) = &article.canonical_url {
        prop_assert!(Url::parse(url).is_ok(), "{}", url);
    }
    Ok(())
}

fn check_links(html: &str) -> Result<(), TestCaseError> {
    let page = discover(html, &page_url());
    prop_assert!(page.links.len() <= MAX_LINKS);
    prop_assert!(matches!(page.base.scheme(), "http" | "https"));
    for (i, link) in page.links.iter().enumerate() {
        prop_assert!(
            matches!(link.url.scheme(), "http" | "https"),
            "{}",
            link.url
        );
        prop_assert_eq!(link.url.fragment(), None);
        prop_assert_eq!(canonicalize(&link.url), link.url.clone());
        prop_assert!(
            page.links[..i].iter().all(|l| l.url != link.url),
            "duplicate {}",
            link.url
        );
    }
    if let Some(canonical) = &page.canonical {
        prop_assert_eq!(&canonicalize(canonical), canonical);
    }
    Ok(())
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn generated_pages_extract_without_panic(html in page(), selectors in selectors()) {
        check_article(&extract(&html, &page_url(), selectors.as_ref()))?;
        check_links(&html)?;
    }

    #[test]
    fn html_fragments_extract_without_panic(html in html()) {
        check_article(&extract(&html, &page_url(), None))?;
        check_links(&html)?;
    }

    #[test]
    fn arbitrary_text_extracts_without_panic(text in any_text()) {
        check_article(&extract(&text, &page_url(), None))?;
        check_links(&text)?;
    }

    #[test]
    fn nfd_pages_give_the_same_article_as_nfc_ones(html in page()) {
        let nfd: String = html.nfd().collect();
        let nfc: String = html.nfc().collect();
        prop_assert_eq!(extract(&nfd, &page_url(), None), extract(&nfc, &page_url(), None));
    }

    #[test]
    fn arbitrary_payloads_decode_to_nfc(
        body in prop::collection::vec(any::<u8>(), 0..1500),
        content_type in prop::option::of(prop::sample::select(vec![
            "text/html", "text/html; charset=utf-8", "text/html; charset=windows-1258",
            "text/html; charset=\"bogus\"", "text/html; charset=utf-16le", "application/json",
        ])),
        encoding in prop::option::of(prop::sample::select(vec!["gzip", "deflate", "identity", "gzip, gzip", "br", ""])),
        max in prop_oneof![Just(MAX_DECODED), 0usize..64],
    ) {
        match decode(&body, content_type, encoding, max) {
            Ok(decoded) => prop_assert!(is_nfc(&decoded.text)),
            Err(_) => prop_assert!(encoding.is_some()),
        }
        if let Ok(article) = extract_payload(&body, content_type, encoding, &page_url(), None, max) {
            check_article(&article)?;
        }
    }

    #[test]
    fn pages_in_legacy_encodings_decode_to_nfc(html in page(), charset in prop::sample::select(vec!["windows-1258", "windows-1252", "utf-8"])) {
        let encoding = encoding_rs::Encoding::for_label(charset.as_bytes()).unwrap();
        // NFC first: a combining mark windows-1258 cannot encode would become a character
        // reference, which `character_references_come_out_nfc` covers.
        let html: String = html.nfc().collect();
        let (bytes, _, _) = encoding.encode(&html);
        let content_type = format!("text/html; charset={charset}");
        let decoded = decode(&bytes, Some(&content_type), None, MAX_DECODED).unwrap();
        prop_assert!(is_nfc(&decoded.text));
        check_article(&extract(&decoded.text, &page_url(), None))?;
    }
}

proptest! {
    #![proptest_config(cases(128))]

    /// Character references are decoded by the HTML parser, after `extract` normalised the raw
    /// text, so `e&#769;` reaches the article as a decomposed "é".
    #[test]
    fn character_references_come_out_nfc(html in html_with(prop_oneof![text(), combining_reference()].boxed())) {
        check_article(&extract(&html, &page_url(), None))?;
    }
}

/// Deeper than any recursion limit of ours (`text::MAX_DEPTH` is 256). Not deeper: html5ever
/// takes time quadratic in the depth of nested `<div>`s (about 1.4 s for 2,500 in a debug build,
/// 4.8 s for 5,000), which is its cost, not a crash.
#[test]
fn deeply_nested_documents_do_not_overflow_the_stack() {
    for tag in ["div", "span", "b", "table", "p", "li", "a"] {
        let html = format!(
            "{}x{}",
            format!("<{tag}>").repeat(1_500),
            format!("</{tag}>").repeat(5)
        );
        let article = extract(&html, &page_url(), None);
        check_article(&article).unwrap();
        discover(&html, &page_url());
    }
}

#[test]
fn many_links_are_capped() {
    let html: String = (0..MAX_LINKS + 50)
        .map(|i| format!("<a href=\"/a-{i}.html\">x</a>"))
        .collect();
    assert_eq!(discover(&html, &page_url()).links.len(), MAX_LINKS);
}
