//! The `sale.recorded` outbox event as a type: checkout writes it in the sale's transaction and
//! the sync worker reads it back, so both sides agree on its shape by construction. It carries
//! everything the server needs (the lines' names included), so sending it reads nothing from
//! the database again; and nothing the server must not have (no PAN, not even its hash).

use serde::{Deserialize, Serialize};
use till_core::{NewOrder, Payment};

/// A recorded sale, as queued for the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRecorded {
    /// The local order id.
    pub order_id: i64,
    /// The printed order number (the server's order id). Absent in the oldest events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_no: Option<String>,
    /// The cart the sale came from.
    #[serde(default)]
    pub checkout_key: String,
    /// When it was recorded, ms since the epoch.
    pub created_at_ms: i64,
    /// Who sold it.
    #[serde(default)]
    pub cashier_id: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Sum of the lines before tax, minor units.
    #[serde(default)]
    pub subtotal: i64,
    /// Tax, minor units.
    #[serde(default)]
    pub tax: i64,
    /// Total, minor units.
    #[serde(default)]
    pub total: i64,
    /// The lines.
    pub lines: Vec<SaleRecordedLine>,
    /// The money tender (cash or card): what points did not pay.
    pub payment: SaleRecordedPayment,
    /// The loyalty customer, when one was identified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_ref: Option<String>,
    /// What points paid, minor units, when they paid part.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_payment: Option<i64>,
}

/// One line of a recorded sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRecordedLine {
    /// Its own code, printed on the receipt.
    pub line_code: String,
    /// SKU at the time of sale.
    pub sku: String,
    /// Name at the time of sale (empty in events queued before names were carried).
    #[serde(default)]
    pub name: String,
    /// Units.
    pub quantity: i64,
    /// Unit price as charged, minor units.
    pub unit_price: i64,
    /// Tax rate in basis points.
    #[serde(default)]
    pub tax_rate_bp: u16,
    /// Before tax, minor units.
    #[serde(default)]
    pub net: i64,
    /// Tax, minor units.
    #[serde(default)]
    pub tax: i64,
    /// Including tax, minor units.
    pub gross: i64,
    /// The device sold on the line.
    #[serde(default)]
    pub device: Option<SoldDevice>,
    /// The seller the line was sold for; absent when the shop sold it itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller: Option<String>,
    /// Where the line came from when not the catalogue: an order collected, a service paid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<SaleLineOrigin>,
}

/// The origin of a sale line, as the event carries it (`till_core::LineOrigin`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleLineOrigin {
    /// `pending_order` or `service`.
    pub kind: String,
    /// The platform's order id or the conversation id.
    pub reference: String,
}

/// A device sold on a line (the sold-data list learns it from the sale).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SoldDevice {
    /// `imei`, `meid`, `esn` or `serial`.
    pub kind: String,
    /// The identifier (kept in the till's outbox; the sync worker blinds and seals it when it
    /// sends the sale, docs/device-services.md).
    pub identifier: String,
    /// The software package recorded at sale (the product's `software` then).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software: Option<String>,
    /// The warranty recorded at sale, months.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warranty_months: Option<i64>,
}

/// The money tender of a recorded sale: masked card data at most.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleRecordedPayment {
    /// `cash` or `card`.
    pub tender: String,
    /// Paid by this tender, minor units.
    pub amount: i64,
    /// Cash handed over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tendered: Option<i64>,
    /// Change given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<i64>,
    /// First six and last four digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_masked: Option<String>,
    /// Card brand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// Approval code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_code: Option<String>,
    /// The payment id the card was authorised under (the key of its authorisation on the
    /// server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// How the card was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_mode: Option<String>,
    /// How the cardholder was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvm: Option<String>,
    /// The wallet of a payment-code payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet: Option<String>,
    /// The payment code, first four and last four digits only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_code: Option<String>,
}

impl SaleRecorded {
    /// The same event with the lines' sellers (in line order; None: the shop itself).
    pub fn with_sellers(mut self, sellers: Vec<Option<String>>) -> SaleRecorded {
        for (line, seller) in self.lines.iter_mut().zip(sellers) {
            line.seller = seller;
        }
        self
    }

    /// The same event with the software and warranty recorded on its device lines (by line
    /// number, from 1).
    pub fn with_device_services(mut self, services: Vec<crate::device_services::LineServices>) -> SaleRecorded {
        for (line_no, software, warranty_months) in services {
            let device =
                usize::try_from(line_no - 1).ok().and_then(|i| self.lines.get_mut(i)).and_then(|l| l.device.as_mut());
            if let Some(d) = device {
                d.software = software;
                d.warranty_months = warranty_months;
            }
        }
        self
    }

    /// The event of `order`, recorded as `order_id` / `order_no`; points paid `points_paid` of
    /// it for the customer `customer_ref`.
    pub fn of(
        order: &NewOrder,
        order_id: i64,
        order_no: &str,
        customer_ref: Option<&str>,
        points_paid: i64,
    ) -> SaleRecorded {
        let money = order.total.minor() - points_paid;
        let payment = match &order.payment {
            Payment::Cash(c) => SaleRecordedPayment {
                tender: "cash".into(),
                amount: money,
                tendered: Some(c.tendered.minor()),
                change: Some(c.change.minor()),
                card_masked: None,
                brand: None,
                auth_code: None,
                payment_id: None,
                entry_mode: None,
                cvm: None,
                wallet: None,
                masked_code: None,
            },
            Payment::Card(c) => SaleRecordedPayment {
                tender: "card".into(),
                amount: money,
                tendered: None,
                change: None,
                card_masked: Some(c.masked_pan.as_str().to_string()),
                brand: Some(c.brand.name().to_string()),
                auth_code: Some(c.auth_code.clone()),
                payment_id: c.payment_id.as_ref().map(ToString::to_string),
                entry_mode: Some(c.entry_mode.clone()),
                cvm: Some(c.cvm.clone()),
                wallet: None,
                masked_code: None,
            },
            Payment::Code(c) => SaleRecordedPayment {
                tender: "payment_code".into(),
                amount: money,
                tendered: None,
                change: None,
                card_masked: None,
                brand: None,
                auth_code: Some(c.platform_ref.clone()),
                payment_id: Some(c.payment_id.to_string()),
                entry_mode: None,
                cvm: None,
                wallet: Some(c.wallet.as_str().to_string()),
                masked_code: Some(c.masked_code.clone()),
            },
        };
        SaleRecorded {
            order_id,
            order_no: Some(order_no.to_string()),
            checkout_key: order.checkout_key.clone(),
            created_at_ms: order.created_at_ms,
            cashier_id: order.cashier_id,
            currency: order.currency.code().to_string(),
            subtotal: order.subtotal.minor(),
            tax: order.tax.minor(),
            total: order.total.minor(),
            lines: order
                .lines
                .iter()
                .map(|l| SaleRecordedLine {
                    line_code: l.line_code.as_str().to_string(),
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    quantity: l.quantity,
                    unit_price: l.unit_price.minor(),
                    tax_rate_bp: l.tax_rate_bp,
                    net: l.net.minor(),
                    tax: l.tax.minor(),
                    gross: l.gross.minor(),
                    device: l.device.as_ref().map(|d| SoldDevice {
                        kind: d.kind().as_str().to_string(),
                        identifier: d.as_str().to_string(),
                        software: None,
                        warranty_months: None,
                    }),
                    seller: None,
                    origin: l
                        .origin
                        .as_ref()
                        .map(|o| SaleLineOrigin { kind: o.kind().to_string(), reference: o.reference().to_string() }),
                })
                .collect(),
            payment,
            customer_ref: customer_ref.map(str::to_string),
            points_payment: (points_paid > 0).then_some(points_paid),
        }
    }
}
