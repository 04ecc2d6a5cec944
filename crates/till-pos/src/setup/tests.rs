use super::*;
use crate::ipc::setup::{FirstPeopleInput, ShopProfile, TaxRateEntry};
use crate::{ErrorCode, ManualClock, PosConfig};
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::sync::Arc;

fn shop_config(dir: &tempfile::TempDir) -> PosConfig {
    PosConfig {
        clock: Arc::new(ManualClock::new(1_790_000_000_000)),
        rng: Box::new(StdRng::seed_from_u64(7)),
        ..PosConfig::shop(dir.path().join("till.db"))
    }
}

fn shop_till() -> (tempfile::TempDir, Pos) {
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(shop_config(&dir)).unwrap();
    (dir, pos)
}

pub(crate) fn profile() -> ShopProfile {
    ShopProfile {
        name: "Green Leaf Grocery".into(),
        address: "12 Nanjing Road\nShanghai".into(),
        tax_id: "91310000MA1FL0XX1X".into(),
        currency: "CNY".into(),
        tax_rates: vec![
            TaxRateEntry { name: "Standard".into(), rate_bp: 1300 },
            TaxRateEntry { name: "Food".into(), rate_bp: 900 },
        ],
        default_tax_rate: 0,
        receipt_header: "Open 8:00-22:00".into(),
        receipt_footer: "Thank you!".into(),
        time_zone: "Asia/Shanghai".into(),
        till_name: "Counter 1".into(),
    }
}

fn people(owner_pin: &str, installer_pin: &str) -> FirstPeopleInput {
    FirstPeopleInput {
        owner_name: "Chen Mei".into(),
        owner_pin: owner_pin.into(),
        installer_name: "Wang Jun".into(),
        installer_pin: installer_pin.into(),
    }
}

fn user_id(pos: &Pos, name: &str) -> i64 {
    pos.login_users().unwrap().into_iter().find(|u| u.name == name).unwrap().id
}

fn code<T: std::fmt::Debug>(r: Result<T>) -> ErrorCode {
    r.unwrap_err().code()
}

#[test]
fn a_fresh_shop_till_is_empty_and_opens_the_setup() {
    let (_d, pos) = shop_till();
    let info = pos.app_info().unwrap();
    assert!(!info.demo_mode);
    assert!(info.demo_users.is_empty());
    assert!(pos.login_users().unwrap().is_empty(), "no demo users outside demo mode");
    assert_eq!(info.setup.step, SetupStep::Shop);
    assert_eq!(info.setup.pin_min_length, 6);
    assert!(!info.setup.platform_key_set, "no sandbox key outside demo mode");
    assert!(pos.store.catalogue_is_empty().unwrap(), "no demo catalogue");
    assert!(!pos.setup_complete().unwrap());
}

#[test]
fn the_setup_goes_step_by_step_and_resumes_where_it_stopped() {
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(shop_config(&dir)).unwrap();

    // Bad input changes nothing.
    let bad = ShopProfile { name: "  ".into(), ..profile() };
    assert_eq!(code(pos.setup_shop_save(bad)), ErrorCode::InvalidInput);
    let bad = ShopProfile { default_tax_rate: 2, ..profile() };
    assert_eq!(code(pos.setup_shop_save(bad)), ErrorCode::InvalidInput);
    let bad = ShopProfile { currency: "XYZ".into(), ..profile() };
    assert_eq!(code(pos.setup_shop_save(bad)), ErrorCode::InvalidInput);
    assert_eq!(pos.setup_status().unwrap().step, SetupStep::Shop);

    pos.setup_shop_save(profile()).unwrap();
    assert_eq!(pos.setup_status().unwrap().step, SetupStep::People);

    // The PIN policy: six digits at least.
    assert_eq!(code(pos.setup_first_people(people("1234", "5678"))), ErrorCode::InvalidInput);
    assert_eq!(code(pos.setup_first_people(people("246810", "246810"))), ErrorCode::InvalidInput);
    assert!(pos.login_users().unwrap().is_empty(), "a refused step creates nobody");
    pos.setup_first_people(people("246810", "135791")).unwrap();
    assert_eq!(pos.setup_status().unwrap().step, SetupStep::Server);

    // The sessionless steps are closed now.
    assert_eq!(code(pos.setup_shop_save(profile())), ErrorCode::SetupIncomplete);
    assert_eq!(code(pos.setup_first_people(people("111111", "222222"))), ErrorCode::SetupIncomplete);

    // Interrupted: the till opens again at the same step.
    drop(pos);
    let pos = Pos::open(shop_config(&dir)).unwrap();
    assert_eq!(pos.setup_status().unwrap().step, SetupStep::Server);
    assert_eq!(pos.setup_status().unwrap().shop.unwrap().name, "Green Leaf Grocery");

    let installer = pos.login(user_id(&pos, "Wang Jun"), "135791").unwrap();
    // Steps go in order.
    assert_eq!(code(pos.setup_pass(&installer.token, SetupStep::Devices)), ErrorCode::SetupIncomplete);
    pos.setup_pass(&installer.token, SetupStep::Server).unwrap();
    pos.setup_pass(&installer.token, SetupStep::Payments).unwrap();
    let status = pos.setup_pass(&installer.token, SetupStep::Devices).unwrap();
    assert_eq!(status.step, SetupStep::Done);
    assert_eq!(status.skipped, vec![SetupStep::Server, SetupStep::Payments], "left for later, and listed as such");
    assert!(pos.setup_complete().unwrap());
}

#[test]
fn only_the_owner_and_the_installer_log_in_before_the_setup_is_finished() {
    let (_d, pos) = shop_till();
    pos.setup_shop_save(profile()).unwrap();
    pos.setup_first_people(people("246810", "135791")).unwrap();
    let owner = pos.login(user_id(&pos, "Chen Mei"), "246810").unwrap();
    // Outside demo mode a cashier's PIN has six digits too.
    assert_eq!(code(pos.user_create(&owner.token, "Li Na", "cashier", "1234")), ErrorCode::InvalidInput);
    pos.user_create(&owner.token, "Li Na", "cashier", "864200").unwrap();
    let cashier = user_id(&pos, "Li Na");
    assert_eq!(code(pos.login(cashier, "864200")), ErrorCode::SetupIncomplete);
    // A cashier cannot pass a step either.
    let installer = pos.login(user_id(&pos, "Wang Jun"), "135791").unwrap();
    for step in LATER_STEPS {
        pos.setup_pass(&installer.token, step).unwrap();
    }
    pos.login(cashier, "864200").unwrap();
}

#[test]
fn a_data_directory_keeps_its_mode() {
    // demo data never opens without --demo
    let demo_dir = tempfile::tempdir().unwrap();
    drop(Pos::open(PosConfig::demo(demo_dir.path().join("till.db"))).unwrap());
    let e = Pos::open(shop_config(&demo_dir)).err().unwrap();
    assert_eq!(e.code(), ErrorCode::ModeMismatch);
    assert!(e.to_string().contains("--demo"), "{e}");

    // a shop's till never opens in demo mode, where the stand-in would approve cards
    let (shop_dir, pos) = shop_till();
    drop(pos);
    let e = Pos::open(PosConfig::demo(shop_dir.path().join("till.db"))).err().unwrap();
    assert_eq!(e.code(), ErrorCode::ModeMismatch);
}

#[test]
fn the_shop_currency_is_the_tills_until_it_has_sold() {
    let (_d, pos) = shop_till();
    pos.setup_shop_save(ShopProfile { currency: "HKD".into(), ..profile() }).unwrap();
    assert_eq!(pos.currency().code(), "HKD");
    assert_eq!(pos.app_info().unwrap().currency, "HKD");
    pos.setup_first_people(people("246810", "135791")).unwrap();
    let owner = pos.login(user_id(&pos, "Chen Mei"), "246810").unwrap();
    // Before any sale, the owner may still change it.
    pos.shop_profile_set(&owner.token, profile()).unwrap();
    assert_eq!(pos.currency().code(), "CNY");
    pos.store
        .write(|tx| {
            tx.execute_batch(
                "INSERT INTO orders (checkout_key, cashier_id, created_at_ms, currency, subtotal_minor, tax_minor, total_minor, line_count)
                 VALUES ('cart-1', 1, 0, 'CNY', 100, 0, 100, 0)",
            )
            .map_err(till_store::StoreError::from)
        })
        .unwrap();
    let e = pos.shop_profile_set(&owner.token, ShopProfile { currency: "USD".into(), ..profile() });
    assert_eq!(code(e), ErrorCode::Conflict);
    assert_eq!(pos.currency().code(), "CNY");
    // Other fields still change.
    let saved = pos.shop_profile_set(&owner.token, ShopProfile { name: "Green Leaf".into(), ..profile() }).unwrap();
    assert_eq!(saved.name, "Green Leaf");
}

/// Finishes the setup of a fresh shop's till with the demo users (PINs 1111, 2222, 3333, 4444)
/// and catalogue, for tests of a shop's till that sell.
pub(crate) fn finish_setup_with_demo_data(pos: &Pos) {
    pos.setup_shop_save(profile()).unwrap();
    crate::admin::demo::seed_if_empty(pos).unwrap();
    let passed = serde_json::to_string(&LATER_STEPS).unwrap();
    pos.store.write(|tx| settings::put(tx, PASSED, &passed)).unwrap();
    assert!(pos.setup_complete().unwrap());
}

#[test]
fn reports_carry_the_shop_profile() {
    let (dir, pos) = shop_till();
    assert!(pos.shop_heading().unwrap().is_empty());
    finish_setup_with_demo_data(&pos);
    let manager = pos.login(2, "2222").unwrap();
    let saved = pos.report_pdf(&manager.token, None).unwrap();
    let pdf = std::fs::read(&saved.path).unwrap();
    let text = String::from_utf8_lossy(&pdf);
    for line in ["Green Leaf Grocery", "12 Nanjing Road", "Tax id 91310000MA1FL0XX1X", "Open 8:00-22:00", "Counter 1"] {
        assert!(text.contains(line), "{line} is not in the PDF");
    }
    drop(dir);
}

#[test]
fn a_one_time_code_becomes_the_server_settings_once() {
    use crate::ipc::setup::EnrolmentInput;
    use till_core::SystemClock;
    let server_dir = tempfile::tempdir().unwrap();
    let server =
        till_server::local::LocalServer::start(&server_dir.path().join("s.db"), Default::default(), None).unwrap();
    let issued =
        till_server::enrolment::issue(&*server.repo, "counter 1", &SystemClock, &till_server::clock::OsEntropy)
            .unwrap();
    // The real time: the server checks signing times against its own.
    let dir = tempfile::tempdir().unwrap();
    let pos = Pos::open(PosConfig { clock: Arc::new(SystemClock), ..shop_config(&dir) }).unwrap();
    pos.setup_shop_save(profile()).unwrap();
    pos.setup_first_people(people("246810", "135791")).unwrap();
    let installer = pos.login(user_id(&pos, "Wang Jun"), "135791").unwrap().token;
    let input = |code: &str| EnrolmentInput {
        url: server.url.clone(),
        code: code.into(),
        cert_sha256: String::new(),
        ca_pem: String::new(),
    };

    // A wrong code: the server's refusal, nothing stored.
    let e = pos.sync_enrol(&installer, input("ABCD-EFGH-JKMN-PQRS")).unwrap_err();
    assert_eq!(e.code(), ErrorCode::ServerRefused, "{e}");
    assert!(pos.store.setting(crate::sync::settings::SETTING).unwrap().is_none());

    // The printed code, typed in lower case: the settings are the terminal's, the secret sealed.
    let view = pos.sync_enrol(&installer, input(&issued.enrolment_code.to_lowercase())).unwrap();
    assert!(view.configured && view.secret_set, "{view:?}");
    assert!(view.terminal_id.as_deref().is_some_and(|t| t.starts_with("t_")), "{view:?}");
    assert!(pos.setup_status().unwrap().server_set);
    // The credentials work: Test connection signs with them and verifies the answers.
    let test = pos.sync_test_connection(&installer).unwrap();
    assert!(test.ok, "{test:?}");

    // A till that has its settings does not spend a code.
    let again = till_server::enrolment::issue(&*server.repo, "counter 2", &SystemClock, &till_server::clock::OsEntropy)
        .unwrap();
    let e = pos.sync_enrol(&installer, input(&again.enrolment_code)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::Conflict, "{e}");
    drop(dir);
}
