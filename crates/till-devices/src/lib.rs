//! The devices on Till's counter, behind small traits so a simulator can stand in for each.
//!
//! A card reader produces a [`CardRead`]: what the till may show and keep of a card (masked
//! number, brand, expiry, whether it asks for a PIN) plus the clear number for as long as the
//! payment needs it; [`SecretPan`] never prints or serialises it. Devices are named by
//! address URIs such as `sim://card-reader`; [`card_reader::open`] picks the driver.
//!
//! This crate holds the simulated reader and the ISO 7813 track parsing every reader shares;
//! real USB (HID) and serial transports arrive with the Devices work.

pub mod address;
pub mod card_reader;
pub mod error;

pub use address::DeviceAddress;
pub use card_reader::{CardRead, CardReader, SecretPan};
pub use error::DeviceError;
