//! Time: unix seconds, day counts (`90d`, `12w`) and dates (`2027-01-31`).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// Now, in unix seconds. `COFFER_NOW` (unix seconds) overrides it, so tests
/// can move the clock for rotation status; it only ever affects timestamps.
pub fn now() -> i64 {
    if let Ok(v) = std::env::var("COFFER_NOW") {
        if let Ok(n) = v.parse::<i64>() {
            return n;
        }
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Now, in unix seconds, from the system clock only (never `COFFER_NOW`):
/// for security decisions such as the unlock back-off.
pub fn real_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// How far ahead of this device's clock an op-log entry's time may be and
/// still be taken in: devices' clocks differ by seconds, not by this.
pub const MAX_CLOCK_SKEW_MS: u64 = 10 * 60 * 1000;

/// The largest hybrid-logical-clock value an entry may carry when the clock
/// reads `now_ms`: anything later is "far in the future", refused by sync
/// and never adopted by the local clock (a forged `i64::MAX` would push
/// every later time there, or overflow).
pub fn hlc_horizon(now_ms: u64) -> u64 {
    let ms = now_ms
        .saturating_add(MAX_CLOCK_SKEW_MS)
        .min(i64::MAX as u64 >> 16);
    (ms << 16) | 0xffff
}

/// Milliseconds since the epoch (for the hybrid logical clock).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Parses a whole number of days: `90`, `90d`, `12w`, `1y` (365 days).
pub fn parse_days(s: &str) -> Result<u32> {
    let bad = || {
        Error::InvalidInput(format!(
            "invalid duration '{s}': use days like 90d, weeks like 12w or years like 1y"
        ))
    };
    let s = s.trim();
    let (num, mul) = match s.chars().last() {
        Some('d') => (&s[..s.len() - 1], 1),
        Some('w') => (&s[..s.len() - 1], 7),
        Some('y') => (&s[..s.len() - 1], 365),
        _ => (s, 1),
    };
    let n: u32 = num.parse().map_err(|_| bad())?;
    let days = n.checked_mul(mul).ok_or_else(bad)?;
    if days == 0 || days > 36_500 {
        return Err(Error::InvalidInput(format!(
            "invalid duration '{s}': must be between 1 day and 100 years"
        )));
    }
    Ok(days)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Howard Hinnant's algorithm: days since 1970-01-01 in the proleptic
    // Gregorian calendar.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Parses `YYYY-MM-DD` (midnight UTC) into unix seconds.
pub fn parse_date(s: &str) -> Result<i64> {
    let bad = || Error::InvalidInput(format!("invalid date '{s}': use YYYY-MM-DD"));
    let parts: Vec<&str> = s.trim().split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return Err(bad());
    }
    let y: i64 = parts[0].parse().map_err(|_| bad())?;
    let m: i64 = parts[1].parse().map_err(|_| bad())?;
    let d: i64 = parts[2].parse().map_err(|_| bad())?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    let days = days_from_civil(y, m, d);
    if civil_from_days(days) != (y, m, d) {
        return Err(bad());
    }
    Ok(days * DAY)
}

/// Formats unix seconds as `YYYY-MM-DD`.
pub fn format_date(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Formats unix seconds as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn format_datetime(t: i64) -> String {
    let secs = t.rem_euclid(DAY);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(t),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days() {
        assert_eq!(parse_days("90d").expect("d"), 90);
        assert_eq!(parse_days("12w").expect("w"), 84);
        assert_eq!(parse_days("30").expect("n"), 30);
        assert!(parse_days("0d").is_err());
        assert!(parse_days("abc").is_err());
        assert!(parse_days("99999999999d").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-01").expect("epoch"), 0);
        let t = parse_date("2027-02-28").expect("date");
        assert_eq!(format_date(t), "2027-02-28");
        assert!(parse_date("2027-02-30").is_err());
        assert!(parse_date("2027-2-3").is_err());
        assert_eq!(format_datetime(90_061), "1970-01-02T01:01:01Z");
    }
}
