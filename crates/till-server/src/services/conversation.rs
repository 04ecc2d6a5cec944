//! What a till asks the platform: the providers, following one, a conversation, and its rounds.
//!
//! A round is stored before it is forwarded (`pending`), so nothing is lost whatever happens to
//! the call; its answer or its failure is stored after. The till's `Idempotency-Key` names the
//! round: the same key again returns the stored answer, or, for a failed round, forwards the
//! same round (same number, same text) again: the provider answers a repeated round as it did
//! the first time, so a retry never moves the business twice. A new round waits until the last
//! one has its answer.

use super::{check_id, relay, ServiceError};
use crate::error::ApiError;
use crate::repo::{ConversationRecord, ProviderRecord, RoundRecord, Tx};
use crate::state::{blocking, AppState, AuthedTerminal};
use std::time::Duration;
use till_api::services::{
    ConversationRequest, ConversationResponse, FollowRequest, FollowResponse, MessageRequest, ProviderInfo,
    ProvidersResponse, RelayAck, RelayAnswer, RelayFollow, RelayMessage, RoundResponse,
};
use till_api::Amount;

/// Conversation statuses.
pub const OPEN: &str = "open";
/// The provider said the business is done.
pub const DONE: &str = "done";
/// A sale paid it.
pub const PAID: &str = "paid";

/// Longest request text.
pub const MAX_TEXT: usize = 500;
/// Longest answer text accepted from a provider.
pub const MAX_ANSWER: usize = 1000;

fn timeout(app: &AppState) -> Duration {
    Duration::from_millis(app.config.services.provider_timeout_ms)
}

/// An enabled provider, or `provider_not_found`.
fn enabled_provider(tx: &mut dyn Tx, account_id: &str) -> Result<ProviderRecord, ApiError> {
    match tx.provider(account_id)? {
        Some(p) if !p.disabled => Ok(p),
        _ => Err(ServiceError::ProviderNotFound(account_id.to_string()).into()),
    }
}

/// The enabled providers, with whether the terminal follows each.
pub async fn list(app: &AppState, t: &AuthedTerminal) -> Result<ProvidersResponse, ApiError> {
    let repo = app.repo.clone();
    let terminal = t.id.clone();
    blocking(move || {
        let mut tx = repo.read()?;
        let mut providers = Vec::new();
        for p in tx.providers()?.into_iter().filter(|p| !p.disabled) {
            let followed = tx.follow(&terminal, &p.account_id)?.is_some();
            providers.push(ProviderInfo { account_id: p.account_id, name: p.name, followed });
        }
        Ok(ProvidersResponse { providers })
    })
    .await
}

/// Follows a provider: the provider is told (and binds the terminal to its account), then the
/// platform records it. Following again answers the first follow.
pub async fn follow(app: &AppState, t: &AuthedTerminal, req: FollowRequest) -> Result<FollowResponse, ApiError> {
    check_id("account_id", &req.account_id)?;
    let (repo, terminal, account) = (app.repo.clone(), t.id.clone(), req.account_id.clone());
    let (provider, since) = blocking(move || {
        let mut tx = repo.read()?;
        let p = enabled_provider(&mut *tx, &account)?;
        let since = tx.follow(&terminal, &account)?;
        Ok((p, since))
    })
    .await?;
    if let Some(followed_at) = since {
        return Ok(FollowResponse { account_id: provider.account_id, name: provider.name, followed_at });
    }
    let now = app.clock.now_unix();
    let body = RelayFollow { account_id: provider.account_id.clone(), terminal_id: t.id.clone() };
    let ack: RelayAck = relay::call(&provider, "follow", &body, now, &*app.entropy, timeout(app)).await?;
    if !ack.acknowledged {
        return Err(ServiceError::ProviderRefused { code: "not_acknowledged".into(), message: "follow".into() }.into());
    }
    let (repo, terminal, account) = (app.repo.clone(), t.id.clone(), provider.account_id.clone());
    let followed_at = blocking(move || {
        let mut tx = repo.begin()?;
        tx.insert_follow(&terminal, &account, now)?;
        let at = tx.follow(&terminal, &account)?.unwrap_or(now);
        tx.commit()?;
        Ok(at)
    })
    .await?;
    Ok(FollowResponse { account_id: provider.account_id, name: provider.name, followed_at })
}

fn conversation_response(c: &ConversationRecord, provider_name: &str) -> ConversationResponse {
    ConversationResponse {
        conversation_id: c.conversation_id.clone(),
        account_id: c.account_id.clone(),
        provider_name: provider_name.to_string(),
        status: c.status.clone(),
        created_at: c.created_at,
    }
}

/// Starts a conversation with a followed provider; the same id again (same terminal and
/// provider) answers the conversation as it is.
pub async fn start(
    app: &AppState,
    t: &AuthedTerminal,
    req: ConversationRequest,
) -> Result<ConversationResponse, ApiError> {
    check_id("conversation_id", &req.conversation_id)?;
    check_id("account_id", &req.account_id)?;
    let (repo, terminal, now) = (app.repo.clone(), t.id.clone(), app.clock.now_unix());
    blocking(move || {
        let mut tx = repo.begin()?;
        let provider = enabled_provider(&mut *tx, &req.account_id)?;
        if tx.follow(&terminal, &req.account_id)?.is_none() {
            return Err(ServiceError::NotFollowing(req.account_id.clone()).into());
        }
        if let Some(c) = tx.conversation(&req.conversation_id)? {
            if c.terminal_id != terminal || c.account_id != req.account_id {
                return Err(ServiceError::ConversationExists(req.conversation_id.clone()).into());
            }
            return Ok(conversation_response(&c, &provider.name));
        }
        let c = ConversationRecord {
            conversation_id: req.conversation_id.clone(),
            terminal_id: terminal,
            account_id: req.account_id.clone(),
            status: OPEN.into(),
            amount_minor: None,
            currency: None,
            created_at: now,
            paid_order_id: None,
            paid_line_code: None,
            paid_at: None,
            notify_state: None,
            notify_attempts: 0,
            notify_next_at: None,
            notified_at: None,
            notify_error: None,
        };
        tx.insert_conversation(&c)?;
        tx.commit()?;
        Ok(conversation_response(&c, &provider.name))
    })
    .await
}

/// What to do with a round, decided in the first transaction.
enum Next {
    /// Answered before: the stored answer.
    Replay(RoundResponse),
    /// Forward this round (new, or a retry of a failed one) to this provider.
    Forward(Box<(RoundRecord, ProviderRecord)>),
}

fn stored_answer(r: &RoundRecord) -> RoundResponse {
    RoundResponse {
        conversation_id: r.conversation_id.clone(),
        seq: r.seq,
        text: r.answer_text.clone().unwrap_or_default(),
        amount: r.amount_minor.zip(r.currency.as_deref()).map(|(m, c)| Amount::new(m, c)),
        done: r.done,
    }
}

/// One round: stored, forwarded, its answer (or failure) stored and returned.
pub async fn send_round(
    app: &AppState,
    t: &AuthedTerminal,
    conversation_id: String,
    key: String,
    req: MessageRequest,
) -> Result<RoundResponse, ApiError> {
    check_id("conversation_id", &conversation_id)?;
    crate::idempotency::validate_key(&key)?;
    let text = req.text.trim().to_string();
    crate::wire::check_text("text", &text, MAX_TEXT)?;
    let (repo, terminal, now) = (app.repo.clone(), t.id.clone(), app.clock.now_unix());
    // A pending round older than this was cut off (the platform stopped mid-call): re-send it.
    let stale_after = (app.config.services.provider_timeout_ms / 1000) as i64 * 2 + 5;
    let next = blocking(move || {
        let mut tx = repo.begin()?;
        let next = prepare(&mut *tx, &terminal, &conversation_id, &key, &text, now, stale_after)?;
        tx.commit()?;
        Ok(next)
    })
    .await?;
    let (round, provider) = match next {
        Next::Replay(answer) => return Ok(answer),
        Next::Forward(pair) => *pair,
    };
    let body = RelayMessage {
        account_id: provider.account_id.clone(),
        conversation_id: round.conversation_id.clone(),
        terminal_id: t.id.clone(),
        seq: round.seq,
        text: round.request_text.clone(),
    };
    let outcome = relay::call::<_, RelayAnswer>(&provider, "message", &body, now, &*app.entropy, timeout(app))
        .await
        .and_then(checked_answer);
    let repo = app.repo.clone();
    let done_at = app.clock.now_unix();
    blocking(move || {
        let mut tx = repo.begin()?;
        let result = settle(&mut *tx, round, outcome, done_at)?;
        tx.commit()?;
        result
    })
    .await
}

/// The first transaction of a round: find or store it, and decide.
fn prepare(
    tx: &mut dyn Tx,
    terminal: &str,
    conversation_id: &str,
    key: &str,
    text: &str,
    now: i64,
    stale_after: i64,
) -> Result<Next, ApiError> {
    let conversation = match tx.conversation(conversation_id)? {
        Some(c) if c.terminal_id == terminal => c,
        _ => return Err(ServiceError::ConversationNotFound(conversation_id.to_string()).into()),
    };
    let provider = enabled_provider(tx, &conversation.account_id)?;
    if let Some(mut r) = tx.round_by_key(conversation_id, key)? {
        if r.request_text != text {
            return Err(ApiError::IdempotencyConflict);
        }
        match r.status.as_str() {
            "answered" => return Ok(Next::Replay(stored_answer(&r))),
            "pending" if now.saturating_sub(r.created_at) < stale_after => {
                return Err(ServiceError::RoundInProgress(r.seq).into())
            }
            _ => {}
        }
        r.status = "pending".into();
        r.created_at = now;
        tx.update_round(&r)?;
        return Ok(Next::Forward(Box::new((r, provider))));
    }
    if conversation.status != OPEN {
        return Err(ServiceError::ConversationClosed(conversation.status).into());
    }
    let last = tx.last_round(conversation_id)?;
    if let Some(l) = last.as_ref().filter(|l| l.status != "answered") {
        return Err(ServiceError::RoundPending(l.seq).into());
    }
    let round = RoundRecord {
        conversation_id: conversation_id.to_string(),
        seq: last.map_or(1, |l| l.seq + 1),
        idem_key: key.to_string(),
        request_text: text.to_string(),
        status: "pending".into(),
        answer_text: None,
        amount_minor: None,
        currency: None,
        done: false,
        error_code: None,
        error_message: None,
        created_at: now,
        answered_at: None,
    };
    tx.insert_round(&round)?;
    Ok(Next::Forward(Box::new((round, provider))))
}

/// A signed answer must still be a usable one: text, and an amount above zero in a currency.
fn checked_answer(a: RelayAnswer) -> Result<RelayAnswer, ServiceError> {
    let invalid = |why: &str| ServiceError::ProviderAnswerInvalid(why.to_string());
    let len = a.text.trim().chars().count();
    if len == 0 || len > MAX_ANSWER {
        return Err(invalid(&format!("the text must be 1 to {MAX_ANSWER} characters")));
    }
    if let Some(amount) = &a.amount {
        if amount.minor <= 0 {
            return Err(invalid("the amount must be above zero"));
        }
        if till_core::Currency::parse(&amount.currency).is_err() {
            return Err(invalid(&format!("unknown currency {}", amount.currency)));
        }
    }
    Ok(a)
}

/// The second transaction: the round's answer or failure is stored; the conversation takes the
/// amount and the done flag. The failure is returned to the till after it is stored.
fn settle(
    tx: &mut dyn Tx,
    mut round: RoundRecord,
    outcome: Result<RelayAnswer, ServiceError>,
    now: i64,
) -> Result<Result<RoundResponse, ApiError>, ApiError> {
    round.answered_at = Some(now);
    match outcome {
        Ok(answer) => {
            round.status = "answered".into();
            round.answer_text = Some(answer.text.trim().to_string());
            round.amount_minor = answer.amount.as_ref().map(|a| a.minor);
            round.currency = answer.amount.as_ref().map(|a| a.currency.clone());
            round.done = answer.done;
            round.error_code = None;
            round.error_message = None;
            tx.update_round(&round)?;
            if let Some(mut c) = tx.conversation(&round.conversation_id)? {
                if let Some(a) = &answer.amount {
                    c.amount_minor = Some(a.minor);
                    c.currency = Some(a.currency.clone());
                }
                if answer.done && c.status == OPEN {
                    c.status = DONE.into();
                }
                tx.update_conversation(&c)?;
            }
            Ok(Ok(stored_answer(&round)))
        }
        Err(e) => {
            tracing::warn!(conversation = %round.conversation_id, seq = round.seq, error = %e, "a round failed");
            round.status = "failed".into();
            round.error_code = Some(e.code().to_string());
            round.error_message = Some(e.to_string());
            tx.update_round(&round)?;
            Ok(Err(e.into()))
        }
    }
}
