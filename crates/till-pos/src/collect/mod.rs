//! Orders pending collection (CN102750632A, docs/pending-orders.md): a merchant's web shop
//! sends an order to the platform for this store; the till follows the store's orders, shows
//! how many wait in the header, and the cashier collects one at the counter (counter.rs).
//!
//! Following: a feed thread ([`Pos::start_pending_orders_feed`]) asks the server for the
//! store's changes since the stored cursor every [`FOLLOW_EVERY`] (and at once when nudged: a
//! Refresh, a collection, a release), writes each page with the cursor after it in one
//! transaction (till-store `pending_orders`), and pushes the count to the windows listening
//! when it changed. Offline, the mirror stays as last known and the count says why.

mod counter;

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::collect::PendingOrdersCount;
use crate::ipc::sync::Service;
use crate::ipc::watch::{Watch, Watchers};
use crate::mutex::lock;
use crate::Pos;
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::Duration;
use till_api::merchant_orders::{PendingOrder, PendingOrdersPage};
use till_core::SessionToken;
use till_store::pending_orders::{PendingOrderLine, PendingOrderRecord};

/// How often the running till asks for its store's changed orders.
pub const FOLLOW_EVERY: Duration = Duration::from_secs(15);

/// Orders asked for per page.
const PAGE: i64 = 100;

/// Pages read in one round at most (the rest next round).
const MAX_PAGES: usize = 20;

/// The state of following the store's orders.
#[derive(Default)]
pub struct Collect {
    watchers: Watchers<PendingOrdersCount>,
    last_sent: Mutex<Option<PendingOrdersCount>>,
    nudge: Mutex<Option<mpsc::Sender<()>>>,
    every: Mutex<Option<Duration>>,
    refreshed_at_ms: Mutex<Option<i64>>,
    last_error: Mutex<Option<String>>,
}

impl std::fmt::Debug for Collect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Collect").finish_non_exhaustive()
    }
}

/// The mirror's record of an order as the server sent it (its times in ms).
pub(crate) fn record_of(o: &PendingOrder) -> PendingOrderRecord {
    PendingOrderRecord {
        order_id: o.order_id.clone(),
        order_number: o.order_number.clone(),
        status: o.status.name().to_string(),
        customer_name: o.customer.name.clone(),
        phone_tail: o.customer.phone_tail.clone(),
        currency: o.currency.clone(),
        total_minor: o.total_minor,
        created_at_ms: o.created_at.saturating_mul(1000),
        expires_at_ms: o.expires_at.saturating_mul(1000),
        reserved_until_ms: o.reserved_until.map(|u| u.saturating_mul(1000)),
        reserved_here: o.reserved_by_you,
        pickup_attempts_left: o.pickup_attempts_left,
        version: o.version,
        lines: o
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| PendingOrderLine {
                line_no: i as i64 + 1,
                sku: l.sku.clone(),
                name: l.name.clone(),
                quantity: l.quantity,
                unit_price_minor: l.unit_price_minor,
                total_minor: l.total_minor,
            })
            .collect(),
    }
}

/// A cursor as sent in a path: the server's are whole numbers; anything else starts over.
fn cursor_param(stored: Option<String>) -> String {
    stored
        .filter(|c| !c.is_empty() && c.len() <= 20 && c.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| "0".into())
}

impl Pos {
    /// Asks the server for the store's orders changed since the stored cursor, page by page,
    /// and stores each page with its cursor in one transaction; then pushes the count if it
    /// changed. Returns how many orders changed here. Without server settings: nothing.
    pub fn pending_orders_follow(&self) -> Result<usize> {
        let result = if self.sync_credentials()?.is_none() { Ok(0) } else { self.pull_pages() };
        match &result {
            Ok(_) => {
                *lock(&self.collect.refreshed_at_ms) = Some(self.now_ms());
                *lock(&self.collect.last_error) = None;
            }
            Err(e) => *lock(&self.collect.last_error) = Some(e.to_string()),
        }
        self.publish_pending_count();
        result
    }

    fn pull_pages(&self) -> Result<usize> {
        let mut changed = 0;
        for _ in 0..MAX_PAGES {
            let since = cursor_param(self.store.pending_orders_cursor()?);
            let path = format!("/v1/pending-orders?since={since}&limit={PAGE}");
            let answer = self.server_call(Service::Sales, "GET", &path, None, None)?;
            let page: PendingOrdersPage = serde_json::from_value(answer).map_err(|e| {
                PosError::ServerUnreachable(format!("the server's answer is not a page of orders: {e}"))
            })?;
            let records: Vec<PendingOrderRecord> = page.orders.iter().map(record_of).collect();
            changed += self.store.pending_orders_apply_page(&records, &page.cursor, self.now_ms())?;
            if !page.more {
                break;
            }
        }
        Ok(changed)
    }

    /// Wakes the feed to ask the server now; nothing before the feed is started.
    pub(crate) fn pending_orders_nudge(&self) {
        if let Some(tx) = lock(&self.collect.nudge).as_ref() {
            let _ = tx.send(());
        }
    }

    /// How often the feed asks (tests shorten it); takes effect after the current wait.
    pub fn set_pending_orders_follow_every(&self, every: Duration) {
        *lock(&self.collect.every) = Some(every);
        self.pending_orders_nudge();
    }

    /// Starts the feed thread (the desktop shell calls it once): a pull at once, then every
    /// [`FOLLOW_EVERY`] and whenever nudged. It ends with the till.
    pub fn start_pending_orders_feed(pos: &Arc<Pos>) -> Result<()> {
        let (tx, rx) = mpsc::channel::<()>();
        *lock(&pos.collect.nudge) = Some(tx);
        let weak: Weak<Pos> = Arc::downgrade(pos);
        std::thread::Builder::new()
            .name("pending-orders".into())
            .spawn(move || loop {
                let every = {
                    let Some(pos) = weak.upgrade() else { return };
                    if let Err(e) = pos.pending_orders_follow() {
                        tracing::info!("pending orders not followed now: {e}");
                    }
                    let every = *lock(&pos.collect.every);
                    every.unwrap_or(FOLLOW_EVERY)
                };
                match rx.recv_timeout(every) {
                    Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => while rx.try_recv().is_ok() {},
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            })
            .map_err(|e| PosError::Internal(format!("cannot start the pending orders feed: {e}")))?;
        Ok(())
    }

    /// The header's count now.
    pub fn pending_orders_count_now(&self) -> Result<PendingOrdersCount> {
        Ok(PendingOrdersCount {
            open: self.store.pending_orders_open_count()?,
            configured: self.store.setting(crate::sync::settings::SETTING)?.is_some(),
            refreshed_at_ms: *lock(&self.collect.refreshed_at_ms),
            last_error: lock(&self.collect.last_error).clone(),
        })
    }

    /// Tells the listeners the count when it differs from what they were last told (the time
    /// of the last pull aside: it moves every round).
    pub(crate) fn publish_pending_count(&self) {
        let now = match self.pending_orders_count_now() {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("pending orders count not read: {e}");
                return;
            }
        };
        {
            let mut last = lock(&self.collect.last_sent);
            let same = last
                .as_ref()
                .is_some_and(|l| PendingOrdersCount { refreshed_at_ms: now.refreshed_at_ms, ..l.clone() } == now);
            if same {
                return;
            }
            *last = Some(now.clone());
        }
        self.collect.watchers.send(&now);
    }

    /// The count of orders to collect (those who sell): told to `watch` now and whenever it
    /// changes, until [`Pos::pending_orders_unwatch`] with the id returned.
    pub fn pending_orders_watch(&self, token: &SessionToken, watch: Watch<PendingOrdersCount>) -> Result<u64> {
        self.authorize(token, Command::PendingOrdersWatch)?;
        watch(&self.pending_orders_count_now()?);
        Ok(self.collect.watchers.add(watch))
    }

    /// Stops telling a listener of the count (no session needed, like the sync line's).
    pub fn pending_orders_unwatch(&self, id: u64) {
        self.collect.watchers.remove(id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_whole_number_is_sent_as_cursor() {
        assert_eq!(cursor_param(Some("42".into())), "42");
        assert_eq!(cursor_param(Some("4&x=1".into())), "0");
        assert_eq!(cursor_param(Some(String::new())), "0");
        assert_eq!(cursor_param(None), "0");
    }
}
