//! Store-and-forward: a card payment approved by the till itself while the payment platform
//! cannot be reached, within limits the installer sets, and forwarded to the platform through
//! the outbox once it can.
//!
//! When [`crate::sale::card::remote_authorizer::RemoteAuthorizer`] answers "unreachable" (no connection,
//! timeout, 5xx) the card flow asks [`check_offline`]. Within the limits of
//! [`PaymentSettings`] (amount per payment, payments waiting to be forwarded, age of the
//! oldest of them; 24 h by default as Square and Adyen do) the sale is recorded with the approval
//! code [`OFFLINE_AUTH_CODE`] ("offline approval" on the receipt) and, **in the same
//! transaction** ([`till_store::checkout::LinkedEvent`]), a `payment.forward` outbox event whose
//! id is the payment id and whose payload is the platform request: the card data as the till
//! encrypted it under the platform key the moment it was read, never in clear. A card that asks
//! for its PIN is never approved offline: only the platform can check a PIN, and a PIN block is
//! never stored. Beyond the limits the payment is declined with a reason code `offline_*` and
//! words for the cashier, who takes another tender; the cart stays.
//!
//! The sync worker sends the event to `POST /v1/payments/authorize` (in a batch or alone) with
//! the payment id as Idempotency-Key, so an online attempt that reached the platform after all
//! gets its stored answer back, not a second authorisation. The moment the answer is recorded
//! (or the event is parked or discarded) the encrypted card data is removed from the outbox row
//! (till-store's `delivery`). A forwarded payment the platform declined (or refused) is listed
//! for managers by [`Pos::forwarded_declines_list`].

use crate::admin::permissions::Command;
use crate::error::PaymentError;
use crate::error::{PosError, Result};
use crate::ipc::sale::{ForwardedDecline, PaymentSettings};
use crate::sale::card::authorizer::AuthorizationRequest;
use crate::Pos;
use serde_json::Value;
use till_core::Money;
use till_core::SessionToken;
use till_store::checkout::LinkedEvent;
use till_store::delivery::PAYMENT_FORWARD;
/// The approval code of a payment the till approved offline; the receipt says "offline approval".
pub const OFFLINE_AUTH_CODE: &str = "OFFLINE";
const SETTING: &str = "payment_settings";
const HOUR_MS: i64 = 3_600_000;

impl Default for PaymentSettings {
    fn default() -> Self {
        PaymentSettings {
            authorization_timeout_s: 15,
            offline_max_amount_minor: 50_000,
            offline_max_pending: 20,
            offline_max_age_hours: 24,
        }
    }
}

impl PaymentSettings {
    /// Checks the ranges; a bad value is [`PosError::InvalidInput`].
    pub fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(PosError::InvalidInput(m.into()));
        if !(1..=120).contains(&self.authorization_timeout_s) {
            return bad("the authorisation timeout is 1 to 120 seconds");
        }
        if !(0..=100_000_000).contains(&self.offline_max_amount_minor) {
            return bad("the offline amount limit is 0 to 100,000,000 minor units");
        }
        if self.offline_max_pending > 1000 {
            return bad("at most 1000 offline payments may wait to be forwarded");
        }
        if !(1..=72).contains(&self.offline_max_age_hours) {
            return bad("the offline age limit is 1 to 72 hours");
        }
        Ok(())
    }

    /// The authorisation timeout.
    pub fn timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(u64::from(self.authorization_timeout_s))
    }
}

/// Payments approved offline that wait to be forwarded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PendingForwards {
    /// How many.
    pub count: i64,
    /// When the oldest was approved.
    pub oldest_at_ms: Option<i64>,
}

fn refuse(reason_code: &str, message: String) -> PaymentError {
    PaymentError::Declined { reason_code: reason_code.into(), message }
}

/// Whether a payment of `amount` may be approved offline now; the `Err` is the decline the
/// cashier sees (reason codes `offline_off`, `offline_pin`, `offline_amount`, `offline_count`,
/// `offline_age`).
pub fn check_offline(
    limits: &PaymentSettings,
    amount: Money,
    pin_required: bool,
    pending: PendingForwards,
    now_ms: i64,
) -> std::result::Result<(), PaymentError> {
    const WHY: &str = "the payment platform cannot be reached";
    if limits.offline_max_amount_minor == 0 || limits.offline_max_pending == 0 {
        return Err(refuse("offline_off", format!("{WHY} and offline approval is off; please take another tender")));
    }
    if pin_required {
        return Err(refuse(
            "offline_pin",
            format!("{WHY}, and a card that asks for its PIN cannot be approved offline; please take another tender"),
        ));
    }
    if amount.minor() > limits.offline_max_amount_minor {
        let max = Money::new(limits.offline_max_amount_minor, amount.currency());
        return Err(refuse(
            "offline_amount",
            format!("{WHY}; offline approval is limited to {max} per payment; please take another tender"),
        ));
    }
    if pending.count >= i64::from(limits.offline_max_pending) {
        return Err(refuse(
            "offline_count",
            format!(
                "{WHY} and {} offline payments already wait to be forwarded (the limit); please take another tender",
                pending.count
            ),
        ));
    }
    if let Some(oldest) = pending.oldest_at_ms {
        if now_ms - oldest > i64::from(limits.offline_max_age_hours) * HOUR_MS {
            return Err(refuse(
                "offline_age",
                format!(
                    "{WHY} and an offline payment has waited more than {} hours to be forwarded; please take another tender",
                    limits.offline_max_age_hours
                ),
            ));
        }
    }
    Ok(())
}

impl Pos {
    /// The installer's payment settings (defaults until set).
    pub(crate) fn payment_settings(&self) -> Result<PaymentSettings> {
        match self.store.setting(SETTING)? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| PosError::Internal(format!("the stored payment settings are unreadable: {e}"))),
            None => Ok(PaymentSettings::default()),
        }
    }

    /// The payment settings (installers).
    pub fn payment_settings_get(&self, token: &SessionToken) -> Result<PaymentSettings> {
        self.authorize(token, Command::PaymentSettingsGet)?;
        self.payment_settings()
    }

    /// Sets the payment settings (installers); checked first, audited, nothing changed when bad.
    pub fn payment_settings_set(&self, token: &SessionToken, settings: PaymentSettings) -> Result<PaymentSettings> {
        let s = self.authorize(token, Command::PaymentSettingsSet)?;
        settings.validate()?;
        let text = serde_json::to_string(&settings).map_err(|e| PosError::Internal(e.to_string()))?;
        let detail = serde_json::to_value(settings).map_err(|e| PosError::Internal(e.to_string()))?;
        let now = self.now_ms();
        self.store.write(|tx| {
            till_store::settings::put(tx, SETTING, &text)?;
            till_store::audit::append(tx, now, Some(s.user_id), "payment.settings_set", &detail)
        })?;
        Ok(settings)
    }

    /// Payments approved offline still waiting to be forwarded.
    pub fn pending_forwards(&self) -> Result<PendingForwards> {
        Ok(self.store.read(|c| {
            Ok(c.query_row(
                "SELECT count(*), min(created_at_ms) FROM outbox WHERE kind = ?1 AND state IN ('pending', 'sending')",
                [PAYMENT_FORWARD],
                |r| Ok(PendingForwards { count: r.get(0)?, oldest_at_ms: r.get(1)? }),
            )?)
        })?)
    }

    /// Decides on offline approval for `request` (the platform was unreachable: `why`) and,
    /// when allowed, links its `payment.forward` event to the cart's sale, to be written in the
    /// sale's transaction. The caller records the sale with [`OFFLINE_AUTH_CODE`] and unlinks
    /// the cart if that fails.
    pub(crate) fn approve_offline(&self, request: &AuthorizationRequest, why: &str) -> Result<()> {
        let limits = self.payment_settings()?;
        let pending = self.pending_forwards()?;
        if let Err(refusal) = check_offline(&limits, request.amount, request.pin_required, pending, self.now_ms()) {
            tracing::info!(payment_id = %request.payment_id, %why, "offline approval refused: {refusal}");
            return Err(refusal.into());
        }
        let mut payload: Value = serde_json::from_str(&crate::sale::card::remote_authorizer::request_body(request))
            .map_err(|e| PosError::Internal(e.to_string()))?;
        // Never stored: only the platform can check a PIN, and PIN cards are not approved offline.
        if let Some(o) = payload.as_object_mut() {
            o.remove("pin_block");
        }
        self.store.link_to_checkout(
            &request.order_ref,
            LinkedEvent { id: request.payment_id.clone(), kind: PAYMENT_FORWARD.into(), payload },
        );
        tracing::warn!(payment_id = %request.payment_id, %why, "payment platform unreachable; approving offline");
        Ok(())
    }

    /// Forwarded offline payments the platform declined or refused, newest first (managers).
    pub fn forwarded_declines_list(&self, token: &SessionToken) -> Result<Vec<ForwardedDecline>> {
        self.authorize(token, Command::ForwardedDeclinesList)?;
        let currency = self.currency;
        let rows = self.store.read(|c| {
            let mut s = c.prepare(
                "SELECT e.id, e.payload, e.created_at_ms, e.state, e.response_body, e.done_at_ms,
                        coalesce(e.parked_reason, ''), e.parked_at_ms, o.id, o.order_no
                 FROM outbox e LEFT JOIN orders o ON 'order/' || o.id = e.subject
                 WHERE e.kind = ?1 AND (e.state IN ('parked', 'discarded')
                       OR (e.state = 'done' AND json_extract(e.response_body, '$.status') = 'declined'))
                 ORDER BY e.created_at_ms DESC, e.rowid DESC",
            )?;
            let rows = s.query_map([PAYMENT_FORWARD], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<i64>>(7)?,
                    r.get::<_, Option<i64>>(8)?,
                    r.get::<_, Option<String>>(9)?,
                ))
            })?;
            Ok(rows.collect::<std::result::Result<Vec<_>, _>>()?)
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, payload, created, state, response, done_at, parked_reason, parked_at, order_id, order_no)| {
                let p: Value = serde_json::from_str(&payload).unwrap_or(Value::Null);
                let answer: Value = response.as_deref().and_then(|r| serde_json::from_str(r).ok()).unwrap_or_default();
                let (outcome, reason, answered) = match state.as_str() {
                    "done" => {
                        ("declined", answer["reason_code"].as_str().unwrap_or("do_not_honour").to_string(), done_at)
                    }
                    "discarded" => ("discarded", parked_reason, parked_at),
                    _ => ("refused", parked_reason, parked_at),
                };
                ForwardedDecline {
                    payment_id: id,
                    order_id,
                    order_no,
                    amount: Money::new(p["amount"]["minor"].as_i64().unwrap_or(0), currency),
                    card_masked: p["card"]["masked_pan"]
                        .as_str()
                        .or(answer["masked_pan"].as_str())
                        .unwrap_or_default()
                        .to_string(),
                    approved_offline_at_ms: created,
                    outcome: outcome.into(),
                    reason,
                    answered_at_ms: answered,
                }
            })
            .collect())
    }
}

/// The forward event's payload as stored (what is kept until the platform answers), for tests
/// and tools.
pub fn forward_payload(store: &till_store::Store, payment_id: &str) -> Result<Option<Value>> {
    Ok(store
        .outbox_events(PAYMENT_FORWARD)?
        .into_iter()
        .find(|e| e.id == payment_id)
        .and_then(|e| serde_json::from_str(&e.payload).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;
    use crate::ipc::sale::CardPaymentStatus;
    use crate::sale::card::remote_authorizer::tests::{authorizer, Server};
    use crate::sale::card::remote_authorizer::RemoteConfig;
    use crate::sale::card::tests::start_payment;
    use crate::tests::{CASHIER, INSTALLER, MANAGER};
    use crate::{ManualClock, PosConfig};
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::sync::Arc;
    use std::time::Duration;
    use till_core::Currency;

    const NOW: i64 = 1_790_000_000_000;
    const TEA: &str = "6901234567892";
    const DECLINED_TRACK2: &str = "%3B4000000000000002%3D28121010000000000%3F";

    fn cny(minor: i64) -> Money {
        Money::new(minor, Currency::CNY)
    }

    #[test]
    fn limits_amount_count_and_age() {
        let l = PaymentSettings::default();
        let none = PendingForwards::default();
        let code = |r: std::result::Result<(), PaymentError>| match r {
            Ok(()) => "ok".to_string(),
            Err(PaymentError::Declined { reason_code, .. }) => reason_code,
            Err(e) => format!("{e:?}"),
        };
        assert_eq!(code(check_offline(&l, cny(50_000), false, none, NOW)), "ok");
        assert_eq!(code(check_offline(&l, cny(50_001), false, none, NOW)), "offline_amount");
        assert_eq!(code(check_offline(&l, cny(100), true, none, NOW)), "offline_pin");
        let nineteen = PendingForwards { count: 19, oldest_at_ms: Some(NOW - 1000) };
        assert_eq!(code(check_offline(&l, cny(100), false, nineteen, NOW)), "ok");
        let twenty = PendingForwards { count: 20, oldest_at_ms: Some(NOW - 1000) };
        assert_eq!(code(check_offline(&l, cny(100), false, twenty, NOW)), "offline_count");
        // age by the injected clock: 24 h is still fine, a moment later it is not
        let old = PendingForwards { count: 1, oldest_at_ms: Some(NOW) };
        assert_eq!(code(check_offline(&l, cny(100), false, old, NOW + 24 * HOUR_MS)), "ok");
        assert_eq!(code(check_offline(&l, cny(100), false, old, NOW + 24 * HOUR_MS + 1)), "offline_age");
        let off = PaymentSettings { offline_max_amount_minor: 0, ..l };
        assert_eq!(code(check_offline(&off, cny(1), false, none, NOW)), "offline_off");
        let msg = check_offline(&l, cny(50_001), false, none, NOW).unwrap_err().to_string();
        assert!(msg.contains("another tender") && msg.contains("500.00"), "{msg}");
    }

    /// A till whose payment platform is `url`, selling with the simulated reader's `track2`.
    fn till(
        dir: &tempfile::TempDir,
        clock: Arc<ManualClock>,
        url: impl FnOnce(&Server) -> String,
        track2: Option<&str>,
    ) -> (Pos, Server) {
        // The key the server must know: the till's own, read back after it opened.
        let reader = match track2 {
            Some(t) => format!("sim://card-reader?delay_ms=1&track2={t}"),
            None => "sim://card-reader?delay_ms=1".into(),
        };
        let key_pos = Pos::open(PosConfig {
            clock: clock.clone(),
            rng: Box::new(StdRng::seed_from_u64(5)),
            card_reader: reader.clone(),
            ..PosConfig::demo(dir.path().join("till.db"))
        })
        .unwrap();
        let key = key_pos.sale.card_payments.keys.get().unwrap();
        drop(key_pos);
        let server = Server::start(&key);
        let url = url(&server);
        let remote = authorizer(server.config(&url, Duration::from_millis(500)));
        let pos = Pos::open(PosConfig {
            clock,
            rng: Box::new(StdRng::seed_from_u64(6)),
            card_reader: reader,
            authorizer: Some(Arc::new(remote)),
            ..PosConfig::demo(dir.path().join("till.db"))
        })
        .unwrap();
        (pos, server)
    }

    fn closed_url() -> String {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    }

    /// A proxy to `upstream` that passes the request on at once but holds the answer back for
    /// a second: the platform authorises, the till times out first.
    fn slow_proxy(upstream: &str) -> String {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let upstream = upstream.trim_start_matches("http://").to_string();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { return };
                let Ok(mut server) = std::net::TcpStream::connect(&upstream) else { return };
                let (mut c2, mut s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || std::io::copy(&mut c2, &mut s2));
                std::thread::spawn(move || {
                    let mut buf = [0u8; 8192];
                    let n = server.read(&mut buf).unwrap_or(0);
                    std::thread::sleep(Duration::from_millis(1000));
                    let _ = client.write_all(&buf[..n]);
                });
            }
        });
        url
    }

    fn pay(p: &Pos, t: &SessionToken) -> Result<crate::ipc::views::Receipt> {
        let cart = p.cart_scan(t, TEA).unwrap();
        let (v, pushed) = start_payment(p, t, &cart.cart_id).unwrap();
        assert_eq!(pushed.read().status, CardPaymentStatus::Signature);
        p.payment_authorize(t, &v.payment_id)
    }

    fn forward(p: &Pos, server: &Server) -> till_sync::RoundReport {
        let store = Arc::new(till_store::Store::open(p.store().path()).unwrap());
        let secret = till_client::Secret::from_hex(&server.secret_hex).unwrap();
        let config = till_sync::SyncConfig::new(&server.url(), &server.terminal_id, secret);
        let mut syncer =
            till_sync::Syncer::new(store, config, Arc::new(till_core::SystemClock), Box::new(StdRng::seed_from_u64(7)))
                .unwrap();
        syncer.drain().unwrap()
    }

    fn assert_no_pan_on_disk(dir: &tempfile::TempDir, pan: &str) {
        for e in std::fs::read_dir(dir.path()).unwrap() {
            let bytes = std::fs::read(e.unwrap().path()).unwrap();
            assert!(!bytes.windows(pan.len()).any(|w| w == pan.as_bytes()), "the PAN is on disk");
        }
    }

    #[test]
    fn offline_within_limits_then_forwarded_and_approved() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(NOW));
        let (p, server) = till(&dir, clock.clone(), |_| closed_url(), None);
        let t = p.login(CASHIER, "1111").unwrap().token;
        let r = pay(&p, &t).unwrap();
        assert!(r.payment.offline_approval, "{r:?}");
        assert_eq!(r.payment.auth_code.as_deref(), Some(OFFLINE_AUTH_CODE));
        // the forward is queued with the sale, its card data encrypted, no PIN block
        let stored = p.store().outbox_events(PAYMENT_FORWARD).unwrap();
        assert_eq!((stored.len(), stored[0].state.as_str()), (1, "pending"));
        let payload = forward_payload(p.store(), &stored[0].id).unwrap().unwrap();
        assert_eq!(payload["card"]["scheme"], "platform_gcm");
        assert!(payload["card"]["data"].as_str().unwrap().len() > 56);
        assert!(payload.get("pin_block").is_none());
        assert_eq!(p.pending_forwards().unwrap().count, 1);
        assert_no_pan_on_disk(&dir, "4111111111111111");
        // the platform is back: the worker forwards it, the platform approves it
        let report = forward(&p, &server);
        assert_eq!((report.done, report.parked), (2, 0), "{report:?}");
        let after = p.store().outbox_events(PAYMENT_FORWARD).unwrap();
        assert_eq!(after[0].state, "done");
        // answered: the encrypted card data is gone, the masked number stays
        let payload = forward_payload(p.store(), &stored[0].id).unwrap().unwrap();
        assert!(payload["card"].get("data").is_none(), "{payload}");
        assert_eq!(payload["card"]["masked_pan"], "411111******1111");
        assert_eq!(p.pending_forwards().unwrap().count, 0);
        let m = p.login(MANAGER, "2222").unwrap().token;
        assert!(p.forwarded_declines_list(&m).unwrap().is_empty());
        assert_no_pan_on_disk(&dir, "4111111111111111");
    }

    #[test]
    fn a_forwarded_decline_is_put_in_front_of_the_manager() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(NOW));
        let (p, server) = till(&dir, clock, |_| closed_url(), Some(DECLINED_TRACK2));
        let t = p.login(CASHIER, "1111").unwrap().token;
        let r = pay(&p, &t).unwrap();
        assert!(r.payment.offline_approval);
        forward(&p, &server);
        let m = p.login(MANAGER, "2222").unwrap().token;
        let list = p.forwarded_declines_list(&m).unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        let d = &list[0];
        assert_eq!((d.outcome.as_str(), d.reason.as_str()), ("declined", "do_not_honour"));
        assert_eq!((d.order_id, d.card_masked.as_str()), (Some(r.order_id), "400000******0002"));
        assert_eq!(d.amount, r.total);
        assert_eq!(p.forwarded_declines_list(&t).unwrap_err().code(), ErrorCode::Forbidden);
        assert_no_pan_on_disk(&dir, "4000000000000002");
    }

    #[test]
    fn an_online_attempt_that_reached_the_platform_late_is_not_authorised_twice() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(NOW));
        let (p, server) = till(&dir, clock, |s| slow_proxy(&s.url()), None);
        let t = p.login(CASHIER, "1111").unwrap().token;
        // the platform approved it, but the answer came after the till's timeout
        let r = pay(&p, &t).unwrap();
        assert!(r.payment.offline_approval);
        std::thread::sleep(Duration::from_millis(200));
        let online = server.authorizations();
        assert_eq!(online.len(), 1, "the online attempt reached the platform");
        // the forward carries the same payment id and body: the platform's stored answer comes
        // back (no payment_exists, no idempotency_conflict, no second authorisation)
        let report = forward(&p, &server);
        assert_eq!((report.done, report.parked), (2, 0), "{report:?}");
        assert_eq!(server.authorizations(), online, "authorised once");
        let m = p.login(MANAGER, "2222").unwrap().token;
        assert!(p.forwarded_declines_list(&m).unwrap().is_empty());
    }

    #[test]
    fn beyond_the_limits_the_card_is_declined_and_the_cart_kept() {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(NOW));
        let (p, _server) = till(&dir, clock.clone(), |_| closed_url(), None);
        let i = p.login(INSTALLER, "3333").unwrap().token;
        let limits = PaymentSettings { offline_max_pending: 1, ..PaymentSettings::default() };
        p.payment_settings_set(&i, limits).unwrap();
        let t = p.login(CASHIER, "1111").unwrap().token;
        assert!(pay(&p, &t).unwrap().payment.offline_approval);
        // the second one is over the count limit: declined, nothing recorded, the cart stays
        let cart = p.cart_scan(&t, TEA).unwrap();
        let (v, pushed) = start_payment(&p, &t, &cart.cart_id).unwrap();
        pushed.read();
        let e = p.payment_authorize(&t, &v.payment_id).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CardDeclined);
        assert!(e.to_string().contains("offline_count") && e.to_string().contains("another tender"), "{e}");
        assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
        assert_eq!(p.store().outbox_events(PAYMENT_FORWARD).unwrap().len(), 1);
        // cash for the same cart does not take the refused payment's forward with it
        p.checkout_cash(&t, &cart.cart_id, 100_000).unwrap();
        assert_eq!(p.store().outbox_events(PAYMENT_FORWARD).unwrap().len(), 1);
        // the age limit, by the injected clock
        let limits = PaymentSettings { offline_max_pending: 5, ..PaymentSettings::default() };
        p.payment_settings_set(&i, limits).unwrap();
        clock.advance(25 * HOUR_MS);
        let t = p.login(CASHIER, "1111").unwrap().token;
        let e = pay(&p, &t).unwrap_err();
        assert!(e.to_string().contains("offline_age"), "{e}");
    }

    #[test]
    fn settings_are_for_installers_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let p = Pos::open(PosConfig {
            clock: Arc::new(ManualClock::new(NOW)),
            rng: Box::new(StdRng::seed_from_u64(5)),
            ..PosConfig::demo(dir.path().join("till.db"))
        })
        .unwrap();
        let i = p.login(INSTALLER, "3333").unwrap().token;
        let m = p.login(MANAGER, "2222").unwrap().token;
        assert_eq!(p.payment_settings_get(&i).unwrap(), PaymentSettings::default());
        assert_eq!(p.payment_settings_get(&m).unwrap_err().code(), ErrorCode::Forbidden);
        let d = PaymentSettings::default();
        assert_eq!(p.payment_settings_set(&m, d).unwrap_err().code(), ErrorCode::Forbidden);
        for bad in [
            PaymentSettings { authorization_timeout_s: 0, ..d },
            PaymentSettings { offline_max_age_hours: 0, ..d },
            PaymentSettings { offline_max_amount_minor: -1, ..d },
            PaymentSettings { offline_max_pending: 5000, ..d },
        ] {
            assert_eq!(p.payment_settings_set(&i, bad).unwrap_err().code(), ErrorCode::InvalidInput);
        }
        assert_eq!(p.payment_settings_get(&i).unwrap(), d);
        let new = PaymentSettings { authorization_timeout_s: 5, offline_max_amount_minor: 10_000, ..d };
        p.payment_settings_set(&i, new).unwrap();
        assert_eq!(p.payment_settings_get(&i).unwrap(), new);
        assert_eq!(new.timeout(), Duration::from_secs(5));
        let _ = RemoteConfig::new(till_client::ClientConfig::new("http://x", "t", till_client::Secret::new([1; 32])));
    }
}
