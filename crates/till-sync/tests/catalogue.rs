//! The catalogue from HQ through the sync engine against a real till-server on 127.0.0.1: one
//! catalogue round brings HQ's products and a later price change into the till's SQLite file,
//! page by page with the cursor; a round stops at its page limit and says more wait; offline
//! (nothing listening) the round fails and the till's catalogue and cursor stay as they were.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use rand::SeedableRng;
use std::sync::Arc;
use support::Server;
use till_core::{Currency, Sku, SystemClock};
use till_store::Store;
use till_sync::Syncer;

fn syncer(store: &Arc<Store>, config: till_sync::SyncConfig) -> Syncer {
    Syncer::new(store.clone(), config, Arc::new(SystemClock), Box::new(rand::rngs::StdRng::seed_from_u64(5))).unwrap()
}

fn price(store: &Store, sku: &str) -> Option<i64> {
    store.product_by_sku(&Sku::parse(sku).unwrap()).unwrap().map(|p| p.price.minor())
}

const CSV: &str = "sku,barcode,name,price,tax_rate\n\
    A-1,,Alpha,1.00,13\nB-2,,Beta,2.00,13\nC-3,,Gamma,3.00,13\nD-4,,Delta,4.00,13\nE-5,4006381333931,Epsilon,5.00,13\n";

#[test]
fn one_round_brings_hqs_catalogue_and_a_later_price_change() {
    let srv = Server::start();
    let now = till_core::Clock::now_unix(&SystemClock);
    till_server::catalogue::import::import_csv(&*srv.repo, "default", CSV.as_bytes(), Currency::CNY, now).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("till.db")).unwrap());
    let mut config = srv.config(&srv.url());
    config.catalogue_page = 2;
    config.catalogue_pages_per_round = 2;
    let mut s = syncer(&store, config);

    let first = s.catalogue_round().unwrap();
    assert_eq!((first.pages, first.applied.created, first.more), (2, 4, true));
    assert_eq!(price(&store, "D-4"), Some(400));
    assert_eq!(price(&store, "E-5"), None, "not yet: the round stopped at its page limit");
    let rest = s.catalogue_round().unwrap();
    assert_eq!((rest.pages, rest.applied.created, rest.more), (1, 1, false));
    assert_eq!(store.hq_catalogue_status().unwrap().managed, 5);

    till_server::catalogue::set_price(&*srv.repo, "default", "B-2", "2.50", now).unwrap();
    let change = s.catalogue_round().unwrap();
    assert_eq!((change.applied.updated, change.more), (1, false));
    assert_eq!(price(&store, "B-2"), Some(250), "one round after the change at HQ");
    // Nothing new: an empty page, the cursor unchanged.
    let cursor = store.hq_catalogue_cursor().unwrap();
    assert_eq!(s.catalogue_round().unwrap().applied, Default::default());
    assert_eq!(store.hq_catalogue_cursor().unwrap(), cursor);
}

#[test]
fn offline_the_round_fails_and_the_catalogue_stays() {
    let srv = Server::start();
    let now = till_core::Clock::now_unix(&SystemClock);
    till_server::catalogue::import::import_csv(&*srv.repo, "default", CSV.as_bytes(), Currency::CNY, now).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("till.db")).unwrap());
    syncer(&store, srv.config(&srv.url())).catalogue_round().unwrap();
    let cursor = store.hq_catalogue_cursor().unwrap();
    till_server::catalogue::set_price(&*srv.repo, "default", "A-1", "9.00", now).unwrap();
    // Nothing listens on this port: the server is out of reach.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut offline = syncer(&store, srv.config(&format!("http://{dead}")));
    let e = offline.catalogue_round().unwrap_err();
    assert_eq!(e.code(), "sync_catalogue", "{e}");
    assert_eq!(price(&store, "A-1"), Some(100), "the till sells on with its last catalogue");
    assert_eq!(store.hq_catalogue_cursor().unwrap(), cursor);
}
