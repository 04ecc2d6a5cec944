//! A state-machine model, checked with proptest: random sequences of sales, refunds, points
//! enrolments and points changes queued by the app, network faults (every fault of the proxy),
//! worker crashes (a claim that never settles, before or after the server committed it) and
//! worker rounds, batched or one request per event. After recovery and a final drain, the
//! server's effects equal the app's events, each exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use proptest::prelude::*;
use rand::SeedableRng;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::proxy::{Fault, Proxy, ALL};
use support::{now_ms, App, Server};
use till_core::SystemClock;
use till_sync::Syncer;

#[derive(Debug, Clone)]
enum Op {
    Sale,
    /// Refund of the line `i % lines`, a share of what is left.
    Refund(usize, u8),
    Enrol,
    /// Earn points on account `a % 3`.
    Points(usize, u16),
    /// The next request meets this fault.
    Net(usize),
    /// A worker claims up to `n` events and dies; with `sent`, after the server committed them.
    Crash {
        n: usize,
        sent: bool,
    },
    /// A worker round.
    Round,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Sale),
        2 => (any::<usize>(), 1u8..=100).prop_map(|(i, p)| Op::Refund(i, p)),
        1 => Just(Op::Enrol),
        2 => (any::<usize>(), 1u16..500).prop_map(|(a, p)| Op::Points(a, p)),
        2 => (0..ALL.len()).prop_map(Op::Net),
        1 => (1usize..6, any::<bool>()).prop_map(|(n, sent)| Op::Crash { n, sent }),
        3 => Just(Op::Round),
    ]
}

struct Model {
    server: Server,
    proxy: Proxy,
    app: App,
    syncer: Syncer,
    accounts: Vec<([u8; 16], [u8; 32], u32)>,
    seed: u64,
}

fn config(server: &Server, url: &str) -> till_sync::SyncConfig {
    let mut c = server.config(url);
    c.request_timeout = Duration::from_millis(250);
    c.lease = Duration::from_secs(2);
    c.batch_size = 4;
    c
}

impl Model {
    fn new(seed: u64) -> Model {
        let server = Server::start();
        let proxy = Proxy::start(server.server.addr, &[(Fault::Pass, 1)], seed, Duration::from_millis(400));
        let app = App::new(seed);
        let accounts = (1..=3).map(|n| server.points_account(n)).map(|(id, key)| (id, key, 0)).collect();
        let syncer = Model::syncer(&server, &proxy, &app, seed);
        Model { server, proxy, app, syncer, accounts, seed }
    }

    fn syncer(server: &Server, proxy: &Proxy, app: &App, seed: u64) -> Syncer {
        let mut config = config(server, &proxy.url());
        // Half the cases deliver one request per event instead of batches.
        if seed % 2 == 1 {
            config.delivery = till_sync::Delivery::OneByOne;
        }
        Syncer::new(app.store.clone(), config, Arc::new(SystemClock), Box::new(rand::rngs::StdRng::seed_from_u64(seed)))
            .unwrap()
    }

    fn queue(&mut self, kind: &str, subject: &str, body: serde_json::Value) -> String {
        let id = self.app.next_id();
        self.app.store.write(|tx| till_store::outbox::enqueue(tx, &id, kind, subject, &body, now_ms())).unwrap();
        self.app.expected.keys.insert(id.clone());
        id
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Sale => {
                let n = self.app.seq + 1;
                let (p, code, gross) = self.app.sale_payload(n);
                self.app.lines.push((code, gross, 0));
                self.app.expected.sales.insert(format!("{n:08}"), gross);
                self.queue("sale.recorded", &format!("order/{n}"), p);
            }
            Op::Refund(i, share) => {
                if self.app.lines.is_empty() {
                    return;
                }
                let i = i % self.app.lines.len();
                let (code, total, refunded) = self.app.lines[i].clone();
                let amount = ((total - refunded) * i64::from(*share) / 100).max(0);
                if amount == 0 {
                    return;
                }
                self.app.lines[i].2 += amount;
                let refund_id = format!("r-{}", self.app.seq + 1);
                self.app.expected.refunds.insert(refund_id.clone(), amount);
                *self.app.expected.refunded_by_line.entry(code.clone()).or_default() += amount;
                let body = json!({"refund_id": refund_id, "line_code": code,
                                  "amount": {"minor": amount, "currency": "CNY"}, "tender": "cash", "reason": "defect"});
                self.queue("refund.requested", "refund", body);
            }
            Op::Enrol => {
                let customer = format!("cust-{}", self.app.seq + 1);
                *self.app.expected.enrolments.entry(customer.clone()).or_default() += 1;
                self.queue("points.enrolled", "customer", json!({ "customer_ref": customer }));
            }
            Op::Points(a, points) => {
                let a = a % self.accounts.len();
                self.accounts[a].2 += 1;
                let (id, key, counter) = self.accounts[a];
                let token = till_server::points::make_token(&key, &id, counter, (now_ms() / 1000) as u64);
                *self.app.expected.balances.entry(hex::encode(id)).or_default() += i64::from(*points);
                self.app.expected.points_entries += 1;
                let order = format!("{:08}", self.app.seq + 1);
                let body = json!({"token": hex::encode(token), "kind": "earn", "points": points, "order_id": order});
                self.queue("points.updated", "points", body);
            }
            Op::Net(f) => self.proxy.script(&[ALL[*f]]),
            Op::Crash { n, sent } => {
                // A worker process claims events and dies; maybe after the server committed them.
                let store = self.app.store.clone();
                let mut prepare = |ev: &till_store::DueEvent| till_sync::wire::prepare(ev, "Shop 1");
                let claimed = store.claim_due(now_ms(), *n, 2_000, &mut prepare).unwrap();
                if *sent && !claimed.is_empty() {
                    let events: Vec<_> = claimed
                        .iter()
                        .map(|e| {
                            json!({"idempotency_key": e.id, "kind": e.wire_kind,
                                   "body": serde_json::from_str::<serde_json::Value>(&e.body).unwrap()})
                        })
                        .collect();
                    let client = till_client::Client::new(&config(&self.server, &self.server.url())).unwrap();
                    let body = json!({ "events": events }).to_string();
                    let mut rng = rand::rngs::StdRng::seed_from_u64(self.seed ^ now_ms() as u64);
                    let a = client.send("POST", "/v1/sync/batch", body.as_bytes(), None, now_ms() / 1000, &mut rng);
                    assert_eq!(a.map(|a| a.status).ok(), Some(200));
                }
                // The restarted worker: a new syncer that first takes back what the dead one held.
                self.syncer = Model::syncer(&self.server, &self.proxy, &self.app, self.seed);
                self.syncer.recover().unwrap();
            }
            Op::Round => {
                self.syncer.round().unwrap();
            }
        }
    }

    fn finish(&mut self) {
        self.proxy.set_weights(&[(Fault::Pass, 1)]);
        self.proxy.script(&[]);
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            self.syncer.drain().unwrap();
            let c = self.app.store.outbox_counts().unwrap();
            if c.pending == 0 || Instant::now() > end {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.proxy.flush_held();
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, max_shrink_iters: 16, failure_persistence: None, .. ProptestConfig::default() })]

    #[test]
    fn every_event_takes_effect_exactly_once(ops in proptest::collection::vec(op(), 1..40), seed in any::<u64>()) {
        let mut m = Model::new(seed);
        for o in &ops {
            m.apply(o);
        }
        m.finish();
        let c = m.app.store.outbox_counts().unwrap();
        prop_assert_eq!((c.pending, c.parked), (0, 0), "{:?}", m.app.store.parked_events().unwrap());
        prop_assert_eq!(m.server.ledger(), std::mem::take(&mut m.app.expected));
    }
}
