//! Loyalty points at the counter (CN101986339A): enrolling a customer, redeeming points as a
//! tender, earning points on a sale, and what the receipt and the points terminal show.
//!
//! The till never learns a customer's key. It asks the points terminal for a loyalty token
//! (the customer presents their phone), and sends each points change with its own token to the
//! points server through the outbox, in the sale's transaction: offline, the change stays
//! `pending` in the local ledger and the receipt says so; when the server answers it is
//! confirmed with the new balance and level, or rejected (a replayed or expired token, too few
//! points) and listed for the manager. After a sale the till waits a few seconds for the
//! answer so that, online, the cashier and the customer see the new balance at once. An earn
//! whose token expired before it could be sent is not rejected: it waits for the customer's
//! next identification and goes again then ([`resend`]).

pub mod offline_limit;
mod resend;

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::loyalty::{EnrolView, LoyaltySettings, PointsProblemView, ReceiptPoints};
use crate::ipc::sync::Service;
use crate::Pos;
use std::time::Duration;
use till_core::loyalty::PointsRules;
use till_core::SessionToken;
use till_store::points_ledger::LedgerEntry;

/// How long a checkout waits for the points server's answer before printing "pending".
pub const ANSWER_WAIT: Duration = Duration::from_secs(3);

impl Default for LoyaltySettings {
    fn default() -> Self {
        LoyaltySettings {
            points_per_unit: 1,
            redeem_value_minor: 1,
            multipliers: Vec::new(),
            cashier_refund_limit_minor: 20_000,
        }
    }
}

const SETTINGS_KEY: &str = "loyalty.settings";

impl LoyaltySettings {
    fn check(&self) -> Result<()> {
        let bad = |m: &str| Err(PosError::InvalidInput(m.into()));
        if !(0..=1_000).contains(&self.points_per_unit) {
            return bad("points per unit is 0 to 1000");
        }
        if !(1..=1_000_000).contains(&self.redeem_value_minor) {
            return bad("a point is worth 1 to 1,000,000 minor units");
        }
        if self.multipliers.iter().any(|(sku, pct)| sku.trim().is_empty() || !(0..=1_000).contains(pct)) {
            return bad("a multiplier needs a SKU and 0 to 1000 percent");
        }
        if self.cashier_refund_limit_minor < 0 {
            return bad("the cashier's refund limit is not negative");
        }
        Ok(())
    }

    /// The points rules.
    pub fn rules(&self) -> PointsRules {
        PointsRules { points_per_unit: self.points_per_unit, redeem_value_minor: self.redeem_value_minor }
    }

    pub(crate) fn multiplier(&self, sku: &str) -> i64 {
        self.multipliers.iter().find(|(s, _)| s.eq_ignore_ascii_case(sku)).map_or(100, |(_, p)| i64::from(*p))
    }
}

/// A QR code of `text` as SVG.
pub fn qr_svg(text: &str) -> Result<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| PosError::Internal(format!("QR code: {e}")))?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(220, 220).quiet_zone(true).build())
}

/// The account id shortened for the screen: its first four bytes as hex, upper case.
pub fn short_account(account_id: &[u8; 16]) -> String {
    hex::encode_upper(&account_id[..4])
}

/// The ledger rows of a sale summed up for its receipt.
pub fn receipt_points(entries: &[LedgerEntry]) -> Option<ReceiptPoints> {
    let sale: Vec<&LedgerEntry> = entries.iter().filter(|e| e.refund_id.is_none()).collect();
    let first = sale.first()?;
    let mut p = ReceiptPoints {
        account_short: first.customer_ref.chars().take(8).collect::<String>().to_uppercase(),
        status: "confirmed".into(),
        ..ReceiptPoints::default()
    };
    // entries come newest first: the last change sent carries the final balance
    for e in sale.iter().rev() {
        match e.kind.as_str() {
            "earn" => p.earned += e.points,
            "redeem" => p.redeemed += -e.points,
            _ => {}
        }
        if e.status == "rejected" {
            p.status = "rejected".into();
            p.rejected_reason = e.rejected_reason.clone();
        } else if e.status == "pending" && p.status != "rejected" {
            p.status = "pending".into();
        }
        if e.balance_after.is_some() {
            p.balance = e.balance_after;
            p.level = e.level.clone();
            p.promotions = e
                .response
                .as_deref()
                .and_then(|r| serde_json::from_str::<serde_json::Value>(r).ok())
                .and_then(|v| v.get("promotions").cloned())
                .and_then(|v| v.as_array().cloned())
                .unwrap_or_default()
                .iter()
                .filter_map(|x| x.get("text").and_then(|t| t.as_str()).map(str::to_string))
                .collect();
        }
    }
    Some(p)
}

impl Pos {
    /// The points rules and refund policy.
    pub fn loyalty_settings(&self) -> Result<LoyaltySettings> {
        match self.store.setting(SETTINGS_KEY)? {
            Some(text) => {
                serde_json::from_str(&text).map_err(|e| PosError::Internal(format!("stored loyalty settings: {e}")))
            }
            None => Ok(LoyaltySettings::default()),
        }
    }

    /// The settings, for the manager's screen.
    pub fn loyalty_settings_get(&self, token: &SessionToken) -> Result<LoyaltySettings> {
        self.authorize(token, Command::LoyaltySettingsGet)?;
        self.loyalty_settings()
    }

    /// Changes the settings (managers; audited).
    pub fn loyalty_settings_set(&self, token: &SessionToken, settings: LoyaltySettings) -> Result<LoyaltySettings> {
        let s = self.authorize(token, Command::LoyaltySettingsSet)?;
        settings.check()?;
        let text = serde_json::to_string(&settings).map_err(|e| PosError::Internal(e.to_string()))?;
        let now = self.now_ms();
        let detail = serde_json::to_value(&settings).map_err(|e| PosError::Internal(e.to_string()))?;
        self.store.write(|tx| {
            till_store::settings::put(tx, SETTINGS_KEY, &text)?;
            till_store::audit::append(tx, now, Some(s.user_id), "loyalty.settings_set", &detail)
        })?;
        Ok(settings)
    }

    /// Enrols a new customer: the points server creates the account and its key and returns
    /// the enrolment message, shown as a QR code for the customer's phone. A simulated
    /// terminal's phone takes the message at once (as if it scanned the code).
    pub fn points_enrol(&self, token: &SessionToken) -> Result<EnrolView> {
        let s = self.authorize(token, Command::PointsEnrol)?;
        let key = self.random_hex(16);
        let answer =
            self.server_call(Service::Points, "POST", "/v1/points/enrol", Some(&serde_json::json!({})), Some(&key))?;
        let text = |name: &str| {
            answer
                .get(name)
                .and_then(|v| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| PosError::ServerUnreachable(format!("the enrolment answer has no {name}")))
        };
        let account_id = text("account_id")?;
        let message = text("enrolment_message")?;
        let simulated = self.with_terminal(|t| t.simulated_phone_enrol(&message)).unwrap_or(false);
        self.store.audit(
            self.now_ms(),
            Some(s.user_id),
            "points.enrolled",
            &serde_json::json!({ "account": &account_id[..8.min(account_id.len())] }),
        )?;
        self.customer_display.enrol(&message);
        Ok(EnrolView {
            account_short: account_id.chars().take(8).collect::<String>().to_uppercase(),
            qr_svg: qr_svg(&message)?,
            account_id,
            enrolment_message: message,
            simulated_phone_enrolled: simulated,
        })
    }

    /// After a sale with points: waits up to [`ANSWER_WAIT`] for the points server, then shows
    /// the points earned and the balance on the points terminal. Returns the receipt's points.
    pub(crate) fn points_after_sale(&self, order_id: i64) -> Result<Option<ReceiptPoints>> {
        let deadline = std::time::Instant::now() + ANSWER_WAIT;
        let mut entries = self.store.points_of_order(order_id)?;
        let mut points = receipt_points(&entries);
        // Wait for the answer, or for the first attempt to fail (offline: no point waiting), or
        // for the earn to wait for the next identification (its token was already too old).
        while points.as_ref().is_some_and(|p| p.status == "pending")
            && std::time::Instant::now() < deadline
            && !entries.iter().any(|e| e.awaiting_identify)
            && !self.store.points_attempt_failed(order_id)?
        {
            std::thread::sleep(Duration::from_millis(100));
            entries = self.store.points_of_order(order_id)?;
            points = receipt_points(&entries);
        }
        if let Some(p) = &points {
            let balance = match (p.balance, p.status.as_str()) {
                (_, "rejected") => "Points not added".to_string(),
                (Some(b), _) => format!("Balance {b}"),
                (None, _) => "Balance pending".to_string(),
            };
            let lines = [format!("Earned {} points", p.earned), balance, p.level.clone().unwrap_or_default()];
            let lines: Vec<&str> = lines.iter().map(String::as_str).filter(|l| !l.is_empty()).collect();
            if let Err(e) = self.with_terminal(|t| t.display(&lines)) {
                tracing::warn!("points terminal display failed: {e}");
            }
        }
        Ok(points)
    }

    /// Points changes the server rejected (managers).
    pub fn points_problems(&self, token: &SessionToken) -> Result<Vec<PointsProblemView>> {
        self.authorize(token, Command::PointsProblems)?;
        Ok(self
            .store
            .points_rejected(200)?
            .into_iter()
            .map(|e| PointsProblemView {
                id: e.id,
                account_short: e.customer_ref.chars().take(8).collect::<String>().to_uppercase(),
                order_id: e.order_id,
                kind: e.kind,
                points: e.points,
                created_at_ms: e.created_at_ms,
                reason: e.rejected_reason.unwrap_or_default(),
            })
            .collect())
    }
}
