//! Taking cash and receipts. A command returns only after the sale's commit has. Card
//! payments are in `payment.rs`.

use super::{run, CmdResult};
use crate::TillState;
use tauri::State;
use till_core::{CartId, OrderId, SessionToken};
use till_pos::ipc::views::Receipt;

/// Pays the open cart `cart_id` in cash.
#[tauri::command]
pub async fn checkout_cash(
    till: State<'_, TillState>,
    token: SessionToken,
    cart_id: CartId,
    tendered_minor: i64,
) -> CmdResult<Receipt> {
    run(&till, move |p| p.checkout_cash(&token, &cart_id, tendered_minor)).await
}

/// The receipt of a recorded order.
#[tauri::command]
pub async fn receipt_get(till: State<'_, TillState>, token: SessionToken, order_id: OrderId) -> CmdResult<Receipt> {
    run(&till, move |p| p.receipt(&token, order_id)).await
}
