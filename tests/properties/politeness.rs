//! `Retry-After` parsing (`politeness::retry_after`) on arbitrary header values and on the three
//! HTTP-date forms. Invariants: no panic; delta-seconds give exactly that many seconds; a date
//! gives at most the time from `now` to that date (zero when past).

use std::time::{Duration, SystemTime};

use baoluu::politeness::retry_after;
use chrono::{DateTime, Utc};
use proptest::prelude::*;

use crate::common::{any_text, cases};

/// Instants from 1970 to 2100, to the second.
fn instant() -> impl Strategy<Value = SystemTime> {
    (0u64..4_102_444_800).prop_map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
}

fn utc(at: SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(at)
}

/// `at` in one of RFC 9110 §5.6.7's three forms (the RFC 850 one only within its 1969..=2068
/// two-digit-year window).
fn http_date(at: SystemTime, form: usize) -> String {
    let at = utc(at);
    match form {
        0 => at.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
        1 => at.format("%A, %d-%b-%y %H:%M:%S GMT").to_string(),
        _ => at.format("%a %b %e %H:%M:%S %Y").to_string(),
    }
}

fn header_ish() -> impl Strategy<Value = String> {
    prop_oneof![
        any_text(),
        "[0-9]{0,30}",
        "[ \t]{0,2}[0-9+\\-.]{1,12}[ \t]{0,2}",
        "(Mon|Sun|Sunday), [0-9]{1,3}[ \\-](Nov|Feb|Foo)[ \\-][0-9]{1,9} [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2} (GMT|UTC)",
        "(Sun|Mon) (Nov|Feb) [ 0-9]{1,2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+\\-]?[0-9]{1,7}",
    ]
}

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn any_value_is_parsed_without_panic(value in header_ish(), now in instant()) {
        let _ = retry_after(&value, now);
        let _ = retry_after(&value, SystemTime::UNIX_EPOCH);
    }

    #[test]
    fn delta_seconds_mean_exactly_that(secs in any::<u64>(), pad in "[ \t]{0,2}", now in instant()) {
        let value = format!("{pad}{secs}{pad}");
        prop_assert_eq!(retry_after(&value, now), Some(Duration::from_secs(secs)));
        let zero_padded = format!("000{secs}");
        prop_assert_eq!(retry_after(&zero_padded, now), Some(Duration::from_secs(secs)));
    }

    #[test]
    fn signed_or_fractional_deltas_are_refused(secs in any::<u32>(), now in instant()) {
        for value in [format!("-{secs}"), format!("+{secs}"), format!("{secs}.5"), format!("{secs}s")] {
            prop_assert_eq!(retry_after(&value, now), None, "{}", value);
        }
    }

    #[test]
    fn a_date_asks_for_at_most_the_time_until_it(at in instant(), now in instant(), form in 0usize..3) {
        prop_assume!(form != 1 || (1969..=2068).contains(&utc(at).format("%Y").to_string().parse::<i32>().unwrap()));
        let value = http_date(at, form);
        let expected = at.duration_since(now).unwrap_or(Duration::ZERO);
        prop_assert_eq!(retry_after(&value, now), Some(expected), "{}", value);
    }
}
