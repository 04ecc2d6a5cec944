//! When the nightly backup is due, what its file is called, and which files retention keeps.
//! Pure functions of the time and the file names: the worker and the tests share them.

use std::collections::BTreeSet;
use till_core::calendar::{civil_from_days, days_from_civil, DAY_MS};

/// Hour in ms.
const HOUR_MS: i64 = 3_600_000;
/// Daily backups kept: the newest seven.
pub const KEEP_DAILY: usize = 7;
/// Weekly backups kept: the newest of each of the four most recent ISO weeks that have one.
pub const KEEP_WEEKLY: usize = 4;
/// After a failed nightly backup, the next try waits this long (not every tick).
pub const RETRY_AFTER_FAILURE_MS: i64 = HOUR_MS;

/// The local day (days since 1970-01-01) of `now_ms` for a till `offset_min` minutes off UTC.
pub fn local_day(now_ms: i64, offset_min: i32) -> i64 {
    (now_ms + i64::from(offset_min) * 60_000).div_euclid(DAY_MS)
}

/// The latest nightly slot at or before `now_ms` (UTC ms): today's `hour:00` local time if it
/// has passed, else yesterday's.
pub fn last_slot_ms(now_ms: i64, hour: u8, offset_min: i32) -> i64 {
    let offset = i64::from(offset_min) * 60_000;
    let local = now_ms + offset;
    let today = local.div_euclid(DAY_MS) * DAY_MS + i64::from(hour) * HOUR_MS;
    let slot = if today > local { today - DAY_MS } else { today };
    slot - offset
}

/// Whether the nightly backup is due: no good backup since the last slot (so a till that was
/// off at the hour backs up at its first start after), and no failed try in the last hour.
pub fn is_due(
    now_ms: i64,
    hour: u8,
    offset_min: i32,
    last_success_ms: Option<i64>,
    last_failure_ms: Option<i64>,
) -> bool {
    let slot = last_slot_ms(now_ms, hour, offset_min);
    let missed = last_success_ms.is_none_or(|at| at < slot);
    let resting = last_failure_ms.is_some_and(|at| at >= slot && now_ms - at < RETRY_AFTER_FAILURE_MS);
    missed && !resting
}

/// When the next nightly backup is due (now, when it is).
pub fn next_due_ms(now_ms: i64, hour: u8, offset_min: i32, last_success_ms: Option<i64>) -> i64 {
    let slot = last_slot_ms(now_ms, hour, offset_min);
    if last_success_ms.is_none_or(|at| at < slot) {
        now_ms
    } else {
        slot + DAY_MS
    }
}

/// `till-YYYY-MM-DD.db` for a local day.
pub fn file_name(day: i64) -> String {
    let (y, m, d) = civil_from_days(day);
    format!("till-{y:04}-{m:02}-{d:02}.db")
}

/// The local day of a `till-YYYY-MM-DD.db` name; `None` for any other file (pre-upgrade copies,
/// temporary files, the installer's own files).
pub fn parse_file_name(name: &str) -> Option<i64> {
    let date = name.strip_prefix("till-")?.strip_suffix(".db")?;
    let mut parts = date.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i64, i64, i64) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let day = days_from_civil(y, m, d);
    // 2026-02-31 parses but is not a date: it must come back as itself.
    (civil_from_days(day) == (y, m as u32, d as u32)).then_some(day)
}

/// The Monday that starts the ISO week of `day` (1970-01-01 was a Thursday).
fn iso_week(day: i64) -> i64 {
    day - (day + 3).rem_euclid(7)
}

/// Of the backups of these days, the ones retention keeps: the [`KEEP_DAILY`] newest, and the
/// newest of each of the [`KEEP_WEEKLY`] most recent ISO weeks that have a backup. Weeks are
/// counted among the backups there, not back from today: a till left off for a month still
/// keeps its last backups.
pub fn to_keep(days: &[i64]) -> BTreeSet<i64> {
    let mut newest_first: Vec<i64> = days.to_vec();
    newest_first.sort_unstable_by(|a, b| b.cmp(a));
    newest_first.dedup();
    let mut keep: BTreeSet<i64> = newest_first.iter().take(KEEP_DAILY).copied().collect();
    let mut weeks = BTreeSet::new();
    for day in &newest_first {
        if weeks.len() == KEEP_WEEKLY && !weeks.contains(&iso_week(*day)) {
            break;
        }
        // The first day met in a week is its newest.
        if weeks.insert(iso_week(*day)) {
            keep.insert(*day);
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i64, m: i64, d: i64) -> i64 {
        days_from_civil(y, m, d)
    }

    #[test]
    fn the_slot_is_the_local_hour_today_once_passed_else_yesterday() {
        // 2026-12-06 02:59 in China (UTC+8) is 2026-12-05 18:59 UTC.
        let at = |d: i64, h: i64, min: i64| day(2026, 12, d) * DAY_MS + h * HOUR_MS + min * 60_000;
        let offset = 480;
        assert_eq!(last_slot_ms(at(5, 18, 59), 3, offset), at(4, 19, 0), "yesterday 03:00 local");
        assert_eq!(last_slot_ms(at(5, 19, 0), 3, offset), at(5, 19, 0), "today 03:00 local");
        assert_eq!(local_day(at(5, 19, 0), offset), day(2026, 12, 6));
        // Due at first start after a missed night, not again until the next slot.
        assert!(is_due(at(5, 19, 0), 3, offset, None, None));
        assert!(is_due(at(6, 1, 0), 3, offset, Some(at(4, 19, 30)), None));
        assert!(!is_due(at(6, 1, 0), 3, offset, Some(at(5, 19, 5)), None));
        assert_eq!(next_due_ms(at(6, 1, 0), 3, offset, Some(at(5, 19, 5))), at(6, 19, 0));
        // A failure rests an hour, then tries again.
        assert!(!is_due(at(5, 19, 30), 3, offset, None, Some(at(5, 19, 0))));
        assert!(is_due(at(5, 20, 0), 3, offset, None, Some(at(5, 19, 0))));
    }

    #[test]
    fn file_names_round_trip_and_others_are_ignored() {
        let d = day(2026, 12, 6);
        assert_eq!(file_name(d), "till-2026-12-06.db");
        assert_eq!(parse_file_name("till-2026-12-06.db"), Some(d));
        for other in ["till-pre-upgrade-v14-20261206T030405Z.db", "till-2026-02-31.db", "till-2026-12-6.db", "x.db"] {
            assert_eq!(parse_file_name(other), None, "{other}");
        }
    }

    #[test]
    fn retention_keeps_seven_days_and_the_newest_of_four_weeks() {
        // Every day from Sunday 2026-11-01 to Thursday 2026-12-10.
        let days: Vec<i64> = (day(2026, 11, 1)..=day(2026, 12, 10)).collect();
        let kept: Vec<String> = to_keep(&days).into_iter().map(file_name).collect();
        assert_eq!(
            kept,
            [
                "till-2026-11-22.db", // Sunday, week of 16 Nov
                "till-2026-11-29.db", // Sunday, week of 23 Nov
                "till-2026-12-04.db",
                "till-2026-12-05.db",
                "till-2026-12-06.db", // also the newest of the week of 30 Nov
                "till-2026-12-07.db",
                "till-2026-12-08.db",
                "till-2026-12-09.db",
                "till-2026-12-10.db", // also the newest of the week of 7 Dec
            ]
        );
        // With gaps: weeks are those that have backups.
        let sparse = [day(2026, 10, 1), day(2026, 10, 20), day(2026, 11, 3), day(2026, 11, 4)];
        assert_eq!(to_keep(&sparse).len(), 4);
    }
}
