//! The customer window: a second window, facing the customer, that follows the sale (the lines
//! as scanned, the total, the amount to pay, "enter your PIN", the enrolment QR code, thank you).
//!
//! It is opened when the till's settings say so (`display.customer_window` = `on`) or
//! `TILL_CUSTOMER_DISPLAY=1` asks for it (demo, `make run`). On a second monitor it fills that
//! monitor without decorations; with one monitor it is an ordinary window.
//!
//! It calls nothing. The till pushes its state into it: a listener of the customer display
//! ([`till_pos::Pos::customer_display_watch`]) evaluates `window.__tillCustomer(<view>)` in the
//! window with the view as JSON. Its capability (`capabilities/customer-display.json`, for the
//! window labelled [`LABEL`]) grants no command and no event, so a page in that window that went
//! wrong can ask the till for nothing; `capabilities/main-window.json` names the `main` window
//! only (tests/customer_window.rs).

use std::sync::Arc;
use tauri::webview::PageLoadEvent;
use tauri::{Manager, Runtime, WebviewUrl, WebviewWindow, WebviewWindowBuilder};
use till_pos::ipc::display::CustomerDisplayView;
use till_pos::Pos;

/// The window's label: the capability names it.
pub const LABEL: &str = "customer";
/// The page it loads: the same UI, whose entry point mounts the customer screen for this hash.
pub const PAGE: &str = "index.html#customer";

/// Whether the customer window is asked for: `TILL_CUSTOMER_DISPLAY` set to 1/true/yes/on, or
/// the till's setting.
pub fn requested(env: Option<&str>, setting: bool) -> bool {
    setting || matches!(env.map(|v| v.trim().to_ascii_lowercase()).as_deref(), Some("1" | "true" | "yes" | "on"))
}

/// The script that hands `view` to the window's screen. The JSON is embedded as a JavaScript
/// expression: `<`, `>`, `&` and the two line separators JavaScript once refused in strings
/// are written as `\u` escapes (they can only occur inside JSON strings, where the escape
/// means the same character), so no text of a product name can end the expression or the
/// script. Before the screen has loaded, the view is kept in `window.__tillCustomerLast` for
/// it to pick up.
pub fn script(view: &CustomerDisplayView) -> String {
    let json = serde_json::to_string(view).unwrap_or_else(|_| "null".into());
    let mut safe = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            '\u{2028}' => safe.push_str("\\u2028"),
            '\u{2029}' => safe.push_str("\\u2029"),
            c => safe.push(c),
        }
    }
    format!("(window.__tillCustomer||function(v){{window.__tillCustomerLast=v;}})({safe});")
}

/// Opens the customer window and makes it follow the till's customer display. On a second
/// monitor (one that is not the primary) it fills it, undecorated; otherwise it is an ordinary
/// window beside the till's.
pub fn open<R: Runtime, M: Manager<R>>(manager: &M, pos: Arc<Pos>) -> tauri::Result<WebviewWindow<R>> {
    let on_load = pos.clone();
    let window = WebviewWindowBuilder::new(manager, LABEL, WebviewUrl::App(PAGE.into()))
        .title("Till: customer display")
        .inner_size(1024.0, 768.0)
        .focused(false)
        // A reload or a late start: the screen gets the view as it is now.
        .on_page_load(move |webview, payload| {
            if payload.event() == PageLoadEvent::Finished {
                if let Err(e) = webview.eval(script(&on_load.customer_display_view())) {
                    tracing::debug!("customer window did not take the view: {e}");
                }
            }
        })
        .build()?;
    place(&window);
    let target = window.clone();
    pos.customer_display_watch(Arc::new(move |view: &CustomerDisplayView| {
        // eval hands the script to the window's thread and returns; a closed window is logged.
        if let Err(e) = target.eval(script(view)) {
            tracing::debug!("customer window did not take the view: {e}");
        }
    }));
    if let Err(e) = pos.customer_display_start() {
        tracing::warn!("the customer display will not go back to the welcome by itself: {e}");
    }
    Ok(window)
}

/// Puts the window on a monitor other than the primary one, full screen and undecorated; with
/// one monitor it stays an ordinary window.
fn place<R: Runtime>(window: &WebviewWindow<R>) {
    let monitors = window.available_monitors().unwrap_or_default();
    let primary = window.primary_monitor().ok().flatten();
    let second = monitors.into_iter().find(|m| primary.as_ref().is_none_or(|p| p.position() != m.position()));
    let Some(second) = second.filter(|_| primary.is_some()) else {
        tracing::info!("one monitor: the customer display is an ordinary window");
        return;
    };
    let placed = window
        .set_decorations(false)
        .and_then(|()| window.set_position(*second.position()))
        .and_then(|()| window.set_size(*second.size()))
        .and_then(|()| window.set_fullscreen(true));
    match placed {
        Ok(()) => tracing::info!(monitor = ?second.name(), "customer display on the second monitor"),
        Err(e) => tracing::warn!("customer display could not be placed on the second monitor: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asked_for_by_setting_or_environment() {
        assert!(requested(None, true));
        assert!(requested(Some("1"), false));
        assert!(requested(Some(" On "), false));
        assert!(!requested(Some("0"), false));
        assert!(!requested(Some(""), false));
        assert!(!requested(None, false));
    }

    #[test]
    fn the_view_is_embedded_so_no_name_can_break_out_of_the_script() {
        let mut view = CustomerDisplayView::idle("</script><b>&\u{2028}", till_core::Currency::CNY);
        view.enrolment = Some("\");alert(1);(\"".into());
        let s = script(&view);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('\u{2028}'), "{s}");
        assert!(s.contains(r#"\");alert(1);(\""#), "{s}");
        let json = s.trim_start_matches("(window.__tillCustomer||function(v){window.__tillCustomerLast=v;})(");
        let back: serde_json::Value = serde_json::from_str(json.trim_end_matches(");")).unwrap();
        assert_eq!(back["shopName"], "</script><b>&\u{2028}");
        assert_eq!(back["phase"], "idle");
    }
}
