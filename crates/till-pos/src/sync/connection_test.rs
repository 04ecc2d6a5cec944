//! Test connection: a signed `GET /v1/ping` to each distinct URL of the saved server settings,
//! and a verdict that names exactly what failed (the URL, DNS, a refused connection, TLS or a
//! wrong pin, a timeout, an answer not signed by the server, the clock, the credentials). A
//! payments server that answers is remembered for exactly the settings it was tried with.

use super::settings::{settings_digest, PaymentsTested, PAYMENTS_TESTED, SETTING, SKEW_WARN_SECS, TEST_TIMEOUT};
use crate::admin::permissions::Command;
use crate::error::{PosError, Result};
use crate::ipc::sync::{ConnectionCheck, ConnectionOutcome, ConnectionTest, Service};
use crate::mutex::lock;
use crate::Pos;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde::Deserialize;
use serde_json::json;
use till_core::SessionToken;

impl Pos {
    /// Test connection (installers): a signed `GET /v1/ping` to each distinct URL of the saved
    /// settings, each failure named exactly.
    pub fn sync_test_connection(&self, token: &SessionToken) -> Result<ConnectionTest> {
        let s = self.authorize(token, Command::SyncTestConnection)?;
        let settings_text = self.store.setting(SETTING)?;
        let creds = self.sync_credentials()?.ok_or(PosError::SyncNotConfigured)?;
        let mut groups: Vec<(String, Vec<Service>)> = Vec::new();
        for service in Service::ALL {
            let url = creds.urls.get(service).to_string();
            match groups.iter_mut().find(|(u, _)| *u == url) {
                Some((_, services)) => services.push(service),
                None => groups.push((url, vec![service])),
            }
        }
        let mut rng = StdRng::from_rng(&mut **lock(&self.rng)).map_err(|e| PosError::Internal(e.to_string()))?;
        let checks: Vec<ConnectionCheck> = groups
            .into_iter()
            .map(|(url, services)| {
                let mut config = creds.client_config(&url);
                config.connect_timeout = TEST_TIMEOUT;
                config.request_timeout = TEST_TIMEOUT;
                let mut check = ping(&config, self.now_ms().div_euclid(1000), &mut rng);
                check.services = services;
                check
            })
            .collect();
        let ok = checks.iter().all(|c| c.outcome == ConnectionOutcome::Ok);
        tracing::info!(ok, "server connection tested");
        let payments_ok =
            checks.iter().any(|c| c.services.contains(&Service::Payments) && c.outcome == ConnectionOutcome::Ok);
        if let (true, Some(text)) = (payments_ok, settings_text) {
            let url = creds.urls.get(Service::Payments).to_string();
            let record = PaymentsTested { settings_sha256: settings_digest(&text), url, at_ms: self.now_ms() };
            let json = serde_json::to_string(&record).map_err(|e| PosError::Internal(e.to_string()))?;
            let detail = json!({ "url": record.url });
            self.store.write(|tx| {
                till_store::settings::put(tx, PAYMENTS_TESTED, &json)?;
                till_store::audit::append(tx, record.at_ms, Some(s.user_id), "payments.platform_tested", &detail)
            })?;
        }
        Ok(ConnectionTest { ok, checks })
    }
}

/// One signed ping and its verdict.
fn ping(config: &till_client::ClientConfig, now_s: i64, rng: &mut StdRng) -> ConnectionCheck {
    let check = |outcome, message: String, skew_s, server_id| ConnectionCheck {
        services: Vec::new(),
        url: config.base_url.clone(),
        outcome,
        message,
        skew_s,
        server_id,
    };
    let client = match till_client::Client::new(config) {
        Ok(c) => c,
        Err(e) => return check(ConnectionOutcome::InvalidUrl, e.to_string(), None, None),
    };
    let answer = match client.send("GET", "/v1/ping", b"", None, now_s, rng) {
        Ok(a) => a,
        Err(e) => {
            let (outcome, message) = classify_send_error(&e, config);
            return check(outcome, message, None, None);
        }
    };
    #[derive(Deserialize)]
    struct Pong {
        server_id: String,
        server_time: i64,
    }
    #[derive(Deserialize)]
    struct ErrorBody {
        code: String,
        message: String,
    }
    if answer.status == 200 {
        return match serde_json::from_str::<Pong>(&answer.body) {
            Ok(p) => {
                let skew = p.server_time - now_s;
                if skew.abs() > SKEW_WARN_SECS {
                    check(ConnectionOutcome::ClockSkew, skew_message(skew), Some(skew), Some(p.server_id))
                } else {
                    let msg = format!("connected to server {}; clocks agree within {} s", p.server_id, skew.abs());
                    check(ConnectionOutcome::Ok, msg, Some(skew), Some(p.server_id))
                }
            }
            Err(_) => check(
                ConnectionOutcome::ServerError,
                format!("the server answered 200 but not as a till-server: {}", snippet(&answer.body)),
                None,
                None,
            ),
        };
    }
    let Ok(err) = serde_json::from_str::<ErrorBody>(&answer.body) else {
        return check(
            ConnectionOutcome::ServerError,
            format!("the server answered HTTP {}: {}", answer.status, snippet(&answer.body)),
            None,
            None,
        );
    };
    let terminal = &config.terminal_id;
    match err.code.as_str() {
        "unknown_terminal" => check(
            ConnectionOutcome::UnknownTerminal,
            format!("the server does not know terminal {terminal:?}; check the terminal id"),
            None,
            None,
        ),
        "bad_signature" => check(
            ConnectionOutcome::BadSecret,
            format!("the server knows terminal {terminal:?} but the signature does not verify: the secret is wrong"),
            None,
            None,
        ),
        "terminal_disabled" => check(
            ConnectionOutcome::TerminalDisabled,
            format!("terminal {terminal:?} is disabled on the server"),
            None,
            None,
        ),
        "stale_timestamp" => {
            // "timestamp is N s away from the server clock": N is server minus till.
            let skew = err
                .message
                .strip_prefix("timestamp is ")
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse::<i64>().ok());
            let message =
                skew.map_or_else(|| format!("the server refused the till's clock: {}", err.message), skew_message);
            check(ConnectionOutcome::ClockSkew, message, skew, None)
        }
        _ => check(
            ConnectionOutcome::ServerError,
            format!("the server answered HTTP {} {}: {}", answer.status, err.code, err.message),
            None,
            None,
        ),
    }
}

fn skew_message(skew: i64) -> String {
    let way = if skew > 0 { "behind" } else { "ahead of" };
    format!(
        "clock skew of {} s: the till's clock is {} s {way} the server's; set the till's clock",
        skew.abs(),
        skew.abs()
    )
}

fn snippet(body: &str) -> String {
    body.chars().take(120).collect()
}

/// Names a failed exchange from the error chain reqwest gives (DNS, refused, TLS, timeout).
fn classify_send_error(e: &till_client::SendError, config: &till_client::ClientConfig) -> (ConnectionOutcome, String) {
    let host = config.base_url.split("://").nth(1).unwrap_or(&config.base_url).to_string();
    match e {
        till_client::SendError::Timeout(ms) => {
            (ConnectionOutcome::Timeout, format!("no answer from {host} within {} s", ms / 1000))
        }
        till_client::SendError::UnverifiedAnswer(text) => (
            ConnectionOutcome::UnverifiedAnswer,
            format!(
                "{host} answered, but not as this terminal's till-server: {text}; the server does not sign \
                 its answers (an older version?) or something on the way changes them"
            ),
        ),
        till_client::SendError::AnswerTooLarge(max) => {
            (ConnectionOutcome::ServerError, format!("{host} answered with more than {max} bytes; refused"))
        }
        till_client::SendError::Network(text) | till_client::SendError::BadAnswer(text) => {
            let lower = text.to_lowercase();
            if lower.contains("dns error")
                || lower.contains("failed to lookup address")
                || lower.contains("name or service not known")
            {
                (ConnectionOutcome::DnsFailed, format!("DNS lookup failed: {} does not resolve", host_only(&host)))
            } else if lower.contains("connection refused") {
                (ConnectionOutcome::ConnectionRefused, format!("connection refused: nothing listens at {host}"))
            } else if lower.contains("timed out") {
                (ConnectionOutcome::Timeout, format!("no answer from {host} in time"))
            } else if lower.contains("certificate")
                || lower.contains("tls")
                || lower.contains("handshake")
                || lower.contains("corrupt message")
                || lower.contains("invalidcontenttype")
            {
                (ConnectionOutcome::TlsFailed, format!("TLS handshake with {host} failed: {}", last_cause(text)))
            } else {
                (ConnectionOutcome::NetworkError, format!("network error talking to {host}: {}", last_cause(text)))
            }
        }
    }
}

fn host_only(host_port: &str) -> &str {
    match host_port.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => h,
        _ => host_port,
    }
}

/// The innermost cause of a `a: b: c` error chain, which says what really happened.
fn last_cause(text: &str) -> &str {
    text.rsplit(": ").next().unwrap_or(text)
}
