//! The catalogue from HQ (docs/catalogue-from-hq.md): after its outbox round the worker asks the
//! server for the merchant's catalogue changes after the stored cursor
//! (`GET /v1/catalogue/changes`, signed, the answer's signature checked by the client) and hands
//! each page to till-store, which applies it with the cursor after it in one transaction. A page
//! that cannot be had or applied changes nothing: the cursor stays and the next round asks again.
//! Offline, the till sells on with the catalogue it has.

use crate::error::SyncError;
use crate::worker::Syncer;
use till_api::catalogue::{CatalogueChange, CatalogueChangeKind, CatalogueChangesPage, CatalogueProduct};
use till_store::catalogue_sync::{HqApplied, HqChange, HqProduct};

/// Changes asked for per page by default: a page's transaction stays short (a few
/// milliseconds), so a checkout waiting for the write lock hardly notices a first sync.
pub const DEFAULT_PAGE: i64 = 250;

/// What one catalogue round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CataloguePull {
    /// Pages applied.
    pub pages: usize,
    /// What they did, summed.
    pub applied: HqApplied,
    /// Whether more pages wait (the round stopped at its page limit).
    pub more: bool,
}

fn product(p: &CatalogueProduct) -> HqProduct {
    HqProduct {
        sku: p.sku.clone(),
        barcode: p.barcode.clone(),
        name: p.name.clone(),
        name_zh: p.name_zh.clone(),
        price_minor: p.price_minor,
        currency: p.currency.clone(),
        tax_rate_bp: p.tax_rate_bp,
        tax_inclusive: p.tax_inclusive,
        serialised: p.serialised,
        active: p.active,
        seller: p.seller.clone(),
        warranty_months: p.warranty_months,
        software: p.software.clone(),
    }
}

/// The store's change of a wire change; a live change without its product is refused.
pub fn change(c: &CatalogueChange) -> Result<HqChange, SyncError> {
    match c.kind {
        CatalogueChangeKind::Product => {}
    }
    let product = match (&c.product, c.deleted) {
        (_, true) => None,
        (Some(p), false) => Some(product(p)),
        (None, false) => {
            return Err(SyncError::Catalogue(format!(
                "change {} of {} has no product and is not a deletion",
                c.seq, c.sku
            )))
        }
    };
    Ok(HqChange { seq: c.seq, sku: c.sku.clone(), product })
}

/// A stored cursor as sent: the server's are whole numbers; anything else starts over.
fn cursor_param(stored: Option<String>) -> String {
    stored
        .filter(|c| !c.is_empty() && c.len() <= 20 && c.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| "0".into())
}

impl Syncer {
    /// One catalogue round: pages after the stored cursor, each applied with its cursor in one
    /// transaction, until the server has no more or `catalogue_pages_per_round` were applied.
    pub fn catalogue_round(&mut self) -> Result<CataloguePull, SyncError> {
        let mut pull = CataloguePull::default();
        let url = self.config.service_url(crate::Service::Sales).to_string();
        for _ in 0..self.config.catalogue_pages_per_round.max(1) {
            let since = cursor_param(self.store.hq_catalogue_cursor()?);
            let path = format!("/v1/catalogue/changes?since={since}&limit={}", self.config.catalogue_page);
            let now_s = self.clock.now_ms().div_euclid(1000);
            let answer = self
                .client
                .send_to(&url, "GET", &path, b"", None, now_s, &mut *self.rng)
                .map_err(|e| SyncError::Catalogue(e.to_string()))?;
            if answer.status != 200 {
                return Err(SyncError::Catalogue(format!(
                    "the server answered {}: {}",
                    answer.status,
                    answer.body.chars().take(200).collect::<String>()
                )));
            }
            let page: CatalogueChangesPage = till_api::from_json(&answer.body)
                .map_err(|e| SyncError::Catalogue(format!("the answer is not a page of changes: {e}")))?;
            let changes = page.changes.iter().map(change).collect::<Result<Vec<_>, _>>()?;
            let a = self.store.hq_catalogue_apply_page(&changes, &page.cursor, self.clock.now_ms())?;
            pull.pages += 1;
            pull.applied.created += a.created;
            pull.applied.updated += a.updated;
            pull.applied.deleted += a.deleted;
            pull.applied.skipped += a.skipped;
            pull.more = page.more;
            if !page.more {
                break;
            }
        }
        Ok(pull)
    }
}
