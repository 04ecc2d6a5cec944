//! The HQ console (schema version 14): admin accounts, sessions, the audit, and the pages'
//! queries (optional filters as `CAST(?n AS TEXT) IS NULL`, searches with `LIKE ... ESCAPE`).

use super::fixtures::sale;
use super::*;

fn admin(user: &str, merchant: &str) -> AdminRecord {
    AdminRecord {
        username: user.into(),
        merchant_id: merchant.into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
        failed_count: 0,
        locked_until: None,
        disabled: false,
        created_at: 5,
    }
}

fn session(id: &str, user: &str, expires_at: i64) -> ConsoleSessionRecord {
    ConsoleSessionRecord {
        id_sha256: id.into(),
        username: user.into(),
        csrf_token: format!("csrf-{id}"),
        expires_at,
        created_at: 100,
    }
}

pub(super) fn admin_accounts_count_failures_and_are_disabled(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    tx.insert_admin(&admin("zoe", "beta")).unwrap();
    tx.insert_admin(&admin("ann", "acme")).unwrap();
    tx.set_admin_failures("ann", 3, Some(900)).unwrap();
    assert!(tx.set_admin_disabled("zoe", true).unwrap());
    assert!(!tx.set_admin_disabled("nobody", true).unwrap());
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    let ann = AdminRecord { failed_count: 3, locked_until: Some(900), ..admin("ann", "acme") };
    assert_eq!(tx.admin("ann").unwrap(), Some(ann.clone()));
    assert_eq!(tx.admin("nobody").unwrap(), None);
    assert_eq!(tx.admins().unwrap(), [ann, AdminRecord { disabled: true, ..admin("zoe", "beta") }]);
    drop(tx);
    let mut tx = repo.begin().unwrap();
    tx.set_admin_failures("ann", 0, None).unwrap();
    assert_eq!(tx.admin("ann").unwrap(), Some(admin("ann", "acme")), "the lockout is cleared to NULL");
    tx.commit().unwrap();
    let mut tx = repo.begin().unwrap();
    assert!(tx.insert_admin(&admin("ann", "beta")).is_err(), "one account per user name");
}

pub(super) fn sessions_are_touched_ended_and_purged(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    tx.insert_admin(&admin("ann", "acme")).unwrap();
    tx.insert_admin(&admin("bob", "acme")).unwrap();
    for (id, user, expires) in [("s1", "ann", 200), ("s2", "ann", 300), ("s3", "bob", 400), ("s4", "bob", 150)] {
        tx.insert_console_session(&session(id, user, expires)).unwrap();
    }
    tx.touch_console_session("s1", 500).unwrap();
    tx.commit().unwrap();
    // Another server process sees the session.
    let other = db.open();
    let mut tx = other.begin().unwrap();
    assert_eq!(tx.console_session("s1").unwrap(), Some(session("s1", "ann", 500)));
    assert_eq!(tx.console_session("nope").unwrap(), None);
    tx.delete_console_session("s2").unwrap();
    assert_eq!(tx.console_session("s2").unwrap(), None);
    assert_eq!(tx.purge_console_sessions(400).unwrap(), 2, "s3 ends at 400, s4 before");
    assert!(tx.console_session("s1").unwrap().is_some());
    tx.insert_console_session(&session("s5", "ann", 900)).unwrap();
    assert_eq!(tx.delete_admin_sessions("ann").unwrap(), 2);
    assert_eq!(tx.delete_admin_sessions("bob").unwrap(), 0);
    tx.commit().unwrap();
    let mut tx = repo.begin().unwrap();
    assert!(tx.insert_console_session(&session("s6", "nobody", 900)).is_err(), "a session of no admin");
}

fn entry(at: i64, user: &str, action: &str) -> NewAuditEntry {
    NewAuditEntry { at, admin: user.into(), action: action.into(), subject: "t_1".into(), detail: "理由".into() }
}

pub(super) fn the_audit_is_numbered_and_read_per_merchant_newest_first(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    tx.insert_admin(&admin("ann", "acme")).unwrap();
    tx.insert_admin(&admin("zed", "beta")).unwrap();
    assert_eq!(tx.append_console_audit(&entry(1, "ann", "terminal.disable")).unwrap(), 1);
    assert_eq!(tx.append_console_audit(&entry(2, "zed", "refund.confirm")).unwrap(), 2);
    assert_eq!(tx.append_console_audit(&entry(3, "ann", "terminal.enable")).unwrap(), 3);
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    let acme: Vec<_> = tx.console_audit("acme", 10).unwrap().into_iter().map(|a| (a.seq, a.entry)).collect();
    assert_eq!(acme, [(3, entry(3, "ann", "terminal.enable")), (1, entry(1, "ann", "terminal.disable"))]);
    assert_eq!(tx.console_audit("acme", 1).unwrap().len(), 1);
    assert_eq!(tx.console_audit("beta", 10).unwrap()[0].seq, 2);
    assert!(tx.console_audit("gamma", 10).unwrap().is_empty());
}

/// Terminals t_1 (store north of acme), t_2 (store south of acme), t_3 (main: default) and
/// their sales.
fn shops(tx: &mut dyn Tx) {
    for (store, merchant) in [("north", "acme"), ("south", "acme")] {
        let s = StoreRecord { store: store.into(), merchant_id: merchant.into(), name: store.into(), created_at: 1 };
        tx.insert_store(&s).unwrap();
    }
    sale(tx, "t_1", "o-1", "L1", "acme", 100, 1000);
    sale(tx, "t_1", "o-2", "L2", "acme", 500, 2000);
    sale(tx, "t_2", "o-3", "L3", "acme", 300, 3000);
    sale(tx, "t_3", "o-4", "L4", "default", 700, 4000);
    tx.set_terminal_store("t_1", "north").unwrap();
    tx.set_terminal_store("t_2", "south").unwrap();
}

fn filter(f: impl FnOnce(&mut SalesFilter)) -> SalesFilter {
    let mut s = SalesFilter { merchant_id: "acme".into(), limit: 50, ..SalesFilter::default() };
    f(&mut s);
    s
}

pub(super) fn sales_are_filtered_by_each_optional_filter_and_totalled(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    shops(&mut *tx);
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    let mut orders =
        |f: SalesFilter| -> Vec<String> { tx.console_sales(&f).unwrap().into_iter().map(|s| s.order_id).collect() };
    assert_eq!(orders(filter(|_| {})), ["o-3", "o-2", "o-1"], "newest first, acme's only");
    assert_eq!(orders(filter(|f| f.store = Some("north".into()))), ["o-2", "o-1"]);
    assert_eq!(orders(filter(|f| f.terminal = Some("t_2".into()))), ["o-3"]);
    assert_eq!(orders(filter(|f| f.from = Some(2000))), ["o-3", "o-2"]);
    assert_eq!(orders(filter(|f| f.until = Some(2000))), ["o-1"]);
    assert_eq!(orders(filter(|f| f.min_total_minor = Some(300))), ["o-3", "o-2"]);
    assert_eq!(orders(filter(|f| (f.limit, f.offset) = (1, 1))), ["o-2"]);
    assert_eq!(orders(filter(|f| f.merchant_id = "default".into())), ["o-4"]);
    assert!(orders(filter(|f| f.store = Some("main".into()))).is_empty());
    let row = tx.console_sales(&filter(|f| f.terminal = Some("t_2".into()))).unwrap().remove(0);
    assert_eq!(
        row,
        SaleRow {
            terminal_id: "t_2".into(),
            terminal_name: Some("counter".into()),
            store: "south".into(),
            order_id: "o-3".into(),
            currency: "CNY".into(),
            total_minor: 300,
            customer_id: Some("cust-o-3".into()),
            created_at: 3000,
        }
    );
    let totals = tx.console_sales_totals(&filter(|_| {})).unwrap();
    assert_eq!(totals, [CurrencyTotal { currency: "CNY".into(), count: 3, total_minor: 900 }]);
    let totals = tx.console_sales_totals(&filter(|f| f.store = Some("north".into()))).unwrap();
    assert_eq!(totals, [CurrencyTotal { currency: "CNY".into(), count: 2, total_minor: 600 }]);
    assert!(tx.console_sales_totals(&filter(|f| f.from = Some(9999))).unwrap().is_empty());
}

pub(super) fn stores_and_terminals_are_their_merchants(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    shops(&mut *tx);
    // A store of acme with no terminal yet is listed too.
    let s = StoreRecord { store: "east".into(), merchant_id: "acme".into(), name: "east".into(), created_at: 1 };
    tx.insert_store(&s).unwrap();
    tx.set_terminal_disabled("t_2", true).unwrap();
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    assert_eq!(tx.console_stores("acme").unwrap(), ["east", "north", "south"]);
    assert_eq!(tx.console_stores("default").unwrap(), ["main"]);
    let terminals: Vec<_> =
        tx.console_terminals("acme").unwrap().into_iter().map(|t| (t.terminal_id, t.store, t.disabled)).collect();
    assert_eq!(terminals, [("t_1".into(), "north".into(), false), ("t_2".into(), "south".into(), true)]);
    assert_eq!(tx.console_terminals("default").unwrap()[0].terminal_id, "t_3");
    assert_eq!(tx.console_store_merchant("north").unwrap(), "acme");
    assert_eq!(tx.console_store_merchant("nowhere").unwrap(), "default");
    assert_eq!(tx.console_terminal_merchant("t_2").unwrap().as_deref(), Some("acme"));
    assert_eq!(tx.console_terminal_merchant("t_3").unwrap().as_deref(), Some("default"));
    assert_eq!(tx.console_terminal_merchant("t_9").unwrap(), None);
}

pub(super) fn customers_and_points_accounts_are_searched_within_a_merchant(db: &Db) {
    let repo = db.open();
    let mut tx = repo.begin().unwrap();
    for (merchant, customer, reputation) in
        [("acme", "Cust_1", 10), ("acme", "cust-2", 20), ("acme", "x%y", 30), ("beta", "cust-3", 40)]
    {
        tx.set_merchant_customer_reputation(merchant, customer, reputation).unwrap();
    }
    for (i, (merchant, customer_ref)) in
        [("acme", Some("Ann_Lee")), ("acme", None), ("beta", Some("ann"))].iter().enumerate()
    {
        let id = format!("{:032x}", i + 10);
        let account = PointsAccount {
            account_id: id.clone(),
            key_hex: "cd".repeat(32),
            last_counter: 0,
            balance: i as i64 * 10,
            customer_ref: customer_ref.map(str::to_string),
            created_at: i as i64,
        };
        tx.insert_points_account(&account).unwrap();
        tx.set_points_account_merchant(&id, merchant).unwrap();
    }
    tx.commit().unwrap();
    let mut tx = repo.read().unwrap();
    let mut customers = |search: Option<&str>, limit, offset| -> Vec<String> {
        tx.console_customers("acme", search, limit, offset).unwrap().into_iter().map(|c| c.customer_id).collect()
    };
    assert_eq!(customers(None, 10, 0), ["Cust_1", "cust-2", "x%y"]);
    assert_eq!(customers(None, 1, 1), ["cust-2"]);
    assert_eq!(customers(Some("CUST"), 10, 0), ["Cust_1", "cust-2"]);
    assert_eq!(customers(Some("_"), 10, 0), ["Cust_1"], "_ is itself");
    assert_eq!(customers(Some("%"), 10, 0), ["x%y"], "% is itself");
    assert!(customers(Some("cust-3"), 10, 0).is_empty(), "another merchant's customer");
    assert_eq!(
        tx.console_customer("acme", "cust-2").unwrap(),
        Some(CustomerRow { customer_id: "cust-2".into(), reputation: 20 })
    );
    assert_eq!(tx.console_customer("beta", "cust-2").unwrap(), None);
    let mut accounts = |search: Option<&str>| -> Vec<(Option<String>, i64)> {
        tx.console_points_accounts("acme", search, 10, 0)
            .unwrap()
            .into_iter()
            .map(|a| (a.customer_ref, a.balance))
            .collect()
    };
    assert_eq!(accounts(None), [(None, 10), (Some("Ann_Lee".into()), 0)], "newest first");
    assert_eq!(accounts(Some("ann_")), [(Some("Ann_Lee".into()), 0)], "by the customer");
    assert_eq!(accounts(Some(&format!("{:x}", 11))), [(None, 10)], "by the account id");
    assert!(accounts(Some("%")).is_empty());
    assert_eq!(tx.console_points_accounts("acme", None, 1, 1).unwrap()[0].balance, 0);
    let id = format!("{:032x}", 12);
    let row = PointsAccountRow { account_id: id.clone(), customer_ref: Some("ann".into()), balance: 20, created_at: 2 };
    assert_eq!(tx.console_points_account("beta", &id).unwrap(), Some(row));
    assert_eq!(tx.console_points_account("acme", &id).unwrap(), None);
}
