//! Refund arithmetic and the refund policy, with no I/O.
//!
//! A partial refund of a line pays back the units' share of what the line was paid, rounded so
//! that refunding every unit, in any number of steps, pays back exactly the line's amount and
//! never a minor unit more: the share of `already + q` units minus the share of `already`.
//!
//! The policy (CN102982479A, with the till's own cashier limit): a refund within the cashier's
//! limit for a customer whose reputation is at or above the threshold is approved at once;
//! otherwise a manager approves it on the spot with a PIN, or it waits for the seller's
//! confirmation on the server.

use crate::{CoreError, Money};

/// What `quantity` more units of a line sold as `sold` units for `amount` pay back, when
/// `already` units were refunded before.
pub fn unit_share(amount: Money, sold: i64, already: i64, quantity: i64) -> Result<Money, CoreError> {
    if sold <= 0 || already < 0 || quantity <= 0 || already + quantity > sold {
        return Err(CoreError::InvalidQuantity(quantity));
    }
    let part = |units: i64| -> i64 {
        // i128: amount * units cannot overflow, and the quotient is at most `amount`.
        (i128::from(amount.minor()) * i128::from(units) / i128::from(sold)) as i64
    };
    Ok(Money::new(part(already + quantity) - part(already), amount.currency()))
}

/// The limits a refund is held against (settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundPolicy {
    /// Largest refund a cashier may give without a manager, in the till's currency.
    pub cashier_limit: Money,
    /// Lowest customer reputation (from the server) refunded without a manager or the seller;
    /// 0 turns the check off.
    pub reputation_threshold: i64,
}

/// Why a refund cannot be approved at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutsidePolicy {
    /// The amount is above the cashier's limit.
    pub over_limit: bool,
    /// The customer's reputation is unknown or below the threshold.
    pub low_reputation: bool,
}

impl RefundPolicy {
    /// Whether a refund of `amount` for a customer of `reputation` (None: no customer, or the
    /// server could not tell) is within policy.
    pub fn check(&self, amount: Money, reputation: Option<i64>) -> Result<(), OutsidePolicy> {
        let over_limit = amount.minor() > self.cashier_limit.minor();
        let low_reputation = self.reputation_threshold > 0 && reputation.unwrap_or(0) < self.reputation_threshold;
        if over_limit || low_reputation {
            Err(OutsidePolicy { over_limit, low_reputation })
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;
    use proptest::prelude::*;

    fn cny(minor: i64) -> Money {
        Money::new(minor, Currency::CNY)
    }

    #[test]
    fn thirds_of_a_hundred_add_up_to_a_hundred() {
        let a = unit_share(cny(100), 3, 0, 1).unwrap();
        let b = unit_share(cny(100), 3, 1, 1).unwrap();
        let c = unit_share(cny(100), 3, 2, 1).unwrap();
        assert_eq!((a.minor(), b.minor(), c.minor()), (33, 33, 34));
        assert!(unit_share(cny(100), 3, 2, 2).is_err());
        assert!(unit_share(cny(100), 3, 0, 0).is_err());
    }

    #[test]
    fn policy_says_why() {
        let p = RefundPolicy { cashier_limit: cny(20_000), reputation_threshold: 60 };
        assert_eq!(p.check(cny(20_000), Some(60)), Ok(()));
        assert_eq!(p.check(cny(20_001), Some(90)), Err(OutsidePolicy { over_limit: true, low_reputation: false }));
        assert_eq!(p.check(cny(100), None), Err(OutsidePolicy { over_limit: false, low_reputation: true }));
        let open = RefundPolicy { reputation_threshold: 0, ..p };
        assert_eq!(open.check(cny(100), None), Ok(()));
    }

    proptest! {
        #[test]
        fn any_split_of_a_line_pays_back_exactly_its_amount(amount in 0i64..10_000_000_000, steps in proptest::collection::vec(1i64..5, 1..20)) {
            let sold: i64 = steps.iter().sum();
            let mut already = 0;
            let mut paid = 0;
            for q in steps {
                let s = unit_share(cny(amount), sold, already, q).unwrap();
                prop_assert!(s.minor() >= 0);
                paid += s.minor();
                already += q;
            }
            prop_assert_eq!(paid, amount);
        }
    }
}
