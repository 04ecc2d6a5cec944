//! A sold device's warranty (device services): it ends the same day of the month `months`
//! months after the sale (the last day of a shorter month), at the same time of day, in UTC.

use crate::calendar::{civil_from_days, days_from_civil};

const DAY_MS: i64 = 86_400_000;

fn month_len(y: i64, m: i64) -> i64 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)
}

/// When a warranty of `months` months from `sold_at_ms` ends, ms since the epoch.
pub fn end_ms(sold_at_ms: i64, months: i64) -> i64 {
    let days = sold_at_ms.div_euclid(DAY_MS);
    let time_of_day = sold_at_ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    let total = y * 12 + (i64::from(m) - 1) + months;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let nd = i64::from(d).min(month_len(ny, nm));
    days_from_civil(ny, nm, nd) * DAY_MS + time_of_day
}

/// Whole days left until `end_ms` at `now_ms` (0 on its last day; negative once it ended).
pub fn days_left(end_ms: i64, now_ms: i64) -> i64 {
    if now_ms > end_ms {
        -((now_ms - end_ms + DAY_MS - 1) / DAY_MS)
    } else {
        (end_ms - now_ms) / DAY_MS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::parse_utc_date;

    fn day(text: &str) -> i64 {
        parse_utc_date(text).unwrap()
    }

    #[test]
    fn twelve_months_end_on_the_same_day_a_year_later_and_short_months_clamp() {
        assert_eq!(end_ms(day("2026-10-15"), 12), day("2027-10-15"));
        assert_eq!(end_ms(day("2026-01-31"), 1), day("2026-02-28"));
        assert_eq!(end_ms(day("2028-01-31"), 1), day("2028-02-29"));
        assert_eq!(end_ms(day("2026-11-30"), 3), day("2027-02-28"));
        assert_eq!(end_ms(day("2026-10-15") + 3_600_000, 0), day("2026-10-15") + 3_600_000);
    }

    #[test]
    fn days_left_count_down_and_go_negative_after_the_end() {
        let end = day("2027-10-15");
        assert_eq!(days_left(end, day("2027-10-05")), 10);
        assert_eq!(days_left(end, end), 0);
        assert_eq!(days_left(end, end + 1), -1);
        assert_eq!(days_left(end, day("2027-10-20")), -5);
    }
}
