//! The areas of schema versions 8 to 10: orders pending collection (web-shop merchants, their
//! orders, terminal stores, reservations), service providers and conversations, device services.

use super::*;

fn merchant(id: &str, at: i64) -> MerchantRecord {
    MerchantRecord {
        merchant_id: id.into(),
        name: format!("{id} 网店"),
        store: format!("{id}-store"),
        key_sha256: "ab".repeat(32),
        created_at: at,
        disabled: false,
    }
}

fn order(id: &str, number: &str, store: &str, seq: i64, expires_at: i64) -> MerchantOrderRecord {
    MerchantOrderRecord {
        order_id: id.into(),
        merchant_id: "web".into(),
        order_number: number.into(),
        request_hash: "h".into(),
        store: store.into(),
        customer_name: "王芳".into(),
        customer_phone: "13800000000".into(),
        currency: "CNY".into(),
        total_minor: 300,
        pickup_code: "123456".into(),
        status: "pending".into(),
        created_at: 1,
        expires_at,
        reserved_by: None,
        reserved_until: None,
        pickup_failures: 0,
        collected_terminal: None,
        collected_sale: None,
        collected_at: None,
        collected_flag: None,
        cancelled_at: None,
        seq,
        lines: vec![
            MerchantOrderLineRecord {
                line_no: 1,
                sku: "A".into(),
                name: "a".into(),
                quantity: 1,
                unit_price_minor: 100,
                total_minor: 100,
            },
            MerchantOrderLineRecord {
                line_no: 2,
                sku: "B".into(),
                name: "b".into(),
                quantity: 2,
                unit_price_minor: 100,
                total_minor: 200,
            },
        ],
    }
}

pub(super) fn merchants_and_terminal_stores_round_trip(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    tx.insert_merchant(&merchant("web", 2)).unwrap();
    tx.insert_merchant(&merchant("app", 1)).unwrap();
    assert!(tx.set_merchant_disabled("app", true).unwrap());
    assert!(!tx.set_merchant_disabled("nobody", true).unwrap());
    tx.insert_terminal(&super::core::terminal("t_1")).unwrap();
    tx.set_terminal_store("t_1", "north").unwrap();
    tx.set_terminal_store("t_1", "south").unwrap();
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    assert_eq!(tx.merchant("web").unwrap(), Some(merchant("web", 2)));
    assert_eq!(tx.merchant("nobody").unwrap(), None);
    assert_eq!(tx.merchants().unwrap(), [MerchantRecord { disabled: true, ..merchant("app", 1) }, merchant("web", 2)]);
    assert_eq!(tx.terminal_store("t_1").unwrap().as_deref(), Some("south"));
    assert_eq!(tx.terminal_store("t_2").unwrap(), None);
}

pub(super) fn orders_keep_their_lines_and_are_read_by_change_and_due_date(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    tx.insert_merchant(&merchant("web", 1)).unwrap();
    assert_eq!(tx.next_merchant_order_seq().unwrap(), 1);
    tx.insert_merchant_order(&order("mo-1", "N1", "north", 1, 100)).unwrap();
    tx.insert_merchant_order(&order("mo-2", "N2", "north", 2, 50)).unwrap();
    tx.insert_merchant_order(&order("mo-3", "N3", "south", 3, 10)).unwrap();
    assert_eq!(tx.next_merchant_order_seq().unwrap(), 4);
    assert_eq!(tx.merchant_order("mo-1").unwrap(), Some(order("mo-1", "N1", "north", 1, 100)));
    assert_eq!(tx.merchant_order_by_number("web", "N2").unwrap().unwrap().order_id, "mo-2");
    assert_eq!(tx.merchant_order_by_number("other", "N2").unwrap(), None);
    // Reserved, then collected: every optional column written and read back.
    let collected = MerchantOrderRecord {
        status: "collected".into(),
        reserved_by: Some("t_1".into()),
        reserved_until: Some(70),
        pickup_failures: 2,
        collected_terminal: Some("t_1".into()),
        collected_sale: Some("s-1".into()),
        collected_at: Some(60),
        collected_flag: Some("late".into()),
        cancelled_at: None,
        seq: 4,
        ..order("mo-1", "N1", "north", 1, 100)
    };
    tx.update_merchant_order(&collected).unwrap();
    tx.note_merchant_order_reservation("mo-1", "t_1", 55).unwrap();
    tx.note_merchant_order_reservation("mo-1", "t_1", 56).unwrap();
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    assert_eq!(tx.merchant_order("mo-1").unwrap(), Some(collected));
    let changed: Vec<_> =
        tx.merchant_orders_changed("north", 1, 10).unwrap().into_iter().map(|o| (o.order_id, o.seq)).collect();
    assert_eq!(changed, [("mo-2".into(), 2), ("mo-1".into(), 4)]);
    assert_eq!(tx.merchant_orders_changed("north", 0, 1).unwrap()[0].order_id, "mo-2");
    assert_eq!(tx.merchant_orders_due("north", 100).unwrap(), ["mo-2"], "collected orders are not due");
    assert!(tx.merchant_orders_due("north", 49).unwrap().is_empty());
    assert_eq!(tx.merchant_orders_due("south", 10).unwrap(), ["mo-3"]);
    assert!(tx.merchant_order_reserved_by("mo-1", "t_1").unwrap());
    assert!(!tx.merchant_order_reserved_by("mo-1", "t_2").unwrap());
}

pub(super) fn providers_follows_conversations_and_rounds_round_trip(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    let provider = |id: &str| ProviderRecord {
        account_id: id.into(),
        name: "维修".into(),
        endpoint: "https://p.example/v1".into(),
        secret: "s3cret".into(),
        created_at: 1,
        disabled: false,
    };
    tx.insert_provider(&provider("p-2")).unwrap();
    tx.insert_provider(&provider("p-1")).unwrap();
    assert!(tx.set_provider_disabled("p-2", true).unwrap());
    assert!(!tx.set_provider_disabled("p-9", true).unwrap());
    tx.insert_follow("t_1", "p-1", 5).unwrap();
    tx.insert_follow("t_1", "p-1", 6).unwrap();
    let conversation = |id: &str, next: Option<i64>| ConversationRecord {
        conversation_id: id.into(),
        terminal_id: "t_1".into(),
        account_id: "p-1".into(),
        status: "open".into(),
        amount_minor: None,
        currency: None,
        created_at: 1,
        paid_order_id: None,
        paid_line_code: None,
        paid_at: None,
        notify_state: next.map(|_| "pending".to_string()),
        notify_attempts: 0,
        notify_next_at: next,
        notified_at: None,
        notify_error: None,
    };
    tx.insert_conversation(&conversation("c-1", None)).unwrap();
    tx.insert_conversation(&conversation("c-2", Some(30))).unwrap();
    tx.insert_conversation(&conversation("c-3", Some(20))).unwrap();
    let paid = ConversationRecord {
        status: "paid".into(),
        amount_minor: Some(500),
        currency: Some("CNY".into()),
        paid_order_id: Some("o-1".into()),
        paid_line_code: Some("L1".into()),
        paid_at: Some(9),
        notify_attempts: 1,
        notify_error: Some("timeout".into()),
        ..conversation("c-1", Some(10))
    };
    tx.update_conversation(&paid).unwrap();
    let round = |seq: i64, key: &str| RoundRecord {
        conversation_id: "c-1".into(),
        seq,
        idem_key: key.into(),
        request_text: "屏幕坏了".into(),
        status: "sent".into(),
        answer_text: None,
        amount_minor: None,
        currency: None,
        done: false,
        error_code: None,
        error_message: None,
        created_at: seq,
        answered_at: None,
    };
    tx.insert_round(&round(1, "k1")).unwrap();
    tx.insert_round(&round(2, "k2")).unwrap();
    let answered = RoundRecord {
        status: "answered".into(),
        answer_text: Some("报价".into()),
        amount_minor: Some(500),
        currency: Some("CNY".into()),
        done: true,
        answered_at: Some(3),
        ..round(2, "k2")
    };
    tx.update_round(&answered).unwrap();
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    assert_eq!(tx.provider("p-1").unwrap(), Some(provider("p-1")));
    let ids: Vec<_> = tx.providers().unwrap().into_iter().map(|p| (p.account_id, p.disabled)).collect();
    assert_eq!(ids, [("p-1".into(), false), ("p-2".into(), true)]);
    assert_eq!(tx.follow("t_1", "p-1").unwrap(), Some(5));
    assert_eq!(tx.follow("t_2", "p-1").unwrap(), None);
    assert_eq!(tx.conversation("c-1").unwrap(), Some(paid));
    assert_eq!(tx.conversation("c-9").unwrap(), None);
    let due: Vec<_> = tx.due_paid_notices(20, 10).unwrap().into_iter().map(|c| c.conversation_id).collect();
    assert_eq!(due, ["c-1", "c-3"]);
    assert_eq!(tx.due_paid_notices(30, 1).unwrap()[0].conversation_id, "c-1");
    assert_eq!(tx.round_by_key("c-1", "k1").unwrap(), Some(round(1, "k1")));
    assert_eq!(tx.round_by_key("c-1", "k3").unwrap(), None);
    assert_eq!(tx.last_round("c-1").unwrap(), Some(answered));
    assert_eq!(tx.last_round("c-2").unwrap(), None);
}

pub(super) fn service_orders_keep_their_steps_and_updates_are_recorded_once(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    let service = |no: &str, opened_at: i64, status: &str| ServiceOrderRecord {
        terminal_id: "t_1".into(),
        service_no: no.into(),
        device_blind: "blind-1".into(),
        identifier_sealed: "sealed".into(),
        store: "north".into(),
        fault: "屏幕".into(),
        status: status.into(),
        opened_at,
        updated_at: opened_at,
    };
    tx.put_service_order(&service("S-1", 1, "received")).unwrap();
    tx.put_service_order(&service("S-2", 5, "received")).unwrap();
    tx.put_service_order(&ServiceOrderRecord { updated_at: 9, ..service("S-1", 1, "repaired") }).unwrap();
    let step = |no: &str, status: &str, at: i64| ServiceStepRecord {
        terminal_id: "t_1".into(),
        service_no: no.into(),
        status: status.into(),
        at,
        by: "tech".into(),
    };
    tx.insert_service_step(&step("S-1", "repaired", 9)).unwrap();
    tx.insert_service_step(&step("S-1", "received", 1)).unwrap();
    let update = |id: &str, at: i64| SoftwareUpdateRecord {
        terminal_id: "t_1".into(),
        update_id: id.into(),
        device_blind: "blind-1".into(),
        identifier_sealed: "sealed".into(),
        store: "north".into(),
        version: "v2".into(),
        installed_by: "tech".into(),
        installed_at: at,
    };
    assert!(tx.insert_software_update(&update("u1", 3)).unwrap());
    assert!(tx.insert_software_update(&update("u2", 4)).unwrap());
    assert!(!tx.insert_software_update(&update("u1", 8)).unwrap(), "recorded once");
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    let repaired = ServiceOrderRecord { updated_at: 9, ..service("S-1", 1, "repaired") };
    assert_eq!(tx.service_order("t_1", "S-1").unwrap(), Some(repaired.clone()));
    assert_eq!(tx.service_order("t_2", "S-1").unwrap(), None);
    let history = tx.service_orders_of("blind-1").unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!((history[0].0.service_no.as_str(), history[0].1.len()), ("S-2", 0), "newest first");
    assert_eq!(history[1], (repaired, vec![step("S-1", "received", 1), step("S-1", "repaired", 9)]));
    let updates: Vec<_> =
        tx.software_updates_of("blind-1").unwrap().into_iter().map(|u| (u.update_id, u.installed_at)).collect();
    assert_eq!(updates, [("u2".into(), 4), ("u1".into(), 3)]);
    assert!(tx.software_updates_of("blind-2").unwrap().is_empty());
}

/// `till-server refunds list [--status S]`: an optional filter PostgreSQL must be able to type.
pub(super) fn refunds_are_listed_oldest_first_optionally_by_status(db: &Db) {
    use super::fixtures::{refund, sale};
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    sale(&mut *tx, "t_1", "o-1", "L1", "default", 100, 1);
    tx.insert_refund(&refund("r-b", "t_1", "L1", "refunded", None, 20)).unwrap();
    tx.insert_refund(&refund("r-a", "t_1", "L1", "pending_seller_confirmation", None, 20)).unwrap();
    tx.insert_refund(&refund("r-c", "t_1", "L1", "refunded", None, 10)).unwrap();
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    let ids = |tx: &mut Box<dyn Tx + '_>, status| -> Vec<String> {
        tx.refunds(status).unwrap().into_iter().map(|r| r.refund_id).collect()
    };
    assert_eq!(ids(&mut tx, None), ["r-c", "r-a", "r-b"]);
    assert_eq!(ids(&mut tx, Some("refunded")), ["r-c", "r-b"]);
    assert!(ids(&mut tx, Some("rejected")).is_empty());
}

/// The rest of the sales, cards, points and enrolment statements the other tests do not reach.
pub(super) fn payments_authorisations_decisions_and_enrolment_codes_round_trip(db: &Db) {
    use super::fixtures::{refund, sale};
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    sale(&mut *tx, "t_1", "o-1", "L1", "default", 300, 1);
    let payment = |seq: i64, tender: &str, payment_id: Option<&str>| PaymentRecord {
        terminal_id: "t_1".into(),
        order_id: "o-1".into(),
        seq,
        tender: tender.into(),
        amount_minor: 100 * seq,
        currency: "CNY".into(),
        masked_pan: payment_id.map(|_| "411111******1111".to_string()),
        auth_code: payment_id.map(|_| "123456".to_string()),
        payment_id: payment_id.map(str::to_string),
    };
    tx.insert_payment(&payment(2, "card", Some("p-1"))).unwrap();
    tx.insert_payment(&payment(1, "cash", None)).unwrap();
    let auth = AuthorizationRecord {
        terminal_id: "t_1".into(),
        payment_id: "p-1".into(),
        order_id: "o-1".into(),
        amount_minor: 200,
        currency: "CNY".into(),
        masked_pan: "411111******1111".into(),
        approved: true,
        status: AUTH_APPROVED.into(),
        auth_code: Some("123456".into()),
        reason_code: None,
        created_at: 1,
    };
    tx.insert_authorization(&auth).unwrap();
    tx.insert_refund(&refund("r-1", "t_1", "L1", "pending_seller_confirmation", None, 5)).unwrap();
    tx.set_refund_status("r-1", "refunded", 9, "seller-a").unwrap();
    let account = PointsAccount {
        account_id: "a".repeat(32),
        key_hex: "cd".repeat(32),
        last_counter: 0,
        balance: 0,
        customer_ref: Some("cust-1".into()),
        created_at: 1,
    };
    tx.insert_points_account(&account).unwrap();
    tx.update_points_account(&account.account_id, 7, 40).unwrap();
    let code = EnrolmentCodeRecord {
        code_sha256: "ef".repeat(32),
        terminal_id: "t_1".into(),
        created_at: 1,
        expires_at: 100,
        used_at: None,
    };
    tx.insert_enrolment_code(&code).unwrap();
    tx.commit().unwrap();

    let mut tx = repo.begin().unwrap();
    assert_eq!(tx.order_payments("t_1", "o-1").unwrap(), [payment(1, "cash", None), payment(2, "card", Some("p-1"))]);
    assert!(tx.order_payments("t_2", "o-1").unwrap().is_empty());
    assert!(tx.payment_id_recorded("t_1", "p-1").unwrap());
    assert!(!tx.payment_id_recorded("t_2", "p-1").unwrap());
    assert!(tx.authorization_exists("t_1", "p-1").unwrap());
    assert!(!tx.authorization_exists("t_1", "p-2").unwrap());
    assert_eq!(tx.authorization("t_1", "p-1").unwrap(), Some(auth));
    let decided = tx.refund("r-1").unwrap().unwrap();
    assert_eq!(
        (decided.status.as_str(), decided.decided_at, decided.decided_by.as_deref()),
        ("refunded", Some(9), Some("seller-a"))
    );
    let updated = tx.points_account(&account.account_id).unwrap().unwrap();
    assert_eq!((updated.last_counter, updated.balance), (7, 40));
    assert_eq!(tx.enrolment_code(&code.code_sha256).unwrap(), Some(code.clone()));
    assert_eq!(tx.enrolment_code(&"00".repeat(32)).unwrap(), None);
    assert!(tx.use_enrolment_code(&code.code_sha256, 50).unwrap());
    assert!(!tx.use_enrolment_code(&code.code_sha256, 51).unwrap(), "a code is used once");
    assert_eq!(tx.enrolment_code(&code.code_sha256).unwrap().unwrap().used_at, Some(50));
}
