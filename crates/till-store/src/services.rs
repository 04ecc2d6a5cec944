//! The service relay on the till (CN104123686A): the providers it follows, each with the
//! product its service lines are booked under, and the conversations with them round by round.
//!
//! A round is written `sending` before the request leaves (its own commit) and settled
//! `answered` or `failed` after, so a round the server never answered is still on record, and
//! the cashier retries it under the same idempotency key. Whether a conversation was paid is
//! read from the sale lines that name it (`order_lines.origin_kind = 'service'`), not stored
//! twice.

use crate::{Result, Store, StoreError};
use rusqlite::{params, Connection, OptionalExtension, Row, Transaction};
use till_core::{Currency, Money, Product, ProductId, Sku, TaxRate};

/// The SKU prefix of the products service lines are booked under.
pub const SERVICE_SKU_PREFIX: &str = "SERVICE-";

/// A provider this till follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowedProvider {
    /// Its public account id.
    pub account_id: String,
    /// Its name.
    pub name: String,
    /// The product its lines are booked under.
    pub product_id: i64,
    /// When it was followed, ms.
    pub followed_at_ms: i64,
}

/// One round as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRound {
    /// Order in the conversation, from 1.
    pub seq: i64,
    /// The idempotency key it is sent under.
    pub idem_key: String,
    /// What the cashier sent.
    pub request_text: String,
    /// `sending`, `answered` or `failed`.
    pub status: String,
    /// The provider's answer.
    pub answer_text: Option<String>,
    /// An amount to pay it asked for.
    pub amount: Option<Money>,
    /// Whether the provider said the business is done.
    pub done: bool,
    /// Why it failed (a stable code).
    pub error_code: Option<String>,
    /// The failure in words.
    pub error_message: Option<String>,
    /// When sent, ms.
    pub created_at_ms: i64,
}

/// A conversation as kept, with its rounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceConversation {
    /// Its id (made here, known to the platform).
    pub conversation_id: String,
    /// The provider's account.
    pub account_id: String,
    /// The provider's name.
    pub provider_name: String,
    /// Who handled it.
    pub cashier: String,
    /// `open` or `done`.
    pub status: String,
    /// The amount the provider last asked for.
    pub amount: Option<Money>,
    /// When started, ms.
    pub created_at_ms: i64,
    /// The receipt number of the sale that paid it, if one did.
    pub paid_order_no: Option<String>,
    /// Its rounds, in order.
    pub rounds: Vec<ServiceRound>,
}

/// How a round ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundOutcome {
    /// The provider answered (through the platform).
    Answered {
        /// The answer text.
        text: String,
        /// An amount to pay.
        amount: Option<Money>,
        /// The business is done.
        done: bool,
    },
    /// No answer: the code and words of why.
    Failed {
        /// Stable code (`provider_unavailable`, `server_unreachable`, ...).
        code: String,
        /// Words.
        message: String,
    },
}

fn money(minor: Option<i64>, currency: Option<String>) -> Result<Option<Money>> {
    match (minor, currency) {
        (Some(m), Some(c)) => Ok(Some(Money::new(m, Currency::parse(&c)?))),
        _ => Ok(None),
    }
}

const ROUND_COLUMNS: &str = "seq, idem_key, request_text, status, answer_text, amount_minor, currency, done, \
     error_code, error_message, created_at";

fn round_row(r: &Row<'_>) -> rusqlite::Result<(ServiceRound, Option<i64>, Option<String>)> {
    Ok((
        ServiceRound {
            seq: r.get(0)?,
            idem_key: r.get(1)?,
            request_text: r.get(2)?,
            status: r.get(3)?,
            answer_text: r.get(4)?,
            amount: None,
            done: r.get(7)?,
            error_code: r.get(8)?,
            error_message: r.get(9)?,
            created_at_ms: r.get(10)?,
        },
        r.get(5)?,
        r.get(6)?,
    ))
}

fn rounds(conn: &Connection, conversation_id: &str) -> Result<Vec<ServiceRound>> {
    let rows: Vec<_> = conn
        .prepare_cached(&format!("SELECT {ROUND_COLUMNS} FROM service_rounds WHERE conversation_id = ?1 ORDER BY seq"))?
        .query_map([conversation_id], round_row)?
        .collect::<std::result::Result<_, _>>()?;
    rows.into_iter()
        .map(|(mut r, m, c)| {
            r.amount = money(m, c)?;
            Ok(r)
        })
        .collect()
}

/// The SKU of a provider's product: `SERVICE-` and the account id upper-cased, cut to the 32
/// characters a SKU has.
pub fn service_sku(account_id: &str) -> String {
    let mut sku = format!("{SERVICE_SKU_PREFIX}{}", account_id.to_ascii_uppercase());
    sku.truncate(32);
    sku
}

/// The product a provider's lines are booked under: inactive (never scanned or searched), no
/// tax of the shop's own (the shop collects for the provider), not serialised, price 0 (each
/// line carries the provider's price).
fn ensure_product(tx: &Transaction<'_>, account_id: &str, name: &str, currency: Currency) -> Result<i64> {
    let sku = service_sku(account_id);
    let found: Option<i64> = tx.query_row("SELECT id FROM products WHERE sku = ?1", [&sku], |r| r.get(0)).optional()?;
    if let Some(id) = found {
        tx.execute("UPDATE products SET name = ?2 WHERE id = ?1", params![id, name])?;
        return Ok(id);
    }
    tx.execute(
        "INSERT INTO products (sku, name, price_minor, currency, tax_rate_bp, tax_inclusive, serialised, active)
         VALUES (?1, ?2, 0, ?3, 0, 1, 0, 0)",
        params![sku, name, currency.code()],
    )?;
    Ok(tx.last_insert_rowid())
}

impl Store {
    /// Records that the till follows `account_id` (its name refreshed when followed again), and
    /// makes the product its lines are booked under, in one commit.
    pub fn service_follow(&self, account_id: &str, name: &str, currency: Currency, now_ms: i64) -> Result<()> {
        self.write(|tx| {
            let product_id = ensure_product(tx, account_id, name, currency)?;
            tx.execute(
                "INSERT INTO service_providers (account_id, name, product_id, followed_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (account_id) DO UPDATE SET name = excluded.name",
                params![account_id, name, product_id, now_ms],
            )?;
            Ok(())
        })
    }

    /// The providers followed, by name.
    pub fn service_providers_followed(&self) -> Result<Vec<FollowedProvider>> {
        self.read(|c| {
            Ok(c.prepare_cached(
                "SELECT account_id, name, product_id, followed_at FROM service_providers ORDER BY name, account_id",
            )?
            .query_map([], |r| {
                Ok(FollowedProvider {
                    account_id: r.get(0)?,
                    name: r.get(1)?,
                    product_id: r.get(2)?,
                    followed_at_ms: r.get(3)?,
                })
            })?
            .collect::<std::result::Result<_, _>>()?)
        })
    }

    /// The product a followed provider's lines are booked under.
    pub fn service_product(&self, account_id: &str) -> Result<Option<Product>> {
        self.read(|c| {
            let row = c
                .query_row(
                    "SELECT p.id, p.sku, p.name, p.name_zh, p.price_minor, p.currency, p.tax_rate_bp, p.tax_inclusive
                     FROM service_providers s JOIN products p ON p.id = s.product_id WHERE s.account_id = ?1",
                    [account_id],
                    |r| {
                        Ok((
                            r.get::<_, i64>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, Option<String>>(3)?,
                            r.get::<_, i64>(4)?,
                            r.get::<_, String>(5)?,
                            r.get::<_, i64>(6)?,
                            r.get::<_, bool>(7)?,
                        ))
                    },
                )
                .optional()?;
            let Some((id, sku, name, name_zh, price, currency, bp, incl)) = row else { return Ok(None) };
            Ok(Some(Product {
                id: ProductId(id),
                sku: Sku::parse(&sku).map_err(|e| StoreError::Corrupt(format!("service product: {e}")))?,
                barcode: None,
                name,
                name_zh,
                price: Money::new(price, Currency::parse(&currency)?),
                tax_rate: TaxRate::from_basis_points(bp)?,
                tax_inclusive: incl,
                serialised: false,
            }))
        })
    }

    /// Starts a conversation (kept from now on).
    pub fn service_conversation_start(
        &self,
        conversation_id: &str,
        account_id: &str,
        user_id: i64,
        now_ms: i64,
    ) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT INTO service_conversations (conversation_id, account_id, user_id, status, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'open', ?4, ?4)",
                params![conversation_id, account_id, user_id, now_ms],
            )?;
            Ok(())
        })
    }

    /// Writes a new round `sending`, before it leaves; returns it.
    pub fn service_round_begin(
        &self,
        conversation_id: &str,
        idem_key: &str,
        text: &str,
        now_ms: i64,
    ) -> Result<ServiceRound> {
        self.write(|tx| {
            let seq: i64 = tx.query_row(
                "SELECT COALESCE(MAX(seq), 0) + 1 FROM service_rounds WHERE conversation_id = ?1",
                [conversation_id],
                |r| r.get(0),
            )?;
            tx.execute(
                "INSERT INTO service_rounds (conversation_id, seq, idem_key, request_text, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, 'sending', ?5)",
                params![conversation_id, seq, idem_key, text, now_ms],
            )?;
            tx.execute(
                "UPDATE service_conversations SET updated_at = ?2 WHERE conversation_id = ?1",
                params![conversation_id, now_ms],
            )?;
            Ok(ServiceRound {
                seq,
                idem_key: idem_key.to_string(),
                request_text: text.to_string(),
                status: "sending".into(),
                answer_text: None,
                amount: None,
                done: false,
                error_code: None,
                error_message: None,
                created_at_ms: now_ms,
            })
        })
    }

    /// Marks a failed round `sending` again for its retry.
    pub fn service_round_retry(&self, conversation_id: &str, seq: i64) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE service_rounds SET status = 'sending' WHERE conversation_id = ?1 AND seq = ?2",
                params![conversation_id, seq],
            )?;
            Ok(())
        })
    }

    /// Settles a round; an answer also moves the conversation's amount and status.
    pub fn service_round_settle(
        &self,
        conversation_id: &str,
        seq: i64,
        outcome: &RoundOutcome,
        now_ms: i64,
    ) -> Result<()> {
        self.write(|tx| {
            match outcome {
                RoundOutcome::Answered { text, amount, done } => {
                    tx.execute(
                        "UPDATE service_rounds SET status = 'answered', answer_text = ?3, amount_minor = ?4,
                             currency = ?5, done = ?6, error_code = NULL, error_message = NULL, answered_at = ?7
                         WHERE conversation_id = ?1 AND seq = ?2",
                        params![
                            conversation_id,
                            seq,
                            text,
                            amount.map(|m| m.minor()),
                            amount.map(|m| m.currency().code()),
                            done,
                            now_ms
                        ],
                    )?;
                    if let Some(m) = amount {
                        tx.execute(
                            "UPDATE service_conversations SET amount_minor = ?2, currency = ?3 WHERE conversation_id = ?1",
                            params![conversation_id, m.minor(), m.currency().code()],
                        )?;
                    }
                    if *done {
                        tx.execute("UPDATE service_conversations SET status = 'done' WHERE conversation_id = ?1", [
                            conversation_id,
                        ])?;
                    }
                }
                RoundOutcome::Failed { code, message } => {
                    tx.execute(
                        "UPDATE service_rounds SET status = 'failed', error_code = ?3, error_message = ?4, answered_at = ?5
                         WHERE conversation_id = ?1 AND seq = ?2",
                        params![conversation_id, seq, code, message, now_ms],
                    )?;
                }
            }
            tx.execute("UPDATE service_conversations SET updated_at = ?2 WHERE conversation_id = ?1", params![
                conversation_id,
                now_ms
            ])?;
            Ok(())
        })
    }

    /// A conversation with its rounds.
    pub fn service_conversation(&self, conversation_id: &str) -> Result<Option<ServiceConversation>> {
        self.read(|c| conversation(c, conversation_id))
    }

    /// The latest conversations, newest first, with their rounds (the history).
    pub fn service_conversations(&self, limit: u32) -> Result<Vec<ServiceConversation>> {
        self.read(|c| {
            let ids: Vec<String> = c
                .prepare_cached(
                    "SELECT conversation_id FROM service_conversations ORDER BY created_at DESC, conversation_id LIMIT ?1",
                )?
                .query_map([limit], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(conv) = conversation(c, &id)? {
                    out.push(conv);
                }
            }
            Ok(out)
        })
    }
}

fn conversation(c: &Connection, conversation_id: &str) -> Result<Option<ServiceConversation>> {
    let row = c
        .query_row(
            "SELECT s.conversation_id, s.account_id, p.name, u.name, s.status, s.amount_minor, s.currency, s.created_at,
                 (SELECT o.order_no FROM order_lines l JOIN orders o ON o.id = l.order_id
                  WHERE l.origin_kind = 'service' AND l.origin_ref = s.conversation_id LIMIT 1)
             FROM service_conversations s
             JOIN service_providers p ON p.account_id = s.account_id
             JOIN users u ON u.id = s.user_id
             WHERE s.conversation_id = ?1",
            [conversation_id],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<i64>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, i64>(7)?,
                    r.get::<_, Option<String>>(8)?,
                ))
            },
        )
        .optional()?;
    let Some((conversation_id, account_id, provider_name, cashier, status, minor, currency, created_at_ms, paid)) = row
    else {
        return Ok(None);
    };
    Ok(Some(ServiceConversation {
        rounds: rounds(c, &conversation_id)?,
        conversation_id,
        account_id,
        provider_name,
        cashier,
        status,
        amount: money(minor, currency)?,
        created_at_ms,
        paid_order_no: paid,
    }))
}
