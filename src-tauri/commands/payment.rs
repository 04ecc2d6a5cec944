//! Card payments, one step per command, and the payment platform key. Each command returns at
//! once; the reader waits on a thread of its own, and every change of step reaches the window
//! through the channel it gave `payment_start`.

use super::{channel_watch, run, CmdResult};
use crate::TillState;
use tauri::ipc::Channel;
use tauri::State;
use till_core::{CartId, PaymentId, SessionToken};
use till_pos::ipc::sale::PlatformKeyStatus;
use till_pos::ipc::sale::{CardPaymentView, CodePaymentView};
use till_pos::ipc::sale::{ForwardedDecline, PaymentSettings};
use till_pos::ipc::views::Receipt;

/// Arms the reader with the open cart's total and starts waiting for a swipe.
#[tauri::command]
pub async fn payment_start(
    till: State<'_, TillState>,
    token: SessionToken,
    cart_id: CartId,
    on_progress: Channel<CardPaymentView>,
) -> CmdResult<CardPaymentView> {
    run(&till, move |p| p.payment_start(&token, &cart_id, channel_watch(on_progress))).await
}

/// Cancels a card payment; the cart stays.
#[tauri::command]
pub async fn payment_cancel(
    till: State<'_, TillState>,
    token: SessionToken,
    payment_id: PaymentId,
) -> CmdResult<CardPaymentView> {
    run(&till, move |p| p.payment_cancel(&token, &payment_id)).await
}

/// A keyboard-wedge swipe typed into the scan input: starts a payment with the card read.
#[tauri::command]
pub async fn payment_swipe_text(
    till: State<'_, TillState>,
    token: SessionToken,
    cart_id: CartId,
    text: String,
    on_progress: Channel<CardPaymentView>,
) -> CmdResult<CardPaymentView> {
    run(&till, move |p| p.payment_swipe_text(&token, &cart_id, text, channel_watch(on_progress))).await
}

/// A customer's payment code for the open cart: charged, followed while the customer confirms
/// (each change on `on_progress`), and the sale recorded once paid.
#[tauri::command]
pub async fn payment_code_pay(
    till: State<'_, TillState>,
    token: SessionToken,
    cart_id: CartId,
    code: String,
    on_progress: Channel<CodePaymentView>,
) -> CmdResult<Receipt> {
    run(&till, move |p| p.payment_code_pay(&token, &cart_id, &code, channel_watch(on_progress))).await
}

/// Stops waiting for the customer to confirm a payment code: it is taken back.
#[tauri::command]
pub async fn payment_code_cancel(till: State<'_, TillState>, token: SessionToken, payment_id: String) -> CmdResult<()> {
    run(&till, move |p| p.payment_code_cancel(&token, &payment_id)).await
}

/// The customer's PIN, turned into a PIN block at once.
#[tauri::command]
pub async fn payment_pin(
    till: State<'_, TillState>,
    token: SessionToken,
    payment_id: PaymentId,
    pin: String,
) -> CmdResult<CardPaymentView> {
    run(&till, move |p| p.payment_pin(&token, &payment_id, pin)).await
}

/// The customer's signature as SVG; none: go on without a signature.
#[tauri::command]
pub async fn payment_sign(
    till: State<'_, TillState>,
    token: SessionToken,
    payment_id: PaymentId,
    svg: Option<String>,
) -> CmdResult<CardPaymentView> {
    run(&till, move |p| p.payment_sign(&token, &payment_id, svg)).await
}

/// Authorises the card and, when approved, records the sale.
#[tauri::command]
pub async fn payment_authorize(
    till: State<'_, TillState>,
    token: SessionToken,
    payment_id: PaymentId,
) -> CmdResult<Receipt> {
    run(&till, move |p| p.payment_authorize(&token, &payment_id)).await
}

/// Sets the payment platform key (installers).
#[tauri::command]
pub async fn platform_key_set(
    till: State<'_, TillState>,
    token: SessionToken,
    key_hex: String,
) -> CmdResult<PlatformKeyStatus> {
    run(&till, move |p| p.platform_key_set(&token, &key_hex)).await
}

/// Whether the payment platform key is set, and its fingerprint.
#[tauri::command]
pub async fn platform_key_status(till: State<'_, TillState>, token: SessionToken) -> CmdResult<PlatformKeyStatus> {
    run(&till, move |p| p.platform_key_status(&token)).await
}

/// The payment settings: authorisation timeout and offline approval limits (installers).
#[tauri::command]
pub async fn payment_settings_get(till: State<'_, TillState>, token: SessionToken) -> CmdResult<PaymentSettings> {
    run(&till, move |p| p.payment_settings_get(&token)).await
}

/// Sets the payment settings (installers); checked, audited.
#[tauri::command]
pub async fn payment_settings_set(
    till: State<'_, TillState>,
    token: SessionToken,
    settings: PaymentSettings,
) -> CmdResult<PaymentSettings> {
    run(&till, move |p| p.payment_settings_set(&token, settings)).await
}

/// Payments approved offline that the platform declined once forwarded (managers).
#[tauri::command]
pub async fn forwarded_declines_list(
    till: State<'_, TillState>,
    token: SessionToken,
) -> CmdResult<Vec<ForwardedDecline>> {
    run(&till, move |p| p.forwarded_declines_list(&token)).await
}
