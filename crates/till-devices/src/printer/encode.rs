//! A [`PrintDoc`] as ESC/POS bytes.

use crate::printer::{PrintDoc, PrinterSettings};

/// The ESC/POS bytes of `doc` for a printer set up as `settings`.
pub fn encode(doc: &PrintDoc, settings: &PrinterSettings) -> Vec<u8> {
    let _ = (doc, settings);
    Vec::new()
}

/// `ESC p m t1 t2`: a 50 ms pulse on pin 2, then 500 ms off (the two time bytes are required).
pub const DRAWER_KICK: [u8; 5] = [0x1B, 0x70, 0x00, 0x19, 0xFA];
