//! Errors of the domain: each names what was wrong with the input, so the UI can say it.

/// Everything the domain can refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    /// An arithmetic result does not fit in the money type.
    #[error("amount overflow")]
    Overflow,
    /// Two amounts in different currencies were combined.
    #[error("currency mismatch: {0} vs {1}")]
    CurrencyMismatch(String, String),
    /// Not a three-letter ISO 4217 code we know.
    #[error("unknown currency code {0:?}")]
    UnknownCurrency(String),
    /// A barcode with the wrong length or characters.
    #[error("not a barcode: {0:?} (EAN-13, EAN-8 or UPC-A digits expected)")]
    BarcodeFormat(String),
    /// A barcode whose check digit does not match.
    #[error("barcode {code:?} has a bad check digit (expected {expected})")]
    BarcodeCheckDigit {
        /// The code as scanned.
        code: String,
        /// The check digit the rest of the code calls for.
        expected: u8,
    },
    /// A SKU that is empty, too long, or has characters we do not allow.
    #[error("invalid SKU {0:?}")]
    InvalidSku(String),
    /// A quantity outside 1..=MAX_LINE_QUANTITY.
    #[error("quantity {0} is not allowed (1 to {max})", max = crate::cart::MAX_LINE_QUANTITY)]
    InvalidQuantity(i64),
    /// A price below zero.
    #[error("negative price")]
    NegativePrice,
    /// A tax rate outside 0..=100%.
    #[error("tax rate {0} basis points is out of range")]
    InvalidTaxRate(i64),
    /// No cart line with that number.
    #[error("no cart line {0}")]
    NoSuchLine(u32),
    /// Text that is not a customer's payment code.
    #[error("{0}")]
    NotAPaymentCode(String),
    /// A line origin with an unknown kind or an unusable reference.
    #[error("invalid line origin {0:?}")]
    InvalidLineOrigin(String),
    /// A line whose quantity was set by its origin (an order to collect, a priced service).
    #[error("line {0} comes from an order or a service: its quantity cannot be changed, only removed")]
    FixedLine(u32),
    /// Checkout of a cart without lines.
    #[error("the cart is empty")]
    EmptyCart,
    /// Cash tendered is less than the amount due.
    #[error("tendered {tendered} is less than the total {due}")]
    InsufficientTender {
        /// Amount due, formatted.
        due: String,
        /// Amount tendered, formatted.
        tendered: String,
    },
    /// Text that is not a plain decimal amount such as `12.50`.
    #[error("not an amount: {0:?}")]
    InvalidAmount(String),
    /// A negative amount where only positive ones make sense.
    #[error("amount must not be negative")]
    NegativeAmount,
    /// A line code that is malformed or fails its check character.
    #[error("invalid line code {0:?}")]
    InvalidLineCode(String),
    /// A PAN that is not 12 to 19 digits.
    #[error("invalid card number")]
    InvalidPan,
    /// A role name we do not know.
    #[error("unknown role {0:?}")]
    UnknownRole(String),
    /// An identifier (order, cart, payment, event, terminal, session) of the wrong form.
    #[error("invalid {kind}: {value:?}")]
    InvalidId {
        /// Which kind of id.
        kind: &'static str,
        /// The text given (at most 80 characters of it).
        value: String,
    },
    /// An event kind we do not know (outbox or server kind).
    #[error("unknown event kind {0:?}")]
    UnknownEventKind(String),
    /// A device role name we do not know (`card-reader`, `points-terminal`).
    #[error("unknown device role {0:?}")]
    UnknownDeviceRole(String),
    /// An IMEI, MEID, ESN or serial number that is malformed (an IMEI's check digit included).
    #[error("invalid device identifier {0}")]
    InvalidDeviceIdentifier(String),
    /// A serialised product's line without its device identifier.
    #[error("line {0} is a serialised product: scan or type its IMEI or serial number first")]
    MissingDeviceIdentifier(u32),
    /// The same device twice in one cart.
    #[error("device {0} is already in the cart")]
    DuplicateDeviceIdentifier(String),
    /// Not an enrolment message (`TILL-ENROL 1 <account> <key> <server>`).
    #[error("not a points enrolment message")]
    InvalidEnrolment,
    /// A loyalty token (or what it should allow) that cannot be read.
    #[error("loyalty token: {0}")]
    InvalidLoyaltyToken(&'static str),
    /// A device identifier for a product that is not serialised.
    #[error("line {0} is not a serialised product")]
    NotSerialised(u32),
}
