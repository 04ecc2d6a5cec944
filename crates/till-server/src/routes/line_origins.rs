//! What a recorded sale does beyond itself: a line that collects an order pending collection
//! marks that order collected, a line that pays a service marks the service paid and queues the
//! provider's notification. It runs in the sale's own transaction, so the sale and its effects
//! are stored together or not at all; an error refuses the sale like any other check.

use crate::error::ApiError;
use crate::repo::Tx;
use till_core::LineOrigin;

/// A line of the recorded sale that came from outside the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginLine {
    /// The line's code (compact form).
    pub line_code: String,
    /// Where it came from.
    pub origin: LineOrigin,
    /// What the line paid, minor units.
    pub total_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
}

/// A recorded sale's lines with an origin, and what identifies the sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOriginsRecorded {
    /// The terminal that recorded the sale.
    pub terminal_id: String,
    /// The till's order id.
    pub order_id: String,
    /// The store the sale names.
    pub store: String,
    /// The lines with an origin, in line order.
    pub lines: Vec<OriginLine>,
    /// The server's time of recording, Unix seconds.
    pub now: i64,
}

/// Applies the effects of `sale`'s lines with an origin, each kind by its own service.
pub fn recorded(tx: &mut dyn Tx, sale: &LineOriginsRecorded) -> Result<(), ApiError> {
    for line in &sale.lines {
        tx.set_line_origin(&line.line_code, line.origin.kind(), line.origin.reference())?;
    }
    let mut pending_orders = Vec::new();
    for line in &sale.lines {
        match &line.origin {
            LineOrigin::PendingOrder { reference } => pending_orders.push(super::pending_orders::CollectedLine {
                reference: reference.clone(),
                total_minor: line.total_minor,
                currency: line.currency.clone(),
            }),
            LineOrigin::Service { reference } => crate::services::paid::paid(
                tx,
                &crate::services::paid::PaidLine {
                    terminal_id: &sale.terminal_id,
                    order_id: &sale.order_id,
                    line_code: &line.line_code,
                    conversation_id: reference,
                    total_minor: line.total_minor,
                    currency: &line.currency,
                },
                sale.now,
            )?,
        }
    }
    // An order's lines are checked together: the sale must cover the whole order.
    if !pending_orders.is_empty() {
        super::pending_orders::collected(tx, &sale.terminal_id, &sale.order_id, &pending_orders, sale.now)?;
    }
    Ok(())
}
