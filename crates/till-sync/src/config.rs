//! What the worker needs to know: where the server is, who this till is, how patient to be.
//! The client's part of it (URL, terminal, secret, timeouts, trusted roots) is what a
//! [`till_client::ClientConfig`] holds; [`SyncConfig`] adds the worker's own settings.

use crate::backoff::BackoffPolicy;
use crate::error::SyncError;
use std::time::Duration;
use till_client::{check_base_url, CertPin, ClientConfig, Secret};
use till_core::ServerEventKind;

/// How events travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Up to `batch_size` events per `POST /v1/sync/batch`, one result each.
    Batched,
    /// One request per event to the event's own endpoint.
    OneByOne,
}

/// The remote services events go to; a merchant may run each on its own server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// `sale.recorded`, and the device services (`service_order.recorded`,
    /// `software_update.recorded`), which live beside the sold-data list.
    Sales,
    /// `refund.requested`, and the photos of refunds' defects (`refund.photo`), which the
    /// seller sees beside the refunds.
    Refunds,
    /// `points.enrolled`, `points.updated`, `points.reversed`.
    Points,
    /// `payment.forward`.
    Payments,
}

impl Service {
    /// The service of a server event kind (`wire::prepare`'s `wire_kind`); `None` for a kind no
    /// service takes (it goes to the base URL, which refuses it).
    pub fn for_wire_kind(wire_kind: &str) -> Option<Service> {
        Some(match ServerEventKind::parse(wire_kind).ok()? {
            ServerEventKind::Sale => Service::Sales,
            ServerEventKind::Refund | ServerEventKind::RefundPhoto => Service::Refunds,
            ServerEventKind::PointsEnrol | ServerEventKind::PointsUpdate | ServerEventKind::PointsReversal => {
                Service::Points
            }
            ServerEventKind::PaymentAuthorize | ServerEventKind::PaymentReversal | ServerEventKind::PaymentCode => {
                Service::Payments
            }
            ServerEventKind::ServiceOrder | ServerEventKind::SoftwareUpdate => Service::Sales,
        })
    }
}

/// A base URL per service; `None` means the configuration's `base_url`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServiceUrls {
    /// Sales.
    pub sales: Option<String>,
    /// Refunds.
    pub refunds: Option<String>,
    /// Loyalty points.
    pub points: Option<String>,
    /// Card payments forwarded after an offline approval.
    pub payments: Option<String>,
}

impl ServiceUrls {
    fn slot(&mut self, service: Service) -> &mut Option<String> {
        match service {
            Service::Sales => &mut self.sales,
            Service::Refunds => &mut self.refunds,
            Service::Points => &mut self.points,
            Service::Payments => &mut self.payments,
        }
    }

    fn get(&self, service: Service) -> Option<&str> {
        match service {
            Service::Sales => self.sales.as_deref(),
            Service::Refunds => self.refunds.as_deref(),
            Service::Points => self.points.as_deref(),
            Service::Payments => self.payments.as_deref(),
        }
    }
}

/// Configuration of a [`crate::Syncer`] / [`crate::SyncWorker`].
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// `https://host[:port]` (no trailing path; `http://` only to this computer, see
    /// [`till_client::check_base_url`]): where every service's events go unless `service_urls`
    /// names another server for it.
    pub base_url: String,
    /// A server per service, each defaulting to `base_url` (set with
    /// [`SyncConfig::set_service_url`]).
    pub service_urls: ServiceUrls,
    /// The terminal id printed by `till-server terminals add`.
    pub terminal_id: String,
    /// The terminal's secret.
    pub secret: Secret,
    /// The store name the server files sales under.
    pub store_name: String,
    /// Longest wait for a TCP (and TLS) connection.
    pub connect_timeout: Duration,
    /// Longest wait for a whole request's answer; past it the attempt counts as failed (and
    /// may still have been applied: the retry finds the stored answer).
    pub request_timeout: Duration,
    /// Most events per batch (the server takes up to 1000).
    pub batch_size: usize,
    /// Batched or one by one.
    pub delivery: Delivery,
    /// How long a claim holds before another worker may take the event again. Longer than
    /// `request_timeout`.
    pub lease: Duration,
    /// Waits between attempts.
    pub backoff: BackoffPolicy,
    /// Longest sleep of an idle worker before it looks at the outbox again (a nudge wakes it
    /// at once).
    pub idle_poll: Duration,
    /// PEM certificates to trust instead of the system's roots, for a shop's own server with a
    /// private CA or a self-signed certificate (`None`: the system's trust store).
    pub trusted_roots_pem: Option<Vec<u8>>,
    /// The SHA-256 fingerprint of the servers' own certificate: only that certificate is
    /// accepted (see [`till_client::ClientConfig::pinned_cert`]).
    pub pinned_cert: Option<CertPin>,
    /// Where the platform's device identifier key comes from (the till); without it, events
    /// naming a device wait in the outbox (docs/device-services.md).
    pub device_keys: Option<crate::DeviceKeys>,
    /// How often the worker pulls the catalogue from HQ after an outbox round (at start, then
    /// at most this often, at once again while pages remain); `None`: never.
    pub catalogue_every: Option<Duration>,
    /// Catalogue changes asked for per page (the server takes 1 to 5000).
    pub catalogue_page: i64,
    /// Catalogue pages applied per round at most, so the outbox is served between them during
    /// a long first sync.
    pub catalogue_pages_per_round: usize,
}

impl SyncConfig {
    /// A configuration with the defaults: 10 s request timeout, 3 s connect timeout, batches of
    /// 200, 60 s lease, backoff 0.5 s doubling to 5 min, 5 s idle poll.
    pub fn new(base_url: &str, terminal_id: &str, secret: Secret) -> Self {
        SyncConfig {
            base_url: base_url.trim_end_matches('/').to_string(),
            service_urls: ServiceUrls::default(),
            terminal_id: terminal_id.to_string(),
            secret,
            store_name: "main".to_string(),
            connect_timeout: Duration::from_secs(3),
            request_timeout: Duration::from_secs(10),
            batch_size: 200,
            delivery: Delivery::Batched,
            lease: Duration::from_secs(60),
            backoff: BackoffPolicy::default(),
            idle_poll: Duration::from_secs(5),
            trusted_roots_pem: None,
            pinned_cert: None,
            device_keys: None,
            catalogue_every: Some(Duration::from_secs(10)),
            catalogue_page: crate::catalogue::DEFAULT_PAGE,
            catalogue_pages_per_round: 20,
        }
    }

    /// Sends `service`'s events to `url` (no trailing path) instead of the base URL.
    pub fn set_service_url(&mut self, service: Service, url: &str) {
        *self.service_urls.slot(service) = Some(url.trim_end_matches('/').to_string());
    }

    /// The base URL of `service`'s server.
    pub fn service_url(&self, service: Service) -> &str {
        self.service_urls.get(service).unwrap_or(&self.base_url)
    }

    /// The base URL an event of this server kind goes to.
    pub fn url_for(&self, wire_kind: &str) -> &str {
        match Service::for_wire_kind(wire_kind) {
            Some(service) => self.service_url(service),
            None => &self.base_url,
        }
    }

    /// Checks what can be checked without the network.
    pub fn validate(&self) -> Result<(), SyncError> {
        let urls = [Service::Sales, Service::Refunds, Service::Points, Service::Payments]
            .into_iter()
            .filter_map(|s| self.service_urls.get(s));
        for url in urls {
            check_base_url(url)?;
        }
        // The base URL and the terminal id, as the client checks them.
        ClientConfig::from(self).validate()?;
        if !(1..=till_api::MAX_BATCH_EVENTS).contains(&self.batch_size) {
            return Err(SyncError::Config("the batch size is 1 to 1000".into()));
        }
        if self.store_name.trim().is_empty() || self.store_name.chars().count() > 64 {
            return Err(SyncError::Config("the store name is 1 to 64 characters".into()));
        }
        if self.lease <= self.request_timeout {
            return Err(SyncError::Config("the lease must be longer than the request timeout".into()));
        }
        Ok(())
    }
}

/// The client's part of the configuration: base URL, terminal, secret, timeouts, trusted roots
/// and pin.
/// (So `till_client::Client::new(&sync_config)` works.)
impl From<&SyncConfig> for ClientConfig {
    fn from(c: &SyncConfig) -> Self {
        ClientConfig {
            base_url: c.base_url.clone(),
            terminal_id: c.terminal_id.clone(),
            secret: c.secret.clone(),
            connect_timeout: c.connect_timeout,
            request_timeout: c.request_timeout,
            trusted_roots_pem: c.trusted_roots_pem.clone(),
            pinned_cert: c.pinned_cert,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_parse_from_hex_and_never_print() {
        let s = Secret::from_hex(&format!("{}\n", "ab".repeat(32))).unwrap();
        assert_eq!(s.bytes()[0], 0xab);
        assert_eq!(format!("{s:?}"), "Secret(..)");
        assert!(Secret::from_hex("abcd").is_err());
        assert!(Secret::from_hex(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn validation() {
        let mut c = SyncConfig::new("http://127.0.0.1:1/", "t1", Secret::new([0; 32]));
        assert_eq!(c.base_url, "http://127.0.0.1:1");
        assert!(c.validate().is_ok());
        c.batch_size = 0;
        assert!(c.validate().is_err());
        c.batch_size = 10;
        c.base_url = "ftp://x".into();
        assert!(c.validate().is_err());
    }

    #[test]
    fn each_service_defaults_to_the_base_url() {
        let mut c = SyncConfig::new("http://127.0.0.1:1", "t1", Secret::new([0; 32]));
        c.set_service_url(Service::Payments, "http://127.0.0.1:2/");
        c.set_service_url(Service::Points, "http://127.0.0.1:2");
        assert_eq!(c.url_for("sale"), "http://127.0.0.1:1");
        assert_eq!(c.url_for("refund"), "http://127.0.0.1:1");
        assert_eq!(c.url_for("points_enrol"), "http://127.0.0.1:2");
        assert_eq!(c.url_for("points_update"), "http://127.0.0.1:2");
        assert_eq!(c.url_for("points_reversal"), "http://127.0.0.1:2");
        assert_eq!(Service::for_wire_kind("points_reversal"), Some(Service::Points));
        assert_eq!(c.url_for("payment_authorize"), "http://127.0.0.1:2");
        assert_eq!(c.url_for("mystery"), "http://127.0.0.1:1");
        assert!(c.validate().is_ok());
        c.set_service_url(Service::Refunds, "ftp://x");
        assert!(c.validate().is_err());
        // Every service's server is held to the https rule, not only the base URL.
        c.set_service_url(Service::Refunds, "http://shop-server:8787");
        assert!(c.validate().unwrap_err().to_string().contains("use https://"));
        c.set_service_url(Service::Refunds, "https://shop-server:8787");
        assert!(c.validate().is_ok());
    }

    #[test]
    fn the_client_gets_the_client_part_and_errors_keep_their_sync_codes() {
        let mut c = SyncConfig::new("https://a.example/", "t1", Secret::new([9; 32]));
        c.request_timeout = Duration::from_secs(4);
        c.trusted_roots_pem = Some(b"pem".to_vec());
        c.pinned_cert = Some(CertPin::new([3; 32]));
        c.set_service_url(Service::Points, "https://b.example");
        let client = ClientConfig::from(&c);
        assert_eq!(
            client,
            ClientConfig {
                base_url: "https://a.example".into(),
                terminal_id: "t1".into(),
                secret: till_client::Secret::new([9; 32]),
                connect_timeout: Duration::from_secs(3),
                request_timeout: Duration::from_secs(4),
                trusted_roots_pem: Some(b"pem".to_vec()),
                pinned_cert: Some(CertPin::new([3; 32])),
            }
        );
        c.terminal_id = " ".into();
        let e = c.validate().unwrap_err();
        assert_eq!((e.code(), e.to_string().as_str()), ("sync_config", "sync configuration: the terminal id is empty"));
        let e = SyncError::from(Secret::from_hex("abcd").unwrap_err());
        assert_eq!(e.code(), "sync_config");
    }
}
