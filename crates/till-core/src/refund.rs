//! Refund arithmetic and the refund policy, with no I/O.
//!
//! A partial refund of a line pays back the units' share of what the line was paid, rounded so
//! that refunding every unit, in any number of steps, pays back exactly the line's amount and
//! never a minor unit more: the share of `already + q` units minus the share of `already`.
//!
//! The decision on a refund line (CN102982479A) is [`decide`], and it is the one decision: the
//! server runs it when the refund arrives and the till runs it (through the server's dry run
//! when online, with what it knows when offline), so the two agree by construction. A customer
//! whose reputation is at or above the threshold is refunded directly; otherwise the seller
//! confirms. The shop is the seller of the lines it sold itself, so a manager of the shop
//! approving at the counter is the seller's confirmation; a line sold on behalf of another
//! seller waits for that seller whatever the shop's manager says.
//!
//! The cashier's limit ([`RefundPolicy`]) is the shop's own control over its staff, checked at
//! the till only: above it a manager approves.

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

/// How a refund line is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The customer's reputation is at or above the threshold: refunded directly.
    Policy,
    /// A line the shop sold itself, approved by a manager of the shop: the seller's confirmation.
    ShopManager,
    /// Waits for the seller to confirm or reject it.
    AwaitSeller,
}

impl Decision {
    /// Whether the money may go back now.
    pub fn approved(self) -> bool {
        !matches!(self, Decision::AwaitSeller)
    }

    /// The name on the wire and in the databases: `policy`, `shop_manager`, `await_seller`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Policy => "policy",
            Decision::ShopManager => "shop_manager",
            Decision::AwaitSeller => "await_seller",
        }
    }
}

/// What a refund line is decided on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineFacts<'a> {
    /// The seller the line was sold for; `None` when the shop sold it itself.
    pub seller: Option<&'a str>,
    /// The reputation of the sale's customer; `None` when there is none or it is unknown,
    /// which counts as 0.
    pub reputation: Option<i64>,
    /// Lowest reputation refunded directly (the server's `refund_reputation_threshold`); 0
    /// refunds every customer directly.
    pub threshold: i64,
    /// A manager of the shop approved the refund at the counter.
    pub shop_manager_approved: bool,
    /// The till asked for the seller's confirmation even where the policy would refund
    /// directly (the cashier left it to the seller).
    pub hold_for_seller: bool,
}

/// The one decision on a refund line (see the module's documentation).
pub fn decide(f: &LineFacts<'_>) -> Decision {
    if f.hold_for_seller {
        Decision::AwaitSeller
    } else if f.reputation.unwrap_or(0) >= f.threshold {
        Decision::Policy
    } else if f.seller.is_none() && f.shop_manager_approved {
        Decision::ShopManager
    } else {
        Decision::AwaitSeller
    }
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

    #[test]
    fn the_shop_manager_confirms_for_the_shop_and_never_for_another_seller() {
        let base = LineFacts {
            seller: None,
            reputation: Some(40),
            threshold: 60,
            shop_manager_approved: false,
            hold_for_seller: false,
        };
        assert_eq!(decide(&base), Decision::AwaitSeller);
        assert_eq!(decide(&LineFacts { shop_manager_approved: true, ..base }), Decision::ShopManager);
        let other = LineFacts { seller: Some("acme"), shop_manager_approved: true, ..base };
        assert_eq!(decide(&other), Decision::AwaitSeller);
        // Reputation at the threshold refunds directly, for any seller; unknown counts as 0.
        assert_eq!(decide(&LineFacts { reputation: Some(60), ..other }), Decision::Policy);
        assert_eq!(decide(&LineFacts { reputation: None, ..base }), Decision::AwaitSeller);
        assert_eq!(decide(&LineFacts { reputation: None, threshold: 0, ..base }), Decision::Policy);
        // Left to the seller: it waits even for a trusted customer.
        assert_eq!(decide(&LineFacts { reputation: Some(99), hold_for_seller: true, ..base }), Decision::AwaitSeller);
        assert!(Decision::ShopManager.approved() && Decision::Policy.approved() && !Decision::AwaitSeller.approved());
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
