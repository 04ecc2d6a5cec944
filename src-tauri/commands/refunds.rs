//! Refunds, serialised goods and loyalty points.

use super::{run, CmdResult};
use crate::TillState;
use tauri::State;
use till_core::{OrderId, SessionToken};
use till_pos::ipc::loyalty::CustomerView;
use till_pos::ipc::loyalty::{EnrolView, LoyaltySettings, PointsProblemView};
use till_pos::ipc::refund::{
    RefundInput, RefundLookup, RefundOrderView, RefundQuoteView, RefundReceipt, RemoteRefundInput, RemoteRefundView,
};
use till_pos::ipc::views::CartView;

/// Records the IMEI or serial number of a serialised line.
#[tauri::command]
pub async fn cart_set_device(
    till: State<'_, TillState>,
    token: SessionToken,
    line_no: u32,
    identifier: String,
) -> CmdResult<CartView> {
    run(&till, move |p| p.cart_set_device(&token, line_no, &identifier)).await
}

/// Finds the sale to refund.
#[tauri::command]
pub async fn refund_find(
    till: State<'_, TillState>,
    token: SessionToken,
    lookup: RefundLookup,
) -> CmdResult<RefundOrderView> {
    run(&till, move |p| p.refund_find(&token, lookup)).await
}

/// What a refund would pay back and whether it needs approval.
#[tauri::command]
pub async fn refund_quote(
    till: State<'_, TillState>,
    token: SessionToken,
    input: RefundInput,
) -> CmdResult<RefundQuoteView> {
    run(&till, move |p| p.refund_quote(&token, input)).await
}

/// Records a refund.
#[tauri::command]
pub async fn refund_record(
    till: State<'_, TillState>,
    token: SessionToken,
    input: RefundInput,
) -> CmdResult<RefundReceipt> {
    run(&till, move |p| p.refund_record(&token, input)).await
}

/// Asks the server to refund a device sold at another till.
#[tauri::command]
pub async fn refund_remote(
    till: State<'_, TillState>,
    token: SessionToken,
    input: RemoteRefundInput,
) -> CmdResult<RemoteRefundView> {
    run(&till, move |p| p.refund_remote(&token, input)).await
}

/// A refund's receipt after asking the server about the seller's decision.
#[tauri::command]
pub async fn refund_refresh(
    till: State<'_, TillState>,
    token: SessionToken,
    refund_id: i64,
) -> CmdResult<RefundReceipt> {
    run(&till, move |p| p.refund_refresh(&token, refund_id)).await
}

/// The refunds of an order.
#[tauri::command]
pub async fn refunds_of_order(
    till: State<'_, TillState>,
    token: SessionToken,
    order_id: OrderId,
) -> CmdResult<Vec<RefundReceipt>> {
    run(&till, move |p| p.refunds_of_order(&token, order_id)).await
}

/// Enrols a customer in points.
#[tauri::command]
pub async fn points_enrol(till: State<'_, TillState>, token: SessionToken) -> CmdResult<EnrolView> {
    run(&till, move |p| p.points_enrol(&token)).await
}

/// Redeems points against the open cart.
#[tauri::command]
pub async fn points_redeem(till: State<'_, TillState>, token: SessionToken, points: i64) -> CmdResult<CustomerView> {
    run(&till, move |p| p.points_redeem(&token, points)).await
}

/// Points changes the server rejected (managers).
#[tauri::command]
pub async fn points_problems(till: State<'_, TillState>, token: SessionToken) -> CmdResult<Vec<PointsProblemView>> {
    run(&till, move |p| p.points_problems(&token)).await
}

/// Points rules and refund policy.
#[tauri::command]
pub async fn loyalty_settings_get(till: State<'_, TillState>, token: SessionToken) -> CmdResult<LoyaltySettings> {
    run(&till, move |p| p.loyalty_settings_get(&token)).await
}

/// Changes the points rules and refund policy (managers).
#[tauri::command]
pub async fn loyalty_settings_set(
    till: State<'_, TillState>,
    token: SessionToken,
    settings: LoyaltySettings,
) -> CmdResult<LoyaltySettings> {
    run(&till, move |p| p.loyalty_settings_set(&token, settings)).await
}
