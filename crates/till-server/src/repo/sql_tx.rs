//! The one implementation of [`Tx`]: a transaction on any [`SqlConn`], SQLite's or
//! PostgreSQL's. A backend opens the transaction on its connection (each in its own way: SQLite
//! `BEGIN IMMEDIATE` on the one writer, PostgreSQL `BEGIN` and the advisory lock) and hands the
//! connection over; from there the statements ([`super::statements`]) are the same.

use super::sql::SqlConn;
use super::statements::{cards, enrolment, line_origins, points, sales, terminals};
use super::*;
use crate::sealing::ServerKey;

/// An open transaction: its connection and the server key that seals what it stores.
pub struct SqlTx<'a> {
    conn: Box<dyn SqlConn + 'a>,
    /// The key sealing terminal secrets, points keys, stored answers, provider secrets.
    pub(in crate::repo) key: &'a ServerKey,
    open: bool,
}

impl<'a> SqlTx<'a> {
    /// Wraps a connection on which the backend has just begun a transaction.
    pub(in crate::repo) fn new(conn: Box<dyn SqlConn + 'a>, key: &'a ServerKey) -> SqlTx<'a> {
        SqlTx { conn, key, open: true }
    }

    /// The transaction's connection, for the statements written once ([`super::sql`]).
    pub(crate) fn sql(&mut self) -> &mut dyn SqlConn {
        &mut *self.conn
    }
}

impl Drop for SqlTx<'_> {
    fn drop(&mut self) {
        if self.open {
            // Nothing to report to: the caller already has the error that made it give up.
            let _ = self.conn.batch("ROLLBACK");
        }
    }
}

/// Savepoint names come from code, but check anyway: they are spliced into SQL.
fn savepoint_name(name: &str) -> RepoResult<&str> {
    if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(name)
    } else {
        Err(RepoError::Corrupt(format!("bad savepoint name {name:?}")))
    }
}

impl Tx for SqlTx<'_> {
    fn commit(mut self: Box<Self>) -> RepoResult<()> {
        self.conn.commit()?;
        self.open = false;
        Ok(())
    }

    fn savepoint(&mut self, name: &str) -> RepoResult<()> {
        self.conn.batch(&format!("SAVEPOINT {}", savepoint_name(name)?))
    }

    fn rollback_to(&mut self, name: &str) -> RepoResult<()> {
        self.conn.batch(&format!("ROLLBACK TO SAVEPOINT {}", savepoint_name(name)?))
    }

    fn release(&mut self, name: &str) -> RepoResult<()> {
        self.conn.batch(&format!("RELEASE SAVEPOINT {}", savepoint_name(name)?))
    }

    fn insert_terminal(&mut self, t: &TerminalRecord) -> RepoResult<()> {
        terminals::insert(&mut *self.conn, self.key, t)
    }

    fn terminal(&mut self, id: &str) -> RepoResult<Option<TerminalRecord>> {
        terminals::by_id(&mut *self.conn, self.key, id)
    }

    fn terminals(&mut self) -> RepoResult<Vec<TerminalRecord>> {
        terminals::all(&mut *self.conn, self.key)
    }

    fn set_terminal_disabled(&mut self, id: &str, disabled: bool) -> RepoResult<bool> {
        terminals::set_disabled(self.sql(), id, disabled)
    }

    fn claim_idempotency(
        &mut self,
        terminal: &str,
        key: &str,
        request_hash: &str,
        now: i64,
    ) -> RepoResult<Option<StoredReply>> {
        terminals::claim_idempotency(&mut *self.conn, self.key, terminal, key, request_hash, now)
    }

    fn complete_idempotency(&mut self, terminal: &str, key: &str, status: u16, body: &str) -> RepoResult<()> {
        terminals::complete_idempotency(&mut *self.conn, self.key, terminal, key, status, body)
    }

    fn purge_idempotency(&mut self, before: i64) -> RepoResult<usize> {
        terminals::purge_idempotency(self.sql(), before)
    }

    fn order_exists(&mut self, terminal: &str, order_id: &str) -> RepoResult<bool> {
        sales::order_exists(self.sql(), terminal, order_id)
    }

    fn insert_order(&mut self, o: &OrderRecord) -> RepoResult<()> {
        sales::insert_order(self.sql(), o)
    }

    fn insert_line(&mut self, l: &LineRecord) -> RepoResult<()> {
        sales::insert_line(self.sql(), l)
    }

    fn insert_payment(&mut self, p: &PaymentRecord) -> RepoResult<()> {
        sales::insert_payment(self.sql(), p)
    }

    fn order_payments(&mut self, terminal: &str, order_id: &str) -> RepoResult<Vec<PaymentRecord>> {
        sales::order_payments(self.sql(), terminal, order_id)
    }

    fn line(&mut self, line_code: &str) -> RepoResult<Option<LineRecord>> {
        sales::line(self.sql(), line_code)
    }

    fn set_line_origin(&mut self, line_code: &str, kind: &str, reference: &str) -> RepoResult<()> {
        line_origins::set(self.sql(), line_code, kind, reference)
    }

    fn lines_with_origin(&mut self, kind: &str, reference: &str) -> RepoResult<Vec<LineRecord>> {
        line_origins::lines(self.sql(), kind, reference)
    }

    fn order(&mut self, terminal: &str, order_id: &str) -> RepoResult<Option<OrderRecord>> {
        sales::order(self.sql(), terminal, order_id)
    }

    fn add_line_refunded(&mut self, line_code: &str, delta: i64) -> RepoResult<()> {
        sales::add_line_refunded(self.sql(), line_code, delta)
    }

    fn insert_refund(&mut self, r: &RefundRecord) -> RepoResult<()> {
        sales::insert_refund(self.sql(), r)
    }

    fn refund(&mut self, refund_id: &str) -> RepoResult<Option<RefundRecord>> {
        sales::refund(self.sql(), refund_id)
    }

    fn set_refund_status(&mut self, refund_id: &str, status: &str, at: i64, by: &str) -> RepoResult<()> {
        sales::set_refund_status(self.sql(), refund_id, status, at, by)
    }

    fn refunds(&mut self, status: Option<&str>) -> RepoResult<Vec<RefundRecord>> {
        sales::refunds(self.sql(), status)
    }

    fn insert_points_account(&mut self, a: &PointsAccount) -> RepoResult<()> {
        points::insert_account(&mut *self.conn, self.key, a)
    }

    fn points_account(&mut self, account_id: &str) -> RepoResult<Option<PointsAccount>> {
        points::account(&mut *self.conn, self.key, account_id)
    }

    fn update_points_account(&mut self, account_id: &str, last_counter: i64, balance: i64) -> RepoResult<()> {
        points::update_account(self.sql(), account_id, last_counter, balance)
    }

    fn insert_points_entry(&mut self, e: &PointsEntry) -> RepoResult<()> {
        points::insert_entry(self.sql(), e)
    }

    fn points_history(&mut self, account_id: &str, limit: i64) -> RepoResult<Vec<PointsEntry>> {
        points::history(self.sql(), account_id, limit)
    }

    fn points_order_sum(&mut self, account_id: &str, terminal: &str, order_id: &str, kind: &str) -> RepoResult<i64> {
        points::order_sum(self.sql(), account_id, terminal, order_id, kind)
    }

    fn points_reversal_exists(&mut self, account_id: &str, refund_id: &str, kind: &str) -> RepoResult<bool> {
        points::reversal_exists(self.sql(), account_id, refund_id, kind)
    }

    fn points_token_used(&mut self, account_id: &str, counter: i64) -> RepoResult<bool> {
        points::token_used(self.sql(), account_id, counter)
    }

    fn insert_authorization(&mut self, a: &AuthorizationRecord) -> RepoResult<()> {
        cards::insert_authorization(self.sql(), a)
    }

    fn authorization_exists(&mut self, terminal: &str, payment_id: &str) -> RepoResult<bool> {
        cards::authorization_exists(self.sql(), terminal, payment_id)
    }

    fn authorization(&mut self, terminal: &str, payment_id: &str) -> RepoResult<Option<AuthorizationRecord>> {
        cards::authorization(self.sql(), terminal, payment_id)
    }

    fn set_authorization_status(&mut self, terminal: &str, payment_id: &str, status: &str) -> RepoResult<()> {
        cards::set_authorization_status(self.sql(), terminal, payment_id, status)
    }

    fn insert_payment_reversal(&mut self, r: &PaymentReversalRecord) -> RepoResult<()> {
        cards::insert_payment_reversal(self.sql(), r)
    }

    fn payment_reversal(&mut self, terminal: &str, payment_id: &str) -> RepoResult<Option<PaymentReversalRecord>> {
        cards::payment_reversal(self.sql(), terminal, payment_id)
    }

    fn payment_id_recorded(&mut self, terminal: &str, payment_id: &str) -> RepoResult<bool> {
        cards::payment_id_recorded(self.sql(), terminal, payment_id)
    }

    fn advance_reader_counter(&mut self, c: &ReaderCounter) -> RepoResult<Option<i64>> {
        cards::advance_reader_counter(self.sql(), c)
    }

    fn insert_enrolment_code(&mut self, c: &EnrolmentCodeRecord) -> RepoResult<()> {
        enrolment::insert(self.sql(), c)
    }

    fn enrolment_code(&mut self, code_sha256: &str) -> RepoResult<Option<EnrolmentCodeRecord>> {
        enrolment::by_hash(self.sql(), code_sha256)
    }

    fn use_enrolment_code(&mut self, code_sha256: &str, at: i64) -> RepoResult<bool> {
        enrolment::mark_used(self.sql(), code_sha256, at)
    }
}
