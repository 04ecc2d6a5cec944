//! Loyalty points arithmetic (CN101986339A), with no I/O: points earned on what a customer paid
//! in money, and the money value of points redeemed as a tender.
//!
//! Earning is `points_per_unit` points per whole currency unit of each line, times the line's
//! product multiplier (percent, 100 = normal), on the part of the order paid in money: points
//! spent on an order earn nothing. Fractions of a point are dropped once, on the order's sum.

use crate::{CoreError, Money};

/// The points rules of a shop (settings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsRules {
    /// Points per whole currency unit paid.
    pub points_per_unit: i64,
    /// Money value of one point when redeemed, in minor units.
    pub redeem_value_minor: i64,
}

/// Points earned by an order: `lines` are each line's amount with its product's multiplier
/// (percent); `paid_in_money` is the part of `total` not paid with points.
pub fn points_earned(rules: &PointsRules, lines: &[(Money, i64)], total: Money, paid_in_money: Money) -> i64 {
    if total.minor() <= 0 || rules.points_per_unit <= 0 {
        return 0;
    }
    let unit = 10i128.pow(u32::from(total.currency().minor_digits()));
    // points * unit, before the money share and the one rounding
    let scaled: i128 = lines
        .iter()
        .map(|(m, pct)| i128::from(m.minor()) * i128::from(rules.points_per_unit) * i128::from((*pct).max(0)) / 100)
        .sum();
    let share = scaled * i128::from(paid_in_money.minor().clamp(0, total.minor())) / i128::from(total.minor());
    i64::try_from(share / unit).unwrap_or(i64::MAX)
}

/// The money value of `points` redeemed, in the order's currency.
pub fn redeem_value(rules: &PointsRules, points: i64, like: Money) -> Result<Money, CoreError> {
    if points <= 0 {
        return Err(CoreError::NegativeAmount);
    }
    let minor = points.checked_mul(rules.redeem_value_minor).ok_or(CoreError::Overflow)?;
    Ok(Money::new(minor, like.currency()))
}

/// The points a redemption of `amount` takes (rounded up, so the shop never gives more value
/// than the points are worth).
pub fn points_for(rules: &PointsRules, amount: Money) -> Result<i64, CoreError> {
    if amount.minor() <= 0 || rules.redeem_value_minor <= 0 {
        return Err(CoreError::NegativeAmount);
    }
    Ok((amount.minor() + rules.redeem_value_minor - 1) / rules.redeem_value_minor)
}

/// The part of `points` that goes back when `refunded` of an order of `total` is refunded
/// (rounded down: never more than was redeemed or earned, over any number of refunds when the
/// caller passes the running sums).
pub fn points_share(points: i64, total: Money, refunded_before: Money, refunded_now: Money) -> i64 {
    if total.minor() <= 0 {
        return 0;
    }
    let at = |m: i64| (i128::from(points) * i128::from(m.clamp(0, total.minor())) / i128::from(total.minor())) as i64;
    at(refunded_before.minor() + refunded_now.minor()) - at(refunded_before.minor())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;

    fn cny(minor: i64) -> Money {
        Money::new(minor, Currency::CNY)
    }

    const RULES: PointsRules = PointsRules { points_per_unit: 1, redeem_value_minor: 1 };

    #[test]
    fn one_point_per_yuan_with_a_double_points_product() {
        // 12.50 at 100% and 3.00 at 200% -> 12.5 + 6 = 18.5 -> 18 points
        let lines = [(cny(1250), 100), (cny(300), 200)];
        assert_eq!(points_earned(&RULES, &lines, cny(1550), cny(1550)), 18);
        // half paid in points earns on half
        assert_eq!(points_earned(&RULES, &lines, cny(1550), cny(775)), 9);
        assert_eq!(points_earned(&RULES, &lines, cny(1550), cny(0)), 0);
    }

    #[test]
    fn redemption_rounds_in_the_shops_favour() {
        let rules = PointsRules { points_per_unit: 1, redeem_value_minor: 10 };
        assert_eq!(points_for(&rules, cny(95)).unwrap(), 10);
        assert_eq!(redeem_value(&rules, 10, cny(0)).unwrap(), cny(100));
        assert!(points_for(&rules, cny(0)).is_err());
    }

    #[test]
    fn shares_of_points_never_exceed_the_points() {
        let total = cny(1000);
        let a = points_share(7, total, cny(0), cny(333));
        let b = points_share(7, total, cny(333), cny(333));
        let c = points_share(7, total, cny(666), cny(334));
        assert_eq!(a + b + c, 7);
    }
}
