//! Dates in sitemaps and feeds: W3C Datetime (`<lastmod>`, `<news:publication_date>`, Atom) and
//! RFC 822 (`<pubDate>`).
//!
//! Part of the feeds stage. W3C Datetime and the ISO-like forms CMSs write go through
//! [`crate::extract::dates::parse_structured`], so a zone-less time means +07:00 here exactly as
//! on article pages. RFC 822 dates are what RSS 2.0 asks for and what feeds get wrong: wrong
//! weekdays, no zone, "GMT+7", "ICT". Pure string work.

use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset};
use regex::Regex;

use crate::extract::dates::parse_structured;

/// "GMT+7", "UTC +07:00", "GMT+0700" at the end of an RFC 822 date: not RFC 822 (whose parser
/// would take the bare "GMT" and drop the offset), written by Vietnamese CMSs.
static ZONE_WITH_OFFSET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\s*(?:GMT|UTC)\s*([+\-])(\d{1,2})(?::?(\d{2}))?$").expect("constant regex")
});

/// A leading "Tue, ": dropped on a second try, since chrono rejects a weekday that does not
/// match the date and feeds often carry one.
static WEEKDAY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*[A-Za-z]{3,9},\s*").expect("constant regex"));

/// An instant from a sitemap or feed date, or `None`.
pub(super) fn parse(text: &str) -> Option<DateTime<FixedOffset>> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let w3c = || {
        parse_structured(text)
            .map(|stamp| stamp.at)
            .or_else(|| year_or_month(text))
    };
    // "2026-…" is W3C Datetime: skip the RFC 822 attempts (50,000 lastmods per sitemap).
    if text.as_bytes().get(4) == Some(&b'-') {
        w3c()
    } else {
        rfc822(text).or_else(w3c)
    }
}

/// RFC 822 / RFC 2822 §3.3, leniently: with or without a (right) weekday, with a numeric or
/// named zone, "ICT" (Indochina Time), "GMT+7", or no zone at all (+07:00).
fn rfc822(text: &str) -> Option<DateTime<FixedOffset>> {
    if !text.contains(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    let text = normalised_zone(text);
    let without_weekday = WEEKDAY.replace(&text, "").into_owned();
    [text, without_weekday].iter().find_map(|candidate| {
        DateTime::parse_from_rfc2822(candidate)
            .or_else(|_| DateTime::parse_from_rfc2822(&format!("{candidate} +0700")))
            .ok()
    })
}

/// Rewrites "GMT+7" forms and "ICT" as a numeric zone RFC 2822 reads.
fn normalised_zone(text: &str) -> String {
    if let Some(stripped) = text.strip_suffix(" ICT") {
        return format!("{stripped} +0700");
    }
    let Some(caps) = ZONE_WITH_OFFSET.captures(text) else {
        return text.to_string();
    };
    let hours: u32 = caps[2].parse().unwrap_or(0);
    let minutes = caps.get(3).map_or("00", |m| m.as_str());
    let start = caps.get(0).map_or(text.len(), |m| m.start());
    format!("{} {}{hours:02}{minutes}", &text[..start], &caps[1])
}

/// W3C Datetime's reduced precisions "YYYY-MM" and "YYYY": the first day, +07:00.
fn year_or_month(text: &str) -> Option<DateTime<FixedOffset>> {
    let digits_and_dash = text.bytes().all(|b| b.is_ascii_digit() || b == b'-');
    let padded = match text.len() {
        7 if digits_and_dash => format!("{text}-01"),
        4 if digits_and_dash => format!("{text}-01-01"),
        _ => return None,
    };
    parse_structured(&padded).map(|stamp| stamp.at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rfc3339(text: &str) -> String {
        parse(text)
            .map(|at| at.to_rfc3339())
            .unwrap_or_else(|| "none".into())
    }

    #[test]
    fn w3c_datetime_forms() {
        let cases = [
            ("2026-01-08", "2026-01-08T00:00:00+07:00"),
            ("2026-01-08T18:21:00+07:00", "2026-01-08T18:21:00+07:00"),
            ("2026-01-08T11:21:00Z", "2026-01-08T11:21:00+00:00"),
            ("2026-01-08T18:21+07:00", "2026-01-08T18:21:00+07:00"),
            (
                "2026-01-08T18:21:00.123+07:00",
                "2026-01-08T18:21:00.123+07:00",
            ),
            ("2026-01-08T18:21:00", "2026-01-08T18:21:00+07:00"),
            ("2026-01-08 18:21:00", "2026-01-08T18:21:00+07:00"),
            ("2026-01-08T18:21:00+0700", "2026-01-08T18:21:00+07:00"),
            ("2026-01", "2026-01-01T00:00:00+07:00"),
            ("2026", "2026-01-01T00:00:00+07:00"),
        ];
        for (text, want) in cases {
            assert_eq!(rfc3339(text), want, "{text}");
        }
    }

    #[test]
    fn rfc822_forms_feeds_write() {
        let cases = [
            (
                "Thu, 08 Jan 2026 18:21:00 +0700",
                "2026-01-08T18:21:00+07:00",
            ),
            ("Thu, 08 Jan 2026 11:21:00 GMT", "2026-01-08T11:21:00+00:00"),
            ("8 Jan 2026 18:21:00 +0700", "2026-01-08T18:21:00+07:00"),
            // 8 January 2026 is a Thursday: the weekday is wrong and ignored.
            (
                "Mon, 08 Jan 2026 18:21:00 +0700",
                "2026-01-08T18:21:00+07:00",
            ),
            ("Thu, 08 Jan 2026 18:21:00", "2026-01-08T18:21:00+07:00"),
            (
                "Thu, 08 Jan 2026 18:21:00 GMT+7",
                "2026-01-08T18:21:00+07:00",
            ),
            (
                "Thu, 08 Jan 2026 18:21:00 GMT+07:00",
                "2026-01-08T18:21:00+07:00",
            ),
            ("Thu, 08 Jan 2026 18:21:00 ICT", "2026-01-08T18:21:00+07:00"),
        ];
        for (text, want) in cases {
            assert_eq!(rfc3339(text), want, "{text}");
        }
    }

    #[test]
    fn nonsense_is_none() {
        for text in [
            "",
            "  ",
            "hôm qua",
            "Thu, 32 Jan 2026",
            "20260108",
            "0000-00-00",
        ] {
            assert_eq!(rfc3339(text), "none", "{text}");
        }
    }
}
