//! The customer display: what the customer at the counter sees of the sale, on a second window
//! facing them and on a serial pole display ([`pole`]).
//!
//! The sale tells it what happens through one-line calls: each cart change (scan, quantity,
//! remove, clear), points redeemed, each step of a card payment (the reader waiting, "enter
//! your PIN"), a points enrolment's QR code, and the recorded sale (thank you, the change). It
//! keeps one [`CustomerDisplayView`] and pushes every change to its listeners (the shell's
//! second window, the pole display's worker); nothing asks it again and again, and the window
//! has no command to call. A thank-you goes back to the welcome after [`THANK_YOU_MS`], an
//! enrolment's QR code after [`ENROL_MS`], by the till's clock ([`Pos::customer_display_tick`],
//! called by a timer thread).
//!
//! Lock order: the display's lock is the innermost of the till's; it is taken while the sale
//! holds its own and never the other way round, and listeners are called under it (in order),
//! so they must only hand the view on.

pub mod pole;
#[cfg(test)]
mod tests;

use crate::error::Result;
use crate::ipc::display::{CustomerDisplayView, CustomerLine, CustomerPhase};
use crate::ipc::sale::{CardPaymentStatus, CardPaymentView};
use crate::ipc::views::{CartView, Receipt};
use crate::ipc::watch::{Watch, Watchers};
use crate::mutex::lock;
use crate::Pos;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use till_core::{CartId, Clock, Currency, Money};

/// How long the thank-you stays before the welcome, ms.
pub const THANK_YOU_MS: i64 = 8_000;
/// How long an enrolment's QR code stays when nothing else happens, ms.
pub const ENROL_MS: i64 = 120_000;
/// Setting: `on` opens the customer window on the second monitor (`off` or unset: none).
pub const SETTING_WINDOW: &str = "display.customer_window";
/// Setting: the pole display's address, `serial:///dev/ttyUSB1?baud=9600` (unset: none).
pub const SETTING_POLE: &str = "display.pole_uri";
/// How often the timer thread looks at the clock.
const TICK: Duration = Duration::from_millis(250);

/// The customer display's state: the view shown and who is told of it.
pub struct CustomerDisplay {
    shared: Arc<Shared>,
    started: AtomicBool,
}

struct Shared {
    state: Mutex<State>,
    watchers: Watchers<CustomerDisplayView>,
    clock: Arc<dyn Clock>,
    pole_fault: Arc<Mutex<Option<String>>>,
}

/// The cart the customer follows.
#[derive(Clone)]
struct Followed {
    user_id: i64,
    cart: CartView,
    points: Option<Money>,
}

struct State {
    view: CustomerDisplayView,
    cart: Option<Followed>,
    /// When the phase shown (thank you, enrolment) ends by itself, ms since the epoch.
    until_ms: Option<i64>,
    shop_name: String,
    currency: Currency,
}

impl State {
    fn idle(&self) -> CustomerDisplayView {
        CustomerDisplayView::idle(&self.shop_name, self.currency)
    }

    /// The followed cart as scanned (the welcome when it is empty).
    fn scanning(&self, latest: Option<u32>) -> CustomerDisplayView {
        let Some(f) = self.cart.as_ref().filter(|f| !f.cart.lines.is_empty()) else { return self.idle() };
        let total = f.cart.total;
        let points = f.points.filter(|p| p.minor() > 0);
        CustomerDisplayView {
            phase: CustomerPhase::Scanning,
            lines: f
                .cart
                .lines
                .iter()
                .map(|l| CustomerLine {
                    line_no: l.line_no,
                    name: l.name.clone(),
                    name_zh: l.name_zh.clone().unwrap_or_else(|| l.name.clone()),
                    quantity: l.quantity,
                    line_total: l.line_total,
                })
                .collect(),
            latest_line_no: latest.filter(|n| f.cart.lines.iter().any(|l| l.line_no == *n)),
            item_count: f.cart.item_count,
            total,
            amount_to_pay: Money::new(total.minor().saturating_sub(points.map_or(0, |p| p.minor())), total.currency()),
            points_paid: points,
            currency: total.currency().code().to_string(),
            ..self.idle()
        }
    }
}

/// The line a change touched: a new line, or one whose quantity changed; else the one
/// highlighted before, if still there; else (a cart seen for the first time) the last.
fn latest_line(before: Option<&CartView>, after: &CartView, shown: Option<u32>) -> Option<u32> {
    let Some(before) = before else { return after.lines.last().map(|l| l.line_no) };
    let changed =
        after.lines.iter().rev().find(|l| {
            !before.lines.iter().any(|b| b.line_no == l.line_no && b.quantity == l.quantity && b.name == l.name)
        });
    changed.map(|l| l.line_no).or(shown)
}

fn same_lines(a: &CartView, b: &CartView) -> bool {
    a.cart_id == b.cart_id
        && a.total == b.total
        && a.lines.len() == b.lines.len()
        && a.lines.iter().zip(&b.lines).all(|(x, y)| x.line_no == y.line_no && x.quantity == y.quantity)
}

impl CustomerDisplay {
    /// The welcome, in `currency`, until the sale says more.
    pub(crate) fn new(clock: Arc<dyn Clock>, currency: Currency) -> Self {
        let state = State {
            view: CustomerDisplayView::idle("", currency),
            cart: None,
            until_ms: None,
            shop_name: String::new(),
            currency,
        };
        CustomerDisplay {
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                watchers: Watchers::default(),
                clock,
                pole_fault: Arc::default(),
            }),
            started: AtomicBool::new(false),
        }
    }

    /// Changes the view under the lock and tells the listeners when it differs.
    fn update(&self, change: impl FnOnce(&mut State, i64) -> Option<CustomerDisplayView>) {
        self.shared.update(change);
    }

    /// The shop's name and currency (the welcome), from the shop profile.
    pub(crate) fn set_shop(&self, name: &str, currency: Currency) {
        self.update(|st, _| {
            st.shop_name = name.to_string();
            st.currency = currency;
            let mut view = st.view.clone();
            view.shop_name = name.to_string();
            if view.phase == CustomerPhase::Idle {
                view = st.idle();
            }
            Some(view)
        });
    }

    /// A cart changed (or was read): the lines as scanned. A thank-you or an enrolment's QR
    /// code stays while the cart shown is empty or the same; a card payment's step stays while
    /// its cart is the same.
    pub(crate) fn cart(&self, user_id: i64, cart: &CartView, points: Option<Money>) {
        let cart = cart.clone();
        self.update(move |st, _| {
            let before = st.cart.take().filter(|f| f.cart.cart_id == cart.cart_id);
            let unchanged = before.as_ref().is_some_and(|f| same_lines(&f.cart, &cart));
            let latest = latest_line(before.as_ref().map(|f| &f.cart), &cart, st.view.latest_line_no);
            st.cart = Some(Followed { user_id, cart, points });
            let keep = match st.view.phase {
                CustomerPhase::ThankYou => st.cart.as_ref().is_some_and(|f| f.cart.lines.is_empty()),
                CustomerPhase::Enrol => unchanged || st.cart.as_ref().is_some_and(|f| f.cart.lines.is_empty()),
                CustomerPhase::ToPay | CustomerPhase::EnterPin => unchanged,
                CustomerPhase::Idle | CustomerPhase::Scanning => false,
            };
            if keep {
                return None;
            }
            st.until_ms = None;
            Some(st.scanning(latest))
        });
    }

    /// Points redeemed (or no longer) against a seller's cart: what is left to pay changes.
    pub(crate) fn points_paid(&self, user_id: i64, cart_id: &CartId, value: Option<Money>) {
        self.update(|st, _| {
            let f = st.cart.as_mut().filter(|f| f.user_id == user_id && f.cart.cart_id == *cart_id)?;
            f.points = value;
            (st.view.phase == CustomerPhase::Scanning).then(|| st.scanning(st.view.latest_line_no))
        });
    }

    /// A card payment's listener that also moves the customer display: the amount while the
    /// reader waits and the card is authorised, "enter your PIN" while the card asks for it,
    /// the lines again if it fails or is cancelled. Its approval is told by the recorded sale
    /// ([`CustomerDisplay::sale_done`]).
    pub(crate) fn follow_card(&self, watch: Watch<CardPaymentView>) -> Watch<CardPaymentView> {
        let shared = Arc::downgrade(&self.shared);
        Arc::new(move |step: &CardPaymentView| {
            if let Some(shared) = shared.upgrade() {
                shared.card_step(step);
            }
            watch(step);
        })
    }

    /// A new points account: its enrolment message, shown as a QR code for the customer's phone.
    pub(crate) fn enrol(&self, message: &str) {
        let message = message.to_string();
        self.update(move |st, now| {
            st.until_ms = Some(now + ENROL_MS);
            Some(CustomerDisplayView { phase: CustomerPhase::Enrol, enrolment: Some(message), ..st.view.clone() })
        });
    }

    /// The sale is recorded: thank you, with the change given, then the welcome.
    pub(crate) fn sale_done(&self, receipt: &Receipt) {
        let lines = receipt
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| CustomerLine {
                line_no: u32::try_from(i + 1).unwrap_or(u32::MAX),
                name: l.name.clone(),
                name_zh: l.name_zh.clone().unwrap_or_else(|| l.name.clone()),
                quantity: l.quantity,
                line_total: l.line_total,
            })
            .collect();
        let (total, payment, points_paid) = (receipt.total, receipt.payment.clone(), receipt.points_paid);
        self.update(move |st, now| {
            st.cart = None;
            st.until_ms = Some(now + THANK_YOU_MS);
            Some(CustomerDisplayView {
                phase: CustomerPhase::ThankYou,
                lines,
                latest_line_no: None,
                item_count: receipt_items(&st.view, total),
                total,
                amount_to_pay: payment.amount,
                points_paid,
                tendered: payment.tendered,
                change: payment.change,
                currency: total.currency().code().to_string(),
                ..st.idle()
            })
        });
    }

    /// Ends a thank-you or an enrolment whose time is up.
    pub(crate) fn tick(&self) {
        self.shared.tick();
    }
}

/// Units of the sale just recorded: the cart's count as last shown (the receipt has the lines).
fn receipt_items(shown: &CustomerDisplayView, total: Money) -> i64 {
    if shown.total == total {
        shown.item_count
    } else {
        0
    }
}

impl Shared {
    fn update(&self, change: impl FnOnce(&mut State, i64) -> Option<CustomerDisplayView>) {
        let now = self.clock.now_ms();
        let mut st = lock(&self.state);
        if let Some(view) = change(&mut st, now) {
            if view != st.view {
                st.view = view;
                self.watchers.send(&st.view);
            }
        }
    }

    fn card_step(&self, step: &CardPaymentView) {
        let (status, amount, cart_id) = (step.status, step.amount, step.cart_id.clone());
        self.update(move |st, _| {
            let following = st.cart.as_ref().is_some_and(|f| f.cart.cart_id == cart_id);
            let phase = match status {
                CardPaymentStatus::Waiting
                | CardPaymentStatus::Signature
                | CardPaymentStatus::Ready
                | CardPaymentStatus::Authorising => CustomerPhase::ToPay,
                CardPaymentStatus::Pin => CustomerPhase::EnterPin,
                CardPaymentStatus::Failed => {
                    let paying = matches!(st.view.phase, CustomerPhase::ToPay | CustomerPhase::EnterPin);
                    return (following && paying).then(|| st.scanning(st.view.latest_line_no));
                }
                CardPaymentStatus::Approved => return None,
            };
            st.until_ms = None;
            let base = if following { st.scanning(st.view.latest_line_no) } else { st.view.clone() };
            Some(CustomerDisplayView { phase, amount_to_pay: amount, enrolment: None, ..base })
        });
    }

    fn tick(&self) {
        self.update(|st, now| {
            if st.until_ms.is_none_or(|until| now < until) {
                return None;
            }
            st.until_ms = None;
            match st.view.phase {
                CustomerPhase::ThankYou => Some(st.idle()),
                CustomerPhase::Enrol => Some(st.scanning(st.view.latest_line_no)),
                _ => None,
            }
        });
    }
}

impl Pos {
    /// What the customer display shows now.
    pub fn customer_display_view(&self) -> CustomerDisplayView {
        lock(&self.customer_display.shared.state).view.clone()
    }

    /// Adds a listener told of every change of the customer display (the shell's second
    /// window); the id removes it. It is called in order, under the display's lock: it must
    /// only hand the view on.
    pub fn customer_display_watch(&self, watch: Watch<CustomerDisplayView>) -> u64 {
        self.customer_display.shared.watchers.add(watch)
    }

    /// Removes a listener of the customer display.
    pub fn customer_display_unwatch(&self, id: u64) {
        self.customer_display.shared.watchers.remove(id);
    }

    /// Ends a thank-you or an enrolment's QR code whose time is up by the till's clock (the
    /// timer thread calls it; tests with a manual clock call it themselves).
    pub fn customer_display_tick(&self) {
        self.customer_display.tick();
    }

    /// Whether the till's settings ask for the customer window (`display.customer_window` =
    /// `on`).
    /// Also when the installer gave the role `customer-display` to `window://customer`.
    pub fn customer_window_wanted(&self) -> Result<bool> {
        let setting = self.store.setting(SETTING_WINDOW)?.is_some_and(|v| v.trim().eq_ignore_ascii_case("on"));
        Ok(setting || self.display_device_uri()?.is_some_and(|u| u.starts_with("window://")))
    }

    /// The address the installer gave the role `customer-display`, if enabled.
    fn display_device_uri(&self) -> Result<Option<String>> {
        let device = self.store.device(till_core::DeviceRole::CustomerDisplay.as_str())?;
        Ok(device.filter(|d| d.config.enabled).map(|d| d.config.uri))
    }

    /// Why the pole display last failed, while it does (logged too; never the cashier's error).
    pub fn customer_display_pole_fault(&self) -> Option<String> {
        lock(&self.customer_display.shared.pole_fault).clone()
    }

    /// Starts the customer display's timer thread and, when the `customer-display` role or
    /// `display.pole_uri` names a serial one, the
    /// pole display's worker. Once; a second call does nothing. The threads end with the till.
    pub fn customer_display_start(&self) -> Result<()> {
        if self.customer_display.started.swap(true, Ordering::SeqCst) {
            return Ok(());
        }
        let weak: Weak<Shared> = Arc::downgrade(&self.customer_display.shared);
        std::thread::Builder::new()
            .name("customer-display".into())
            .spawn(move || {
                while let Some(shared) = weak.upgrade() {
                    shared.tick();
                    drop(shared);
                    std::thread::sleep(TICK);
                }
            })
            .map_err(|e| crate::PosError::Internal(format!("customer display timer: {e}")))?;
        let from_role = self.display_device_uri()?.filter(|u| u.starts_with("serial://"));
        let from_setting = self.store.setting(SETTING_POLE)?.map(|u| u.trim().to_string()).filter(|u| !u.is_empty());
        if let Some(uri) = from_role.or(from_setting) {
            let shared = &self.customer_display.shared;
            let feed = pole::spawn(uri.clone(), shared.pole_fault.clone())?;
            // The pole shows what the window shows, from now on: the view now, then each change.
            let st = lock(&shared.state);
            feed(&st.view);
            shared.watchers.add(feed);
            drop(st);
            tracing::info!(%uri, "pole display follows the sale");
        }
        Ok(())
    }
}
