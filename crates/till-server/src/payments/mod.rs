//! The sandbox payment platform: `POST /v1/payments/authorize` and
//! `POST /v1/payments/{payment_id}/reversal` ([`reversal`]).
//!
//! A SANDBOX, not a bank: it decrypts the card block with keys from its configuration, checks
//! Luhn, expiry, an amount limit, a table of test cards and their PIN rules, and approves with a
//! random six-digit auth code or declines with a reason code. No money moves. Only the masked
//! card number and the outcome are stored.

pub mod card;
pub mod code;
pub mod dukpt;
pub mod reader_counter;
pub mod reversal;

use crate::error::ApiError;
use crate::idempotency::Reply;
use crate::repo::{AuthorizationRecord, ReaderCounter, Tx, AUTH_APPROVED, AUTH_DECLINED};
use crate::state::Ctx;
use crate::wire::{check_text, AmountCheck};
use card::{CardScheme, ClearCard, PinKey};
use till_core::{CardBrand, MaskedPan};

// The request and answer bodies are till-api's, shared with the till.
pub use till_api::payments::{AuthorizationStatus, AuthorizeRequest, AuthorizeResponse};

/// Checks the request's fields (before the idempotency key is claimed).
pub fn validate(req: &AuthorizeRequest) -> Result<(), ApiError> {
    // The contract's form of a payment id (1 to 64 characters, no control characters), with
    // check_text's message so clients see no change.
    till_core::PaymentId::parse(&req.payment_id).map_err(|_| {
        ApiError::InvalidRequest("payment_id must be 1 to 64 characters without control characters".into())
    })?;
    check_text("order_id", &req.order_id, 64)?;
    req.amount.to_positive_money()?;
    if let Some(m) = &req.card.masked_pan {
        if !crate::wire::is_masked_pan(m) {
            return Err(ApiError::PanNotMasked);
        }
    }
    if req.pin_block.is_some() && req.card.scheme == CardScheme::AesDukpt {
        return Err(ApiError::InvalidCardBlock("a PIN block goes only with platform_gcm or tdes_dukpt blocks".into()));
    }
    Ok(())
}

/// What the sandbox decides for a card it could read.
fn decide(card: &ClearCard, pin: Option<&str>, amount_minor: i64, ctx: &Ctx) -> Result<(), &'static str> {
    let cfg = &ctx.config.sandbox;
    if !till_core::luhn::is_valid(&card.pan) {
        return Err("invalid_card_number");
    }
    let (year, month) = crate::clock::year_month(ctx.now);
    if card::expired(&card.expiry, year, month) {
        return Err("expired_card");
    }
    if amount_minor > cfg.amount_limit_minor {
        return Err("amount_limit");
    }
    match cfg.test_cards.iter().find(|t| t.pan == card.pan) {
        Some(test) => {
            if let Some(want) = &test.pin {
                match pin {
                    None => return Err("pin_required"),
                    Some(p) if p != want => return Err("incorrect_pin"),
                    Some(_) => {}
                }
            }
            match test.outcome.as_str() {
                "approve" => Ok(()),
                // Scripted codes come from the operator's config; map unknown ones to a fixed code
                // so the answer only ever carries the documented vocabulary plus config values.
                "insufficient_funds" => Err("insufficient_funds"),
                "processing_error" => Err("processing_error"),
                "do_not_honour" => Err("do_not_honour"),
                "lost_or_stolen" => Err("lost_or_stolen"),
                _ => Err("do_not_honour"),
            }
        }
        None if cfg.approve_unknown_cards => Ok(()),
        None => Err("do_not_honour"),
    }
}

/// Authorises inside `tx`: decrypt, decide, store the masked outcome.
pub fn authorize(tx: &mut dyn Tx, ctx: &Ctx, req: &AuthorizeRequest) -> Result<Reply, ApiError> {
    let amount = req.amount.to_positive_money()?;
    if tx.authorization_exists(&ctx.terminal_id, &req.payment_id)? {
        return Err(ApiError::PaymentExists(req.payment_id.clone()));
    }
    // A till that lost the answer reverses the payment id; if that reversal arrived first, this
    // late authorisation must not take money the till will never record.
    reversal::refuse_if_reversed(tx, ctx, &req.payment_id)?;
    let card = card::decrypt(&req.card, &req.payment_id, &ctx.config.sandbox)?;
    // Only a block that decrypted to a card track moves its reader's counter, so nobody can
    // burn a reader's counters with made-up blocks. Idempotent retries never get here: their
    // stored answer was replayed before.
    if let Some(ksn) = reader_counter::ksn_use(&req.card)? {
        let taken = ReaderCounter {
            reader_id: ksn.reader,
            counter: ksn.counter,
            terminal_id: ctx.terminal_id.clone(),
            payment_id: req.payment_id.clone(),
            at: ctx.now,
        };
        if let Some(last) = tx.advance_reader_counter(&taken)? {
            return Err(ApiError::ReplayedCardBlock { counter: ksn.counter, last });
        }
    }
    // An undecodable PIN block is a wrong PIN, as a real host answers.
    let pin = match (&req.pin_block, &card.pin_key) {
        (Some(block_hex), Some(PinKey::Tdes(pin_key))) => {
            let block: [u8; 8] = hex::decode(block_hex)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| ApiError::InvalidCardBlock("a TDES pin_block is 8 bytes of hex".into()))?;
            Some(card::iso0_pin(dukpt::tdes_decrypt_block(pin_key, block), &card.pan).unwrap_or_default())
        }
        (Some(block_hex), Some(PinKey::Aes(pin_key))) => {
            let block: [u8; 16] = hex::decode(block_hex)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| ApiError::InvalidCardBlock("a format 4 pin_block is 16 bytes of hex".into()))?;
            Some(card::iso4_pin(pin_key, block, &card.pan).unwrap_or_default())
        }
        _ => None,
    };
    let masked = MaskedPan::from_pan(&card.pan)
        .map_err(|_| ApiError::InvalidCardBlock("the card number is not 12 to 19 digits".into()))?;
    let brand = CardBrand::from_bin(&card.pan);
    let decision = decide(&card, pin.as_deref(), amount.minor(), ctx);
    drop(card);
    let auth_code = match decision {
        Ok(()) => {
            let mut b = [0u8; 4];
            ctx.entropy.fill(&mut b);
            Some(format!("{:06}", u32::from_be_bytes(b) % 1_000_000))
        }
        Err(_) => None,
    };
    tx.insert_authorization(&AuthorizationRecord {
        terminal_id: ctx.terminal_id.clone(),
        payment_id: req.payment_id.clone(),
        order_id: req.order_id.clone(),
        amount_minor: amount.minor(),
        currency: amount.currency().code().to_string(),
        masked_pan: masked.as_str().to_string(),
        approved: decision.is_ok(),
        status: if decision.is_ok() { AUTH_APPROVED } else { AUTH_DECLINED }.to_string(),
        auth_code: auth_code.clone(),
        reason_code: decision.err().map(str::to_string),
        created_at: ctx.now,
    })?;
    Reply::json(
        200,
        &AuthorizeResponse {
            payment_id: req.payment_id.clone(),
            status: if decision.is_ok() { AuthorizationStatus::Approved } else { AuthorizationStatus::Declined },
            auth_code,
            reason_code: decision.err().map(str::to_string),
            masked_pan: masked.as_str().to_string(),
            brand: format!("{brand:?}").to_lowercase(),
            amount: amount.into(),
            sandbox: true,
        },
    )
}
