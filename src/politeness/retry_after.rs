//! `Retry-After` values (RFC 9110 §10.2.3): delta-seconds or an HTTP-date. Pure parsing.

use std::time::{Duration, SystemTime};

use chrono::{NaiveDateTime, TimeZone, Utc};

/// How long a `Retry-After: value` asks us to wait, seen at `now`. A date in the past gives
/// zero; anything unparsable gives `None` (the caller then uses its own backoff).
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // All digits but too long for u64: as good as forever, MAX_PAUSE bounds it later.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = http_date(value)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The three HTTP-date forms of RFC 9110 §5.6.7, all in GMT.
const FORMATS: [&str; 3] = [
    // IMF-fixdate, the one senders must use: "Sun, 06 Nov 1994 08:49:37 GMT".
    "%a, %d %b %Y %H:%M:%S GMT",
    // Obsolete RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT". chrono reads a two-digit year as
    // 1969..=2068, close to RFC 9110's "no more than 50 years ahead" rule and never a far
    // future date, which is the harmful mistake here.
    "%A, %d-%b-%y %H:%M:%S GMT",
    // Obsolete asctime(): "Sun Nov  6 08:49:37 1994".
    "%a %b %e %H:%M:%S %Y",
];

fn http_date(value: &str) -> Option<SystemTime> {
    let naive = FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(value, format).ok())?;
    Some(SystemTime::from(Utc.from_utc_datetime(&naive)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1994-11-06T08:49:37Z, the RFC's example instant.
    fn rfc_instant() -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777)
    }

    #[test]
    fn delta_seconds() {
        assert_eq!(
            retry_after("120", rfc_instant()),
            Some(Duration::from_secs(120))
        );
        assert_eq!(retry_after(" 0 ", rfc_instant()), Some(Duration::ZERO));
        let huge = retry_after("99999999999999999999999", rfc_instant());
        assert_eq!(huge, Some(Duration::from_secs(u64::MAX)));
    }

    #[test]
    fn imf_fixdate_in_the_future() {
        let now = rfc_instant() - Duration::from_secs(90);
        let got = retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now);
        assert_eq!(got, Some(Duration::from_secs(90)));
    }

    #[test]
    fn date_in_the_past_is_zero() {
        let now = rfc_instant() + Duration::from_secs(3600);
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn obsolete_forms() {
        let now = rfc_instant() - Duration::from_secs(10);
        let ten = Some(Duration::from_secs(10));
        assert_eq!(retry_after("Sunday, 06-Nov-94 08:49:37 GMT", now), ten);
        assert_eq!(retry_after("Sun Nov  6 08:49:37 1994", now), ten);
    }

    #[test]
    fn garbage_is_none() {
        for value in [
            "",
            "soon",
            "-5",
            "1.5",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 32 Nov 1994",
        ] {
            assert_eq!(retry_after(value, rfc_instant()), None, "{value:?}");
        }
    }
}
