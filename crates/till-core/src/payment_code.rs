//! Customers' payment codes: the barcode or QR code a wallet app shows, which the cashier scans
//! and the till sends to its payment platform with the amount (docs/payment-codes.md).
//!
//! A code is a bearer instrument for about a minute, so it is held in [`PaymentCode`], whose
//! `Debug` shows only the masked form, and it is never stored or logged in clear: the till keeps
//! [`PaymentCode::masked`] (first four and last four digits).

use crate::CoreError;

/// The wallet a payment code belongs to, told by its length and first two digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Wallet {
    /// WeChat Pay: 18 digits starting 10 to 15.
    WeChatPay,
    /// Alipay: 16 to 24 digits starting 25 to 30.
    Alipay,
    /// UnionPay QuickPass: 19 digits starting 62.
    UnionPay,
}

impl Wallet {
    /// The stored and sent name: `wechat_pay`, `alipay` or `unionpay`.
    pub fn as_str(self) -> &'static str {
        match self {
            Wallet::WeChatPay => "wechat_pay",
            Wallet::Alipay => "alipay",
            Wallet::UnionPay => "unionpay",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Result<Wallet, CoreError> {
        match s {
            "wechat_pay" => Ok(Wallet::WeChatPay),
            "alipay" => Ok(Wallet::Alipay),
            "unionpay" => Ok(Wallet::UnionPay),
            other => Err(CoreError::NotAPaymentCode(format!("unknown wallet {other:?}"))),
        }
    }

    /// The name printed on receipts.
    pub fn display_name(self) -> &'static str {
        match self {
            Wallet::WeChatPay => "WeChat Pay",
            Wallet::Alipay => "Alipay",
            Wallet::UnionPay => "UnionPay QuickPass",
        }
    }

    /// The wallet whose codes look like `digits` (already only ASCII digits).
    fn of(digits: &str) -> Option<Wallet> {
        let prefix: u8 = digits.get(..2)?.parse().ok()?;
        match (digits.len(), prefix) {
            (18, 10..=15) => Some(Wallet::WeChatPay),
            (16..=24, 25..=30) => Some(Wallet::Alipay),
            (19, 62) => Some(Wallet::UnionPay),
            _ => None,
        }
    }
}

/// A scanned payment code. Its `Debug` is masked; the clear code leaves only in the request to
/// the payment platform ([`PaymentCode::expose`]).
#[derive(Clone, PartialEq, Eq)]
pub struct PaymentCode {
    code: String,
    wallet: Wallet,
}

impl PaymentCode {
    /// The payment code in `scanned` (a scanner's text, surrounding spaces ignored), or `None`
    /// when it is not one (a product barcode, a SKU, a device identifier).
    pub fn recognise(scanned: &str) -> Option<PaymentCode> {
        let code = scanned.trim();
        if !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Wallet::of(code).map(|wallet| PaymentCode { code: code.to_string(), wallet })
    }

    /// Like [`PaymentCode::recognise`], with a typed error for text that is not a payment code.
    pub fn parse(scanned: &str) -> Result<PaymentCode, CoreError> {
        PaymentCode::recognise(scanned).ok_or_else(|| {
            CoreError::NotAPaymentCode(
                "not a payment code: WeChat Pay codes are 18 digits from 10 to 15, Alipay 16 to 24 digits from 25 \
                 to 30, UnionPay 19 digits from 62"
                    .into(),
            )
        })
    }

    /// The wallet.
    pub fn wallet(&self) -> Wallet {
        self.wallet
    }

    /// First four and last four digits, the rest as `*`: what may be stored, printed and logged.
    pub fn masked(&self) -> String {
        mask(&self.code)
    }

    /// The clear code, for the request to the payment platform only.
    pub fn expose(&self) -> &str {
        &self.code
    }
}

/// Masks a code: first four and last four digits kept.
pub fn mask(code: &str) -> String {
    let n = code.chars().count();
    code.chars().enumerate().map(|(i, c)| if i < 4 || i + 4 >= n { c } else { '*' }).collect()
}

impl std::fmt::Debug for PaymentCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentCode").field("wallet", &self.wallet).field("code", &self.masked()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallets_are_told_by_length_and_prefix() {
        let w = |s: &str| PaymentCode::recognise(s).map(|c| c.wallet());
        assert_eq!(w("134567890123456789"), Some(Wallet::WeChatPay));
        assert_eq!(w(" 104567890123456789\n"), Some(Wallet::WeChatPay));
        assert_eq!(w("154567890123456789"), Some(Wallet::WeChatPay));
        assert_eq!(w("2812345678901234"), Some(Wallet::Alipay));
        assert_eq!(w("301234567890123456789012"), Some(Wallet::Alipay));
        assert_eq!(w("6212345678901234567"), Some(Wallet::UnionPay));
        // not codes: an EAN-13, a WeChat length with another prefix, letters, an IMEI
        for s in ["6901234567892", "164567890123456789", "13456789012345678X", "352099001761481", "31123456789012345"] {
            assert_eq!(w(s), None, "{s}");
        }
    }

    #[test]
    fn a_code_is_masked_everywhere_it_can_be_seen() {
        let c = PaymentCode::parse("134567890123456789").unwrap();
        assert_eq!(c.masked(), "1345**********6789");
        assert!(!format!("{c:?}").contains("134567890123456789"));
        assert!(PaymentCode::parse("12").is_err());
        assert_eq!(Wallet::parse(c.wallet().as_str()), Ok(Wallet::WeChatPay));
    }
}
