//! PIN hashes: argon2id with parameters well above the library's defaults.
//!
//! A PIN has 10^4 to 10^8 values, so the hash is all that stands between a copy of till.db and
//! the PINs. The library's defaults (19 MiB, 2 passes) let one machine try every 4-digit PIN in
//! minutes; these parameters make each guess cost 64 MiB and 3 passes (figures in
//! docs/performance.md, `tillctl bench login`). A hash carries its own parameters (PHC string),
//! so hashes made with older parameters still verify, and a login that verifies one stores a
//! new hash with these parameters.

use crate::error::{PosError, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Memory per hash, KiB (64 MiB).
pub const M_COST_KIB: u32 = 64 * 1024;
/// Passes over the memory.
pub const T_COST: u32 = 3;
/// Lanes. One: a login runs on one thread, and more lanes would not slow an attacker down.
pub const P_COST: u32 = 1;

// The parameters may not slip back towards the library's defaults: this fails to compile.
const _: () = assert!(M_COST_KIB >= 3 * Params::DEFAULT_M_COST && T_COST > Params::DEFAULT_T_COST);

/// The shortest PIN a shop's till accepts. Four digits are 10,000 guesses; the lockout slows
/// guessing at the counter, but a shop's owner and installer guard more than a demo does.
pub const SHOP_MIN_PIN_LEN: usize = 6;
/// The shortest PIN in demo mode, where the demo users have four-digit PINs.
pub const DEMO_MIN_PIN_LEN: usize = 4;
/// The longest PIN: what the keypad takes.
pub const MAX_PIN_LEN: usize = 8;

/// Checks a PIN's shape: `min_len` to 8 digits.
pub fn check_pin_format(pin: &str, min_len: usize) -> Result<()> {
    if (min_len..=MAX_PIN_LEN).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(PosError::InvalidInput(format!("a PIN is {min_len} to {MAX_PIN_LEN} digits")))
    }
}

fn hasher(m_kib: u32, t: u32, p: u32) -> Result<Argon2<'static>> {
    let params = Params::new(m_kib, t, p, None).map_err(|e| PosError::Internal(format!("argon2 parameters: {e}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a PIN with argon2id, the till's parameters and the salt `salt_bytes`.
pub fn hash_pin(pin: &str, salt_bytes: &[u8; 16]) -> Result<String> {
    hash_pin_with(pin, salt_bytes, M_COST_KIB, T_COST, P_COST)
}

/// Hashes a PIN with argon2id and the given parameters: the benchmark's baseline (the library's
/// defaults) and the tests of hashes made before these parameters.
pub fn hash_pin_with(pin: &str, salt_bytes: &[u8; 16], m_kib: u32, t: u32, p: u32) -> Result<String> {
    let salt = SaltString::encode_b64(salt_bytes).map_err(|e| PosError::Internal(e.to_string()))?;
    hasher(m_kib, t, p)?
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PosError::Internal(e.to_string()))
}

/// Whether `pin` matches the stored hash, under the parameters the hash names.
pub fn verify_pin(pin: &str, hash: &str) -> Result<bool> {
    let parsed = PasswordHash::new(hash).map_err(|e| PosError::Internal(format!("stored PIN hash: {e}")))?;
    // `verify_password` takes the algorithm, version and parameters from the PHC string.
    Ok(Argon2::default().verify_password(pin.as_bytes(), &parsed).is_ok())
}

/// Whether a stored hash was made with anything but argon2id and the till's parameters.
pub fn needs_rehash(hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return true };
    let Ok(params) = Params::try_from(&parsed) else { return true };
    parsed.algorithm.as_str() != "argon2id"
        || params.m_cost() != M_COST_KIB
        || params.t_cost() != T_COST
        || params.p_cost() != P_COST
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_carry_the_tills_parameters_and_old_ones_still_verify() {
        let new = hash_pin("1234", &[7; 16]).unwrap();
        assert!(new.starts_with(&format!("$argon2id$v=19$m={M_COST_KIB},t={T_COST},p={P_COST}$")), "{new}");
        assert!(verify_pin("1234", &new).unwrap() && !verify_pin("1235", &new).unwrap());
        assert!(!needs_rehash(&new));
        // the library's defaults, as every hash was made before
        let old = hash_pin_with("1234", &[7; 16], Params::DEFAULT_M_COST, Params::DEFAULT_T_COST, 1).unwrap();
        assert!(old.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{old}");
        assert!(verify_pin("1234", &old).unwrap() && !verify_pin("1235", &old).unwrap());
        assert!(needs_rehash(&old));
    }

    #[test]
    fn pin_shapes() {
        for ok in ["1234", "12345678"] {
            assert!(check_pin_format(ok, DEMO_MIN_PIN_LEN).is_ok());
        }
        for bad in ["123", "123456789", "12a4", "", "１２３４"] {
            assert!(check_pin_format(bad, DEMO_MIN_PIN_LEN).is_err(), "{bad}");
        }
        // a shop's till wants six digits at least
        assert!(check_pin_format("1234", SHOP_MIN_PIN_LEN).is_err());
        assert!(check_pin_format("12345", SHOP_MIN_PIN_LEN).is_err());
        assert!(check_pin_format("123456", SHOP_MIN_PIN_LEN).is_ok());
    }
}
