//! The server's configuration: policies, the limits that keep a client from starving the others,
//! and the sandbox payment platform's keys and test cards.
//!
//! Everything has a default so `till-server serve` runs with no file; `--config FILE` reads a JSON
//! object whose fields override the defaults (see docs/api.md for the format).

use serde::{Deserialize, Serialize};

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Name the server puts in enrolment messages (`TILL-ENROL 1 <account> <key> <server-id>`).
    pub server_id: String,
    /// Customers whose reputation is at or above this are refunded at once (CN102982479A);
    /// below it a refund waits for the seller's confirmation.
    pub refund_reputation_threshold: i64,
    /// Points levels, each reached at `min_points` (CN101986339A).
    pub levels: Vec<Level>,
    /// Promotions offered from a level upwards.
    pub promotions: Vec<Promotion>,
    /// The sandbox payment platform.
    pub sandbox: SandboxConfig,
    /// Body sizes, timeouts and concurrency.
    pub limits: Limits,
    /// The service relay: how long a provider has to answer, how often paid notices go out.
    pub services: ServicesConfig,
}

/// The default largest request body (every route but the batch).
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// The default largest batch body (a batch of 1,000 sales fits).
pub const DEFAULT_BATCH_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// What one client may take of the server: body sizes, time, connections and requests at once.
/// Durations are in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest request body, except `POST /v1/sync/batch` (413 `payload_too_large`).
    pub body_limit_bytes: usize,
    /// Largest body of `POST /v1/sync/batch` (a batch of 1,000 sales fits).
    pub batch_body_limit_bytes: usize,
    /// Time a client has to send a whole request header, counted from when the connection is
    /// ready for a request: just opened, or the previous answer sent. A connection that sends
    /// nothing, half a header, or no new request on a kept-alive connection is closed after it.
    pub header_read_timeout_ms: u64,
    /// A connection on which nothing is read or written for this long is closed, whatever it is
    /// doing (a body stopped halfway, an answer the client does not read).
    pub idle_timeout_ms: u64,
    /// A request not answered within this time (waiting for a slot, reading the body and the
    /// work included) gets 503 `request_timeout`; its effect may still commit, and a retry with
    /// the same idempotency key finds it.
    pub request_timeout_ms: u64,
    /// Requests served at once; more wait for a slot.
    pub max_concurrent_requests: usize,
    /// How long a request waits for a slot before it is refused with 503 `server_busy`.
    pub queue_timeout_ms: u64,
    /// Open connections at once; more wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// SQLite connections that only read (lookups, the signing check), beside the one writer.
    pub read_connections: usize,
    /// PostgreSQL connections in the pool (reads and writes; writes also wait for the write
    /// lock, so more connections than requests at once buy nothing).
    pub database_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            body_limit_bytes: DEFAULT_BODY_LIMIT,
            batch_body_limit_bytes: DEFAULT_BATCH_BODY_LIMIT,
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 30_000,
            request_timeout_ms: 15_000,
            max_concurrent_requests: 64,
            queue_timeout_ms: 2_000,
            max_connections: 1024,
            read_connections: 4,
            database_connections: 16,
        }
    }
}

impl Limits {
    /// Checks that every limit is usable: nothing zero, a batch at least as large as a request.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("limits.body_limit_bytes", self.body_limit_bytes as u64),
            ("limits.batch_body_limit_bytes", self.batch_body_limit_bytes as u64),
            ("limits.header_read_timeout_ms", self.header_read_timeout_ms),
            ("limits.idle_timeout_ms", self.idle_timeout_ms),
            ("limits.request_timeout_ms", self.request_timeout_ms),
            ("limits.max_concurrent_requests", self.max_concurrent_requests as u64),
            ("limits.queue_timeout_ms", self.queue_timeout_ms),
            ("limits.max_connections", self.max_connections as u64),
            ("limits.read_connections", self.read_connections as u64),
            ("limits.database_connections", self.database_connections as u64),
        ];
        if let Some((name, _)) = positive.iter().find(|(_, v)| *v == 0) {
            return Err(format!("{name} must be above 0"));
        }
        if self.batch_body_limit_bytes < self.body_limit_bytes {
            return Err("limits.batch_body_limit_bytes must be at least limits.body_limit_bytes".into());
        }
        Ok(())
    }
}

/// A points level.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Level {
    /// Name shown to the customer, e.g. `silver`.
    pub name: String,
    /// Balance from which the level applies.
    pub min_points: i64,
}

/// A promotion offered to accounts at `min_level` or above: till-api's, as accounts show it.
pub use till_api::points::Promotion;

/// Keys and rules of the sandbox payment platform.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// AES-256 platform key (hex) for `platform_gcm` card blocks.
    pub platform_key: String,
    /// TDES base derivation keys, chosen by the leading hex digits of the KSN.
    pub tdes_bdks: Vec<TdesBdk>,
    /// AES base derivation keys, chosen by the BDK id (first 4 bytes of the KSN).
    pub aes_bdks: Vec<AesBdk>,
    /// Cards with a scripted outcome.
    pub test_cards: Vec<TestCard>,
    /// Whether a card not in `test_cards` that passes Luhn and expiry is approved.
    pub approve_unknown_cards: bool,
    /// Amounts above this many minor units are declined with `amount_limit`.
    pub amount_limit_minor: i64,
}

/// A TDES BDK.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TdesBdk {
    /// Hex prefix of the KSN (the key set id) this BDK serves, e.g. `FFFF987654`.
    pub ksn_prefix: String,
    /// The 16-byte double-length key, hex.
    pub bdk: String,
}

/// An AES BDK.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AesBdk {
    /// The 4-byte BDK id, hex.
    pub bdk_id: String,
    /// The AES-128 key, hex.
    pub bdk: String,
}

/// A test card and what the sandbox answers for it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestCard {
    /// The full test PAN (never a real card).
    pub pan: String,
    /// `approve` or a decline reason code such as `insufficient_funds`.
    pub outcome: String,
    /// If set, the card needs this PIN; a missing PIN declines `pin_required`, a wrong one
    /// `incorrect_pin`.
    #[serde(default)]
    pub pin: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            server_id: "till-server".into(),
            refund_reputation_threshold: 60,
            levels: vec![
                Level { name: "member".into(), min_points: 0 },
                Level { name: "silver".into(), min_points: 1_000 },
                Level { name: "gold".into(), min_points: 5_000 },
            ],
            promotions: vec![
                Promotion { id: "silver-tea-5".into(), min_level: "silver".into(), text: "5% off tea".into() },
                Promotion {
                    id: "gold-gift".into(),
                    min_level: "gold".into(),
                    text: "A free gift at the counter".into(),
                },
            ],
            sandbox: SandboxConfig::default(),
            limits: Limits::default(),
            services: ServicesConfig::default(),
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> Self {
        // The public test keys of ANSI X9.24-1 and X9.24-3 and a sandbox platform key: this is a
        // sandbox, and these keys protect nothing.
        SandboxConfig {
            platform_key: "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f".into(),
            tdes_bdks: vec![TdesBdk {
                ksn_prefix: "FFFF987654".into(),
                bdk: "0123456789ABCDEFFEDCBA9876543210".into(),
            }],
            aes_bdks: vec![AesBdk { bdk_id: "12345678".into(), bdk: "FEDCBA9876543210F1F1F1F1F1F1F1F1".into() }],
            test_cards: vec![
                TestCard { pan: "4111111111111111".into(), outcome: "approve".into(), pin: None },
                TestCard { pan: "5555555555554444".into(), outcome: "approve".into(), pin: Some("1234".into()) },
                TestCard { pan: "4000000000000002".into(), outcome: "do_not_honour".into(), pin: None },
                TestCard { pan: "4000000000009995".into(), outcome: "insufficient_funds".into(), pin: None },
                TestCard { pan: "4000000000000119".into(), outcome: "processing_error".into(), pin: None },
            ],
            approve_unknown_cards: true,
            amount_limit_minor: 100_000_000,
        }
    }
}

impl Config {
    /// Reads a JSON configuration file; absent fields keep their defaults.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let config: Config = serde_json::from_str(text).map_err(|e| e.to_string())?;
        config.validate()?;
        Ok(config)
    }

    /// Checks what serde cannot: keys are hex of the right length, levels are ordered.
    pub fn validate(&self) -> Result<(), String> {
        let key_len = |hex_key: &str, len: usize, what: &str| match hex::decode(hex_key) {
            Ok(k) if k.len() == len => Ok(()),
            _ => Err(format!("{what} must be {len} bytes of hex")),
        };
        key_len(&self.sandbox.platform_key, 32, "sandbox.platform_key")?;
        for b in &self.sandbox.tdes_bdks {
            key_len(&b.bdk, 16, "a TDES bdk")?;
        }
        for b in &self.sandbox.aes_bdks {
            key_len(&b.bdk, 16, "an AES bdk")?;
            key_len(&b.bdk_id, 4, "an AES bdk_id")?;
        }
        self.limits.validate()?;
        if self.levels.is_empty() || self.levels.windows(2).any(|w| w[0].min_points >= w[1].min_points) {
            return Err("levels must be non-empty and in increasing min_points".into());
        }
        for p in &self.promotions {
            if !self.levels.iter().any(|l| l.name == p.min_level) {
                return Err(format!("promotion {} names an unknown level {}", p.id, p.min_level));
            }
        }
        Ok(())
    }

    /// The level of a balance: the highest whose `min_points` it reaches.
    pub fn level_of(&self, balance: i64) -> &str {
        self.levels.iter().rev().find(|l| balance >= l.min_points).or(self.levels.first()).map_or("", |l| &l.name)
    }

    /// The promotions offered at `level`: those whose `min_level` is at or below it.
    pub fn promotions_for(&self, level: &str) -> Vec<Promotion> {
        let rank = |name: &str| self.levels.iter().position(|l| l.name == name);
        let Some(at) = rank(level) else { return Vec::new() };
        self.promotions.iter().filter(|p| rank(&p.min_level).is_some_and(|r| r <= at)).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid_and_levels_promote() {
        let c = Config::default();
        c.validate().unwrap();
        assert_eq!(c.level_of(0), "member");
        assert_eq!(c.level_of(999), "member");
        assert_eq!(c.level_of(1000), "silver");
        assert_eq!(c.level_of(10_000), "gold");
        assert!(c.promotions_for("member").is_empty());
        assert_eq!(c.promotions_for("silver").len(), 1);
        assert_eq!(c.promotions_for("gold").len(), 2);
    }

    #[test]
    fn a_partial_file_keeps_defaults_and_bad_keys_are_refused() {
        let c = Config::from_json(r#"{"refund_reputation_threshold": 80}"#).unwrap();
        assert_eq!(c.refund_reputation_threshold, 80);
        assert_eq!(c.server_id, "till-server");
        assert!(Config::from_json(r#"{"sandbox": {"platform_key": "00"}}"#).is_err());
        assert!(Config::from_json(r#"{"nonsense": 1}"#).is_err());
        let c = Config::from_json(r#"{"limits": {"request_timeout_ms": 500}}"#).unwrap();
        assert_eq!((c.limits.request_timeout_ms, c.limits.body_limit_bytes), (500, 1024 * 1024));
        assert!(Config::from_json(r#"{"limits": {"max_concurrent_requests": 0}}"#).is_err());
        assert!(Config::from_json(r#"{"limits": {"batch_body_limit_bytes": 10}}"#).is_err());
        assert!(Config::from_json(r#"{"limits": {"header_timeout": 1}}"#).is_err());
    }
}

/// The service relay's timing (crate::services).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServicesConfig {
    /// How long a provider has to answer one call (a round, a follow, a paid notice), ms. Below
    /// the till's own wait for the round (10 s), so the till hears the provider's failure.
    pub provider_timeout_ms: u64,
    /// How often due paid notices are delivered, ms.
    pub notify_interval_ms: u64,
}

impl Default for ServicesConfig {
    fn default() -> Self {
        ServicesConfig { provider_timeout_ms: 5_000, notify_interval_ms: 1_000 }
    }
}
