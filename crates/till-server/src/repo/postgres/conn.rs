//! [`SqlConn`] over a PostgreSQL connection: the PostgreSQL side of the statements written once.
//!
//! The statements' `?N` placeholders become `$N` (outside quotes); each distinct statement is
//! prepared once per connection and kept, so a statement costs one round trip after the first.
//! Values are bound by the type PostgreSQL gives the parameter (an integer goes into INT2, INT4,
//! INT8 or BOOL; text into TEXT and its kin; bytes into BYTEA; NULL into anything) and read back
//! by the column's type; any other type is a typed error, never a guess.

use crate::error::RepoError;
use crate::repo::sql::{Dialect, Row, SqlConn, Value};
use crate::repo::RepoResult;
use ::postgres::types::{to_sql_checked, IsNull, ToSql, Type};
use bytes::BytesMut;
use postgres::{Client, Statement};
use std::collections::HashMap;
use std::error::Error;

/// One connection of the pool: the client, its prepared statements, and whether the open
/// transaction failed.
pub struct PgConn {
    client: Client,
    statements: HashMap<String, Statement>,
    /// A statement failed since the transaction began (or since the last `ROLLBACK TO`):
    /// PostgreSQL refuses everything after it, and would answer `COMMIT` with a silent rollback.
    aborted: bool,
}

impl PgConn {
    /// Wraps a connected client.
    pub fn new(client: Client) -> PgConn {
        PgConn { client, statements: HashMap::new(), aborted: false }
    }

    /// Whether the connection is closed (the pool then drops it).
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// A round trip that proves the connection works (the pool's check at checkout).
    pub fn ping(&mut self) -> RepoResult<()> {
        self.client.simple_query("")?;
        Ok(())
    }

    fn statement(&mut self, sql: &str) -> RepoResult<Statement> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let prepared = self.client.prepare(&placeholders(sql))?;
        self.statements.insert(sql.to_owned(), prepared.clone());
        Ok(prepared)
    }

    /// Runs `f` with the statement of `sql` and its arguments bound; a failure marks the
    /// transaction aborted and forgets the statement (its plan may be what went stale).
    fn run<T>(
        &mut self,
        sql: &str,
        args: &[Value],
        f: impl FnOnce(&mut Client, &Statement, &[&(dyn ToSql + Sync)]) -> Result<T, ::postgres::Error>,
    ) -> RepoResult<T> {
        let result = self.statement(sql).and_then(|stmt| {
            let params: Vec<&(dyn ToSql + Sync)> = args.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
            Ok(f(&mut self.client, &stmt, &params)?)
        });
        if result.is_err() {
            self.aborted = true;
            self.statements.remove(sql);
        }
        result
    }
}

impl SqlConn for PgConn {
    fn execute(&mut self, sql: &str, args: &[Value]) -> RepoResult<u64> {
        self.run(sql, args, |client, stmt, params| client.execute(stmt, params))
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> RepoResult<Vec<Row>> {
        let rows = self.run(sql, args, |client, stmt, params| client.query(stmt, params))?;
        rows.iter().map(row).collect()
    }

    fn batch(&mut self, sql: &str) -> RepoResult<()> {
        let trimmed = sql.trim_start();
        let starts = |word: &str| trimmed.get(..word.len()).is_some_and(|s| s.eq_ignore_ascii_case(word));
        match self.client.batch_execute(sql) {
            Ok(()) => {
                // A new transaction, or a return to a savepoint set before the failure, is
                // usable again.
                if starts("BEGIN") || starts("ROLLBACK") {
                    self.aborted = false;
                }
                Ok(())
            }
            Err(e) => {
                self.aborted = true;
                Err(e.into())
            }
        }
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn commit(&mut self) -> RepoResult<()> {
        if self.aborted {
            // PostgreSQL would answer COMMIT with ROLLBACK and no error: say so instead.
            self.batch("ROLLBACK")?;
            return Err(RepoError::Unsupported(
                "a statement of the transaction failed, so it was rolled back instead of committed".into(),
            ));
        }
        self.batch("COMMIT")
    }
}

/// Rewrites SQLite's `?N` placeholders to PostgreSQL's `$N`, leaving quoted text and quoted
/// names alone.
pub(crate) fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                }
                out.push(c);
            }
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                out.push(c);
            }
            None if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) => out.push('$'),
            None => out.push(c),
        }
    }
    out
}

/// One row of an answer as [`Value`]s, by each column's type.
fn row(r: &::postgres::Row) -> RepoResult<Row> {
    let mut values = Vec::with_capacity(r.len());
    for (i, column) in r.columns().iter().enumerate() {
        let ty = column.type_();
        let v = if *ty == Type::INT8 {
            r.try_get::<_, Option<i64>>(i)?.map(Value::Int)
        } else if *ty == Type::INT4 {
            r.try_get::<_, Option<i32>>(i)?.map(|v| Value::Int(i64::from(v)))
        } else if *ty == Type::INT2 {
            r.try_get::<_, Option<i16>>(i)?.map(|v| Value::Int(i64::from(v)))
        } else if *ty == Type::BOOL {
            r.try_get::<_, Option<bool>>(i)?.map(|v| Value::Int(i64::from(v)))
        } else if [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME].contains(ty) {
            r.try_get::<_, Option<String>>(i)?.map(Value::Text)
        } else if *ty == Type::BYTEA {
            r.try_get::<_, Option<Vec<u8>>>(i)?.map(Value::Bytes)
        } else {
            return Err(RepoError::Unsupported(format!(
                "column {} is of type {ty}, which the repository does not read (write CAST(... AS BIGINT))",
                column.name()
            )));
        };
        values.push(v.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

impl ToSql for Value {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => {
                if *ty == Type::INT8 {
                    v.to_sql(ty, out)
                } else if *ty == Type::INT4 {
                    i32::try_from(*v)?.to_sql(ty, out)
                } else if *ty == Type::INT2 {
                    i16::try_from(*v)?.to_sql(ty, out)
                } else if *ty == Type::BOOL {
                    (*v != 0).to_sql(ty, out)
                } else {
                    Err(format!("an integer cannot be bound to a parameter of type {ty}").into())
                }
            }
            Value::Text(v) => {
                if [Type::TEXT, Type::VARCHAR, Type::BPCHAR, Type::NAME, Type::UNKNOWN].contains(ty) {
                    v.as_str().to_sql(&Type::TEXT, out)
                } else {
                    Err(format!("text cannot be bound to a parameter of type {ty}").into())
                }
            }
            Value::Bytes(v) => {
                if *ty == Type::BYTEA {
                    v.as_slice().to_sql(ty, out)
                } else {
                    Err(format!("bytes cannot be bound to a parameter of type {ty}").into())
                }
            }
        }
    }

    // Every type is offered to `to_sql`, which refuses the ones a value cannot go into with a
    // message naming both, rather than the client's generic "cannot convert".
    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::placeholders;

    #[test]
    fn placeholders_are_rewritten_outside_quotes_only() {
        assert_eq!(
            placeholders("SELECT a FROM t WHERE b = ?1 AND c = '?2' AND \"?3\" = ?12 OR d = ?"),
            "SELECT a FROM t WHERE b = $1 AND c = '?2' AND \"?3\" = $12 OR d = ?"
        );
        assert_eq!(placeholders("INSERT INTO t VALUES ('it''s ?1', ?1)"), "INSERT INTO t VALUES ('it''s ?1', $1)");
    }
}
