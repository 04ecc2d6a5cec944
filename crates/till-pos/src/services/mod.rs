//! The service relay at the counter (CN104123686A): the providers the platform relays to, and
//! a customer's business with one of them handled as a conversation, round by round, through
//! the server (`/v1/services`, signed like every server call). When the provider asks for an
//! amount, "Add to sale" puts it into the cart as a service line (origin `service`, its
//! reference the conversation id) at the provider's price; it is paid like any sale, and the
//! platform tells the provider once the sale reaches it.
//!
//! Every line is booked under its provider's product, made when the provider is followed:
//! sku `SERVICE-<ACCOUNT>` (the account id upper-cased, 32 characters at most), the provider's
//! name, price 0 (the line carries the provider's), no tax of the shop's own, not serialised,
//! inactive (never scanned, searched or sold from the catalogue; no stock).
//!
//! Fail closed: with no server, or an answer that cannot be verified, no answer is made up. A
//! round is written before it leaves and settled after, `failed` with the reason when it has no
//! answer, so the request text is never lost and the cashier retries it as it was, under the
//! same idempotency key (the platform answers a round once).

use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::services::{ServiceConversationView, ServiceProviderView, ServiceRoundView};
use crate::ipc::sync::Service;
use crate::ipc::views::CartView;
use crate::sale::priced_lines::PricedLine;
use crate::Pos;
use serde_json::json;
use std::time::Duration;
use till_api::services::{ConversationResponse, FollowResponse, ProvidersResponse, RoundResponse};
use till_core::{Currency, LineOrigin, Money, SessionToken};
use till_store::services::{RoundOutcome, ServiceConversation, ServiceRound};

/// How long the counter waits for a round: the platform waits for the provider (5 s by
/// default), then answers.
pub const ROUND_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest request text (the platform's limit).
pub const MAX_TEXT: usize = 500;

/// Conversations the history shows.
const HISTORY_LIMIT: u32 = 200;

fn round_view(r: &ServiceRound) -> ServiceRoundView {
    ServiceRoundView {
        seq: r.seq,
        request_text: r.request_text.clone(),
        status: r.status.clone(),
        answer_text: r.answer_text.clone(),
        amount: r.amount,
        done: r.done,
        error_code: r.error_code.clone(),
        error_message: r.error_message.clone(),
        created_at_ms: r.created_at_ms,
    }
}

fn conversation_view(c: &ServiceConversation, in_cart: bool) -> ServiceConversationView {
    ServiceConversationView {
        conversation_id: c.conversation_id.clone(),
        account_id: c.account_id.clone(),
        provider_name: c.provider_name.clone(),
        cashier: c.cashier.clone(),
        status: c.status.clone(),
        amount: c.amount,
        created_at_ms: c.created_at_ms,
        paid_order_no: c.paid_order_no.clone(),
        in_cart,
        rounds: c.rounds.iter().map(round_view).collect(),
    }
}

/// A round's failure as kept: the code the window words, and the words.
fn failure(e: &PosError) -> RoundOutcome {
    let (code, message) = match e {
        PosError::SyncNotConfigured => ("sync_not_configured".to_string(), e.to_string()),
        PosError::ServerRefused { code, message } => (code.clone(), message.clone()),
        PosError::ServerUnreachable(m) => ("server_unreachable".to_string(), m.clone()),
        other => (other.code_name(), other.to_string()),
    };
    RoundOutcome::Failed { code, message }
}

impl PosError {
    /// The snake_case name of this error's code, as it crosses IPC.
    fn code_name(&self) -> String {
        serde_json::to_value(self.code()).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
    }
}

impl Pos {
    /// The providers on the platform, with whether this till follows each (asked of the
    /// server: nothing is shown offline).
    pub fn services_providers(&self, token: &SessionToken) -> Result<Vec<ServiceProviderView>> {
        self.authorize(token, Command::ServicesProviders)?;
        let answer = self.services_call("GET", "/v1/services/providers", None)?;
        let list: ProvidersResponse = serde_json::from_value(answer)
            .map_err(|e| PosError::ServerUnreachable(format!("unexpected answer: {e}")))?;
        Ok(list
            .providers
            .into_iter()
            .map(|p| ServiceProviderView { account_id: p.account_id, name: p.name, followed: p.followed })
            .collect())
    }

    /// Follows a provider: the platform binds this till to its account; the till keeps it with
    /// the product its lines are booked under.
    pub fn services_follow(&self, token: &SessionToken, account_id: &str) -> Result<ServiceProviderView> {
        self.authorize(token, Command::ServicesFollow)?;
        let answer = self.services_call("POST", "/v1/services/follow", Some(&json!({"account_id": account_id})))?;
        let followed: FollowResponse = serde_json::from_value(answer)
            .map_err(|e| PosError::ServerUnreachable(format!("unexpected answer: {e}")))?;
        self.store().service_follow(&followed.account_id, &followed.name, self.currency(), self.now_ms())?;
        Ok(ServiceProviderView { account_id: followed.account_id, name: followed.name, followed: true })
    }

    /// Starts a conversation with a followed provider.
    pub fn services_start(&self, token: &SessionToken, account_id: &str) -> Result<ServiceConversationView> {
        let s = self.authorize(token, Command::ServicesStart)?;
        if !self.store().service_providers_followed()?.iter().any(|p| p.account_id == account_id) {
            return Err(PosError::InvalidInput(format!("this till does not follow {account_id}; follow it first")));
        }
        let conversation_id = format!("svc-{}", self.random_hex(16));
        let body = json!({"conversation_id": conversation_id, "account_id": account_id});
        let answer = self.services_call("POST", "/v1/services/conversations", Some(&body))?;
        let _: ConversationResponse = serde_json::from_value(answer)
            .map_err(|e| PosError::ServerUnreachable(format!("unexpected answer: {e}")))?;
        self.store().service_conversation_start(&conversation_id, account_id, s.user_id, self.now_ms())?;
        self.services_view(token, &conversation_id)
    }

    /// A conversation as it is.
    pub fn services_conversation(
        &self,
        token: &SessionToken,
        conversation_id: &str,
    ) -> Result<ServiceConversationView> {
        self.authorize(token, Command::ServicesConversation)?;
        self.services_view(token, conversation_id)
    }

    /// Sends a new round: kept first, then asked through the platform, then settled. A round
    /// with no answer comes back `failed` with its reason (the view, not an error), to retry.
    pub fn services_send(
        &self,
        token: &SessionToken,
        conversation_id: &str,
        text: &str,
    ) -> Result<ServiceConversationView> {
        self.authorize(token, Command::ServicesSend)?;
        let text = text.trim();
        if text.is_empty() || text.chars().count() > MAX_TEXT {
            return Err(PosError::InvalidInput(format!("the request is 1 to {MAX_TEXT} characters")));
        }
        let c = self.conversation(conversation_id)?;
        if c.status != "open" {
            return Err(PosError::Conflict("the provider finished this business; start a new conversation".into()));
        }
        if c.rounds.last().is_some_and(|r| r.status != "answered") {
            return Err(PosError::Conflict("the last request has no answer yet: retry it first".into()));
        }
        let key = self.random_hex(16);
        let round = self.store().service_round_begin(conversation_id, &key, text, self.now_ms())?;
        self.relay_round(conversation_id, &round)?;
        self.services_view(token, conversation_id)
    }

    /// Sends the last round again, as it was (same text, same key): after a failure, or when
    /// the till stopped while it was being sent.
    pub fn services_retry(&self, token: &SessionToken, conversation_id: &str) -> Result<ServiceConversationView> {
        self.authorize(token, Command::ServicesRetry)?;
        let c = self.conversation(conversation_id)?;
        let Some(round) = c.rounds.last().filter(|r| r.status != "answered") else {
            return Err(PosError::Conflict("there is no request to retry".into()));
        };
        self.store().service_round_retry(conversation_id, round.seq)?;
        self.relay_round(conversation_id, round)?;
        self.services_view(token, conversation_id)
    }

    /// Puts the amount the provider asked for into the cashier's cart, as one service line.
    pub fn services_add_to_sale(&self, token: &SessionToken, conversation_id: &str) -> Result<CartView> {
        let s = self.authorize(token, Command::ServicesAddToSale)?;
        let c = self.conversation(conversation_id)?;
        let Some(amount) = c.amount else {
            return Err(PosError::InvalidInput("the provider has not asked for an amount".into()));
        };
        if let Some(no) = &c.paid_order_no {
            return Err(PosError::Conflict(format!("this service was paid with sale {no}")));
        }
        if self.service_in_cart(token, conversation_id)? {
            return Err(PosError::Conflict("this service is already in the sale".into()));
        }
        if amount.currency() != self.currency() {
            return Err(PosError::InvalidInput(format!(
                "the provider asks for {}, this till sells in {}",
                amount.currency().code(),
                self.currency().code()
            )));
        }
        let product = self
            .store()
            .service_product(&c.account_id)?
            .ok_or_else(|| PosError::Internal(format!("no service product for {}", c.account_id)))?;
        let line = PricedLine {
            product,
            quantity: 1,
            unit_price: amount,
            origin: LineOrigin::Service { reference: conversation_id.to_string() },
        };
        self.cart_add_priced_lines(s.user_id, vec![line])
    }

    /// The conversations, newest first (the back office history).
    pub fn services_history(&self, token: &SessionToken) -> Result<Vec<ServiceConversationView>> {
        self.authorize(token, Command::ServicesHistory)?;
        Ok(self.store().service_conversations(HISTORY_LIMIT)?.iter().map(|c| conversation_view(c, false)).collect())
    }

    /// One call to the platform that is not a round: its JSON answer, or the platform's code
    /// and words as [`PosError::ServerRefused`] whatever the status (a provider's failure is a
    /// 502 with a code the cashier must see, not "unreachable").
    fn services_call(&self, method: &str, path: &str, body: Option<&serde_json::Value>) -> Result<serde_json::Value> {
        let a = self.server_call_answer(Service::Sales, method, path, body, None, ROUND_TIMEOUT)?;
        if (200..300).contains(&a.status) {
            return serde_json::from_str(&a.body)
                .map_err(|e| PosError::ServerUnreachable(format!("the server's answer is not JSON: {e}")));
        }
        match serde_json::from_str::<ErrorBody>(&a.body) {
            Ok(e) => Err(PosError::ServerRefused { code: e.code, message: e.message }),
            Err(_) => Err(PosError::ServerUnreachable(format!("HTTP {}", a.status))),
        }
    }

    fn conversation(&self, conversation_id: &str) -> Result<ServiceConversation> {
        self.store()
            .service_conversation(conversation_id)?
            .ok_or_else(|| PosError::InvalidInput(format!("no conversation {conversation_id}")))
    }

    fn services_view(&self, token: &SessionToken, conversation_id: &str) -> Result<ServiceConversationView> {
        let c = self.conversation(conversation_id)?;
        let in_cart = self.service_in_cart(token, conversation_id)?;
        Ok(conversation_view(&c, in_cart))
    }

    fn service_in_cart(&self, token: &SessionToken, conversation_id: &str) -> Result<bool> {
        let cart = self.cart_get(token)?;
        Ok(cart
            .lines
            .iter()
            .any(|l| l.origin.as_ref().is_some_and(|o| o.kind == "service" && o.reference == conversation_id)))
    }

    /// Asks the platform for `round`'s answer and settles it: answered, or failed with why.
    /// Only a failure to store is an error; a failure to get an answer is the round's.
    fn relay_round(&self, conversation_id: &str, round: &ServiceRound) -> Result<()> {
        let path = format!("/v1/services/conversations/{conversation_id}/messages");
        let body = json!({"text": round.request_text});
        let asked =
            self.server_call_answer(Service::Sales, "POST", &path, Some(&body), Some(&round.idem_key), ROUND_TIMEOUT);
        let outcome = match asked {
            Ok(a) if (200..300).contains(&a.status) => match serde_json::from_str::<RoundResponse>(&a.body) {
                Ok(r) => answered(r)?,
                Err(e) => RoundOutcome::Failed {
                    code: "server_unreachable".into(),
                    message: format!("the server's answer is not a round: {e}"),
                },
            },
            Ok(a) => match serde_json::from_str::<ErrorBody>(&a.body) {
                Ok(e) => RoundOutcome::Failed { code: e.code, message: e.message },
                Err(_) => {
                    RoundOutcome::Failed { code: "server_unreachable".into(), message: format!("HTTP {}", a.status) }
                }
            },
            Err(e) => failure(&e),
        };
        self.store().service_round_settle(conversation_id, round.seq, &outcome, self.now_ms())?;
        Ok(())
    }
}

/// The platform's error body.
#[derive(serde::Deserialize)]
struct ErrorBody {
    code: String,
    message: String,
}

/// A round's answer as kept; an amount in a currency the till does not know is no answer.
fn answered(r: RoundResponse) -> Result<RoundOutcome> {
    let amount = match r.amount {
        Some(a) => match Currency::parse(&a.currency) {
            Ok(c) if a.minor > 0 => Some(Money::new(a.minor, c)),
            _ => {
                return Ok(RoundOutcome::Failed {
                    code: "provider_answer_invalid".into(),
                    message: format!("the amount {} {} cannot be taken", a.minor, a.currency),
                })
            }
        },
        None => None,
    };
    Ok(RoundOutcome::Answered { text: r.text, amount, done: r.done })
}
