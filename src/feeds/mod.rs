//! Feeds: the body of a sitemap or a feed → the page URLs it lists.
//!
//! Discovery sources beside links (issue 9): sitemap indexes, sitemaps (sitemaps.org 0.9 with the
//! Google News extension), RSS 2.0, RSS 1.0 (RDF), Atom, and plain-text sitemaps. The crawl
//! fetches a source, archives the raw response, then hands the body here, exactly as received;
//! the [`Entry`] URLs go on to `canonical` + `scope` and the `frontier` (docs/architecture.md), and a
//! [`Kind::SitemapIndex`]'s entries are more sources to fetch. The body may be gzip twice over
//! (`Content-Encoding: gzip` on a `.xml.gz` file): both layers are undone here, since the archive
//! keeps bodies verbatim (docs/archive.md). Parsing streams: the decompressed text is read through a
//! fixed-size buffer and never held whole, so memory stays bounded whatever the body expands to;
//! [`Limits`] caps the decompressed bytes and the entries, and a cut document still yields the
//! entries read before the cut. This module never touches the network, never resolves or
//! canonicalises URLs and never decides scope: entries are as written, the caller does the rest.
//! [`alternate_feeds`] finds the feeds an HTML page advertises; [`well_known`] names the sitemap
//! tried when robots.txt lists none (`robots::Robots::sitemaps` gives the listed ones).

mod alternate;
mod date;
mod input;
mod text;
mod xml;

use chrono::{DateTime, FixedOffset};
use url::Url;

pub use alternate::alternate_feeds;

/// Default for [`Limits::max_decoded`]: the sitemaps.org cap of 50 MB (52,428,800 bytes)
/// uncompressed per file.
pub const DEFAULT_MAX_DECODED: u64 = 50 * 1024 * 1024;

/// Default for [`Limits::max_entries`]: the sitemaps.org cap of 50,000 URLs per file.
pub const DEFAULT_MAX_ENTRIES: usize = 50_000;

/// The longest single token (a text node, a tag, a CDATA section, a text-sitemap line) read
/// whole. The XML reader buffers each token, so this, not [`Limits::max_decoded`], bounds the
/// memory a pathological body (50 MB without a `<`) can take. Generous: feeds inline whole
/// articles, sometimes with base64 images, in `<content:encoded>`.
pub const MAX_TOKEN: u64 = 8 * 1024 * 1024;

/// Gzip layers undone: `Content-Encoding: gzip` over a `.xml.gz` file is two.
const MAX_GZIP_LAYERS: usize = 2;

/// What to read before stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Decompressed bytes read at most: a gzip bomb stops here.
    pub max_decoded: u64,
    /// Entries returned at most.
    pub max_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_decoded: DEFAULT_MAX_DECODED,
            max_entries: DEFAULT_MAX_ENTRIES,
        }
    }
}

/// What the document is, from its root element (or from not being XML at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `<sitemapindex>`: the entries are sitemaps to fetch next.
    SitemapIndex,
    /// `<urlset>`: the entries are pages.
    UrlSet,
    /// `<rss>` (RSS 2.0 and earlier) or `<rdf:RDF>` (RSS 1.0).
    Rss,
    /// `<feed>` (Atom, RFC 4287).
    Atom,
    /// A text sitemap: one URL per line (sitemaps.org "Text file").
    Text,
}

/// One URL a source lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Trimmed, entities decoded, otherwise as written: possibly relative, not canonicalised.
    pub url: String,
    /// `<lastmod>`, else `<news:publication_date>`; `<pubDate>`, else `<dc:date>`; `<updated>`,
    /// else `<published>`. A time without a zone is +07:00; one that does not parse is `None`.
    pub modified: Option<DateTime<FixedOffset>>,
    /// `<news:title>`, the item's or the entry's `<title>`: trimmed, otherwise as given (the
    /// normalisation form is not changed).
    pub title: Option<String>,
}

/// Why reading stopped before the end of the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// [`Limits::max_entries`] entries were read and another followed.
    MaxEntries,
    /// [`Limits::max_decoded`] bytes were decompressed and the document went on.
    MaxDecoded,
    /// One token was longer than [`MAX_TOKEN`].
    LongToken,
    /// The XML is ill-formed, or ends before its root element closes, at this decompressed
    /// byte offset.
    Malformed { offset: u64 },
    /// The body stopped decompressing: a gzip stream cut short (a body cap) or corrupt.
    Corrupt,
}

/// What a source lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub kind: Kind,
    /// In document order. Entries without a URL are skipped.
    pub entries: Vec<Entry>,
    /// True when the document was not read to its end: `stop` says why.
    pub truncated: bool,
    /// `Some` exactly when `truncated`.
    pub stop: Option<Stop>,
}

impl Parsed {
    fn new(kind: Kind, entries: Vec<Entry>, stop: Option<Stop>) -> Parsed {
        Parsed {
            kind,
            entries,
            truncated: stop.is_some(),
            stop,
        }
    }
}

/// Why a body yields nothing at all. A document that breaks after its start is not an error:
/// [`parse`] returns what it read with [`Parsed::stop`] set.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the body is empty: there is no sitemap or feed to read")]
    Empty,
    #[error("the body does not decompress: it is corrupt gzip, check that it was fetched whole")]
    Corrupt(#[source] std::io::Error),
    #[error("the body is not well-formed xml before its root element: it is no sitemap or feed")]
    Malformed(#[source] quick_xml::Error),
    #[error("the root element <{0}> is not a sitemap or feed: check the source url")]
    UnknownRoot(String),
    #[error("the body is neither xml nor a list of urls: check the source url")]
    NotRecognised,
}

/// The URLs a sitemap or feed body lists. `body` is the response body exactly as received
/// (gzip layers are detected by their magic bytes, not by headers).
pub fn parse(body: &[u8], limits: &Limits) -> Result<Parsed, Error> {
    let mut input = input::Input::open(body, limits)?;
    match input.first_byte().map_err(Error::Corrupt)? {
        None => Err(Error::Empty),
        Some(b'<') => xml::parse(input, limits),
        Some(_) => text::parse(input, limits),
    }
}

/// Sitemaps to try on a host whose robots.txt names none: `/sitemap.xml` only, the one location
/// sitemaps.org and every CMS docs/profiles.md lists agree on (issue 9). `/sitemap_index.xml` and the
/// like are left out: each guess is a request to a small portal, and a sitemap index is normally
/// announced in robots.txt anyway. Empty for URLs that cannot have a path (`mailto:`).
pub fn well_known(host_root: &Url) -> Vec<Url> {
    host_root.join("/sitemap.xml").into_iter().collect()
}

#[cfg(test)]
mod tests;
