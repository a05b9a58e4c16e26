//! Sitemap indexes, sitemaps (plain, Google News, gzip), text sitemaps, and the XML edge cases
//! every format shares: BOM, CDATA, entities, prefixes, encodings.

use super::*;

const INDEX: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap>
    <loc>https://baocantho.com.vn/sitemap-news.xml</loc>
    <lastmod>2026-01-08T18:21:00+07:00</lastmod>
  </sitemap>
  <sitemap><loc> https://baocantho.com.vn/sitemap-2025-12.xml.gz </loc></sitemap>
</sitemapindex>"#;

#[test]
fn sitemap_index_lists_child_sitemaps() {
    let p = parsed(INDEX);
    assert_complete(&p, Kind::SitemapIndex);
    assert_eq!(
        urls(&p),
        [
            "https://baocantho.com.vn/sitemap-news.xml",
            "https://baocantho.com.vn/sitemap-2025-12.xml.gz"
        ]
    );
    assert_eq!(p.entries[0].modified, Some(at("2026-01-08T18:21:00+07:00")));
    assert_eq!(p.entries[1].modified, None);
}

const URLSET: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>https://baocantho.com.vn/a-a1.html</loc><lastmod>2026-01-08</lastmod>
       <changefreq>daily</changefreq><priority>0.8</priority></url>
  <url><loc>https://baocantho.com.vn/b-a2.html</loc><lastmod>2026-01-08T18:21:00+07:00</lastmod></url>
  <url><loc>https://baocantho.com.vn/c-a3.html</loc><lastmod>2026-01-08T11:21:00Z</lastmod></url>
  <url><loc>https://baocantho.com.vn/d-a4.html</loc><lastmod>2026-01-08 18:21</lastmod>
       <image:image><image:loc>https://cdn.baocantho.com.vn/d.jpg</image:loc>
       <image:title>Ảnh minh hoạ</image:title></image:image></url>
  <url><loc>https://baocantho.com.vn/e-a5.html</loc><lastmod>hôm qua</lastmod></url>
  <url><lastmod>2026-01-08</lastmod></url>
</urlset>"#;

#[test]
fn urlset_reads_every_lastmod_form_and_skips_extensions() {
    let p = parsed(URLSET);
    assert_complete(&p, Kind::UrlSet);
    assert_eq!(
        urls(&p),
        [
            "https://baocantho.com.vn/a-a1.html",
            "https://baocantho.com.vn/b-a2.html",
            "https://baocantho.com.vn/c-a3.html",
            "https://baocantho.com.vn/d-a4.html",
            "https://baocantho.com.vn/e-a5.html",
        ],
        "the image URL is no entry, the <url> without <loc> is skipped"
    );
    let want = [
        Some("2026-01-08T00:00:00+07:00"),
        Some("2026-01-08T18:21:00+07:00"),
        Some("2026-01-08T11:21:00+00:00"),
        Some("2026-01-08T18:21:00+07:00"),
        None,
    ];
    assert_eq!(modified(&p), want.map(|w| w.map(String::from)));
    assert_eq!(titles(&p), [None; 5], "an image title is not the page's");
}

const NEWS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://baogialai.com.vn/le-hoi-post1.html</loc>
    <news:news>
      <news:publication><news:name>Báo Gia Lai</news:name><news:language>vi</news:language></news:publication>
      <news:publication_date>2026-01-08T07:31:00+07:00</news:publication_date>
      <news:title>Lễ hội đường phố &amp; ẩm thực</news:title>
    </news:news>
  </url>
  <url>
    <loc>https://baogialai.com.vn/mua-xuan-post2.html</loc>
    <lastmod>2026-01-09T08:00:00+07:00</lastmod>
    <news:news><news:publication_date>2026-01-08</news:publication_date>
      <news:title><![CDATA[Mùa xuân <em>về</em>]]></news:title></news:news>
  </url>
</urlset>"#;

#[test]
fn google_news_sitemap_gives_title_and_publication_date() {
    let p = parsed(NEWS);
    assert_complete(&p, Kind::UrlSet);
    assert_eq!(
        titles(&p),
        [
            Some("Lễ hội đường phố & ẩm thực"),
            Some("Mùa xuân <em>về</em>")
        ]
    );
    assert_eq!(
        modified(&p),
        [
            Some("2026-01-08T07:31:00+07:00".to_string()),
            Some("2026-01-09T08:00:00+07:00".to_string())
        ],
        "publication_date stands in for a missing lastmod; lastmod wins when present"
    );
}

#[test]
fn gzip_sitemap_and_gzip_of_gzip_read_like_the_plain_one() {
    let plain = parsed(URLSET);
    let once = gzip(URLSET.as_bytes());
    let twice = gzip(&once);
    assert_eq!(parsed(&once), plain);
    assert_eq!(parsed(&twice), plain);
    let thrice = gzip(&twice);
    assert!(
        matches!(
            parse(&thrice, &Limits::default()),
            Err(Error::NotRecognised)
        ),
        "a third layer is not undone"
    );
}

#[test]
fn broken_gzip_header_is_an_error() {
    let mut body = gzip(URLSET.as_bytes());
    body[2] = 0; // CM: only 8 (deflate) is defined (RFC 1952 §2.3.1)
    assert!(matches!(
        parse(&body, &Limits::default()),
        Err(Error::Corrupt(_))
    ));
}

#[test]
fn bom_and_leading_whitespace_are_skipped() {
    let body = format!("\u{feff}\r\n  {INDEX}");
    assert_eq!(parsed(&body), parsed(INDEX));
    let text = "\u{feff}https://baocantho.com.vn/a-a1.html\n";
    assert_eq!(urls(&parsed(text)), ["https://baocantho.com.vn/a-a1.html"]);
}

#[test]
fn cdata_entities_and_bare_ampersands_decode() {
    let body = r#"<urlset>
      <url><loc><![CDATA[https://a.vn/tim?q=1&p=2]]></loc></url>
      <url><loc>https://a.vn/tim?q=1&amp;p=3</loc></url>
      <url><loc>https://a.vn/tim?q=1&p=4</loc></url>
      <url><loc>https://a.vn/&#x111;&#7891;ng-&apos;x&apos;&nbsp;</loc></url>
    </urlset>"#;
    let p = parsed(body);
    assert_complete(&p, Kind::UrlSet);
    assert_eq!(
        urls(&p),
        [
            "https://a.vn/tim?q=1&p=2",
            "https://a.vn/tim?q=1&p=3",
            "https://a.vn/tim?q=1&p=4",
            "https://a.vn/đồng-'x'&nbsp;",
        ]
    );
}

#[test]
fn namespace_prefixes_do_not_matter() {
    let body = r#"<?xml version="1.0"?>
    <sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sm:url><sm:loc>https://a.vn/1</sm:loc><sm:lastmod>2026-01-08</sm:lastmod></sm:url>
    </sm:urlset>"#;
    let p = parsed(body);
    assert_complete(&p, Kind::UrlSet);
    assert_eq!(urls(&p), ["https://a.vn/1"]);
    assert_eq!(p.entries[0].modified, Some(at("2026-01-08T00:00:00+07:00")));
    // ElementTree writes ns0: for a default namespace it re-serialises.
    let body = r#"<ns0:sitemapindex xmlns:ns0="http://www.sitemaps.org/schemas/sitemap/0.9">
      <ns0:sitemap><ns0:loc>https://a.vn/s1.xml</ns0:loc></ns0:sitemap></ns0:sitemapindex>"#;
    let p = parsed(body);
    assert_complete(&p, Kind::SitemapIndex);
    assert_eq!(urls(&p), ["https://a.vn/s1.xml"]);
}

#[test]
fn declared_single_byte_encoding_is_transcoded() {
    let mut body =
        b"<?xml version=\"1.0\" encoding=\"windows-1258\"?><rss><channel><item>".to_vec();
    // "Đà Lạt" in windows-1258: Đ 0xD0, à 0xE0, combining dot below 0xF2.
    body.extend_from_slice(b"<title>\xD0\xE0 La\xF2t</title><link>https://a.vn/1</link>");
    body.extend_from_slice(b"</item></channel></rss>");
    let p = parsed(&body);
    assert_complete(&p, Kind::Rss);
    assert_eq!(
        titles(&p),
        [Some("Đà La\u{323}t")],
        "decoded, not normalised"
    );
}

#[test]
fn invalid_utf8_costs_one_character_not_the_document() {
    let body = b"<urlset><url><loc>https://a.vn/\xff</loc></url><url><loc>https://a.vn/2</loc></url></urlset>";
    let p = parsed(body);
    assert_complete(&p, Kind::UrlSet);
    assert_eq!(urls(&p), ["https://a.vn/\u{fffd}", "https://a.vn/2"]);
}

#[test]
fn text_sitemap_lists_url_lines() {
    let body =
        "https://a.vn/1\r\n\r\nhttps://a.vn/2  \n# not a url\nhttps://a.vn/ 3\nHTTPS://A.VN/4";
    let p = parsed(body);
    assert_complete(&p, Kind::Text);
    assert_eq!(
        urls(&p),
        ["https://a.vn/1", "https://a.vn/2", "HTTPS://A.VN/4"]
    );
    assert_eq!(p.entries[0].modified, None);
    assert_eq!(urls(&parsed(gzip(body.as_bytes()))), urls(&p));
}

#[test]
fn bodies_that_are_no_source_are_errors() {
    let cases: [(&[u8], &str); 6] = [
        (b"", "Empty"),
        (b" \r\n\t ", "Empty"),
        (
            b"<!DOCTYPE html><html lang=\"vi\"><head>",
            "UnknownRoot(\"html\")",
        ),
        (
            b"{\"version\": \"https://jsonfeed.org/version/1.1\"}",
            "NotRecognised",
        ),
        (
            b"<?xml version=\"1.0\"?><!-- unclosed <urlset>",
            "Malformed",
        ),
        (b"<?xml version=\"1.0\"?>", "Empty"),
    ];
    for (body, want) in cases {
        let got = format!("{:?}", parse(body, &Limits::default()).unwrap_err());
        assert!(got.starts_with(want), "{body:?}: {got}");
    }
}

#[test]
fn empty_root_is_an_empty_complete_list() {
    let p = parsed("<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"/>");
    assert_complete(&p, Kind::UrlSet);
    assert!(p.entries.is_empty());
}

#[test]
fn well_known_is_sitemap_xml_at_the_root() {
    let root = Url::parse("https://baocantho.com.vn/kinh-te/?p=2").unwrap();
    let got: Vec<String> = well_known(&root).iter().map(Url::to_string).collect();
    assert_eq!(got, ["https://baocantho.com.vn/sitemap.xml"]);
    assert!(well_known(&Url::parse("mailto:a@b.vn").unwrap()).is_empty());
}

#[test]
fn utf16_with_bom_is_transcoded() {
    let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><urlset><url><loc>https://a.vn/đà</loc></url></urlset>";
    let mut body = vec![0xff, 0xfe];
    body.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let p = parsed(&body);
    assert_complete(&p, Kind::UrlSet);
    assert_eq!(urls(&p), ["https://a.vn/đà"]);
}

#[test]
fn dtd_entities_are_never_expanded() {
    // "Billion laughs": internal entities are left as written, so nothing grows.
    let body = r#"<?xml version="1.0"?>
    <!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
    <urlset><url><loc>https://a.vn/&b;</loc></url></urlset>"#;
    let p = parsed(body);
    assert_complete(&p, Kind::UrlSet);
    assert_eq!(urls(&p), ["https://a.vn/&b;"]);
}
