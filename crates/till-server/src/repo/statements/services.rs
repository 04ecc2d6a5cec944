//! The statements behind the service relay: providers (their shared secrets sealed under the
//! server key), follows, conversations with their paid notices, and rounds.

use crate::args;
use crate::repo::sql::{Row, SqlConn, SqlConnExt};
use crate::repo::sql_tx::SqlTx;
use crate::repo::{ConversationRecord, ProviderRecord, RepoResult, RoundRecord, ServicesTx};
use crate::sealing::{Purpose, ServerKey};

const PROVIDER_COLUMNS: &str = "account_id, name, endpoint, secret_sealed, created_at, disabled";
const CONVERSATION_COLUMNS: &str = "conversation_id, terminal_id, account_id, status, amount_minor, currency, \
     created_at, paid_order_id, paid_line_code, paid_at, notify_state, notify_attempts, notify_next_at, notified_at, \
     notify_error";
const ROUND_COLUMNS: &str = "conversation_id, seq, idem_key, request_text, status, answer_text, amount_minor, \
     currency, done, error_code, error_message, created_at, answered_at";

/// Stores a provider, its secret sealed.
fn insert_provider(conn: &mut dyn SqlConn, key: &ServerKey, p: &ProviderRecord) -> RepoResult<()> {
    let sealed = key.seal(Purpose::ProviderSecret(&p.account_id), p.secret.as_bytes())?;
    conn.execute(
        &format!("INSERT INTO service_providers ({PROVIDER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"),
        args![p.account_id, p.name, p.endpoint, sealed, p.created_at, p.disabled],
    )?;
    Ok(())
}

fn provider_row(r: &Row) -> RepoResult<ProviderRecord> {
    Ok(ProviderRecord {
        account_id: r.text(0)?,
        name: r.text(1)?,
        endpoint: r.text(2)?,
        secret: r.text(3)?,
        created_at: r.int(4)?,
        disabled: r.flag(5)?,
    })
}

fn opened(key: &ServerKey, mut p: ProviderRecord) -> RepoResult<ProviderRecord> {
    p.secret = key.open_text(Purpose::ProviderSecret(&p.account_id), &p.secret)?;
    Ok(p)
}

/// A provider, its secret opened.
fn provider(conn: &mut dyn SqlConn, key: &ServerKey, account_id: &str) -> RepoResult<Option<ProviderRecord>> {
    let row = conn.query_opt(
        &format!("SELECT {PROVIDER_COLUMNS} FROM service_providers WHERE account_id = ?1"),
        args![account_id],
        provider_row,
    )?;
    row.map(|p| opened(key, p)).transpose()
}

/// Every provider, secrets opened.
fn providers(conn: &mut dyn SqlConn, key: &ServerKey) -> RepoResult<Vec<ProviderRecord>> {
    let rows = conn.query_map(
        &format!("SELECT {PROVIDER_COLUMNS} FROM service_providers ORDER BY account_id"),
        args![],
        provider_row,
    )?;
    rows.into_iter().map(|p| opened(key, p)).collect()
}

fn conversation_row(r: &Row) -> RepoResult<ConversationRecord> {
    Ok(ConversationRecord {
        conversation_id: r.text(0)?,
        terminal_id: r.text(1)?,
        account_id: r.text(2)?,
        status: r.text(3)?,
        amount_minor: r.opt_int(4)?,
        currency: r.opt_text(5)?,
        created_at: r.int(6)?,
        paid_order_id: r.opt_text(7)?,
        paid_line_code: r.opt_text(8)?,
        paid_at: r.opt_int(9)?,
        notify_state: r.opt_text(10)?,
        notify_attempts: r.int(11)?,
        notify_next_at: r.opt_int(12)?,
        notified_at: r.opt_int(13)?,
        notify_error: r.opt_text(14)?,
    })
}

fn round_row(r: &Row) -> RepoResult<RoundRecord> {
    Ok(RoundRecord {
        conversation_id: r.text(0)?,
        seq: r.int(1)?,
        idem_key: r.text(2)?,
        request_text: r.text(3)?,
        status: r.text(4)?,
        answer_text: r.opt_text(5)?,
        amount_minor: r.opt_int(6)?,
        currency: r.opt_text(7)?,
        done: r.flag(8)?,
        error_code: r.opt_text(9)?,
        error_message: r.opt_text(10)?,
        created_at: r.int(11)?,
        answered_at: r.opt_int(12)?,
    })
}

impl ServicesTx for SqlTx<'_> {
    fn insert_provider(&mut self, p: &ProviderRecord) -> RepoResult<()> {
        let key = self.key;
        insert_provider(self.sql(), key, p)
    }

    fn provider(&mut self, account_id: &str) -> RepoResult<Option<ProviderRecord>> {
        let key = self.key;
        provider(self.sql(), key, account_id)
    }

    fn providers(&mut self) -> RepoResult<Vec<ProviderRecord>> {
        let key = self.key;
        providers(self.sql(), key)
    }

    fn set_provider_disabled(&mut self, account_id: &str, disabled: bool) -> RepoResult<bool> {
        let n = self
            .sql()
            .execute("UPDATE service_providers SET disabled = ?2 WHERE account_id = ?1", args![account_id, disabled])?;
        Ok(n == 1)
    }

    fn insert_follow(&mut self, terminal: &str, account_id: &str, at: i64) -> RepoResult<()> {
        self.sql().execute(
            "INSERT INTO service_follows (terminal_id, account_id, followed_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (terminal_id, account_id) DO NOTHING",
            args![terminal, account_id, at],
        )?;
        Ok(())
    }

    fn follow(&mut self, terminal: &str, account_id: &str) -> RepoResult<Option<i64>> {
        self.sql().query_int(
            "SELECT followed_at FROM service_follows WHERE terminal_id = ?1 AND account_id = ?2",
            args![terminal, account_id],
        )
    }

    fn insert_conversation(&mut self, c: &ConversationRecord) -> RepoResult<()> {
        self.sql().execute(
            &format!(
                "INSERT INTO service_conversations ({CONVERSATION_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
            ),
            args![
                c.conversation_id,
                c.terminal_id,
                c.account_id,
                c.status,
                c.amount_minor,
                c.currency,
                c.created_at,
                c.paid_order_id,
                c.paid_line_code,
                c.paid_at,
                c.notify_state,
                c.notify_attempts,
                c.notify_next_at,
                c.notified_at,
                c.notify_error
            ],
        )?;
        Ok(())
    }

    fn conversation(&mut self, conversation_id: &str) -> RepoResult<Option<ConversationRecord>> {
        self.sql().query_opt(
            &format!("SELECT {CONVERSATION_COLUMNS} FROM service_conversations WHERE conversation_id = ?1"),
            args![conversation_id],
            conversation_row,
        )
    }

    fn update_conversation(&mut self, c: &ConversationRecord) -> RepoResult<()> {
        self.sql().execute(
            "UPDATE service_conversations SET status = ?2, amount_minor = ?3, currency = ?4, paid_order_id = ?5, \
             paid_line_code = ?6, paid_at = ?7, notify_state = ?8, notify_attempts = ?9, notify_next_at = ?10, \
             notified_at = ?11, notify_error = ?12 WHERE conversation_id = ?1",
            args![
                c.conversation_id,
                c.status,
                c.amount_minor,
                c.currency,
                c.paid_order_id,
                c.paid_line_code,
                c.paid_at,
                c.notify_state,
                c.notify_attempts,
                c.notify_next_at,
                c.notified_at,
                c.notify_error
            ],
        )?;
        Ok(())
    }

    fn due_paid_notices(&mut self, now: i64, limit: i64) -> RepoResult<Vec<ConversationRecord>> {
        // The partial index holds only pending notices.
        self.sql().query_map(
            &format!(
                "SELECT {CONVERSATION_COLUMNS} FROM service_conversations \
                 WHERE notify_state = 'pending' AND notify_next_at <= ?1 ORDER BY notify_next_at LIMIT ?2"
            ),
            args![now, limit],
            conversation_row,
        )
    }

    fn insert_round(&mut self, r: &RoundRecord) -> RepoResult<()> {
        self.sql().execute(
            &format!(
                "INSERT INTO service_rounds ({ROUND_COLUMNS}) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
            ),
            args![
                r.conversation_id,
                r.seq,
                r.idem_key,
                r.request_text,
                r.status,
                r.answer_text,
                r.amount_minor,
                r.currency,
                r.done,
                r.error_code,
                r.error_message,
                r.created_at,
                r.answered_at
            ],
        )?;
        Ok(())
    }

    fn round_by_key(&mut self, conversation_id: &str, idem_key: &str) -> RepoResult<Option<RoundRecord>> {
        self.sql().query_opt(
            &format!("SELECT {ROUND_COLUMNS} FROM service_rounds WHERE conversation_id = ?1 AND idem_key = ?2"),
            args![conversation_id, idem_key],
            round_row,
        )
    }

    fn last_round(&mut self, conversation_id: &str) -> RepoResult<Option<RoundRecord>> {
        self.sql().query_opt(
            &format!("SELECT {ROUND_COLUMNS} FROM service_rounds WHERE conversation_id = ?1 ORDER BY seq DESC LIMIT 1"),
            args![conversation_id],
            round_row,
        )
    }

    fn update_round(&mut self, r: &RoundRecord) -> RepoResult<()> {
        self.sql().execute(
            "UPDATE service_rounds SET status = ?3, answer_text = ?4, amount_minor = ?5, currency = ?6, done = ?7, \
             error_code = ?8, error_message = ?9, created_at = ?10, answered_at = ?11 \
             WHERE conversation_id = ?1 AND seq = ?2",
            args![
                r.conversation_id,
                r.seq,
                r.status,
                r.answer_text,
                r.amount_minor,
                r.currency,
                r.done,
                r.error_code,
                r.error_message,
                r.created_at,
                r.answered_at
            ],
        )?;
        Ok(())
    }
}
