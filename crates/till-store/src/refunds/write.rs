//! Writing a refund: the checks against what is left of the sale, the refund and its lines, the
//! points reversals, the audit entry and the outbox events, in the caller's transaction.

use super::points_back::{settled_minor, write_points_back, PointsBack};
use super::*;

fn invalid(msg: impl Into<String>) -> StoreError {
    StoreError::Invalid(msg.into())
}

/// Checks and writes a refund inside an open transaction: the refund, its lines, the points
/// reversals, the audit entry and the `refund.requested` (and `points.reversed`) events. The one
/// writer of a refund: [`Store::record_refund`], [`Store::refund_preview`] and the demo
/// generator ([`crate::demo_data`]) all call it.
pub(crate) fn write_refund(tx: &Transaction<'_>, r: &NewRefund) -> Result<RecordedRefund> {
    let order = load_order(tx, r.order_id, None)?.ok_or(StoreError::NotFound("order"))?;
    if r.lines.is_empty() {
        return Err(invalid("choose at least one line to refund"));
    }
    if r.reason.trim().is_empty() || r.reason.len() > 200 {
        return Err(invalid("give a reason (at most 200 characters)"));
    }
    if r.event_ids.len() < r.lines.len() + 2 {
        return Err(invalid("an event id is needed per line and per points reversal"));
    }
    if r.photo.as_ref().is_some_and(|p| r.evidence_sha256.as_deref() != Some(p.sha256.as_str())) {
        return Err(invalid("the photo uploaded must be the one the refund names"));
    }
    if !r.decisions.is_empty() && r.decisions.len() != r.lines.len() {
        return Err(invalid("a decision is needed per line"));
    }
    let by_approval = match r.approval.as_str() {
        "policy" => Decision::Policy,
        "manager" => Decision::ShopManager,
        _ => Decision::AwaitSeller,
    };
    let decision_of = |i: usize| r.decisions.get(i).copied().unwrap_or(by_approval);
    let currency = Currency::parse(&order.currency).map_err(|e| invalid(e.to_string()))?;
    let mut parts = Vec::with_capacity(r.lines.len());
    let (mut amount, mut tax) = (0i64, 0i64);
    for (i, &(line_id, quantity)) in r.lines.iter().enumerate() {
        if r.lines[..i].iter().any(|(l, _)| *l == line_id) {
            return Err(invalid("a line is named twice"));
        }
        let line = order
            .lines
            .iter()
            .find(|l| l.order_line_id == line_id)
            .ok_or_else(|| invalid("that line is not on this sale"))?;
        let left = line.quantity - line.refunded_quantity;
        if quantity <= 0 || quantity > left {
            return Err(StoreError::RefundExceedsSold { line_no: line.line_no, left });
        }
        let (line_tax, line_gross): (i64, i64) = tx
            .prepare_cached("SELECT tax_minor, gross_minor FROM order_lines WHERE id = ?1")?
            .query_row([line_id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        let share = |m: i64| {
            unit_share(Money::new(m, currency), line.quantity, line.refunded_quantity, quantity)
                .map(|x| x.minor())
                .map_err(|e| invalid(e.to_string()))
        };
        let (a, t) = (share(line_gross)?, share(line_tax)?);
        amount += a;
        tax += t;
        parts.push((line, quantity, a, t));
    }
    if amount <= 0 {
        return Err(invalid("nothing to pay back: those lines were free"));
    }
    if order.refunded_minor + amount > order.total_minor {
        return Err(StoreError::RefundExceedsPaid { left: order.total_minor - order.refunded_minor });
    }
    let total = Money::new(order.total_minor, currency);
    let before = Money::new(order.refunded_minor, currency);
    let now = Money::new(amount, currency);
    let points_value = points_share(order.points_paid_minor, total, before, now);
    let tender = if points_value == amount { "points".to_string() } else { order.tender.clone() };

    let (refund_id, refund_no): (i64, String) = tx
        .prepare_cached(
            "INSERT INTO refunds (order_id, created_at_ms, cashier_id, approved_by, tender, currency, amount_minor, tax_minor,
                                  reason, evidence_sha256, approval, customer_ref, points_value_minor, decided_offline,
                                  status)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15) RETURNING id, refund_no",
        )?
        .query_row(
            params![
                r.order_id,
                r.now_ms,
                r.cashier_id,
                r.approved_by.as_ref().map(|(id, _)| *id),
                tender,
                order.currency,
                amount,
                tax,
                r.reason.trim(),
                r.evidence_sha256,
                r.approval,
                r.customer_ref.as_ref().or(order.customer_ref.as_ref()),
                points_value,
                r.decided_offline,
                if (0..parts.len()).any(|i| !decision_of(i).approved()) { "pending" } else { "confirmed" }
            ],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )?;
    // Every event of a sale shares its subject, so the worker sends them in order: the sale
    // before its refunds, a points update before its reversal.
    let subject = format!("order/{}", r.order_id);
    let customer = r.customer_ref.clone().or_else(|| order.customer_ref.clone());
    let settled_before = settled_minor(tx, r.order_id)?;
    let (mut approved_minor, mut cash_now_minor, mut before_line) = (0i64, 0i64, 0i64);
    let mut requests = Vec::with_capacity(parts.len());
    for (i, (line, quantity, a, t)) in parts.iter().enumerate() {
        let event_id = &r.event_ids[i];
        let decision = decision_of(i);
        // The points part of each line, so that the lines' parts add up to the refund's.
        let line_points = points_share(points_value, now, Money::new(before_line, currency), Money::new(*a, currency));
        before_line += a;
        // An approved line's money goes back now; one waiting for the seller pays nothing yet.
        let (status, paid_at) =
            if decision.approved() { ("approved", Some(r.now_ms)) } else { ("awaiting_seller", None) };
        if decision.approved() {
            approved_minor += a;
            if tender == "cash" {
                cash_now_minor += a - line_points;
            }
        }
        tx.prepare_cached(
            "INSERT INTO refund_lines (refund_id, order_line_id, quantity, amount_minor, tax_minor, event_id, status,
                                       decision, paid_at_ms, paid_by, points_value_minor, points_settled)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        )?
        .execute(params![
            refund_id,
            line.order_line_id,
            quantity,
            a,
            t,
            event_id,
            status,
            decision.as_str(),
            paid_at,
            paid_at.map(|_| r.cashier_id),
            line_points,
            decision.approved()
        ])?;
        let mut body = json!({
            "refund_id": format!("{}-{}", r.key, line.line_no),
            "amount": { "minor": a, "currency": order.currency },
            // A payment code's wallet is paid back through the original payment (the server
            // finds it by the sale's payment id); its own tenders are the server's words.
            "tender": if tender == "payment_code" { "original" } else { tender.as_str() },
            "reason": r.reason.trim(),
        });
        // A device is refunded by its identifier, so the sold-data list marks it (CN103310370A).
        match (&line.serial_number, line.quantity) {
            (Some(id), 1) => body["device_identifier"] = json!(id),
            _ => body["line_code"] = json!(line.line_code),
        }
        if let Some(h) = &r.evidence_sha256 {
            body["evidence_sha256"] = json!(h);
        }
        if let Some(c) = &customer {
            body["customer_id"] = json!(c);
        }
        if let Some((_, name)) = &r.approved_by {
            body["approved_by"] = json!(name);
        }
        // Left to the seller: the server waits for them too, whatever the customer's reputation.
        if r.approval == "seller" {
            body["hold_for_seller"] = json!(true);
        }
        if tender == "card" {
            if let Some(code) = &order.auth_code {
                body["original_auth_code"] = json!(code);
            }
        }
        outbox::enqueue_kind(tx, event_id, EventKind::RefundRequested, &subject, &body, r.now_ms)?;
        requests.push(body);
    }

    if let Some(p) = &r.photo {
        super::photo::enqueue_photo(tx, p, r.now_ms)?;
    }

    // Points go back with the money: the share of the lines approved now (`points_back`).
    let (mut points_reversed, mut points_returned) = (0, 0);
    if let Some(account) = &order.customer_ref {
        let key = r.key.clone();
        (points_reversed, points_returned) = write_points_back(
            tx,
            &PointsBack {
                order_id: r.order_id,
                order_no: &order.order_no,
                account,
                refund_id,
                server_refund_id: &key,
                total,
                before: Money::new(settled_before, currency),
                now: Money::new(approved_minor, currency),
                event_ids: [&r.event_ids[r.lines.len()], &r.event_ids[r.lines.len() + 1]],
                subject: &subject,
                now_ms: r.now_ms,
            },
        )?;
    }

    set_order_status(tx, r.order_id)?;
    audit::append(
        tx,
        r.now_ms,
        Some(r.cashier_id),
        "refund.recorded",
        &json!({
            "refund_id": refund_id, "refund_no": refund_no, "order_id": r.order_id, "order_no": order.order_no,
            "amount": amount, "currency": order.currency, "tender": tender, "reason": r.reason.trim(),
            "approval": r.approval, "approved_by": r.approved_by.as_ref().map(|(id, _)| *id),
            "approved_now": approved_minor, "decided_offline": r.decided_offline,
            "decisions": (0..parts.len()).map(|i| decision_of(i).as_str()).collect::<Vec<_>>(),
        }),
    )?;
    Ok(RecordedRefund {
        refund_id,
        refund_no,
        amount_minor: amount,
        tax_minor: tax,
        tender,
        points_value_minor: points_value,
        points_reversed,
        points_returned,
        approved_minor,
        cash_now_minor,
        requests,
    })
}

/// `refunded` when every unit is refunded, `partly_refunded` when some are, else `paid`.
pub(crate) fn set_order_status(tx: &Transaction<'_>, order_id: i64) -> Result<()> {
    tx.prepare_cached(
        "UPDATE orders SET status = (
             SELECT CASE WHEN sum(refunded_quantity) = 0 THEN 'paid'
                         WHEN sum(refunded_quantity) = sum(quantity) THEN 'refunded'
                         ELSE 'partly_refunded' END
               FROM order_lines WHERE order_id = ?1)
          WHERE id = ?1",
    )?
    .execute([order_id])?;
    Ok(())
}
