//! Errors of the server, and how each becomes an HTTP answer `{code, message}`.
//!
//! Every error has a stable `code` that clients decide on (retry, park, show); messages are for
//! people and may change. The table of codes is in docs/api.md.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// The body of every error answer: till-api's, shared with the clients.
pub use till_api::ErrorBody;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// One of the four signing headers is absent or not in its format.
    #[error("missing or malformed signing header: {0}")]
    BadAuthHeaders(String),
    /// The terminal id is not registered on this server.
    #[error("unknown terminal")]
    UnknownTerminal,
    /// The terminal was disabled by an administrator.
    #[error("this terminal is disabled")]
    TerminalDisabled,
    /// The HMAC did not match the method, path, timestamp, nonce and body.
    #[error("the request signature does not match")]
    BadSignature,
    /// The timestamp is more than the allowed window away from the server's clock.
    #[error("timestamp is {0} s away from the server clock (window 300 s)")]
    StaleTimestamp(i64),
    /// The nonce was already used by this terminal within the window.
    #[error("this nonce was already used")]
    ReplayedNonce,
    /// The body is not JSON.
    #[error("the body is not valid JSON: {0}")]
    MalformedJson(String),
    /// The JSON does not have the shape the endpoint expects, or a field is invalid.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// The body is larger than the server accepts.
    #[error("the body is larger than {0} bytes")]
    PayloadTooLarge(usize),
    /// A state-changing request came without `Idempotency-Key`, or with a malformed one.
    #[error("missing or malformed Idempotency-Key header")]
    MissingIdempotencyKey,
    /// The idempotency key was used before with a different request.
    #[error("this idempotency key was already used with a different request")]
    IdempotencyConflict,
    /// An amount is negative (or zero where that makes no sense).
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    /// An amount, or a sum of amounts, does not fit in 64-bit minor units.
    #[error("amount out of range")]
    AmountOverflow,
    /// The currency code is not one Till knows.
    #[error("unknown currency {0}")]
    UnknownCurrency(String),
    /// Two amounts that must share a currency do not.
    #[error("currency mismatch: {0}")]
    CurrencyMismatch(String),
    /// A card number that is not masked was sent where only a masked one may go.
    #[error("card numbers must be masked (first 6 and last 4 digits at most)")]
    PanNotMasked,
    /// A line code is not well-formed or its check symbol is wrong.
    #[error("invalid line code {0}")]
    InvalidLineCode(String),
    /// The order id was already recorded for this terminal under another idempotency key.
    #[error("order {0} was already recorded")]
    OrderExists(String),
    /// A line code in the sale is already used by another line.
    #[error("line code {0} is already used")]
    LineCodeExists(String),
    /// A device identifier in the sale is already sold and not refunded.
    #[error("device {0} is already recorded as sold")]
    DeviceAlreadySold(String),
    /// No such resource.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The refund asks for more than is left to refund of what was paid.
    #[error("refund of {asked} exceeds the {left} left to refund")]
    RefundExceedsPaid {
        /// Minor units asked for.
        asked: i64,
        /// Minor units still refundable.
        left: i64,
    },
    /// The payment id was already authorised under another idempotency key.
    #[error("payment {0} was already authorised")]
    PaymentExists(String),
    /// No authorisation with this payment id. Answered by a reversal, which blocks the id.
    #[error("no authorisation with payment id {0}; the id is now blocked: an authorisation with it will be refused")]
    PaymentNotFound(String),
    /// A reversal of a payment the platform declined: no money was taken.
    #[error("payment {0} was declined; there is nothing to reverse")]
    PaymentDeclined(String),
    /// The payment was reversed already (under another idempotency key).
    #[error("payment {0} is already reversed")]
    AlreadyReversed(String),
    /// An authorisation with a payment id that was reversed (or blocked) before it arrived.
    #[error("payment {0} was reversed; a reversed payment id cannot be authorised")]
    PaymentReversed(String),
    /// A reversal names another amount than the authorisation's.
    #[error("the reversal is for {asked} but the authorisation is for {authorised}")]
    ReversalAmountMismatch {
        /// What the reversal named.
        asked: String,
        /// What was authorised.
        authorised: String,
    },
    /// The refund id was already used for another refund.
    #[error("refund {0} already exists")]
    RefundExists(String),
    /// The refund is not in a state that allows this decision.
    #[error("refund {0} is not waiting for seller confirmation")]
    RefundNotPending(String),
    /// A refund photo over the limit (`till_core::photo::MAX_PHOTO_BYTES`).
    #[error("the photo is {0} bytes; at most 5 MiB is taken")]
    PhotoTooLarge(usize),
    /// A refund photo whose bytes are not a JPEG, PNG or WebP, or not the type it names.
    #[error("photo type not allowed: {0}")]
    PhotoTypeNotAllowed(String),
    /// A refund photo whose bytes do not hash to the SHA-256 it names.
    #[error("the photo's bytes do not hash to {0}")]
    PhotoSha256Mismatch(String),
    /// The loyalty token is malformed, unknown, or its MAC does not verify.
    #[error("the loyalty token is not valid")]
    InvalidToken,
    /// The loyalty token's counter is not above the last accepted one.
    #[error("the loyalty token was already used (counter {counter} <= {last})")]
    TokenReplayed {
        /// The token's counter.
        counter: u32,
        /// The last counter accepted for the account.
        last: u32,
    },
    /// The loyalty token was issued too long ago, or in the future.
    #[error("the loyalty token was issued {0} s away from the server clock (limit 600 s)")]
    TokenExpired(i64),
    /// The loyalty token does not allow this change: an identify token (version 1) for a
    /// redemption, a redemption token for an earn, or a redemption token for other points or
    /// another order than the redemption names.
    #[error("the loyalty token does not cover this change: {0}")]
    TokenDoesNotCover(String),
    /// A redemption asks for more points than the account holds.
    #[error("not enough points: balance {balance}, asked {asked}")]
    InsufficientPoints {
        /// Current balance.
        balance: i64,
        /// Points asked for.
        asked: i64,
    },
    /// A points reversal names an order for which this terminal recorded no change of the kind
    /// it reverses (no `earn` for `reverse_earn`, no `redeem` for `return_redeem`).
    #[error("no {original} of points on order {order_id} at this terminal to reverse")]
    NoPointsToReverse {
        /// `earn` or `redeem`.
        original: &'static str,
        /// The order named.
        order_id: String,
    },
    /// A points reversal, with the earlier reversals of its kind for the order, would undo more
    /// than the order's original change.
    #[error("reversal of {asked} points exceeds the {left} left to reverse")]
    ReversalExceedsOriginal {
        /// Points asked for.
        asked: i64,
        /// Points of the original change not yet reversed.
        left: i64,
    },
    /// The refund already has a reversal of this kind on this account (under another key).
    #[error("refund {0} already has a points reversal of this kind")]
    ReversalExists(String),
    /// A card refund names an authorisation code that no card payment of the order carries.
    #[error("no card payment of order {0} has that authorisation code")]
    AuthorizationMismatch(String),
    /// The card block cannot be used (unknown key, bad length or encoding).
    #[error("card block: {0}")]
    InvalidCardBlock(String),
    /// A DUKPT card block whose KSN counter is not above the last one taken from its reader:
    /// the same block again (under another payment id), or an older one.
    #[error(
        "this card block was already used: its reader's counter {counter} is not above {last}, the last one taken"
    )]
    ReplayedCardBlock {
        /// The block's KSN counter.
        counter: i64,
        /// The reader's last counter taken.
        last: i64,
    },
    /// A refund to a card whose sale has no approved authorisation on the server: none named,
    /// unknown, declined (an offline approval whose forward was declined), reversed, or for
    /// another card or a smaller amount.
    #[error("the card payment of order {order_id} is not authorised: {why}")]
    CardSaleNotAuthorised {
        /// The order of the refunded line.
        order_id: String,
        /// What is missing.
        why: String,
    },
    /// A sale names a payment id another sale of the terminal already named.
    #[error("payment {0} is already recorded on another sale")]
    PaymentRecorded(String),
    /// A service order's state that contradicts the one held (another device, or a status
    /// going back).
    #[error("service order: {0}")]
    ServiceOrderConflict(String),
    /// No enrolment code like this one was issued (or it is not a code at all).
    #[error("this enrolment code is not valid: {0}")]
    EnrolmentCodeInvalid(String),
    /// The enrolment code was already exchanged; a code gives the secret once.
    #[error("this enrolment code was already used; make a new one with `till-server terminals add --enrolment-code`")]
    EnrolmentCodeUsed,
    /// The enrolment code's 24 hours are over.
    #[error("this enrolment code has expired; make a new one with `till-server terminals add --enrolment-code`")]
    EnrolmentCodeExpired,
    /// Too many wrong enrolment codes lately; try again after the given seconds.
    #[error("too many wrong enrolment codes; try again in {0} s")]
    TooManyEnrolmentAttempts(i64),
    // ---- Orders pending collection ----
    /// No `Authorization: Bearer` merchant key, or not one this server issued.
    #[error("missing or unknown merchant key (Authorization: Bearer tmk_...)")]
    MerchantKeyInvalid,
    /// The merchant's key was disabled by an administrator.
    #[error("this merchant key is disabled")]
    MerchantDisabled,
    /// The merchant's key is for another store.
    #[error("this merchant key is not for store {0:?}")]
    StoreNotAllowed(String),
    /// The merchant's order number was sent before with a different body.
    #[error("order number {0} was already sent with a different body")]
    OrderNumberConflict(String),
    /// Another till holds the order while its customer is at the counter.
    #[error("another till holds this order until {until} (unix seconds)")]
    OrderReserved {
        /// Until when.
        until: i64,
    },
    /// The order was collected already.
    #[error("order {0} was already collected")]
    OrderCollected(String),
    /// The merchant cancelled the order.
    #[error("order {0} was cancelled by the merchant")]
    OrderCancelled(String),
    /// The order was not collected in time.
    #[error("order {0} has expired")]
    OrderExpired(String),
    /// The pickup code does not match.
    #[error("the pickup code does not match ({attempts_left} attempts left)")]
    WrongPickupCode {
        /// Wrong codes still allowed.
        attempts_left: i64,
    },
    /// Too many wrong pickup codes: only the merchant can help now (cancel and send it again).
    #[error("too many wrong pickup codes: this order cannot be collected at a till; ask the merchant")]
    PickupCodeLocked,
    /// A sale names an order its terminal never reserved.
    #[error("order {0} was not reserved by this till")]
    OrderNotReserved(String),
    /// A sale's lines of an order do not add up to the order.
    #[error("the sale does not cover order {0}")]
    OrderNotCovered(String),
    /// The service relay refused or could not complete the request ([`crate::service_error`]).
    #[error(transparent)]
    Service(#[from] crate::service_error::ServiceError),
    /// No route matches the path.
    #[error("no such endpoint")]
    RouteNotFound,
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Every request slot stayed taken for the queue timeout; retry after a moment.
    #[error("the server is busy; retry in a moment")]
    ServerBusy,
    /// The request was not answered within the request timeout (milliseconds). Its effect may
    /// still commit; a retry with the same idempotency key finds it.
    #[error("the request took longer than {0} ms; retry with the same idempotency key")]
    RequestTimeout(u64),
    /// The storage failed; the request may be retried.
    #[error("storage error: {0}")]
    Storage(#[from] RepoError),
    /// A bug or an unexpected state on the server; the request may be retried.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Errors of the storage layer.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// SQLite said no.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Stored data that does not make sense.
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    /// The server key file is missing, unreadable, open to others, or not the database's key.
    #[error("server key: {0}")]
    Key(String),
    /// PostgreSQL said no (a statement failed, or the connection did).
    #[error("postgresql: {0}")]
    Postgres(#[from] postgres::Error),
    /// The PostgreSQL server could not be reached or refused the connection (the message names
    /// the server, never the password).
    #[error("{0}")]
    Connect(String),
    /// A value or column of a type the repository does not read or write (it keeps to TEXT,
    /// BIGINT and bytes), or a transaction that can no longer commit.
    #[error("postgresql: {0}")]
    Unsupported(String),
}

impl ApiError {
    /// The stable code clients decide on.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadAuthHeaders(_) => "bad_auth_headers",
            ApiError::UnknownTerminal => "unknown_terminal",
            ApiError::TerminalDisabled => "terminal_disabled",
            ApiError::BadSignature => "bad_signature",
            ApiError::StaleTimestamp(_) => "stale_timestamp",
            ApiError::ReplayedNonce => "replayed_nonce",
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::InvalidRequest(_) => "invalid_request",
            ApiError::PayloadTooLarge(_) => "payload_too_large",
            ApiError::MissingIdempotencyKey => "missing_idempotency_key",
            ApiError::IdempotencyConflict => "idempotency_conflict",
            ApiError::InvalidAmount(_) => "invalid_amount",
            ApiError::AmountOverflow => "amount_overflow",
            ApiError::UnknownCurrency(_) => "unknown_currency",
            ApiError::CurrencyMismatch(_) => "currency_mismatch",
            ApiError::PanNotMasked => "pan_not_masked",
            ApiError::InvalidLineCode(_) => "invalid_line_code",
            ApiError::OrderExists(_) => "order_exists",
            ApiError::LineCodeExists(_) => "line_code_exists",
            ApiError::DeviceAlreadySold(_) => "device_already_sold",
            ApiError::NotFound(_) => "not_found",
            ApiError::RefundExceedsPaid { .. } => "refund_exceeds_paid",
            ApiError::RefundExists(_) => "refund_exists",
            ApiError::PaymentExists(_) => "payment_exists",
            ApiError::PaymentNotFound(_) => "payment_not_found",
            ApiError::PaymentDeclined(_) => "payment_declined",
            ApiError::AlreadyReversed(_) => "already_reversed",
            ApiError::PaymentReversed(_) => "payment_reversed",
            ApiError::ReversalAmountMismatch { .. } => "amount_mismatch",
            ApiError::RefundNotPending(_) => "refund_not_pending",
            ApiError::PhotoTooLarge(_) => "photo_too_large",
            ApiError::PhotoTypeNotAllowed(_) => "photo_type_not_allowed",
            ApiError::PhotoSha256Mismatch(_) => "photo_sha256_mismatch",
            ApiError::InvalidToken => "invalid_token",
            ApiError::TokenReplayed { .. } => "token_replayed",
            ApiError::TokenExpired(_) => "token_expired",
            ApiError::TokenDoesNotCover(_) => "token_does_not_cover",
            ApiError::InsufficientPoints { .. } => "insufficient_points",
            ApiError::NoPointsToReverse { .. } => "no_points_to_reverse",
            ApiError::ReversalExceedsOriginal { .. } => "reversal_exceeds_original",
            ApiError::ReversalExists(_) => "reversal_exists",
            ApiError::AuthorizationMismatch(_) => "authorization_mismatch",
            ApiError::InvalidCardBlock(_) => "invalid_card_block",
            ApiError::ReplayedCardBlock { .. } => "replayed_card_block",
            ApiError::CardSaleNotAuthorised { .. } => "card_sale_not_authorised",
            ApiError::PaymentRecorded(_) => "payment_recorded",
            ApiError::ServiceOrderConflict(_) => "service_order_conflict",
            ApiError::EnrolmentCodeInvalid(_) => "enrolment_code_invalid",
            ApiError::EnrolmentCodeUsed => "enrolment_code_used",
            ApiError::EnrolmentCodeExpired => "enrolment_code_expired",
            ApiError::TooManyEnrolmentAttempts(_) => "too_many_enrolment_attempts",
            ApiError::MerchantKeyInvalid => "merchant_key_invalid",
            ApiError::MerchantDisabled => "merchant_disabled",
            ApiError::StoreNotAllowed(_) => "store_not_allowed",
            ApiError::OrderNumberConflict(_) => "order_number_conflict",
            ApiError::OrderReserved { .. } => "order_reserved",
            ApiError::OrderCollected(_) => "order_collected",
            ApiError::OrderCancelled(_) => "order_cancelled",
            ApiError::OrderExpired(_) => "order_expired",
            ApiError::WrongPickupCode { .. } => "wrong_pickup_code",
            ApiError::PickupCodeLocked => "pickup_code_locked",
            ApiError::OrderNotReserved(_) => "order_not_reserved",
            ApiError::OrderNotCovered(_) => "order_not_covered",
            ApiError::Service(e) => e.code(),
            ApiError::RouteNotFound => "route_not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::ServerBusy => "server_busy",
            ApiError::RequestTimeout(_) => "request_timeout",
            ApiError::Storage(_) => "storage_unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    /// The HTTP status the error is answered with.
    pub fn status(&self) -> StatusCode {
        use ApiError::*;
        match self {
            BadAuthHeaders(_)
            | UnknownTerminal
            | TerminalDisabled
            | BadSignature
            | StaleTimestamp(_)
            | ReplayedNonce
            | EnrolmentCodeInvalid(_) => StatusCode::UNAUTHORIZED,
            EnrolmentCodeUsed | EnrolmentCodeExpired => StatusCode::GONE,
            TooManyEnrolmentAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            MerchantKeyInvalid | MerchantDisabled => StatusCode::UNAUTHORIZED,
            StoreNotAllowed(_) => StatusCode::FORBIDDEN,
            OrderNumberConflict(_)
            | OrderReserved { .. }
            | OrderCollected(_)
            | OrderCancelled(_)
            | OrderExpired(_)
            | OrderNotReserved(_) => StatusCode::CONFLICT,
            WrongPickupCode { .. } | PickupCodeLocked | OrderNotCovered(_) => StatusCode::UNPROCESSABLE_ENTITY,
            MalformedJson(_)
            | InvalidRequest(_)
            | MissingIdempotencyKey
            | InvalidAmount(_)
            | AmountOverflow
            | UnknownCurrency(_)
            | CurrencyMismatch(_)
            | PanNotMasked
            | InvalidLineCode(_) => StatusCode::BAD_REQUEST,
            PayloadTooLarge(_) | PhotoTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            PhotoTypeNotAllowed(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IdempotencyConflict
            | OrderExists(_)
            | LineCodeExists(_)
            | DeviceAlreadySold(_)
            | RefundExists(_)
            | PaymentExists(_)
            | RefundNotPending(_)
            | ReversalExists(_)
            | PaymentDeclined(_)
            | AlreadyReversed(_)
            | PaymentReversed(_)
            | PaymentRecorded(_)
            | ServiceOrderConflict(_) => StatusCode::CONFLICT,
            NotFound(_) | RouteNotFound | PaymentNotFound(_) => StatusCode::NOT_FOUND,
            MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            RefundExceedsPaid { .. }
            | InvalidToken
            | TokenReplayed { .. }
            | TokenExpired(_)
            | TokenDoesNotCover(_)
            | InsufficientPoints { .. }
            | NoPointsToReverse { .. }
            | ReversalExceedsOriginal { .. }
            | AuthorizationMismatch(_)
            | ReversalAmountMismatch { .. }
            | InvalidCardBlock(_)
            | ReplayedCardBlock { .. }
            | CardSaleNotAuthorised { .. }
            | PhotoSha256Mismatch(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Service(e) => e.status(),
            Storage(_) | ServerBusy | RequestTimeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `{code, message}` body. Storage and internal details stay in the server's log.
    pub fn body(&self) -> ErrorBody {
        let message = match self {
            ApiError::Storage(_) => "the server's storage is unavailable; retry later".to_string(),
            ApiError::Internal(_) => "internal error; retry later".to_string(),
            other => other.to_string(),
        };
        ErrorBody { code: self.code().to_string(), message }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // Busy and timed-out answers are expected under load; logging each would flood the log.
        if self.status().is_server_error() && !matches!(self, ApiError::ServerBusy | ApiError::RequestTimeout(_)) {
            tracing::error!(error = %self, "request failed");
        }
        (self.status(), axum::Json(self.body())).into_response()
    }
}

impl From<till_core::CoreError> for ApiError {
    fn from(e: till_core::CoreError) -> Self {
        use till_core::CoreError;
        match e {
            CoreError::Overflow => ApiError::AmountOverflow,
            CoreError::UnknownCurrency(c) => ApiError::UnknownCurrency(c),
            CoreError::CurrencyMismatch(a, b) => ApiError::CurrencyMismatch(format!("{a} and {b}")),
            CoreError::InvalidLineCode(c) => ApiError::InvalidLineCode(c),
            other => ApiError::InvalidRequest(other.to_string()),
        }
    }
}
