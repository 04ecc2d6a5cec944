//! The enrolment message (CN101986339A): what a new points account's phone receives, in a
//! fixed format, `TILL-ENROL 1 <account-id: 32 hex> <k_c: base32> <server-id>`. The server
//! writes it, the till shows it as a QR code, the phone (or the simulator's phone) reads it.

use crate::CoreError;

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding: the phone-friendly form of `k_c`.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes [`base32`]; `None` on a character outside the alphabet.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let (mut buffer, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in text.bytes() {
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        buffer = (buffer << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

/// The message for account `account_id_hex` with key `key` from server `server_id`.
pub fn enrolment_message(account_id_hex: &str, key: &[u8], server_id: &str) -> String {
    format!("TILL-ENROL 1 {account_id_hex} {} {server_id}", base32(key))
}

/// A parsed enrolment message.
#[derive(Clone, PartialEq, Eq)]
pub struct Enrolment {
    /// The points account.
    pub account_id: [u8; 16],
    /// The customer's key `k_c`.
    pub key: [u8; 32],
    /// The server that holds the account.
    pub server_id: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // k_c never goes to a log.
        f.debug_struct("Enrolment").field("server_id", &self.server_id).finish_non_exhaustive()
    }
}

impl Enrolment {
    /// Parses a message as [`enrolment_message`] writes it.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let bad = || CoreError::InvalidEnrolment;
        let parts: Vec<&str> = text.split_whitespace().collect();
        let ["TILL-ENROL", "1", account, key, server] = parts[..] else { return Err(bad()) };
        let account: [u8; 16] = hex::decode(account).ok().and_then(|v| v.try_into().ok()).ok_or_else(bad)?;
        let key: [u8; 32] = base32_decode(key).and_then(|v| v.try_into().ok()).ok_or_else(bad)?;
        Ok(Enrolment { account_id: account, key, server_id: server.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_matches_rfc_4648() {
        for (plain, coded) in [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("fooba", "MZXW6YTB")] {
            assert_eq!(base32(plain.as_bytes()), coded);
            assert_eq!(base32_decode(coded).unwrap(), plain.as_bytes());
        }
    }

    #[test]
    fn a_message_round_trips_and_junk_is_refused() {
        let m = enrolment_message(&"ab".repeat(16), &[7u8; 32], "shop-1");
        let e = Enrolment::parse(&m).unwrap();
        assert_eq!((e.account_id, e.key, e.server_id.as_str()), ([0xab; 16], [7u8; 32], "shop-1"));
        for junk in ["", "TILL-ENROL 2 x y z", &m.replace("TILL", "TILT"), &m[..m.len() - 8]] {
            assert_eq!(Enrolment::parse(junk), Err(CoreError::InvalidEnrolment), "{junk}");
        }
    }
}
