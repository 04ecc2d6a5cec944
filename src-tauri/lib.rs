//! The Till desktop shell: opens the till ([`till_pos::Pos`]) with its embedded defaults,
//! registers the IPC commands (thin adapters in [`commands`]) and starts the window.
//! No business logic lives here.
//!
//! Demo mode is asked for: `till --demo`, or `TILL_DEMO=1` (what `make run` does). Without it the
//! till is a shop's: no demo users, catalogue, simulators or sandbox key, and a fresh data
//! directory opens the first-run setup.
//!
//! Settings from the environment:
//! - `TILL_DATA_DIR`: where the database and log live (default: the platform data directory,
//!   e.g. `~/.local/share/till`).
//! - `TILL_CARD_READER`: the card reader's address while the installer has configured none
//!   (demo mode: `sim://card-reader` by default; a shop's till: none).
//! - `TILL_POINTS_TERMINAL`: the points terminal's address while the installer has configured
//!   none (demo mode: `sim://points-terminal` by default; a shop's till: none).
//! - `TILL_SYNC_URL`, `TILL_SYNC_TERMINAL_ID`, `TILL_SYNC_SECRET` (64 hex digits): the sync
//!   server and this till's credentials, stored (the secret sealed) on first start while the
//!   installer has entered none; `make run` points them at a local till-server.
//! - `TILL_KIOSK=1` (or `--kiosk`): full screen without decorations ([`kiosk`]).
//! - `TILL_CUSTOMER_DISPLAY=1`: open the customer window even when the till's setting
//!   `display.customer_window` is not `on` ([`customer_window`]).
//! - `TILL_LOG_MAX_BYTES`: the size at which `till.log` is rotated ([`log_file`]).
//!
//! One till runs per data directory: a second start shows the first window and exits
//! ([`single_instance`]).

pub mod commands;
pub mod customer_window;
pub mod kiosk;
pub mod log_file;
pub mod logging;
#[cfg(unix)]
pub mod single_instance;
pub mod webview_memory;

use std::path::PathBuf;
use std::sync::Arc;
use tauri::Manager;
use till_pos::{ErrorCode, IpcError, Pos, PosConfig};

/// Errors that stop the app from starting.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// No data directory could be found or made.
    #[error("data directory {0}: {1}")]
    DataDir(PathBuf, std::io::Error),
    /// The till could not open (database, card reader).
    #[error(transparent)]
    Pos(#[from] till_pos::PosError),
    /// Tauri could not start the window.
    #[error("window: {0}")]
    Tauri(#[from] tauri::Error),
}

/// Where the till keeps its files.
pub fn data_dir() -> PathBuf {
    std::env::var_os("TILL_DATA_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::data_dir().map(|d| d.join("till")))
        .unwrap_or_else(|| PathBuf::from("till-data"))
}

/// Whether demo mode was asked for: `--demo` among the arguments, or `TILL_DEMO` set to `1`,
/// `true` or `yes`.
pub fn demo_requested(args: impl IntoIterator<Item = String>, env: Option<String>) -> bool {
    args.into_iter().any(|a| a == "--demo")
        || env.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
}

/// Opens the till, a demo one or a shop's, with any overrides from the environment.
pub fn open_pos(dir: &std::path::Path, demo: bool) -> Result<Pos, StartError> {
    // Owner-only (0700) when the till makes it; everything in it is 0600 / 0700 too.
    till_store::private_fs::create_private_dir_all(dir).map_err(|e| StartError::DataDir(dir.to_path_buf(), e))?;
    let db = dir.join("till.db");
    let mut config = if demo { PosConfig::demo(db) } else { PosConfig::shop(db) };
    if let Ok(reader) = std::env::var("TILL_CARD_READER") {
        config.card_reader = reader;
    }
    if let Ok(terminal) = std::env::var("TILL_POINTS_TERMINAL") {
        config.points_terminal = Some(terminal);
    }
    if demo {
        // The demo's simulated printer leaves each printout as text in `printed/`, where a
        // person trying the till can read what a real printer would have printed.
        let printed = dir.join("printed");
        match till_store::private_fs::create_private_dir_all(&printed) {
            Ok(()) => till_devices::printer::simulator::shared("printer").set_out_dir(Some(printed)),
            Err(e) => tracing::warn!("no folder for the demo printer's printouts: {e}"),
        }
    }
    Ok(Pos::open(config)?)
}

/// Seeds the server settings from `TILL_SYNC_*` when all three are set and none are stored,
/// then starts the sync worker (it runs whenever settings exist). Failures are logged, never
/// fatal: the till sells offline and the status line says what is wrong.
pub fn start_sync(pos: &std::sync::Arc<Pos>) {
    let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    if let (Some(url), Some(terminal), Some(secret)) =
        (var("TILL_SYNC_URL"), var("TILL_SYNC_TERMINAL_ID"), var("TILL_SYNC_SECRET"))
    {
        match pos.sync_seed_settings(&url, &terminal, &secret) {
            Ok(true) => tracing::info!(%url, %terminal, "server settings taken from the environment"),
            Ok(false) => tracing::info!("server settings already stored; TILL_SYNC_* ignored"),
            Err(e) => tracing::warn!("TILL_SYNC_* not used: {e}"),
        }
    }
    if let Err(e) = Pos::start_sync_status_feed(pos) {
        tracing::warn!("the sync status line will not update by itself: {e}");
    }
    if let Err(e) = pos.sync_start() {
        tracing::warn!("sync did not start: {e}");
    }
    if let Err(e) = Pos::start_pending_orders_feed(pos) {
        tracing::warn!("orders pending collection will not be followed: {e}");
    }
}

/// The till as the commands see it: open, or the reason it could not open. When it could not
/// (a database from a newer Till, an unwritable data directory...), the window still opens and
/// every command answers with that reason, so the person at the counter reads what is wrong
/// instead of seeing nothing start.
pub struct TillState(pub Result<Arc<Pos>, IpcError>);

impl From<Result<Pos, StartError>> for TillState {
    fn from(opened: Result<Pos, StartError>) -> Self {
        TillState(opened.map(Arc::new).map_err(|e| IpcError { code: ErrorCode::StartupFailed, message: e.to_string() }))
    }
}

/// Registers the till and its commands on a Tauri builder (the real one or the test mock).
pub fn setup<R: tauri::Runtime>(builder: tauri::Builder<R>, till: TillState) -> tauri::Builder<R> {
    builder.manage(till).invoke_handler(commands::handler())
}

/// Opens the customer window when the till's setting or `TILL_CUSTOMER_DISPLAY` asks for it.
/// A failure is logged: the till sells without it.
fn open_customer_window<R: tauri::Runtime>(app: &tauri::App<R>) {
    let Ok(pos) = &app.state::<TillState>().0 else { return };
    let wanted = pos.customer_window_wanted().unwrap_or_else(|e| {
        tracing::warn!("customer window setting unreadable: {e}");
        false
    });
    if customer_window::requested(std::env::var("TILL_CUSTOMER_DISPLAY").ok().as_deref(), wanted) {
        if let Err(e) = customer_window::open(app, pos.clone()) {
            tracing::warn!("customer window did not open: {e}");
        }
    }
}

/// Starts the app.
pub fn run() -> Result<(), StartError> {
    // Before any thread starts: WebKit's processes inherit it.
    webview_memory::set_process_env();
    let dir = data_dir();
    logging::init(&dir);
    #[cfg(unix)]
    let primary = match single_instance::acquire(&dir) {
        Ok(single_instance::Instance::Primary(p)) => Some(p),
        Ok(single_instance::Instance::Secondary) => {
            tracing::info!(data_dir = %dir.display(), "Till already runs on this data directory; showed its window");
            return Ok(());
        }
        Err(e) => {
            tracing::warn!(data_dir = %dir.display(), "cannot check for another running Till: {e}");
            None
        }
    };
    let demo = demo_requested(std::env::args().skip(1), std::env::var("TILL_DEMO").ok());
    let started = std::time::Instant::now();
    let opened = open_pos(&dir, demo);
    match &opened {
        Ok(_) => {
            tracing::info!(data_dir = %dir.display(), demo, ms = started.elapsed().as_millis() as u64, "till opened")
        }
        Err(e) => tracing::error!(data_dir = %dir.display(), "till could not open: {e}"),
    }
    let till: TillState = opened.into();
    if let Ok(pos) = &till.0 {
        // Hot-plug: keeps the status lights current and reconnects a reader that comes back.
        let enumerator = Box::new(till_devices::transport::discovery::SystemEnumerator::default());
        if let Err(e) = Pos::start_device_monitor(pos, enumerator, std::time::Duration::from_secs(2)) {
            tracing::warn!("device monitor did not start: {e}");
        }
        start_sync(pos);
        // The nightly backup beside the database (admin/backups in till-pos).
        if let Err(e) = Pos::start_backups(pos, till_pos::admin::backups::worker::TICK) {
            tracing::warn!("nightly backups did not start: {e}");
        }
        // The print queue's worker (print/ in till-pos): receipts, reports, the drawer.
        if let Err(e) = Pos::start_printing(pos) {
            tracing::warn!("the print worker did not start: {e}");
        }
        // The customer display's timer, and the pole display when one is set up.
        if let Err(e) = pos.customer_display_start() {
            tracing::warn!("customer display did not start: {e}");
        }
    }
    let kiosk = kiosk::requested();
    let builder = setup(tauri::Builder::default(), till).setup(move |app| {
        let window = app.get_webview_window("main");
        if let (true, Some(w)) = (webview_memory::enabled(), &window) {
            if let Err(e) = webview_memory::apply(w) {
                tracing::warn!("webview memory settings: {e}");
            }
        }
        if let (true, Some(w)) = (kiosk, &window) {
            if let Err(e) = kiosk::apply(w) {
                tracing::warn!("kiosk mode: {e}");
            }
        }
        open_customer_window(app);
        #[cfg(unix)]
        if let (Some(primary), Some(w)) = (primary, window) {
            primary.serve(move || {
                let _ = w.unminimize();
                let _ = w.show();
                let _ = w.set_focus();
            })?;
        }
        Ok(())
    });
    builder.run(tauri::generate_context!())?;
    Ok(())
}
