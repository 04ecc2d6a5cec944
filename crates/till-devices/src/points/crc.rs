//! CRC-16/CCITT-FALSE, the checksum of every till-points-v1 frame.
//!
//! Polynomial 0x1021, initial value 0xFFFF, no reflection, no final XOR. The check value (the CRC
//! of ASCII `123456789`) is 0x29B1.

/// The CRC-16/CCITT-FALSE of `data`.
pub fn crc16_ccitt_false(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 { (crc << 1) ^ 0x1021 } else { crc << 1 };
        }
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_value_of_123456789_is_29b1() {
        assert_eq!(crc16_ccitt_false(b"123456789"), 0x29B1);
    }

    #[test]
    fn empty_input_is_the_initial_value_and_one_bit_changes_it() {
        assert_eq!(crc16_ccitt_false(&[]), 0xFFFF);
        assert_ne!(crc16_ccitt_false(b"123456789"), crc16_ccitt_false(b"123456788"));
    }
}
