//! The sync engine inside the till: the worker that drains the outbox to the server, the
//! always-visible status line, the manager's parked events, and the guard against losing
//! events that have not reached the server.
//!
//! The worker ([`till_sync::SyncWorker`]) runs on its own thread with its own database
//! connection and this till's clock and randomness. The desktop shell starts it once
//! ([`Pos::sync_start`]); from then on it is restarted whenever the installer saves or clears
//! the server settings, and it stops when the till is dropped.
//!
//! The guard: events not yet delivered must not be thrown away. While any are pending or
//! parked, clearing the server settings, changing the terminal id and wiping local data are
//! refused with [`PosError::SyncPending`]. A user's own logout is *not* refused: a cashier must
//! be able to hand over the till during an outage, and the events stay in the outbox whoever is
//! logged in; the UI shows the count and asks for confirmation instead (see docs/sync.md).

pub mod connection_test;
pub mod device_key;
pub mod server_call;
pub mod settings;

use crate::admin::permissions::Command;
use crate::admin::secrets::wipe_string;
use crate::error::{PosError, Result};
use crate::ipc::sync::{ParkedEventView, SyncStatusView};
use crate::ipc::watch::{Watch, Watchers};
use crate::mutex::lock;
use crate::Pos;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::Duration;
use till_core::SessionToken;
use till_store::Store;
/// How long an idle worker sleeps before looking at the outbox again. A checkout nudges the
/// worker ([`Pos::sync_nudge`]), so a sale goes out at once; the poll picks up what nothing
/// nudged for (a retry falling due is timed by the worker itself).
pub const IDLE_POLL: Duration = Duration::from_secs(2);

/// The worker, once the shell has asked for one.
#[derive(Default)]
pub struct SyncRuntime {
    enabled: AtomicBool,
    worker: Mutex<Option<till_sync::SyncWorker>>,
    /// Why the worker could not start with the stored settings, if it could not.
    start_error: Mutex<Option<String>>,
    /// The idle poll of the next worker started, instead of [`IDLE_POLL`] (tests lengthen it).
    idle_poll: Mutex<Option<Duration>>,
    /// How often the next worker started pulls the catalogue from HQ, instead of the sync
    /// engine's default (tests shorten it).
    catalogue_every: Mutex<Option<Duration>>,
    /// The windows' listeners for the status line, and what they were last told.
    status_watchers: Watchers<SyncStatusView>,
    last_status: Mutex<Option<SyncStatusView>>,
    /// Wakes the status feed ([`Pos::start_sync_status_feed`]) when the line may have changed.
    changed: Mutex<Option<mpsc::Sender<()>>>,
    /// The device identifier key for the current server settings (device services).
    device_key: Mutex<Option<Arc<device_key::DeviceKeyHolder>>>,
}

impl std::fmt::Debug for SyncRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncRuntime").field("enabled", &self.enabled.load(Ordering::SeqCst)).finish_non_exhaustive()
    }
}

/// Refuses with [`PosError::SyncPending`] while events are pending or parked.
pub fn ensure_nothing_pending(pos: &Pos) -> Result<()> {
    match till_sync::ensure_nothing_pending(&pos.store) {
        Ok(()) => Ok(()),
        Err(till_sync::SyncError::EventsPending { pending, parked }) => Err(PosError::SyncPending { pending, parked }),
        Err(e) => Err(sync_error(e)),
    }
}

fn sync_error(e: till_sync::SyncError) -> PosError {
    match e {
        till_sync::SyncError::Store(s) => PosError::Store(s),
        other => PosError::Internal(other.to_string()),
    }
}

impl SyncRuntime {
    /// Tells the status feed the line may have changed (a round ended, an event was queued,
    /// the settings changed); nothing before the feed is started.
    fn changed(&self) {
        if let Some(tx) = lock(&self.changed).as_ref() {
            let _ = tx.send(());
        }
    }

    /// What a worker calls after each round.
    fn round_observer(&self) -> Option<till_sync::worker::RoundObserver> {
        let tx = lock(&self.changed).clone()?;
        let tx = Mutex::new(tx);
        Some(Arc::new(move || {
            let _ = lock(&tx).send(());
        }))
    }
}

impl Pos {
    /// Starts syncing (the desktop shell calls it once at start-up): the worker runs whenever
    /// server settings exist, from now on restarted on every change. A worker that cannot start
    /// (unreadable secret, unusable settings) is reported in the status line, not as an error.
    pub fn sync_start(&self) -> Result<()> {
        self.sync.enabled.store(true, Ordering::SeqCst);
        self.sync_restart()
    }

    /// Stops the worker (if any) and starts it again with the stored settings, when syncing was
    /// started.
    pub(crate) fn sync_restart(&self) -> Result<()> {
        if !self.sync.enabled.load(Ordering::SeqCst) {
            return Ok(());
        }
        let mut slot = lock(&self.sync.worker);
        // Stop the old worker before the new one releases its claims.
        if let Some(old) = slot.take() {
            old.stop();
        }
        let started = self.start_worker();
        let error = match started {
            Ok(worker) => {
                *slot = worker;
                None
            }
            Err(e) => {
                tracing::warn!("sync worker did not start: {e}");
                Some(e.to_string())
            }
        };
        *lock(&self.sync.start_error) = error;
        drop(slot);
        self.sync.changed();
        Ok(())
    }

    fn start_worker(&self) -> Result<Option<till_sync::SyncWorker>> {
        let Some(creds) = self.sync_credentials()? else { return Ok(None) };
        let mut config = creds.worker_config();
        config.idle_poll = lock(&self.sync.idle_poll).unwrap_or(IDLE_POLL);
        if let Some(every) = *lock(&self.sync.catalogue_every) {
            config.catalogue_every = Some(every);
        }
        // The worker has its own connection, so a slow round never holds up the counter.
        let store = Arc::new(Store::open(self.store.path())?);
        config.device_keys =
            Some(device_key::worker_source(self.device_key_holder()?.ok_or(PosError::SyncNotConfigured)?));
        let rng = StdRng::from_rng(&mut **lock(&self.rng)).map_err(|e| PosError::Internal(e.to_string()))?;
        let worker =
            till_sync::SyncWorker::start(store, config, self.clock.clone(), Box::new(rng)).map_err(sync_error)?;
        if let Some(observer) = self.sync.round_observer() {
            worker.on_round(observer);
        }
        tracing::info!(
            terminal_id = %creds.terminal_id,
            sales = %creds.urls.sales,
            refunds = %creds.urls.refunds,
            points = %creds.urls.points,
            payments = %creds.urls.payments,
            "sync worker started"
        );
        Ok(Some(worker))
    }

    /// The device identifier key holder for the stored server settings (made on first use, made
    /// again when the settings change); `None` without server settings.
    pub(crate) fn device_key_holder(&self) -> Result<Option<Arc<device_key::DeviceKeyHolder>>> {
        let Some(creds) = self.sync_credentials()? else {
            *lock(&self.sync.device_key) = None;
            return Ok(None);
        };
        let mut slot = lock(&self.sync.device_key);
        if let Some(h) = slot.as_ref().filter(|h| h.serves(&creds)) {
            return Ok(Some(h.clone()));
        }
        let store = Arc::new(Store::open(self.store.path())?);
        let rng = StdRng::from_rng(&mut **lock(&self.rng)).map_err(|e| PosError::Internal(e.to_string()))?;
        let h = Arc::new(device_key::DeviceKeyHolder::new(store, self.secrets.clone(), creds, self.clock.clone(), rng));
        *slot = Some(h.clone());
        Ok(Some(h))
    }

    /// The platform's device identifier key, fetched now if the till does not hold it yet.
    /// Fails closed: without server settings or the key, [`PosError::DeviceKeyMissing`].
    pub(crate) fn device_key(&self) -> Result<till_core::DeviceIdentifierKey> {
        let holder =
            self.device_key_holder()?.ok_or_else(|| PosError::DeviceKeyMissing("no server settings".into()))?;
        holder.get(true)
    }

    /// How often the worker pulls the catalogue from HQ (docs/catalogue-from-hq.md); takes
    /// effect when the worker next starts (tests shorten it).
    pub fn set_sync_catalogue_every(&self, every: Duration) {
        *lock(&self.sync.catalogue_every) = Some(every);
    }

    /// Why the last pull of the catalogue from HQ failed, if it did (none without a worker).
    pub fn sync_catalogue_error(&self) -> Option<String> {
        lock(&self.sync.worker).as_ref().and_then(|w| w.catalogue_error())
    }

    /// Wakes the worker (after a checkout, or a manager's retry); nothing without a worker.
    pub fn sync_nudge(&self) {
        if let Some(w) = lock(&self.sync.worker).as_ref() {
            w.nudge();
        }
        // An event was queued: the pending count changed even before the worker wakes.
        self.sync.changed();
    }

    /// The status line (anyone logged in): told to `watch` now and whenever it changes, until
    /// [`Pos::sync_status_unwatch`] with the id returned.
    pub fn sync_status_watch(&self, token: &SessionToken, watch: Watch<SyncStatusView>) -> Result<u64> {
        self.authorize(token, Command::SyncStatusWatch)?;
        watch(&self.sync_status_now()?);
        Ok(self.sync.status_watchers.add(watch))
    }

    /// Stops telling a listener of the status line. Needs no live session: a window whose
    /// session lapsed must still be able to let go of its listener.
    pub fn sync_status_unwatch(&self, id: u64) {
        self.sync.status_watchers.remove(id);
    }

    /// Starts the feed that tells the status line's listeners of each change: woken after
    /// every round of the worker, every queued event and every change of settings, it reads
    /// the line and tells them when it differs from what they were last told (the age of the
    /// oldest pending event aside: the window counts that on by itself). It ends with the till.
    pub fn start_sync_status_feed(pos: &Arc<Pos>) -> Result<()> {
        let (tx, rx) = mpsc::channel::<()>();
        *lock(&pos.sync.changed) = Some(tx);
        if let (Some(w), Some(observer)) = (lock(&pos.sync.worker).as_ref(), pos.sync.round_observer()) {
            w.on_round(observer);
        }
        let weak: Weak<Pos> = Arc::downgrade(pos);
        std::thread::Builder::new()
            .name("sync-status".into())
            .spawn(move || {
                let mut followed: Option<std::time::Instant> = None;
                while rx.recv().is_ok() {
                    // Several changes in a burst are read once.
                    while rx.try_recv().is_ok() {}
                    let Some(pos) = weak.upgrade() else { return };
                    pos.publish_sync_status();
                    // The sellers' decisions reach the till with the sync rounds, not only when
                    // a cashier presses Refresh: a confirmed refund shows "to pay out" by itself.
                    if followed.is_none_or(|t| t.elapsed() >= crate::refund::SELLER_FOLLOW_EVERY) {
                        followed = Some(std::time::Instant::now());
                        if let Err(e) = pos.follow_seller_decisions() {
                            tracing::info!("refund decisions not followed now: {e}");
                        }
                    }
                }
            })
            .map_err(|e| PosError::Internal(format!("cannot start the sync status feed: {e}")))?;
        Ok(())
    }

    fn publish_sync_status(&self) {
        let now = match self.sync_status_now() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("sync status not read: {e}");
                return;
            }
        };
        {
            let mut last = lock(&self.sync.last_status);
            let same = last.as_ref().is_some_and(|l| {
                SyncStatusView { oldest_pending_age_ms: now.oldest_pending_age_ms, ..l.clone() } == now
            });
            if same {
                return;
            }
            *last = Some(now.clone());
        }
        self.sync.status_watchers.send(&now);
    }

    /// The status line, without a session (tools, tests).
    pub fn sync_status_now(&self) -> Result<SyncStatusView> {
        let configured = self.store.setting(crate::sync::settings::SETTING)?.is_some();
        let worker = lock(&self.sync.worker);
        let status = match worker.as_ref() {
            Some(w) => w.status(),
            None => till_sync::read_status(&self.store, self.now_ms(), None),
        }
        .map_err(sync_error)?;
        let running = worker.is_some();
        drop(worker);
        let start_error = lock(&self.sync.start_error).clone();
        Ok(SyncStatusView {
            configured,
            running,
            // A stopped worker's last view is stale: say nothing rather than "online".
            online: if running { status.online } else { None },
            pending: status.pending,
            oldest_pending_age_ms: status.oldest_pending_age_ms,
            parked: status.parked,
            delivered: status.done,
            last_error: start_error.or(status.last_error),
            last_success_at_ms: status.last_success_at_ms,
        })
    }

    /// Parked events, oldest first (managers).
    pub fn sync_parked_list(&self, token: &SessionToken) -> Result<Vec<ParkedEventView>> {
        self.authorize(token, Command::SyncParkedList)?;
        let now = self.now_ms();
        Ok(self
            .store
            .parked_events()?
            .into_iter()
            .map(|e| ParkedEventView {
                age_ms: now.saturating_sub(e.created_at_ms).max(0),
                id: e.id,
                kind: e.kind,
                subject: e.subject,
                reason: e.reason,
                attempts: e.attempts,
                created_at_ms: e.created_at_ms,
                parked_at_ms: e.parked_at_ms,
            })
            .collect())
    }

    /// Sends a parked event again, same body and key (managers; audited as `outbox.retry`).
    pub fn sync_parked_retry(&self, token: &SessionToken, event_id: &str) -> Result<Vec<ParkedEventView>> {
        let s = self.authorize(token, Command::SyncParkedRetry)?;
        if self.store.parked_card_data_gone(event_id)? {
            return Err(PosError::ForwardCardDataGone);
        }
        self.store.retry_parked(event_id, s.user_id, self.now_ms())?;
        tracing::info!(event_id, user_id = s.user_id, "parked event retried");
        self.sync_nudge();
        self.sync_parked_list(token)
    }

    /// Gives a parked event up for good (managers, who enter their PIN again; audited as
    /// `outbox.discard`). A wrong PIN counts towards the lock like a wrong login.
    pub fn sync_parked_discard(
        &self,
        token: &SessionToken,
        event_id: &str,
        manager_pin: String,
    ) -> Result<Vec<ParkedEventView>> {
        let s = self.authorize(token, Command::SyncParkedDiscard);
        let checked = s.and_then(|s| self.confirm_pin(s.user_id, &manager_pin).map(|()| s));
        wipe_string(manager_pin);
        let s = checked?;
        self.store.discard_parked(event_id, s.user_id, "discarded by a manager at the till", self.now_ms())?;
        self.sync.changed();
        tracing::warn!(event_id, user_id = s.user_id, "parked event discarded");
        self.sync_parked_list(token)
    }

    /// Refuses while events have not reached the server; call before wiping local data.
    pub fn ensure_sync_drained(&self) -> Result<()> {
        ensure_nothing_pending(self)
    }
}

#[cfg(test)]
mod tests;
