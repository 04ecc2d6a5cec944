//! What the server keeps of refund photos (schema version 15): each photo once, by the SHA-256
//! of its bytes, in the database so that every server sharing it serves the same photo; and the
//! statements a [`super::Tx`] offers for them ([`PhotosTx`]).

use super::RepoResult;

/// A stored photo of a refund's defect.
#[derive(Clone, PartialEq, Eq)]
pub struct RefundPhotoRecord {
    /// SHA-256 of `bytes`, 64 lower-case hex digits.
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `image/webp`, read from the bytes.
    pub content_type: String,
    /// The photo.
    pub bytes: Vec<u8>,
    /// `bytes.len()`.
    pub size: i64,
    /// The terminal that uploaded it first.
    pub terminal_id: String,
    /// When it was first stored (Unix seconds).
    pub created_at: i64,
}

impl std::fmt::Debug for RefundPhotoRecord {
    // The bytes are a customer's photo: never in a log line, only their size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefundPhotoRecord")
            .field("sha256", &self.sha256)
            .field("content_type", &self.content_type)
            .field("size", &self.size)
            .field("terminal_id", &self.terminal_id)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A refund awaiting the seller as the console's refunds page lists it: the refund, its sale
/// line, and whether the server holds the photo it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwaitingRefundRow {
    /// The till's refund id.
    pub refund_id: String,
    /// The terminal that asked.
    pub terminal_id: String,
    /// That terminal's store.
    pub store: String,
    /// The sale's order id.
    pub order_id: String,
    /// The line refunded.
    pub line_code: String,
    /// Its product's SKU.
    pub sku: String,
    /// Its product's name.
    pub name: String,
    /// Units sold on the line.
    pub quantity: i64,
    /// The line's total, minor units.
    pub line_total_minor: i64,
    /// Who the line was sold for (`None`: the shop itself).
    pub seller: Option<String>,
    /// The amount asked, minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Where the money goes back.
    pub tender: String,
    /// Why (the till's reason code).
    pub reason: String,
    /// The sale's customer.
    pub customer_id: Option<String>,
    /// The customer's reputation when the refund was asked for.
    pub reputation: Option<i64>,
    /// The photo the refund names.
    pub evidence_sha256: Option<String>,
    /// Whether that photo has arrived.
    pub photo_stored: bool,
    /// When it was asked for (Unix seconds).
    pub created_at: i64,
}

/// The statements of refund photos, part of every [`super::Tx`].
pub trait PhotosTx {
    /// Stores a photo unless one with its SHA-256 is stored already; true when stored now.
    fn insert_refund_photo(&mut self, p: &RefundPhotoRecord) -> RepoResult<bool>;
    /// A photo with its bytes, by SHA-256.
    fn refund_photo(&mut self, sha256: &str) -> RepoResult<Option<RefundPhotoRecord>>;
    /// Whether a photo with this SHA-256 is stored (without reading its bytes).
    fn refund_photo_exists(&mut self, sha256: &str) -> RepoResult<bool>;
    /// The refunds awaiting the seller at terminals of `merchant`, oldest first; only `refund_id`
    /// when it is given.
    fn console_refunds_awaiting(
        &mut self,
        merchant: &str,
        refund_id: Option<&str>,
    ) -> RepoResult<Vec<AwaitingRefundRow>>;
    /// The photo, if a refund asked for at a terminal of `merchant` names it.
    fn console_refund_photo(&mut self, merchant: &str, sha256: &str) -> RepoResult<Option<RefundPhotoRecord>>;
}
