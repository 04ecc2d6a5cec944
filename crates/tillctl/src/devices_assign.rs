//! `tillctl devices assign --data-dir DIR URI --role ROLE --driver D [--baud N] [--paper 58|80]
//! [--code-page CP]`: sets up the device of a role in a till's database, checked exactly as the
//! installer screen checks it (`till_pos::devices::setup::validate`) and audited with no user
//! as its actor and `"by": "tillctl"`. A running till reads the receipt printer's settings
//! before each job; a changed card reader is taken up when the till starts again.

use crate::cli::DeviceAssignArgs;
use crate::error::CliError;
use serde_json::json;
use till_pos::devices::setup::validate;
use till_pos::ipc::devices::DeviceAssignment;
use till_store::{audit, devices, Store};

/// Validates and stores the assignment; prints what was set.
pub fn run(a: &DeviceAssignArgs) -> Result<(), CliError> {
    let assignment = DeviceAssignment {
        uri: a.uri.clone(),
        role: a.role,
        driver: a.driver.clone(),
        baud: a.baud,
        parity: None,
        swipe_timeout_s: None,
        paper_mm: a.paper,
        code_page: a.code_page.clone(),
    };
    let config = validate(&assignment)?;
    let store = Store::open(&a.dir.data_dir.join("till.db"))?;
    let now = i64::try_from(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0),
    )
    .unwrap_or(i64::MAX);
    store.write(|tx| {
        devices::put(tx, &config, now)?;
        let detail = json!({ "role": config.role, "driver": config.driver, "uri": config.uri, "baud": config.baud,
                             "paper_mm": config.paper_mm, "code_page": config.code_page, "by": "tillctl" });
        audit::append(tx, now, None, "device.assigned", &detail)
    })?;
    let mut line = format!("{} set up: {} at {}", config.role, config.driver, config.uri);
    if let (Some(mm), Some(cp)) = (config.paper_mm, &config.code_page) {
        line.push_str(&format!(", {mm} mm paper, {cp}"));
    }
    println!("{line}");
    Ok(())
}
