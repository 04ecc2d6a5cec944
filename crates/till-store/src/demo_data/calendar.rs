//! When the generated orders happen: more at weekends and at lunch and after work, slowly more
//! over the two years.

use super::GenerateSpec;
use rand::rngs::StdRng;
use rand::Rng;

pub(super) const DAY_MS: i64 = 86_400_000;
pub(super) const HOUR_MS: i64 = 3_600_000;

/// Relative traffic by hour of the day (the shop opens at 08:00 and closes at 22:00).
const HOURS: &[(i64, u32)] = &[
    (8, 1),
    (9, 2),
    (10, 3),
    (11, 5),
    (12, 7),
    (13, 5),
    (14, 3),
    (15, 3),
    (16, 4),
    (17, 6),
    (18, 8),
    (19, 7),
    (20, 5),
    (21, 2),
];

/// The orders of each day: weekends busier, a slow rise over the two years.
pub(super) fn orders_per_day(spec: &GenerateSpec) -> Vec<u64> {
    let days = spec.days as usize;
    let weights: Vec<f64> = (0..days)
        .map(|d| {
            let t = spec.start_ms + d as i64 * DAY_MS;
            // 1970-01-01 was a Thursday: day 2 and 3 of the week (from Thursday) are Sat, Sun.
            let weekday = (t.div_euclid(DAY_MS) + 3).rem_euclid(7); // 0 = Monday
            let w = if weekday >= 5 { 1.4 } else { 1.0 };
            w * (1.0 + 0.3 * d as f64 / days as f64)
        })
        .collect();
    let total: f64 = weights.iter().sum();
    let mut counts: Vec<u64> = weights.iter().map(|w| (w / total * spec.orders as f64).floor() as u64).collect();
    let mut left = spec.orders - counts.iter().sum::<u64>();
    let mut i = 0;
    while left > 0 {
        counts[i % days] += 1;
        left -= 1;
        i += 1;
    }
    counts
}

pub(super) fn time_in_day(rng: &mut StdRng, day_start: i64) -> i64 {
    let total: u32 = HOURS.iter().map(|h| h.1).sum();
    let mut pick = rng.gen_range(0..total);
    for (hour, w) in HOURS {
        if pick < *w {
            return day_start + hour * HOUR_MS + rng.gen_range(0..HOUR_MS);
        }
        pick -= w;
    }
    day_start + 12 * HOUR_MS
}
