//! `tillctl bench payment`: swipe to screen through the simulated reader. The cashier's screen
//! is told of a swipe by the payment's listener, so this measures what the till adds between
//! the swipe and the view that would reach the screen: arming the reader, the simulated swipe
//! (no delay), parsing, encrypting the card data under the platform key, and the push.

use crate::error::CliError;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use till_pos::ipc::sale::{CardPaymentStatus, CardPaymentView};
use till_pos::{Pos, PosConfig};

/// Runs `rounds` swipes on a demo till in a fresh directory and prints p50/p99 as a table row.
pub fn run(rounds: usize) -> Result<(), CliError> {
    let dir = std::env::temp_dir().join(format!("till-bench-payment-{}", std::process::id()));
    till_store::private_fs::create_private_dir_all(&dir)?;
    let mut config = PosConfig::demo(dir.join("till.db"));
    config.card_reader = "sim://card-reader?delay_ms=0".into();
    let pos = Pos::open(config)?;
    let session = pos.login(1, "1111")?;
    let cart = pos.cart_scan(&session.token, "6901234567892")?;
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let started = Instant::now();
        let (tx, pushed) = mpsc::channel::<CardPaymentView>();
        let tx = Mutex::new(tx);
        let watch = Arc::new(move |v: &CardPaymentView| {
            if let Ok(tx) = tx.lock() {
                // The receiver outlives every payment of the run; a failed send only means it ended.
                let _ = tx.send(v.clone());
            }
        });
        let payment = pos.payment_start(&session.token, &cart.cart_id, watch)?;
        let read = loop {
            let view = pushed
                .recv_timeout(Duration::from_secs(10))
                .map_err(|_| CliError::CheckFailed("the simulated swipe was never pushed".into()))?;
            if !matches!(view.status, CardPaymentStatus::Waiting) {
                break view;
            }
        };
        samples.push(started.elapsed());
        if !matches!(read.status, CardPaymentStatus::Signature | CardPaymentStatus::Pin) {
            return Err(CliError::CheckFailed(format!("the simulated swipe did not read: {:?}", read.error)));
        }
        // Cancelling keeps the cart for the next round.
        pos.payment_cancel(&session.token, &payment.payment_id)?;
    }
    drop(pos);
    let _ = std::fs::remove_dir_all(&dir);
    samples.sort();
    let at = |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "| swipe to screen (start, swipe, parse, encrypt, push) | {rounds} | {:.3} ms | {:.3} ms |",
        at(0.5),
        at(0.99)
    );
    Ok(())
}
