//! The per-URL fingerprint of an article's extracted fields: one sha1 per field of the
//! normalised value (NFC, whitespace collapsed), so the crawl compares a revisit with the last
//! version from the store alone, never re-reading a WARC (issue 15, item 2). Fields are named as
//! in the index line. Page furniture (counters, boxes, ads, related links) is not among the
//! fields, so it never makes an edit.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::extract::{Article, Gaps, for_each_word, nfc};

/// Field name → hex sha1 of its normalised value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint(pub BTreeMap<String, String>);

/// The fields an edit is judged on, in index-line order.
pub const FIELDS: [&str; 6] = ["title", "lead", "text", "authors", "published", "images"];

impl Fingerprint {
    /// The fingerprint of any article (one read back from an index line, say).
    pub fn of(article: &Article) -> Fingerprint {
        let mut text = String::new();
        Fingerprint::from_fields(|field| {
            text.clear();
            normalise_into(&raw(article, field), &mut text);
            sha1_hex(text.as_bytes())
        })
    }

    /// The fingerprint of an article as [`crate::extract`] returns it, the same as
    /// [`Fingerprint::of`]'s without reading the text twice more (issue 17: the NFC scan and
    /// the word walk over the text were 7% of a crawl's CPU). Extraction returns every field
    /// NFC (its `compose` step), and the text as paragraphs that went through
    /// `extract::words::clean`, joined by blank lines: no whitespace but single spaces inside a
    /// paragraph, none at either end. Normalised, that text is the same paragraphs joined by
    /// one newline, which is what is hashed here. Debug builds check the two agree on every
    /// article they fingerprint, so every test that crawls checks it too.
    pub fn of_extracted(article: &Article) -> Fingerprint {
        let mut text = String::new();
        let fingerprint = Fingerprint::from_fields(|field| match field {
            "text" => paragraphs_sha1(&article.text),
            _ => {
                text.clear();
                words_into(&raw(article, field), &mut text);
                sha1_hex(text.as_bytes())
            }
        });
        debug_assert_eq!(
            fingerprint,
            Fingerprint::of(article),
            "an extracted article that is not NFC, or whose text is not clean paragraphs"
        );
        fingerprint
    }

    fn from_fields(mut sha1: impl FnMut(&str) -> String) -> Fingerprint {
        Fingerprint(
            FIELDS
                .iter()
                .map(|field| (field.to_string(), sha1(field)))
                .collect(),
        )
    }

    /// The fields whose values differ, in [`FIELDS`] order.
    pub fn changed(&self, newer: &Fingerprint) -> Vec<String> {
        FIELDS
            .iter()
            .filter(|f| self.0.get(**f) != newer.0.get(**f))
            .map(|f| f.to_string())
            .collect()
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(&self.0).unwrap_or_default()
    }

    pub fn from_json(text: &str) -> Option<Fingerprint> {
        serde_json::from_str(text).ok().map(Fingerprint)
    }
}

/// The normalised text of one field (what is hashed, and what `baoluu changes` diffs).
pub fn normalised(article: &Article, field: &str) -> String {
    let mut text = String::new();
    normalise_into(&raw(article, field), &mut text);
    text
}

/// One field's value as extracted, borrowed where it is one string.
fn raw<'a>(article: &'a Article, field: &str) -> Cow<'a, str> {
    match field {
        "title" => Cow::Borrowed(&article.title),
        "lead" => Cow::Borrowed(article.lead.as_deref().unwrap_or_default()),
        "text" => Cow::Borrowed(&article.text),
        "authors" => Cow::Owned(article.authors.join("\n")),
        "published" => Cow::Borrowed(article.published.as_deref().unwrap_or_default()),
        "images" => Cow::Owned(
            article
                .images
                .iter()
                .map(|i| format!("{} {}", i.url, i.caption.as_deref().unwrap_or("")))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => Cow::Borrowed(""),
    }
}

/// Appends `raw` normalised to `out`: NFC, then runs of whitespace become one space and
/// paragraphs (a blank line) one newline, so reflowed HTML is not an edit. The bytes are those
/// stored fingerprints were made from; only the work is less (issue 17: the copies, the word
/// vectors and their joins were 5% of a crawl's CPU). `extract::nfc`, not the iterator: it
/// returns NFC text (nearly all of it) untouched.
fn normalise_into(raw: &str, out: &mut String) {
    words_into(&nfc(raw), out);
}

/// [`normalise_into`] for text known to be NFC.
fn words_into(nfc: &str, out: &mut String) {
    for_each_word(nfc, Gaps::Whitespace, |word, blank_line| {
        if !out.is_empty() {
            out.push(if blank_line { '\n' } else { ' ' });
        }
        out.push_str(word);
    });
}

/// The sha1 of clean paragraphs joined by blank lines, normalised: the paragraphs joined by
/// one newline ([`Fingerprint::of_extracted`]). Splitting at each newline leaves the
/// paragraphs and, between them, empty pieces.
fn paragraphs_sha1(text: &str) -> String {
    let mut hasher = Sha1::new();
    let mut first = true;
    for paragraph in text.split('\n').filter(|p| !p.is_empty()) {
        if !first {
            hasher.update(b"\n");
        }
        hasher.update(paragraph.as_bytes());
        first = false;
    }
    data_encoding::HEXLOWER.encode(&hasher.finalize())
}

fn sha1_hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha1::digest(bytes))
}

/// What portals answer with status 200 where an article was (issue 15: soft 404s), lower case.
const GONE_PHRASES: [&str; 8] = [
    "bài viết không tồn tại",
    "không tồn tại hoặc đã bị xóa",
    "trang không tồn tại",
    "không tìm thấy trang",
    "không tìm thấy bài viết",
    "nội dung không tồn tại",
    "bài viết đã bị gỡ",
    "page not found",
];

/// A "bài viết không tồn tại" page: a short page whose title or text says the article is gone.
/// Judged on content, since such pages answer 200.
pub fn is_soft_404(article: &Article) -> bool {
    // A real article quoting the phrase is long; these pages are a line or two.
    const SHORT: usize = 600;
    if article.text.chars().count() > SHORT {
        return false;
    }
    let seen = nfc(&format!("{}\n{}", article.title, article.text)).to_lowercase();
    GONE_PHRASES.iter().any(|p| seen.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Image;

    fn article(title: &str, text: &str) -> Article {
        Article {
            title: title.into(),
            text: text.into(),
            images: vec![Image {
                url: "http://a.vn/1.jpg".into(),
                caption: None,
            }],
            ..Article::default()
        }
    }

    #[test]
    fn reflowed_or_decomposed_text_is_not_an_edit() {
        let before = Fingerprint::of(&article("Lũ về", "Đoạn một.\n\nĐoạn hai."));
        // NFD input and extra spaces: same normalised fields.
        let nfd: String = unicode_normalization::UnicodeNormalization::nfd("Lũ về").collect();
        let after = Fingerprint::of(&article(&nfd, "Đoạn  một.\n\n\n\nĐoạn hai. "));
        assert!(before.changed(&after).is_empty());
    }

    #[test]
    fn changed_fields_are_named_as_in_the_index_line() {
        let before = Fingerprint::of(&article("Lũ về", "Đoạn một."));
        let after = Fingerprint::of(&article("Lũ đã về", "Đoạn một, sửa."));
        assert_eq!(before.changed(&after), ["title", "text"]);
        let json = after.to_json();
        assert_eq!(Fingerprint::from_json(&json), Some(after));
    }

    #[test]
    fn a_short_gone_page_is_a_soft_404_and_an_article_quoting_it_is_not() {
        assert!(is_soft_404(&article("Bài viết không tồn tại", "")));
        assert!(is_soft_404(&article(
            "Báo Hậu Giang",
            "Xin lỗi, BÀI VIẾT KHÔNG TỒN TẠI hoặc đã bị xóa."
        )));
        let long = format!("Bài viết không tồn tại. {}", "Nội dung dài. ".repeat(100));
        assert!(!is_soft_404(&article("Tin tức", &long)));
    }

    /// The normalisation before issue 17's rewrite, kept as the reference: stored fingerprints
    /// were made from exactly these bytes, so the rewrite must produce them to the byte.
    fn collapse_reference(text: &str) -> String {
        text.split("\n\n")
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    }

    proptest::proptest! {
        #[test]
        fn normalised_bytes_are_those_stored_fingerprints_were_made_of(
            text in "([a-zđươ ếộ\t\r\n\u{a0}\u{2003}\u{3000}\u{85}\u{1680}\u{200b}]|\n\n){0,40}",
        ) {
            let a = article(&text, &text);
            let expected = collapse_reference(&nfc(&text));
            proptest::prop_assert_eq!(normalised(&a, "title"), expected.clone());
            proptest::prop_assert_eq!(normalised(&a, "text"), expected);
        }
    }

    #[test]
    fn a_stored_fingerprint_still_matches() {
        // The sha1 of "Lũ về Cần Thơ" and of "Đoạn một.\nĐoạn hai.", as stored before.
        let a = article("Lũ về  Cần Thơ", "\n\nĐoạn một.\n\n\n Đoạn\u{a0}hai. \n");
        let fingerprint = Fingerprint::of(&a);
        assert_eq!(
            fingerprint.0["title"],
            "e0aff21a10040578b1321b8a725688eec44d2d86"
        );
        assert_eq!(
            fingerprint.0["text"],
            "52140d1639e1c4eb184cd75de09214c776a65f49"
        );
    }
}
