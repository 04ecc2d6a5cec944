//! The Till desktop app.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(e) = till_app::run() {
        eprintln!("Till could not start: {e}");
        std::process::exit(1);
    }
}
