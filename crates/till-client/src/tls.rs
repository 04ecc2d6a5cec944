//! Which server certificates the till trusts: the system's roots (the default), the PEM
//! certificates of a shop's own CA ([`crate::ClientConfig::trusted_roots_pem`]), or one pinned
//! certificate, named by the SHA-256 fingerprint of its DER bytes ([`CertPin`]).
//!
//! A pin is checked by [`PinnedCertVerifier`], a rustls certificate verifier: the server's
//! end-entity certificate must hash to the pinned value (compared in constant time), and the
//! handshake signature must verify under that certificate's key, so only the holder of the
//! pinned certificate's private key can complete the handshake. With a pin alone the certificate
//! is trusted as it is (self-signed, any name, any dates: it is the one the installer pinned);
//! with a CA too, the chain and the host name are checked as well. Renewing a pinned server's
//! certificate means pinning the new one.

use crate::error::ClientError;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The SHA-256 fingerprint of a server certificate (of its DER bytes), as the installer pins it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CertPin([u8; 32]);

impl CertPin {
    /// From the 32 bytes of the hash.
    pub fn new(sha256: [u8; 32]) -> Self {
        CertPin(sha256)
    }

    /// The fingerprint of a certificate given as DER.
    pub fn of_der(der: &[u8]) -> Self {
        CertPin(Sha256::digest(der).into())
    }

    /// From 64 hex digits, either case, with or without `:` or spaces between the bytes, as
    /// `openssl x509 -noout -fingerprint -sha256` prints it (its `sha256 Fingerprint=` prefix
    /// may stay).
    pub fn parse(text: &str) -> Result<Self, ClientError> {
        let text = text.trim();
        let digits = text.rsplit_once('=').map_or(text, |(_, after)| after);
        let digits: String = digits.chars().filter(|c| *c != ':' && !c.is_whitespace()).collect();
        let bad = || {
            ClientError::Config(
                "the certificate fingerprint is a SHA-256: 64 hex digits, pairs may be separated by ':'".into(),
            )
        };
        let bytes = hex::decode(&digits).map_err(|_| bad())?;
        Ok(CertPin(bytes.try_into().map_err(|_| bad())?))
    }

    /// The 32 bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Upper-case hex pairs separated by `:`, as openssl prints fingerprints.
impl fmt::Display for CertPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let pairs: Vec<String> = self.0.iter().map(|b| format!("{b:02X}")).collect();
        f.write_str(&pairs.join(":"))
    }
}

impl fmt::Debug for CertPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertPin({self})")
    }
}

/// The rustls verifier of a pinned certificate; see the module docs.
#[derive(Debug)]
pub struct PinnedCertVerifier {
    pin: CertPin,
    /// The CA's chain and host name check, when a CA was given with the pin.
    chain: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let seen = CertPin::of_der(end_entity.as_ref());
        if !bool::from(seen.0.ct_eq(&self.pin.0)) {
            return Err(rustls::Error::General(format!(
                "the server's certificate (SHA-256 {seen}) is not the pinned certificate (SHA-256 {})",
                self.pin
            )));
        }
        if let Some(chain) = &self.chain {
            chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)?;
        }
        Ok(ServerCertVerified::assertion())
    }

    // The handshake signature proves the server holds the pinned certificate's private key; a
    // copy of the (public) certificate alone does not pass.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The rustls configuration of a client that trusts only the pinned certificate (and, when
/// `roots_pem` is given, requires it to chain to one of those roots for the URL's host too).
pub fn pinned_config(pin: CertPin, roots_pem: Option<&[u8]>) -> Result<rustls::ClientConfig, ClientError> {
    let provider: Arc<CryptoProvider> = Arc::new(rustls::crypto::ring::default_provider());
    let chain = match roots_pem {
        None => None,
        Some(pem) => {
            let mut roots = rustls::RootCertStore::empty();
            for cert in CertificateDer::pem_slice_iter(pem) {
                let cert =
                    cert.map_err(|e| ClientError::Config(format!("the trusted certificates are not PEM: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| ClientError::Config(format!("a trusted certificate cannot be used: {e}")))?;
            }
            if roots.is_empty() {
                return Err(ClientError::Config("no certificate in the trusted certificates file".into()));
            }
            let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                .build()
                .map_err(|e| ClientError::Config(format!("the trusted certificates cannot be used: {e}")))?;
            Some(verifier)
        }
    };
    let verifier = PinnedCertVerifier { pin, chain, algorithms: provider.signature_verification_algorithms };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Build(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_parse_as_openssl_prints_them_and_print_the_same() {
        let hex64 = "ab".repeat(32);
        let pin = CertPin::parse(&hex64).unwrap();
        assert_eq!(pin.bytes(), &[0xab; 32]);
        let shown = pin.to_string();
        assert_eq!(shown.len(), 95);
        assert!(shown.starts_with("AB:AB:"));
        assert_eq!(CertPin::parse(&shown).unwrap(), pin);
        assert_eq!(CertPin::parse(&format!("sha256 Fingerprint={shown}\n")).unwrap(), pin);
        assert_eq!(CertPin::parse(&format!(" {} ", "AB ".repeat(32))).unwrap(), pin);
        for bad in ["", "abcd", &"zz".repeat(32), &"ab".repeat(33), "sha256 Fingerprint="] {
            assert!(CertPin::parse(bad).is_err(), "{bad:?}");
        }
        // The SHA-256 of the empty string, a known value.
        assert_eq!(
            CertPin::of_der(b"").bytes().to_vec(),
            hex::decode("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855").unwrap()
        );
    }

    #[test]
    fn a_pin_builds_a_configuration_and_bad_roots_are_refused() {
        assert!(pinned_config(CertPin::new([1; 32]), None).is_ok());
        assert!(matches!(pinned_config(CertPin::new([1; 32]), Some(b"no pem here")), Err(ClientError::Config(_))));
    }
}
