//! One way to speak SQL to either database: the statements of the repository are written once,
//! against [`SqlConn`], and each backend (SQLite, PostgreSQL) only runs them.
//!
//! Statements use SQLite's numbered placeholders (`?1`, `?2`, ...); a backend that spells them
//! otherwise rewrites them (PostgreSQL's `$1`). Values cross as [`Value`]: the schema keeps to
//! TEXT, BIGINT and bytes, so these few kinds are all a row ever holds. Aggregates that
//! PostgreSQL would widen to NUMERIC (`SUM`) are written `CAST(... AS BIGINT)` so both answer
//! an integer.

use super::RepoResult;
use crate::error::RepoError;

/// A value bound to a statement or read from a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// A BIGINT (flags are 0 and 1).
    Int(i64),
    /// TEXT.
    Text(String),
    /// Bytes (BLOB in SQLite, BYTEA in PostgreSQL).
    Bytes(Vec<u8>),
}

/// Turns a Rust value into a [`Value`]; what [`args!`](crate::args) calls on each argument.
pub trait ToValue {
    /// The value to bind.
    fn to_value(&self) -> Value;
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}
impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToValue for i64 {
    fn to_value(&self) -> Value {
        Value::Int(*self)
    }
}
impl ToValue for i32 {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for u16 {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for u32 {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Bytes(self.to_vec())
    }
}
impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Bytes(self.clone())
    }
}
impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}
impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

/// The arguments of a statement: `args![a, b]` is `&[Value]` of `a` and `b` in order.
#[macro_export]
macro_rules! args {
    ($($e:expr),* $(,)?) => {
        &[$($crate::repo::sql::ToValue::to_value(&$e)),*][..]
    };
}

/// One row of an answer, its columns in the order the statement selected them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Value>);

impl Row {
    fn at(&self, i: usize) -> RepoResult<&Value> {
        self.0.get(i).ok_or_else(|| RepoError::Corrupt(format!("no column {i} in the row")))
    }

    /// An integer column that may not be NULL.
    pub fn int(&self, i: usize) -> RepoResult<i64> {
        self.opt_int(i)?.ok_or_else(|| RepoError::Corrupt(format!("column {i} is NULL")))
    }

    /// An integer column.
    pub fn opt_int(&self, i: usize) -> RepoResult<Option<i64>> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Int(v) => Ok(Some(*v)),
            other => Err(RepoError::Corrupt(format!("column {i} is not an integer: {other:?}"))),
        }
    }

    /// A flag column (0 or 1) that may not be NULL.
    pub fn flag(&self, i: usize) -> RepoResult<bool> {
        Ok(self.int(i)? != 0)
    }

    /// A text column that may not be NULL.
    pub fn text(&self, i: usize) -> RepoResult<String> {
        self.opt_text(i)?.ok_or_else(|| RepoError::Corrupt(format!("column {i} is NULL")))
    }

    /// A text column.
    pub fn opt_text(&self, i: usize) -> RepoResult<Option<String>> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Text(v) => Ok(Some(v.clone())),
            other => Err(RepoError::Corrupt(format!("column {i} is not text: {other:?}"))),
        }
    }

    /// A bytes column.
    pub fn opt_bytes(&self, i: usize) -> RepoResult<Option<Vec<u8>>> {
        match self.at(i)? {
            Value::Null => Ok(None),
            Value::Bytes(v) => Ok(Some(v.clone())),
            other => Err(RepoError::Corrupt(format!("column {i} is not bytes: {other:?}"))),
        }
    }

    /// A bytes column that may not be NULL.
    pub fn bytes(&self, i: usize) -> RepoResult<Vec<u8>> {
        self.opt_bytes(i)?.ok_or_else(|| RepoError::Corrupt(format!("column {i} is NULL")))
    }
}

/// Which database a connection talks to, for the few statements that must differ (schema
/// introspection, `PRAGMA`s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (rusqlite).
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// A connection inside an open transaction: runs the repository's statements.
pub trait SqlConn {
    /// Runs one statement; the number of rows it changed.
    fn execute(&mut self, sql: &str, args: &[Value]) -> RepoResult<u64>;
    /// Runs one query; every row of its answer.
    fn query(&mut self, sql: &str, args: &[Value]) -> RepoResult<Vec<Row>>;
    /// Runs statements separated by `;` with no arguments (schema changes, savepoints).
    fn batch(&mut self, sql: &str) -> RepoResult<()>;
    /// The database behind the connection.
    fn dialect(&self) -> Dialect;
    /// Commits the open transaction. A backend overrides it where a plain `COMMIT` can end a
    /// transaction without its changes and without an error (PostgreSQL, after a failed
    /// statement, answers `COMMIT` with a rollback).
    fn commit(&mut self) -> RepoResult<()> {
        self.batch("COMMIT")
    }
}

/// The helpers every statement module uses, over any [`SqlConn`].
pub trait SqlConnExt: SqlConn {
    /// The first row of a query mapped by `f`, if there is one.
    fn query_opt<T>(&mut self, sql: &str, args: &[Value], f: impl Fn(&Row) -> RepoResult<T>) -> RepoResult<Option<T>> {
        self.query(sql, args)?.first().map(f).transpose()
    }

    /// Every row of a query mapped by `f`.
    fn query_map<T>(&mut self, sql: &str, args: &[Value], f: impl Fn(&Row) -> RepoResult<T>) -> RepoResult<Vec<T>> {
        self.query(sql, args)?.iter().map(f).collect()
    }

    /// Whether a query answers at least one row.
    fn exists(&mut self, sql: &str, args: &[Value]) -> RepoResult<bool> {
        Ok(!self.query(sql, args)?.is_empty())
    }

    /// The integer in the first column of the first row (`COUNT`, `CAST(SUM(..) AS BIGINT)`);
    /// `None` when there is no row or it is NULL.
    fn query_int(&mut self, sql: &str, args: &[Value]) -> RepoResult<Option<i64>> {
        Ok(self.query_opt(sql, args, |r| r.opt_int(0))?.flatten())
    }
}

impl<C: SqlConn + ?Sized> SqlConnExt for C {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn args_bind_each_kind_of_value() {
        let name = String::from("till 1");
        let missing: Option<&str> = None;
        let got = args![name, "x", 7i64, true, missing, Some(3i64), &name];
        assert_eq!(
            got,
            &[
                Value::Text("till 1".into()),
                Value::Text("x".into()),
                Value::Int(7),
                Value::Int(1),
                Value::Null,
                Value::Int(3),
                Value::Text("till 1".into()),
            ]
        );
    }

    #[test]
    fn a_row_refuses_a_column_of_the_wrong_kind() {
        let row = Row(vec![Value::Int(1), Value::Null, Value::Text("a".into())]);
        assert_eq!(row.int(0).ok(), Some(1));
        assert!(row.text(0).is_err());
        assert_eq!(row.opt_text(1).ok(), Some(None));
        assert!(row.int(1).is_err());
        assert!(row.int(9).is_err());
        assert!(row.flag(0).is_ok_and(|f| f));
    }
}
