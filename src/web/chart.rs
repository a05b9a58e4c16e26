//! The 30-day chart of new articles per day (issue 19): an inline SVG drawn on the server,
//! one bar per day in +07:00, each with a `<title>` tooltip. No script, no external resource.

use std::collections::HashMap;
use std::fmt::Write as _;

use chrono::{DateTime, Days, Utc};

use crate::schedule::VIETNAM;

/// Days shown.
pub const DAYS: u64 = 30;
const BAR: u32 = 6;
const HEIGHT: u32 = 40;

/// The first day shown (YYYY-MM-DD, +07:00) when today is `now`'s day.
pub fn first_day(now: DateTime<Utc>) -> String {
    let today = now.with_timezone(&VIETNAM).date_naive();
    let first = today.checked_sub_days(Days::new(DAYS - 1)).unwrap_or(today);
    first.format("%Y-%m-%d").to_string()
}

/// The SVG for `counts` (day → new articles), the last [`DAYS`] days up to `now`'s day.
pub fn svg(counts: &[(String, u64)], now: DateTime<Utc>, label: &str) -> String {
    let by_day: HashMap<&str, u64> = counts.iter().map(|(d, n)| (d.as_str(), *n)).collect();
    let today = now.with_timezone(&VIETNAM).date_naive();
    let max = counts.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    let width = BAR * DAYS as u32;
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{HEIGHT}\" role=\"img\" aria-label=\"{}\">",
        super::html::esc(label)
    );
    let _ = write!(
        out,
        "<line x1=\"0\" y1=\"{HEIGHT}\" x2=\"{width}\" y2=\"{HEIGHT}\" stroke=\"#999\"/>"
    );
    for i in 0..DAYS {
        let Some(day) = today.checked_sub_days(Days::new(DAYS - 1 - i)) else {
            continue;
        };
        let key = day.format("%Y-%m-%d").to_string();
        let n = by_day.get(key.as_str()).copied().unwrap_or(0);
        let h = ((n * u64::from(HEIGHT - 2)).div_ceil(max)) as u32;
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{h}\"><title>{key}: {n}</title></rect>",
            i as u32 * BAR,
            HEIGHT - h,
            BAR - 1
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_bars_ending_today_in_vietnam_time() {
        let now = DateTime::parse_from_rfc3339("2026-03-01T20:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(first_day(now), "2026-02-01");
        let svg = svg(
            &[("2026-03-02".into(), 4), ("2026-02-20".into(), 2)],
            now,
            "x",
        );
        assert_eq!(svg.matches("<rect").count(), 30);
        assert!(svg.contains("<title>2026-03-02: 4</title>"), "{svg}");
        assert!(svg.contains("height=\"38\"><title>2026-03-02"));
        assert!(svg.contains("<title>2026-02-20: 2</title>"));
    }
}
