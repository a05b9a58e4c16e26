//! RSS 2.0, RSS 1.0 (RDF) and Atom feeds.

use unicode_normalization::UnicodeNormalization;

use super::*;

/// An RSS 2.0 feed the way family A portals write one (`/rss/cate/{cat}/`).
fn rss(nfd_title: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Báo Cần Thơ - Kinh tế</title>
  <link>https://baocantho.com.vn/kinh-te/</link>
  <atom:link href="https://baocantho.com.vn/rss/cate/kinh-te/" rel="self" type="application/rss+xml"/>
  <image><url>https://baocantho.com.vn/logo.png</url><title>logo</title><link>https://baocantho.com.vn/</link></image>
  <item>
    <title><![CDATA[Giá lúa tăng mạnh đầu năm]]></title>
    <link>https://baocantho.com.vn/gia-lua-tang-manh-a1.html</link>
    <description><![CDATA[<p>Sapo <a href="https://baocantho.com.vn/khac-a9.html">khác</a></p>]]></description>
    <pubDate>Thu, 08 Jan 2026 18:21:00 +0700</pubDate>
    <guid isPermaLink="false">a1</guid>
  </item>
  <item>
    <title>{nfd_title}</title>
    <guid>https://baocantho.com.vn/xuat-khau-a2.html</guid>
    <pubDate>Thu, 08 Jan 2026 11:00:00 GMT</pubDate>
  </item>
  <item>
    <title>Không có đường dẫn</title>
    <guid>12345</guid>
    <dc:date>2026-01-08T07:00:00+07:00</dc:date>
  </item>
  <item>
    <title>  Cầu Vàm Cống &amp; cầu Mỹ Thuận 2  </title>
    <link>
      /cau-vam-cong-a3.html
    </link>
    <dc:date>2026-01-07T07:00:00+07:00</dc:date>
  </item>
</channel>
</rss>"#
    )
}

#[test]
fn rss2_items_give_link_guid_pubdate_and_title_as_given() {
    let nfd = "Xuất khẩu gạo".nfd().collect::<String>();
    let p = parsed(rss(&nfd));
    assert_complete(&p, Kind::Rss);
    assert_eq!(
        urls(&p),
        [
            "https://baocantho.com.vn/gia-lua-tang-manh-a1.html",
            "https://baocantho.com.vn/xuat-khau-a2.html",
            "/cau-vam-cong-a3.html",
        ],
        "channel and image links are no items; an id guid is no URL; relative links stay relative"
    );
    assert_eq!(
        titles(&p),
        [
            Some("Giá lúa tăng mạnh đầu năm"),
            Some(nfd.as_str()),
            Some("Cầu Vàm Cống & cầu Mỹ Thuận 2"),
        ]
    );
    assert_ne!(nfd, "Xuất khẩu gạo", "the fixture really is NFD");
    assert_eq!(
        modified(&p),
        [
            Some("2026-01-08T18:21:00+07:00".to_string()),
            Some("2026-01-08T11:00:00+00:00".to_string()),
            Some("2026-01-07T07:00:00+07:00".to_string()),
        ]
    );
}

#[test]
fn rdf_items_give_link_or_rdf_about() {
    let body = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://a.vn/rss"><title>Kênh</title><link>https://a.vn/</link>
    <items><rdf:Seq><rdf:li rdf:resource="https://a.vn/1"/></rdf:Seq></items></channel>
  <item rdf:about="https://a.vn/1?a=1&amp;b=2">
    <title>Một</title><link>https://a.vn/1?a=1&amp;b=2&amp;utm=rss</link>
    <dc:date>2026-01-08T18:21:00+07:00</dc:date>
  </item>
  <item rdf:about="https://a.vn/2"><title>Hai</title></item>
</rdf:RDF>"#;
    let p = parsed(body);
    assert_complete(&p, Kind::Rss);
    assert_eq!(
        urls(&p),
        ["https://a.vn/1?a=1&b=2&utm=rss", "https://a.vn/2"]
    );
    assert_eq!(titles(&p), [Some("Một"), Some("Hai")]);
    assert_eq!(p.entries[0].modified, Some(at("2026-01-08T18:21:00+07:00")));
}

#[test]
fn atom_entries_give_the_alternate_link() {
    let body = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Báo Lào Cai</title>
  <link rel="self" href="https://baolaocai.vn/atom.xml"/>
  <link href="https://baolaocai.vn/"/>
  <updated>2026-01-08T18:21:00+07:00</updated>
  <entry>
    <title type="html">Sa Pa &lt;b&gt;đón&lt;/b&gt; khách</title>
    <link rel="enclosure" href="https://cdn.baolaocai.vn/1.jpg"/>
    <link rel="alternate" type="text/html" href="https://baolaocai.vn/sa-pa-post1.html"/>
    <link rel="alternate" type="text/html" href="https://baolaocai.vn/other-post9.html"/>
    <published>2026-01-08T07:00:00+07:00</published>
    <updated>2026-01-08T18:21:00+07:00</updated>
    <source><link href="https://elsewhere.vn/"/><updated>2020-01-01T00:00:00Z</updated></source>
  </entry>
  <entry>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Bắc <b>Hà</b></div></title>
    <link href="/bac-ha-post2.html"></link>
    <published>2026-01-07T07:00:00Z</published>
  </entry>
  <entry><title>Không link</title><link rel="replies" href="https://baolaocai.vn/c"/></entry>
</feed>"#;
    let p = parsed(body);
    assert_complete(&p, Kind::Atom);
    assert_eq!(
        urls(&p),
        [
            "https://baolaocai.vn/sa-pa-post1.html",
            "/bac-ha-post2.html"
        ]
    );
    assert_eq!(titles(&p), [Some("Sa Pa <b>đón</b> khách"), Some("Bắc Hà")]);
    assert_eq!(
        modified(&p),
        [
            Some("2026-01-08T18:21:00+07:00".to_string()),
            Some("2026-01-07T07:00:00+00:00".to_string()),
        ],
        "updated wins over published; the source's updated is not the entry's"
    );
}

#[test]
fn feed_gzip_content_encoding_reads_like_the_plain_one() {
    let body = rss("x");
    assert_eq!(parsed(gzip(body.as_bytes())), parsed(&body));
}
