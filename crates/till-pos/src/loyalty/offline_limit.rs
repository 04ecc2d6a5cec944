//! How many points a customer may redeem while the points server cannot be reached.
//!
//! Online, the server checks every redemption against the balance when it arrives, so the till
//! only asks it first. Offline, the points are taken as a tender now and the server hears of it
//! later: a redemption the server then refuses (too few points) is goods handed over for
//! nothing. So offline the till allows at most
//!
//! ```text
//! min(last known balance, installer's cap) - redemptions not yet confirmed
//! ```
//!
//! where the last known balance is the server's last answer for the account (kept in
//! `points_balances`), the cap is `PaymentSettings::offline_points_cap` (0, the default, turns
//! offline redemption off), and the unconfirmed redemptions are this till's pending ledger rows
//! for the account plus the redemptions held on other open carts. A customer the server never
//! answered for on this till cannot redeem offline at all.

use crate::error::{PosError, Result};

/// What the offline limit is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfflineStanding {
    /// The server's last balance for the account, if it ever answered on this till.
    pub last_balance: Option<i64>,
    /// Points redeemed and not yet confirmed by the server.
    pub pending: i64,
    /// The installer's cap on unconfirmed redemptions per customer (0: offline redemption off).
    pub cap: i64,
}

impl OfflineStanding {
    /// The most points that may be redeemed now (never below zero).
    pub fn allowed(&self) -> i64 {
        match self.last_balance {
            Some(balance) if self.cap > 0 => balance.min(self.cap).saturating_sub(self.pending).max(0),
            _ => 0,
        }
    }

    /// Whether `points` may be redeemed now; the refusal says why, for the cashier.
    pub fn check(&self, points: i64) -> Result<()> {
        const WHY: &str = "the points server cannot be reached";
        let refuse = |m: String| Err(PosError::PointsOfflineLimit(m));
        let Some(balance) = self.last_balance else {
            return refuse(format!(
                "{WHY} and this customer's balance is not known on this till: points cannot be redeemed offline"
            ));
        };
        if self.cap <= 0 {
            return refuse(format!("{WHY} and redeeming points offline is off (the installer sets a limit)"));
        }
        let allowed = self.allowed();
        if points > allowed {
            return refuse(format!(
                "{WHY}: at most {allowed} points can be redeemed offline for this customer \
                 (last known balance {balance}, {} awaiting confirmation, offline limit {})",
                self.pending, self.cap
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn standing(last_balance: Option<i64>, pending: i64, cap: i64) -> OfflineStanding {
        OfflineStanding { last_balance, pending, cap }
    }

    #[test]
    fn the_limit_is_the_smaller_of_balance_and_cap_less_what_is_pending() {
        assert_eq!(standing(Some(500), 0, 200).allowed(), 200);
        assert_eq!(standing(Some(150), 0, 200).allowed(), 150);
        assert_eq!(standing(Some(150), 100, 200).allowed(), 50);
        assert_eq!(standing(Some(500), 150, 200).allowed(), 50);
        assert_eq!(standing(Some(500), 300, 200).allowed(), 0, "never below zero");
        assert_eq!(standing(Some(500), 0, 0).allowed(), 0, "cap 0: off");
        assert_eq!(standing(None, 0, 200).allowed(), 0, "balance unknown");
        standing(Some(150), 100, 200).check(50).unwrap();
        let over = standing(Some(150), 100, 200).check(51).unwrap_err();
        assert_eq!(over.code(), ErrorCode::PointsOfflineLimit);
        assert!(over.to_string().contains("at most 50 points"), "{over}");
        assert!(standing(None, 0, 200).check(1).unwrap_err().to_string().contains("not known"));
        assert!(standing(Some(9), 0, 0).check(1).unwrap_err().to_string().contains("offline is off"));
    }
}
