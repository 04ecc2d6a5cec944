//! The server key and what it seals: terminal secrets, points keys and the stored answers of the
//! idempotency table never reach the database in clear.
//!
//! The key is 32 random bytes in a file of its own (64 hex digits, mode 0600), made at the first
//! start beside the database (`server.db` → `server.db.key`) or at the path the installer gives
//! (`--key-file`, e.g. `/etc/till-server/server.key`, so a copy of the data directory alone
//! yields nothing). Each value is sealed with AES-256-GCM under a fresh random 96-bit nonce; the
//! associated data names what the value is and which row it belongs to ([`Purpose`]), so a sealed
//! value moved to another row or column does not open.
//!
//! Sealed text is `s1.` + base64url (no padding) of `nonce (12) || ciphertext || tag (16)`.
//!
//! Why seal rather than derive points keys from a master key with HKDF: the accounts enrolled
//! before this change have random keys that no derivation can reproduce, terminal secrets are
//! shown once and must be kept anyway, and an idempotent replay of an enrolment must return the
//! stored answer byte for byte; one mechanism covers all three.

use crate::error::RepoError;
use crate::private_files;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The prefix of a sealed value (format version 1).
const SEALED_PREFIX: &str = "s1.";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// What a sealed value is, and so the associated data it is sealed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose<'a> {
    /// A terminal's signing secret, bound to the terminal id.
    TerminalSecret(&'a str),
    /// A points account's key `k_c`, bound to the account id.
    PointsKey(&'a str),
    /// The stored answer of an idempotency key, bound to the terminal and the key.
    IdempotentAnswer(&'a str, &'a str),
    /// An order's pickup code, bound to the platform's order id.
    PickupCode(&'a str),
    /// A service provider's shared secret, bound to its public account id.
    ProviderSecret(&'a str),
    /// The platform's device identifier key, bound to its id (schema version 10).
    DeviceIdentifierKey(&'a str),
}

impl Purpose<'_> {
    fn associated_data(&self) -> Vec<u8> {
        let parts: Vec<&str> = match self {
            Purpose::TerminalSecret(id) => vec!["till-server terminal secret v1", id],
            Purpose::PointsKey(id) => vec!["till-server points key v1", id],
            Purpose::IdempotentAnswer(t, k) => vec!["till-server idempotent answer v1", t, k],
            Purpose::PickupCode(id) => vec!["till-server pickup code v1", id],
            Purpose::ProviderSecret(id) => vec!["till-server provider secret v1", id],
            Purpose::DeviceIdentifierKey(id) => vec!["till-server device identifier key v1", id],
        };
        // NUL cannot occur in ids or keys (they are checked visible ASCII), so the join is
        // unambiguous.
        parts.join("\0").into_bytes()
    }
}

/// The server key: seals and opens values.
pub struct ServerKey {
    cipher: Aes256Gcm,
    id: String,
}

impl std::fmt::Debug for ServerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key itself.
        f.debug_struct("ServerKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl ServerKey {
    /// A key from its 32 bytes.
    pub fn from_bytes(key: &[u8; 32]) -> ServerKey {
        // A one-way fingerprint: SHA-256 of a label and the key, so the id reveals nothing of it.
        let mut h = Sha256::new();
        h.update(b"till-server key id v1\0");
        h.update(key);
        let id = hex::encode(&h.finalize()[..8]);
        ServerKey { cipher: Aes256Gcm::new(key.into()), id }
    }

    /// A public fingerprint of the key (16 hex digits), stored in the database so that the server
    /// refuses to start with another key than the one its values were sealed with.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Reads the key file at `path`. It must be the owner's only (no group or other bits).
    pub fn load(path: &Path) -> Result<ServerKey, RepoError> {
        private_files::check_owner_only(path)?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| RepoError::Key(format!("cannot read the key file {}: {e}", path.display())))?;
        let bytes = hex::decode(text.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| RepoError::Key(format!("the key file {} is not 64 hex digits", path.display())))?;
        Ok(ServerKey::from_bytes(&bytes))
    }

    /// Makes a new random key and writes it to `path` (which must not exist) with mode 0600,
    /// creating its directory with mode 0700 if needed.
    pub fn create(path: &Path) -> Result<ServerKey, RepoError> {
        let mut key = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private_files::create_private_dir(dir)?;
        }
        let mut file = private_files::create_new_private_file(path)?;
        let written = file.write_all(format!("{}\n", hex::encode(key)).as_bytes()).and_then(|()| file.sync_all());
        if let Err(e) = written {
            // A half-written key file must not be found at the next start.
            let _ = std::fs::remove_file(path);
            return Err(RepoError::Key(format!("cannot write the key file {}: {e}", path.display())));
        }
        private_files::sync_dir_of(path);
        Ok(ServerKey::from_bytes(&key))
    }

    /// Seals `plain` for `purpose` under a fresh random nonce.
    pub fn seal(&self, purpose: Purpose<'_>, plain: &[u8]) -> Result<String, RepoError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = purpose.associated_data();
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad: &aad })
            .map_err(|_| RepoError::Key("sealing failed".into()))?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Opens a value sealed for `purpose`; anything else (another key, another row, changed
    /// bytes, a value in clear) is refused as damaged data.
    pub fn open(&self, purpose: Purpose<'_>, sealed: &str) -> Result<Vec<u8>, RepoError> {
        let damaged = || RepoError::Corrupt(format!("a sealed value ({purpose:?}) does not open with the server key"));
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b64| URL_SAFE_NO_PAD.decode(b64).ok())
            .filter(|b| b.len() >= NONCE_LEN + TAG_LEN)
            .ok_or_else(damaged)?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let aad = purpose.associated_data();
        self.cipher.decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: &aad }).map_err(|_| damaged())
    }

    /// [`ServerKey::open`] for a value that was text.
    pub fn open_text(&self, purpose: Purpose<'_>, sealed: &str) -> Result<String, RepoError> {
        String::from_utf8(self.open(purpose, sealed)?)
            .map_err(|_| RepoError::Corrupt(format!("a sealed value ({purpose:?}) is not text")))
    }
}

/// Where the key file is when none is configured: beside the database, `<database>.key`.
pub fn default_key_path(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_else(|| "till-server.db".into());
    name.push(".key");
    db.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_for_their_purpose_and_key() {
        let k = ServerKey::from_bytes(&[7u8; 32]);
        let s = k.seal(Purpose::TerminalSecret("t_1"), b"secret").unwrap();
        assert!(s.starts_with("s1."));
        assert_eq!(k.open(Purpose::TerminalSecret("t_1"), &s).unwrap(), b"secret");
        // A fresh nonce every time.
        assert_ne!(s, k.seal(Purpose::TerminalSecret("t_1"), b"secret").unwrap());
        // Another row, another purpose, another key, a changed byte, a value in clear: refused.
        assert!(k.open(Purpose::TerminalSecret("t_2"), &s).is_err());
        assert!(k.open(Purpose::PointsKey("t_1"), &s).is_err());
        assert!(ServerKey::from_bytes(&[8u8; 32]).open(Purpose::TerminalSecret("t_1"), &s).is_err());
        let mut bad = s.clone().into_bytes();
        let last = bad.len() - 2;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert!(k.open(Purpose::TerminalSecret("t_1"), &String::from_utf8(bad).unwrap()).is_err());
        assert!(k.open(Purpose::TerminalSecret("t_1"), "00ff").is_err());
        // The AAD separates its parts.
        let a = k.seal(Purpose::IdempotentAnswer("t", "ab"), b"x").unwrap();
        assert!(k.open(Purpose::IdempotentAnswer("ta", "b"), &a).is_err());
    }

    #[test]
    fn the_key_file_is_made_once_owner_only_and_read_back() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("etc/till-server/server.key");
        let made = ServerKey::create(&path).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), 0o600);
        assert_eq!(mode(path.parent().unwrap()), 0o700);
        assert_eq!(ServerKey::load(&path).unwrap().id(), made.id());
        // Never overwritten.
        assert!(ServerKey::create(&path).is_err());
        // A key file others can read is refused, not used.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = ServerKey::load(&path).unwrap_err().to_string();
        assert!(e.contains("0644"), "{e}");
        assert_eq!(default_key_path(Path::new("/var/lib/x/server.db")), Path::new("/var/lib/x/server.db.key"));
    }
}
