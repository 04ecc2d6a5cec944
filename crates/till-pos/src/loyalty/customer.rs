//! The cashier's "Customer" button: the points terminal asks the customer's phone for a loyalty
//! token (READ_CUSTOMER with the cart total), and the till keeps who was identified with the
//! open cart, in memory, with its balance and level when the points server answers in time.
//! The token is kept only as long as the cart is open: the sale's points update carries it
//! ([`crate::loyalty`]).

use crate::admin::auth::SELLERS;
use crate::error::Result;
use crate::ipc::loyalty::CustomerView;
use crate::ipc::sync::Service;
use crate::mutex::lock;
use crate::Pos;
use std::time::Duration;
use till_core::Money;
/// How long the terminal waits for a phone.
pub const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Points redeemed against a cart, confirmed by the customer's phone.
#[derive(Clone)]
pub(crate) struct Redemption {
    pub points: i64,
    pub value: Money,
    /// The token the customer's confirmation produced; never shown or logged.
    pub token: [u8; 44],
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

/// The account id shortened for the screen: its first four bytes as hex, upper case.
pub fn short_account(account_id: &[u8; 16]) -> String {
    hex::encode_upper(&account_id[..4])
}

impl Pos {
    /// Asks the points terminal for the customer: it shows the cart total and waits for a phone
    /// (up to a minute, or until [`Pos::device_cancel`]). The cart stays as it is whatever
    /// happens.
    pub fn customer_identify(&self, token: &str) -> Result<CustomerView> {
        let s = self.authorize(token, SELLERS, "identify customers")?;
        let cart = self.cart_get(token)?;
        let cancel = self.begin_wait(s.user_id);
        let read = self.with_terminal(|t| t.read_customer(cart.total, READ_TIMEOUT, &cancel));
        self.end_wait(s.user_id);
        let loyalty = read?;
        let account_id = hex::encode(loyalty.account_id);
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
        tracing::info!(user_id = s.user_id, account = %view.account_short, "customer identified");
        lock(&self.customers).insert(
            s.user_id,
            Identified { view: view.clone(), account_id, token: loyalty.to_bytes(), redemption: None },
        );
        Ok(view)
    }

    /// The customer identified for the caller's open cart, if any. A customer belongs to one
    /// cart: after checkout or a cleared cart there is none.
    pub fn customer_get(&self, token: &str) -> Result<Option<CustomerView>> {
        let s = self.authorize(token, SELLERS, "see the customer")?;
        let cart_id = self.cart_get(token).map(|c| c.cart_id).ok();
        let mut customers = lock(&self.customers);
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
    pub fn customer_clear(&self, token: &str) -> Result<()> {
        let s = self.authorize(token, SELLERS, "identify customers")?;
        lock(&self.customers).remove(&s.user_id);
        Ok(())
    }
}
