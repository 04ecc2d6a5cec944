//! Till's sync engine: drains the durable outbox to the remote till-server, each event taking
//! effect there exactly once.
//!
//! A sale (refund, points change) commits locally together with its outbox event. The
//! [`SyncWorker`] claims due events, fixes each one's request body the first time and stores it,
//! sends them in batches (`POST /v1/sync/batch`) or one by one, signed (through till-client's
//! [`till_client::Client`]) and keyed
//! by the event id (`Idempotency-Key`), and records the server's answer in the same transaction
//! that marks the event done. Network errors, timeouts, 401, 408, 429 and 5xx are retried with
//! capped exponential backoff and jitter ([`backoff`]) with the byte-identical body; any other
//! 4xx parks the event with the reason for a manager. Because the server stores its answer per
//! key in the same transaction as the effect, a retry after a lost answer replays the stored
//! answer and changes nothing. [`status`] gives the always-visible status line and the guard
//! that refuses logging out while events wait. After its outbox round the worker also pulls the
//! catalogue from HQ ([`catalogue`]). Time and randomness are injected.
//!
//! ```no_run
//! use std::sync::Arc;
//! use rand::SeedableRng;
//! use till_client::Secret;
//! use till_core::SystemClock;
//! use till_sync::{SyncConfig, SyncWorker};
//! let store = Arc::new(till_store::Store::open("till.db".as_ref()).unwrap());
//! let config = SyncConfig::new("https://sync.example", "t-1", Secret::new([0; 32]));
//! let rng = Box::new(rand::rngs::StdRng::from_entropy());
//! let worker = SyncWorker::start(store, config, Arc::new(SystemClock), rng).unwrap();
//! println!("{}", worker.status().unwrap().summary());
//! // dropping the worker stops it
//! ```

pub mod backoff;
pub mod catalogue;
pub mod config;
pub mod device_keys;
pub mod error;
pub mod status;
pub mod wire;
pub mod worker;

pub use backoff::BackoffPolicy;
pub use catalogue::CataloguePull;
pub use config::{Delivery, Service, ServiceUrls, SyncConfig};
pub use device_keys::DeviceKeys;
pub use error::{SendError, SyncError};
pub use status::{ensure_nothing_pending, read_status, LiveStatus, SyncStatus};
pub use worker::{RoundReport, SyncWorker, Syncer, Verdict};
