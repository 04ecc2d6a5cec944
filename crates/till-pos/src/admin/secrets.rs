//! Small secrets at rest: [`SecretBox`] seals them with AES-256-GCM under a local key file.
//!
//! The payment platform key, the card hash key, the terminal's signing secret (and, later, the
//! points terminal's pairing keys) must survive a restart but must not sit in the database in
//! clear: a copy of `till.db` alone (a backup, a
//! support bundle) must not give them away. So the database keeps only sealed bytes, and the
//! key that opens them lives in a separate file beside it, `till.key`, created at random on
//! first use and readable by the till's own user only (mode 0600).
//!
//! The OS keyring (Secret Service on Linux) may replace the key file later; the sealed format
//! would not change, only where the 32-byte key comes from.
//!
//! Sealed format: `version (1 byte, 1) || nonce (12 bytes) || ciphertext || tag (16 bytes)`.
//! The caller's `purpose` (e.g. `payment-platform-key`) is the associated data, so a secret
//! sealed for one purpose does not open as another.

use crate::error::{PosError, Result};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use std::fmt;
use std::io::Write;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// The key file's name, beside the database.
pub const KEY_FILE: &str = "till.key";
const VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Bytes that are overwritten with zeros when dropped and never printed. What
/// [`SecretBox::open`] returns, and what holds keys in memory.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    /// Wraps bytes.
    pub fn new(bytes: Vec<u8>) -> Self {
        SecretBytes(bytes)
    }

    /// `n` zero bytes, to be filled in place.
    pub fn zeroed(n: usize) -> Self {
        SecretBytes(vec![0; n])
    }

    /// The bytes, to fill in place.
    pub fn bytes_mut(&mut self) -> &mut [u8] {
        &mut self.0
    }
}

impl Deref for SecretBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes(<{} bytes>)", self.0.len())
    }
}

impl Drop for SecretBytes {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// Overwrites bytes with zeros. `black_box` keeps the compiler from dropping the stores as
/// dead (the buffer is about to be freed).
pub fn wipe(bytes: &mut [u8]) {
    for b in bytes.iter_mut() {
        *b = 0;
    }
    std::hint::black_box(bytes);
}

/// Overwrites a string's bytes with zeros and drops it (a PIN that arrived over IPC).
pub fn wipe_string(s: String) {
    let mut bytes = s.into_bytes();
    wipe(&mut bytes);
}

/// Seals and opens small secrets under the till's local key. Cheap to share: wrap it in an
/// `Arc`.
pub struct SecretBox {
    cipher: Aes256Gcm,
    path: PathBuf,
    // Nonces come from the till's injected randomness (seeded from it at open), so tests are
    // deterministic; a 96-bit random nonce per seal is safe for the handful of secrets a till
    // ever seals.
    nonces: Mutex<StdRng>,
}

impl fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretBox").field("key_file", &self.path).finish_non_exhaustive()
    }
}

fn key_error(path: &Path, what: &str) -> PosError {
    PosError::Internal(format!("secret key file {}: {what}", path.display()))
}

impl SecretBox {
    /// Opens the key file at `path`, creating it with 32 random bytes from `rng` (mode 0600)
    /// when it does not exist yet. A file of the wrong size is refused rather than replaced:
    /// replacing it would make every sealed secret unreadable.
    pub fn load(path: &Path, rng: &mut dyn RngCore) -> Result<SecretBox> {
        let key = match std::fs::read(path) {
            Ok(bytes) => SecretBytes::new(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::create_key_file(path, rng)?,
            Err(e) => return Err(key_error(path, &e.to_string())),
        };
        if key.len() != 32 {
            return Err(key_error(path, &format!("holds {} bytes, not 32; restore it from a backup", key.len())));
        }
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| key_error(path, "unusable key"))?;
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let nonces = Mutex::new(StdRng::from_seed(seed));
        wipe(&mut seed);
        Ok(SecretBox { cipher, path: path.to_path_buf(), nonces })
    }

    /// The key file for the database at `db_path`: `till.key` in the same directory.
    pub fn path_beside(db_path: &Path) -> PathBuf {
        db_path.with_file_name(KEY_FILE)
    }

    fn create_key_file(path: &Path, rng: &mut dyn RngCore) -> Result<SecretBytes> {
        let mut key = SecretBytes::new(vec![0u8; 32]);
        rng.fill_bytes(&mut key.0);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        match options.open(path) {
            Ok(mut f) => {
                f.write_all(&key).and_then(|_| f.sync_all()).map_err(|e| key_error(path, &e.to_string()))?;
                tracing::info!(path = %path.display(), "created the till's secret key file");
                Ok(key)
            }
            // Another process created it first: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                std::fs::read(path).map(SecretBytes::new).map_err(|e| key_error(path, &e.to_string()))
            }
            Err(e) => Err(key_error(path, &e.to_string())),
        }
    }

    /// Seals `plaintext` for `purpose` (bound in as associated data).
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        crate::mutex::lock(&self.nonces).fill_bytes(&mut nonce);
        let payload = Payload { msg: plaintext, aad: purpose.as_bytes() };
        // AES-GCM encryption fails only for plaintexts beyond 64 GiB; a till's secrets are tiny.
        let ciphertext = self.cipher.encrypt(Nonce::from_slice(&nonce), payload).unwrap_or_default();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Opens what [`SecretBox::seal`] sealed for the same `purpose`. Anything altered, sealed
    /// for another purpose or under another key file is [`PosError::SecretUnreadable`].
    pub fn open(&self, purpose: &str, sealed: &[u8]) -> Result<SecretBytes> {
        let unreadable = || PosError::SecretUnreadable(purpose.to_string());
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
            return Err(unreadable());
        }
        let (nonce, ciphertext) = sealed[1..].split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad: purpose.as_bytes() })
            .map(SecretBytes::new)
            .map_err(|_| unreadable())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    fn boxed(dir: &tempfile::TempDir) -> SecretBox {
        SecretBox::load(&dir.path().join(KEY_FILE), &mut StdRng::seed_from_u64(1)).unwrap()
    }

    #[test]
    fn seals_and_opens_and_the_key_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let b = boxed(&dir);
        let sealed = b.seal("payment-platform-key", b"secret bytes");
        assert_eq!(sealed.len(), 1 + 12 + 12 + 16);
        assert!(!sealed.windows(6).any(|w| w == b"secret"));
        assert_eq!(&*b.open("payment-platform-key", &sealed).unwrap(), b"secret bytes");
        // two seals of the same secret differ (fresh nonce)
        assert_ne!(b.seal("p", b"x"), b.seal("p", b"x"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // the same key file opens it again after a restart
        let again = SecretBox::load(&dir.path().join(KEY_FILE), &mut StdRng::seed_from_u64(2)).unwrap();
        assert_eq!(&*again.open("payment-platform-key", &sealed).unwrap(), b"secret bytes");
        assert_eq!(format!("{:?}", again.open("payment-platform-key", &sealed).unwrap()), "SecretBytes(<12 bytes>)");
    }

    #[test]
    fn tampering_another_purpose_or_another_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let b = boxed(&dir);
        let sealed = b.seal("payment-platform-key", b"secret bytes");
        let code = |r: Result<SecretBytes>| r.unwrap_err().code();
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(code(b.open("payment-platform-key", &bad)), ErrorCode::SecretUnreadable, "byte {i}");
        }
        assert_eq!(code(b.open("points-pairing-key", &sealed)), ErrorCode::SecretUnreadable);
        assert_eq!(code(b.open("payment-platform-key", &sealed[..20])), ErrorCode::SecretUnreadable);
        assert_eq!(code(b.open("payment-platform-key", &[])), ErrorCode::SecretUnreadable);
        let other_dir = tempfile::tempdir().unwrap();
        let other = SecretBox::load(&other_dir.path().join(KEY_FILE), &mut StdRng::seed_from_u64(7)).unwrap();
        assert_eq!(code(other.open("payment-platform-key", &sealed)), ErrorCode::SecretUnreadable);
    }

    #[test]
    fn a_damaged_key_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), b"short").unwrap();
        assert!(SecretBox::load(&dir.path().join(KEY_FILE), &mut StdRng::seed_from_u64(1)).is_err());
        assert_eq!(std::fs::read(dir.path().join(KEY_FILE)).unwrap(), b"short");
    }
}
