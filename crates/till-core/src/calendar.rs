//! UTC calendar arithmetic, once for every crate: days since the epoch to a proleptic
//! Gregorian date and back (Howard Hinnant's algorithms), so no date crate is needed for what
//! is only ever UTC dates and times (reports, charts, exports, card expiry dates).

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Year, month, day of a count of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The year and month (1..=12) of a time in ms since the epoch, UTC.
pub fn year_month(ms: i64) -> (i64, u32) {
    let (y, m, _) = civil_from_days(ms.div_euclid(DAY_MS));
    (y, m)
}

/// Milliseconds since the epoch as ISO-8601 UTC, e.g. `2026-12-04T09:30:00.125Z`.
pub fn iso_utc(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(DAY_MS), ms.rem_euclid(DAY_MS));
    let (y, m, d) = civil_from_days(days);
    let s = rem / 1000;
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z", s / 3600, s / 60 % 60, s % 60, rem % 1000)
}

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM UTC`, for printed reports.
pub fn utc_minute(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(DAY_MS), ms.rem_euclid(DAY_MS) / 1000);
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM` in the IANA time zone `zone`
/// (`Asia/Shanghai`), for printouts; `None` when the zone is unknown or the time out of range.
pub fn local_minute(ms: i64, zone: &str) -> Option<String> {
    let tz = jiff::tz::TimeZone::get(zone).ok()?;
    let at = jiff::Timestamp::from_millisecond(ms).ok()?.to_zoned(tz);
    Some(at.strftime("%Y-%m-%d %H:%M").to_string())
}

/// Whether `zone` names a time zone the IANA rules know (`Asia/Shanghai`, `UTC`).
pub fn is_time_zone(zone: &str) -> bool {
    jiff::tz::TimeZone::get(zone).is_ok()
}

/// The UTC date of `ms` as `YYYY-MM-DD`.
pub fn utc_date(ms: i64) -> String {
    let (y, m, d) = civil_from_days(ms.div_euclid(DAY_MS));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Midnight UTC of a `YYYY-MM-DD` date, in ms since the epoch; `None` if it is not a real date.
pub fn parse_utc_date(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| -> Option<i64> {
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let (y, m, d) = (num(text.get(0..4)?)?, num(text.get(5..7)?)?, num(text.get(8..10)?)?);
    let ms = days_from_civil(y, m, d) * DAY_MS;
    // Round-tripping refuses 2026-02-30 and month 13.
    if !(1..=12).contains(&m) || d < 1 || utc_date(ms) != text {
        return None;
    }
    Some(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_minutes_follow_the_zone_rules() {
        // 2026-12-01 04:05 UTC.
        let ms = 1_796_097_900_000;
        assert_eq!(utc_minute(ms), "2026-12-01 04:05 UTC");
        assert_eq!(local_minute(ms, "Asia/Shanghai").as_deref(), Some("2026-12-01 12:05"));
        assert_eq!(local_minute(ms, "UTC").as_deref(), Some("2026-12-01 04:05"));
        // New York is on EST (UTC-5) in December and EDT (UTC-4) in July.
        assert_eq!(local_minute(ms, "America/New_York").as_deref(), Some("2026-11-30 23:05"));
        let july = ms - 143 * 86_400_000;
        assert_eq!(utc_minute(july), "2026-07-11 04:05 UTC");
        assert_eq!(local_minute(july, "America/New_York").as_deref(), Some("2026-07-11 00:05"));
        assert_eq!(local_minute(ms, "Mars/Olympus_Mons"), None);
        assert!(is_time_zone("Asia/Shanghai") && !is_time_zone("Mars/Olympus_Mons"));
    }
}
