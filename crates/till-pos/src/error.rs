//! Errors of the application layer, and their `{code, message}` form for the IPC edge.

use serde::Serialize;
use till_core::{CoreError, Role};
use till_devices::DeviceError;
use till_store::StoreError;

/// Result of an application-layer operation.
pub type Result<T> = std::result::Result<T, PosError>;

/// A stable, machine-readable error code: the UI chooses its message by this, never by text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// No session, or an unknown token.
    Unauthenticated,
    /// The session was idle too long.
    SessionExpired,
    /// The user's role may not do this.
    Forbidden,
    /// Wrong PIN.
    WrongPin,
    /// Too many wrong PINs; locked for a while.
    UserLocked,
    /// The user was deactivated.
    UserInactive,
    /// No product with that barcode or SKU.
    UnknownBarcode,
    /// A barcode with a bad check digit or length.
    InvalidBarcode,
    /// No product with that id.
    UnknownProduct,
    /// Quantity out of range.
    InvalidQuantity,
    /// Any other malformed input.
    InvalidInput,
    /// The change would alter a day already closed with a Z report.
    DayClosed,
    /// Checkout of an empty cart.
    CartEmpty,
    /// Cash tendered below the total.
    InsufficientTender,
    /// An amount too large to compute.
    AmountOverflow,
    /// This cart was already paid.
    AlreadyCheckedOut,
    /// The card could not be read.
    CardReadFailed,
    /// The swipe could not be read; the customer should swipe again.
    CardBadRead,
    /// No card was swiped in time.
    CardTimeout,
    /// The card reader is not connected.
    CardReaderDisconnected,
    /// The card payment was cancelled.
    PaymentCancelled,
    /// The card was declined.
    CardDeclined,
    /// No payment platform key is set; the installer must set one.
    PlatformKeyMissing,
    /// Card payments are not set up on this till (no payments server, no platform key, or no
    /// successful Test connection); nothing is authorised until the installer sets them up.
    CardPaymentsNotSetUp,
    /// The payment platform did not answer in time.
    PaymentPlatformUnreachable,
    /// The payment platform refused the request itself (credentials, a malformed block).
    PaymentPlatformRefused,
    /// The card was approved but the sale could not be recorded: the payment is being reversed
    /// (the customer is not charged) and the cart is kept.
    PaymentNotRecorded,
    /// A customer's payment code was scanned into the product field: take it as payment.
    PaymentCodeScanned,
    /// The wallet declined a payment code (the message says why).
    PaymentCodeDeclined,
    /// The customer did not confirm a payment code in time; it was taken back (not charged).
    PaymentCodeUnconfirmed,
    /// Payment codes need the payment platform (the payments server), which is not set up.
    PaymentCodesNotSetUp,
    /// A signature that is not what the signature pad writes.
    InvalidSignature,
    /// A secret sealed at rest does not open (key file replaced, or the data altered).
    SecretUnreadable,
    /// No device is set up for that role.
    DeviceNotConfigured,
    /// The points terminal does not answer (unplugged, wrong port or baud rate).
    PointsNotResponding,
    /// The points terminal's frames arrive broken (bad CRC or framing: cable, baud rate).
    PointsBadCrc,
    /// The points terminal failed authentication (tampering, or another pairing key).
    PointsAuthFailed,
    /// The points terminal must be paired (again) from the installer screen.
    PointsRepairNeeded,
    /// The points terminal refused pairing: its pairing button was not held.
    PointsPairingRefused,
    /// No phone was presented in time.
    PointsNoCustomer,
    /// The points server cannot be reached and the redemption is over what may be redeemed
    /// offline (the last known balance less unconfirmed redemptions, and the installer's cap).
    PointsOfflineLimit,
    /// Any other device failure (permission denied, unsupported address...).
    DeviceFailed,
    /// The wait on a device was cancelled.
    Cancelled,
    /// No such thing.
    NotFound,
    /// Something changed underneath (name taken, cart changed).
    Conflict,
    /// The database failed.
    Storage,
    /// Events have not reached the server yet; the action would lose them.
    SyncPending,
    /// The till has no server settings yet.
    SyncNotConfigured,
    /// The platform's device identifier key is not here yet: a device is never named to the
    /// platform in clear (docs/device-services.md).
    DeviceKeyMissing,
    /// The first-run setup is not finished, or this step is not open now.
    SetupIncomplete,
    /// The data directory holds a till of the other mode (demo data without `--demo`, or a
    /// shop's till with it).
    ModeMismatch,
    /// The till could not open (database from a newer Till, data directory not writable...).
    StartupFailed,
    /// A bug.
    Internal,
    /// A serialised product's line needs its IMEI/serial, or the one given is malformed.
    InvalidDeviceIdentifier,
    /// A refund would take a line past the units sold or refunded already.
    RefundExceedsSold,
    /// A refund would pay back more than the sale was paid.
    RefundExceedsPaid,
    /// The refund is outside the cashier's policy: a manager's PIN, or the seller, must approve.
    ApprovalRequired,
    /// A remote server (points, refunds) could not be reached in time.
    ServerUnreachable,
    /// A remote server refused the request; the message carries its code and reason.
    ServerRefused,
    /// The pickup code of an order pending collection is not the order's; the message says
    /// how many tries are left.
    WrongPickupCode,
    /// Too many wrong pickup codes: the order cannot be collected at a till any more.
    PickupCodeLocked,
    /// Another till holds the order (its customer is at that counter).
    OrderReserved,
    /// The order was collected, cancelled or has expired; the message says which.
    OrderClosed,
    /// A line of the order is not in this till's catalogue.
    ProductNotInCatalogue,
}

/// An error as it crosses IPC: a code for the program, a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct IpcError {
    /// What went wrong, stable.
    pub code: ErrorCode,
    /// Human-readable detail, English.
    pub message: String,
}

/// Everything the application layer can fail with.
#[derive(Debug, thiserror::Error)]
pub enum PosError {
    /// No session for the token.
    #[error("please log in")]
    Unauthenticated,
    /// Session idle too long.
    #[error("your session has expired; please log in again")]
    SessionExpired,
    /// Role not allowed.
    #[error("a {role:?} may not {action}")]
    Forbidden {
        /// The caller's role.
        role: Role,
        /// What was attempted.
        action: &'static str,
    },
    /// Wrong PIN.
    #[error("wrong PIN ({remaining} tries left before a 5-minute lock)")]
    WrongPin {
        /// Tries left before lockout.
        remaining: i64,
    },
    /// Locked out.
    #[error("too many wrong PINs: locked for {minutes} more minute(s)")]
    UserLocked {
        /// Minutes left, rounded up.
        minutes: i64,
    },
    /// Deactivated.
    #[error("this user is deactivated")]
    UserInactive,
    /// Unknown barcode or SKU.
    #[error("no product with barcode or SKU {0:?}")]
    UnknownBarcode(String),
    /// The scanned text is a customer's payment code, not a product (it is not repeated here: a
    /// code is a bearer instrument).
    #[error("a {0} payment code was scanned: take it as payment (Pay by code)")]
    PaymentCodeScanned(&'static str),
    /// Unknown product id.
    #[error("no product with id {0}")]
    UnknownProduct(i64),
    /// Malformed input.
    #[error("{0}")]
    InvalidInput(String),
    /// The card could not be read or used.
    #[error("{0}")]
    CardReadFailed(String),
    /// Cart changed during a card payment, or a stale cart id.
    #[error("{0}")]
    Conflict(String),
    /// A card payment did not go through.
    #[error(transparent)]
    Payment(#[from] PaymentError),
    /// No device is configured for the role named.
    #[error("no {} is set up; the installer assigns one on the installer screen", .0.replace('-', " "))]
    DeviceNotConfigured(&'static str),
    /// The points terminal failed.
    #[error("{0}")]
    Points(DeviceError),
    /// Another device failed (testing, opening).
    #[error("{0}")]
    Device(DeviceError),
    /// The caller cancelled the wait.
    #[error("cancelled")]
    Cancelled,
    /// A sealed secret does not open.
    #[error("the sealed {0} does not open with this till's key file; it was replaced or the data altered")]
    SecretUnreadable(String),
    /// Refused while events have not reached the server.
    #[error("{pending} event(s) have not reached the server yet and {parked} wait for a manager; wait until the sync status shows nothing pending, or have a manager retry or discard the parked ones")]
    SyncPending {
        /// Waiting or being sent.
        pending: i64,
        /// Refused by the server, waiting for a manager.
        parked: i64,
    },
    /// No server settings.
    #[error("the till has no server settings; the installer enters them on the installer screen")]
    SyncNotConfigured,
    /// The device identifier key could not be had: why.
    #[error("the platform's device identifier key is not available ({0}); a device is never sent in clear, so the platform cannot be asked about it now")]
    DeviceKeyMissing(String),
    /// The first-run setup is not finished, or the step asked for is closed: why, in words.
    #[error("{0}")]
    SetupIncomplete(String),
    /// The data directory holds a till of the other mode: which, and what to do.
    #[error("{0}")]
    ModeMismatch(String),
    /// A parked card payment approved offline cannot be sent again: its card data was removed
    /// when it was parked. A manager discards it and the customer pays again.
    #[error("{}", till_store::delivery::CARD_DATA_GONE)]
    ForwardCardDataGone,
    /// Domain rule.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// Database.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Bug.
    #[error("internal error: {0}")]
    Internal(String),
    /// The refund needs a manager's PIN or the seller's confirmation.
    #[error("this refund needs approval: {0}")]
    ApprovalRequired(String),
    /// A server could not be reached.
    #[error("the server could not be reached: {0}")]
    ServerUnreachable(String),
    /// A redemption over the offline limit; the message says the limit and why.
    #[error("{0}")]
    PointsOfflineLimit(String),
    /// The platform refused to hand over an order pending collection (pickup code, another
    /// till, closed) or the till cannot collect it (a product it does not sell).
    #[error("{message}")]
    PendingOrder {
        /// Which.
        code: ErrorCode,
        /// Words for the cashier.
        message: String,
    },
    /// A server refused a request.
    #[error("the server refused: {code}: {message}")]
    ServerRefused {
        /// The server's stable code (e.g. `token_replayed`).
        code: String,
        /// Its message.
        message: String,
    },
}

impl From<DeviceError> for PosError {
    fn from(e: DeviceError) -> Self {
        PosError::CardReadFailed(e.to_string())
    }
}

impl PosError {
    /// The stable code for this error.
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            PosError::Unauthenticated => C::Unauthenticated,
            PosError::SessionExpired => C::SessionExpired,
            PosError::Forbidden { .. } => C::Forbidden,
            PosError::WrongPin { .. } => C::WrongPin,
            PosError::UserLocked { .. } => C::UserLocked,
            PosError::UserInactive => C::UserInactive,
            PosError::UnknownBarcode(_) => C::UnknownBarcode,
            PosError::PaymentCodeScanned(_) => C::PaymentCodeScanned,
            PosError::UnknownProduct(_) => C::UnknownProduct,
            PosError::InvalidInput(_) => C::InvalidInput,
            PosError::CardReadFailed(_) => C::CardReadFailed,
            PosError::Conflict(_) => C::Conflict,
            PosError::Payment(e) => e.code(),
            PosError::SecretUnreadable(_) => C::SecretUnreadable,
            PosError::DeviceNotConfigured(_) => C::DeviceNotConfigured,
            PosError::Cancelled => C::Cancelled,
            PosError::SyncPending { .. } => C::SyncPending,
            PosError::SyncNotConfigured => C::SyncNotConfigured,
            PosError::DeviceKeyMissing(_) => C::DeviceKeyMissing,
            PosError::SetupIncomplete(_) => C::SetupIncomplete,
            PosError::ModeMismatch(_) => C::ModeMismatch,
            PosError::ForwardCardDataGone => C::Conflict,
            PosError::Device(_) => C::DeviceFailed,
            PosError::Points(e) => match e {
                DeviceError::PointsNotResponding { .. }
                | DeviceError::Disconnected(_)
                | DeviceError::NotSetUp(_)
                | DeviceError::NotFound(_)
                | DeviceError::Io(_)
                | DeviceError::Timeout => C::PointsNotResponding,
                DeviceError::PointsBadCrc | DeviceError::PointsBadFrame(_) | DeviceError::PointsBadMessage { .. } => {
                    C::PointsBadCrc
                }
                DeviceError::PointsAuthFailed
                | DeviceError::PointsBadSequence { .. }
                | DeviceError::PointsRedemptionMismatch => C::PointsAuthFailed,
                DeviceError::PointsRepairNeeded { .. } | DeviceError::PointsNotPaired => C::PointsRepairNeeded,
                DeviceError::PointsPairingRefused => C::PointsPairingRefused,
                DeviceError::PointsTimeout => C::PointsNoCustomer,
                DeviceError::Cancelled => C::Cancelled,
                _ => C::DeviceFailed,
            },
            PosError::Internal(_) => C::Internal,
            PosError::ApprovalRequired(_) => C::ApprovalRequired,
            PosError::ServerUnreachable(_) => C::ServerUnreachable,
            PosError::ServerRefused { .. } => C::ServerRefused,
            PosError::PendingOrder { code, .. } => *code,
            PosError::PointsOfflineLimit(_) => C::PointsOfflineLimit,
            PosError::Core(e) => match e {
                CoreError::Overflow => C::AmountOverflow,
                CoreError::BarcodeFormat(_) | CoreError::BarcodeCheckDigit { .. } => C::InvalidBarcode,
                CoreError::InvalidQuantity(_) => C::InvalidQuantity,
                CoreError::EmptyCart => C::CartEmpty,
                CoreError::InsufficientTender { .. } => C::InsufficientTender,
                CoreError::NoSuchLine(_) => C::NotFound,
                CoreError::InvalidDeviceIdentifier(_)
                | CoreError::MissingDeviceIdentifier(_)
                | CoreError::DuplicateDeviceIdentifier(_)
                | CoreError::NotSerialised(_) => C::InvalidDeviceIdentifier,
                _ => C::InvalidInput,
            },
            PosError::Store(e) => match e {
                StoreError::AlreadyCheckedOut { .. } => C::AlreadyCheckedOut,
                StoreError::NotFound(_) => C::NotFound,
                StoreError::Conflict(_) => C::Conflict,
                StoreError::Domain(_) | StoreError::Invalid(_) => C::InvalidInput,
                StoreError::DayClosed(_) => C::DayClosed,
                StoreError::Cancelled => C::Cancelled,
                StoreError::RefundExceedsSold { .. } => C::RefundExceedsSold,
                StoreError::RefundExceedsPaid { .. } => C::RefundExceedsPaid,
                _ => C::Storage,
            },
        }
    }
}

impl From<PosError> for IpcError {
    fn from(e: PosError) -> Self {
        IpcError { code: e.code(), message: e.to_string() }
    }
}

/// Why a card payment did not go through. Messages never quote card data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The swipe could not be read; the customer should swipe again.
    #[error("{0}")]
    BadRead(String),
    /// Nothing was swiped in time.
    #[error("no card was swiped in time")]
    Timeout,
    /// The reader is not there (unplugged, no permission, gone).
    #[error("{0}")]
    ReaderDisconnected(String),
    /// The cashier cancelled.
    #[error("the card payment was cancelled")]
    Cancelled,
    /// Any other reader trouble.
    #[error("{0}")]
    Reader(String),
    /// The authoriser declined.
    #[error("declined ({reason_code}): {message}")]
    Declined {
        /// Reason code.
        reason_code: String,
        /// Words for the cashier.
        message: String,
    },
    /// A clear-text reader was used but no payment platform key is set.
    #[error("no payment platform key is set; the installer must set it before cards can be taken")]
    PlatformKeyMissing,
    /// Outside demo mode, no payment platform is set up yet: what is missing, in words.
    #[error("card payments are not set up on this till: {0}; ask the installer to set up the payment platform, or take another tender")]
    NotSetUp(String),
    /// The signature is not one the signature pad writes.
    #[error("the signature was refused: {0}")]
    InvalidSignature(String),
    /// No payment with that id for this user.
    #[error("no such card payment")]
    NotFound,
    /// The payment is not at the step the command is for.
    #[error("{0}")]
    WrongStep(String),
    /// The payment platform did not answer in time (no connection, timeout, 5xx): not a
    /// decline; the payment may be approved offline within the installer's limits.
    #[error("the payment platform cannot be reached: {0}")]
    Unreachable(String),
    /// The payment platform refused the request itself (4xx): a till or setup problem.
    #[error("the payment platform refused the request ({status} {code}): {message}")]
    PlatformRefused {
        /// HTTP status.
        status: u16,
        /// The platform's error code.
        code: String,
        /// The platform's words.
        message: String,
    },
    /// Approved, but the sale could not be recorded: the payment journal reverses it.
    #[error("the sale could not be recorded ({0}); the card payment is being reversed, so the customer is not charged; the cart is kept: please take payment again")]
    NotRecorded(String),
    /// The wallet declined the payment code; nothing was charged.
    #[error("{message} ({reason_code})")]
    CodeDeclined {
        /// The platform's reason code.
        reason_code: String,
        /// Words for the cashier.
        message: String,
    },
    /// The customer did not confirm a payment code on the phone in time; it was taken back.
    #[error("the customer did not confirm the {0} payment in time; it was taken back, the customer is not charged")]
    CodeUnconfirmed(String),
    /// No payments server is set up, so no payment code can be charged.
    #[error("payment codes are not set up on this till: {0}; ask the installer to set up the payments server, or take another tender")]
    CodesNotSetUp(String),
    /// A bug or a failure underneath, already logged.
    #[error("{0}")]
    Internal(String),
}

impl PaymentError {
    /// The stable code.
    pub fn code(&self) -> ErrorCode {
        match self {
            PaymentError::BadRead(_) => ErrorCode::CardBadRead,
            PaymentError::Timeout => ErrorCode::CardTimeout,
            PaymentError::ReaderDisconnected(_) => ErrorCode::CardReaderDisconnected,
            PaymentError::Cancelled => ErrorCode::PaymentCancelled,
            PaymentError::Reader(_) => ErrorCode::CardReadFailed,
            PaymentError::Declined { .. } => ErrorCode::CardDeclined,
            PaymentError::PlatformKeyMissing => ErrorCode::PlatformKeyMissing,
            PaymentError::NotSetUp(_) => ErrorCode::CardPaymentsNotSetUp,
            PaymentError::InvalidSignature(_) => ErrorCode::InvalidSignature,
            PaymentError::NotFound => ErrorCode::NotFound,
            PaymentError::WrongStep(_) => ErrorCode::Conflict,
            PaymentError::Unreachable(_) => ErrorCode::PaymentPlatformUnreachable,
            PaymentError::PlatformRefused { .. } => ErrorCode::PaymentPlatformRefused,
            PaymentError::NotRecorded(_) => ErrorCode::PaymentNotRecorded,
            PaymentError::CodeDeclined { .. } => ErrorCode::PaymentCodeDeclined,
            PaymentError::CodeUnconfirmed(_) => ErrorCode::PaymentCodeUnconfirmed,
            PaymentError::CodesNotSetUp(_) => ErrorCode::PaymentCodesNotSetUp,
            PaymentError::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<DeviceError> for PaymentError {
    fn from(e: DeviceError) -> Self {
        match e {
            DeviceError::Timeout => PaymentError::Timeout,
            DeviceError::Cancelled => PaymentError::Cancelled,
            DeviceError::BadRead { .. } | DeviceError::BadReport { .. } => PaymentError::BadRead(e.to_string()),
            DeviceError::Disconnected(_)
            | DeviceError::NotSetUp(_)
            | DeviceError::NotFound(_)
            | DeviceError::PermissionDenied(_)
            | DeviceError::Io(_) => PaymentError::ReaderDisconnected(e.to_string()),
            other => PaymentError::Reader(other.to_string()),
        }
    }
}

impl From<PosError> for PaymentError {
    fn from(e: PosError) -> Self {
        match e {
            PosError::Payment(p) => p,
            other => PaymentError::Internal(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_in_snake_case() {
        let e = IpcError::from(PosError::Core(CoreError::EmptyCart));
        assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"code":"cart_empty","message":"the cart is empty"}"#);
        let e = IpcError::from(PosError::Store(StoreError::AlreadyCheckedOut { order_id: 7 }));
        assert_eq!(e.code, ErrorCode::AlreadyCheckedOut);
    }
}
