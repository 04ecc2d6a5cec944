//! Taking payment and receipts. A command returns only after the sale's commit has.

use super::{run, CmdResult};
use std::sync::Arc;
use tauri::State;
use till_pos::views::Receipt;
use till_pos::Pos;

/// Pays the open cart `cart_id` in cash.
#[tauri::command]
pub async fn checkout_cash(
    pos: State<'_, Arc<Pos>>,
    token: String,
    cart_id: String,
    tendered_minor: i64,
) -> CmdResult<Receipt> {
    run(&pos, move |p| p.checkout_cash(&token, &cart_id, tendered_minor)).await
}

/// Pays the open cart `cart_id` by card through the configured reader.
#[tauri::command]
pub async fn checkout_card(pos: State<'_, Arc<Pos>>, token: String, cart_id: String) -> CmdResult<Receipt> {
    run(&pos, move |p| p.checkout_card(&token, &cart_id)).await
}

/// The receipt of a recorded order.
#[tauri::command]
pub async fn receipt_get(pos: State<'_, Arc<Pos>>, token: String, order_id: i64) -> CmdResult<Receipt> {
    run(&pos, move |p| p.receipt(&token, order_id)).await
}
