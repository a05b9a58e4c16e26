//! Dates as Vietnamese portals write them, visible or structured.
//!
//! Part of the extract stage: the metadata cascade (docs/profiles.md) hands every
//! candidate string here and gets back an instant. Visible dates are always day first and carry
//! a weekday we ignore ("Thứ Năm", "Thứ 4", "Chủ Nhật", any case); structured values come from
//! JSON-LD, `<meta>` and `time[datetime]`, sometimes with `+0700` (no colon), sometimes without a
//! zone, sometimes as a bare date. A zone-less time is Vietnam time (+07:00, no DST); every
//! result is written back in +07:00. Pure string work: no HTML, no I/O.

use std::sync::LazyLock;

use chrono::{
    DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone,
};
use regex::Regex;

use super::chars::nfc;

/// Indochina Time, the only zone Vietnamese portals use (UTC+7, no daylight saving).
pub const ICT: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// An instant found on a page, and whether the page gave a time of day (a bare date loses to a
/// visible date-time in the cascade).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    pub at: DateTime<FixedOffset>,
    pub has_time: bool,
}

static DAY_MONTH_YEAR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|\D)(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:\D|$)").unwrap());
static CLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?:^|[^\d+\-])(\d{1,2})[:hH](\d{2})(?::(\d{2}))?").unwrap());
/// "(GMT+7)", "[GMT +7]", "UTC+07:00" right after the clock.
static ZONE_NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^\s*[(\[]?\s*(?:GMT|UTC)\s*([+\-])\s*(\d{1,2})(?::?(\d{2}))?").unwrap()
});
/// "+07:00", "+0700" right after the clock; four digits so "18:21 - 08/01/2026" is no zone.
static ZONE_NUMERIC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*([+\-])(\d{2}):?(\d{2})(?:\D|$)").unwrap());
static ISO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?\s*(Z|[+\-]\d{2}:?\d{2})?)?$",
    )
    .unwrap()
});

/// Parses a visible date line such as "Thứ Năm, ngày 05/01/2023 | 07:31" or
/// "14:29 | 01/10/2026". Returns `None` when the text holds no day/month/year.
pub fn parse_visible(s: &str) -> Option<DateTime<FixedOffset>> {
    visible_stamp(s).map(|stamp| stamp.at)
}

/// [`parse_visible`], telling whether a time of day was present.
pub fn visible_stamp(s: &str) -> Option<Stamp> {
    let s = nfc(s);
    let date = DAY_MONTH_YEAR.captures(&s)?;
    let date = NaiveDate::from_ymd_opt(num(&date, 3)?, num(&date, 2)?, num(&date, 1)?)
        .filter(plausible)?;
    let Some(clock) = CLOCK.captures(&s) else {
        return Some(midnight(date));
    };
    let time = NaiveTime::from_hms_opt(
        num(&clock, 1)?,
        num(&clock, 2)?,
        num(&clock, 3).unwrap_or(0),
    )?;
    let rest = &s[clock.get(0).map_or(s.len(), |m| m.end())..];
    let zone = ZONE_NAMED
        .captures(rest)
        .or_else(|| ZONE_NUMERIC.captures(rest));
    let offset = zone.and_then(|z| offset_of(&z)).unwrap_or(ICT);
    let at = offset
        .from_local_datetime(&NaiveDateTime::new(date, time))
        .single()?;
    Some(Stamp { at, has_time: true })
}

/// Parses a structured value: RFC 3339, ISO 8601 with `+0700` or no zone, a bare date, or (as
/// some CMSs put there) a visible-style date.
pub fn parse_structured(s: &str) -> Option<Stamp> {
    let s = s.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(s) {
        return plausible(&at.date_naive()).then_some(Stamp { at, has_time: true });
    }
    match ISO.captures(s) {
        Some(caps) => iso_stamp(&caps),
        None => visible_stamp(s),
    }
}

/// Writes an instant as RFC 3339 in +07:00, the index's form ("2023-01-05T07:31:00+07:00").
pub fn to_rfc3339(at: &DateTime<FixedOffset>) -> String {
    at.with_timezone(&ICT)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// A publication date a news page can really carry: calendar widgets, ids and placeholders
/// ("01/01/0000") are not (found by tests/properties: `parsed_years_are_plausible`).
fn plausible(date: &NaiveDate) -> bool {
    (1900..=2200).contains(&date.year())
}

fn iso_stamp(caps: &regex::Captures) -> Option<Stamp> {
    let date =
        NaiveDate::from_ymd_opt(num(caps, 1)?, num(caps, 2)?, num(caps, 3)?).filter(plausible)?;
    let (Some(hour), Some(minute)) = (num(caps, 4), num(caps, 5)) else {
        return Some(midnight(date));
    };
    let time = NaiveTime::from_hms_opt(hour, minute, num(caps, 6).unwrap_or(0))?;
    let offset = match caps.get(7).map(|m| m.as_str()) {
        None => ICT,
        Some("Z") => FixedOffset::east_opt(0)?,
        Some(zone) => parse_offset(zone)?,
    };
    let at = offset
        .from_local_datetime(&NaiveDateTime::new(date, time))
        .single()?;
    Some(Stamp { at, has_time: true })
}

fn midnight(date: NaiveDate) -> Stamp {
    let at = ICT.from_utc_datetime(&(NaiveDateTime::from(date) - chrono::Duration::hours(7)));
    Stamp {
        at,
        has_time: false,
    }
}

/// "+0700", "+07:00", "-03:30" → offset.
fn parse_offset(zone: &str) -> Option<FixedOffset> {
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let digits: String = zone.chars().filter(char::is_ascii_digit).collect();
    let hours: i32 = digits.get(0..2)?.parse().ok()?;
    let minutes: i32 = digits.get(2..4)?.parse().ok()?;
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

/// "GMT +7", "+07:00", "(GMT+7)" captured by [`ZONE_NAMED`] or [`ZONE_NUMERIC`] → offset.
fn offset_of(caps: &regex::Captures) -> Option<FixedOffset> {
    let sign = if caps.get(1)?.as_str() == "-" { -1 } else { 1 };
    let hours: i32 = num(caps, 2)?;
    let minutes: i32 = num(caps, 3).unwrap_or(0);
    if hours > 14 || minutes > 59 {
        return None;
    }
    FixedOffset::east_opt(sign * (hours * 3600 + minutes * 60))
}

fn num<T: std::str::FromStr>(caps: &regex::Captures, group: usize) -> Option<T> {
    caps.get(group)?.as_str().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_normalization::UnicodeNormalization;

    fn visible(s: &str) -> String {
        to_rfc3339(&parse_visible(s).unwrap())
    }

    #[test]
    fn every_visible_format_in_portals_md() {
        let cases = [
            (
                "Thứ Năm, ngày 05/01/2023 | 07:31",
                "2023-01-05T07:31:00+07:00",
            ),
            ("08/01/2026 - 18:21", "2026-01-08T18:21:00+07:00"),
            (
                "Thứ 4, 01/12/2021 | 11:51:00 [GMT +7]",
                "2021-12-01T11:51:00+07:00",
            ),
            ("14:29 | 01/10/2026", "2026-10-01T14:29:00+07:00"),
            ("07:31 05/01/2023", "2023-01-05T07:31:00+07:00"),
            (
                "Thứ ba, 23/12/2025 09:02 (GMT+7)",
                "2025-12-23T09:02:00+07:00",
            ),
            (
                "Thứ Tư, 24/12/2025 09:30:00 +07:00",
                "2025-12-24T09:30:00+07:00",
            ),
        ];
        for (input, want) in cases {
            assert_eq!(visible(input), want, "{input}");
        }
    }

    #[test]
    fn weekday_case_and_nfd_do_not_matter() {
        for weekday in [
            "THỨ TƯ",
            "thứ tư",
            "Chủ Nhật",
            "Thứ 7",
            "Thứ Bảy",
            "chủ nhật",
        ] {
            let line = format!("{weekday}, 24/12/2025 09:30:00 +07:00");
            assert_eq!(visible(&line), "2025-12-24T09:30:00+07:00", "{line}");
            let nfd: String = line.nfd().collect();
            assert_ne!(
                nfd, line,
                "the NFD form must differ for this test to mean anything"
            );
            assert_eq!(visible(&nfd), "2025-12-24T09:30:00+07:00", "NFD {line}");
        }
    }

    #[test]
    fn other_zones_are_converted_to_vietnam_time() {
        assert_eq!(
            visible("24/12/2025 02:30 GMT+0"),
            "2025-12-24T09:30:00+07:00"
        );
        assert_eq!(
            visible("24/12/2025 09:30 (GMT+7)"),
            "2025-12-24T09:30:00+07:00"
        );
        // A dash before a date is no zone.
        assert_eq!(visible("18:21 - 08/01/2026"), "2026-01-08T18:21:00+07:00");
    }

    #[test]
    fn a_visible_date_without_time_is_midnight_and_says_so() {
        let stamp = visible_stamp("Thứ Hai, 05/01/2023").unwrap();
        assert!(!stamp.has_time);
        assert_eq!(to_rfc3339(&stamp.at), "2023-01-05T00:00:00+07:00");
    }

    #[test]
    fn impossible_or_missing_dates_are_none() {
        assert_eq!(parse_visible("32/01/2023 07:31"), None);
        assert_eq!(parse_visible("05/13/2023"), None);
        assert_eq!(parse_visible("Cập nhật 5 phút trước"), None);
        assert_eq!(parse_visible("07:31 hôm nay"), None);
        // A bad time of day makes the whole line unreliable.
        assert_eq!(parse_visible("05/01/2023 25:10"), None);
    }

    #[test]
    fn structured_values_in_all_their_shapes() {
        let cases = [
            (
                "2025-06-17T13:43:02+0700",
                "2025-06-17T13:43:02+07:00",
                true,
            ),
            (
                "2025-12-24T09:30:00+07:00",
                "2025-12-24T09:30:00+07:00",
                true,
            ),
            (
                "2025-12-23T09:02:07.000+07:00",
                "2025-12-23T09:02:07+07:00",
                true,
            ),
            ("2025-12-24T09:30:00", "2025-12-24T09:30:00+07:00", true),
            ("2021-12-01 11:51:00", "2021-12-01T11:51:00+07:00", true),
            ("2023-01-05T00:31:00Z", "2023-01-05T07:31:00+07:00", true),
            ("2026-01-08", "2026-01-08T00:00:00+07:00", false),
            ("17/06/2025 13:43", "2025-06-17T13:43:00+07:00", true),
        ];
        for (input, want, has_time) in cases {
            let stamp = parse_structured(input).unwrap_or_else(|| panic!("{input}"));
            assert_eq!(to_rfc3339(&stamp.at), want, "{input}");
            assert_eq!(stamp.has_time, has_time, "{input}");
        }
        assert_eq!(parse_structured("not a date"), None);
        assert_eq!(parse_structured("2025-02-30T10:00:00"), None);
    }
}
