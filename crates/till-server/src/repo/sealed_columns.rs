//! Schema version 5: secrets at rest are sealed under the server key.
//!
//! The columns that held terminal secrets, points keys and stored idempotent answers in clear are
//! renamed for what they now hold, a table records which key the database is sealed under, and
//! the rows already there are sealed in the same transaction as the schema change, so a database
//! is either all clear (version 4 and before) or all sealed (version 5). The statements are PostgreSQL's too.

use super::sql::{SqlConn, SqlConnExt};
use super::RepoResult;
use crate::args;
use crate::sealing::{Purpose, ServerKey};

/// The schema change of version 5.
pub(super) const MIGRATION_5: &str = "
ALTER TABLE terminals RENAME COLUMN secret_hex TO secret_sealed;
ALTER TABLE points_accounts RENAME COLUMN key_hex TO key_sealed;
ALTER TABLE idempotency RENAME COLUMN response TO response_sealed;
CREATE TABLE server_key (key_id TEXT NOT NULL);
";

/// Seals every terminal secret, points key and stored answer written before version 5.
pub(super) fn seal_existing_rows(conn: &mut dyn SqlConn, key: &ServerKey) -> RepoResult<()> {
    let pair = |r: &super::sql::Row| Ok((r.text(0)?, r.text(1)?));
    for (id, clear) in conn.query_map("SELECT id, secret_sealed FROM terminals", args![], pair)? {
        let sealed = key.seal(Purpose::TerminalSecret(&id), clear.as_bytes())?;
        conn.execute("UPDATE terminals SET secret_sealed = ?2 WHERE id = ?1", args![id, sealed])?;
    }
    for (id, clear) in conn.query_map("SELECT account_id, key_sealed FROM points_accounts", args![], pair)? {
        let sealed = key.seal(Purpose::PointsKey(&id), clear.as_bytes())?;
        conn.execute("UPDATE points_accounts SET key_sealed = ?2 WHERE account_id = ?1", args![id, sealed])?;
    }
    let answers = conn.query_map(
        "SELECT terminal_id, idem_key, response_sealed FROM idempotency WHERE response_sealed IS NOT NULL",
        args![],
        |r| Ok((r.text(0)?, r.text(1)?, r.text(2)?)),
    )?;
    for (terminal, idem_key, clear) in answers {
        let sealed = key.seal(Purpose::IdempotentAnswer(&terminal, &idem_key), clear.as_bytes())?;
        conn.execute(
            "UPDATE idempotency SET response_sealed = ?3 WHERE terminal_id = ?1 AND idem_key = ?2",
            args![terminal, idem_key, sealed],
        )?;
    }
    Ok(())
}
