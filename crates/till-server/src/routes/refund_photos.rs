//! `POST /v1/refunds/photos`: the photo of a refund's defect, uploaded by the till through its
//! outbox so that the seller sees it (the console's refunds page). Stored once per SHA-256 in
//! the database, so every server sharing it serves it.
//!
//! The server believes nothing the till says about the bytes: it decodes them, takes at most
//! [`MAX_PHOTO_BYTES`] (413 `photo_too_large`), reads the kind from the magic numbers and
//! requires it to be the `content_type` named (415 `photo_type_not_allowed`: JPEG, PNG and WebP
//! only), and recomputes the SHA-256 (422 `photo_sha256_mismatch`). A photo already stored is a
//! no-op (`stored_now: false`), whatever idempotency key it came under.

use crate::error::ApiError;
use crate::idempotency::Reply;
use crate::repo::{RefundPhotoRecord, Tx};
use crate::state::Ctx;
use base64::Engine;
use sha2::{Digest, Sha256};
use till_core::photo::{self, PhotoError, PhotoType, MAX_PHOTO_BYTES};

pub use till_api::refunds::{RefundPhotoStored, RefundPhotoUpload};

/// The endpoint's path.
pub const PATH: &str = "/v1/refunds/photos";

/// The path segment after `/v1/refunds/` that is this endpoint, not a refund id.
pub const PATH_SEGMENT: &str = "photos";

/// A photo whose bytes were checked: decoded, within the limit, of the kind it names, and
/// hashing to its name.
pub(crate) struct CheckedPhoto {
    sha256: String,
    kind: PhotoType,
    bytes: Vec<u8>,
}

/// Decodes and checks an upload; nothing is stored yet.
pub(crate) fn check(req: RefundPhotoUpload) -> Result<CheckedPhoto, ApiError> {
    if !photo::is_sha256_hex(&req.sha256) {
        return Err(ApiError::InvalidRequest("sha256 is 64 lower-case hex digits".into()));
    }
    let named = PhotoType::from_content_type(&req.content_type).ok_or_else(|| {
        ApiError::PhotoTypeNotAllowed(format!("{:?}; image/jpeg, image/png or image/webp", trimmed(&req.content_type)))
    })?;
    // Base64 is 4 characters per 3 bytes: a text this long cannot be within the limit, so it
    // is refused before it is decoded.
    let most = MAX_PHOTO_BYTES.div_ceil(3) * 4;
    if req.photo_base64.len() > most {
        return Err(ApiError::PhotoTooLarge(req.photo_base64.len() / 4 * 3));
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(req.photo_base64.as_bytes())
        .map_err(|_| ApiError::InvalidRequest("photo_base64 is not standard base64".into()))?;
    let kind = photo::check(&bytes).map_err(|e| match e {
        PhotoError::TooLarge(n) => ApiError::PhotoTooLarge(n),
        PhotoError::Empty => ApiError::InvalidRequest("the photo is empty".into()),
        PhotoError::WrongType => ApiError::PhotoTypeNotAllowed("the bytes are not a JPEG, PNG or WebP image".into()),
    })?;
    if kind != named {
        return Err(ApiError::PhotoTypeNotAllowed(format!("the bytes are {kind}, not {named}")));
    }
    let actual = hex::encode(Sha256::digest(&bytes));
    if actual != req.sha256 {
        return Err(ApiError::PhotoSha256Mismatch(req.sha256));
    }
    Ok(CheckedPhoto { sha256: actual, kind, bytes })
}

/// At most 40 characters of a client's text, for an error message.
fn trimmed(text: &str) -> String {
    text.chars().take(40).collect()
}

/// Stores the photo unless it is stored already; 201 when stored now, 200 when it was there.
pub(crate) fn store(tx: &mut dyn Tx, ctx: &Ctx, p: &CheckedPhoto) -> Result<Reply, ApiError> {
    let size = i64::try_from(p.bytes.len()).map_err(|_| ApiError::PhotoTooLarge(p.bytes.len()))?;
    let stored_now = tx.insert_refund_photo(&RefundPhotoRecord {
        sha256: p.sha256.clone(),
        content_type: p.kind.content_type().to_string(),
        bytes: p.bytes.clone(),
        size,
        terminal_id: ctx.terminal_id.clone(),
        created_at: ctx.now,
    })?;
    tracing::info!(sha256 = %p.sha256, size, stored_now, terminal = %ctx.terminal_id, "refund photo");
    let answer = RefundPhotoStored {
        sha256: p.sha256.clone(),
        content_type: p.kind.content_type().to_string(),
        size,
        stored_now,
    };
    Reply::json(if stored_now { 201 } else { 200 }, &answer)
}

/// Upload the photo of a refund's defect (JSON with the bytes in base64).
#[utoipa::path(post, path = "/v1/refunds/photos", tag = "refunds", request_body = RefundPhotoUpload,
    params(("Idempotency-Key" = String, Header, description = "The outbox event id")),
    responses(
        (status = 201, description = "Stored now", body = RefundPhotoStored),
        (status = 200, description = "Already stored (the same bytes under any key): nothing written", body = RefundPhotoStored),
        (status = 400, description = "Malformed request: sha256 not 64 lower-case hex digits, photo_base64 not base64, an empty photo", body = crate::error::ErrorBody),
        (status = 401, description = "Signature refused", body = crate::error::ErrorBody),
        (status = 409, description = "idempotency_conflict", body = crate::error::ErrorBody),
        (status = 413, description = "photo_too_large: over 5 MiB (5,242,880 bytes) decoded; payload_too_large: a body over 8 MiB", body = crate::error::ErrorBody),
        (status = 415, description = "photo_type_not_allowed: the bytes are not a JPEG, PNG or WebP image, or not the content_type named", body = crate::error::ErrorBody),
        (status = 422, description = "photo_sha256_mismatch: the bytes do not hash to sha256", body = crate::error::ErrorBody)),
    security(("till_signature" = [])))]
pub async fn post_photo(
    axum::extract::State(app): axum::extract::State<crate::state::AppState>,
    axum::Extension(t): axum::Extension<crate::state::AuthedTerminal>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> axum::response::Response {
    super::post(app, t, headers, body, super::EventKind::RefundPhoto).await
}
