//! Kiosk mode for a dedicated counter PC: the window fills the screen without decorations, so
//! the person at the counter sees the till and nothing else. Asked for with `till --kiosk` or
//! `TILL_KIOSK=1`; `till-kiosk enable` (packaging/till/till-kiosk) starts Till this way at login.

/// Whether this start asked for kiosk mode (`--kiosk` on the command line, or `TILL_KIOSK` set
/// to 1/true/yes).
pub fn requested() -> bool {
    requested_by(std::env::args().skip(1), std::env::var("TILL_KIOSK").ok().as_deref())
}

fn requested_by(mut args: impl Iterator<Item = String>, env: Option<&str>) -> bool {
    let by_env = matches!(env.map(|v| v.trim().to_ascii_lowercase()).as_deref(), Some("1" | "true" | "yes"));
    by_env || args.any(|a| a == "--kiosk")
}

/// Makes `window` full screen and undecorated.
pub fn apply<R: tauri::Runtime>(window: &tauri::WebviewWindow<R>) -> tauri::Result<()> {
    window.set_decorations(false)?;
    window.set_fullscreen(true)?;
    window.set_focus()
}

#[cfg(test)]
mod tests {
    use super::requested_by;

    fn args(a: &[&str]) -> impl Iterator<Item = String> {
        a.iter().map(|s| s.to_string()).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn kiosk_mode_is_asked_for_by_flag_or_environment_only() {
        assert!(requested_by(args(&["--kiosk"]), None));
        assert!(requested_by(args(&["--demo", "--kiosk"]), None));
        assert!(requested_by(args(&[]), Some("1")));
        assert!(requested_by(args(&[]), Some("TRUE")));
        assert!(!requested_by(args(&[]), None));
        assert!(!requested_by(args(&["--demo"]), Some("0")));
        assert!(!requested_by(args(&["kiosk"]), Some("")));
    }
}
