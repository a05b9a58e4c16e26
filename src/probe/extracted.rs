//! The key fields of one extraction, as the probe shows and compares them.
//!
//! Part of `probe`: the extractor runs twice on the page (the best family's selectors, and
//! none), and the user needs to see at a glance what each produced; the snippet compares the
//! two field by field ([`Extracted::agrees`]). Holds copies, never the page.

use serde::Serialize;

use super::matching::shorten;
use crate::extract::Article;

/// How much of the body the probe shows, in characters.
const BODY_START_CHARS: usize = 200;
/// Two bodies of lengths within this ratio of each other are the same body, give or take a
/// caption or a byline.
const BODY_LENGTH_TOLERANCE: f64 = 0.1;

/// The key fields of an [`Article`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Extracted {
    /// `generic` or `family NAME`.
    pub selectors: String,
    pub title: String,
    pub published: Option<String>,
    pub authors: Vec<String>,
    pub lead: Option<String>,
    /// Characters (not bytes) of body text.
    pub body_chars: usize,
    /// The body's first 200 characters.
    pub body_start: String,
    pub images: usize,
    pub flags: Vec<String>,
    pub canonical_url: Option<String>,
}

impl Extracted {
    pub fn new(selectors: &str, article: &Article) -> Extracted {
        Extracted {
            selectors: selectors.to_string(),
            title: article.title.clone(),
            published: article.published.clone(),
            authors: article.authors.clone(),
            lead: article.lead.clone(),
            body_chars: article.text.chars().count(),
            body_start: shorten(&article.text, BODY_START_CHARS),
            images: article.images.len(),
            flags: article.flags.clone(),
            canonical_url: article.canonical_url.clone(),
        }
    }

    /// Did both extractions find the same `field` (`title`, `lead`, `body`, `published`,
    /// `byline`)? Bodies agree when they start alike or have about the same length.
    pub fn agrees(&self, other: &Extracted, field: &str) -> bool {
        match field {
            "title" => self.title == other.title,
            "lead" => self.lead == other.lead,
            "published" => self.published == other.published,
            "byline" => self.authors == other.authors,
            "body" => self.body_start == other.body_start || self.similar_length(other),
            _ => true,
        }
    }

    fn similar_length(&self, other: &Extracted) -> bool {
        let (a, b) = (self.body_chars as f64, other.body_chars as f64);
        a.max(b) > 0.0 && (a - b).abs() / a.max(b) <= BODY_LENGTH_TOLERANCE
    }

    /// Whether this extraction found `field` at all.
    pub fn has(&self, field: &str) -> bool {
        match field {
            "title" => !self.title.is_empty(),
            "lead" => self.lead.is_some(),
            "published" => self.published.is_some(),
            "byline" => !self.authors.is_empty(),
            "body" => self.body_chars > 0,
            _ => false,
        }
    }

    /// The value of `field` as one short line, for the snippet's comments.
    pub fn value(&self, field: &str) -> String {
        let text = match field {
            "title" => self.title.clone(),
            "lead" => self.lead.clone().unwrap_or_default(),
            "published" => self.published.clone().unwrap_or_default(),
            "byline" => self.authors.join(", "),
            "body" => format!("{} chars", self.body_chars),
            _ => String::new(),
        };
        shorten(&text, 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(title: &str, text: &str) -> Article {
        Article {
            title: title.to_string(),
            text: text.to_string(),
            ..Article::default()
        }
    }

    #[test]
    fn bodies_are_counted_in_characters_and_cut_at_200() {
        let text = "ữ".repeat(300);
        let e = Extracted::new("generic", &article("T", &text));
        assert_eq!(e.body_chars, 300);
        assert_eq!(e.body_start.chars().count(), 200);
        assert!(e.body_start.ends_with('…'));
    }

    #[test]
    fn agreement_is_per_field_and_loose_for_bodies() {
        let a = Extracted::new("generic", &article("Tiêu đề", &"a".repeat(1000)));
        let b = Extracted::new("family cms", &article("Khác", &"b".repeat(950)));
        assert!(!a.agrees(&b, "title"));
        assert!(a.agrees(&b, "body"), "within 10% of each other");
        let c = Extracted::new("family cms", &article("Tiêu đề", &"c".repeat(500)));
        assert!(a.agrees(&c, "title") && !a.agrees(&c, "body"));
        assert!(a.agrees(&c, "published") && !a.has("published"));
    }
}
