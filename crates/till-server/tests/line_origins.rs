//! A sale line's origin (an order collected, a service paid) is checked and kept with the line
//! in the sale's own transaction; a bad origin refuses the whole sale.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::json;
use support::*;
use till_server::repo::Repository;

#[test]
fn a_lines_origin_is_kept_with_the_line() {
    let s = TestServer::start();
    let code = line_code(1);
    let mut body = sale("o-1", &code, None);
    body["lines"][0]["origin"] = json!({"kind": "pending_order", "reference": "PO-000001"});
    let a = s.post("/v1/sales", &body, "key-1");
    assert_eq!(a.status, 201, "{}", a.text);
    let mut tx = s.repo.read().unwrap();
    let lines = tx.lines_with_origin("pending_order", "PO-000001").unwrap();
    assert_eq!(lines.iter().map(|l| l.line_code.as_str()).collect::<Vec<_>>(), vec![code.as_str()]);
    assert!(tx.lines_with_origin("service", "PO-000001").unwrap().is_empty());
}

#[test]
fn an_unknown_origin_refuses_the_sale_and_records_nothing() {
    let s = TestServer::start();
    for origin in [json!({"kind": "gift", "reference": "x"}), json!({"kind": "service", "reference": "a b"})] {
        let mut body = sale("o-1", &line_code(1), None);
        body["lines"][0]["origin"] = origin;
        let a = s.post("/v1/sales", &body, &format!("key-{}", s.next_nonce()));
        assert_eq!((a.status, a.body["code"].as_str()), (400, Some("invalid_request")), "{}", a.text);
    }
    let mut tx = s.repo.read().unwrap();
    assert!(tx.line(&line_code(1)).unwrap().is_none());
}
