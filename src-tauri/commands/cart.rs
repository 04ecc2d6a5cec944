//! Ringing up: catalogue search and the cart.

use super::{run, CmdResult};
use crate::TillState;
use tauri::State;
use till_core::SessionToken;
use till_pos::ipc::views::{CartView, ProductView};

/// Search-as-you-type.
#[tauri::command]
pub async fn catalogue_search(
    till: State<'_, TillState>,
    token: SessionToken,
    query: String,
    limit: u32,
) -> CmdResult<Vec<ProductView>> {
    run(&till, move |p| p.catalogue_search(&token, &query, limit)).await
}

/// The open cart.
#[tauri::command]
pub async fn cart_get(till: State<'_, TillState>, token: SessionToken) -> CmdResult<CartView> {
    run(&till, move |p| p.cart_get(&token)).await
}

/// Adds the product with this barcode or SKU.
#[tauri::command]
pub async fn cart_scan(till: State<'_, TillState>, token: SessionToken, code: String) -> CmdResult<CartView> {
    run(&till, move |p| p.cart_scan(&token, &code)).await
}

/// Adds a product by id.
#[tauri::command]
pub async fn cart_add(
    till: State<'_, TillState>,
    token: SessionToken,
    product_id: i64,
    quantity: i64,
) -> CmdResult<CartView> {
    run(&till, move |p| p.cart_add(&token, product_id, quantity)).await
}

/// Sets a line's quantity.
#[tauri::command]
pub async fn cart_set_quantity(
    till: State<'_, TillState>,
    token: SessionToken,
    line_no: u32,
    quantity: i64,
) -> CmdResult<CartView> {
    run(&till, move |p| p.cart_set_quantity(&token, line_no, quantity)).await
}

/// Removes a line.
#[tauri::command]
pub async fn cart_remove(till: State<'_, TillState>, token: SessionToken, line_no: u32) -> CmdResult<CartView> {
    run(&till, move |p| p.cart_remove(&token, line_no)).await
}

/// Empties the cart.
#[tauri::command]
pub async fn cart_clear(till: State<'_, TillState>, token: SessionToken) -> CmdResult<CartView> {
    run(&till, move |p| p.cart_clear(&token)).await
}
