//! A fault-injecting HTTP/1.1 proxy written for these tests. Each request the client sends is
//! met with one fault, drawn from a weighted plan with a seeded RNG:
//!
//! - `Pass`: forwarded, answer returned.
//! - `Slow`: forwarded after a short wait within the client's timeout.
//! - `Drop`: the connection is closed without forwarding (no answer, nothing applied).
//! - `Reset`: the connection is reset (RST) mid-request.
//! - `Error500`: a 500 answer without forwarding.
//! - `DelayAfterCommit`: forwarded (the server commits), the answer held past the client's
//!   timeout, then the connection closed: the client must retry something already applied.
//! - `Duplicate`: forwarded twice, the first answer returned.
//! - `AnswerTwice`: forwarded once, its answer written twice on the connection (a stale answer
//!   waits where the next request's answer is expected).
//! - `Reorder`: held back, the client times out; the held request reaches the server later,
//!   after the next request, out of order.
//!
//! With `down` set, every connection is closed at once (server down).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code, missing_docs)]

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Fault {
    Pass,
    Slow,
    Drop,
    Reset,
    Error500,
    DelayAfterCommit,
    Duplicate,
    Reorder,
    AnswerTwice,
}

pub const ALL: [Fault; 9] = [
    Fault::Pass,
    Fault::Slow,
    Fault::Drop,
    Fault::Reset,
    Fault::Error500,
    Fault::DelayAfterCommit,
    Fault::Duplicate,
    Fault::Reorder,
    Fault::AnswerTwice,
];

struct State {
    weights: Vec<(Fault, u32)>,
    rng: StdRng,
    held: Vec<Vec<u8>>,
    counts: BTreeMap<Fault, usize>,
    /// Faults to apply next, in order, before drawing from the weights.
    script: std::collections::VecDeque<Fault>,
}

pub struct Proxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    state: Arc<Mutex<State>>,
    down: Arc<AtomicBool>,
    stop: Arc<AtomicBool>,
    hold: Duration,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// A proxy in front of `upstream`; `hold` is how long answers and requests are held back
    /// (longer than the client's timeout).
    pub fn start(upstream: SocketAddr, weights: &[(Fault, u32)], seed: u64, hold: Duration) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            weights: weights.to_vec(),
            rng: StdRng::seed_from_u64(seed),
            held: Vec::new(),
            counts: BTreeMap::new(),
            script: Default::default(),
        }));
        let down = Arc::new(AtomicBool::new(false));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, dn, sp) = (state.clone(), down.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !sp.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        if dn.load(Ordering::SeqCst) {
                            drop(client);
                            continue;
                        }
                        client.set_nonblocking(false).unwrap();
                        let (st, dn) = (st.clone(), dn.clone());
                        std::thread::spawn(move || serve(client, upstream, &st, &dn, hold));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        Proxy { addr, upstream, state, down, stop, hold, thread: Some(thread) }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    pub fn set_weights(&self, weights: &[(Fault, u32)]) {
        self.state.lock().unwrap().weights = weights.to_vec();
    }

    /// The next requests meet these faults, in order.
    pub fn script(&self, faults: &[Fault]) {
        self.state.lock().unwrap().script.extend(faults.iter().copied());
    }

    pub fn counts(&self) -> BTreeMap<Fault, usize> {
        self.state.lock().unwrap().counts.clone()
    }

    /// Sends whatever is still held back to the server now.
    pub fn flush_held(&self) {
        let held: Vec<_> = self.state.lock().unwrap().held.drain(..).collect();
        for r in held {
            let _ = forward(self.upstream, &r);
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn pick(state: &Mutex<State>) -> Fault {
    let mut s = state.lock().unwrap();
    let f = match s.script.pop_front() {
        Some(f) => f,
        None => {
            let total: u32 = s.weights.iter().map(|w| w.1).sum();
            let mut x = s.rng.gen_range(0..total.max(1));
            let mut chosen = Fault::Pass;
            for (f, w) in s.weights.clone() {
                if x < w {
                    chosen = f;
                    break;
                }
                x -= w;
            }
            chosen
        }
    };
    *s.counts.entry(f).or_default() += 1;
    f
}

/// Reads one HTTP/1.1 message (headers, then a content-length or chunked body) from `s`,
/// starting with what is already in `buf`. `None` when the peer closed first.
fn read_message(s: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Vec<u8>> {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let body_start = end + 4;
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0)));
            let chunked = head.contains("transfer-encoding: chunked");
            loop {
                let complete = match (len, chunked) {
                    (Some(n), _) => buf.len() >= body_start + n,
                    (None, true) => find(&buf[body_start..], b"0\r\n\r\n").is_some(),
                    (None, false) => true,
                };
                if complete {
                    let total = match (len, chunked) {
                        (Some(n), _) => body_start + n,
                        (None, true) => body_start + find(&buf[body_start..], b"0\r\n\r\n").unwrap() + 5,
                        _ => body_start,
                    };
                    let msg = buf[..total].to_vec();
                    buf.drain(..total);
                    return Some(msg);
                }
                let n = s.read(&mut chunk).ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
        }
        let n = s.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Sends one request to the server on a fresh connection and reads its answer.
fn forward(upstream: SocketAddr, req: &[u8]) -> Option<Vec<u8>> {
    let mut up = TcpStream::connect(upstream).ok()?;
    up.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    up.write_all(req).ok()?;
    read_message(&mut up, &mut Vec::new())
}

fn serve(mut client: TcpStream, upstream: SocketAddr, state: &Mutex<State>, down: &AtomicBool, hold: Duration) {
    let mut buf = Vec::new();
    loop {
        let fault = pick(state);
        if fault == Fault::Reset {
            // Read a little and close with the rest unread: the kernel answers with RST.
            let mut one = [0u8; 1];
            let _ = client.read(&mut one);
            std::thread::sleep(Duration::from_millis(5));
            return;
        }
        let Some(req) = read_message(&mut client, &mut buf) else { return };
        if down.load(Ordering::SeqCst) {
            return;
        }
        let answer = match fault {
            Fault::Pass | Fault::Reset => forward(upstream, &req),
            Fault::Slow => {
                std::thread::sleep(Duration::from_millis(30));
                forward(upstream, &req)
            }
            Fault::Drop => return,
            Fault::Error500 => {
                let body = r#"{"code":"internal","message":"injected by the test proxy"}"#;
                Some(
                    format!(
                        "HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                        body.len()
                    )
                    .into_bytes(),
                )
            }
            Fault::DelayAfterCommit => {
                let a = forward(upstream, &req);
                std::thread::sleep(hold);
                if let Some(a) = a {
                    let _ = client.write_all(&a);
                }
                return;
            }
            Fault::AnswerTwice => {
                let a = forward(upstream, &req);
                if let Some(a) = &a {
                    let _ = client.write_all(a);
                }
                a
            }
            Fault::Duplicate => {
                let first = forward(upstream, &req);
                let _second = forward(upstream, &req);
                first
            }
            Fault::Reorder => {
                state.lock().unwrap().held.push(req);
                std::thread::sleep(hold);
                return;
            }
        };
        // A request held back earlier reaches the server now, after this one.
        let held: Vec<_> = state.lock().unwrap().held.drain(..).collect();
        for r in held {
            let _ = forward(upstream, &r);
        }
        match answer {
            Some(a) => {
                if client.write_all(&a).is_err() {
                    return;
                }
            }
            None => return,
        }
    }
}
