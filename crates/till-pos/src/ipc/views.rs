//! What crosses IPC: plain data shaped for the UI, with TypeScript types generated from them.

use serde::{Deserialize, Serialize};
use till_core::CartId;
use till_core::SessionToken;
use till_core::{Money, Product, Role};
use till_store::UserRecord;
use ts_rs::TS;

/// A demo user with its PIN, shown on the login screen in demo mode only.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DemoUser {
    /// User id.
    #[ts(type = "number")]
    pub user_id: i64,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The demo PIN.
    pub pin: String,
}

/// What the UI needs before anyone logs in.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// App version.
    pub version: String,
    /// Whether this till runs on demo data.
    pub demo_mode: bool,
    /// ISO 4217 code of the till's currency.
    pub currency: String,
    /// Demo users and PINs (empty unless demo mode).
    pub demo_users: Vec<DemoUser>,
    /// The first-run setup's progress and the shop profile (receipts carry its name).
    pub setup: crate::ipc::setup::SetupStatus,
}

/// A user as listed on the login screen.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LoginUser {
    /// Id.
    #[ts(type = "number")]
    pub id: i64,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
}

/// A user as a manager sees it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    /// Id.
    #[ts(type = "number")]
    pub id: i64,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// May log in.
    pub active: bool,
    /// Locked out until, ms since the epoch.
    #[ts(type = "number | null")]
    pub locked_until_ms: Option<i64>,
}

impl UserView {
    /// The view of a stored user; a lock in the past shows as none.
    pub fn new(u: &UserRecord, now_ms: i64) -> Self {
        UserView {
            id: u.id,
            name: u.name.clone(),
            role: u.role,
            active: u.active,
            locked_until_ms: u.locked_until_ms.filter(|t| *t > now_ms),
        }
    }
}

/// A logged-in session.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Bearer token for every other command.
    #[ts(type = "string")]
    pub token: SessionToken,
    /// Who.
    pub user: UserView,
    /// When it lapses if idle, ms since the epoch.
    #[ts(type = "number")]
    pub expires_at_ms: i64,
    /// The roles whose accounts this user may create and manage ([`Role::manages`]): what the
    /// user-management screen offers. The commands check it again.
    pub manages: Vec<Role>,
    /// Whether this till may take cards now (a payment platform set up and tested, or demo
    /// mode): the cashier screen says "not set up" on the Card button before anyone presses
    /// it. The payment commands check it again.
    pub card_payments_ready: bool,
}

/// A catalogue product.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProductView {
    /// Id.
    #[ts(type = "number")]
    pub id: i64,
    /// SKU.
    pub sku: String,
    /// Barcode.
    pub barcode: Option<String>,
    /// English name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
    /// Unit price.
    pub price: Money,
    /// Tax rate, basis points.
    pub tax_rate_bp: u16,
    /// Price includes tax.
    pub tax_inclusive: bool,
    /// Units carry a device identifier.
    pub serialised: bool,
}

impl From<&Product> for ProductView {
    fn from(p: &Product) -> Self {
        ProductView {
            id: p.id.0,
            sku: p.sku.as_str().to_string(),
            barcode: p.barcode.as_ref().map(|b| b.as_str().to_string()),
            name: p.name.clone(),
            name_zh: p.name_zh.clone(),
            price: p.price,
            tax_rate_bp: p.tax_rate.basis_points(),
            tax_inclusive: p.tax_inclusive,
            serialised: p.serialised,
        }
    }
}

/// One cart line.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CartLine {
    /// Line number, stable while the cart lives.
    pub line_no: u32,
    /// Product id.
    #[ts(type = "number")]
    pub product_id: i64,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
    /// Units.
    #[ts(type = "number")]
    pub quantity: i64,
    /// Unit price.
    pub unit_price: Money,
    /// Line amount incl. tax.
    pub line_total: Money,
    /// Tax in the line.
    pub tax: Money,
    /// Tax rate, basis points.
    pub tax_rate_bp: u16,
    /// A serialised product: the line needs its device identifier before payment.
    pub serialised: bool,
    /// The device's IMEI or serial number, once given.
    pub device: Option<String>,
    /// Where the line came from when not the catalogue (an order to collect, a service); its
    /// quantity is then fixed.
    pub origin: Option<LineOriginView>,
}

/// Where a line came from when not the catalogue at its price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LineOriginView {
    /// `pending_order` or `service`.
    pub kind: String,
    /// The platform's order id or the conversation id.
    pub reference: String,
}

impl From<&till_core::LineOrigin> for LineOriginView {
    fn from(o: &till_core::LineOrigin) -> Self {
        LineOriginView { kind: o.kind().to_string(), reference: o.reference().to_string() }
    }
}

/// The cart with its totals.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CartView {
    /// Cart id; checkout names it so a second checkout of the same cart is refused.
    #[ts(type = "string")]
    pub cart_id: CartId,
    /// Lines.
    pub lines: Vec<CartLine>,
    /// Net total.
    pub subtotal: Money,
    /// Tax total.
    pub tax: Money,
    /// Amount due.
    pub total: Money,
    /// Units in the cart.
    #[ts(type = "number")]
    pub item_count: i64,
}

/// How an order was paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum Tender {
    /// Cash.
    Cash,
    /// Card.
    Card,
    /// Loyalty points redeemed.
    Points,
    /// A customer's payment code; `card_brand` holds the wallet, `card_masked` the masked code,
    /// `auth_code` the platform's reference.
    #[serde(rename = "payment_code")]
    PaymentCode,
}

/// A payment on a receipt.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PaymentView {
    /// Tender.
    pub tender: Tender,
    /// Amount paid.
    pub amount: Money,
    /// Cash handed over.
    pub tendered: Option<Money>,
    /// Change given.
    pub change: Option<Money>,
    /// Masked card number.
    pub card_masked: Option<String>,
    /// Card brand.
    pub card_brand: Option<String>,
    /// Approval code.
    pub auth_code: Option<String>,
    /// The till approved the card offline (the payment platform was unreachable); the
    /// receipt says "offline approval" and the payment is forwarded later.
    pub offline_approval: bool,
}

/// Tax per rate, for the receipt.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct TaxLine {
    /// Rate, basis points.
    #[ts(type = "number")]
    pub rate_bp: i64,
    /// Net amount at this rate.
    pub net: Money,
    /// Tax at this rate.
    pub tax: Money,
}

/// A receipt line.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptLine {
    /// The line's own code, grouped for printing (`XXXX-XXXX-XXXX-C`).
    pub line_code: String,
    /// SKU.
    pub sku: String,
    /// Name.
    pub name: String,
    /// Chinese name.
    pub name_zh: Option<String>,
    /// Units.
    #[ts(type = "number")]
    pub quantity: i64,
    /// Unit price.
    pub unit_price: Money,
    /// Line amount incl. tax.
    pub line_total: Money,
    /// Tax rate, basis points.
    #[ts(type = "number")]
    pub tax_rate_bp: i64,
    /// The device sold on the line (IMEI or serial number).
    pub device: Option<String>,
    /// Where the line came from when not the catalogue (an order collected, a service paid).
    pub origin: Option<LineOriginView>,
}

/// A receipt, built from the order as stored.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    /// Order id.
    #[ts(type = "number")]
    pub order_id: i64,
    /// Printed order number.
    pub order_no: String,
    /// When, ms since the epoch.
    #[ts(type = "number")]
    pub created_at_ms: i64,
    /// Cashier's name.
    pub cashier_name: String,
    /// Lines.
    pub lines: Vec<ReceiptLine>,
    /// Tax per rate.
    pub tax_lines: Vec<TaxLine>,
    /// Net total.
    pub subtotal: Money,
    /// Tax total.
    pub tax: Money,
    /// Total.
    pub total: Money,
    /// Payment (the cash or card part when points paid the rest).
    pub payment: PaymentView,
    /// Points redeemed as a tender, their money value.
    pub points_paid: Option<Money>,
    /// Loyalty points of the sale: earned, redeemed, balance, level, promotions.
    pub points: Option<crate::ipc::loyalty::ReceiptPoints>,
}

/// Result of verifying the audit chain.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    /// Whether the chain is intact.
    pub ok: bool,
    /// Entries checked.
    #[ts(type = "number")]
    pub entries: i64,
    /// First entry that does not match.
    #[ts(type = "number | null")]
    pub first_bad_id: Option<i64>,
}
