//! `tillctl export`: the accountant's CSV files for a range of UTC days, straight from the
//! database file (the till may be running; the export reads a snapshot).

use crate::cli::ExportArgs;
use crate::error::CliError;
use std::io::Write;
use till_store::export::parse_utc_date;
use till_store::{ExportKind, Store};

const DAY_MS: i64 = 86_400_000;

/// `tillctl export --data-dir DIR --from YYYY-MM-DD --to YYYY-MM-DD [--kinds a,b] [--out DIR]`.
/// `--to` is inclusive; `--out` defaults to `DIR/exports`. Progress goes to stderr, the file
/// paths to stdout.
pub fn run(args: &ExportArgs) -> Result<(), CliError> {
    let dir = &args.dir.data_dir;
    let date = |v: &str| -> Result<i64, CliError> {
        parse_utc_date(v).ok_or(CliError::Usage("dates are YYYY-MM-DD (UTC), e.g. 2026-12-01"))
    };
    let from_ms = date(&args.from)?;
    let to_ms = date(&args.to)? + DAY_MS;
    if from_ms >= to_ms {
        return Err(CliError::Usage("--from must not be after --to"));
    }
    let kinds = match &args.kinds {
        None => ExportKind::ALL.to_vec(),
        Some(list) => list
            .split(',')
            .map(|k| ExportKind::parse(k).ok_or(CliError::Usage("--kinds takes orders,lines,payments,refunds,points")))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let out = args.out.clone().unwrap_or_else(|| dir.join("exports"));
    let db = dir.join("till.db");
    // Opening a missing file would create an empty till; say it is not there instead.
    if !db.exists() {
        return Err(CliError::Io(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("no till database at {}", db.display()),
        )));
    }
    let store = Store::open(&db)?;
    let mut err = std::io::stderr().lock();
    let files = store.export_csv(&kinds, from_ms, to_ms, &out, &mut |written, total| {
        // A closed stderr must not stop the export.
        let _ = writeln!(err, "exported {written} of {total} rows");
        true
    })?;
    for f in files {
        println!("{}", f.display());
    }
    Ok(())
}
