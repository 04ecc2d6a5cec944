//! A report as plain text lines, for the printer and the PDF.

use super::*;

/// The report as plain text lines, for the printer and the PDF. Amounts use [`Money`]'s
/// display (`CNY 38.00`), as receipts do.
pub fn report_lines(r: &DayReport) -> Vec<String> {
    let row = |label: &str, value: String| format!("{label:<24}{value:>24}");
    let mut out = Vec::new();
    match (&r.kind, &r.business_date) {
        (ReportKind::Z, Some(date)) => out.push(format!("Z report - business date {date}")),
        (ReportKind::Z, None) => out.push("Z report".to_string()),
        (ReportKind::X, _) => out.push("X report - open period, nothing closed".to_string()),
    }
    if let Some(id) = r.close_id {
        out.push(format!("Close no. {id}"));
    }
    out.push(format!("From  {}", till_core::calendar::utc_minute(r.from_ms)));
    out.push(format!("To    {}", till_core::calendar::utc_minute(r.to_ms)));
    out.push(format!("Made  {}", till_core::calendar::utc_minute(r.generated_at_ms)));
    if let Some(by) = &r.closed_by {
        out.push(format!("Closed by {by}"));
    }
    out.push(String::new());
    out.push(row("Orders", r.orders.to_string()));
    out.push(row("Sales", r.sales.to_string()));
    out.push(row("Refunds", format!("{} ({})", r.refunds, r.refunds_count)));
    out.push(row("Net", r.net.to_string()));
    out.push(String::new());
    out.push("By tender".to_string());
    for t in &r.tenders {
        out.push(row(&format!("  {} ({})", t.tender, t.count), t.sales.to_string()));
        out.push(row("    refunds", t.refunds.to_string()));
        out.push(row("    net", t.net.to_string()));
    }
    out.push(String::new());
    out.push("By tax rate".to_string());
    for t in &r.taxes {
        let rate = format!("{}.{:02} %", t.rate_bp / 100, t.rate_bp % 100);
        out.push(format!("  {rate}"));
        out.push(row("    net", t.net.to_string()));
        out.push(row("    tax", t.tax.to_string()));
        out.push(row("    gross", t.gross.to_string()));
        out.push(row("    tax refunded", t.refunds_tax.to_string()));
    }
    out.push(String::new());
    out.push("By cashier".to_string());
    for c in &r.cashiers {
        out.push(row(&format!("  {} ({})", c.name, c.orders), c.sales.to_string()));
        out.push(row("    refunds", c.refunds.to_string()));
    }
    out.push(String::new());
    out.push(row("Points issued", r.points_issued.to_string()));
    out.push(row("Points redeemed", r.points_redeemed.to_string()));
    out.push(String::new());
    out.push(row("Cash expected", r.cash_expected.to_string()));
    if let Some(counted) = r.cash_counted {
        out.push(row("Cash counted", counted.to_string()));
    }
    if let Some(diff) = r.cash_difference {
        out.push(row("Difference", diff.to_string()));
    }
    out
}
