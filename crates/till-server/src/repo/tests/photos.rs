//! Refund photos (schema version 15): bytes stored once by their SHA-256 (BYTEA on PostgreSQL),
//! and the refunds awaiting the seller, per merchant.

use super::fixtures::{refund, sale};
use super::*;

fn photo(sha: &str, bytes: Vec<u8>) -> RefundPhotoRecord {
    RefundPhotoRecord {
        sha256: sha.into(),
        content_type: "image/png".into(),
        size: bytes.len() as i64,
        bytes,
        terminal_id: "t_1".into(),
        created_at: 7,
    }
}

/// Every byte value, NUL and invalid UTF-8 included, and a photo of a few hundred KiB.
fn awkward_bytes() -> Vec<u8> {
    let mut bytes: Vec<u8> = (0..=255u8).collect();
    bytes.extend((0..300_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    bytes
}

pub(super) fn a_photo_is_stored_once_with_its_bytes_unchanged(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    let first = photo("aa", awkward_bytes());
    assert!(tx.insert_refund_photo(&first).unwrap());
    assert!(!tx.insert_refund_photo(&photo("aa", vec![1, 2, 3])).unwrap(), "the first upload stays");
    assert!(tx.insert_refund_photo(&photo("bb", Vec::new())).unwrap());
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    assert_eq!(tx.refund_photo("aa").unwrap(), Some(first));
    assert_eq!(tx.refund_photo("bb").unwrap().unwrap().bytes, Vec::<u8>::new());
    assert_eq!(tx.refund_photo("cc").unwrap(), None);
    assert!(tx.refund_photo_exists("aa").unwrap());
    assert!(!tx.refund_photo_exists("cc").unwrap());
}

pub(super) fn refunds_awaiting_the_seller_are_listed_per_merchant_with_their_photo(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    sale(&mut *tx, "t_1", "o-1", "L1", "acme", 100, 10);
    sale(&mut *tx, "t_1", "o-2", "L2", "acme", 100, 10);
    sale(&mut *tx, "t_2", "o-3", "L3", "beta", 100, 10);
    sale(&mut *tx, "t_1", "o-4", "L4", "acme", 100, 10);
    tx.set_terminal_store("t_1", "north").unwrap();
    let waiting = "pending_seller_confirmation";
    tx.insert_refund(&refund("r-2", "t_1", "L2", waiting, Some("aa"), 30)).unwrap();
    tx.insert_refund(&refund("r-1", "t_1", "L1", waiting, Some("not-uploaded"), 20)).unwrap();
    tx.insert_refund(&refund("r-3", "t_2", "L3", waiting, Some("aa"), 20)).unwrap();
    tx.insert_refund(&refund("r-4", "t_1", "L4", "refunded", Some("aa"), 20)).unwrap();
    tx.insert_refund_photo(&photo("aa", vec![0, 159, 146, 150])).unwrap();
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    let rows = tx.console_refunds_awaiting("acme", None).unwrap();
    let seen: Vec<_> = rows.iter().map(|r| (r.refund_id.as_str(), r.photo_stored)).collect();
    assert_eq!(seen, [("r-1", false), ("r-2", true)], "oldest first; only acme's, only awaiting");
    assert_eq!(
        rows[1],
        AwaitingRefundRow {
            refund_id: "r-2".into(),
            terminal_id: "t_1".into(),
            store: "north".into(),
            order_id: "o-2".into(),
            line_code: "L2".into(),
            sku: "SKU-1".into(),
            name: "Phone".into(),
            quantity: 1,
            line_total_minor: 100,
            seller: Some("seller-a".into()),
            amount_minor: 100,
            currency: "CNY".into(),
            tender: "cash".into(),
            reason: "broken screen".into(),
            customer_id: Some("cust-9".into()),
            reputation: Some(70),
            evidence_sha256: Some("aa".into()),
            photo_stored: true,
            created_at: 30,
        }
    );
    let one: Vec<_> =
        tx.console_refunds_awaiting("acme", Some("r-2")).unwrap().into_iter().map(|r| r.refund_id).collect();
    assert_eq!(one, ["r-2"]);
    assert!(tx.console_refunds_awaiting("acme", Some("r-3")).unwrap().is_empty(), "beta's refund");
    assert_eq!(tx.console_refunds_awaiting("beta", None).unwrap()[0].store, "main");
    // A photo is shown to a merchant with a refund that names it.
    assert_eq!(tx.console_refund_photo("acme", "aa").unwrap().unwrap().bytes, [0, 159, 146, 150]);
    assert!(tx.console_refund_photo("beta", "aa").unwrap().is_some());
    assert_eq!(tx.console_refund_photo("gamma", "aa").unwrap(), None);
    assert_eq!(tx.console_refund_photo("acme", "not-uploaded").unwrap(), None);
}
