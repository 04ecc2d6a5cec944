//! Tax rates and the rounding rule.
//!
//! The rule: tax is computed **per line**, on the line amount (unit price × quantity), and
//! rounded to the minor unit **half away from zero**. For a tax-inclusive price the tax is the
//! part of the gross amount `gross × r / (1 + r)`; for a tax-exclusive price it is `net × r`.
//! The order's tax is the sum of its lines' taxes, so every total is exactly the sum of its
//! lines and a receipt always adds up.

use crate::{CoreError, Money};

/// A tax rate in basis points (1300 = 13 %), from 0 to 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaxRate(u16);

impl TaxRate {
    /// A rate of `bp` basis points; 0 to 10,000.
    pub fn from_basis_points(bp: i64) -> Result<Self, CoreError> {
        if (0..=10_000).contains(&bp) {
            Ok(TaxRate(bp as u16))
        } else {
            Err(CoreError::InvalidTaxRate(bp))
        }
    }

    /// The rate in basis points.
    pub fn basis_points(self) -> u16 {
        self.0
    }
}

/// A line amount split into its net, tax and gross parts (`net + tax == gross`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxSplit {
    /// Amount before tax.
    pub net: Money,
    /// The tax.
    pub tax: Money,
    /// Amount including tax: what the customer pays.
    pub gross: Money,
}

/// Splits a line `amount` at `rate`; `inclusive` says whether `amount` already holds the tax.
pub fn split(amount: Money, rate: TaxRate, inclusive: bool) -> Result<TaxSplit, CoreError> {
    let a = i128::from(amount.minor());
    let r = i128::from(rate.0);
    let cur = amount.currency();
    let to_money = |v: i128| -> Result<Money, CoreError> {
        i64::try_from(v).map(|m| Money::new(m, cur)).map_err(|_| CoreError::Overflow)
    };
    if inclusive {
        let tax = to_money(div_round_half_away(a * r, 10_000 + r))?;
        Ok(TaxSplit { net: amount.checked_sub(tax)?, tax, gross: amount })
    } else {
        let tax = to_money(div_round_half_away(a * r, 10_000))?;
        Ok(TaxSplit { net: amount, tax, gross: amount.checked_add(tax)? })
    }
}

/// `n / d` rounded half away from zero; `d > 0`.
fn div_round_half_away(n: i128, d: i128) -> i128 {
    let q = (2 * n.abs() + d) / (2 * d);
    if n < 0 {
        -q
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;
    use proptest::prelude::*;

    fn cny(m: i64) -> Money {
        Money::new(m, Currency::parse("CNY").unwrap())
    }

    #[test]
    fn exclusive_rounds_half_away_from_zero() {
        // 0.50 at 13% = 0.065 -> 0.07 ; 0.10 at 6% = 0.006 -> 0.01 ; 0.08 at 6% = 0.0048 -> 0.00
        let r13 = TaxRate::from_basis_points(1300).unwrap();
        let r6 = TaxRate::from_basis_points(600).unwrap();
        assert_eq!(split(cny(50), r13, false).unwrap().tax, cny(7));
        assert_eq!(split(cny(10), r6, false).unwrap().tax, cny(1));
        assert_eq!(split(cny(8), r6, false).unwrap().tax, cny(0));
    }

    #[test]
    fn inclusive_takes_the_tax_out_of_the_price() {
        // 113.00 incl. 13% is 100.00 net + 13.00 tax.
        let s = split(cny(11300), TaxRate::from_basis_points(1300).unwrap(), true).unwrap();
        assert_eq!((s.net, s.tax, s.gross), (cny(10000), cny(1300), cny(11300)));
    }

    #[test]
    fn rates_out_of_range_are_refused() {
        assert!(TaxRate::from_basis_points(-1).is_err());
        assert!(TaxRate::from_basis_points(10_001).is_err());
    }

    proptest! {
        #[test]
        fn net_plus_tax_is_gross(amount in 0i64..1_000_000_000_000, bp in 0i64..=10_000, inclusive: bool) {
            let s = split(cny(amount), TaxRate::from_basis_points(bp).unwrap(), inclusive).unwrap();
            prop_assert_eq!(s.net.checked_add(s.tax).unwrap(), s.gross);
        }

        #[test]
        fn rounding_error_is_at_most_half_a_unit(amount in 0i64..1_000_000_000_000, bp in 0i64..=10_000) {
            // exact tax = amount*bp/10000 ; |rounded*10000 - amount*bp| <= 5000
            let s = split(cny(amount), TaxRate::from_basis_points(bp).unwrap(), false).unwrap();
            let diff = (i128::from(s.tax.minor()) * 10_000 - i128::from(amount) * i128::from(bp)).abs();
            prop_assert!(diff <= 5_000);
            // and a tie goes up (away from zero)
            if diff == 5_000 {
                prop_assert!(i128::from(s.tax.minor()) * 10_000 > i128::from(amount) * i128::from(bp));
            }
        }
    }
}
