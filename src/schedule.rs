//! When is a portal's next run due: `every <period>` or a cron expression (issue 5).
//!
//! The `schedule` stage sits between `config` and `crawl` (docs/architecture.md): the daemon parses each
//! portal's `schedule` string once with [`Schedule::parse`], and after every run (and on start,
//! from the times it persisted in the store) asks [`Schedule::next_after`] when to start the
//! next one. This module is pure arithmetic on instants: it never reads the clock, the store or
//! the network, so the caller passes `now` in and persists what it gets back.
//!
//! # Choices
//! - **Time zone.** Cron fields are read on the wall clock of Vietnam, which has been UTC+07:00
//!   without daylight saving since 1975: a fixed offset ([`VIETNAM`]), no tz database. Instants
//!   go in and out in UTC.
//! - **`every <period>`** (humantime: "every 2h", "every 30m", "every 1d 12h") counts from the
//!   *end* of the last run, so a slow run never makes runs overlap or follow back to back. A
//!   portal that never ran is due now.
//! - **Downtime runs once.** If the due time passed while the daemon was stopped, the answer is
//!   `now`: one catch-up run, never one per missed slot. This holds for cron too (a 06:00 run
//!   missed during a reboot at 05:50–06:30 happens at 06:30), like systemd's `Persistent=true`.
//!   Together with the store's record of the last run this is what makes a restart neither run
//!   early nor skip.
//! - **Cron** takes 5 fields (`min hour dom month dow`) or 6 (seconds first), parsed by `croner`
//!   with POSIX day-of-month/day-of-week OR semantics, names (`MON`, `JAN`), `L`, `#` and `W`.
//!   The next run is the first match strictly after the later of the last run's end and `now`
//!   (a run that overran a slot does not start again at once). A pattern that can never match
//!   (`0 0 30 2 *`) is refused by `parse`, not discovered at run time.
//! - **A clock that went back** (last end later than `now`) counts the end as `now`: an `every`
//!   run comes at most one period later, a cron run at its next slot (issue 13), instead of
//!   stalling until the clock catches up with the recorded end.
//! - **A portal that never ran** is due at once under `every`, and at the first cron slot after
//!   `now` under cron (an operator who writes "0 6 * * *" expects 06:00, not a run at whatever
//!   hour the daemon was installed). `next_after` alone cannot keep that slot: asked again after
//!   the slot it answers the next one. [`Planner`] computes each due time once and keeps it, so
//!   waking up never moves it (issue 13); see [`plan`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta, TimeZone, Timelike, Utc};
use croner::parser::{CronParser, Seconds, Year};

pub mod plan;
pub use plan::Planner;

/// A portal's last run as the daemon recorded it in the store (the schedule's input).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastRun {
    pub start: Option<DateTime<Utc>>,
    /// End of the last *completed* run: an interrupted run is resumed, not counted as done.
    pub end: Option<DateTime<Utc>>,
    pub status: Option<String>,
}

/// Vietnam's offset, UTC+07:00 (Indochina Time, no DST since 1975).
pub const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("+07:00 is a valid offset"),
};

/// Why a schedule string was refused. Messages say what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error(
        "the schedule is empty: write `every <duration>` such as \"every 2h\", or a cron expression such as \"0 6 * * *\""
    )]
    Empty,
    #[error(
        "`{text}` is not a period: write `every` and a duration such as \"every 2h\", \"every 30m\" or \"every 1d 12h\" ({reason})"
    )]
    Period { text: String, reason: String },
    #[error("`{text}` would run without pause: give a positive period such as \"every 2h\"")]
    ZeroPeriod { text: String },
    #[error(
        "`{text}` has {fields} fields: a cron expression has 5 (`min hour dom month dow`) or 6 (seconds first), or write `every <duration>`"
    )]
    FieldCount { text: String, fields: usize },
    #[error(
        "`{text}` is not a valid cron expression: {reason}; write one such as \"0 6 * * *\" (06:00 every day, +07:00)"
    )]
    Cron { text: String, reason: String },
    #[error(
        "`{text}` never matches a real date (such as 30 February): fix the day-of-month or month field"
    )]
    NeverMatches { text: String },
}

/// A portal's schedule, as parsed from its `schedule` key (docs/configuration.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedule {
    /// `every <period>`: the next run starts this long after the last one ended.
    Every(Duration),
    /// A cron expression evaluated on the +07:00 wall clock.
    Cron(Cron),
}

/// A parsed cron expression and the text it came from (for logs and `check-config`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    text: String,
    // Boxed: croner's parsed pattern is ~300 bytes, and `Schedule` is mostly `Every`.
    pattern: Box<croner::Cron>,
}

impl Schedule {
    /// Parses "every 2h", "every 1d 12h", "0 6 * * *" or "0 0 */2 * * MON-FRI".
    pub fn parse(text: &str) -> Result<Schedule, Error> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Error::Empty);
        }
        match every_period(text) {
            Some(period) => parse_every(text, period),
            None => Cron::parse(text).map(Schedule::Cron),
        }
    }

    /// When the next run is due, given when the last one ended (`None`: it never ran) and `now`.
    /// Never earlier than `now`; see the module documentation for the rules.
    pub fn next_after(
        &self,
        last_run_end: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        match self {
            Schedule::Every(period) => next_every(*period, last_run_end, now),
            Schedule::Cron(cron) => cron.next_after(last_run_end, now),
        }
    }
}

impl FromStr for Schedule {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Schedule::parse(s)
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Schedule::Every(period) => write!(f, "every {}", humantime::format_duration(*period)),
            Schedule::Cron(cron) => write!(f, "{} (+07:00)", cron.text),
        }
    }
}

/// The text after a leading `every` keyword (any case), if there is one.
fn every_period(text: &str) -> Option<&str> {
    let keyword = text.get(..5)?;
    let rest = &text[5..];
    let separated = rest.is_empty() || rest.starts_with(char::is_whitespace);
    (keyword.eq_ignore_ascii_case("every") && separated).then_some(rest.trim_start())
}

fn parse_every(text: &str, period: &str) -> Result<Schedule, Error> {
    let period = humantime::parse_duration(period).map_err(|e| Error::Period {
        text: text.to_string(),
        reason: e.to_string(),
    })?;
    if period.is_zero() {
        return Err(Error::ZeroPeriod {
            text: text.to_string(),
        });
    }
    Ok(Schedule::Every(period))
}

/// Last end + period, never before `now`: downtime gives one run now, and a clock that went
/// back cannot postpone the run by more than one period.
fn next_every(
    period: Duration,
    last_run_end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let Some(end) = last_run_end else {
        return now;
    };
    // An end later than `now` (the clock went back) counts as `now` (issue 13).
    plus(end.min(now), period).max(now)
}

/// `at + period`, saturating at the largest instant chrono represents (a period of centuries
/// means "practically never", not an overflow).
fn plus(at: DateTime<Utc>, period: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(period)
        .ok()
        .and_then(|delta| at.checked_add_signed(delta))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

impl Cron {
    /// Parses a 5- or 6-field expression; 7 fields (years) and `@daily`-style nicknames are
    /// refused so that every accepted string reads the same way to an operator.
    pub fn parse(text: &str) -> Result<Cron, Error> {
        let fields = text.split_whitespace().count();
        if !matches!(fields, 5 | 6) {
            return Err(Error::FieldCount {
                text: text.to_string(),
                fields,
            });
        }
        let pattern = parser().parse(text).map_err(|e| Error::Cron {
            text: text.to_string(),
            reason: reason(&e),
        })?;
        let cron = Cron {
            text: text.to_string(),
            pattern: Box::new(pattern),
        };
        cron.check_matches()?;
        Ok(cron)
    }

    /// The expression as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The first match strictly after `now`, except that a match missed since `last_run_end`
    /// (downtime) is due `now`.
    pub fn next_after(
        &self,
        last_run_end: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        // An end later than `now` (the clock went back) counts as `now` (issue 13): waiting for
        // the first slot after a future end would stall the portal until the clock caught up.
        let missed = last_run_end
            .filter(|end| *end < now)
            .and_then(|end| self.match_after(end))
            .is_some_and(|slot| slot <= now);
        if missed {
            return now;
        }
        self.match_after(now).unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// The first match strictly after `at`, read on the +07:00 clock; `None` past croner's
    /// search range (year 5000).
    fn match_after(&self, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        // Whole seconds: croner's exclusive search steps one second from `at`, which would skip
        // a match at the next whole second when `at` carries a fraction.
        let at = at.with_nanosecond(0).unwrap_or(at).with_timezone(&VIETNAM);
        let next = self.pattern.find_next_occurrence(&at, false).ok()?;
        Some(next.with_timezone(&Utc))
    }

    /// Refuses a pattern with no match at all. Without a year field a pattern that matches
    /// once matches again within the 400-year Gregorian cycle, so one search from a fixed
    /// start proves it will keep matching for any `now` the daemon meets.
    fn check_matches(&self) -> Result<(), Error> {
        let start = VIETNAM.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).single();
        let found = start.is_some_and(|s| self.match_after(s.with_timezone(&Utc)).is_some());
        if found {
            return Ok(());
        }
        Err(Error::NeverMatches {
            text: self.text.clone(),
        })
    }
}

/// croner's parser as baoluu uses it: optional leading seconds, no year field, POSIX OR of
/// day-of-month and day-of-week, and croner 4's strict step syntax (`5-59/5`, not `5/5`).
fn parser() -> CronParser {
    CronParser::builder()
        .seconds(Seconds::Optional)
        .year(Year::Disallowed)
        .build()
}

/// croner's complaint in this crate's voice: lowercase, no trailing period, no type names.
fn reason(error: &croner::errors::CronError) -> String {
    use croner::errors::CronError as E;
    let text = match error {
        E::ComponentError(m) | E::InvalidPattern(m) => m.as_str(),
        E::IllegalCharacters(m) => m.trim_start_matches("CronPattern contains "),
        E::EmptyPattern => "the pattern is empty",
        E::InvalidDate | E::InvalidTime | E::TimeSearchLimitExceeded => "no time matches it",
    };
    let text = text.trim().trim_end_matches('.');
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests;
