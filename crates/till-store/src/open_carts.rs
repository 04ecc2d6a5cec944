//! Open carts on disk: what each user is ringing up, saved on every change so a crash loses
//! nothing. A checkout deletes the cart in the same transaction that records the order.

use crate::{Result, Store, StoreError};
use rusqlite::{params, OptionalExtension};

/// A saved cart: its id and `(product id, quantity)` per line, in cart order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedCart {
    /// The cart id (the checkout key its order will get).
    pub cart_id: String,
    /// Lines as product id and quantity.
    pub lines: Vec<(i64, i64)>,
    /// The device identifier of each line, where one was given (serialised products).
    pub devices: Vec<Option<String>>,
    /// Per line, its origin and the price it came with, for lines not at the catalogue's price
    /// (an order to collect, a service); empty in carts saved before origins were kept.
    pub origins: Vec<Option<SavedOrigin>>,
}

/// A cart line's origin and the unit price it brought (`till_core::LineOrigin`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedOrigin {
    /// `pending_order` or `service`.
    pub kind: String,
    /// The platform's reference.
    pub reference: String,
    /// The unit price, minor units of the cart's currency.
    pub unit_price_minor: i64,
}

/// The stored form: a bare list of lines (before devices were kept) or lines with devices and
/// (since version 18) origins.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Stored {
    WithDevices {
        lines: Vec<(i64, i64)>,
        devices: Vec<Option<String>>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        origins: Vec<Option<SavedOrigin>>,
    },
    Lines(Vec<(i64, i64)>),
}

impl Store {
    /// Saves (replaces) a user's open cart.
    pub fn save_open_cart(&self, user_id: i64, cart: &SavedCart, now_ms: i64) -> Result<()> {
        let stored = Stored::WithDevices {
            lines: cart.lines.clone(),
            devices: cart.devices.clone(),
            origins: if cart.origins.iter().any(Option::is_some) { cart.origins.clone() } else { Vec::new() },
        };
        let lines = serde_json::to_string(&stored).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO open_carts (user_id, cart_id, lines, updated_at_ms) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (user_id) DO UPDATE SET cart_id = excluded.cart_id, lines = excluded.lines,
                 updated_at_ms = excluded.updated_at_ms",
            )?
            .execute(params![user_id, cart.cart_id, lines, now_ms])?;
            Ok(())
        })
    }

    /// A user's saved open cart, if any.
    pub fn open_cart(&self, user_id: i64) -> Result<Option<SavedCart>> {
        let row: Option<(String, String)> = self.read(|c| {
            Ok(c.query_row("SELECT cart_id, lines FROM open_carts WHERE user_id = ?1", [user_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
        })?;
        row.map(|(cart_id, lines)| {
            let stored = serde_json::from_str(&lines).map_err(|e| StoreError::Corrupt(format!("open cart: {e}")))?;
            Ok(match stored {
                Stored::WithDevices { lines, devices, origins } => SavedCart { cart_id, lines, devices, origins },
                Stored::Lines(lines) => SavedCart { cart_id, lines, devices: Vec::new(), origins: Vec::new() },
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use till_core::Role;

    #[test]
    fn saves_replaces_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("t.db")).unwrap();
        let uid = s.write(|tx| crate::users::insert(tx, "Ann", Role::Cashier, "h", 0)).unwrap();
        assert_eq!(s.open_cart(uid).unwrap(), None);
        let cart = SavedCart {
            cart_id: "c1".into(),
            lines: vec![(1, 2), (3, 1)],
            devices: vec![None, Some("SN1".into())],
            origins: vec![
                None,
                Some(SavedOrigin { kind: "pending_order".into(), reference: "PO-1".into(), unit_price_minor: 450 }),
            ],
        };
        s.save_open_cart(uid, &cart, 5).unwrap();
        assert_eq!(s.open_cart(uid).unwrap(), Some(cart));
        let cart = SavedCart { cart_id: "c2".into(), lines: vec![], devices: vec![], origins: vec![] };
        s.save_open_cart(uid, &cart, 6).unwrap();
        assert_eq!(s.open_cart(uid).unwrap(), Some(cart));
        // a cart saved before devices were kept still reads
        s.write(|tx| Ok(tx.execute("UPDATE open_carts SET lines = '[[1,2]]'", [])?)).unwrap();
        assert_eq!(s.open_cart(uid).unwrap().unwrap().lines, vec![(1, 2)]);
    }
}
