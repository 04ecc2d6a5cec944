//! [`SqlConn`] over a rusqlite connection: the SQLite side of the statements written once.

use crate::error::RepoError;
use crate::repo::sql::{Dialect, Row, SqlConn, Value};
use crate::repo::RepoResult;
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{params_from_iter, Connection, ToSql};

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(v) => ToSqlOutput::Borrowed(ValueRef::Text(v.as_bytes())),
            Value::Bytes(v) => ToSqlOutput::Borrowed(ValueRef::Blob(v)),
        })
    }
}

fn value(v: ValueRef<'_>) -> RepoResult<Value> {
    Ok(match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Text(t) => Value::Text(
            std::str::from_utf8(t).map_err(|e| RepoError::Corrupt(format!("text that is not UTF-8: {e}")))?.to_owned(),
        ),
        ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
        // The schema has no REAL column; a float means the file was written by something else.
        ValueRef::Real(f) => return Err(RepoError::Corrupt(format!("unexpected real number {f}"))),
    })
}

impl SqlConn for Connection {
    fn execute(&mut self, sql: &str, args: &[Value]) -> RepoResult<u64> {
        let n = self.prepare_cached(sql)?.execute(params_from_iter(args))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, args: &[Value]) -> RepoResult<Vec<Row>> {
        let mut stmt = self.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(params_from_iter(args))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(columns);
            for i in 0..columns {
                row.push(value(r.get_ref(i)?)?);
            }
            out.push(Row(row));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> RepoResult<()> {
        Ok(self.execute_batch(sql)?)
    }

    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }
}

#[cfg(test)]
mod tests {
    use crate::args;
    use crate::repo::sql::{SqlConn, SqlConnExt};
    use rusqlite::Connection;

    #[test]
    fn statements_written_once_run_on_sqlite() -> Result<(), Box<dyn std::error::Error>> {
        let mut db = Connection::open_in_memory()?;
        // Through the trait object, as the statements see it (rusqlite's own `execute` differs).
        let conn: &mut dyn SqlConn = &mut db;
        conn.batch("CREATE TABLE t (id TEXT PRIMARY KEY, n BIGINT NOT NULL, note TEXT, raw BLOB)")?;
        let note: Option<String> = None;
        assert_eq!(
            conn.execute(
                "INSERT INTO t (id, n, note, raw) VALUES (?1, ?2, ?3, ?4)",
                args!["a", 5i64, note, vec![1u8, 2]]
            )?,
            1
        );
        let got = conn.query_opt("SELECT id, n, note, raw FROM t WHERE id = ?1", args!["a"], |r| {
            Ok((r.text(0)?, r.int(1)?, r.opt_text(2)?, r.bytes(3)?))
        })?;
        assert_eq!(got, Some(("a".to_owned(), 5, None, vec![1, 2])));
        assert_eq!(conn.query_int("SELECT CAST(SUM(n) AS BIGINT) FROM t", args![])?, Some(5));
        assert!(!conn.exists("SELECT 1 FROM t WHERE id = ?1", args!["b"])?);
        Ok(())
    }
}
