//! One configuration file as text, and how to point at a place in it.
//!
//! The `config` stage reads each TOML file once into a [`Document`]; both phases report problems
//! through it, so every [`Error`] carries the file, the 1-based line and the dotted key
//! (`crawler.min_delay`, `portal "cantho".article_urls[0]`, `portal[1].name`). Serde errors carry
//! only a byte span: the key is recovered by walking the spanned TOML tree to the deepest entry at
//! that span. Never validates values itself.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Error;

/// A configuration file's path and text.
#[derive(Debug)]
pub struct Document {
    pub path: PathBuf,
    pub text: String,
}

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(usize),
}

impl Document {
    /// Reads a file; a missing or unreadable file is an error without a line.
    pub fn read(path: &Path) -> Result<Document, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error {
            file: path.to_path_buf(),
            line: None,
            key: None,
            message: read_failure(&e),
        })?;
        Ok(Document {
            path: path.to_path_buf(),
            text,
        })
    }

    /// 1-based line of a byte offset.
    pub fn line_at(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    }

    /// An error located at a span, under a dotted key.
    pub fn error(
        &self,
        span: Range<usize>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        Error {
            file: self.path.clone(),
            line: Some(self.line_at(span.start)),
            key: Some(key.into()),
            message: message.into(),
        }
    }

    /// An error about a positioned value.
    pub fn at<T>(
        &self,
        value: &Spanned<T>,
        key: impl Into<String>,
        message: impl Into<String>,
    ) -> Error {
        self.error(value.span(), key, message)
    }

    /// Phase one: the raw serde mirror, with serde's errors turned into located ones.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Error> {
        toml::from_str(&self.text).map_err(|e| self.located(&e))
    }

    fn located(&self, e: &toml::de::Error) -> Error {
        let Ok(tree) = DeTable::parse(&self.text) else {
            return self.syntax_error(e);
        };
        let message = e.message();
        let mut span = e.span().unwrap_or(0..0);
        let mut path = (e.span())
            .and_then(|s| path_in_table(tree.get_ref(), s.start))
            .unwrap_or_default();
        if let Some(field) = quoted_after(message, "missing field `") {
            path.push(Step::Key(field.to_string()));
        } else if let (None, Some(field)) = (e.span(), quoted_after(message, "unknown field `")) {
            // Serde may report an unknown key without a position: find the key by name.
            if let Some((found, at)) = find_key(tree.get_ref(), field) {
                (path, span) = (found, at);
            }
        }
        let key = render(&path, tree.get_ref());
        let mut message = friendly(message);
        if path.len() == 1 && message.contains("is missing") {
            message = message.replace("add it to this table", "add it to the file");
        }
        self.error(span, key, message)
    }

    /// A TOML syntax error: the tree could not be built, so the key comes from the text around
    /// the error (the last table header and the `key =` on the error's line).
    fn syntax_error(&self, e: &toml::de::Error) -> Error {
        let line = self.line_at(e.span().map_or(0, |s| s.start));
        Error {
            file: self.path.clone(),
            line: Some(line),
            key: Some(key_on_line(&self.text, line)),
            message: format!("invalid toml syntax: {}; fix this line", e.message()),
        }
    }
}

fn read_failure(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => {
            "configuration file not found: create it or pass --config PATH".to_string()
        }
        std::io::ErrorKind::InvalidData => {
            "configuration file is not valid utf-8: save it as utf-8".to_string()
        }
        _ => format!("cannot read the configuration file ({e}): check its permissions"),
    }
}

/// Rewrites serde's wording ("unknown field", "invalid type") in the configuration's terms.
fn friendly(message: &str) -> String {
    if let Some(field) = quoted_after(message, "unknown field `") {
        let known = message.split_once(", expected ").map_or("", |(_, k)| k);
        return format!(
            "unknown key `{field}`: remove it or fix its spelling (allowed here: {known})"
        );
    }
    if let Some(field) = quoted_after(message, "missing field `") {
        return format!("required key `{field}` is missing: add it to this table");
    }
    let message = message
        .replace("expected usize", "expected a non-negative integer")
        .replace("expected u32", "expected a non-negative integer")
        .replace("expected f64", "expected a number");
    format!("{message}: fix the value")
}

/// The text between `prefix` and the next backtick.
fn quoted_after<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.split_once(prefix)?.1;
    rest.split_once('`').map(|(name, _)| name)
}

fn contains(span: &Range<usize>, offset: usize) -> bool {
    span.start <= offset && (offset < span.end || span.start == span.end)
}

/// The deepest key path at `offset`: children are searched before their parent, because a table
/// opened by a header (`[[portal]]`) spans only its header line, not its keys.
fn path_in_table(table: &DeTable, offset: usize) -> Option<Vec<Step>> {
    table.iter().find_map(|(key, value)| {
        let head = Step::Key(key.get_ref().to_string());
        if contains(&key.span(), offset) {
            return Some(vec![head]);
        }
        path_in_value(value, offset).map(|rest| prepend(head, rest))
    })
}

fn path_in_value(value: &Spanned<DeValue>, offset: usize) -> Option<Vec<Step>> {
    let deeper = match value.get_ref() {
        DeValue::Table(table) => path_in_table(table, offset),
        DeValue::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            path_in_value(item, offset).map(|rest| prepend(Step::Index(i), rest))
        }),
        _ => None,
    };
    deeper.or_else(|| contains(&value.span(), offset).then(Vec::new))
}

fn prepend(head: Step, mut rest: Vec<Step>) -> Vec<Step> {
    rest.insert(0, head);
    rest
}

/// The first key named `name` anywhere in the tree, with its path and span.
fn find_key(table: &DeTable, name: &str) -> Option<(Vec<Step>, Range<usize>)> {
    table.iter().find_map(|(key, value)| {
        let head = Step::Key(key.get_ref().to_string());
        if key.get_ref() == name {
            return Some((vec![head], key.span()));
        }
        let children: Vec<(Option<usize>, &DeTable)> = match value.get_ref() {
            DeValue::Table(t) => vec![(None, t)],
            DeValue::Array(items) => (items.iter().enumerate())
                .filter_map(|(i, v)| v.get_ref().as_table().map(|t| (Some(i), t)))
                .collect(),
            _ => Vec::new(),
        };
        children.into_iter().find_map(|(index, child)| {
            let (rest, span) = find_key(child, name)?;
            let rest = index.map_or(rest.clone(), |i| prepend(Step::Index(i), rest));
            Some((prepend(head.clone(), rest), span))
        })
    })
}

/// `[Key portal, Index 1, Key seeds, Index 0]` → `portal "cantho".seeds[0]` when portal 1 has a
/// name, else `portal[1].seeds[0]`.
fn render(path: &[Step], tree: &DeTable) -> String {
    let mut out = String::new();
    for (i, step) in path.iter().enumerate() {
        match step {
            Step::Key(k) if i == 0 => out.push_str(k),
            Step::Key(k) => out.push_str(&format!(".{k}")),
            Step::Index(n) if i == 1 && path[0] == Step::Key("portal".into()) => {
                out = portal_key(*n, portal_name(tree, *n));
            }
            Step::Index(n) => out.push_str(&format!("[{n}]")),
        }
    }
    out
}

fn portal_name<'t>(tree: &'t DeTable, index: usize) -> Option<&'t str> {
    let portals = tree.get("portal")?.get_ref().as_array()?;
    portals
        .get(index)?
        .get_ref()
        .get("name")?
        .get_ref()
        .as_str()
}

/// How a portal is named in error keys: by its name when it has one, else by its index within
/// its file.
pub fn portal_key(index: usize, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("portal {name:?}"),
        None => format!("portal[{index}]"),
    }
}

/// Best-effort key for a line of a file that does not parse: the enclosing table header
/// (`[crawler]`, the n-th `[[portal]]`, `[portal.selectors]`) plus the `key =` on that line.
fn key_on_line(text: &str, line: usize) -> String {
    let mut table = String::new();
    let mut portals = 0;
    for l in text.lines().take(line.saturating_sub(1)) {
        let l = l.trim();
        if let Some(name) = l.strip_prefix("[[").and_then(|r| r.split_once("]]")) {
            table = format!("{}[{portals}]", name.0.trim());
            portals += 1;
        } else if let Some(name) = l.strip_prefix('[').and_then(|r| r.split_once(']')) {
            table = header_key(name.0.trim(), portals);
        }
    }
    let here = text.lines().nth(line.saturating_sub(1)).unwrap_or("");
    let key = here.split_once('=').map(|(k, _)| k.trim()).unwrap_or("");
    match (table.is_empty(), key.is_empty()) {
        (_, true) => table,
        (true, false) => key.to_string(),
        (false, false) => format!("{table}.{key}"),
    }
}

/// `portal.selectors` after the n-th `[[portal]]` → `portal[n-1].selectors`.
fn header_key(name: &str, portals: usize) -> String {
    match name.strip_prefix("portal.") {
        Some(rest) if portals > 0 => format!("portal[{}].{rest}", portals - 1),
        _ => name.to_string(),
    }
}
