//! The figures of a period: sales, refunds, tenders, tax rates, cashiers, points and the cash
//! expected, from a few aggregate queries over the time indexes.

use super::*;

/// Computes the report of `(lo, hi]` with a few aggregate queries over the time indexes.
pub(super) fn compute(c: &Connection, lo: i64, hi: i64, cur: Currency, now_ms: i64) -> Result<DayReport> {
    let (orders, sales_minor, first_order): (i64, i64, Option<i64>) = c
        .prepare_cached(
            "SELECT count(*), coalesce(sum(total_minor), 0), min(created_at_ms) FROM orders
             WHERE created_at_ms > ?1 AND created_at_ms <= ?2",
        )?
        .query_row(params![lo, hi], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;

    // Per tender: (sales, refunds, count of sale payments).
    let mut tenders: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    {
        let mut st = c.prepare_cached(
            "SELECT p.tender, coalesce(sum(p.amount_minor), 0), count(*)
             FROM orders o JOIN payments p ON p.order_id = o.id
             WHERE o.created_at_ms > ?1 AND o.created_at_ms <= ?2 GROUP BY p.tender",
        )?;
        let rows =
            st.query_map(params![lo, hi], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))?;
        for row in rows {
            let (t, amount, n) = row?;
            let e = tenders.entry(t).or_default();
            e.0 += amount;
            e.2 += n;
        }
    }
    let (mut refunds_count, mut refunds_minor) = (0i64, 0i64);
    {
        let mut st = c.prepare_cached(
            // Refunds are booked when their money goes back: a line approved at the counter when
            // it was recorded, one the seller confirmed later when it was paid out (cash) or
            // refunded by the server (card, points). A refund of a sale paid partly with points
            // gives that part back as points (`points_value_minor`): it counts under points, the
            // rest under the money tender. A line waiting for the seller has moved no money.
            "SELECT r.tender, sum(CASE WHEN r.tender = 'points' THEN l.amount_minor ELSE l.amount_minor - l.points_value_minor END),
                    count(DISTINCT r.id)
               FROM refund_lines l JOIN refunds r ON r.id = l.refund_id
              WHERE l.paid_at_ms > ?1 AND l.paid_at_ms <= ?2 AND l.status = 'approved' GROUP BY r.tender
             UNION ALL
             SELECT 'points', sum(l.points_value_minor), 0
               FROM refund_lines l JOIN refunds r ON r.id = l.refund_id
              WHERE l.paid_at_ms > ?1 AND l.paid_at_ms <= ?2 AND l.status = 'approved' AND r.tender <> 'points'
                AND l.points_value_minor > 0
             HAVING count(*) > 0",
        )?;
        let rows = st.query_map(params![lo, hi], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get(2)?)))?;
        for row in rows {
            let (t, amount, n): (String, i64, i64) = row?;
            tenders.entry(t).or_default().1 += amount;
            refunds_minor += amount;
            refunds_count += n;
        }
    }

    // Per tax rate: the sold lines, then the tax of refunded lines at their order line's rate.
    let mut taxes: BTreeMap<i64, [i64; 4]> = BTreeMap::new();
    {
        let mut st = c.prepare_cached(
            "SELECT l.tax_rate_bp, sum(l.net_minor), sum(l.tax_minor), sum(l.gross_minor)
             FROM orders o JOIN order_lines l ON l.order_id = o.id
             WHERE o.created_at_ms > ?1 AND o.created_at_ms <= ?2 GROUP BY l.tax_rate_bp",
        )?;
        let rows = st.query_map(params![lo, hi], |r| Ok((r.get(0)?, [r.get(1)?, r.get(2)?, r.get(3)?, 0])))?;
        for row in rows {
            let (rate, v): (i64, [i64; 4]) = row?;
            taxes.insert(rate, v);
        }
        let mut st = c.prepare_cached(
            "SELECT l.tax_rate_bp, sum(rl.tax_minor)
             FROM refund_lines rl JOIN order_lines l ON l.id = rl.order_line_id
             WHERE rl.paid_at_ms > ?1 AND rl.paid_at_ms <= ?2 AND rl.status = 'approved' GROUP BY l.tax_rate_bp",
        )?;
        let rows = st.query_map(params![lo, hi], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            let (rate, tax) = row?;
            taxes.entry(rate).or_default()[3] += tax;
        }
    }

    // Per cashier: orders and sales by who rang them up, refunds by who made them.
    let mut cashiers: BTreeMap<i64, (String, i64, i64, i64)> = BTreeMap::new();
    {
        let mut st = c.prepare_cached(
            "SELECT o.cashier_id, u.name, count(*), sum(o.total_minor)
             FROM orders o JOIN users u ON u.id = o.cashier_id
             WHERE o.created_at_ms > ?1 AND o.created_at_ms <= ?2 GROUP BY o.cashier_id",
        )?;
        let rows = st.query_map(params![lo, hi], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        for row in rows {
            let (id, name, n, total): (i64, String, i64, i64) = row?;
            cashiers.insert(id, (name, n, total, 0));
        }
        let mut st = c.prepare_cached(
            "SELECT coalesce(l.paid_by, r.cashier_id), u.name, sum(l.amount_minor)
             FROM refund_lines l JOIN refunds r ON r.id = l.refund_id JOIN users u ON u.id = coalesce(l.paid_by, r.cashier_id)
             WHERE l.paid_at_ms > ?1 AND l.paid_at_ms <= ?2 AND l.status = 'approved' GROUP BY 1",
        )?;
        let rows = st.query_map(params![lo, hi], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        for row in rows {
            let (id, name, total): (i64, String, i64) = row?;
            cashiers.entry(id).or_insert((name, 0, 0, 0)).3 += total;
        }
    }

    let (points_issued, points_redeemed): (i64, i64) = c
        .prepare_cached(
            "SELECT coalesce(sum(CASE WHEN kind = 'earn' THEN points END), 0),
                    coalesce(-sum(CASE WHEN kind = 'redeem' THEN points END), 0)
             FROM points_ledger WHERE created_at_ms > ?1 AND created_at_ms <= ?2 AND status <> 'rejected'",
        )?
        .query_row(params![lo, hi], |r| Ok((r.get(0)?, r.get(1)?)))?;

    let sales = money(sales_minor, cur);
    let refunds = money(refunds_minor, cur);
    // payments.amount_minor is what the order received (the total), not the cash handed over,
    // so the change given back is already out of it.
    let cash = tenders.get("cash").copied().unwrap_or_default();
    let cash_expected = sub(money(cash.0, cur), money(cash.1, cur))?;
    let tenders = tenders
        .into_iter()
        .map(|(tender, (s, r, n))| {
            Ok(TenderTotals {
                tender,
                sales: money(s, cur),
                refunds: money(r, cur),
                net: sub(money(s, cur), money(r, cur))?,
                count: n,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let taxes = taxes
        .into_iter()
        .map(|(rate_bp, [n, t, g, rt])| TaxSummary {
            rate_bp,
            net: money(n, cur),
            tax: money(t, cur),
            gross: money(g, cur),
            refunds_tax: money(rt, cur),
        })
        .collect();
    let cashiers = cashiers
        .into_iter()
        .map(|(cashier_id, (name, n, s, r))| CashierTotals {
            cashier_id,
            name,
            orders: n,
            sales: money(s, cur),
            refunds: money(r, cur),
        })
        .collect();
    let remote_refunds = crate::remote_refunds::report_entries(c, lo, hi)?;
    // With no close yet the period starts at the epoch; show it as just before the first order.
    let from_ms = if lo == 0 { first_order.map_or(hi.min(now_ms), |t| t - 1) } else { lo };
    Ok(DayReport {
        kind: ReportKind::X,
        close_id: None,
        business_date: None,
        from_ms,
        to_ms: hi,
        generated_at_ms: now_ms,
        orders,
        refunds_count,
        sales,
        refunds,
        net: sub(sales, refunds)?,
        tenders,
        taxes,
        cashiers,
        points_issued,
        points_redeemed,
        cash_expected,
        remote_refunds,
        cash_counted: None,
        cash_difference: None,
        closed_by: None,
    })
}
