use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::{Error, Schedule};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

fn parse(text: &str) -> Schedule {
    Schedule::parse(text).unwrap()
}

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn intervals_parse_as_durations() {
    assert_eq!(parse("every 2h"), Schedule::Every(2 * HOUR));
    assert_eq!(
        parse("every 30m"),
        Schedule::Every(Duration::from_secs(1800))
    );
    assert_eq!(parse("every 1d 12h"), Schedule::Every(36 * HOUR));
    assert_eq!(
        parse("  Every   90min "),
        Schedule::Every(Duration::from_secs(5400))
    );
}

#[test]
fn interval_counts_from_the_end_of_the_last_run() {
    let every = parse("every 2h");
    let end = utc("2025-03-01T10:00:00Z");
    let now = utc("2025-03-01T10:05:00Z");
    assert_eq!(
        every.next_after(Some(end), now),
        utc("2025-03-01T12:00:00Z")
    );
}

#[test]
fn interval_that_never_ran_is_due_now() {
    let now = utc("2025-03-01T10:05:00Z");
    assert_eq!(parse("every 2h").next_after(None, now), now);
}

#[test]
fn interval_after_downtime_runs_once_now() {
    // Down for a day: one run now, not twelve catch-up runs.
    let every = parse("every 2h");
    let end = utc("2025-03-01T10:00:00Z");
    let now = utc("2025-03-02T10:00:00Z");
    assert_eq!(every.next_after(Some(end), now), now);
    // The run after the catch-up is a full period later again.
    let caught_up_end = utc("2025-03-02T10:20:00Z");
    assert_eq!(
        every.next_after(Some(caught_up_end), caught_up_end),
        utc("2025-03-02T12:20:00Z")
    );
}

#[test]
fn interval_restart_before_due_keeps_the_due_time() {
    // Restarted 30 minutes after a run ended: no early re-run.
    let every = parse("every 2h");
    let end = utc("2025-03-01T10:00:00Z");
    let now = utc("2025-03-01T10:30:00Z");
    assert_eq!(
        every.next_after(Some(end), now),
        utc("2025-03-01T12:00:00Z")
    );
}

#[test]
fn interval_with_a_clock_that_went_back_waits_at_most_one_period() {
    let every = parse("every 2h");
    let end = utc("2030-01-01T00:00:00Z");
    let now = utc("2025-03-01T10:00:00Z");
    assert_eq!(
        every.next_after(Some(end), now),
        utc("2025-03-01T12:00:00Z")
    );
}

#[test]
fn huge_interval_saturates_instead_of_overflowing() {
    let every = parse("every 100000000y");
    let now = utc("2025-03-01T10:00:00Z");
    assert_eq!(every.next_after(Some(now), now), DateTime::<Utc>::MAX_UTC);
}

#[test]
fn cron_is_read_on_the_vietnam_clock() {
    // 23:30Z is 06:30 +07:00, just past today's 06:00 run: the next is 06:00 tomorrow = 23:00Z.
    let daily = parse("0 6 * * *");
    let now = utc("2025-03-01T23:30:00Z");
    assert_eq!(daily.next_after(None, now), utc("2025-03-02T23:00:00Z"));
    // 22:30Z is 05:30 +07:00: today's run is still ahead.
    let now = utc("2025-03-01T22:30:00Z");
    assert_eq!(daily.next_after(None, now), utc("2025-03-01T23:00:00Z"));
}

#[test]
fn cron_next_is_strictly_after_now() {
    let daily = parse("0 6 * * *");
    let at_match = utc("2025-03-01T23:00:00Z");
    assert_eq!(
        daily.next_after(Some(at_match), at_match),
        utc("2025-03-02T23:00:00Z")
    );
    // A fraction of a second before the match still finds it; just after does not.
    let before = utc("2025-03-01T22:59:59.500Z");
    assert_eq!(daily.next_after(None, before), at_match);
    let after = utc("2025-03-01T23:00:00.500Z");
    assert_eq!(daily.next_after(None, after), utc("2025-03-02T23:00:00Z"));
}

#[test]
fn cron_run_that_overran_a_slot_waits_for_the_next() {
    // Hourly; the 10:00 run ended at 11:20 (+07:00), past the 11:00 slot.
    let hourly = parse("0 * * * *");
    let end = utc("2025-03-01T04:20:00Z");
    assert_eq!(
        hourly.next_after(Some(end), end),
        utc("2025-03-01T05:00:00Z")
    );
}

#[test]
fn cron_after_downtime_runs_once_now() {
    // Last run ended 06:10 +07:00 on 1 March; the daemon was down until 07:00 on 3 March.
    let daily = parse("0 6 * * *");
    let end = utc("2025-02-28T23:10:00Z");
    let now = utc("2025-03-03T00:00:00Z");
    assert_eq!(daily.next_after(Some(end), now), now);
    // Restarted before the slot came: no early run.
    let now = utc("2025-03-01T22:50:00Z");
    assert_eq!(
        daily.next_after(Some(end), now),
        utc("2025-03-01T23:00:00Z")
    );
}

#[test]
fn cron_at_month_ends() {
    // Day 31 skips the 30-day months: after 31 Mar comes 31 May (09:00 +07:00 = 02:00Z).
    let on_31st = parse("0 9 31 * *");
    let now = utc("2025-03-31T03:00:00Z");
    assert_eq!(on_31st.next_after(None, now), utc("2025-05-31T02:00:00Z"));
    // `L` is the last day of each month, February included (2024 is a leap year).
    let last_day = parse("0 0 L * *");
    let now = utc("2024-02-01T00:00:00Z");
    assert_eq!(last_day.next_after(None, now), utc("2024-02-28T17:00:00Z"));
    // Midnight +07:00 on the 1st is still the previous month in UTC.
    let first = parse("0 0 1 * *");
    let now = utc("2025-12-15T00:00:00Z");
    assert_eq!(first.next_after(None, now), utc("2025-12-31T17:00:00Z"));
}

#[test]
fn cron_on_29_february_waits_for_a_leap_year() {
    let leap = parse("0 12 29 2 *");
    let now = utc("2025-01-01T00:00:00Z");
    assert_eq!(leap.next_after(None, now), utc("2028-02-29T05:00:00Z"));
}

#[test]
fn cron_with_seconds_and_names() {
    // Six fields: seconds first. Weekdays 08:30:15 +07:00; 1 March 2025 is a Saturday.
    let weekdays = parse("15 30 8 * * MON-FRI");
    let now = utc("2025-03-01T00:00:00Z");
    assert_eq!(weekdays.next_after(None, now), utc("2025-03-03T01:30:15Z"));
}

#[test]
fn cron_every_two_hours_on_the_local_clock() {
    let two_hourly = parse("0 */2 * * *");
    // 10:30Z is 17:30 +07:00; the next even local hour is 18:00 = 11:00Z.
    let now = utc("2025-03-01T10:30:00Z");
    assert_eq!(
        two_hourly.next_after(None, now),
        utc("2025-03-01T11:00:00Z")
    );
}

#[test]
fn display_names_the_schedule() {
    assert_eq!(parse("every 1d 12h").to_string(), "every 1day 12h");
    assert_eq!(parse("0 6 * * *").to_string(), "0 6 * * * (+07:00)");
}

#[test]
fn invalid_schedules_explain_themselves() {
    assert_eq!(Schedule::parse("  "), Err(Error::Empty));
    let zero = Schedule::parse("every 0s").unwrap_err();
    assert!(matches!(zero, Error::ZeroPeriod { .. }), "{zero:?}");
    let soon = Schedule::parse("every soon").unwrap_err();
    assert!(soon.to_string().contains("\"every 2h\""), "{soon}");
    let bare = Schedule::parse("every").unwrap_err();
    assert!(matches!(bare, Error::Period { .. }), "{bare:?}");
    let four = Schedule::parse("* * * *").unwrap_err();
    assert_eq!(
        four,
        Error::FieldCount {
            text: "* * * *".into(),
            fields: 4
        }
    );
    let hourly = Schedule::parse("hourly").unwrap_err();
    assert!(hourly.to_string().contains("every <duration>"), "{hourly}");
    let seven = Schedule::parse("0 0 6 * * * 2030").unwrap_err();
    assert!(matches!(seven, Error::FieldCount { fields: 7, .. }));
    let range = Schedule::parse("0 25 * * *").unwrap_err();
    assert!(matches!(range, Error::Cron { .. }), "{range:?}");
    assert_eq!(
        range.to_string(),
        "`0 25 * * *` is not a valid cron expression: number out of bounds; write one such as \"0 6 * * *\" (06:00 every day, +07:00)"
    );
    let letters = Schedule::parse("a b c d e").unwrap_err();
    let expected = ": illegal character 'A' in part 'A';";
    assert!(letters.to_string().contains(expected), "{letters}");
    let sloppy = Schedule::parse("5/5 * * * *").unwrap_err();
    assert!(matches!(sloppy, Error::Cron { .. }), "{sloppy:?}");
}

#[test]
fn a_pattern_that_never_matches_is_refused_at_parse_time() {
    let err = Schedule::parse("0 0 30 2 *").unwrap_err();
    assert_eq!(
        err,
        Error::NeverMatches {
            text: "0 0 30 2 *".into()
        }
    );
}

#[test]
fn garbage_never_panics() {
    let odd = [
        "",
        " ",
        "every",
        "every ",
        "everyday",
        "every -1h",
        "every 1h -",
        "every ∞",
        "every 1e9h",
        "every 99999999999999999999s",
        "every 1.5h",
        "*",
        "* * * * * * * *",
        "@daily",
        "@reboot",
        "0 0 0 0 0",
        "61 * * * *",
        "-1 * * * *",
        "*/0 * * * *",
        "1-0 * * * *",
        "a b c d e",
        "0 0 L W *",
        "0 0 ? ? ?",
        "0 0 5#9 * *",
        "0 0 * * 8",
        "0 0 * * 5#L",
        "L L L L L",
        "0 0 31 2,4,6,9,11 *",
        "0 0 * 13 *",
        "# # # # #",
        ", , , , ,",
        "- - - - -",
        "/ / / / /",
        "0\t6\t*\t*\t*",
        "0 6 * * *\n",
        "ｅｖｅｒｙ 2h",
        "0 0 1-31/400 * *",
        "0 0 29 2 MON",
        "0 0 29 2 +MON",
        "999999999999 * * * *",
        "0 0 * * 7L",
        "0 0 LW * *",
    ];
    let now = Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap();
    for text in odd {
        if let Ok(schedule) = Schedule::parse(text) {
            let next = schedule.next_after(Some(now), now);
            assert!(next >= now, "{text}: {next}");
            eprintln!("OK {text:?} -> {next}");
        } else {
            eprintln!("ERR {text:?}: {}", Schedule::parse(text).unwrap_err());
        }
    }
}

#[test]
fn every_accepted_cron_has_a_future_run() {
    let now = utc("2025-03-01T00:00:00Z");
    for text in ["0 0 29 2 +MON", "0 0 LW * *", "0 0 * * 5#L", "0 6 * * *"] {
        if let Ok(schedule) = Schedule::parse(text) {
            let next = schedule.next_after(None, now);
            assert!(
                next > now && next < DateTime::<Utc>::MAX_UTC,
                "{text}: {next}"
            );
        }
    }
}

#[test]
fn cron_with_a_clock_that_went_back_fires_at_its_next_slot() {
    // Issue 13: the last run "ended" in 2030 (a clock that was wrong, then corrected). The
    // end in the future counts as now, so the next hourly slot fires instead of 2030's.
    let hourly = parse("0 * * * *");
    let end = utc("2030-01-01T00:00:00Z");
    let now = utc("2025-03-01T10:20:00Z");
    assert_eq!(
        hourly.next_after(Some(end), now),
        utc("2025-03-01T11:00:00Z")
    );
}
