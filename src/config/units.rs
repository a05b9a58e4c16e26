//! Sizes and durations as people write them in the configuration ("20MiB", "1GB", "2s", "30d").
//!
//! Part of the `config` stage's validation phase: turns the raw strings of the TOML mirror into
//! byte counts and `Duration`s, and formats them back for `check-config`. Never reads files.

use std::time::Duration;

/// 1 KiB, the IEC binary kilobyte.
pub const KIB: u64 = 1024;
/// 1 MiB.
pub const MIB: u64 = 1024 * KIB;
/// 1 GiB.
pub const GIB: u64 = 1024 * MIB;
/// 1 TiB.
pub const TIB: u64 = 1024 * GIB;

/// Unit suffixes and their multipliers. Case matters: "MB" is SI (10^6) and "MiB" is IEC (2^20);
/// "KB", "mb" and friends are refused because readers disagree on what they mean.
const UNITS: [(&str, u64); 9] = [
    ("B", 1),
    ("kB", 1_000),
    ("MB", 1_000_000),
    ("GB", 1_000_000_000),
    ("TB", 1_000_000_000_000),
    ("KiB", KIB),
    ("MiB", MIB),
    ("GiB", GIB),
    ("TiB", TIB),
];

/// Parses "1024", "500KiB", "20MiB", "1.5GB", "2 GiB" into bytes.
///
/// The number is a non-negative decimal; a fraction is allowed with a unit as long as the result
/// is a whole number of bytes.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = (&text[..split], text[split..].trim_start());
    let multiplier = unit_multiplier(unit)?;
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits_ok(whole) || !digits_ok(fraction) {
        return Err(format!(
            "`{text}` is not a size: write a non-negative number with an optional unit, such as \"20MiB\", \"1GB\" or \"1024\""
        ));
    }
    scale(whole, fraction, multiplier).ok_or_else(|| {
        format!(
            "`{text}` is not a whole number of bytes or is too large: use a smaller unit or value"
        )
    })
}

fn unit_multiplier(unit: &str) -> Result<u64, String> {
    if unit.is_empty() {
        return Ok(1);
    }
    UNITS
        .iter()
        .find(|(name, _)| *name == unit)
        .map(|(_, m)| *m)
        .ok_or_else(|| {
            format!(
                "unknown size unit `{unit}`: use B, kB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)"
            )
        })
}

/// `whole.fraction × multiplier`, exactly, or `None` on overflow or a fractional byte count.
fn scale(whole: &str, fraction: &str, multiplier: u64) -> Option<u64> {
    let whole: u128 = whole.parse().ok()?;
    let denominator = 10u128.checked_pow(u32::try_from(fraction.len()).ok()?)?;
    let numerator: u128 = if fraction.is_empty() {
        0
    } else {
        fraction.parse().ok()?
    };
    let total = whole
        .checked_mul(denominator)?
        .checked_add(numerator)?
        .checked_mul(u128::from(multiplier))?;
    if total % denominator != 0 {
        return None;
    }
    u64::try_from(total / denominator).ok()
}

/// Parses a humantime duration ("500ms", "2s", "2h 30m", "30d").
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim()).map_err(|_| {
        format!(
            "`{text}` is not a duration: write a number with a unit, such as \"500ms\", \"2s\", \"2h\" or \"30d\""
        )
    })
}

/// Formats bytes in the largest unit that divides them exactly ("20MiB", "1GB", "1500B").
/// A number of requests per period: `[crawler] max_rate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub requests: std::num::NonZeroU32,
    pub per: Duration,
}

impl Rate {
    /// The even spacing this rate allows: `per / requests`.
    pub fn interval(&self) -> Duration {
        self.per / self.requests.get()
    }
}

/// `"5/s"`, `"120/min"`, `"1000/h"`, `"1/2s"`: requests, a slash, a unit or a duration.
pub fn parse_rate(text: &str) -> Result<Rate, String> {
    let bad = || {
        format!("{text:?} is not a rate: write requests per period, such as \"5/s\" or \"120/min\"")
    };
    let (count, period) = text.trim().split_once('/').ok_or_else(bad)?;
    let requests = count
        .trim()
        .parse::<std::num::NonZeroU32>()
        .map_err(|_| bad())?;
    let per = match period.trim() {
        "s" | "sec" => Duration::from_secs(1),
        "min" | "m" => Duration::from_secs(60),
        "h" => Duration::from_secs(3600),
        other => parse_duration(other).map_err(|_| bad())?,
    };
    if per.is_zero() {
        return Err(bad());
    }
    Ok(Rate { requests, per })
}

pub fn format_size(bytes: u64) -> String {
    if bytes == 0 {
        return "0B".to_string();
    }
    let exact = UNITS
        .iter()
        .rev()
        .filter(|(_, m)| bytes.is_multiple_of(*m))
        .max_by_key(|(_, m)| *m);
    match exact {
        Some((name, m)) => format!("{}{name}", bytes / m),
        None => format!("{bytes}B"),
    }
}

/// Formats a duration the way it is written in the configuration ("2s", "2h 30m", "0s").
pub fn format_duration(duration: Duration) -> String {
    if duration.is_zero() {
        return "0s".to_string();
    }
    humantime::format_duration(duration).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_in_iec_si_and_bytes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("20MiB"), Ok(20 * MIB));
        assert_eq!(parse_size("500KiB"), Ok(500 * KIB));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("2GiB"), Ok(2 * GIB));
        assert_eq!(parse_size("1.5kB"), Ok(1500));
        assert_eq!(parse_size("2 GiB"), Ok(2 * GIB));
        assert_eq!(parse_size("12B"), Ok(12));
    }

    #[test]
    fn sizes_refuse_garbage_negatives_and_wrong_case() {
        for bad in [
            "-1MiB", "abc", "MiB", "", "1.5", "1..5MiB", "20mib", "20KB", "1 2MB",
        ] {
            assert!(parse_size(bad).is_err(), "{bad} should be refused");
        }
        assert!(parse_size("99999999999TiB").is_err(), "overflow is refused");
        assert!(
            parse_size("20mib")
                .unwrap_err()
                .contains("unknown size unit `mib`")
        );
    }

    #[test]
    fn durations_use_humantime() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2s"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration("2h 30m"), Ok(Duration::from_secs(9_000)));
        for bad in ["-2s", "2", "soon", ""] {
            assert!(parse_duration(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn formatting_round_trips() {
        assert_eq!(format_size(20 * MIB), "20MiB");
        assert_eq!(format_size(1_000_000_000), "1GB");
        assert_eq!(format_size(2 * GIB), "2GiB");
        assert_eq!(format_size(1500), "1500B");
        assert_eq!(format_size(0), "0B");
        assert_eq!(format_duration(Duration::from_secs(300)), "5m");
        assert_eq!(format_duration(Duration::ZERO), "0s");
        assert_eq!(parse_size(&format_size(3 * TIB)), Ok(3 * TIB));
    }

    #[test]
    fn rates_read_requests_per_period() {
        let rate = parse_rate("5/s").unwrap();
        assert_eq!(rate.interval(), Duration::from_millis(200));
        assert_eq!(
            parse_rate("120/min").unwrap().interval(),
            Duration::from_millis(500)
        );
        assert_eq!(
            parse_rate(" 1 / 2s ").unwrap().interval(),
            Duration::from_secs(2)
        );
        for bad in ["0/s", "5", "5/0s", "x/s", "5/fortnight", "-1/s"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }
}
