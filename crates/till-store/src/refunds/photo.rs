//! The photo of a refund's defect on its way to the server: one `refund.photo` outbox event per
//! distinct photo, queued in the refund's own transaction, its id made from the photo's SHA-256
//! (`photo-<sha256>`), so the same photo attached to two refunds is uploaded once and a retry
//! sends the same bytes under the same key. The photo itself stays in the data directory
//! (till-pos keeps it there before the refund is recorded); once the server has it, the copy in
//! the outbox is dropped.

use crate::{outbox, Result, StoreError};
use rusqlite::{params, Transaction};
use till_core::EventKind;

/// A photo checked at the till (kind by its bytes, within the size limit), ready to upload.
#[derive(Clone, PartialEq, Eq)]
pub struct PhotoUpload {
    /// SHA-256 of the bytes, 64 lower-case hex digits.
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `image/webp`, read from the bytes.
    pub content_type: String,
    /// The bytes in standard base64.
    pub base64: String,
}

impl std::fmt::Debug for PhotoUpload {
    // A customer's photo never goes into a log line, only its hash and size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhotoUpload")
            .field("sha256", &self.sha256)
            .field("content_type", &self.content_type)
            .field("base64_len", &self.base64.len())
            .finish()
    }
}

/// The outbox event id of a photo's upload.
pub fn photo_event_id(sha256: &str) -> String {
    format!("photo-{sha256}")
}

/// Queues the photo's upload in `tx` unless it is queued (or was sent) already: the payload is
/// till-api's `RefundPhotoUpload` (the sync worker reads it as that type).
pub(crate) fn enqueue_photo(tx: &Transaction<'_>, p: &PhotoUpload, now_ms: i64) -> Result<()> {
    if !till_core::photo::is_sha256_hex(&p.sha256) {
        return Err(StoreError::Invalid("the photo's SHA-256 is 64 lower-case hex digits".into()));
    }
    let id = photo_event_id(&p.sha256);
    let queued: bool = tx.query_row("SELECT EXISTS (SELECT 1 FROM outbox WHERE id = ?1)", [&id], |r| r.get(0))?;
    if queued {
        return Ok(());
    }
    let body = serde_json::json!({
        "sha256": p.sha256,
        "content_type": p.content_type,
        "photo_base64": p.base64,
    });
    // Its own subject: the photo waits for nothing and nothing waits for it.
    let subject = format!("refund_photo/{}", p.sha256);
    outbox::enqueue_kind(tx, &id, EventKind::RefundPhoto, &subject, &body, now_ms)
}

/// Drops the bytes of a delivered photo's event (the server holds them, the data directory
/// keeps the till's copy): the outbox does not carry megabytes it will never send again.
pub(crate) fn forget_sent_photo(tx: &Transaction<'_>, id: &str) -> Result<()> {
    tx.prepare_cached(
        "UPDATE outbox SET payload = json_remove(payload, '$.photo_base64'),
                request_body = CASE WHEN request_body IS NULL THEN NULL
                                    ELSE json_remove(request_body, '$.photo_base64') END
         WHERE id = ?1 AND kind = ?2 AND state = 'done'",
    )?
    .execute(params![id, EventKind::RefundPhoto.as_str()])?;
    Ok(())
}
