//! The repository's statements, written once over [`super::sql::SqlConn`] and run by both
//! backends: one module per area, each a set of free functions (or the impl of its area's
//! supertrait of [`super::Tx`] on [`super::sql_tx::SqlTx`]).

pub(super) mod cards;
pub(super) mod catalogue;
pub(super) mod console;
pub(super) mod console_views;
pub(super) mod device_services;
pub(super) mod enrolment;
pub(super) mod line_origins;
pub(super) mod merchant_orders;
pub(super) mod photos;
pub(super) mod points;
pub(super) mod request_guards;
pub(super) mod rows;
pub(super) mod sales;
pub(super) mod scope;
pub(super) mod services;
pub(super) mod terminals;
