//! `POST /v1/terminals/enrol`: a till exchanges the one-time enrolment code an installer typed
//! for its terminal id and signing secret, once. The request is unsigned (the till has no
//! secret yet); the code is what proves the till was meant to get one.
//!
//! The code is 80 random bits written as 16 characters of Crockford's base32 in groups of four
//! (`7K3M-Q9XD-2HPA-W4TZ`): digits and capitals without I, L, O and U, so whatever a person
//! reads off a screen or a slip of paper can be typed back. Reading is forgiving: lower case,
//! spaces and dashes anywhere, `O` for `0` and `I`/`L` for `1` all give the same code.

use serde::{Deserialize, Serialize};

/// The body of `POST /v1/terminals/enrol`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerminalEnrolRequest {
    /// The code `till-server terminals add --enrolment-code` printed, as typed (see
    /// [`EnrolmentCode::parse`] for what is accepted).
    #[cfg_attr(feature = "openapi", schema(example = "7K3M-Q9XD-2HPA-W4TZ"))]
    pub enrolment_code: String,
}

impl std::fmt::Debug for TerminalEnrolRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The code is a credential until it is used.
        f.debug_struct("TerminalEnrolRequest").finish_non_exhaustive()
    }
}

/// The answer: the terminal's credentials, given out once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TerminalEnrolResponse {
    /// The id to put in `X-Till-Terminal`.
    pub terminal_id: String,
    /// The signing secret, 64 hex digits. Keep it sealed; the server will not give it again.
    pub secret: String,
}

impl std::fmt::Debug for TerminalEnrolResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TerminalEnrolResponse").field("terminal_id", &self.terminal_id).finish_non_exhaustive()
    }
}

/// Crockford's base32 alphabet.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A well-formed enrolment code: 16 symbols of Crockford's base32, 80 bits.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrolmentCode([u8; EnrolmentCode::SYMBOLS]);

/// Why typed text is not an enrolment code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// A character that is not in the code's alphabet (nor a dash or a space).
    #[error("an enrolment code has only digits and letters (no U); {0:?} is not one of them")]
    BadCharacter(char),
    /// Too few or too many symbols.
    #[error("an enrolment code has 16 letters and digits, in groups of four; this has {0}")]
    WrongLength(usize),
}

impl EnrolmentCode {
    /// Random bytes in a code.
    pub const BYTES: usize = 10;
    /// Symbols in a code (5 bits each).
    pub const SYMBOLS: usize = 16;

    /// The code of 10 random bytes.
    pub fn from_bytes(bytes: [u8; Self::BYTES]) -> EnrolmentCode {
        let mut bits: u128 = 0;
        for b in bytes {
            bits = (bits << 8) | u128::from(b);
        }
        let mut out = [0u8; Self::SYMBOLS];
        for (i, symbol) in out.iter_mut().enumerate() {
            let shift = 5 * (Self::SYMBOLS - 1 - i);
            *symbol = ALPHABET[((bits >> shift) & 0x1f) as usize];
        }
        EnrolmentCode(out)
    }

    /// Reads a typed code: case, dashes and spaces do not matter; `O` reads as `0`, `I` and `L`
    /// as `1` (Crockford's decoding).
    pub fn parse(text: &str) -> Result<EnrolmentCode, CodeError> {
        let mut out = [0u8; Self::SYMBOLS];
        let mut n = 0usize;
        for c in text.chars() {
            if c == '-' || c.is_whitespace() {
                continue;
            }
            let symbol = match c.to_ascii_uppercase() {
                'O' => b'0',
                'I' | 'L' => b'1',
                u if u.is_ascii() && ALPHABET.contains(&(u as u8)) => u as u8,
                _ => return Err(CodeError::BadCharacter(c)),
            };
            if let Some(slot) = out.get_mut(n) {
                *slot = symbol;
            }
            n += 1;
        }
        if n != Self::SYMBOLS {
            return Err(CodeError::WrongLength(n));
        }
        Ok(EnrolmentCode(out))
    }

    /// The 16 symbols without dashes: what the server hashes.
    pub fn canonical(&self) -> &str {
        // Only ASCII symbols of the alphabet are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The code as shown to people: four groups of four joined by dashes.
    pub fn grouped(&self) -> String {
        self.0.chunks(4).map(|g| std::str::from_utf8(g).unwrap_or_default()).collect::<Vec<_>>().join("-")
    }
}

impl std::fmt::Debug for EnrolmentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnrolmentCode(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_16_symbols_of_80_bits_in_groups_of_four() {
        let code = EnrolmentCode::from_bytes([0; 10]);
        assert_eq!(code.grouped(), "0000-0000-0000-0000");
        let code = EnrolmentCode::from_bytes([0xff; 10]);
        assert_eq!(code.grouped(), "ZZZZ-ZZZZ-ZZZZ-ZZZZ");
        // 0x00..01 sets only the last 5-bit group's lowest bit; 0x80.. only the first's highest.
        let mut one = [0u8; 10];
        one[9] = 1;
        assert_eq!(EnrolmentCode::from_bytes(one).canonical(), "0000000000000001");
        let mut top = [0u8; 10];
        top[0] = 0x80;
        assert_eq!(EnrolmentCode::from_bytes(top).canonical(), "G000000000000000");
    }

    #[test]
    fn typing_is_forgiving_but_not_loose() {
        let code = EnrolmentCode::from_bytes([0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x0f, 0xed]);
        let shown = code.grouped();
        assert_eq!(EnrolmentCode::parse(&shown).unwrap(), code);
        assert_eq!(EnrolmentCode::parse(&shown.to_lowercase()).unwrap(), code);
        assert_eq!(EnrolmentCode::parse(&format!("  {} ", code.canonical())).unwrap(), code);
        assert_eq!(EnrolmentCode::parse("oooo-iiii-llll-0000").unwrap().canonical(), "0000111111110000");
        assert_eq!(EnrolmentCode::parse("UUUU-0000-0000-0000"), Err(CodeError::BadCharacter('U')));
        assert_eq!(EnrolmentCode::parse("0000-0000-0000-000"), Err(CodeError::WrongLength(15)));
        assert_eq!(EnrolmentCode::parse("0000-0000-0000-0000-0"), Err(CodeError::WrongLength(17)));
        assert_eq!(EnrolmentCode::parse("０000-0000-0000-0000"), Err(CodeError::BadCharacter('０')));
        assert!(!format!("{code:?}").contains(code.canonical()));
    }
}
