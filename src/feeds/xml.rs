//! XML sources: sitemap indexes, sitemaps, RSS 2.0, RSS 1.0 (RDF) and Atom.
//!
//! Part of the feeds stage, after [`super::input`]. A streaming pull parser reads one event at a
//! time into a reused buffer; the root element names the [`Kind`], and every entry element
//! (`<sitemap>`, `<url>`, `<item>`, `<entry>`) fills a [`Draft`] from the few child elements
//! the kind defines. Elements are matched by local name whatever their prefix (`<ns0:loc>`,
//! `<sm:urlset>`, `<news:title>`): real sitemaps bind the sitemaps.org namespace to any prefix,
//! or to none, or misspell it, and no two formats here share a local name in the same place.
//! Never resolves URLs.

mod draft;

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesRef, BytesStart, Event};

use super::input::Input;
use super::{Entry, Error, Kind, Limits, Parsed, Stop};
use draft::Draft;

/// Elements deeper than this below an entry are skipped: nothing we read is nested so deep,
/// and the path must not grow with a hostile document.
const MAX_PATH: usize = 8;

/// Reads an XML document whose first non-blank byte is `<`.
pub(super) fn parse(input: Input, limits: &Limits) -> Result<Parsed, Error> {
    let mut reader = Reader::from_reader(input);
    let config = reader.config_mut();
    // A bare `&` in a URL query is the commonest sitemap error; it means itself.
    config.allow_dangling_amp = true;
    let mut buf = Vec::new();
    let Some((kind, empty)) = root(&mut reader, &mut buf)? else {
        return Err(Error::Empty);
    };
    if empty {
        return Ok(Parsed::new(kind, Vec::new(), None));
    }
    let mut scan = Scan::new(kind, limits.max_entries);
    let stop = scan.run(&mut reader, &mut buf);
    let stop = reader.get_ref().cut().or(stop);
    Ok(Parsed::new(kind, scan.entries, stop))
}

/// The root element's kind, and whether it is empty (`<urlset/>`); `None` at the end of input.
fn root<R: BufRead>(
    reader: &mut Reader<R>,
    buf: &mut Vec<u8>,
) -> Result<Option<(Kind, bool)>, Error> {
    loop {
        buf.clear();
        let (start, empty) = match reader.read_event_into(buf).map_err(start_error)? {
            Event::Start(start) => (start, false),
            Event::Empty(start) => (start, true),
            Event::Eof => return Ok(None),
            _ => continue,
        };
        let name = start.local_name();
        return match kind_of_root(name.as_ref()) {
            Some(kind) => Ok(Some((kind, empty))),
            None => Err(Error::UnknownRoot(name.as_ref().to_string())),
        };
    }
}

/// A failure before the root element: a gzip stream that breaks that early is corrupt, not
/// ill-formed XML.
fn start_error(error: quick_xml::Error) -> Error {
    match error {
        quick_xml::Error::Io(io) => Error::Corrupt(std::io::Error::new(io.kind(), io)),
        other => Error::Malformed(other),
    }
}

fn kind_of_root(name: &str) -> Option<Kind> {
    let kinds = [
        ("sitemapindex", Kind::SitemapIndex),
        ("urlset", Kind::UrlSet),
        ("rss", Kind::Rss),
        ("rdf", Kind::Rss),
        ("feed", Kind::Atom),
    ];
    kinds
        .into_iter()
        .find(|(root, _)| name.eq_ignore_ascii_case(root))
        .map(|(_, kind)| kind)
}

/// What an event does to the scan.
enum Flow {
    Go,
    Stop(Option<Stop>),
}

/// The walk below the root element.
struct Scan {
    kind: Kind,
    entry_name: &'static str,
    max_entries: usize,
    /// Open elements below the root.
    depth: usize,
    /// The entry being read, with its depth.
    draft: Option<(usize, Draft)>,
    entries: Vec<Entry>,
}

impl Scan {
    fn new(kind: Kind, max_entries: usize) -> Scan {
        let entry_name = match kind {
            Kind::SitemapIndex => "sitemap",
            Kind::UrlSet => "url",
            Kind::Rss => "item",
            Kind::Atom => "entry",
            // Text sitemaps never reach the XML walk.
            Kind::Text => "",
        };
        Scan {
            kind,
            entry_name,
            max_entries,
            depth: 0,
            draft: None,
            entries: Vec::new(),
        }
    }

    /// Reads events until the root closes, the input fails or a limit is met.
    fn run(&mut self, reader: &mut Reader<Input>, buf: &mut Vec<u8>) -> Option<Stop> {
        loop {
            buf.clear();
            let event = match reader.read_event_into(buf) {
                Ok(event) => event,
                Err(quick_xml::Error::Io(_)) => return Some(Stop::Corrupt),
                Err(_) => {
                    let offset = reader.error_position();
                    return Some(Stop::Malformed { offset });
                }
            };
            let offset = reader.buffer_position();
            if let Flow::Stop(stop) = self.event(event, offset) {
                return stop;
            }
            reader.get_mut().mark();
        }
    }

    fn event(&mut self, event: Event, offset: u64) -> Flow {
        match event {
            Event::Start(start) => self.open(&start),
            Event::Empty(start) => {
                self.open(&start);
                return self.close();
            }
            Event::End(_) => return self.close(),
            Event::Text(text) => self.text(&text.xml10_content()),
            Event::CData(data) => self.text(&data.xml10_content()),
            Event::GeneralRef(reference) => self.text(&resolve(&reference)),
            Event::Eof => return Flow::Stop(Some(Stop::Malformed { offset })),
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
        Flow::Go
    }

    fn open(&mut self, start: &BytesStart) {
        self.depth += 1;
        let name = start.local_name();
        let name = name.as_ref();
        match &mut self.draft {
            Some((_, draft)) => draft.open(self.kind, name, start),
            None if name == self.entry_name => {
                let mut draft = Draft::default();
                draft.open_entry(start);
                self.draft = Some((self.depth, draft));
            }
            None => {}
        }
    }

    fn close(&mut self) -> Flow {
        if self.depth == 0 {
            // The root element closed: the document is complete.
            return Flow::Stop(None);
        }
        let entry_closed = matches!(&self.draft, Some((depth, _)) if *depth == self.depth);
        self.depth -= 1;
        if entry_closed {
            return self.finish_entry();
        }
        if let Some((_, draft)) = &mut self.draft {
            draft.close();
        }
        Flow::Go
    }

    fn finish_entry(&mut self) -> Flow {
        let Some(entry) = self.draft.take().and_then(|(_, draft)| draft.finish()) else {
            return Flow::Go;
        };
        if self.entries.len() >= self.max_entries {
            return Flow::Stop(Some(Stop::MaxEntries));
        }
        self.entries.push(entry);
        Flow::Go
    }

    fn text(&mut self, text: &str) {
        if let Some((_, draft)) = &mut self.draft {
            draft.text(text);
        }
    }
}

/// An entity or character reference as text: the five XML entities and character references
/// resolve; anything else (`&nbsp;` in a feed that never declared it) stays as written.
fn resolve(reference: &BytesRef) -> String {
    if let Ok(Some(c)) = reference.resolve_char_ref() {
        return c.to_string();
    }
    match quick_xml::escape::resolve_xml_entity(reference) {
        Some(text) => text.to_string(),
        None => format!("&{};", &**reference),
    }
}
