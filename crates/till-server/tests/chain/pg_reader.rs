//! Reading the shared PostgreSQL database for the comparison: a [`SqlConn`] over a plain
//! `postgres` client, so the ledger's statements (written with `?N` placeholders, as the
//! server's own are) run unchanged on both databases.

use postgres::types::Type;
use postgres::{Client, NoTls};
use till_server::error::RepoError;
use till_server::repo::sql::{Dialect, Row, SqlConn, Value};
use till_server::repo::RepoResult;

/// A read connection to the database at `url`.
pub struct PgReader(Client);

impl PgReader {
    /// Connects to `url` (`postgres://...`).
    pub fn connect(url: &str) -> Result<PgReader, String> {
        Client::connect(url, NoTls).map(PgReader).map_err(|e| format!("connecting to PostgreSQL: {e}"))
    }
}

fn err(e: postgres::Error) -> RepoError {
    RepoError::Postgres(e)
}

/// `?N` placeholders as PostgreSQL's `$N`.
fn placeholders(sql: &str) -> String {
    sql.replace('?', "$")
}

impl SqlConn for PgReader {
    fn execute(&mut self, sql: &str, _args: &[Value]) -> RepoResult<u64> {
        Err(RepoError::Corrupt(format!("the comparison only reads: {sql}")))
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> RepoResult<Vec<Row>> {
        // The comparison binds text only (terminal ids, account ids).
        let texts: Vec<Option<String>> = args
            .iter()
            .map(|a| match a {
                Value::Text(t) => Some(t.clone()),
                Value::Int(i) => Some(i.to_string()),
                _ => None,
            })
            .collect();
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> =
            texts.iter().map(|t| t as &(dyn postgres::types::ToSql + Sync)).collect();
        let rows = self.0.query(placeholders(sql).as_str(), &params).map_err(err)?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let mut row = Vec::with_capacity(r.len());
            for (i, c) in r.columns().iter().enumerate() {
                let v = match *c.type_() {
                    Type::INT8 => r.try_get::<_, Option<i64>>(i).map_err(err)?.map(Value::Int),
                    Type::INT4 => r.try_get::<_, Option<i32>>(i).map_err(err)?.map(|v| Value::Int(v.into())),
                    Type::BYTEA => r.try_get::<_, Option<Vec<u8>>>(i).map_err(err)?.map(Value::Bytes),
                    _ => r.try_get::<_, Option<String>>(i).map_err(err)?.map(Value::Text),
                };
                row.push(v.unwrap_or(Value::Null));
            }
            out.push(Row(row));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> RepoResult<()> {
        Err(RepoError::Corrupt(format!("the comparison only reads: {sql}")))
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }
}
