//! WebKit settings that keep the till's memory down (Linux, WebKitGTK). The till is one page
//! that never navigates, so the caches a browser keeps for pages it may go back to, or fetch
//! again, are memory spent for nothing. What each setting saved is in docs/performance.md
//! ("Idle memory of the whole app"), measured by scripts/measure-memory.mjs.
//!
//! Two settings are environment variables that WebKit reads when it starts its processes
//! ([`set_process_env`]): no DMA-BUF renderer (the window's frames are copied through shared
//! memory instead of GPU buffers) and no JavaScript JIT (the till's screens are small Svelte
//! components; the interpreter runs them as fast as a cashier types, and the JIT's code and
//! profiling data cost memory in the web process). Either is left alone when already set.
//!
//! `TILL_WEBKIT_LOW_MEMORY=0` leaves WebKit's defaults (the baseline of that measurement).

/// Whether the settings apply (unless `TILL_WEBKIT_LOW_MEMORY` is 0/false/no).
pub fn enabled() -> bool {
    !matches!(
        std::env::var("TILL_WEBKIT_LOW_MEMORY").map(|v| v.trim().to_ascii_lowercase()).as_deref(),
        Ok("0" | "false" | "no")
    )
}

/// WebKit's environment settings, each only where the environment does not set it already.
const PROCESS_ENV: &[(&str, &str)] = &[("WEBKIT_DISABLE_DMABUF_RENDERER", "1"), ("JSC_useJIT", "0")];

/// Sets WebKit's environment settings for this process and the WebKit processes it starts.
/// Call it first thing in `main`, before any thread starts (the environment is process-wide).
pub fn set_process_env() {
    if !enabled() {
        return;
    }
    for (key, value) in PROCESS_ENV {
        if std::env::var_os(key).is_none() {
            std::env::set_var(key, value);
        }
    }
}

/// Applies the settings to `window`'s webview.
pub fn apply<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    #[cfg(target_os = "linux")]
    window.with_webview(|webview| {
        use webkit2gtk::{CacheModel, HardwareAccelerationPolicy, SettingsExt, WebContextExt, WebViewExt};
        let view = webview.inner();
        // One page that is never left: no back/forward cache, and caches sized for a document
        // viewer rather than a browser (WebKit then keeps no decoded resources it may reuse).
        if let Some(context) = view.context() {
            context.set_cache_model(CacheModel::DocumentViewer);
        }
        if let Some(settings) = WebViewExt::settings(&view) {
            settings.set_enable_page_cache(false);
            // Composited layers keep their own buffers; the till's screens are flat forms that
            // WebKit paints fine without them.
            settings.set_hardware_acceleration_policy(HardwareAccelerationPolicy::Never);
        }
    })?;
    #[cfg(not(target_os = "linux"))]
    let _ = window;
    Ok(())
}
