//! Refunds, serialised goods and loyalty points.

use super::{run, CmdResult};
use crate::TillState;
use tauri::State;
use till_core::{OrderId, SessionToken};
use till_pos::ipc::loyalty::CustomerView;
use till_pos::ipc::loyalty::{EnrolView, LoyaltySettings, PointsProblemView};
use till_pos::ipc::refund::{
    RefundDisagreementView, RefundInput, RefundLookup, RefundOrderView, RefundQuoteView, RefundReceipt,
    RefundToPayOutView, RemoteRefundInput, RemoteRefundRecordView, RemoteRefundView,
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

/// A refund by its printed number.
#[tauri::command]
pub async fn refund_by_number(
    till: State<'_, TillState>,
    token: SessionToken,
    refund_no: String,
) -> CmdResult<RefundReceipt> {
    run(&till, move |p| p.refund_by_number(&token, &refund_no)).await
}

/// Refunds the seller confirmed whose cash is still to be paid out.
#[tauri::command]
pub async fn refunds_to_pay_out(till: State<'_, TillState>, token: SessionToken) -> CmdResult<Vec<RefundToPayOutView>> {
    run(&till, move |p| p.refunds_to_pay_out(&token)).await
}

/// Pays out the cash of a refund the seller confirmed.
#[tauri::command]
pub async fn refund_pay_out(
    till: State<'_, TillState>,
    token: SessionToken,
    refund_id: i64,
) -> CmdResult<RefundReceipt> {
    run(&till, move |p| p.refund_pay_out(&token, refund_id)).await
}

/// Refunds of devices sold at other tills asked for here.
#[tauri::command]
pub async fn remote_refunds(till: State<'_, TillState>, token: SessionToken) -> CmdResult<Vec<RemoteRefundRecordView>> {
    run(&till, move |p| p.remote_refunds(&token)).await
}

/// Refund lines paid here that the server did not refund (managers).
#[tauri::command]
pub async fn refund_disagreements(
    till: State<'_, TillState>,
    token: SessionToken,
) -> CmdResult<Vec<RefundDisagreementView>> {
    run(&till, move |p| p.refund_disagreements(&token)).await
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
