//! Draft: one entry element being read, and which of its children mean what in each format.
//!
//! Part of the feeds XML walk. Only direct children of the entry count, plus the two Google
//! News ones (`<news:news><news:publication_date>`, `<news:title>`): image and video extensions
//! (`<image:image><image:loc>`), Atom `<source>` and anything else nested are skipped by their
//! path, not by their prefix.

use quick_xml::events::BytesStart;

use super::MAX_PATH;
use crate::feeds::{Entry, Kind, date};

/// Characters kept per field. A URL is at most 2,048 characters (sitemaps.org) and a title a
/// line; a longer field is junk and is dropped rather than cut into a wrong URL.
const MAX_FIELD: usize = 16 * 1024;

/// What a child element's text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    /// `<loc>`, RSS `<link>`.
    Url,
    /// RSS 2.0 `<guid>`: a URL only when it is a permalink (the default, RSS 2.0 "guid").
    Guid,
    /// `<lastmod>`, `<pubDate>`, `<updated>`.
    Modified,
    /// `<news:publication_date>`, `<dc:date>`, `<published>`: used when `Modified` is absent.
    Published,
    Title,
}

/// The local names the formats use below an entry; the path holds these, not strings, so
/// reading an element allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Name {
    Loc,
    Lastmod,
    News,
    PublicationDate,
    Title,
    Link,
    Guid,
    PubDate,
    Date,
    Updated,
    Published,
    Other,
}

impl Name {
    fn of(local: &str) -> Name {
        match local {
            "loc" => Name::Loc,
            "lastmod" => Name::Lastmod,
            "news" => Name::News,
            "publication_date" => Name::PublicationDate,
            "title" => Name::Title,
            "link" => Name::Link,
            "guid" => Name::Guid,
            "pubDate" => Name::PubDate,
            "date" => Name::Date,
            "updated" => Name::Updated,
            "published" => Name::Published,
            _ => Name::Other,
        }
    }
}

/// Which field a path below the entry holds, by format.
fn field_of(kind: Kind, path: &[Name]) -> Option<Field> {
    use Name::*;
    match (kind, path) {
        (Kind::SitemapIndex | Kind::UrlSet, [Loc]) => Some(Field::Url),
        (Kind::SitemapIndex | Kind::UrlSet, [Lastmod]) => Some(Field::Modified),
        (Kind::UrlSet, [News, PublicationDate]) => Some(Field::Published),
        (Kind::UrlSet, [News, Title]) => Some(Field::Title),
        (Kind::Rss, [Link]) => Some(Field::Url),
        (Kind::Rss, [Guid]) => Some(Field::Guid),
        (Kind::Rss, [PubDate]) => Some(Field::Modified),
        (Kind::Rss, [Date]) => Some(Field::Published),
        (Kind::Atom, [Updated]) => Some(Field::Modified),
        (Kind::Atom, [Published]) => Some(Field::Published),
        (Kind::Rss | Kind::Atom, [Title]) => Some(Field::Title),
        _ => None,
    }
}

/// An entry's fields as read so far.
#[derive(Debug, Default)]
pub(super) struct Draft {
    /// Local names of the open elements below the entry (at most [`MAX_PATH`]).
    path: Vec<Name>,
    /// Open elements below the entry beyond [`MAX_PATH`].
    overflow: usize,
    /// The field being read and the path length of its element.
    field: Option<(Field, usize)>,
    text: String,
    overlong: bool,
    url: Option<String>,
    /// RSS 1.0 `rdf:about`, a permalink RSS 2.0 `<guid>`: used when there is no link.
    fallback_url: Option<String>,
    modified: Option<String>,
    published: Option<String>,
    title: Option<String>,
}

impl Draft {
    /// The entry element itself: RSS 1.0 names the item's URL in `rdf:about`.
    pub(super) fn open_entry(&mut self, start: &BytesStart) {
        self.fallback_url = attribute(start, "about");
    }

    pub(super) fn open(&mut self, kind: Kind, local: &str, start: &BytesStart) {
        if self.overflow > 0 || self.path.len() >= MAX_PATH {
            self.overflow += 1;
            return;
        }
        self.path.push(Name::of(local));
        if self.field.is_some() {
            return;
        }
        if kind == Kind::Atom && self.path == [Name::Link] {
            self.atom_link(start);
        } else if let Some(field) = field_of(kind, &self.path) {
            self.start_field(field, start);
        }
    }

    pub(super) fn close(&mut self) {
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        if matches!(self.field, Some((_, depth)) if depth == self.path.len()) {
            self.finish_field();
        }
        self.path.pop();
    }

    pub(super) fn text(&mut self, text: &str) {
        if self.field.is_none() || self.overlong {
            return;
        }
        if self.text.len() + text.len() > MAX_FIELD {
            self.overlong = true;
            return;
        }
        self.text.push_str(text);
    }

    /// The entry, or `None` when it names no URL.
    pub(super) fn finish(self) -> Option<Entry> {
        let url = self.url.or(self.fallback_url)?;
        let modified = self.modified.as_deref().and_then(date::parse);
        let published = || self.published.as_deref().and_then(date::parse);
        Some(Entry {
            url,
            modified: modified.or_else(published),
            title: self.title,
        })
    }

    fn start_field(&mut self, field: Field, start: &BytesStart) {
        // A guid marked isPermaLink="false" is an opaque id (RSS 2.0 "guid").
        let opaque = attribute(start, "isPermaLink").is_some_and(|v| v.trim() == "false");
        if field == Field::Guid && opaque {
            return;
        }
        self.field = Some((field, self.path.len()));
        self.text.clear();
        self.overlong = false;
    }

    fn finish_field(&mut self) {
        let Some((field, _)) = self.field.take() else {
            return;
        };
        let text = std::mem::take(&mut self.text);
        let value = text.trim();
        if self.overlong || value.is_empty() {
            return;
        }
        let slot = match field {
            Field::Url => &mut self.url,
            Field::Guid if is_absolute_http(value) => &mut self.fallback_url,
            Field::Guid => return,
            Field::Modified => &mut self.modified,
            Field::Published => &mut self.published,
            Field::Title => &mut self.title,
        };
        slot.get_or_insert_with(|| value.to_string());
    }

    /// Atom `<link href>`: the entry's page is the first link whose `rel` is `alternate` or
    /// absent (RFC 4287 §4.2.7.2: no rel means alternate).
    fn atom_link(&mut self, start: &BytesStart) {
        let rel = attribute(start, "rel");
        let alternate = rel.as_deref().is_none_or(|r| r.trim() == "alternate");
        if alternate && self.url.is_none() {
            self.url = attribute(start, "href")
                .map(|href| href.trim().to_string())
                .filter(|href| !href.is_empty());
        }
    }
}

/// A permalink guid must be a URL; most non-permalink guids are ids such as "12345".
fn is_absolute_http(value: &str) -> bool {
    let lower = value.get(..8).unwrap_or(value).to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// An attribute by local name (`rdf:about` is "about"), its references decoded leniently.
fn attribute(start: &BytesStart, local: &str) -> Option<String> {
    start
        .attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == local)
        .map(|a| decode_references(&a.value))
}

/// Decodes the five XML entities and character references; leaves a bare `&` or an unknown
/// entity as written (a sitemap with `?a=1&b=2` in an attribute still yields its URL).
fn decode_references(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let decoded = rest
            .find(';')
            .filter(|&end| end > 1 && end <= 12)
            .and_then(|end| Some((reference_text(&rest[1..end])?, end)));
        match decoded {
            Some((text, end)) => {
                out.push_str(&text);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The text of `&name;` or `&#N;` / `&#xH;`.
fn reference_text(name: &str) -> Option<String> {
    if let Some(number) = name.strip_prefix('#') {
        let code = match number.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => number.parse().ok()?,
        };
        return char::from_u32(code)
            .filter(|&c| c != '\0')
            .map(String::from);
    }
    quick_xml::escape::resolve_xml_entity(name).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_decode_and_bare_ampersands_stay() {
        assert_eq!(decode_references("a?x=1&amp;y=2"), "a?x=1&y=2");
        assert_eq!(decode_references("a?x=1&y=2"), "a?x=1&y=2");
        assert_eq!(
            decode_references("&#x110;&#224; &lt;&unknown;&"),
            "Đà <&unknown;&"
        );
        assert_eq!(decode_references("&#0;&;"), "&#0;&;");
    }

    #[test]
    fn guid_urls_are_http_only() {
        assert!(is_absolute_http("HTTPS://baocantho.com.vn/a-a1.html"));
        assert!(!is_absolute_http("12345"));
        assert!(!is_absolute_http("urn:uuid:1"));
        assert!(!is_absolute_http("http"));
    }
}
