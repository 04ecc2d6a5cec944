//! Till's signed HTTP client: every request a till makes to its remote till-server (the sync
//! worker's events, the payment platform, lookups at the counter, the installer's connection
//! test) goes through one [`Client`].
//!
//! A request carries the four signing headers of docs/api.md ("Signing"): the terminal id, the
//! unix-seconds timestamp, a fresh 16-byte nonce and the HMAC-SHA256 signature computed by
//! [`till_core::signing`], which the server verifies with the same function. State-changing
//! requests also carry an `Idempotency-Key`. Every request has a connect and a total timeout;
//! TLS is rustls with the ring provider (no native TLS), trusting the system's roots or the PEM
//! certificates of a shop's own server. The answer is the status and the body text: what they
//! mean is the caller's business.
//!
//! ```no_run
//! use till_client::{Client, ClientConfig, Secret};
//! use rand::SeedableRng;
//! let config = ClientConfig::new("https://sync.example", "t_3f9c0a1b2c3d4e5f", Secret::new([0; 32]));
//! let client = Client::new(&config).unwrap();
//! let mut rng = rand::rngs::StdRng::from_entropy();
//! let answer = client.send("GET", "/v1/ping", b"", None, 1_795_000_000, &mut rng).unwrap();
//! println!("{} {}", answer.status, answer.body);
//! ```
//!
//! [`enrolment::exchange`] is the one unsigned call: a one-time enrolment code exchanged for the
//! terminal's id and secret, under the same TLS rules.
//!
//! Time and randomness are the caller's: the signing time and the RNG for nonces are passed in.

pub mod answer;
pub mod client;
pub mod config;
pub mod enrolment;
pub mod error;
pub mod signing;
pub mod tls;

pub use client::{Client, HttpAnswer};
pub use config::{check_base_url, ClientConfig, Secret};
pub use error::{ClientError, EnrolError, SendError};
pub use tls::CertPin;
