//! One till of the chain: its own data directory and database, its terminal on the server, its
//! sync worker, and the counter's work driven through till-pos's `Pos` as the desktop shell
//! drives it: cash and card sales, sales that earn or redeem points, refunds.

use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use till_core::{OrderId, SessionToken};
use till_pos::ipc::refund::{RefundInput, RefundLineInput, RefundLookup};
use till_pos::ipc::sale::{CardPaymentStatus, CardPaymentView};
use till_pos::ipc::watch::Watch;
use till_pos::{Pos, PosConfig};

const CASHIER: (i64, &str) = (1, "1111");
const MANAGER: (i64, &str) = (2, "2222");
const INSTALLER: (i64, &str) = (3, "3333");
/// Demo catalogue items, all under the cashier's refund limit.
const ITEMS: [&str; 4] = ["TEA-01", "TEA-02", "TEA-03", "DRK-001"];

/// What the counter does, one step at a time; [`Workload::op`] says which for step `i`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// A cash sale of one or two items.
    Cash,
    /// A card sale through the simulated reader and the server's payment platform (cash when
    /// the platform cannot be reached: the customer still pays).
    Card,
    /// A cash sale to the till's loyalty customer, who earns points.
    Earn,
    /// A sale to the loyalty customer who pays part with points.
    Redeem,
    /// A manager refunds a line of an earlier cash sale (points earned on it come off).
    Refund,
}

/// Which steps a run takes.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    /// Card sales (they need the server at the moment of sale).
    pub card: bool,
    /// Points earned and redeemed (a checkout with points waits a moment for the server).
    pub points: bool,
    /// Refunds.
    pub refunds: bool,
}

impl Workload {
    /// Everything.
    pub const FULL: Workload = Workload { card: true, points: true, refunds: true };

    /// The step `i` of a till's run.
    pub fn op(&self, i: usize) -> Op {
        let cycle = [Op::Cash, Op::Card, Op::Earn, Op::Refund, Op::Cash, Op::Redeem, Op::Earn, Op::Refund];
        let op = cycle[i % cycle.len()];
        match op {
            Op::Card if !self.card => Op::Cash,
            Op::Earn | Op::Redeem if !self.points => Op::Cash,
            Op::Refund if !self.refunds => Op::Cash,
            other => other,
        }
    }
}

/// What a till's run did.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Sales recorded (any tender).
    pub sales: usize,
    /// Of them, paid by card.
    pub card: usize,
    /// Card sales that fell back to cash (the platform was not reachable).
    pub card_fallback: usize,
    /// Sales with points earned or redeemed.
    pub points: usize,
    /// Refunds recorded.
    pub refunds: usize,
    /// Steps the till refused (a refund it could not record, a redemption it could not make),
    /// with why: not failures of the run, but what the cashier saw.
    pub refused: Vec<String>,
}

/// One till.
pub struct Till {
    /// Its number in the chain, from 0.
    pub index: usize,
    /// The application layer, as the desktop shell holds it.
    pub pos: Pos,
    /// Its terminal on the server.
    pub terminal_id: String,
    secret: String,
    /// The loyalty account of its regular customer, once enrolled.
    pub account: Mutex<Option<String>>,
    cashier: SessionToken,
    manager: SessionToken,
    /// Local order ids of cash sales not refunded yet.
    refundable: Mutex<Vec<i64>>,
}

impl Till {
    /// Opens a demo till in `dir` (its own database), points it at `url` as terminal
    /// `terminal_id` and sets up the card platform's key; the sync worker is not started yet.
    pub fn open(index: usize, dir: &Path, url: &str, terminal_id: &str, secret: &str) -> Result<Till, String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let e = |e: till_pos::PosError| format!("till {index}: {e}");
        let pos = Pos::open(PosConfig {
            card_reader: "sim://card-reader?delay_ms=1".into(),
            ..PosConfig::demo(dir.join("till.db"))
        })
        .map_err(e)?;
        pos.sync_seed_settings(url, terminal_id, secret).map_err(e)?;
        let installer = pos.login(INSTALLER.0, INSTALLER.1).map_err(e)?.token;
        // The sandbox platform's key, as every server of the chain is configured by default.
        let key = till_server::config::Config::default().sandbox.platform_key;
        pos.platform_key_set(&installer, &key).map_err(e)?;
        let cashier = pos.login(CASHIER.0, CASHIER.1).map_err(e)?.token;
        let manager = pos.login(MANAGER.0, MANAGER.1).map_err(e)?.token;
        Ok(Till {
            index,
            pos,
            terminal_id: terminal_id.to_string(),
            secret: secret.to_string(),
            account: Mutex::new(None),
            cashier,
            manager,
            refundable: Mutex::new(Vec::new()),
        })
    }

    /// Points the till at another server of the chain (as an installer does when its own is
    /// down): the worker restarts there and retries what is pending.
    pub fn point_at(&self, url: &str) -> Result<(), String> {
        self.pos.sync_seed_settings(url, &self.terminal_id, &self.secret).map_err(|e| self.err("fail over", e))?;
        Ok(())
    }

    /// Enrols the till's regular customer (on the server, through the simulated points
    /// terminal and phone).
    pub fn enrol(&self) -> Result<(), String> {
        let v = self.pos.points_enrol(&self.cashier).map_err(|e| format!("till {}: enrol: {e}", self.index))?;
        *self.account.lock().map_err(|e| e.to_string())? = Some(v.account_id);
        Ok(())
    }

    /// Runs one step; a step the till refuses is tallied, an error of the harness is returned.
    pub fn step(&self, i: usize, op: Op, tally: &mut Tally) -> Result<(), String> {
        let refused = |tally: &mut Tally, what: &str, e: till_pos::PosError| {
            tally.refused.push(format!("till {} step {i} {what}: {e}", self.index));
        };
        match op {
            Op::Cash | Op::Earn | Op::Redeem => {
                let customer = op != Op::Cash && self.account.lock().map_err(|e| e.to_string())?.is_some();
                let cart = self.fill_cart(i)?;
                let mut due = cart.total.minor();
                if customer {
                    match self.pos.customer_identify(&self.cashier) {
                        Ok(_) if op == Op::Redeem => match self.pos.points_redeem(&self.cashier, 5) {
                            Ok(c) => due -= c.redeem_value.map_or(0, |m| m.minor()),
                            Err(e) => refused(tally, "redeem", e),
                        },
                        Ok(_) => {}
                        Err(e) => refused(tally, "identify", e),
                    }
                }
                let r =
                    self.pos.checkout_cash(&self.cashier, &cart.cart_id, due).map_err(|e| self.err("checkout", e))?;
                tally.sales += 1;
                if r.points.is_some() {
                    tally.points += 1;
                }
                self.refundable.lock().map_err(|e| e.to_string())?.push(r.order_id);
            }
            Op::Card => {
                let cart = self.fill_cart(i)?;
                match self.pay_by_card(&cart.cart_id)? {
                    Ok(_) => tally.card += 1,
                    Err(e) => {
                        tally.card_fallback += 1;
                        refused(tally, "card", e);
                        self.pos
                            .checkout_cash(&self.cashier, &cart.cart_id, cart.total.minor())
                            .map_err(|e| self.err("checkout after the card", e))?;
                    }
                }
                tally.sales += 1;
            }
            Op::Refund => {
                let order = self.refundable.lock().map_err(|e| e.to_string())?.first().copied();
                let Some(order_id) = order else { return Ok(()) };
                let receipt = self.pos.receipt(&self.cashier, OrderId::new(order_id).map_err(|e| e.to_string())?);
                let receipt = receipt.map_err(|e| self.err("receipt", e))?;
                let lookup = RefundLookup {
                    by: "line_code".into(),
                    text: receipt.lines[0].line_code.clone(),
                    date: None,
                    amount_minor: None,
                    utc_offset_minutes: None,
                };
                let found = self.pos.refund_find(&self.manager, lookup).map_err(|e| self.err("refund_find", e))?;
                let input = RefundInput {
                    order_id: found.order_id,
                    lines: vec![RefundLineInput { order_line_id: found.lines[0].order_line_id, quantity: 1 }],
                    reason: "defective".into(),
                    photo_base64: None,
                    manager_id: None,
                    manager_pin: None,
                    wait_for_seller: false,
                };
                match self.pos.refund_record(&self.manager, input) {
                    Ok(_) => {
                        tally.refunds += 1;
                        self.refundable.lock().map_err(|e| e.to_string())?.retain(|o| *o != order_id);
                    }
                    Err(e) => refused(tally, "refund", e),
                }
            }
        }
        Ok(())
    }

    fn err(&self, what: &str, e: till_pos::PosError) -> String {
        format!("till {}: {what}: {e}", self.index)
    }

    fn fill_cart(&self, i: usize) -> Result<till_pos::ipc::views::CartView, String> {
        let mut cart = self.pos.cart_scan(&self.cashier, ITEMS[i % ITEMS.len()]).map_err(|e| self.err("scan", e))?;
        if i.is_multiple_of(3) {
            cart = self.pos.cart_scan(&self.cashier, ITEMS[(i + 1) % ITEMS.len()]).map_err(|e| self.err("scan", e))?;
        }
        Ok(cart)
    }

    /// A card payment of the open cart up to the receipt: the outer error is the harness's, the
    /// inner one the till's answer (declined, platform unreachable).
    fn pay_by_card(&self, cart_id: &till_core::CartId) -> Result<Result<i64, till_pos::PosError>, String> {
        let (tx, rx) = mpsc::channel::<CardPaymentView>();
        let tx = Mutex::new(tx);
        let watch: Watch<CardPaymentView> = Arc::new(move |v: &CardPaymentView| {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(v.clone());
            }
        });
        let v = match self.pos.payment_start(&self.cashier, cart_id, watch) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        loop {
            let seen =
                rx.recv_timeout(Duration::from_secs(20)).map_err(|_| self.err_text("the card was never read"))?;
            match seen.status {
                CardPaymentStatus::Signature => break,
                CardPaymentStatus::Waiting => {}
                other => return Err(self.err_text(&format!("card reader: {other:?}"))),
            }
        }
        if let Err(e) = self.pos.payment_sign(&self.cashier, &v.payment_id, None) {
            return Ok(Err(e));
        }
        Ok(self.pos.payment_authorize(&self.cashier, &v.payment_id).map(|r| r.order_id))
    }

    fn err_text(&self, what: &str) -> String {
        format!("till {}: {what}", self.index)
    }

    /// Events not delivered yet: (pending, parked).
    pub fn undelivered(&self) -> Result<(i64, i64), String> {
        self.pos.sync_nudge();
        let s = self.pos.sync_status_now().map_err(|e| self.err("sync status", e))?;
        Ok((s.pending, s.parked))
    }
}
