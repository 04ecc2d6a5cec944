//! docs/openapi.json is generated from the code; this test keeps it in step.
//! Regenerate with `UPDATE_OPENAPI=1 cargo test -p till-server --test openapi`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

#[test]
fn docs_openapi_json_matches_the_code() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let generated = till_server::openapi::json();
    let doc: serde_json::Value = serde_json::from_str(&generated).unwrap();
    for p in [
        "/v1/sales",
        "/v1/payments/authorize",
        "/v1/points/updates",
        "/v1/points/reversals",
        "/v1/sync/batch",
        "/v1/line-codes/{code}",
        "/v1/customers/{customer_id}",
        "/v1/refunds/check",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} missing from the OpenAPI document");
    }
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "docs/openapi.json is out of date: run UPDATE_OPENAPI=1 cargo test -p till-server --test openapi"
    );
}
