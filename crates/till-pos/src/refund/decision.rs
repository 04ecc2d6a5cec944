//! Who decides a refund, and how the till and the server agree on it.
//!
//! The decision on each line is [`till_core::refund::decide`], the one the server runs too.
//! Online, the till does not run it itself: it sends the server the very requests the refund
//! would queue (`POST /v1/refunds/check`, which writes nothing) and takes the server's answer
//! per line, so the two cannot disagree, and a request the server would refuse (a sale it does
//! not know, more than it holds) is refused here before any money moves. Offline, the till runs
//! `decide` with what it knows: the server's threshold as last seen (none seen: nobody is
//! refunded without approval) and an unknown reputation (0); the refund is marked as decided
//! offline, and if the server's later word differs the manager's sync screen shows it.
//!
//! The cashier's limit is the shop's own control over its staff and stays at the till: above
//! it the cashier pays nothing alone. A manager approves, or the refund is left to the seller,
//! and then the server holds every line for the seller whatever the customer's reputation.

use crate::error::{PosError, Result};
use crate::ipc::refund::RefundLineDecisionView;
use crate::ipc::sync::Service;
use crate::Pos;
use till_api::refunds::{RefundCheckResponse, RefundCheckResult};
use till_core::refund::{decide, Decision, LineFacts};
use till_store::{RecordedRefund, RefundableOrder};

/// The setting that keeps the server's reputation threshold as last seen, for offline decisions.
const THRESHOLD_KEY: &str = "refund.server_threshold";

/// How the cashier asked the refund to be approved.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Asked {
    /// A manager of the shop approved it (signed in, or their PIN typed now).
    pub manager: bool,
    /// The cashier left it to the seller.
    pub hold_for_seller: bool,
}

/// The decision on every line of a refund.
#[derive(Debug, Clone)]
pub(super) struct Decided {
    /// Per line, in the refund's order.
    pub decisions: Vec<Decision>,
    /// Per line, for the window: with no manager, a line the shop sold below the threshold
    /// shows `needs_approval`.
    pub views: Vec<RefundLineDecisionView>,
    /// The server could not be asked.
    pub offline: bool,
    /// The sale's customer's reputation, when the server told.
    pub reputation: Option<i64>,
    /// The threshold decided with.
    pub threshold: i64,
}

impl Decided {
    /// Whether any line waits for a seller.
    pub fn any_waits(&self) -> bool {
        self.decisions.iter().any(|d| !d.approved())
    }

    /// Whether a line the shop sold waits only for want of a manager's approval.
    pub fn needs_manager(&self) -> bool {
        self.views.iter().any(|v| v.decision == "needs_approval")
    }
}

impl Pos {
    /// Decides each line of the refund `preview` of `order` (the lines in `line_ids` order).
    pub(super) fn decide_refund(
        &self,
        preview: &RecordedRefund,
        order: &RefundableOrder,
        line_ids: &[i64],
        asked: Asked,
    ) -> Result<Decided> {
        let sellers: Vec<Option<String>> = line_ids
            .iter()
            .map(|id| order.lines.iter().find(|l| l.order_line_id == *id).and_then(|l| l.seller.clone()))
            .collect();
        match self.check_refunds(&preview.requests) {
            Ok(answer) => self.decided_online(answer, line_ids, &sellers, order, asked),
            Err(PosError::ServerUnreachable(why)) => {
                tracing::info!("refund decided offline: {why}");
                Ok(self.decided_offline(line_ids, &sellers, asked))
            }
            Err(PosError::SyncNotConfigured) => Ok(self.decided_offline(line_ids, &sellers, asked)),
            // A device is never named to the platform in clear: without the key (the platform
            // could not give it) the till decides as it does offline.
            Err(PosError::DeviceKeyMissing(why)) => {
                tracing::info!("refund decided offline: {why}");
                Ok(self.decided_offline(line_ids, &sellers, asked))
            }
            Err(e) => Err(e),
        }
    }

    /// What the server would answer to these refund requests (`POST /v1/refunds/check`,
    /// which writes nothing); keeps the server's threshold for offline decisions.
    pub(super) fn check_refunds(&self, requests: &[serde_json::Value]) -> Result<RefundCheckResponse> {
        // A refund by device names it by its blind (docs/device-services.md).
        let mut requests = requests.to_vec();
        if requests.iter().any(|r| r.get("device_identifier").is_some()) {
            let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_rng(&mut **crate::mutex::lock(&self.rng))
                .map_err(|e| PosError::Internal(e.to_string()))?;
            let mut blinder = till_sync::device_keys::Blinder::new(Some(self.device_key()?), &mut rng);
            for r in &mut requests {
                till_sync::device_keys::blind_refund_body(r, &mut blinder)
                    .map_err(|e| PosError::InvalidInput(e.reason().to_string()))?;
            }
        }
        let body = serde_json::json!({ "refunds": requests });
        let answer = self.server_call(Service::Refunds, "POST", "/v1/refunds/check", Some(&body), None)?;
        let answer: RefundCheckResponse = serde_json::from_value(answer)
            .map_err(|e| PosError::ServerUnreachable(format!("the server's refund check is not understood: {e}")))?;
        if answer.results.len() != requests.len() {
            return Err(PosError::ServerUnreachable("the server's refund check does not answer every request".into()));
        }
        self.remember_threshold(answer.threshold);
        Ok(answer)
    }

    fn decided_online(
        &self,
        answer: RefundCheckResponse,
        line_ids: &[i64],
        sellers: &[Option<String>],
        order: &RefundableOrder,
        asked: Asked,
    ) -> Result<Decided> {
        let mut decisions = Vec::with_capacity(line_ids.len());
        let mut views = Vec::with_capacity(line_ids.len());
        for ((result, id), seller) in answer.results.iter().zip(line_ids).zip(sellers) {
            let name = order.lines.iter().find(|l| l.order_line_id == *id).map_or("a line", |l| l.name.as_str());
            let decision = checked_decision(result, name)?;
            // The server was asked as the refund would be sent; what a manager would change is
            // the same rule, applied to the server's own facts.
            let seller = result.seller.clone().or_else(|| seller.clone());
            views.push(view(*id, decision, seller.as_deref(), asked));
            decisions.push(decision);
        }
        Ok(Decided { decisions, views, offline: false, reputation: answer.reputation, threshold: answer.threshold })
    }

    fn decided_offline(&self, line_ids: &[i64], sellers: &[Option<String>], asked: Asked) -> Decided {
        let threshold = self.known_threshold();
        let mut decisions = Vec::with_capacity(line_ids.len());
        let mut views = Vec::with_capacity(line_ids.len());
        for (id, seller) in line_ids.iter().zip(sellers) {
            let decision = decide(&LineFacts {
                seller: seller.as_deref(),
                reputation: None,
                threshold,
                shop_manager_approved: asked.manager,
                hold_for_seller: asked.hold_for_seller,
            });
            views.push(view(*id, decision, seller.as_deref(), asked));
            decisions.push(decision);
        }
        Decided { decisions, views, offline: true, reputation: None, threshold }
    }

    /// The server's threshold as last seen; never seen: nobody is refunded without approval.
    fn known_threshold(&self) -> i64 {
        self.store.setting(THRESHOLD_KEY).ok().flatten().and_then(|t| t.parse().ok()).unwrap_or(i64::MAX)
    }

    fn remember_threshold(&self, threshold: i64) {
        if self.known_threshold() != threshold {
            if let Err(e) = self.store.set_setting(THRESHOLD_KEY, &threshold.to_string()) {
                tracing::warn!("the server's refund threshold was not kept: {e}");
            }
        }
    }
}

/// The server's decision on one checked request, or why it would refuse it (what: `name`).
pub(super) fn checked_decision(result: &RefundCheckResult, name: &str) -> Result<Decision> {
    if let Some(code) = &result.error_code {
        return Err(PosError::ServerRefused {
            code: code.clone(),
            message: format!(
                "nothing was refunded; the refund of {name} cannot be accepted ({})",
                result.error_message.as_deref().unwrap_or(code)
            ),
        });
    }
    match result.decision.as_deref() {
        Some("policy") => Ok(Decision::Policy),
        Some("shop_manager") => Ok(Decision::ShopManager),
        Some("await_seller") => Ok(Decision::AwaitSeller),
        other => Err(PosError::ServerUnreachable(format!("the server's refund decision {other:?} is unknown"))),
    }
}

/// What the window shows for a line decided `decision`.
fn view(order_line_id: i64, decision: Decision, seller: Option<&str>, asked: Asked) -> RefundLineDecisionView {
    let name = match decision {
        // Without a manager's approval, the shop's own line waits only until one approves.
        Decision::AwaitSeller if seller.is_none() && !asked.manager && !asked.hold_for_seller => "needs_approval",
        d => d.as_str(),
    };
    RefundLineDecisionView { order_line_id, decision: name.to_string(), seller: seller.map(str::to_string) }
}
