//! The worker: claim due events, send them, record the answers; again and again.
//!
//! [`Syncer`] does one round at a time on the caller's thread ([`Syncer::round`],
//! [`Syncer::drain`]); [`SyncWorker`] runs rounds on its own thread until it is dropped.
//!
//! One round: claim up to `batch_size` due events (one IMMEDIATE transaction, bodies fixed on
//! first claim), split them by the server of their service ([`route`]), send them (one
//! `POST /v1/sync/batch` per server, or one request per event), then record every event's fate
//! in one transaction: done with the server's answer, retry later with backoff, parked with the
//! reason, or released unsent (it waits for an earlier event about the same subject that went
//! to another server).
//!
//! Retry or park is decided per event by the HTTP status it got:
//!
//! | answer | fate |
//! | --- | --- |
//! | 2xx | done, answer stored |
//! | an outcome of the event's kind ([`wire::is_final_outcome`]: a reversal's 404 `payment_not_found`, 409 `already_reversed` or `payment_declined`) | done, answer stored |
//! | no answer (refused, reset, timeout), 408, 429, 5xx, 401 | retry with backoff, same body and key |
//! | any other 4xx | parked with `status code: message` |

use crate::config::{Delivery, SyncConfig};
use crate::error::{SendError, SyncError};
use crate::status::{self, LiveStatus, SyncStatus, LIVE_SETTING};
use crate::wire;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use till_api::{BatchResponse, BatchResult, ErrorBody};
use till_client::{Client, HttpAnswer};
use till_core::Clock;
use till_core::ServerEventKind;
use till_store::{ClaimedEvent, DueEvent, Settlement, Store};

/// What one round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RoundReport {
    /// Events claimed and sent.
    pub claimed: usize,
    /// Delivered.
    pub done: usize,
    /// To be tried again.
    pub retried: usize,
    /// Parked for a manager.
    pub parked: usize,
    /// An event waited for the device identifier key (it and what follows it stay pending).
    pub waiting: bool,
}

/// What the server said about one event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Applied (now or earlier): keep the answer.
    Done,
    /// Try again later.
    Retry(String),
    /// Refused for good: park with this reason.
    Park(String),
}

/// `code: message` of an error body, or the body itself.
fn describe(status: u16, body: &str) -> String {
    match till_api::from_json::<ErrorBody>(body) {
        Ok(e) => format!("{status} {}: {}", e.code, e.message),
        Err(_) => format!("{status}: {}", body.chars().take(200).collect::<String>()),
    }
}

/// Whether an HTTP status means "try again": 408, 429, 5xx, and 401 (the terminal's
/// credentials or clock, not the event, are at fault; the installer fixes them and the events
/// go through unchanged).
pub fn is_retryable(status: u16) -> bool {
    matches!(status, 401 | 408 | 429) || !(200..300).contains(&status) && !(400..500).contains(&status)
}

/// Whether `POST /v1/sync/batch` takes events of this server kind: every kind but payment
/// authorisations, which the server answers only on their own endpoint.
pub fn batchable(wire_kind: &str) -> bool {
    // An unknown kind goes in the batch, whose per-event answer then parks it with the reason.
    ServerEventKind::parse(wire_kind).map_or(true, ServerEventKind::batchable)
}

/// The verdict for one event's answer.
pub fn classify(status: u16, body: &str) -> Verdict {
    if (200..300).contains(&status) {
        Verdict::Done
    } else if is_retryable(status) {
        Verdict::Retry(describe(status, body))
    } else {
        Verdict::Park(describe(status, body))
    }
}

/// The verdict for one event's answer, knowing its kind: an answer that is the outcome the
/// event was after ([`wire::is_final_outcome`]) is done, whatever its status.
pub fn classify_event(wire_kind: &str, status: u16, body: &str) -> Verdict {
    if wire::is_final_outcome(wire_kind, status, body) {
        Verdict::Done
    } else {
        classify(status, body)
    }
}

/// Runs rounds on the caller's thread.
pub struct Syncer {
    pub(crate) store: Arc<Store>,
    pub(crate) config: SyncConfig,
    pub(crate) client: Client,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) rng: Box<dyn RngCore + Send>,
    live: LiveStatus,
}

impl std::fmt::Debug for Syncer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Syncer").field("client", &self.client).field("live", &self.live).finish()
    }
}

impl Syncer {
    /// A syncer for `store` with `config`; time from `clock`, nonces and jitter from `rng`.
    pub fn new(
        store: Arc<Store>,
        config: SyncConfig,
        clock: Arc<dyn Clock>,
        rng: Box<dyn RngCore + Send>,
    ) -> Result<Syncer, SyncError> {
        // The whole configuration, not only the client's part of it.
        config.validate()?;
        let client = Client::new(&config)?;
        let live = status::persisted_live(&store)?.unwrap_or_default();
        Ok(Syncer { store, config, client, clock, rng, live })
    }

    /// Releases what a previous run of this till left claimed, so it is sent again at once
    /// instead of after its lease. Only for the single worker of a database, at start-up.
    pub fn recover(&self) -> Result<usize, SyncError> {
        Ok(self.store.release_claims()?)
    }

    /// The worker's view of the server.
    pub fn live(&self) -> &LiveStatus {
        &self.live
    }

    /// The status line now.
    pub fn status(&self) -> Result<SyncStatus, SyncError> {
        status::read_status(&self.store, self.clock.now_ms(), Some(&self.live))
    }

    /// One round: claim, send, record. Returns what happened; `claimed == 0` when nothing was due.
    pub fn round(&mut self) -> Result<RoundReport, SyncError> {
        let now = self.clock.now_ms();
        let store_name = self.config.store_name.clone();
        let lease_ms = self.config.lease.as_millis() as i64;
        // Asked before the claim's transaction: the till's source may read or write its database.
        let key = self.config.device_keys.as_ref().and_then(|s| (s.0)());
        let mut blinder = crate::device_keys::Blinder::new(key, &mut *self.rng);
        let mut prepare = |ev: &DueEvent| wire::prepare_with(ev, &store_name, &mut blinder);
        let claimed = self.store.claim_due(now, self.config.batch_size, lease_ms, &mut prepare)?;
        let waiting = blinder.waited;
        if claimed.is_empty() {
            if waiting {
                // Nothing can go before the event that waits for the device identifier key:
                // say so on the status line.
                self.set_error(Some(crate::device_keys::WAITING_FOR_KEY.to_string()))?;
            }
            return Ok(RoundReport { waiting, ..RoundReport::default() });
        }
        let (groups, cut) = route(&claimed, &self.config);
        let mut verdicts: Vec<Option<(Verdict, HttpAnswer)>> = (0..claimed.len()).map(|_| None).collect();
        for (url, indices) in groups {
            let events: Vec<ClaimedEvent> = indices.iter().filter_map(|&i| claimed.get(i).cloned()).collect();
            let answers = match self.config.delivery {
                Delivery::Batched => self.send_batched(&url, &events),
                Delivery::OneByOne => self.send_each(&url, &events),
            };
            for (i, answer) in indices.into_iter().zip(answers) {
                if let Some(slot) = verdicts.get_mut(i) {
                    *slot = Some(answer);
                }
            }
        }
        let now = self.clock.now_ms();
        let mut report = RoundReport { claimed: cut, waiting, ..Default::default() };
        let mut last_error = None;
        let settlements: Vec<Settlement> = claimed
            .iter()
            .zip(verdicts)
            .enumerate()
            .map(|(i, (ev, answer))| {
                if i >= cut {
                    return Settlement::Release { id: ev.id.clone() };
                }
                let (verdict, response) =
                    answer.unwrap_or_else(|| (Verdict::Retry("no verdict for the event".into()), empty()));
                match verdict {
                    Verdict::Done => {
                        report.done += 1;
                        Settlement::Done { id: ev.id.clone(), status: response.status, response: response.body }
                    }
                    Verdict::Retry(error) => {
                        report.retried += 1;
                        let wait = self.config.backoff.delay(ev.attempts, &mut *self.rng);
                        last_error = Some(error.clone());
                        Settlement::Retry {
                            id: ev.id.clone(),
                            next_attempt_at_ms: now.saturating_add(wait.as_millis() as i64),
                            error,
                        }
                    }
                    Verdict::Park(reason) => {
                        report.parked += 1;
                        last_error = Some(format!("event {} parked: {reason}", ev.id));
                        Settlement::Park { id: ev.id.clone(), reason }
                    }
                }
            })
            .collect();
        self.store.settle(now, &settlements)?;
        if report.done > 0 {
            self.live.last_success_at_ms = Some(now);
        }
        self.live.last_attempt_at_ms = Some(now);
        self.set_error(last_error)?;
        Ok(report)
    }

    /// Runs rounds until nothing is due now (events waiting for a later retry stay pending).
    pub fn drain(&mut self) -> Result<RoundReport, SyncError> {
        let mut total = RoundReport::default();
        loop {
            let r = self.round()?;
            if r.claimed == 0 {
                return Ok(total);
            }
            total.claimed += r.claimed;
            total.done += r.done;
            total.retried += r.retried;
            total.parked += r.parked;
        }
    }

    /// Records the outcome of a round in the live status, and mirrors it to the database when
    /// online/offline or the error changed (a write per change, not per round).
    fn set_error(&mut self, error: Option<String>) -> Result<(), SyncError> {
        let before = self.store.setting(LIVE_SETTING)?.and_then(|v| serde_json::from_str::<LiveStatus>(&v).ok());
        self.live.last_error = error;
        let changed = before.is_none_or(|b| b.online != self.live.online || b.last_error != self.live.last_error);
        if changed {
            let text = serde_json::to_string(&self.live).map_err(|e| SyncError::Config(e.to_string()))?;
            self.store.set_setting(LIVE_SETTING, &text)?;
        }
        Ok(())
    }

    fn exchange(&mut self, url: &str, path: &str, body: &[u8], key: Option<&str>) -> Result<HttpAnswer, SendError> {
        let now_s = self.clock.now_ms().div_euclid(1000);
        let r = self.client.send_to(url, "POST", path, body, key, now_s, &mut *self.rng);
        self.live.online = Some(r.is_ok());
        r
    }

    /// Sends the events the batch endpoint takes in one batch, and the others (card payments
    /// forwarded after an offline approval: the server authorises payments only on their own
    /// endpoint) one by one; verdicts in the order of `events`.
    fn send_batched(&mut self, url: &str, events: &[ClaimedEvent]) -> Vec<(Verdict, HttpAnswer)> {
        let (alone, batched): (Vec<&ClaimedEvent>, Vec<&ClaimedEvent>) =
            events.iter().partition(|e| !batchable(&e.wire_kind));
        if alone.is_empty() {
            return self.send_batch(url, events);
        }
        let batched: Vec<ClaimedEvent> = batched.into_iter().cloned().collect();
        let alone: Vec<ClaimedEvent> = alone.into_iter().cloned().collect();
        let mut from_batch = if batched.is_empty() { Vec::new() } else { self.send_batch(url, &batched) }.into_iter();
        let mut from_alone = self.send_each(url, &alone).into_iter();
        events
            .iter()
            .map(|e| {
                let next = if batchable(&e.wire_kind) { from_batch.next() } else { from_alone.next() };
                next.unwrap_or_else(|| (Verdict::Retry("no verdict for the event".into()), empty()))
            })
            .collect()
    }

    fn send_batch(&mut self, url: &str, events: &[ClaimedEvent]) -> Vec<(Verdict, HttpAnswer)> {
        let body = wire::batch_body(events);
        let all = |v: Verdict| events.iter().map(|_| (v.clone(), empty())).collect::<Vec<_>>();
        let answer = match self.exchange(url, "/v1/sync/batch", body.as_bytes(), None) {
            Ok(a) => a,
            Err(e) => return all(Verdict::Retry(e.to_string())),
        };
        if answer.status != 200 {
            return if is_retryable(answer.status) {
                all(Verdict::Retry(describe(answer.status, &answer.body)))
            } else {
                // The batch as a whole was refused (too large, malformed, no such endpoint):
                // send each event alone, so each gets its own verdict.
                tracing::warn!(status = answer.status, "batch refused; sending its events one by one");
                self.send_each(url, events)
            };
        }
        let parsed: BatchResponse = match till_api::from_json(&answer.body) {
            Ok(p) => p,
            Err(e) => return all(Verdict::Retry(SendError::BadAnswer(e.to_string()).to_string())),
        };
        let mut by_key: HashMap<String, BatchResult> =
            parsed.results.into_iter().map(|r| (r.idempotency_key.clone(), r)).collect();
        events
            .iter()
            .map(|e| match by_key.remove(&e.id) {
                Some(r) => {
                    let text = r.body.to_string();
                    (classify_event(&e.wire_kind, r.status, &text), HttpAnswer { status: r.status, body: text })
                }
                None => (Verdict::Retry(SendError::BadAnswer("no result for the event".into()).to_string()), empty()),
            })
            .collect()
    }

    fn send_each(&mut self, url: &str, events: &[ClaimedEvent]) -> Vec<(Verdict, HttpAnswer)> {
        let mut out = Vec::with_capacity(events.len());
        let mut held_back: Option<String> = None;
        for e in events {
            if let Some(err) = &held_back {
                // An earlier event must be retried: the later ones wait behind it (first in,
                // first out), and an unreachable server is not waited out once per event.
                out.push((Verdict::Retry(format!("not sent: {err}")), empty()));
                continue;
            }
            let Some(path) = wire::request_path(e) else {
                out.push((Verdict::Park(format!("no server endpoint for {:?}", e.wire_kind)), empty()));
                continue;
            };
            match self.exchange(url, &path, e.body.as_bytes(), Some(&e.id)) {
                Ok(a) => {
                    let verdict = classify_event(&e.wire_kind, a.status, &a.body);
                    if let Verdict::Retry(why) = &verdict {
                        held_back = Some(format!("event {} is retried first ({why})", e.id));
                    }
                    out.push((verdict, a));
                }
                Err(err) => {
                    held_back = Some(err.to_string());
                    out.push((Verdict::Retry(err.to_string()), empty()));
                }
            }
        }
        out
    }
}

/// Splits a round's events by the server they go to: `(url, indices)` per server in the order
/// of each server's first event, each server's events in queue order, and the index from which
/// the events are not sent this round. An event about the same subject (`order/42`) as an
/// earlier event of the round that goes to another server is not sent, and neither is any event
/// after it: they are released, due as before, and claimed again next round, after the earlier
/// event is settled. So a refund never overtakes its sale even when the two services are on
/// different servers (if the sale is to be retried, the claim stops at it).
pub fn route(events: &[ClaimedEvent], config: &SyncConfig) -> (Vec<(String, Vec<usize>)>, usize) {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    let mut subjects: HashMap<&str, &str> = HashMap::new();
    for (i, e) in events.iter().enumerate() {
        let url = config.url_for(&e.wire_kind);
        if subjects.get(e.subject.as_str()).is_some_and(|earlier| *earlier != url) {
            return (groups, i);
        }
        subjects.insert(&e.subject, url);
        match groups.iter_mut().find(|(u, _)| u == url) {
            Some((_, indices)) => indices.push(i),
            None => groups.push((url.to_string(), vec![i])),
        }
    }
    (groups, events.len())
}

fn empty() -> HttpAnswer {
    HttpAnswer { status: 0, body: String::new() }
}

#[derive(Default)]
struct Flags {
    stop: bool,
    /// Set by a nudge, cleared when a round starts: a nudge that comes while a round runs is
    /// not lost, the worker goes round again instead of sleeping.
    nudged: bool,
}

/// Called after every round, on the worker's thread (see [`SyncWorker::on_round`]).
pub type RoundObserver = Arc<dyn Fn() + Send + Sync>;

struct Shared {
    flags: Mutex<Flags>,
    wake: Condvar,
    live: Mutex<LiveStatus>,
    observer: Mutex<Option<RoundObserver>>,
    /// Why the last catalogue round failed, if it did.
    catalogue_error: Mutex<Option<String>>,
}

/// A [`Syncer`] on its own thread, draining the outbox until dropped (or [`SyncWorker::stop`]).
///
/// Dropping it asks the thread to stop and waits for it; a request in flight finishes or times
/// out first (at most the request timeout).
pub struct SyncWorker {
    shared: Arc<Shared>,
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for SyncWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncWorker").finish_non_exhaustive()
    }
}

impl SyncWorker {
    /// Starts the worker thread. It first releases claims left by an earlier run (this must be
    /// the only worker of `store`), then sends due events, sleeping between rounds until the
    /// next event falls due, `config.idle_poll` passes, or [`SyncWorker::nudge`] is called.
    pub fn start(
        store: Arc<Store>,
        config: SyncConfig,
        clock: Arc<dyn Clock>,
        rng: Box<dyn RngCore + Send>,
    ) -> Result<SyncWorker, SyncError> {
        let idle = config.idle_poll;
        let mut syncer = Syncer::new(store.clone(), config, clock.clone(), rng)?;
        syncer.recover()?;
        let shared = Arc::new(Shared {
            flags: Mutex::default(),
            wake: Condvar::new(),
            live: Mutex::new(syncer.live().clone()),
            observer: Mutex::new(None),
            catalogue_error: Mutex::new(None),
        });
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("till-sync".into())
            .spawn(move || run(&mut syncer, &s, idle))
            .map_err(|e| SyncError::Config(format!("cannot start the sync thread: {e}")))?;
        Ok(SyncWorker { shared, store, clock, thread: Some(thread) })
    }

    /// Wakes the worker now (call after queuing an event). A nudge during a round makes the
    /// worker go round again at once rather than sleep.
    pub fn nudge(&self) {
        self.shared.flags.lock().unwrap_or_else(|p| p.into_inner()).nudged = true;
        self.shared.wake.notify_all();
    }

    /// Calls `observer` after every round from now on, so whoever shows the status line hears
    /// of a change as it happens instead of asking again and again. It runs on the worker's
    /// thread and must return quickly.
    pub fn on_round(&self, observer: RoundObserver) {
        *self.shared.observer.lock().unwrap_or_else(|p| p.into_inner()) = Some(observer);
    }

    /// The status line.
    pub fn status(&self) -> Result<SyncStatus, SyncError> {
        let live = self.shared.live.lock().unwrap_or_else(|p| p.into_inner()).clone();
        status::read_status(&self.store, self.clock.now_ms(), Some(&live))
    }

    /// Why the last pull of the catalogue from HQ failed (none when it worked or never ran).
    pub fn catalogue_error(&self) -> Option<String> {
        self.shared.catalogue_error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Stops the thread and waits for it.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.flags.lock().unwrap_or_else(|p| p.into_inner()).stop = true;
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Pulls the catalogue from HQ when it is due (at start, then every `catalogue_every`, and at
/// once while pages remain); whether pages remain.
fn catalogue_if_due(syncer: &mut Syncer, shared: &Shared, last: &mut Option<std::time::Instant>, more: bool) -> bool {
    let Some(every) = syncer.config.catalogue_every else { return false };
    if !more && last.is_some_and(|t| t.elapsed() < every) {
        return false;
    }
    *last = Some(std::time::Instant::now());
    let (more, error) = match syncer.catalogue_round() {
        Ok(pull) => (pull.more, None),
        Err(e) => {
            tracing::info!(error = %e, "catalogue from HQ not pulled now");
            (false, Some(e.to_string()))
        }
    };
    *shared.catalogue_error.lock().unwrap_or_else(|p| p.into_inner()) = error;
    more
}

fn run(syncer: &mut Syncer, shared: &Shared, idle: Duration) {
    let mut catalogue_at = None;
    let mut catalogue_more = false;
    loop {
        {
            let mut flags = shared.flags.lock().unwrap_or_else(|p| p.into_inner());
            if flags.stop {
                return;
            }
            flags.nudged = false;
        }
        let (busy, waiting) = match syncer.round() {
            Ok(r) => (r.claimed > 0, r.waiting),
            Err(e) => {
                tracing::warn!(error = %e, "sync round failed");
                (false, false)
            }
        };
        catalogue_more = catalogue_if_due(syncer, shared, &mut catalogue_at, catalogue_more);
        let busy = busy || catalogue_more;
        *shared.live.lock().unwrap_or_else(|p| p.into_inner()) = syncer.live().clone();
        let observer = shared.observer.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(observer) = observer {
            observer();
        }
        if busy {
            continue;
        }
        let wait = match syncer.store.next_due_at() {
            // An event waiting for the device identifier key is due but cannot go: look again
            // after the idle poll (or a nudge), not at once.
            _ if waiting => idle,
            Ok(Some(due)) => Duration::from_millis(due.saturating_sub(syncer.clock.now_ms()).max(0) as u64).min(idle),
            _ => idle,
        };
        let flags = shared.flags.lock().unwrap_or_else(|p| p.into_inner());
        if flags.stop {
            return;
        }
        if flags.nudged {
            continue;
        }
        let _ = shared.wake.wait_timeout(flags, wait.max(Duration::from_millis(1)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_or_park_by_status() {
        let err = r#"{"code":"invalid_request","message":"no lines"}"#;
        assert_eq!(classify(201, "{}"), Verdict::Done);
        assert_eq!(classify(200, "{}"), Verdict::Done);
        for s in [401, 408, 429, 500, 502, 503, 504] {
            assert!(matches!(classify(s, err), Verdict::Retry(_)), "{s}");
        }
        for s in [400, 403, 404, 409, 413, 422] {
            assert!(matches!(classify(s, err), Verdict::Park(_)), "{s}");
        }
        assert_eq!(classify(400, err), Verdict::Park("400 invalid_request: no lines".into()));
        assert_eq!(classify(502, "<html>bad gateway</html>"), Verdict::Retry("502: <html>bad gateway</html>".into()));
        assert!(batchable("sale") && batchable("points_update") && !batchable("payment_authorize"));
        assert!(batchable("points_reversal"));
    }
}
