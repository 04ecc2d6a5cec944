//! Line codes: the code printed on a receipt for each order line, which a refund scans or types.
//!
//! A line code is 12 random symbols from a 31-symbol alphabet (Crockford's base 32 without
//! `Z`; about 59 bits, so unguessable and unique across billions of lines) followed by one check
//! symbol from the same alphabet: `Σ (i+1)·vᵢ mod 31`. Because 31 is prime and larger than any
//! difference between two symbols, and every weight is non-zero and differs from its neighbour,
//! every single-symbol typo and every swap of two adjacent different data symbols is caught.
//! Printed as `XXXX-XXXX-XXXX-C`; parsing ignores case, spaces and hyphens and reads `O` as `0`
//! and `I`/`L` as `1`, the letters people confuse.

use crate::CoreError;
use rand::{Rng, RngCore};
use std::fmt;

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKMNPQRSTVWXY";
const DATA_LEN: usize = 12;

fn check_symbol(values: &[u8]) -> u8 {
    let sum: u32 = values.iter().enumerate().map(|(i, &v)| (i as u32 + 1) * u32::from(v)).sum();
    ALPHABET[(sum % 31) as usize]
}

/// A validated line code in its compact form (13 symbols, no separators).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LineCode(String);

impl LineCode {
    /// Draws a fresh code from `rng`.
    pub fn generate(rng: &mut dyn RngCore) -> Self {
        let values: Vec<u8> = (0..DATA_LEN).map(|_| rng.gen_range(0..31u8)).collect();
        LineCode::from_values(&values)
    }

    fn from_values(values: &[u8]) -> Self {
        let mut s: String = values.iter().map(|&v| ALPHABET[v as usize] as char).collect();
        s.push(check_symbol(values) as char);
        LineCode(s)
    }

    /// Parses a typed or scanned code, verifying its check symbol.
    pub fn parse(text: &str) -> Result<Self, CoreError> {
        let invalid = || CoreError::InvalidLineCode(text.to_string());
        let cleaned: Vec<u8> = text
            .bytes()
            .filter(|b| !matches!(b, b'-' | b' '))
            .map(|b| match b.to_ascii_uppercase() {
                b'O' => b'0',
                b'I' | b'L' => b'1',
                other => other,
            })
            .collect();
        if cleaned.len() != DATA_LEN + 1 {
            return Err(invalid());
        }
        let values = cleaned[..DATA_LEN]
            .iter()
            .map(|b| ALPHABET.iter().position(|a| a == b).map(|p| p as u8).ok_or_else(invalid))
            .collect::<Result<Vec<u8>, _>>()?;
        if check_symbol(&values) != cleaned[DATA_LEN] {
            return Err(invalid());
        }
        Ok(LineCode::from_values(&values))
    }

    /// The compact form, as stored and encoded in QR codes.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The grouped form printed on receipts: `XXXX-XXXX-XXXX-C`.
    pub fn grouped(&self) -> String {
        let s = &self.0;
        format!("{}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12], &s[12..])
    }
}

impl fmt::Display for LineCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.grouped())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use std::collections::HashSet;

    #[test]
    fn round_trips_compact_and_grouped() {
        let mut rng = StdRng::seed_from_u64(7);
        for _ in 0..1000 {
            let code = LineCode::generate(&mut rng);
            assert_eq!(LineCode::parse(code.as_str()).unwrap(), code);
            assert_eq!(LineCode::parse(&code.grouped()).unwrap(), code);
            assert_eq!(LineCode::parse(&code.grouped().to_lowercase()).unwrap(), code);
            assert_eq!(code.grouped().len(), 16);
        }
    }

    #[test]
    fn unique_over_a_million_draws() {
        let mut rng = StdRng::seed_from_u64(0x7111);
        let mut seen = HashSet::with_capacity(1_000_000);
        for _ in 0..1_000_000 {
            assert!(seen.insert(LineCode::generate(&mut rng).0));
        }
    }

    #[test]
    fn every_single_symbol_typo_is_caught() {
        let mut rng = StdRng::seed_from_u64(42);
        let symbols: Vec<u8> = ALPHABET.iter().chain(b"ZU*~".iter()).copied().collect();
        for _ in 0..300 {
            let code = LineCode::generate(&mut rng);
            for pos in 0..=DATA_LEN {
                for &sym in &symbols {
                    let mut typo = code.0.clone().into_bytes();
                    if typo[pos] == sym {
                        continue;
                    }
                    typo[pos] = sym;
                    let typo = String::from_utf8(typo).unwrap();
                    assert!(LineCode::parse(&typo).is_err(), "{code} -> {typo} not caught");
                }
            }
        }
    }

    #[test]
    fn adjacent_swaps_are_caught() {
        let mut rng = StdRng::seed_from_u64(43);
        for _ in 0..1000 {
            let code = LineCode::generate(&mut rng);
            for pos in 0..DATA_LEN - 1 {
                let mut b = code.0.clone().into_bytes();
                if b[pos] == b[pos + 1] {
                    continue;
                }
                b.swap(pos, pos + 1);
                assert!(LineCode::parse(&String::from_utf8(b).unwrap()).is_err());
            }
        }
    }

    #[test]
    fn codes_use_only_printable_alphanumerics() {
        let mut rng = StdRng::seed_from_u64(44);
        for _ in 0..1000 {
            let code = LineCode::generate(&mut rng);
            assert!(code.as_str().bytes().all(|b| ALPHABET.contains(&b)), "{code}");
        }
    }

    #[test]
    fn garbage_is_refused() {
        for bad in ["", "ABC", "UUUUUUUUUUUUU", "0000-0000-0000-00", "!!!!!!!!!!!!!"] {
            assert!(LineCode::parse(bad).is_err(), "{bad}");
        }
    }
}
