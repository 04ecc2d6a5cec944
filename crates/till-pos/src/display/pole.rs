//! The pole display: the customer display's view as two lines of twenty characters, written to
//! a serial pole display by a worker thread of its own, so a slow or missing display never
//! holds up the sale. A display that fails is logged and its fault kept
//! ([`crate::Pos::customer_display_pole_fault`]); the cashier is never told of it as an error.
//! The worker opens the display again with the next view.

use crate::ipc::display::{CustomerDisplayView, CustomerPhase};
use crate::ipc::watch::Watch;
use crate::mutex::lock;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use till_core::Money;
use till_devices::display::{pair, PoleDisplay, COLUMNS};

/// The two lines the pole display shows for `view` (English, folded to ASCII by the driver):
/// the last line scanned and its amount over the total; the amount over "PLEASE SWIPE CARD" or
/// "PLEASE ENTER PIN"; "THANK YOU" over the change.
pub fn lines(view: &CustomerDisplayView) -> (String, String) {
    let amount = |m: Money| m.major_units();
    match view.phase {
        CustomerPhase::Idle => {
            let shop = view.shop_name.trim();
            if shop.is_empty() {
                (pair("WELCOME", "", COLUMNS), String::new())
            } else {
                (pair(shop, "", COLUMNS), pair("WELCOME", "", COLUMNS))
            }
        }
        CustomerPhase::Scanning => {
            let line =
                view.latest_line_no.and_then(|n| view.lines.iter().find(|l| l.line_no == n)).or(view.lines.last());
            let first = match line {
                Some(l) if l.quantity > 1 => {
                    pair(&format!("{}x {}", l.quantity, l.name), &amount(l.line_total), COLUMNS)
                }
                Some(l) => pair(&l.name, &amount(l.line_total), COLUMNS),
                None => String::new(),
            };
            let second = if view.points_paid.is_some() {
                pair("TO PAY", &amount(view.amount_to_pay), COLUMNS)
            } else {
                pair("TOTAL", &amount(view.total), COLUMNS)
            };
            (first, second)
        }
        CustomerPhase::ToPay => (pair("TO PAY", &amount(view.amount_to_pay), COLUMNS), "PLEASE SWIPE CARD".into()),
        CustomerPhase::EnterPin => (pair("TO PAY", &amount(view.amount_to_pay), COLUMNS), "PLEASE ENTER PIN".into()),
        CustomerPhase::Enrol => ("SCAN THE QR CODE".into(), "ON THE SCREEN".into()),
        CustomerPhase::ThankYou => {
            let second = match view.change {
                Some(change) => pair("CHANGE", &amount(change), COLUMNS),
                None => pair("PAID", &amount(view.amount_to_pay), COLUMNS),
            };
            ("THANK YOU".into(), second)
        }
    }
}

/// Starts the worker for the pole display at `uri` and returns the listener that feeds it.
/// The worker shows the newest view it has (views that queued behind a slow display are
/// skipped), and ends when the listener is dropped.
pub(crate) fn spawn(uri: String, fault: Arc<Mutex<Option<String>>>) -> crate::Result<Watch<CustomerDisplayView>> {
    let (tx, rx) = mpsc::channel::<CustomerDisplayView>();
    std::thread::Builder::new()
        .name("pole-display".into())
        .spawn(move || {
            let mut pole: Option<PoleDisplay> = None;
            while let Ok(mut view) = rx.recv() {
                while let Ok(newer) = rx.try_recv() {
                    view = newer;
                }
                let (first, second) = lines(&view);
                let shown = match pole.as_mut() {
                    Some(p) => p.show(&first, &second),
                    None => PoleDisplay::open(&uri).and_then(|mut p| {
                        p.show(&first, &second)?;
                        pole = Some(p);
                        Ok(())
                    }),
                };
                let mut fault = lock(&fault);
                match shown {
                    Ok(()) => {
                        if fault.take().is_some() {
                            tracing::info!(%uri, "pole display works again");
                        }
                    }
                    Err(e) => {
                        if fault.is_none() {
                            tracing::warn!(%uri, "pole display failed: {e}");
                        }
                        *fault = Some(e.to_string());
                        pole = None;
                    }
                }
            }
        })
        .map_err(|e| crate::PosError::Internal(format!("pole display worker: {e}")))?;
    let tx = Mutex::new(tx);
    Ok(Arc::new(move |view: &CustomerDisplayView| {
        // The worker only ends with the till; a send to it does not block.
        let _ = lock(&tx).send(view.clone());
    }))
}
