//! The devices on Till's counter, behind small traits so a simulator can stand in for each.
//!
//! A card reader produces a [`CardRead`]: what the till may show and keep of a card (masked
//! number, brand, expiry, name, whether it asks for a PIN) plus either the reader's
//! [`EncryptedBlock`] for the payment platform or, from a reader that cannot encrypt, the clear
//! number in a [`SecretPan`] that never prints or serialises it. Devices are named by address
//! URIs such as `sim://card-reader`; [`card_reader::open`] picks the driver.
//!
//! Modules:
//! - [`card_reader`]: the reader trait and the card read, and one parser per reader output
//!   format: [`card_reader::iso7813`] (the tracks themselves, and keyboard-wedge text typed into
//!   the cashier's input), [`card_reader::magtek_hid`] (MagTek's clear 337-byte HID report),
//!   [`card_reader::magnesafe`] (MagTek's encrypting report),
//!   [`card_reader::idtech_enhanced`] (ID TECH's framed encrypting output, serial or HID); the
//!   drivers that run them on a transport, [`card_reader::HidCardReader`] and
//!   [`card_reader::SerialCardReader`]; and the simulators: [`card_reader::simulated`] (the
//!   reader `make run` uses), [`card_reader::SimulatedHidReader`] and
//!   [`card_reader::sim_serial`] (an ID TECH reader on any byte link), swiping the
//!   [`card_reader::test_cards`] or injecting faults on demand through a
//!   [`card_reader::SimControl`].
//! - [`points`]: the loyalty points terminal: the till-points-v1 protocol, its driver
//!   [`points::PointsTerminal`] and its simulator.
//! - [`display`]: serial pole displays facing the customer (2×20, the ESC/POS customer
//!   display command set).
//! - [`address`]: device address URIs.
//! - [`transport`]: the byte-stream and HID link traits drivers run on, serial ports and
//!   pseudo-terminals ([`transport::SerialLink`]), USB HID ([`transport::HidDeviceLink`]), and
//!   [`transport::discovery`]: listing devices with a guessed role, and a
//!   [`transport::DeviceMonitor`] that reports hot-plugs.
//! - [`cancel`]: a flag that stops a wait on a device.
//! - [`error`]: what a device or a parser can report; never card data.
//!
//! The parsers take bytes as the transport delivers them and return a typed error naming the
//! track or field at fault for any input, never a panic.
//!
//! ```no_run
//! use std::time::Duration;
//! use till_core::{Currency, Money};
//! use till_devices::{card_reader, Cancel};
//!
//! // An ID TECH reader in USB-CDC mode; `hid://0801:0002` would be a MagTek HID reader.
//! let mut reader = card_reader::open("serial:///dev/ttyACM0?baud=9600&driver=idtech-enhanced")?;
//! let read = reader.read_card(Money::new(4250, Currency::CNY), Duration::from_secs(30), &Cancel::new())?;
//! println!("{} {}", read.brand.name(), read.masked_pan.as_str());
//! # Ok::<(), till_devices::DeviceError>(())
//! ```

pub mod address;
pub mod cancel;
pub mod card_reader;
pub mod display;
pub mod error;
pub mod points;
pub mod printer;
pub mod transport;

pub use address::DeviceAddress;
pub use cancel::Cancel;
pub use card_reader::{CardData, CardRead, CardReader, EncryptedBlock, SecretPan};
pub use error::DeviceError;
