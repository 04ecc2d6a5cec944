//! The photo of a refund's defect, from the counter to the seller: kept on the till, queued in
//! the refund's own commit and uploaded through the outbox to a real till-server on 127.0.0.1
//! (once per photo, by its SHA-256), stored there for the seller's console; the seller's
//! decision reaches the till the usual way. What is not a JPEG, PNG or WebP by its bytes, or is
//! over 5 MiB, is refused at the counter and changes nothing. The bytes never reach a log.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod support;

use base64::Engine;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::sync::{Arc, Mutex};
use support::{drained, online, server};
use till_core::SessionToken;
use till_pos::ipc::refund::{RefundInput, RefundLineInput, RefundLookup};
use till_pos::ipc::views::Receipt;
use till_pos::{ErrorCode, Pos, PosConfig};

const CASHIER: i64 = 1;
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// In the photo's bytes, to look for in the logs.
const MARKER: &[u8] = b"TILL-PHOTO-MARKER-7e1d-the-cracked-housing";

/// Everything logged by this test binary (the till, its sync worker and the in-process server).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    captured
}

fn png_photo() -> Vec<u8> {
    [b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".as_slice(), MARKER].concat()
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

fn sell(p: &Pos, t: &SessionToken, skus: &[&str]) -> Receipt {
    let mut cart = None;
    for sku in skus {
        cart = Some(p.cart_scan(t, sku).unwrap());
    }
    let cart = cart.unwrap();
    p.checkout_cash(t, &cart.cart_id, cart.total.minor()).unwrap()
}

/// The speaker line (sold for Acme Audio) of `sale`, with a photo.
fn speaker(p: &Pos, t: &SessionToken, sale: &Receipt, photo: Option<&[u8]>) -> RefundInput {
    let lookup = RefundLookup {
        by: "line_code".into(),
        text: sale.lines[0].line_code.clone(),
        date: None,
        amount_minor: None,
        utc_offset_minutes: None,
    };
    let found = p.refund_find(t, lookup).unwrap();
    RefundInput {
        order_id: found.order_id,
        lines: vec![RefundLineInput { order_line_id: found.lines[0].order_line_id, quantity: 1 }],
        reason: "defective".into(),
        photo_base64: photo.map(|b| B64.encode(b)),
        manager_id: None,
        manager_pin: None,
        wait_for_seller: false,
    }
}

fn till_rows(dir: &tempfile::TempDir, sql: &str) -> Vec<(String, String, Option<String>)> {
    let c = rusqlite::Connection::open(dir.path().join("till.db")).unwrap();
    let mut s = c.prepare(sql).unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(|r| r.unwrap()).collect()
}

#[test]
fn a_refund_with_a_photo_uploads_it_through_the_outbox_once_and_the_seller_decides_with_it() {
    let logs = capture_logs();
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let p = Pos::open(PosConfig::demo(dir.path().join("till.db"))).unwrap();
    online(&p, &srv);
    let c = p.login(CASHIER, "1111").unwrap().token;
    // A speaker sold for Acme Audio: its refund waits for Acme.
    let sale = sell(&p, &c, &["MKT-001", "MKT-001"]);
    drained(&p);

    let photo = png_photo();
    let r = p.refund_record(&c, speaker(&p, &c, &sale, Some(&photo))).unwrap();
    assert_eq!((r.status.as_str(), r.lines[0].state.status.as_str()), ("pending", "awaiting_seller"));
    assert_eq!(r.evidence_sha256.as_deref(), Some(sha(&photo).as_str()));
    // Kept on the till, the owner's only.
    let kept = dir.path().join("evidence").join(format!("{}.img", sha(&photo)));
    assert_eq!(std::fs::read(&kept).unwrap(), photo);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777, 0o600);
    }
    // Queued in the refund's own commit, under the photo's hash.
    let id = format!("photo-{}", sha(&photo));
    let queued = till_rows(
        &dir,
        "SELECT id, kind, json_extract(payload, '$.content_type') FROM outbox WHERE kind = 'refund.photo'",
    );
    assert_eq!(queued, [(id.clone(), "refund.photo".to_string(), Some("image/png".to_string()))]);

    drained(&p);
    let sent = till_rows(
        &dir,
        "SELECT state, kind, json_extract(payload, '$.photo_base64') FROM outbox WHERE kind = 'refund.photo'",
    );
    assert_eq!(
        sent,
        [("done".to_string(), "refund.photo".to_string(), None)],
        "delivered, and its bytes dropped from the outbox"
    );
    // At the server: the bytes, their type, and the refund naming them.
    let stored = srv.repo.read().unwrap().refund_photo(&sha(&photo)).unwrap().expect("the server holds the photo");
    assert_eq!((stored.bytes.as_slice(), stored.content_type.as_str()), (photo.as_slice(), "image/png"));
    let pending = srv.repo.read().unwrap().refunds(Some("pending_seller_confirmation")).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].evidence_sha256.as_deref(), Some(sha(&photo).as_str()));

    // The other speaker with the same photo: the photo is not queued again.
    p.refund_record(&c, speaker(&p, &c, &sale, Some(&photo))).unwrap();
    drained(&p);
    assert_eq!(till_rows(&dir, "SELECT id, state, NULL FROM outbox WHERE kind = 'refund.photo'").len(), 1);

    // Acme confirms (the command line's code path); the till learns it on Refresh.
    till_server::routes::refunds::decide(&*srv.repo, &pending[0].refund_id, true, "acme-audio", 0).unwrap();
    let r = p.refund_refresh(&c, r.refund_id).unwrap();
    assert_eq!((r.status.as_str(), r.to_pay_out.minor()), ("confirmed", 19_900));

    let log = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(log.contains("refund photo"), "the server logged the upload: {log}");
    assert!(!log.contains(std::str::from_utf8(MARKER).unwrap()), "photo bytes in the log");
    let b64 = B64.encode(&photo);
    assert!(!log.contains(&b64[8..40]), "photo base64 in the log");
}

#[test]
fn what_is_not_a_photo_or_is_too_large_is_refused_at_the_counter_and_changes_nothing() {
    let srv = server();
    let dir = tempfile::tempdir().unwrap();
    let p = Pos::open(PosConfig::demo(dir.path().join("till.db"))).unwrap();
    online(&p, &srv);
    let c = p.login(CASHIER, "1111").unwrap().token;
    let sale = sell(&p, &c, &["MKT-001"]);
    drained(&p);
    let mut big = png_photo();
    big.resize(till_core::photo::MAX_PHOTO_BYTES + 1, 0);
    let gif_named_png = b"GIF89a\x01\0\x01\0 a photo.png".to_vec();
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    for bad in [gif_named_png, html, big] {
        let input = RefundInput { photo_base64: Some(B64.encode(&bad)), ..speaker(&p, &c, &sale, None) };
        let e = p.refund_record(&c, input).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidInput, "{e}");
    }
    assert!(till_rows(&dir, "SELECT id, kind, NULL FROM outbox WHERE kind IN ('refund.photo', 'refund.requested')")
        .is_empty());
    assert!(till_rows(&dir, "SELECT CAST(id AS TEXT), reason, NULL FROM refunds").is_empty());
    let evidence = dir.path().join("evidence");
    assert!(!evidence.exists() || std::fs::read_dir(&evidence).unwrap().next().is_none(), "nothing kept");
}
