//! The points of a refund follow its money: the share of what the sale earned is taken back and
//! the share it redeemed is given back for the lines approved, when they are approved. A line
//! waiting for the seller gives its share once the seller confirms it (the server's answer, in
//! the same transaction); a refused line never does.
//!
//! The shares are of the amounts already settled on the order (`refund_lines.points_settled`),
//! so over any number of refunds and decisions the points taken back never exceed what the
//! sale earned, nor those given back what it redeemed.

use super::*;
use sha2::{Digest, Sha256};

/// Points the sale earned and redeemed (not rejected), and what earlier refunds took back.
fn points_of_order(tx: &Transaction<'_>, order_id: i64) -> Result<[i64; 4]> {
    let sum = |kind: &str| -> Result<i64> {
        Ok(tx
            .prepare_cached(
                "SELECT coalesce(sum(abs(points)), 0) FROM points_ledger
                  WHERE order_id = ?1 AND kind = ?2 AND status <> 'rejected'",
            )?
            .query_row(params![order_id, kind], |r| r.get(0))?)
    };
    Ok([sum("earn")?, sum("redeem")?, sum("reverse-earn")?, sum("return-redeem")?])
}

/// What the order's refund lines whose points were settled add up to (refused ones aside).
pub(crate) fn settled_minor(tx: &Transaction<'_>, order_id: i64) -> Result<i64> {
    Ok(tx
        .prepare_cached(
            "SELECT coalesce(sum(l.amount_minor), 0) FROM refund_lines l JOIN refunds r ON r.id = l.refund_id
              WHERE r.order_id = ?1 AND l.points_settled = 1 AND l.status <> 'refused'",
        )?
        .query_row([order_id], |r| r.get(0))?)
}

/// One settlement of a refund's points.
pub(crate) struct PointsBack<'a> {
    /// The order (local id) and its receipt number.
    pub order_id: i64,
    pub order_no: &'a str,
    /// The loyalty account of the sale.
    pub account: &'a str,
    /// The local refund the ledger rows belong to.
    pub refund_id: i64,
    /// The refund id the server knows the reversal by (one reversal of each kind per id).
    pub server_refund_id: &'a str,
    /// The order's total, what was settled before, and what is settled now.
    pub total: Money,
    pub before: Money,
    pub now: Money,
    /// The outbox ids of the reversal and of the give-back.
    pub event_ids: [&'a str; 2],
    /// The events' subject (the order's, so they go after the sale).
    pub subject: &'a str,
    pub now_ms: i64,
}

/// Writes the ledger rows and `points.reversed` events of `p`; the points taken back and given
/// back.
pub(crate) fn write_points_back(tx: &Transaction<'_>, p: &PointsBack<'_>) -> Result<(i64, i64)> {
    let [earned, redeemed, reversed_before, returned_before] = points_of_order(tx, p.order_id)?;
    let reverse = points_share(earned, p.total, p.before, p.now).min(earned - reversed_before).max(0);
    let give_back = points_share(redeemed, p.total, p.before, p.now).min(redeemed - returned_before).max(0);
    for ((kind, wire, signed), event_id) in
        [("reverse-earn", "reverse_earn", -reverse), ("return-redeem", "return_redeem", give_back)]
            .into_iter()
            .zip(p.event_ids)
    {
        if signed == 0 {
            continue;
        }
        tx.prepare_cached(
            "INSERT INTO points_ledger (customer_ref, order_id, refund_id, kind, points, created_at_ms, event_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![p.account, p.order_id, p.refund_id, kind, signed, p.now_ms, event_id])?;
        outbox::enqueue_kind(
            tx,
            event_id,
            EventKind::PointsReversed,
            p.subject,
            &json!({ "refund_id": p.server_refund_id, "order_id": p.order_no, "account_id": p.account,
                     "kind": wire, "points": signed.abs() }),
            p.now_ms,
        )?;
    }
    Ok((reverse, give_back))
}

/// A confirmed refund line with what settling its points needs.
struct ConfirmedLine {
    refund_id: i64,
    order_id: i64,
    amount: i64,
    settled: bool,
    server_refund_id: String,
    total: i64,
    order_no: String,
    account: Option<String>,
    currency: String,
}

/// Settles the points of the refund line of event `event_id` that the seller has just
/// confirmed: its share goes back now, under event ids derived from the line's own (the store
/// has no randomness of its own), and the server knows it by the line's refund id.
pub(crate) fn settle_confirmed_line(tx: &Transaction<'_>, event_id: &str, now_ms: i64) -> Result<()> {
    let line = tx
        .prepare_cached(
            "SELECT r.id, r.order_id, l.amount_minor, l.points_settled, json_extract(o.payload, '$.refund_id'),
                    d.total_minor, d.order_no, d.customer_ref, d.currency
               FROM refund_lines l JOIN refunds r ON r.id = l.refund_id JOIN orders d ON d.id = r.order_id
               JOIN outbox o ON o.id = l.event_id
              WHERE l.event_id = ?1",
        )?
        .query_row([event_id], |r| {
            Ok(ConfirmedLine {
                refund_id: r.get(0)?,
                order_id: r.get(1)?,
                amount: r.get(2)?,
                settled: r.get(3)?,
                server_refund_id: r.get(4)?,
                total: r.get(5)?,
                order_no: r.get(6)?,
                account: r.get(7)?,
                currency: r.get(8)?,
            })
        })
        .optional()?;
    let Some(ConfirmedLine {
        refund_id,
        order_id,
        amount,
        settled,
        server_refund_id,
        total,
        order_no,
        account,
        currency,
    }) = line
    else {
        return Ok(());
    };
    if settled {
        return Ok(());
    }
    if let Some(account) = account {
        let currency = Currency::parse(&currency).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let derived =
            |kind: &str| hex::encode(&Sha256::digest(format!("refund.points:{kind}:{event_id}").as_bytes())[..16]);
        let (reverse_id, return_id) = (derived("reverse-earn"), derived("return-redeem"));
        write_points_back(
            tx,
            &PointsBack {
                order_id,
                order_no: &order_no,
                account: &account,
                refund_id,
                server_refund_id: &server_refund_id,
                total: Money::new(total, currency),
                before: Money::new(settled_minor(tx, order_id)?, currency),
                now: Money::new(amount, currency),
                event_ids: [&reverse_id, &return_id],
                subject: &format!("order/{order_id}"),
                now_ms,
            },
        )?;
    }
    tx.prepare_cached("UPDATE refund_lines SET points_settled = 1 WHERE event_id = ?1")?.execute([event_id])?;
    Ok(())
}
