//! The statements behind the service relay: providers (their shared secrets sealed under the
//! server key), follows, conversations with their paid notices, and rounds.

use super::super::{ConversationRecord, ProviderRecord, RepoResult, RoundRecord};
use crate::sealing::{Purpose, ServerKey};
use rusqlite::{params, Connection, OptionalExtension, Row};

const PROVIDER_COLUMNS: &str = "account_id, name, endpoint, secret_sealed, created_at, disabled";
const CONVERSATION_COLUMNS: &str = "conversation_id, terminal_id, account_id, status, amount_minor, currency, \
     created_at, paid_order_id, paid_line_code, paid_at, notify_state, notify_attempts, notify_next_at, notified_at, \
     notify_error";
const ROUND_COLUMNS: &str = "conversation_id, seq, idem_key, request_text, status, answer_text, amount_minor, \
     currency, done, error_code, error_message, created_at, answered_at";

/// Stores a provider, its secret sealed.
pub(super) fn insert_provider(conn: &Connection, key: &ServerKey, p: &ProviderRecord) -> RepoResult<()> {
    let sealed = key.seal(Purpose::ProviderSecret(&p.account_id), p.secret.as_bytes())?;
    conn.prepare_cached(&format!(
        "INSERT INTO service_providers ({PROVIDER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    ))?
    .execute(params![p.account_id, p.name, p.endpoint, sealed, p.created_at, i64::from(p.disabled)])?;
    Ok(())
}

fn provider_row(r: &Row<'_>) -> rusqlite::Result<ProviderRecord> {
    Ok(ProviderRecord {
        account_id: r.get(0)?,
        name: r.get(1)?,
        endpoint: r.get(2)?,
        secret: r.get(3)?,
        created_at: r.get(4)?,
        disabled: r.get::<_, i64>(5)? != 0,
    })
}

fn opened(key: &ServerKey, mut p: ProviderRecord) -> RepoResult<ProviderRecord> {
    p.secret = key.open_text(Purpose::ProviderSecret(&p.account_id), &p.secret)?;
    Ok(p)
}

/// A provider, its secret opened.
pub(super) fn provider(conn: &Connection, key: &ServerKey, account_id: &str) -> RepoResult<Option<ProviderRecord>> {
    let row = conn
        .prepare_cached(&format!("SELECT {PROVIDER_COLUMNS} FROM service_providers WHERE account_id = ?1"))?
        .query_row([account_id], provider_row)
        .optional()?;
    row.map(|p| opened(key, p)).transpose()
}

/// Every provider, secrets opened.
pub(super) fn providers(conn: &Connection, key: &ServerKey) -> RepoResult<Vec<ProviderRecord>> {
    let rows: Vec<ProviderRecord> = conn
        .prepare_cached(&format!("SELECT {PROVIDER_COLUMNS} FROM service_providers ORDER BY account_id"))?
        .query_map([], provider_row)?
        .collect::<Result<_, _>>()?;
    rows.into_iter().map(|p| opened(key, p)).collect()
}

/// Disables or enables a provider.
pub(super) fn set_provider_disabled(conn: &Connection, account_id: &str, disabled: bool) -> RepoResult<bool> {
    let n = conn
        .prepare_cached("UPDATE service_providers SET disabled = ?2 WHERE account_id = ?1")?
        .execute(params![account_id, i64::from(disabled)])?;
    Ok(n == 1)
}

/// A terminal follows an account (once).
pub(super) fn insert_follow(conn: &Connection, terminal: &str, account_id: &str, at: i64) -> RepoResult<()> {
    conn.prepare_cached(
        "INSERT INTO service_follows (terminal_id, account_id, followed_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (terminal_id, account_id) DO NOTHING",
    )?
    .execute(params![terminal, account_id, at])?;
    Ok(())
}

/// Since when a terminal follows an account.
pub(super) fn follow(conn: &Connection, terminal: &str, account_id: &str) -> RepoResult<Option<i64>> {
    Ok(conn
        .prepare_cached("SELECT followed_at FROM service_follows WHERE terminal_id = ?1 AND account_id = ?2")?
        .query_row(params![terminal, account_id], |r| r.get(0))
        .optional()?)
}

fn conversation_row(r: &Row<'_>) -> rusqlite::Result<ConversationRecord> {
    Ok(ConversationRecord {
        conversation_id: r.get(0)?,
        terminal_id: r.get(1)?,
        account_id: r.get(2)?,
        status: r.get(3)?,
        amount_minor: r.get(4)?,
        currency: r.get(5)?,
        created_at: r.get(6)?,
        paid_order_id: r.get(7)?,
        paid_line_code: r.get(8)?,
        paid_at: r.get(9)?,
        notify_state: r.get(10)?,
        notify_attempts: r.get(11)?,
        notify_next_at: r.get(12)?,
        notified_at: r.get(13)?,
        notify_error: r.get(14)?,
    })
}

/// Stores a conversation.
pub(super) fn insert_conversation(conn: &Connection, c: &ConversationRecord) -> RepoResult<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO service_conversations ({CONVERSATION_COLUMNS}) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
    ))?
    .execute(params![
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
    ])?;
    Ok(())
}

/// A conversation.
pub(super) fn conversation(conn: &Connection, id: &str) -> RepoResult<Option<ConversationRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM service_conversations WHERE conversation_id = ?1"
        ))?
        .query_row([id], conversation_row)
        .optional()?)
}

/// Writes the fields that change after a conversation is started.
pub(super) fn update_conversation(conn: &Connection, c: &ConversationRecord) -> RepoResult<()> {
    conn.prepare_cached(
        "UPDATE service_conversations SET status = ?2, amount_minor = ?3, currency = ?4, paid_order_id = ?5, \
         paid_line_code = ?6, paid_at = ?7, notify_state = ?8, notify_attempts = ?9, notify_next_at = ?10, \
         notified_at = ?11, notify_error = ?12 WHERE conversation_id = ?1",
    )?
    .execute(params![
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
    ])?;
    Ok(())
}

/// Pending paid notices due at `now` (the partial index holds only pending ones).
pub(super) fn due_paid_notices(conn: &Connection, now: i64, limit: i64) -> RepoResult<Vec<ConversationRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CONVERSATION_COLUMNS} FROM service_conversations \
             WHERE notify_state = 'pending' AND notify_next_at <= ?1 ORDER BY notify_next_at LIMIT ?2"
        ))?
        .query_map(params![now, limit], conversation_row)?
        .collect::<Result<_, _>>()?)
}

fn round_row(r: &Row<'_>) -> rusqlite::Result<RoundRecord> {
    Ok(RoundRecord {
        conversation_id: r.get(0)?,
        seq: r.get(1)?,
        idem_key: r.get(2)?,
        request_text: r.get(3)?,
        status: r.get(4)?,
        answer_text: r.get(5)?,
        amount_minor: r.get(6)?,
        currency: r.get(7)?,
        done: r.get::<_, i64>(8)? != 0,
        error_code: r.get(9)?,
        error_message: r.get(10)?,
        created_at: r.get(11)?,
        answered_at: r.get(12)?,
    })
}

/// Stores a round.
pub(super) fn insert_round(conn: &Connection, r: &RoundRecord) -> RepoResult<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO service_rounds ({ROUND_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    ))?
    .execute(params![
        r.conversation_id,
        r.seq,
        r.idem_key,
        r.request_text,
        r.status,
        r.answer_text,
        r.amount_minor,
        r.currency,
        i64::from(r.done),
        r.error_code,
        r.error_message,
        r.created_at,
        r.answered_at
    ])?;
    Ok(())
}

/// A round by its key.
pub(super) fn round_by_key(conn: &Connection, conversation_id: &str, key: &str) -> RepoResult<Option<RoundRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ROUND_COLUMNS} FROM service_rounds WHERE conversation_id = ?1 AND idem_key = ?2"
        ))?
        .query_row(params![conversation_id, key], round_row)
        .optional()?)
}

/// The latest round.
pub(super) fn last_round(conn: &Connection, conversation_id: &str) -> RepoResult<Option<RoundRecord>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {ROUND_COLUMNS} FROM service_rounds WHERE conversation_id = ?1 ORDER BY seq DESC LIMIT 1"
        ))?
        .query_row([conversation_id], round_row)
        .optional()?)
}

/// Writes a round's outcome.
pub(super) fn update_round(conn: &Connection, r: &RoundRecord) -> RepoResult<()> {
    conn.prepare_cached(
        "UPDATE service_rounds SET status = ?3, answer_text = ?4, amount_minor = ?5, currency = ?6, done = ?7, \
         error_code = ?8, error_message = ?9, created_at = ?10, answered_at = ?11 \
         WHERE conversation_id = ?1 AND seq = ?2",
    )?
    .execute(params![
        r.conversation_id,
        r.seq,
        r.status,
        r.answer_text,
        r.amount_minor,
        r.currency,
        i64::from(r.done),
        r.error_code,
        r.error_message,
        r.created_at,
        r.answered_at
    ])?;
    Ok(())
}

impl super::super::ServicesTx for super::SqliteTx<'_> {
    fn insert_provider(&mut self, p: &ProviderRecord) -> RepoResult<()> {
        insert_provider(&self.conn, self.key, p)
    }
    fn provider(&mut self, account_id: &str) -> RepoResult<Option<ProviderRecord>> {
        provider(&self.conn, self.key, account_id)
    }
    fn providers(&mut self) -> RepoResult<Vec<ProviderRecord>> {
        providers(&self.conn, self.key)
    }
    fn set_provider_disabled(&mut self, account_id: &str, disabled: bool) -> RepoResult<bool> {
        set_provider_disabled(&self.conn, account_id, disabled)
    }
    fn insert_follow(&mut self, terminal: &str, account_id: &str, at: i64) -> RepoResult<()> {
        insert_follow(&self.conn, terminal, account_id, at)
    }
    fn follow(&mut self, terminal: &str, account_id: &str) -> RepoResult<Option<i64>> {
        follow(&self.conn, terminal, account_id)
    }
    fn insert_conversation(&mut self, c: &ConversationRecord) -> RepoResult<()> {
        insert_conversation(&self.conn, c)
    }
    fn conversation(&mut self, conversation_id: &str) -> RepoResult<Option<ConversationRecord>> {
        conversation(&self.conn, conversation_id)
    }
    fn update_conversation(&mut self, c: &ConversationRecord) -> RepoResult<()> {
        update_conversation(&self.conn, c)
    }
    fn due_paid_notices(&mut self, now: i64, limit: i64) -> RepoResult<Vec<ConversationRecord>> {
        due_paid_notices(&self.conn, now, limit)
    }
    fn insert_round(&mut self, r: &RoundRecord) -> RepoResult<()> {
        insert_round(&self.conn, r)
    }
    fn round_by_key(&mut self, conversation_id: &str, idem_key: &str) -> RepoResult<Option<RoundRecord>> {
        round_by_key(&self.conn, conversation_id, idem_key)
    }
    fn last_round(&mut self, conversation_id: &str) -> RepoResult<Option<RoundRecord>> {
        last_round(&self.conn, conversation_id)
    }
    fn update_round(&mut self, r: &RoundRecord) -> RepoResult<()> {
        update_round(&self.conn, r)
    }
}
