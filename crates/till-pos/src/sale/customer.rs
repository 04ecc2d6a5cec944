//! The customer at the counter, with the open cart: the cashier's "Customer" button (the points
//! terminal asks the customer's phone for a loyalty token, READ_CUSTOMER with the cart total),
//! points redeemed as a tender, and the points changes the sale will carry. The till keeps who
//! was identified with the open cart, in memory, with the balance and level when the points
//! server answers in time; the tokens live only as long as the cart is open. The points rules
//! themselves are [`crate::loyalty`]'s.
//!
//! The identify token (version 1) only earns. A redemption is approved by the customer on their
//! phone: the terminal shows "redeem N points for order X" (REDEEM) and the phone signs exactly
//! that (a version 2 token naming the kind, the points and the cart's checkout key), which the
//! server checks against the sale it receives. Before asking the phone, the till checks the
//! points against the server's balance, or, offline, against the offline limit
//! ([`crate::loyalty::offline_limit`]).

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::loyalty::CustomerView;
use crate::ipc::sync::Service;
use crate::loyalty::offline_limit::OfflineStanding;
use crate::loyalty::short_account;
use crate::mutex::lock;
use crate::Pos;
use std::time::Duration;
use till_core::loyalty::{points_earned, points_for, redeem_value};
use till_core::loyalty_token::{RedeemToken, Redemption as Approved, REDEEM_TOKEN_LEN};
use till_core::Money;
use till_core::{CartId, SessionToken};
use till_devices::DeviceError;
use till_store::{PointsChange, SaleLoyalty};
/// How long the terminal waits for a phone.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Points redeemed against a cart, approved on the customer's phone.
#[derive(Clone)]
pub(crate) struct Redemption {
    pub points: i64,
    pub value: Money,
    /// The redemption token (version 2) the phone signed; never shown or logged.
    pub token: [u8; REDEEM_TOKEN_LEN],
    /// Its counter, for the order in which the sale's points changes are sent.
    pub counter: u32,
}

/// What the till keeps for an identified customer.
#[derive(Clone)]
pub(crate) struct Identified {
    pub view: CustomerView,
    /// The points account, 32 hex digits.
    pub account_id: String,
    /// The token, for the sale's points update; never shown or logged.
    pub token: [u8; 44],
    /// Points redeemed as a tender, if any.
    pub redemption: Option<Redemption>,
}

impl Pos {
    /// Asks the points terminal for the customer: it shows the cart total and waits for a phone
    /// (up to a minute, or until [`Pos::device_cancel`]). The cart stays as it is whatever
    /// happens.
    pub fn customer_identify(&self, token: &SessionToken) -> Result<CustomerView> {
        let s = self.authorize(token, Command::CustomerIdentify)?;
        let cart = self.cart_get(token)?;
        let cancel = self.begin_wait(s.user_id);
        let read = self.with_terminal(|t| t.read_customer(cart.total, READ_TIMEOUT, &cancel));
        self.end_wait(s.user_id);
        let loyalty = read?;
        let account_id = hex::encode(loyalty.account_id);
        // Earns this customer's earlier tokens could not carry in time go again with this one,
        // queued before anything this identification's own sale will queue.
        self.points_resend_waiting(s.user_id, &account_id, &loyalty.to_bytes())?;
        // The balance is a courtesy: offline, the sale goes on without it.
        let account =
            self.server_call(Service::Points, "GET", &format!("/v1/points/accounts/{account_id}"), None, None).ok();
        let view = CustomerView {
            cart_id: cart.cart_id.clone(),
            account_short: short_account(&loyalty.account_id),
            identified_at_ms: self.now_ms(),
            balance: account.as_ref().and_then(|a| a.get("balance")).and_then(|b| b.as_i64()),
            level: account.as_ref().and_then(|a| a.get("level")).and_then(|b| b.as_str()).map(str::to_string),
            promotions: account
                .as_ref()
                .and_then(|a| a.get("promotions"))
                .and_then(|p| p.as_array())
                .map(|p| p.iter().filter_map(|x| x.get("text")?.as_str().map(str::to_string)).collect())
                .unwrap_or_default(),
            redeem_points: 0,
            redeem_value: None,
        };
        if let Some(balance) = view.balance {
            // The server's word on the balance: the offline limit starts from it.
            self.store.points_balance_put(&account_id, balance, self.now_ms())?;
        }
        tracing::info!(user_id = s.user_id, account = %view.account_short, "customer identified");
        lock(&self.sale.customers).insert(
            s.user_id,
            Identified { view: view.clone(), account_id, token: loyalty.to_bytes(), redemption: None },
        );
        Ok(view)
    }

    /// The customer identified for the caller's open cart, if any. A customer belongs to one
    /// cart: after checkout or a cleared cart there is none.
    pub fn customer_get(&self, token: &SessionToken) -> Result<Option<CustomerView>> {
        let s = self.authorize(token, Command::CustomerGet)?;
        let cart_id = self.cart_get(token).map(|c| c.cart_id).ok();
        let mut customers = lock(&self.sale.customers);
        match customers.get(&s.user_id) {
            Some(c) if Some(&c.view.cart_id) == cart_id.as_ref() => Ok(Some(c.view.clone())),
            Some(_) => {
                customers.remove(&s.user_id);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    /// Forgets the customer of the caller's cart.
    pub fn customer_clear(&self, token: &SessionToken) -> Result<()> {
        let s = self.authorize(token, Command::CustomerClear)?;
        lock(&self.sale.customers).remove(&s.user_id);
        Ok(())
    }

    /// Redeems `points` of the identified customer against the open cart: the points terminal
    /// shows the points, their value and the order, and the customer approves by presenting
    /// their phone, which signs exactly that (a version 2 token). At most the cart's total and
    /// the customer's balance (offline: the offline limit); 0 removes the redemption.
    pub fn points_redeem(&self, token: &SessionToken, points: i64) -> Result<CustomerView> {
        let s = self.authorize(token, Command::PointsRedeem)?;
        let cart = self.cart_get(token)?;
        let current = lock(&self.sale.customers)
            .get(&s.user_id)
            .filter(|c| c.view.cart_id == cart.cart_id)
            .cloned()
            .ok_or_else(|| PosError::InvalidInput("identify the customer first".into()))?;
        if points == 0 {
            return self.set_redemption(s.user_id, &cart.cart_id, None);
        }
        let rules = self.loyalty_settings()?.rules();
        let mut value = redeem_value(&rules, points, cart.total)?;
        if value.minor() > cart.total.minor() {
            // never more than the total: take only the points the total needs
            let needed = points_for(&rules, cart.total)?;
            return Err(PosError::InvalidInput(format!("at most {needed} points pay this cart")));
        }
        let wanted = Approved::new(points, cart.cart_id.as_str()).map_err(|e| PosError::InvalidInput(e.to_string()))?;
        let offline = self.check_redeemable(s.user_id, &current.account_id, points)?;
        value = Money::new(value.minor(), cart.total.currency());
        let cancel = self.begin_wait(s.user_id);
        let read = self.with_terminal(|t| t.redeem(wanted, value, crate::sale::customer::READ_TIMEOUT, &cancel));
        self.end_wait(s.user_id);
        let confirm: RedeemToken = read?;
        if confirm.account_id.as_slice() != hex::decode(&current.account_id).unwrap_or_default().as_slice() {
            return Err(PosError::InvalidInput("another customer's phone was presented; redemption not made".into()));
        }
        if !confirm.covers(&wanted) {
            // The driver checks this too; the till forwards nothing the customer did not see.
            return Err(PosError::Points(DeviceError::PointsRedemptionMismatch));
        }
        tracing::info!(user_id = s.user_id, points, offline, "points redemption approved on the phone");
        let r = Redemption { points, value, token: confirm.to_bytes(), counter: confirm.counter };
        self.set_redemption(s.user_id, &cart.cart_id, Some(r))
    }

    /// Whether `points` of `account_id` may be redeemed now, before the phone is asked. Online
    /// (the points server answers the account lookup): its balance less the redemptions it has
    /// not confirmed yet; the answer is kept as the last known balance. Offline (no answer, or
    /// no server set up): the offline limit. Returns whether the redemption is made offline.
    fn check_redeemable(&self, user_id: i64, account_id: &str, points: i64) -> Result<bool> {
        let pending =
            self.store.points_pending_redeemed(account_id)?.saturating_add(self.held_redemptions(user_id, account_id));
        let lookup = self.server_call(Service::Points, "GET", &format!("/v1/points/accounts/{account_id}"), None, None);
        match lookup {
            Ok(answer) => {
                let balance = answer
                    .get("balance")
                    .and_then(|b| b.as_i64())
                    .ok_or_else(|| PosError::ServerUnreachable("the account answer has no balance".into()))?;
                self.store.points_balance_put(account_id, balance, self.now_ms())?;
                let available = balance.saturating_sub(pending).max(0);
                if points > available {
                    return Err(PosError::InvalidInput(format!(
                        "the customer has {available} points to redeem (balance {balance}, {pending} awaiting confirmation)"
                    )));
                }
                Ok(false)
            }
            Err(PosError::ServerUnreachable(why)) => {
                tracing::info!(%why, "points server unreachable; the offline redemption limit applies");
                self.check_offline(account_id, points, pending).map(|()| true)
            }
            Err(PosError::SyncNotConfigured) => self.check_offline(account_id, points, pending).map(|()| true),
            Err(e) => Err(e),
        }
    }

    fn check_offline(&self, account_id: &str, points: i64, pending: i64) -> Result<()> {
        let standing = OfflineStanding {
            last_balance: self.store.points_last_balance(account_id)?.map(|(balance, _)| balance),
            pending,
            cap: self.payment_settings()?.offline_points_cap,
        };
        standing.check(points)
    }

    /// Points of `account_id` redeemed on the open carts of users other than `user_id`: not yet
    /// in the ledger, but as good as spent.
    fn held_redemptions(&self, user_id: i64, account_id: &str) -> i64 {
        lock(&self.sale.customers)
            .iter()
            .filter(|(user, c)| **user != user_id && c.account_id == account_id)
            .filter_map(|(_, c)| c.redemption.as_ref().map(|r| r.points))
            .sum()
    }

    fn set_redemption(&self, user_id: i64, cart_id: &CartId, r: Option<Redemption>) -> Result<CustomerView> {
        let mut customers = lock(&self.sale.customers);
        let c = customers
            .get_mut(&user_id)
            .filter(|c| c.view.cart_id == *cart_id)
            .ok_or_else(|| PosError::InvalidInput("identify the customer first".into()))?;
        c.view.redeem_points = r.as_ref().map_or(0, |r| r.points);
        c.view.redeem_value = r.as_ref().map(|r| r.value);
        c.redemption = r;
        self.customer_display.points_paid(user_id, cart_id, c.view.redeem_value);
        Ok(c.view.clone())
    }

    /// What points pay of the user's cart `cart_id` (zero without a redemption).
    pub(crate) fn points_paying(&self, user_id: i64, cart_id: &CartId) -> Option<Money> {
        lock(&self.sale.customers)
            .get(&user_id)
            .filter(|c| c.view.cart_id == *cart_id)
            .and_then(|c| c.redemption.as_ref().map(|r| r.value))
    }

    /// The loyalty side of the sale of `cart` (None without an identified customer).
    pub(crate) fn sale_loyalty(
        &self,
        user_id: i64,
        cart_id: &CartId,
        cart: &till_core::Cart,
    ) -> Result<Option<SaleLoyalty>> {
        let Some(c) = lock(&self.sale.customers).get(&user_id).filter(|c| c.view.cart_id == *cart_id).cloned() else {
            return Ok(None);
        };
        let settings = self.loyalty_settings()?;
        let totals = cart.totals()?;
        let lines: Vec<(Money, i64)> = cart
            .lines()
            .iter()
            .zip(&totals.lines)
            .map(|(l, s)| (s.gross, settings.multiplier(l.product.sku.as_str())))
            .collect();
        let paid_by_points = c.redemption.as_ref().map_or(0, |r| r.value.minor());
        let money = Money::new(totals.total.minor() - paid_by_points, totals.total.currency());
        let earned = points_earned(&settings.rules(), &lines, totals.total, money);
        let identify_counter = u32::from_be_bytes([c.token[16], c.token[17], c.token[18], c.token[19]]);
        let redeem_first = c.redemption.as_ref().is_some_and(|r| r.counter < identify_counter);
        Ok(Some(SaleLoyalty {
            customer_ref: c.account_id.clone(),
            redeem: c.redemption.as_ref().map(|r| {
                (
                    PointsChange { event_id: self.random_hex(16), points: r.points, token_hex: hex::encode(r.token) },
                    r.value,
                )
            }),
            earn: (earned > 0).then(|| PointsChange {
                event_id: self.random_hex(16),
                points: earned,
                token_hex: hex::encode(c.token),
            }),
            redeem_first,
        }))
    }
}
