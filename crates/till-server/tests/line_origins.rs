//! A sale line's origin (an order collected, a service paid) is checked and kept with the line
//! in the sale's own transaction; a bad origin refuses the whole sale.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use serde_json::json;
use support::*;

#[test]
fn a_lines_origin_is_kept_with_the_line() {
    let s = TestServer::start();
    // An order pending collection of the sale's one line, reserved by this till (the sale that
    // collects it must be by a till that reserved it: docs/pending-orders.md).
    let entropy = till_server::clock::SeededEntropy::new(1);
    let key = till_server::merchants::add_merchant(&*s.repo, "Web shop", "main", &*s.clock, &entropy).unwrap().api_key;
    let order = json!({"order_number": "WEB-1", "store": "main", "customer": {"name": "Li Na", "phone": "13800138000"},
        "currency": "CNY", "lines": [{"sku": "PH-1", "name": "Phone", "quantity": 1, "unit_price_minor": 199900}],
        "total_minor": 199900});
    let auth = [("authorization", format!("Bearer {key}"))];
    let o = s.raw("POST", "/v1/merchant/orders", order.to_string().as_bytes(), None, &auth);
    let (id, pickup) = (o.body["order_id"].as_str().unwrap(), o.body["pickup_code"].as_str().unwrap());
    let r = s.post(&format!("/v1/pending-orders/{id}/reserve"), &json!({"pickup_code": pickup}), "r");
    assert_eq!(r.status, 200, "{}", r.text);
    let code = line_code(1);
    let mut body = sale("o-1", &code, None);
    body["lines"][0]["origin"] = json!({"kind": "pending_order", "reference": id});
    let a = s.post("/v1/sales", &body, "key-1");
    assert_eq!(a.status, 201, "{}", a.text);
    let mut tx = s.repo.read().unwrap();
    let lines = tx.lines_with_origin("pending_order", id).unwrap();
    assert_eq!(lines.iter().map(|l| l.line_code.as_str()).collect::<Vec<_>>(), vec![code.as_str()]);
    assert!(tx.lines_with_origin("service", id).unwrap().is_empty());
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
