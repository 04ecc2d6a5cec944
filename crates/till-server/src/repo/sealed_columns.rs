//! Schema version 3: secrets at rest are sealed under the server key.
//!
//! The columns that held terminal secrets, points keys and stored idempotent answers in clear are
//! renamed for what they now hold, a table records which key the database is sealed under, and
//! the rows already there are sealed in the same transaction as the schema change, so a database
//! is either all clear (version 2) or all sealed (version 3). The statements are PostgreSQL's too.

use super::RepoResult;
use crate::sealing::{Purpose, ServerKey};
use rusqlite::{params, Connection};

/// The schema change of version 3.
pub(super) const MIGRATION_3: &str = "
ALTER TABLE terminals RENAME COLUMN secret_hex TO secret_sealed;
ALTER TABLE points_accounts RENAME COLUMN key_hex TO key_sealed;
ALTER TABLE idempotency RENAME COLUMN response TO response_sealed;
CREATE TABLE server_key (key_id TEXT NOT NULL);
";

/// Seals every terminal secret, points key and stored answer written before version 3.
pub(super) fn seal_existing_rows(conn: &Connection, key: &ServerKey) -> RepoResult<()> {
    let terminals: Vec<(String, String)> = conn
        .prepare("SELECT id, secret_sealed FROM terminals")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, clear) in terminals {
        let sealed = key.seal(Purpose::TerminalSecret(&id), clear.as_bytes())?;
        conn.execute("UPDATE terminals SET secret_sealed = ?2 WHERE id = ?1", params![id, sealed])?;
    }
    let accounts: Vec<(String, String)> = conn
        .prepare("SELECT account_id, key_sealed FROM points_accounts")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, clear) in accounts {
        let sealed = key.seal(Purpose::PointsKey(&id), clear.as_bytes())?;
        conn.execute("UPDATE points_accounts SET key_sealed = ?2 WHERE account_id = ?1", params![id, sealed])?;
    }
    let answers: Vec<(String, String, String)> = conn
        .prepare("SELECT terminal_id, idem_key, response_sealed FROM idempotency WHERE response_sealed IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (terminal, idem_key, clear) in answers {
        let sealed = key.seal(Purpose::IdempotentAnswer(&terminal, &idem_key), clear.as_bytes())?;
        conn.execute(
            "UPDATE idempotency SET response_sealed = ?3 WHERE terminal_id = ?1 AND idem_key = ?2",
            params![terminal, idem_key, sealed],
        )?;
    }
    Ok(())
}
