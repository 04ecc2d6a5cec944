//! The service relay: providers, conversations with them, their amounts into the sale.

use super::{run, CmdResult};
use crate::TillState;
use tauri::State;
use till_core::SessionToken;
use till_pos::ipc::services::{ServiceConversationView, ServiceProviderView};
use till_pos::ipc::views::CartView;

/// The providers on the platform.
#[tauri::command]
pub async fn services_providers(
    till: State<'_, TillState>,
    token: SessionToken,
) -> CmdResult<Vec<ServiceProviderView>> {
    run(&till, move |p| p.services_providers(&token)).await
}

/// Follows a provider.
#[tauri::command]
pub async fn services_follow(
    till: State<'_, TillState>,
    token: SessionToken,
    account_id: String,
) -> CmdResult<ServiceProviderView> {
    run(&till, move |p| p.services_follow(&token, &account_id)).await
}

/// Starts a conversation with a followed provider.
#[tauri::command]
pub async fn services_start(
    till: State<'_, TillState>,
    token: SessionToken,
    account_id: String,
) -> CmdResult<ServiceConversationView> {
    run(&till, move |p| p.services_start(&token, &account_id)).await
}

/// A conversation as it is.
#[tauri::command]
pub async fn services_conversation(
    till: State<'_, TillState>,
    token: SessionToken,
    conversation_id: String,
) -> CmdResult<ServiceConversationView> {
    run(&till, move |p| p.services_conversation(&token, &conversation_id)).await
}

/// Sends a new round.
#[tauri::command]
pub async fn services_send(
    till: State<'_, TillState>,
    token: SessionToken,
    conversation_id: String,
    text: String,
) -> CmdResult<ServiceConversationView> {
    run(&till, move |p| p.services_send(&token, &conversation_id, &text)).await
}

/// Sends the last round again, as it was.
#[tauri::command]
pub async fn services_retry(
    till: State<'_, TillState>,
    token: SessionToken,
    conversation_id: String,
) -> CmdResult<ServiceConversationView> {
    run(&till, move |p| p.services_retry(&token, &conversation_id)).await
}

/// Puts the provider's amount into the sale.
#[tauri::command]
pub async fn services_add_to_sale(
    till: State<'_, TillState>,
    token: SessionToken,
    conversation_id: String,
) -> CmdResult<CartView> {
    run(&till, move |p| p.services_add_to_sale(&token, &conversation_id)).await
}

/// The conversations, newest first.
#[tauri::command]
pub async fn services_history(
    till: State<'_, TillState>,
    token: SessionToken,
) -> CmdResult<Vec<ServiceConversationView>> {
    run(&till, move |p| p.services_history(&token)).await
}
