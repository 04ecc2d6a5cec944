//! Ringing up and taking payment: the open carts and cash checkout ([`cart`]), card payments
//! step by step ([`card`]), card payments approved offline and forwarded later
//! ([`offline_forward`]), and the payment journal that takes back an approval whose sale was
//! not recorded ([`journal`]).

pub mod card;
pub mod cart;
pub mod customer;
pub mod journal;
pub mod offline_forward;
pub mod payment_code;
pub mod priced_lines;

use crate::mutex::lock;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// What selling holds: each seller's open cart and the customer identified with it, the card
/// payments under way, the key of the
/// card-number hash, and how long the reader waits for a swipe.
pub(crate) struct Sales {
    pub(crate) carts: Mutex<HashMap<i64, cart::OpenCart>>,
    /// The customer identified for each seller's open cart (account, token, any redemption).
    pub(crate) customers: Mutex<HashMap<i64, customer::Identified>>,
    pub(crate) card_payments: card::CardPayments,
    pub(crate) card_hash_key: [u8; 32],
    pub(crate) card_timeout: Duration,
    /// Payment codes under way, by payment id: set to true when the cashier cancels.
    pub(crate) code_payments: Mutex<HashMap<String, bool>>,
    /// How often to ask about a payment code the customer is confirming.
    pub(crate) code_poll: Duration,
}

impl Sales {
    /// No carts yet; the hash key is loaded once the till is open.
    pub(crate) fn new(card_payments: card::CardPayments, card_timeout: Duration, code_poll: Duration) -> Self {
        Sales {
            carts: Mutex::new(HashMap::new()),
            customers: Mutex::new(HashMap::new()),
            card_payments,
            card_hash_key: [0; 32],
            card_timeout,
            code_payments: Mutex::new(HashMap::new()),
            code_poll,
        }
    }
}

impl std::fmt::Debug for Sales {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sales").field("open_carts", &lock(&self.carts).len()).finish_non_exhaustive()
    }
}
