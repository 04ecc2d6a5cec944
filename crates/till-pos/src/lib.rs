//! Till's application layer: what each IPC command does, without Tauri.
//!
//! [`Pos`] owns the store, the card reader, the open carts and the sessions, and takes its
//! clock and random numbers from outside so tests are deterministic. Every public method that
//! acts for a user takes the session token first and checks the user's role before anything
//! else; errors are [`PosError`]s with a stable [`ErrorCode`] that crosses IPC as
//! `{code, message}`. The desktop shell's commands are one-line adapters over these methods.
//!
//! ```no_run
//! use till_pos::{Pos, PosConfig};
//! let pos = Pos::open(PosConfig::demo("till.db".into())).unwrap();
//! let session = pos.login(1, "1111").unwrap();
//! let cart = pos.cart_scan(&session.token, "6901234567892").unwrap();
//! let receipt = pos.checkout_cash(&session.token, &cart.cart_id, cart.total.minor()).unwrap();
//! # let _ = receipt;
//! ```

pub mod admin;
pub mod back_office;
pub mod collect;
mod context;
pub mod device_services;
pub mod devices;
pub mod display;
pub mod error;
pub mod fault;
pub mod ipc;
pub mod loyalty;
mod mutex;
pub mod print;
pub mod refund;
pub mod sale;
pub mod services;
pub mod setup;
pub mod sync;

pub use error::{ErrorCode, IpcError, PosError, Result};
pub use till_core::clock::{Clock, ManualClock, SystemClock};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use till_core::Currency;
use till_devices::CardReader;
use till_store::Store;

/// How the till is set up.
pub struct PosConfig {
    /// The database file.
    pub db_path: PathBuf,
    /// The till's currency.
    pub currency: Currency,
    /// Seed the demo catalogue and users on first start, show demo PINs, and let the local
    /// stand-in authorise cards while no payments server is configured. Outside demo mode only
    /// the payment platform, once set up, authorises cards
    /// ([`sale::card::platform_setup`]), and a fresh till opens the first-run setup ([`setup`]).
    pub demo: bool,
    /// A session lapses after this long without a command.
    pub session_idle: Duration,
    /// Address of the card reader used while the installer has configured none; empty: none
    /// (a shop's till, until the installer picks one).
    pub card_reader: String,
    /// How long to wait for a swipe.
    pub card_timeout: Duration,
    /// How often to ask the platform about a payment code the customer is confirming (5 s, as
    /// the wallets prescribe; tests shorten it).
    pub code_poll: Duration,
    /// Time source.
    pub clock: Arc<dyn Clock>,
    /// Random source (session tokens, cart ids, line codes, event ids, keys).
    pub rng: Box<dyn RngCore + Send>,
    /// Who authorises card payments; `None`: the payment platform
    /// ([`sale::card::remote_authorizer::RemoteAuthorizer`]) once it is set up; in demo mode,
    /// while no payments server is configured, the local stand-in
    /// ([`sale::card::authorizer::StandInAuthorizer`]); otherwise nobody: card payments are
    /// refused as `card_payments_not_set_up`.
    pub authorizer: Option<Arc<dyn sale::card::authorizer::PaymentAuthorizer>>,
    /// Lists the serial and HID devices on the machine (the installer's table, the status
    /// lights).
    pub device_enumerator: Box<dyn till_devices::transport::discovery::Enumerator>,
    /// The points terminal used while none is configured (`sim://points-terminal` in demo mode).
    pub points_terminal: Option<String>,
    /// Opens points terminals (the till-points-v1 driver; a scripted terminal in tests).
    pub terminal_opener: Arc<dyn devices::points_link::TerminalOpener>,
    /// Opens the receipt printer's link (the till-devices drivers; tests give their own).
    pub printer_opener: Arc<dyn print::PrinterOpener>,
}

impl PosConfig {
    /// A shop's till: no demo data, no card reader or points terminal until the installer picks
    /// them, the system clock and OS entropy. The currency is the shop profile's once it is set.
    pub fn shop(db_path: PathBuf) -> Self {
        PosConfig { demo: false, card_reader: String::new(), points_terminal: None, ..PosConfig::demo(db_path) }
    }

    /// The demo till: CNY, demo data, simulated card reader and points terminal, system clock,
    /// OS entropy.
    pub fn demo(db_path: PathBuf) -> Self {
        PosConfig {
            db_path,
            currency: Currency::CNY,
            demo: true,
            session_idle: Duration::from_secs(15 * 60),
            card_reader: "sim://card-reader".into(),
            card_timeout: Duration::from_secs(30),
            code_poll: Duration::from_secs(5),
            clock: Arc::new(SystemClock),
            rng: Box::new(StdRng::from_entropy()),
            authorizer: None,
            device_enumerator: Box::new(till_devices::transport::discovery::SystemEnumerator::default()),
            points_terminal: Some("sim://points-terminal".into()),
            terminal_opener: Arc::new(devices::points_link::DriverOpener),
            printer_opener: Arc::new(print::DriverOpener),
        }
    }
}

/// The till: store, devices, carts and sessions.
pub struct Pos {
    store: Store,
    // The shop profile may set it during the setup, before anything is sold.
    currency: Mutex<Currency>,
    demo: bool,
    clock: Arc<dyn Clock>,
    rng: Mutex<Box<dyn RngCore + Send>>,
    secrets: Arc<admin::secrets::SecretBox>,
    // Each use case's own state, owned by its folder.
    sessions: admin::auth::Sessions,
    sale: sale::Sales,
    devices: devices::Devices,
    sync: sync::SyncRuntime,
    back_office: back_office::BackOffice,
    backups: admin::backups::Backups,
    print: print::Printing,
    customer_display: display::CustomerDisplay,
    collect: collect::Collect,
}

impl Pos {
    /// Opens the database (migrating it), seeds demo data on first start when configured, and
    /// opens the card reader.
    pub fn open(config: PosConfig) -> Result<Pos> {
        let store = Store::open_with_clock(&config.db_path, &*config.clock)?;
        if let Some(dir) = config.db_path.parent() {
            admin::data_dir::narrow_existing(dir);
        }
        // The configured reader if there is one, else the default (`TILL_CARD_READER`).
        let card_reader = devices::reader::initial_reader(&store, &config.card_reader)?;
        let reader_opened = card_reader.open_result();
        let card_reader: Box<dyn CardReader> = Box::new(card_reader);
        let devices = devices::Devices::new(devices::DevicesConfig {
            enumerator: config.device_enumerator,
            default_reader: config.card_reader.clone(),
            default_terminal: config.points_terminal.clone(),
            card_timeout: config.card_timeout,
            opener: config.terminal_opener,
            card_reader,
        });
        let mut rng = config.rng;
        let secrets = Arc::new(admin::secrets::SecretBox::load(
            &admin::secrets::SecretBox::path_beside(&config.db_path),
            &mut *rng,
        )?);
        let keys = Arc::new(sale::card::platform_key::PlatformKeySlot::default());
        // The stand-in approves test cards by its own rules: it exists in demo mode only, so
        // outside it nothing but the payment platform can approve a card.
        let stand_in = config.demo.then(|| {
            Arc::new(sale::card::authorizer::StandInAuthorizer::new(keys.clone(), config.clock.clone()))
                as Arc<dyn sale::card::authorizer::PaymentAuthorizer>
        });
        let seed = StdRng::from_rng(&mut rng).map_err(|e| PosError::Internal(e.to_string()))?;
        let card_payments = sale::card::CardPayments::new(keys, config.authorizer, stand_in, seed);
        let customer_display = display::CustomerDisplay::new(config.clock.clone(), config.currency);
        let mut pos = Pos {
            store,
            currency: Mutex::new(config.currency),
            demo: config.demo,
            clock: config.clock,
            rng: Mutex::new(rng),
            secrets,
            sessions: admin::auth::Sessions::new(config.session_idle),
            sale: sale::Sales::new(card_payments, config.card_timeout, config.code_poll),
            devices,
            sync: sync::SyncRuntime::default(),
            back_office: back_office::BackOffice::default(),
            backups: Default::default(),
            print: print::Printing::new(config.printer_opener),
            customer_display,
            collect: Default::default(),
        };
        setup::check_mode(&pos)?;
        if let Some(profile) = pos.shop_profile()? {
            let currency = Currency::parse(&profile.currency).map_err(|e| PosError::Internal(e.to_string()))?;
            pos.set_currency(currency);
            pos.customer_display.set_shop(&profile.name, currency);
        }
        pos.sale.card_hash_key = sale::card::pan_hash::load_or_create(&pos, &pos.secrets)?;
        sale::card::platform_key::load(&pos, &pos.secrets, &pos.sale.card_payments.keys)?;
        if pos.demo {
            admin::demo::seed_if_empty(&pos)?;
        }
        // A payment the last run left between its request and its sale is settled or taken back
        // before anything else is sold.
        let recovered = pos.recover_payments()?;
        if recovered != sale::journal::Recovered::default() {
            tracing::warn!(?recovered, "payments left unsettled by the last run");
        }
        // A print job the last run was sending may or may not have printed: held for the
        // cashier to decide, never sent again by itself (docs/printing.md).
        let interrupted = pos.store.print_recover()?;
        if !interrupted.is_empty() {
            tracing::warn!(?interrupted, "print jobs interrupted by the last run are held");
        }
        pos.init_reader_status(reader_opened)?;
        Ok(pos)
    }

    /// The store, for tools and tests that look underneath.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The till's secret box (the key file beside the database), for sealing secrets at rest.
    pub fn secrets(&self) -> &Arc<admin::secrets::SecretBox> {
        &self.secrets
    }

    /// The till's currency.
    pub fn currency(&self) -> Currency {
        *mutex::lock(&self.currency)
    }

    pub(crate) fn set_currency(&self, currency: Currency) {
        *mutex::lock(&self.currency) = currency;
    }

    /// What the login screen shows.
    pub fn app_info(&self) -> Result<ipc::views::AppInfo> {
        Ok(ipc::views::AppInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
            demo_mode: self.demo,
            currency: self.currency().code().to_string(),
            demo_users: if self.demo { admin::demo::demo_users(self)? } else { Vec::new() },
            setup: self.setup_status()?,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const CASHIER: i64 = 1;
    pub(crate) const MANAGER: i64 = 2;
    pub(crate) const INSTALLER: i64 = 3;
    pub(crate) const OWNER: i64 = 4;

    fn config(dir: &tempfile::TempDir, reader: &str, clock: Arc<ManualClock>) -> PosConfig {
        PosConfig {
            card_reader: reader.into(),
            clock,
            rng: Box::new(StdRng::seed_from_u64(99)),
            ..PosConfig::demo(dir.path().join("till.db"))
        }
    }

    pub(crate) fn pos_with_reader(reader: &str) -> (tempfile::TempDir, Arc<ManualClock>, Pos) {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(ManualClock::new(1_790_000_000_000));
        let pos = Pos::open(config(&dir, reader, clock.clone())).unwrap();
        (dir, clock, pos)
    }

    pub(crate) fn pos() -> (tempfile::TempDir, Arc<ManualClock>, Pos) {
        pos_with_reader("sim://card-reader?delay_ms=1")
    }

    pub(crate) fn reopen(dir: &tempfile::TempDir) -> Pos {
        Pos::open(config(dir, "sim://card-reader?delay_ms=1", Arc::new(ManualClock::new(1_790_000_000_000)))).unwrap()
    }

    #[test]
    fn app_info_shows_demo_pins_in_demo_mode_only() {
        let (_d, _c, p) = pos();
        let info = p.app_info().unwrap();
        assert!(info.demo_mode);
        assert_eq!(info.demo_users.len(), 4);
        assert_eq!(info.currency, "CNY");
        assert_eq!(p.login_users().unwrap().len(), 4);
    }
}
