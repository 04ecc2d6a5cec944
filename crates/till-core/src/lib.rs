//! The domain of Till, a desktop point of sale: everything a sale *means*, with no I/O.
//!
//! Money is an integer count of minor units tagged with its ISO 4217 [`Currency`], and every
//! operation on it is checked, so an overflow is an error and never a wrong total. A [`Cart`]
//! holds lines of [`Product`]s and computes its totals with the tax rule in [`tax`]. Checking
//! out turns a cart into a [`NewOrder`] whose lines each carry their own [`LineCode`]: a short,
//! unguessable code with a check character that a refund can later scan or type.
//!
//! ```
//! use till_core::{Cart, Currency, Money, Product, ProductId, Sku, TaxRate};
//! let cny = Currency::parse("CNY").unwrap();
//! let tea = Product {
//!     id: ProductId(1),
//!     sku: Sku::parse("TEA-01").unwrap(),
//!     barcode: None,
//!     name: "Green tea".into(),
//!     name_zh: None,
//!     price: Money::new(1200, cny),
//!     tax_rate: TaxRate::from_basis_points(1300).unwrap(),
//!     tax_inclusive: true,
//!     serialised: false,
//! };
//! let mut cart = Cart::new(cny);
//! cart.add(&tea, 2).unwrap();
//! assert_eq!(cart.totals().unwrap().total, Money::new(2400, cny));
//! ```
//!
//! Time and randomness never come from here: callers pass a clock reading or an RNG in. The
//! one [`Clock`] trait every crate injects lives here too ([`clock`]), with the system's clock
//! as its production implementation.

pub mod barcode;
pub mod calendar;
pub mod card;
pub mod cart;
pub mod catalogue_csv;
pub mod clock;
pub mod device_blind;
pub mod device_identifier;
pub mod device_role;
pub mod enrolment;
pub mod error;
pub mod event_kind;
pub mod ids;
pub mod line_code;
pub mod line_origin;
pub mod loyalty;
pub mod loyalty_token;
pub mod luhn;
pub mod money;
pub mod order;
pub mod payment;
pub mod payment_code;
pub mod pdf;
pub mod photo;
pub mod product;
pub mod refund;
pub mod relay_signing;
pub mod role;
pub mod signing;
pub mod tax;
pub mod warranty;

pub use barcode::Barcode;
pub use card::{CardBrand, MaskedPan};
pub use cart::{Cart, CartLine, CartTotals, MAX_LINE_QUANTITY};
pub use clock::{Clock, ManualClock, SystemClock};
pub use device_blind::{DeviceIdentifierKey, DeviceKeyError};
pub use device_identifier::{DeviceIdentifier, DeviceKind};
pub use device_role::DeviceRole;
pub use error::CoreError;
pub use event_kind::{EventKind, ServerEventKind};
pub use ids::{CartId, EventId, OrderId, PaymentId, SessionToken, TerminalId};
pub use line_code::LineCode;
pub use line_origin::LineOrigin;
pub use loyalty::PointsRules;
pub use money::{Currency, Money};
pub use order::{NewOrder, NewOrderLine};
pub use payment::{CardPayment, CashPayment, CodePayment, Payment, Tender};
pub use payment_code::{PaymentCode, Wallet};
pub use product::{Product, ProductId, Sku};
pub use refund::{Decision, LineFacts, OutsidePolicy, RefundPolicy};
pub use role::Role;
pub use tax::TaxRate;
