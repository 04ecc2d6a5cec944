//! Whether this till may take cards, and who answers: card authorisation fails closed.
//!
//! Outside demo mode a card is authorised by the payment platform only, and only once it is set
//! up: the installer's server settings name a payments server (URL, terminal id, sealed
//! secret), the payment platform key is set, and Test connection has reached that payments
//! server with exactly those settings ([`crate::sync::settings::payments_tested`]). Until then
//! [`Pos::payment_start`] and [`Pos::payment_swipe_text`] refuse before the reader is armed,
//! and [`Pos::payment_authorize`] refuses too, with [`PaymentError::NotSetUp`]
//! (`card_payments_not_set_up`) saying what is missing. Nothing approves by default.
//!
//! The Test connection is required, not only the settings: a typing mistake in the URL or the
//! secret would otherwise surface as the first customer's card failing at the counter. The
//! platform key is not checked by the ping (the platform checks it on every card); a wrong key
//! shows as `payment_platform_refused` on the first card.
//!
//! The stand-in ([`crate::sale::card::authorizer::StandInAuthorizer`]), which approves any
//! unexpired Luhn-valid test card, exists only in a till opened in demo mode
//! ([`crate::PosConfig::demo`] with `demo: true`): there it answers while no payments server is
//! configured, and the payment platform (the local sandbox of `make run`) answers once one is.
//! A test or tool that wants a particular authoriser names it in
//! [`crate::PosConfig::authorizer`].

use crate::error::{PaymentError, Result};
use crate::sale::card::authorizer::PaymentAuthorizer;
use crate::sync::settings::SyncCredentials;
use crate::Pos;
use std::sync::Arc;

/// Who answers a card payment as the till is set up now.
pub(crate) enum Answerer {
    /// The authoriser named in the configuration (tests, tools).
    Fixed(Arc<dyn PaymentAuthorizer>),
    /// The payment platform at the payments server of these credentials.
    Platform(SyncCredentials),
    /// The demo till's stand-in (no payments server configured).
    StandIn(Arc<dyn PaymentAuthorizer>),
}

/// What a till outside demo mode still lacks before it takes cards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// No server settings (payments URL, terminal id, secret).
    PaymentsServer,
    /// No payment platform key.
    PlatformKey,
    /// The payments server has not passed Test connection with the settings saved now.
    ConnectionTest,
}

impl Missing {
    /// In words, for the cashier and the installer.
    pub fn words(self) -> &'static str {
        match self {
            Missing::PaymentsServer => "no payments server is configured",
            Missing::PlatformKey => "no payment platform key is set",
            Missing::ConnectionTest => "the payments server has not passed Test connection with the saved settings",
        }
    }
}

impl Pos {
    /// What is missing before this till may take cards; empty when it may. A demo till, or one
    /// given an authoriser, lacks nothing.
    pub fn card_payments_missing(&self) -> Result<Vec<Missing>> {
        let cp = &self.sale.card_payments;
        if cp.fixed.is_some() || cp.stand_in.is_some() {
            return Ok(Vec::new());
        }
        let mut missing = Vec::new();
        let configured = self.sync_credentials()?.is_some();
        if !configured {
            missing.push(Missing::PaymentsServer);
        }
        if cp.keys.get().is_none() {
            missing.push(Missing::PlatformKey);
        }
        if configured && !crate::sync::settings::payments_tested(self)? {
            missing.push(Missing::ConnectionTest);
        }
        Ok(missing)
    }

    /// Who answers a card payment now, or [`PaymentError::NotSetUp`] when nobody may.
    pub(crate) fn card_answerer(&self) -> Result<Answerer> {
        let cp = &self.sale.card_payments;
        if let Some(fixed) = &cp.fixed {
            return Ok(Answerer::Fixed(fixed.clone()));
        }
        let creds = self.sync_credentials()?;
        if let Some(stand_in) = &cp.stand_in {
            // Demo mode: the platform when one is configured, else the stand-in.
            return Ok(creds.map_or_else(|| Answerer::StandIn(stand_in.clone()), Answerer::Platform));
        }
        let missing = self.card_payments_missing()?;
        match creds {
            Some(creds) if missing.is_empty() => Ok(Answerer::Platform(creds)),
            _ => {
                let words: Vec<&str> = missing.iter().map(|m| m.words()).collect();
                Err(PaymentError::NotSetUp(words.join(", ")).into())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ipc::sale::CardPaymentStatus;
    use crate::ipc::sync::SyncSettingsInput;
    use crate::sale::card::remote_authorizer::tests::Server;
    use crate::sale::card::tests::start_payment;
    use crate::tests::{CASHIER, INSTALLER};
    use crate::{ErrorCode, PosConfig, SystemClock};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    const TEA: &str = "6901234567892";
    const SWIPE: &str = "%B4111111111111111^DOE/JANE^2812101000000000?;4111111111111111=28121010000000000?";

    fn config(dir: &tempfile::TempDir, demo: bool, seed: u64) -> PosConfig {
        PosConfig {
            demo,
            card_reader: "sim://card-reader?delay_ms=1".into(),
            // The real time: the payments server checks signing times against its own.
            clock: Arc::new(SystemClock),
            rng: Box::new(StdRng::seed_from_u64(seed)),
            ..PosConfig::demo(dir.path().join("till.db"))
        }
    }

    /// A shop's till, set up with the demo users and catalogue.
    fn shop_till() -> (tempfile::TempDir, Pos) {
        let dir = tempfile::tempdir().unwrap();
        let pos = Pos::open(config(&dir, false, 2)).unwrap();
        crate::setup::tests::finish_setup_with_demo_data(&pos);
        (dir, pos)
    }

    fn orders(p: &Pos) -> i64 {
        p.store().read(|c| Ok(c.query_row("SELECT count(*) FROM orders", [], |r| r.get(0))?)).unwrap()
    }

    #[test]
    fn outside_demo_no_card_is_taken_until_a_payment_platform_is_set_up() {
        let (_dir, p) = shop_till();
        assert!(!p.app_info().unwrap().demo_mode);
        assert_eq!(p.card_payments_missing().unwrap(), [Missing::PaymentsServer, Missing::PlatformKey]);
        let session = p.login(CASHIER, "1111").unwrap();
        // The cashier screen knows from the login: the Card button says "not set up" at once.
        assert!(!session.card_payments_ready);
        let t = session.token;
        let cart = p.cart_scan(&t, TEA).unwrap();
        // The reader is not even armed; before, the stand-in approved this card as `SIM…`.
        let e = start_payment(&p, &t, &cart.cart_id).err().unwrap();
        assert_eq!(e.code(), ErrorCode::CardPaymentsNotSetUp, "{e}");
        let message = e.to_string();
        assert!(message.contains("not set up") && message.contains("no payments server"), "{message}");
        let (watch, _pushed) = crate::sale::card::tests::Pushed::listen();
        let e = p.payment_swipe_text(&t, &cart.cart_id, SWIPE.into(), watch).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CardPaymentsNotSetUp);
        // Nothing was sold, the cart is as it was, and cash still works.
        assert_eq!(orders(&p), 0);
        assert_eq!(p.cart_get(&t).unwrap().cart_id, cart.cart_id);
        p.checkout_cash(&t, &cart.cart_id, cart.total.minor()).unwrap();
    }

    #[test]
    fn without_a_platform_key_that_is_missing_too() {
        // A shop's till starts with no key (a demo till gets the sandbox's).
        let (_dir, p) = shop_till();
        assert_eq!(p.card_payments_missing().unwrap(), [Missing::PaymentsServer, Missing::PlatformKey]);
        let Err(e) = p.card_answerer() else { panic!("a till without a platform has an authoriser") };
        assert!(e.to_string().contains("no payment platform key is set"), "{e}");
    }

    #[test]
    fn outside_demo_the_platform_answers_once_set_up_and_tested() {
        let (_dir, p) = shop_till();
        let i = p.login(INSTALLER, "3333").unwrap().token;
        p.platform_key_set(&i, crate::sale::card::platform_key::DEMO_KEY_HEX).unwrap();
        let server = Server::start(&p.sale.card_payments.keys.get().unwrap());
        let input = |secret: &str| SyncSettingsInput {
            sales_url: server.url(),
            refunds_url: String::new(),
            points_url: String::new(),
            payments_url: String::new(),
            terminal_id: server.terminal_id.clone(),
            secret: secret.into(),
            cert_sha256: String::new(),
            ca_pem: String::new(),
        };
        p.sync_settings_set(&i, input(&server.secret_hex)).unwrap();
        // Settings alone are not enough: they have not been tried.
        assert_eq!(p.card_payments_missing().unwrap(), [Missing::ConnectionTest]);
        let t = p.login(CASHIER, "1111").unwrap().token;
        let cart = p.cart_scan(&t, TEA).unwrap();
        let e = start_payment(&p, &t, &cart.cart_id).err().unwrap();
        assert_eq!(e.code(), ErrorCode::CardPaymentsNotSetUp);
        assert!(e.to_string().contains("Test connection"), "{e}");
        assert!(!p.login(CASHIER, "1111").unwrap().card_payments_ready);
        assert!(p.sync_test_connection(&i).unwrap().ok);
        assert!(p.card_payments_missing().unwrap().is_empty());
        assert!(p.login(CASHIER, "1111").unwrap().card_payments_ready);
        let (v, pushed) = start_payment(&p, &t, &cart.cart_id).unwrap();
        assert_eq!(pushed.read().status, CardPaymentStatus::Signature);
        p.payment_sign(&t, &v.payment_id, None).unwrap();
        let receipt = p.payment_authorize(&t, &v.payment_id).unwrap();
        // The platform's own six-digit code, not the stand-in's.
        let code = receipt.payment.auth_code.unwrap();
        assert!(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()), "{code}");
        assert_eq!(server.authorizations(), [(v.payment_id.to_string(), "approved".to_string())]);
        // New settings (the secret entered again) need a new test.
        p.sync_settings_set(&i, input(&server.secret_hex)).unwrap();
        assert_eq!(p.card_payments_missing().unwrap(), [Missing::ConnectionTest]);
        let cart = p.cart_scan(&t, TEA).unwrap();
        assert_eq!(start_payment(&p, &t, &cart.cart_id).err().unwrap().code(), ErrorCode::CardPaymentsNotSetUp);
    }

    #[test]
    fn a_demo_till_keeps_its_stand_in() {
        let dir = tempfile::tempdir().unwrap();
        let p = Pos::open(config(&dir, true, 1)).unwrap();
        assert!(p.card_payments_missing().unwrap().is_empty());
        assert!(p.login(CASHIER, "1111").unwrap().card_payments_ready);
        assert!(matches!(p.card_answerer(), Ok(Answerer::StandIn(_))));
    }
}
