//! The payment platform client: [`RemoteAuthorizer`] sends an [`AuthorizationRequest`] to
//! `POST /v1/payments/authorize` (docs/api.md) over the sync engine's signed HTTP client
//! ([`till_client::Client`]), with the payment id as `Idempotency-Key` and a timeout.
//!
//! What the answer means for the till:
//!
//! | answer | outcome |
//! | --- | --- |
//! | 200 `approved` / `declined` | [`AuthorizationResponse`] |
//! | no answer (refused, reset, DNS, TLS), past the timeout, 408, 429, 5xx, an answer without the server's valid answer signature or over 8 MiB (till-client refuses it) | [`PaymentError::Unreachable`]: **not** a decline, and never the approval it may claim; the card flow may approve offline ([`crate::sale::offline_forward`]) |
//! | 422 `replayed_card_block` | a decline, reason code `replayed_card_block`: the reader's block was used before (a copied or replayed read), so the cashier has the card swiped again or takes another tender |
//! | any other 4xx | [`PaymentError::PlatformRefused`] with the server's `code` |
//!
//! The body ([`request_body`]) carries only protected card data: the `platform_gcm` block the
//! till encrypted the moment the card was read (or an encrypting reader's DUKPT block with its
//! KSN) and the ISO 9564 format 4 PIN block. A retry with the same payment id sends the same
//! body and gets the platform's stored answer: a payment is authorised once.

use crate::admin::secrets::wipe_string;
use crate::error::PaymentError;
use crate::error::{PosError, Result};
use crate::mutex::lock;
use crate::sale::card::authorizer::{AuthorizationRequest, AuthorizationResponse, PaymentAuthorizer, PlatformCardData};
use rand::rngs::StdRng;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use till_client::Client;
use till_client::ClientConfig;
use till_core::Clock;

/// How long the till waits for the platform's answer unless the installer sets otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// The platform's path.
pub const AUTHORIZE_PATH: &str = "/v1/payments/authorize";

/// The card part of the request (`card` in docs/api.md).
fn card_json(data: &PlatformCardData, masked_pan: &str) -> Value {
    match data {
        PlatformCardData::Encrypted(e) => {
            let mut bytes = e.nonce.to_vec();
            bytes.extend_from_slice(&e.ciphertext);
            json!({ "scheme": "platform_gcm", "data": hex::encode(bytes), "masked_pan": masked_pan })
        }
        PlatformCardData::ReaderBlock(b) => {
            // Track 2 carries what a payment needs; track 1 when the reader sent no track 2.
            let track = b.tracks[1].as_ref().or(b.tracks[0].as_ref()).map(hex::encode).unwrap_or_default();
            let (scheme, variant) = if b.ksn.len() == 12 {
                ("aes_dukpt", Value::Null)
            } else if b.scheme.to_ascii_lowercase().contains("data") {
                ("tdes_dukpt", json!("data"))
            } else {
                ("tdes_dukpt", json!("pin"))
            };
            json!({ "scheme": scheme, "data": track, "ksn": hex::encode(&b.ksn), "key_variant": variant,
                    "masked_pan": masked_pan })
        }
    }
}

/// The JSON body of `POST /v1/payments/authorize` for `r`. `order_id` is the cart's checkout
/// key: the order number does not exist before the payment is approved.
pub fn request_body(r: &AuthorizationRequest) -> String {
    let mut body = json!({
        "payment_id": r.payment_id,
        "order_id": r.order_ref,
        "amount": { "minor": r.amount.minor(), "currency": r.amount.currency().code() },
        "card": card_json(&r.card_data, r.masked_pan.as_str()),
    });
    if let Some(block) = &r.pin_block {
        body["pin_block"] = json!(hex::encode(block.bytes()));
    }
    body.to_string()
}

/// Where the platform is and how patient to be.
#[derive(Debug, Clone)]
pub struct RemoteConfig {
    /// The payments service's base URL, its terminal id and secret (the server settings).
    pub client: ClientConfig,
    /// Longest wait for an answer; past it the platform counts as unreachable.
    pub timeout: Duration,
}

impl RemoteConfig {
    /// `client` with the default timeout.
    pub fn new(client: ClientConfig) -> Self {
        RemoteConfig { client, timeout: DEFAULT_TIMEOUT }
    }
}

/// The payment platform client; see the module docs.
pub struct RemoteAuthorizer {
    client: Client,
    clock: Arc<dyn Clock>,
    // Request nonces (the signature's); seeded from the injected RNG.
    rng: Mutex<StdRng>,
}

impl std::fmt::Debug for RemoteAuthorizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteAuthorizer").field("client", &self.client).finish()
    }
}

#[derive(Deserialize)]
struct Answer {
    status: String,
    auth_code: Option<String>,
    reason_code: Option<String>,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: String,
    message: String,
}

/// The platform's code for a reader's block it has taken before (its KSN counter is not above the
/// reader's last one): shown to the cashier as a decline of that reason.
pub const REPLAYED_CARD_BLOCK: &str = "replayed_card_block";

/// Words for the cashier for the platform's reason codes.
pub fn decline_message(reason_code: &str) -> &'static str {
    match reason_code {
        "invalid_card_number" => "invalid card number",
        "expired_card" => "expired card",
        "amount_limit" => "amount above the card's limit",
        "pin_required" => "this card needs its PIN",
        "incorrect_pin" => "incorrect PIN",
        "insufficient_funds" => "insufficient funds",
        "lost_or_stolen" => "the card is reported lost or stolen; keep it if it is safe to do so",
        "processing_error" => "the card issuer could not process it; try again or take another tender",
        REPLAYED_CARD_BLOCK => {
            "this card read was already used for another payment (a copied or replayed read); swipe the card \
             again, and if it happens again stop using this reader and call the installer"
        }
        _ => "do not honour",
    }
}

impl RemoteAuthorizer {
    /// A client for `config`; time from `clock` (signing timestamps), nonces from `rng`.
    pub fn new(config: RemoteConfig, clock: Arc<dyn Clock>, rng: StdRng) -> Result<Self> {
        let mut client = config.client;
        client.request_timeout = config.timeout;
        client.connect_timeout = config.timeout.min(client.connect_timeout);
        let client = Client::new(client).map_err(|e| PosError::InvalidInput(e.to_string()))?;
        Ok(RemoteAuthorizer { client, clock, rng: Mutex::new(rng) })
    }

    /// Sends a prepared body (as [`request_body`] made it) for `payment_id` and reads the answer.
    /// The store-and-forward path does not use this: its events go through the outbox.
    pub fn send(&self, payment_id: &str, body: &str) -> Result<AuthorizationResponse> {
        let now_s = self.clock.now_ms().div_euclid(1000);
        let sent =
            self.client.send("POST", AUTHORIZE_PATH, body.as_bytes(), Some(payment_id), now_s, &mut *lock(&self.rng));
        let answer = sent.map_err(|e| PaymentError::Unreachable(e.to_string()))?;
        interpret(answer.status, &answer.body)
    }
}

/// What an HTTP answer of the platform means (see the module docs).
pub fn interpret(status: u16, body: &str) -> Result<AuthorizationResponse> {
    if status == 200 {
        let a: Answer = serde_json::from_str(body)
            .map_err(|e| PaymentError::Internal(format!("the payment platform's answer is not readable: {e}")))?;
        return match (a.status.as_str(), a.auth_code) {
            ("approved", Some(auth_code)) => Ok(AuthorizationResponse::Approved { auth_code }),
            ("declined", _) => {
                let reason_code = a.reason_code.unwrap_or_else(|| "do_not_honour".into());
                let message = decline_message(&reason_code).to_string();
                Ok(AuthorizationResponse::Declined { reason_code, message })
            }
            (other, _) => Err(PaymentError::Internal(format!("the payment platform answered {other:?}")).into()),
        };
    }
    if till_sync::worker::is_retryable(status) && status != 401 {
        return Err(PaymentError::Unreachable(format!("the payment platform answered {status}")).into());
    }
    let (code, message) = match serde_json::from_str::<ErrorBody>(body) {
        Ok(e) => (e.code, e.message),
        Err(_) => (format!("http_{status}"), body.chars().take(200).collect()),
    };
    if status == 422 && code == REPLAYED_CARD_BLOCK {
        // Nothing was authorised: a decline the cashier can act on, not a set-up fault.
        return Err(PaymentError::Declined { message: decline_message(&code).into(), reason_code: code }.into());
    }
    Err(PaymentError::PlatformRefused { status, code, message }.into())
}

impl PaymentAuthorizer for RemoteAuthorizer {
    fn name(&self) -> &'static str {
        "payment platform"
    }

    fn authorize(&self, request: &AuthorizationRequest) -> Result<AuthorizationResponse> {
        let body = request_body(request);
        let answer = self.send(&request.payment_id, &body);
        // The body holds the encrypted card data and PIN block; do not leave it in memory.
        wipe_string(body);
        answer
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::sale::card::authorizer::EntryMode;
    use crate::sale::card::pin_block;
    use crate::sale::card::platform_key::PlatformKey;
    use crate::SystemClock;
    use rand::SeedableRng;
    use std::io::{Read, Write};
    use till_core::{CardBrand, Currency, MaskedPan, Money};
    use till_devices::SecretPan;

    /// A real till-server on 127.0.0.1 whose sandbox knows `key`.
    pub(crate) struct Server {
        pub(crate) server: till_server::server::Background,
        pub(crate) terminal_id: String,
        pub(crate) secret_hex: String,
        pub(crate) db: std::path::PathBuf,
        _dir: tempfile::TempDir,
    }

    impl Server {
        pub(crate) fn start(key: &PlatformKey) -> Server {
            let dir = tempfile::tempdir().unwrap();
            let mut config = till_server::config::Config::default();
            config.sandbox.platform_key = key.test_hex();
            let s = till_server::local::LocalServer::start(&dir.path().join("server.db"), config, None).unwrap();
            Server { server: s.background, terminal_id: s.terminal_id, secret_hex: s.secret, db: s.db, _dir: dir }
        }

        pub(crate) fn config(&self, url: &str, timeout: Duration) -> RemoteConfig {
            let secret = till_client::Secret::from_hex(&self.secret_hex).unwrap();
            RemoteConfig { client: ClientConfig::new(url, &self.terminal_id, secret), timeout }
        }

        pub(crate) fn url(&self) -> String {
            self.server.url()
        }

        /// Authorisations the platform recorded: (payment id, status: approved, declined or
        /// reversed).
        pub(crate) fn authorizations(&self) -> Vec<(String, String)> {
            let c = rusqlite::Connection::open(&self.db).unwrap();
            let mut s = c.prepare("SELECT payment_id, status FROM authorizations ORDER BY payment_id").unwrap();
            let rows = s.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap();
            rows.map(|r| r.unwrap()).collect()
        }

        /// Reversals the platform recorded: (payment id, whether it had authorised it).
        pub(crate) fn reversals(&self) -> Vec<(String, bool)> {
            let c = rusqlite::Connection::open(&self.db).unwrap();
            let mut s = c.prepare("SELECT payment_id, authorised FROM payment_reversals ORDER BY payment_id").unwrap();
            let rows = s.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? == 1))).unwrap();
            rows.map(|r| r.unwrap()).collect()
        }
    }

    pub(crate) fn authorizer(config: RemoteConfig) -> RemoteAuthorizer {
        RemoteAuthorizer::new(config, Arc::new(SystemClock), StdRng::seed_from_u64(8)).unwrap()
    }

    fn request(key: &PlatformKey, id: &str, pan: &str, pin: Option<&str>) -> AuthorizationRequest {
        let mut rng = StdRng::seed_from_u64(1);
        let data = key.encrypt_card(id, &SecretPan::new(pan.into()), "2812", &mut rng).unwrap();
        let pin_block = pin.map(|p| pin_block::encipher(&key.pin_key().unwrap(), p, pan, &mut rng).unwrap());
        AuthorizationRequest {
            payment_id: id.into(),
            order_ref: format!("cart-{id}"),
            amount: Money::new(1999, Currency::CNY),
            masked_pan: MaskedPan::from_pan(pan).unwrap(),
            brand: CardBrand::from_bin(pan),
            card_data: PlatformCardData::Encrypted(data),
            pin_required: pin.is_some(),
            pin_block,
            entry_mode: EntryMode::Magstripe,
        }
    }

    fn outcome(r: Result<AuthorizationResponse>) -> String {
        match r {
            Ok(AuthorizationResponse::Approved { auth_code }) => format!("approved {}", auth_code.len()),
            Ok(AuthorizationResponse::Declined { reason_code, .. }) => format!("declined {reason_code}"),
            Err(PosError::Payment(PaymentError::Unreachable(_))) => "unreachable".into(),
            Err(e) => format!("error {:?}", e.code()),
        }
    }

    #[test]
    fn the_sandbox_decrypts_what_the_till_encrypts_and_applies_its_rules() {
        let key = PlatformKey::random(&mut StdRng::seed_from_u64(2));
        let s = Server::start(&key);
        let a = authorizer(s.config(&s.url(), Duration::from_secs(5)));
        assert_eq!(outcome(a.authorize(&request(&key, "p1", "4111111111111111", None))), "approved 6");
        assert_eq!(outcome(a.authorize(&request(&key, "p2", "4000000000000002", None))), "declined do_not_honour");
        // the sandbox's PIN card (5555 5555 5555 4444, PIN 1234): format 4 PIN blocks
        assert_eq!(
            outcome(a.authorize(&request(&key, "p3", "5555555555554444", Some("9999")))),
            "declined incorrect_pin"
        );
        assert_eq!(outcome(a.authorize(&request(&key, "p4", "5555555555554444", None))), "declined pin_required");
        assert_eq!(outcome(a.authorize(&request(&key, "p5", "5555555555554444", Some("1234")))), "approved 6");
        // the same payment id again: the platform's stored answer, the same approval code
        let r = request(&key, "p6", "4111111111111111", None);
        let (first, again) = (a.authorize(&r).unwrap(), a.authorize(&r).unwrap());
        assert_eq!(first, again);
        // a block encrypted for another payment, or under another key, is a typed refusal
        let mut moved = request(&key, "p7", "4111111111111111", None);
        moved.payment_id = "p8".into();
        assert_eq!(outcome(a.authorize(&moved)), "error PaymentPlatformRefused");
        let other = PlatformKey::random(&mut StdRng::seed_from_u64(3));
        match a.authorize(&request(&other, "p9", "4111111111111111", None)) {
            Err(PosError::Payment(PaymentError::PlatformRefused { status, code, .. })) => {
                assert_eq!((status, code.as_str()), (422, "invalid_card_block"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_readers_block_sent_again_under_a_new_payment_is_declined_as_replayed() {
        use till_server::payments::dukpt;
        let key = PlatformKey::random(&mut StdRng::seed_from_u64(2));
        let s = Server::start(&key);
        let a = authorizer(s.config(&s.url(), Duration::from_secs(5)));
        // A MagneSafe swipe: TDES DUKPT under the sandbox's X9.24-1 test BDK, KSN counter 3.
        let ksn: [u8; 10] = hex::decode("FFFF9876543210E00003").unwrap().try_into().unwrap();
        let bdk: [u8; 16] = hex::decode("0123456789ABCDEFFEDCBA9876543210").unwrap().try_into().unwrap();
        let track2 = dukpt::encrypt::tdes_cbc_zero_padded(
            &dukpt::tdes_pin_key(&bdk, &ksn),
            b";4111111111111111=28121010000000000000?",
        );
        let block = till_devices::EncryptedBlock {
            scheme: "TDES-CBC DUKPT (PIN variant)".into(),
            ksn: ksn.to_vec(),
            device_serial: None,
            tracks: [None, Some(track2), None],
        };
        let request = |id: &str| AuthorizationRequest {
            payment_id: id.into(),
            order_ref: "cart-1".into(),
            amount: Money::new(1999, Currency::CNY),
            masked_pan: MaskedPan::from_pan("4111111111111111").unwrap(),
            brand: CardBrand::Visa,
            card_data: PlatformCardData::ReaderBlock(block.clone()),
            pin_required: false,
            pin_block: None,
            entry_mode: EntryMode::Magstripe,
        };
        let first = a.authorize(&request("p1")).unwrap();
        assert!(matches!(first, AuthorizationResponse::Approved { .. }), "{first:?}");
        // a retry of the same payment gets the platform's stored answer
        assert_eq!(a.authorize(&request("p1")).unwrap(), first);
        // the same read under another payment id: a decline the cashier can read, not an error
        match a.authorize(&request("p2")) {
            Err(PosError::Payment(PaymentError::Declined { reason_code, message })) => {
                assert_eq!(reason_code, REPLAYED_CARD_BLOCK);
                assert!(message.contains("already used"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.authorizations(), vec![("p1".to_string(), "approved".to_string())]);
    }

    #[test]
    fn no_server_and_a_slow_server_are_unreachable_not_declined() {
        let key = PlatformKey::random(&mut StdRng::seed_from_u64(2));
        // nothing listens on this port
        let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", closed.local_addr().unwrap());
        drop(closed);
        let s = Server::start(&key);
        let a = authorizer(s.config(&url, Duration::from_secs(2)));
        assert_eq!(outcome(a.authorize(&request(&key, "p1", "4111111111111111", None))), "unreachable");
        // a server that accepts and never answers: unreachable once the timeout has passed
        let slow = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", slow.local_addr().unwrap());
        let hold = std::thread::spawn(move || {
            let (mut c, _) = slow.accept().unwrap();
            let mut buf = [0u8; 4096];
            let _ = c.read(&mut buf);
            std::thread::sleep(Duration::from_millis(1500));
            let _ = c.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}");
        });
        let a = authorizer(s.config(&url, Duration::from_millis(300)));
        let started = std::time::Instant::now();
        assert_eq!(outcome(a.authorize(&request(&key, "p2", "4111111111111111", None))), "unreachable");
        assert!(started.elapsed() < Duration::from_millis(1400), "{:?}", started.elapsed());
        hold.join().unwrap();
    }

    #[test]
    fn answers_are_read_by_status() {
        let unreachable = |s| matches!(interpret(s, ""), Err(PosError::Payment(PaymentError::Unreachable(_))));
        assert!(unreachable(500) && unreachable(503) && unreachable(408) && unreachable(429));
        let e = interpret(409, r#"{"code":"payment_exists","message":"m"}"#).unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::PaymentPlatformRefused);
        assert!(e.to_string().contains("payment_exists"), "{e}");
        assert_eq!(interpret(401, "nope").unwrap_err().code(), crate::ErrorCode::PaymentPlatformRefused);
        match interpret(422, r#"{"code":"replayed_card_block","message":"counter 3 is not above 3"}"#) {
            Err(PosError::Payment(PaymentError::Declined { reason_code, message })) => {
                assert_eq!(reason_code, "replayed_card_block");
                assert!(message.contains("already used") && message.contains("swipe the card again"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(interpret(200, "not json").is_err());
        assert_eq!(
            interpret(200, r#"{"status":"declined","reason_code":"expired_card"}"#).unwrap(),
            AuthorizationResponse::Declined { reason_code: "expired_card".into(), message: "expired card".into() }
        );
    }

    #[test]
    fn the_body_carries_no_clear_card_data() {
        let key = PlatformKey::random(&mut StdRng::seed_from_u64(2));
        let body = request_body(&request(&key, "p1", "4111111111111111", Some("1234")));
        assert!(!body.contains("4111111111111111") && !body.contains("\"1234\""), "{body}");
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["card"]["scheme"], "platform_gcm");
        assert_eq!(v["card"]["masked_pan"], "411111******1111");
        assert_eq!(v["pin_block"].as_str().unwrap().len(), 32);
        assert_eq!(v["order_id"], "cart-p1");
    }
}
