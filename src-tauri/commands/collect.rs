//! Orders pending collection: the header's count (pushed), the list, one order, collecting it
//! with the pickup code, and letting it go.

use super::{channel_watch, run, CmdResult};
use crate::TillState;
use tauri::ipc::Channel;
use tauri::State;
use till_core::SessionToken;
use till_pos::ipc::collect::{CollectedOrder, PendingOrderView, PendingOrdersCount, ReleasedOrder};

/// The count of orders to collect: sent at once and on every change through `on_change`.
#[tauri::command]
pub async fn pending_orders_watch(
    till: State<'_, TillState>,
    token: SessionToken,
    on_change: Channel<PendingOrdersCount>,
) -> CmdResult<u64> {
    run(&till, move |p| p.pending_orders_watch(&token, channel_watch(on_change))).await
}

/// Stops sending the count to a channel.
#[tauri::command]
pub async fn pending_orders_unwatch(till: State<'_, TillState>, id: u64) -> CmdResult<()> {
    run(&till, move |p| {
        p.pending_orders_unwatch(id);
        Ok(())
    })
    .await
}

/// The orders still to collect, as last pulled.
#[tauri::command]
pub async fn pending_orders_list(till: State<'_, TillState>, token: SessionToken) -> CmdResult<Vec<PendingOrderView>> {
    run(&till, move |p| p.pending_orders_list(&token)).await
}

/// Asks the server now, then lists.
#[tauri::command]
pub async fn pending_orders_refresh(
    till: State<'_, TillState>,
    token: SessionToken,
) -> CmdResult<Vec<PendingOrderView>> {
    run(&till, move |p| p.pending_orders_refresh(&token)).await
}

/// One order.
#[tauri::command]
pub async fn pending_order_get(
    till: State<'_, TillState>,
    token: SessionToken,
    order_id: String,
) -> CmdResult<PendingOrderView> {
    run(&till, move |p| p.pending_order_get(&token, &order_id)).await
}

/// Checks the pickup code by reserving the order at the server, then puts it into the cart.
#[tauri::command]
pub async fn pending_order_collect(
    till: State<'_, TillState>,
    token: SessionToken,
    order_id: String,
    pickup_code: String,
) -> CmdResult<CollectedOrder> {
    run(&till, move |p| p.pending_order_collect(&token, &order_id, &pickup_code)).await
}

/// Takes the order's lines out of the cart and lets the order go.
#[tauri::command]
pub async fn pending_order_release(
    till: State<'_, TillState>,
    token: SessionToken,
    order_id: String,
) -> CmdResult<ReleasedOrder> {
    run(&till, move |p| p.pending_order_release(&token, &order_id)).await
}
