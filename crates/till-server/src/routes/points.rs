//! Points (CN101986339A): enrolment, updates with a loyalty token, reversals for refunds, and
//! account lookups.
//!
//! A reversal takes back points of an order that is refunded: the points the order earned
//! (`reverse_earn`) or the points it redeemed (`return_redeem`). It needs no loyalty token (the
//! customer's phone may be long gone), because it is bounded by a change a token authorised: this
//! terminal's `earn` (or `redeem`) entries on the account for that order, less the reversals of
//! that kind already made for the order, whatever their refund.

use crate::error::ApiError;
use crate::idempotency::Reply;
use crate::points::{enrolment_message, LoyaltyToken, Token};
use crate::repo::{PointsAccount, PointsEntry, Tx};
use crate::scope::Scope;
use crate::state::Ctx;
use crate::wire::check_text;

/// Largest single change, so no sum of a few changes can overflow.
pub const MAX_POINTS_PER_UPDATE: i64 = 1_000_000_000;

// The request and answer bodies are till-api's, shared with the till.
pub use till_api::points::{
    AccountDetail, AccountSummary, EnrolRequest, EnrolResponse, HistoryEntry, PointsKind, PointsReversalRequest,
    PointsUpdateRequest, ReversalKind,
};

/// The summary of an account under the configured levels.
pub fn summary(ctx: &Ctx, a: &PointsAccount) -> AccountSummary {
    let level = ctx.config.level_of(a.balance).to_string();
    AccountSummary {
        account_id: a.account_id.clone(),
        balance: a.balance,
        promotions: ctx.config.promotions_for(&level),
        level,
        last_counter: a.last_counter,
    }
}

/// Checks an enrolment.
pub fn validate_enrol(req: &EnrolRequest) -> Result<(), ApiError> {
    match &req.customer_ref {
        Some(c) => check_text("customer_ref", c, 64),
        None => Ok(()),
    }
}

/// Checks an update before storage is touched.
pub fn validate_update(req: &PointsUpdateRequest) -> Result<(), ApiError> {
    check_text("order_id", &req.order_id, 64)?;
    if !(1..=MAX_POINTS_PER_UPDATE).contains(&req.points) {
        return Err(ApiError::InvalidAmount(format!("points must be 1 to {MAX_POINTS_PER_UPDATE}")));
    }
    let bytes = hex::decode(&req.token).map_err(|_| ApiError::InvalidToken)?;
    Token::parse(&bytes)?;
    if let Some(again) = &req.identified_again {
        LoyaltyToken::parse(&hex::decode(again).map_err(|_| ApiError::InvalidToken)?)?;
    }
    Ok(())
}

/// Creates an account with a fresh key.
pub fn enrol(tx: &mut dyn Tx, ctx: &Ctx, req: &EnrolRequest) -> Result<Reply, ApiError> {
    let mut id = [0u8; 16];
    let mut key = [0u8; 32];
    ctx.entropy.fill(&mut id);
    ctx.entropy.fill(&mut key);
    let account = PointsAccount {
        account_id: hex::encode(id),
        key_hex: hex::encode(key),
        last_counter: 0,
        balance: 0,
        customer_ref: req.customer_ref.clone(),
        created_at: ctx.now,
    };
    tx.insert_points_account(&account)?;
    // The account is the merchant's: another merchant's tills do not find it.
    Scope::of_terminal(tx, &ctx.terminal_id)?.enrolled(tx, &account.account_id)?;
    Reply::json(
        201,
        &EnrolResponse {
            account_id: account.account_id.clone(),
            enrolment_message: enrolment_message(&account.account_id, &key, &ctx.config.server_id),
            account: summary(ctx, &account),
        },
    )
}

/// Whether `token` allows the change `req` asks for. Earning takes an identify token (version
/// 1); redeeming takes only a redemption token (version 2) for exactly these points and for the
/// sale this terminal recorded under `req.order_id`, whose checkout key it must name. The
/// sale is always sent before its points changes (the till's outbox keeps their order), so a
/// redemption for a sale the server does not hold is refused, not waited for.
fn check_covers(tx: &mut dyn Tx, ctx: &Ctx, token: &Token, req: &PointsUpdateRequest) -> Result<(), ApiError> {
    let not = |why: String| Err(ApiError::TokenDoesNotCover(why));
    match (req.kind, token) {
        (PointsKind::Earn, Token::Identify(_)) => Ok(()),
        (PointsKind::Earn, Token::Redeem(_)) => not("a redemption token cannot earn points".into()),
        (PointsKind::Redeem, Token::Identify(_)) => not(
            "an identify token (version 1) cannot redeem; the customer approves each redemption on their phone (version 2)"
                .into(),
        ),
        (PointsKind::Redeem, Token::Redeem(t)) => {
            if i64::from(t.redemption.points) != req.points {
                return not(format!(
                    "the token allows {} points, the redemption asks for {}",
                    t.redemption.points, req.points
                ));
            }
            let sale = tx.order(ctx.terminal_id.as_str(), &req.order_id)?;
            let Some(sale) = sale else {
                return not(format!("this terminal sent no sale {} to redeem against", req.order_id));
            };
            if sale.checkout_key.as_deref() != Some(t.redemption.checkout_key().as_str()) {
                return not(format!("the token names another order than sale {}", req.order_id));
            }
            Ok(())
        }
    }
}

/// An earn sent again after the customer was identified anew (`identified_again`): the
/// sale's own identify token expired before the till could send it (a long time offline). The
/// token stays the one read for that sale, so each sale still earns under its own token and
/// counter, once; the new identification only stands in for the window: it must be a valid
/// identify token of the same customer, made after the sale's and within the window now. The
/// sale's token is taken past its window only if its counter was never used (the customer may
/// have used newer tokens meanwhile, so it may lie below the last counter). Returns the
/// account's last counter afterwards.
fn check_late_earn(
    tx: &mut dyn Tx,
    account_id: &str,
    key: &[u8],
    token: &Token,
    again: &str,
    last: u32,
    now: i64,
) -> Result<u32, ApiError> {
    let not = |why: &str| Err(ApiError::TokenDoesNotCover(why.into()));
    // check_covers let an identify token through for an earn only.
    let Token::Identify(sale) = token else {
        return not("only an earn is sent again after a new identification");
    };
    let again = LoyaltyToken::parse(&hex::decode(again).map_err(|_| ApiError::InvalidToken)?)?;
    if again.account_id != sale.account_id {
        return not("the new identification is another customer's");
    }
    again.verify_identified_now(key, now)?;
    if again.counter <= sale.counter {
        return not("the new identification must come after the sale's token");
    }
    if tx.points_token_used(account_id, i64::from(sale.counter))? {
        return Err(ApiError::TokenReplayed { counter: sale.counter, last });
    }
    Ok(last.max(sale.counter))
}

/// Verifies the token, checks that it covers the change, and applies it.
pub fn update(tx: &mut dyn Tx, ctx: &Ctx, req: &PointsUpdateRequest) -> Result<Reply, ApiError> {
    let bytes = hex::decode(&req.token).map_err(|_| ApiError::InvalidToken)?;
    let token = Token::parse(&bytes)?;
    let account_id = hex::encode(token.account_id());
    // An unknown account, or another merchant's, is reported like a bad MAC: the answer must not
    // reveal which ids exist.
    let scope = Scope::of_terminal(tx, &ctx.terminal_id)?;
    let account = scope.points_account(tx, &account_id)?.ok_or(ApiError::InvalidToken)?;
    let key = hex::decode(&account.key_hex).map_err(|_| ApiError::Internal("stored key is not hex".into()))?;
    let last =
        u32::try_from(account.last_counter).map_err(|_| ApiError::Internal("stored counter out of range".into()))?;
    token.verify_mac(&key)?;
    check_covers(tx, ctx, &token, req)?;
    let last_after = match &req.identified_again {
        None => {
            token.check_fresh(last, ctx.now)?;
            token.counter()
        }
        Some(again) => check_late_earn(tx, &account_id, &key, &token, again, last, ctx.now)?,
    };
    let delta = match req.kind {
        PointsKind::Earn => req.points,
        PointsKind::Redeem => -req.points,
    };
    let balance = account.balance.checked_add(delta).ok_or(ApiError::AmountOverflow)?;
    if balance < 0 {
        return Err(ApiError::InsufficientPoints { balance: account.balance, asked: req.points });
    }
    let counter = i64::from(token.counter());
    tx.update_points_account(&account_id, i64::from(last_after), balance)?;
    tx.insert_points_entry(&PointsEntry {
        account_id: account_id.clone(),
        counter,
        terminal_id: ctx.terminal_id.clone(),
        order_id: req.order_id.clone(),
        kind: match req.kind {
            PointsKind::Earn => "earn",
            PointsKind::Redeem => "redeem",
        }
        .to_string(),
        delta,
        balance_after: balance,
        at: ctx.now,
        refund_id: None,
    })?;
    let updated = PointsAccount { last_counter: i64::from(last_after), balance, ..account };
    Reply::json(200, &summary(ctx, &updated))
}

/// Checks a reversal before storage is touched.
pub fn validate_reversal(req: &PointsReversalRequest) -> Result<(), ApiError> {
    check_text("refund_id", &req.refund_id, 64)?;
    check_text("order_id", &req.order_id, 64)?;
    if req.account_id.len() != 32 || !req.account_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ApiError::InvalidRequest("account_id is 32 hex digits".into()));
    }
    if !(1..=MAX_POINTS_PER_UPDATE).contains(&req.points) {
        return Err(ApiError::InvalidAmount(format!("points must be 1 to {MAX_POINTS_PER_UPDATE}")));
    }
    Ok(())
}

/// Applies a reversal within what the order's original change leaves to reverse.
pub fn reverse(tx: &mut dyn Tx, ctx: &Ctx, req: &PointsReversalRequest) -> Result<Reply, ApiError> {
    let account_id = req.account_id.to_ascii_lowercase();
    let scope = Scope::of_terminal(tx, &ctx.terminal_id)?;
    let account = scope.points_account(tx, &account_id)?.ok_or(ApiError::NotFound("points account"))?;
    let kind = req.kind.name();
    // A second reversal for the same refund under another key would be within the bound and
    // still take the points twice.
    if tx.points_reversal_exists(&account_id, &req.refund_id, kind)? {
        return Err(ApiError::ReversalExists(req.refund_id.clone()));
    }
    let terminal = ctx.terminal_id.as_str();
    // Earns are stored positive and redeems negative, reversals the other way round: compare
    // magnitudes. Every stored delta is at most MAX_POINTS_PER_UPDATE, so no sum overflows.
    let original = tx.points_order_sum(&account_id, terminal, &req.order_id, req.kind.original())?.saturating_abs();
    if original == 0 {
        return Err(ApiError::NoPointsToReverse { original: req.kind.original(), order_id: req.order_id.clone() });
    }
    let reversed = tx.points_order_sum(&account_id, terminal, &req.order_id, kind)?.saturating_abs();
    let left = original.saturating_sub(reversed).max(0);
    if req.points > left {
        return Err(ApiError::ReversalExceedsOriginal { asked: req.points, left });
    }
    let delta = match req.kind {
        ReversalKind::ReverseEarn => -req.points,
        ReversalKind::ReturnRedeem => req.points,
    };
    let balance = account.balance.checked_add(delta).ok_or(ApiError::AmountOverflow)?;
    if balance < 0 {
        // The earned points were spent meanwhile: the till settles the rest some other way.
        return Err(ApiError::InsufficientPoints { balance: account.balance, asked: req.points });
    }
    // The counter is the token counter's: a reversal uses no token and leaves it where it is.
    tx.update_points_account(&account_id, account.last_counter, balance)?;
    tx.insert_points_entry(&PointsEntry {
        account_id: account_id.clone(),
        counter: account.last_counter,
        terminal_id: ctx.terminal_id.clone(),
        order_id: req.order_id.clone(),
        kind: kind.to_string(),
        delta,
        balance_after: balance,
        at: ctx.now,
        refund_id: Some(req.refund_id.clone()),
    })?;
    let updated = PointsAccount { balance, ..account };
    Reply::json(200, &summary(ctx, &updated))
}
