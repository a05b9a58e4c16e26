//! Date parsing (`extract::dates`) on arbitrary text and on Vietnamese date lines with random
//! weekday words, separators, clocks, zones and NFD. Invariants: no panic; a zone-less input
//! comes back in +07:00; `dd/mm/yyyy HH:MM` round-trips; RFC 3339 round-trips; the index form
//! is always +07:00; parsed years are plausible.

use baoluu::extract::dates::{ICT, parse_structured, parse_visible, to_rfc3339, visible_stamp};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Timelike};
use proptest::prelude::*;

use crate::common::{any_text, cases, maybe_nfd, phrase};

const WEEKDAYS: &[&str] = &[
    "Thứ Hai",
    "Thứ Ba",
    "Thứ Tư",
    "Thứ Năm",
    "Thứ Sáu",
    "Thứ Bảy",
    "Chủ Nhật",
    "Thứ 2",
    "Thứ 7",
    "THỨ TƯ",
    "chủ nhật",
    "thứ năm",
    "",
];

fn weekday() -> impl Strategy<Value = String> {
    prop::sample::select(WEEKDAYS)
        .prop_map(str::to_string)
        .prop_flat_map(maybe_nfd)
}

fn separator() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        " ", ", ", " | ", " - ", "  ", ", ngày ", " lúc ", "\u{a0}", " — ",
    ])
    .prop_map(str::to_string)
}

fn date_sep() -> impl Strategy<Value = char> {
    prop::sample::select(vec!['/', '.', '-'])
}

/// A calendar date-time in the years Vietnamese portals could plausibly print.
fn local_time() -> impl Strategy<Value = NaiveDateTime> {
    (
        1900i32..=2199,
        1u32..=12,
        1u32..=31,
        0u32..24,
        0u32..60,
        0u32..60,
    )
        .prop_filter_map("no such day", |(y, mo, d, h, mi, s)| {
            NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_opt(h, mi, s)
        })
}

/// A zone suffix as portals write it, with the offset it means.
fn zone() -> impl Strategy<Value = (String, Option<i32>)> {
    prop_oneof![
        3 => Just((String::new(), None)),
        1 => Just((" (GMT+7)".to_string(), Some(7 * 3600))),
        1 => Just((" [GMT +7]".to_string(), Some(7 * 3600))),
        1 => Just((" +07:00".to_string(), Some(7 * 3600))),
        1 => Just((" GMT+0".to_string(), Some(0))),
        1 => (0i32..=14, prop::bool::ANY).prop_map(|(h, east)| {
            let sign = if east { '+' } else { '-' };
            let secs = if east { h * 3600 } else { -h * 3600 };
            (format!(" UTC{sign}{h}"), Some(secs))
        }),
    ]
}

/// A Vietnamese visible date line: weekday, date and clock in either order, random separators.
fn date_line() -> impl Strategy<Value = (String, NaiveDateTime, Option<i32>)> {
    (
        weekday(),
        separator(),
        local_time(),
        date_sep(),
        separator(),
        prop::bool::ANY,
        zone(),
        prop::bool::ANY,
        phrase(),
    )
        .prop_map(
            |(wd, s1, at, ds, s2, seconds, (zone, offset), clock_first, tail)| {
                let date = format!("{:02}{ds}{:02}{ds}{}", at.day(), at.month(), at.year());
                let clock = if seconds {
                    format!("{:02}:{:02}:{:02}", at.hour(), at.minute(), at.second())
                } else {
                    format!("{:02}:{:02}", at.hour(), at.minute())
                };
                let at = if seconds {
                    at
                } else {
                    at.with_second(0).unwrap_or(at)
                };
                let line = if clock_first {
                    format!("{clock}{zone}{s1}{date} {tail}")
                } else {
                    format!("{wd}{s1}{date}{s2}{clock}{zone} {tail}")
                };
                (line, at, offset)
            },
        )
}

/// Strings that look a little like dates: digits, separators, weekday words.
fn date_ish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        "[0-9]{1,5}",
        "[/.\\-:hH+ ]{1,2}",
        weekday(),
        Just("GMT".to_string()),
        Just("UTC".to_string()),
        Just("T".to_string()),
        Just("Z".to_string()),
        Just("٠١".to_string()),
        Just("１２".to_string()),
    ];
    prop::collection::vec(token, 0..12).prop_map(|t| t.concat())
}

fn offset() -> impl Strategy<Value = FixedOffset> {
    (-14 * 60i32..=14 * 60).prop_filter_map("offset", |m| FixedOffset::east_opt(m * 60))
}

fn in_ict(local: NaiveDateTime) -> DateTime<FixedOffset> {
    ICT.from_local_datetime(&local).unwrap()
}

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn parsing_never_panics(text in prop_oneof![any_text(), date_ish()]) {
        let visible = parse_visible(&text);
        let structured = parse_structured(&text);
        for at in visible.iter().chain(structured.as_ref().map(|s| &s.at)) {
            prop_assert!(to_rfc3339(at).ends_with("+07:00"), "{}", to_rfc3339(at));
        }
    }

    #[test]
    fn visible_lines_parse_to_what_they_say((line, at, offset) in date_line()) {
        let parsed = parse_visible(&line);
        prop_assert!(parsed.is_some(), "{:?} did not parse", line);
        let parsed = parsed.unwrap();
        match offset {
            None => {
                prop_assert_eq!(parsed.offset(), &ICT, "{:?}", line);
                prop_assert_eq!(parsed, in_ict(at), "{:?}", line);
            }
            Some(secs) => {
                let zone = FixedOffset::east_opt(secs).unwrap();
                prop_assert_eq!(parsed, zone.from_local_datetime(&at).unwrap(), "{:?}", line);
            }
        }
        prop_assert!(to_rfc3339(&parsed).ends_with("+07:00"));
    }

    #[test]
    fn formatted_dd_mm_yyyy_hh_mm_round_trips(at in local_time()) {
        let at = at.with_second(0).unwrap();
        let line = at.format("%d/%m/%Y %H:%M").to_string();
        prop_assert_eq!(parse_visible(&line), Some(in_ict(at)));
        let stamp = visible_stamp(&line).unwrap();
        prop_assert!(stamp.has_time);
    }

    #[test]
    fn a_date_without_clock_is_midnight_in_vietnam(at in local_time(), wd in weekday()) {
        let line = format!("{wd}, {}", at.format("%d/%m/%Y"));
        let stamp = visible_stamp(&line);
        prop_assert_eq!(stamp.map(|s| s.has_time), Some(false));
        prop_assert_eq!(stamp.map(|s| s.at), Some(in_ict(at.date().and_hms_opt(0, 0, 0).unwrap())));
    }

    #[test]
    fn rfc3339_round_trips(at in local_time(), zone in offset()) {
        let Some(at) = zone.from_local_datetime(&at).single() else { return Ok(()); };
        let stamp = parse_structured(&at.to_rfc3339());
        prop_assert_eq!(stamp.map(|s| s.at), Some(at));
        let written = to_rfc3339(&at);
        prop_assert!(written.ends_with("+07:00"));
        prop_assert_eq!(parse_structured(&written).map(|s| s.at), Some(at));
    }

    #[test]
    fn zone_less_iso_is_vietnam_time(at in local_time(), t in prop::sample::select(vec!["T", " "])) {
        let text = format!("{}{t}{}", at.format("%Y-%m-%d"), at.format("%H:%M:%S"));
        let stamp = parse_structured(&text);
        prop_assert_eq!(stamp.map(|s| s.at), Some(in_ict(at)));
        prop_assert_eq!(stamp.map(|s| *s.at.offset()), Some(ICT));
    }
}

proptest! {
    #![proptest_config(cases(1024))]

    /// The extractor takes the first date-shaped text of a page, so a parser that accepts any
    /// four digits as a year puts "0001" or "9999" into the index (issue 7 report: a bug).
    #[test]
    fn parsed_years_are_plausible(text in prop_oneof![date_ish(), "[0-9]{2}/[0-9]{2}/[0-9]{4}"]) {
        for at in parse_visible(&text).iter().chain(parse_structured(&text).as_ref().map(|s| &s.at)) {
            let year = at.with_timezone(&ICT).year();
            prop_assert!((1900..=2200).contains(&year), "{:?} gave year {}", text, year);
        }
    }
}
