//! The window runs under Tauri's isolation pattern: the context the app is built with (the
//! same `generate_context!` as `till_app::run`) carries the isolation app of `isolation/`, with
//! its hook. Without the `isolation` feature Tauri would quietly fall back to the brownfield
//! pattern even with the config asking for isolation; this fails then. The real window's side
//! (the frame is there, a command outside the capability is refused) is in tests/e2e_window.rs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test fails by panicking

use tauri::test::MockRuntime;
use tauri::utils::config::PatternKind;

#[test]
fn the_app_is_built_with_the_isolation_pattern_and_its_hook() {
    let context: tauri::Context<MockRuntime> = tauri::generate_context!();
    assert!(
        matches!(&context.config().app.security.pattern, PatternKind::Isolation { dir } if dir.ends_with("isolation")),
        "{:?}",
        context.config().app.security.pattern
    );
    let tauri::Pattern::Isolation { assets, .. } = context.pattern() else {
        panic!("the context uses the brownfield pattern: is tauri's `isolation` feature on?");
    };
    let page = assets.get(&"index.html".into()).expect("the isolation app's page is embedded");
    let page = String::from_utf8_lossy(&page);
    // the hook itself, inlined into the page
    assert!(page.contains("__TAURI_ISOLATION_HOOK__ = hook") && page.contains("isolation_refused"), "{page}");
}
