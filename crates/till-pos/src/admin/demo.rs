//! The demo till: a catalogue of about 60 products (groceries, drinks, household goods,
//! stationery, serialised phones, services) with valid barcodes and three tax rates, and one
//! user per role (the owner included). Seeded on first start when the till runs in demo mode.

use crate::admin::pin::hash_pin;
use crate::error::{PosError, Result};
use crate::ipc::views::DemoUser;
use crate::mutex::lock;
use crate::Pos;
use serde_json::json;
use till_core::{Barcode, Money, Role, Sku, TaxRate};
use till_store::{audit, catalogue, users, NewProduct};

/// The demo users: name, role, PIN. The owner comes last, and its name sorts last, so the
/// others keep the ids 1 to 3 and the places on the login screen (keys 1 to 3) they had before
/// there were owners.
pub const USERS: &[(&str, Role, &str)] = &[
    ("Chen Jing", Role::Cashier, "1111"),
    ("Li Wei", Role::Manager, "2222"),
    ("Wang Fang", Role::Installer, "3333"),
    ("Zhou Xin", Role::Owner, "4444"),
];

/// (SKU, English name, Chinese name, price in fen, tax basis points, tax-inclusive, serialised)
type Item = (&'static str, &'static str, &'static str, i64, i64, bool, bool);

const ITEMS: &[Item] = &[
    ("TEA-01", "Organic green tea 250g", "有机绿茶 250克", 3800, 900, true, false),
    ("TEA-02", "Jasmine tea 100g", "茉莉花茶 100克", 2900, 900, true, false),
    ("TEA-03", "Oolong tea 200g", "乌龙茶 200克", 5600, 900, true, false),
    ("DRK-001", "Mineral water 550ml", "矿泉水 550毫升", 200, 1300, true, false),
    ("DRK-002", "Cola 330ml can", "可乐 330毫升", 350, 1300, true, false),
    ("DRK-003", "Orange juice 1L", "橙汁 1升", 1290, 1300, true, false),
    ("DRK-004", "Soy milk 250ml", "豆奶 250毫升", 450, 1300, true, false),
    ("DRK-005", "Iced lemon tea 500ml", "冰柠檬茶 500毫升", 500, 1300, true, false),
    ("DRK-006", "Coffee beans 500g", "咖啡豆 500克", 8800, 1300, true, false),
    ("DRK-007", "Beer 500ml", "啤酒 500毫升", 650, 1300, true, false),
    ("SNK-001", "Potato chips 70g", "薯片 70克", 750, 1300, true, false),
    ("SNK-002", "Dark chocolate 100g", "黑巧克力 100克", 1590, 1300, true, false),
    ("SNK-003", "Roasted peanuts 200g", "烤花生 200克", 990, 900, true, false),
    ("SNK-004", "Sunflower seeds 250g", "葵花籽 250克", 1190, 900, true, false),
    ("SNK-005", "Rice crackers 150g", "米饼 150克", 890, 1300, true, false),
    ("SNK-006", "Mooncake gift box", "月饼礼盒", 16800, 1300, true, false),
    ("SNK-007", "Dried mango 100g", "芒果干 100克", 1650, 1300, true, false),
    ("GRC-001", "Jasmine rice 5kg", "茉莉香米 5公斤", 4990, 900, true, false),
    ("GRC-002", "Wheat noodles 1kg", "挂面 1公斤", 1290, 900, true, false),
    ("GRC-003", "Soy sauce 500ml", "酱油 500毫升", 1150, 1300, true, false),
    ("GRC-004", "Rice vinegar 500ml", "米醋 500毫升", 890, 1300, true, false),
    ("GRC-005", "Peanut oil 1.8L", "花生油 1.8升", 4590, 900, true, false),
    ("GRC-006", "Eggs, 10 pack", "鸡蛋 10枚", 1580, 900, true, false),
    ("GRC-007", "Fresh milk 1L", "鲜牛奶 1升", 1390, 900, true, false),
    ("GRC-008", "Tofu 400g", "豆腐 400克", 450, 900, true, false),
    ("GRC-009", "Apples 1kg", "苹果 1公斤", 1290, 900, true, false),
    ("GRC-010", "Bananas 1kg", "香蕉 1公斤", 790, 900, true, false),
    ("GRC-011", "Dumplings, frozen 1kg", "速冻水饺 1公斤", 2690, 1300, true, false),
    ("GRC-012", "Instant noodles 5 pack", "方便面 5连包", 1250, 1300, true, false),
    ("GRC-013", "Sugar 1kg", "白砂糖 1公斤", 890, 1300, true, false),
    ("GRC-014", "Salt 400g", "食盐 400克", 300, 1300, true, false),
    ("GRC-015", "Chili sauce 280g", "辣椒酱 280克", 1090, 1300, true, false),
    ("HSE-001", "Dish soap 1L", "洗洁精 1升", 1290, 1300, true, false),
    ("HSE-002", "Laundry detergent 2kg", "洗衣粉 2公斤", 3290, 1300, true, false),
    ("HSE-003", "Toilet paper 10 rolls", "卫生纸 10卷", 2990, 1300, true, false),
    ("HSE-004", "Tissues 3 pack", "纸巾 3包", 990, 1300, true, false),
    ("HSE-005", "Toothpaste 120g", "牙膏 120克", 1590, 1300, true, false),
    ("HSE-006", "Toothbrush", "牙刷", 890, 1300, true, false),
    ("HSE-007", "Shampoo 400ml", "洗发水 400毫升", 3990, 1300, true, false),
    ("HSE-008", "Bath towel", "浴巾", 4990, 1300, true, false),
    ("HSE-009", "AA batteries 4 pack", "5号电池 4节", 1990, 1300, true, false),
    ("HSE-010", "LED bulb 9W", "LED灯泡 9瓦", 1590, 1300, true, false),
    ("STN-001", "Notebook A5", "笔记本 A5", 690, 1300, true, false),
    ("STN-002", "Gel pens 10 pack", "中性笔 10支", 1500, 1300, true, false),
    ("STN-003", "Printer paper A4 500 sheets", "A4打印纸 500张", 2990, 1300, true, false),
    ("STN-004", "Calligraphy brush", "毛笔", 2500, 1300, true, false),
    ("STN-005", "Red envelopes 20 pack", "红包 20个", 800, 1300, true, false),
    ("STN-006", "Sticky notes", "便利贴", 450, 1300, true, false),
    ("BOK-001", "Chinese-English dictionary", "汉英词典", 6800, 900, true, false),
    ("BOK-002", "City map", "城市地图", 1500, 900, true, false),
    ("ELC-001", "USB-C cable 1m", "USB-C数据线 1米", 2990, 1300, true, false),
    ("ELC-002", "Phone charger 20W", "手机充电器 20瓦", 6900, 1300, true, false),
    ("ELC-003", "Wireless earbuds", "无线耳机", 29900, 1300, true, false),
    ("ELC-004", "Power bank 10000mAh", "充电宝 10000毫安", 12900, 1300, true, false),
    ("PHN-001", "Phone X 128GB", "X手机 128GB", 399900, 1300, true, true),
    ("PHN-002", "Phone X Pro 256GB", "X Pro手机 256GB", 599900, 1300, true, true),
    ("PHN-003", "Phone Lite 64GB", "Lite手机 64GB", 129900, 1300, true, true),
    ("TAB-001", "Tablet 10 inch", "平板电脑 10英寸", 249900, 1300, true, true),
    ("SVC-001", "Phone screen protector fitting", "手机贴膜服务", 3000, 600, false, false),
    ("SVC-002", "Gift wrapping", "礼品包装服务", 1000, 600, false, false),
    ("SVC-003", "Home delivery", "送货上门", 1500, 600, false, false),
    ("MKT-001", "Bluetooth speaker (Acme Audio)", "蓝牙音箱（Acme音响）", 19900, 1300, true, false),
];

/// Demo products the shop sells for another seller, and that seller: their refunds wait for
/// the seller's confirmation whatever the shop's manager says (docs/refunds-and-points.md).
pub const SOLD_FOR_OTHERS: &[(&str, &str)] = &[("MKT-001", "acme-audio")];

/// The demo phones' software package and warranty (device services): (SKU, software, months).
pub const DEVICE_SERVICES: &[(&str, &str, i64)] =
    &[("PHN-001", "XOS 14.2", 12), ("PHN-002", "XOS 14.2", 24), ("PHN-003", "XOS Lite 9.1", 12)];

/// The demo products, with EAN-13 barcodes in the GS1 China range (690–699). Services have no
/// barcode and are sold by SKU or search.
pub fn catalogue() -> Result<Vec<NewProduct>> {
    ITEMS
        .iter()
        .enumerate()
        .map(|(i, &(sku, name, zh, price, bp, inclusive, serialised))| {
            let barcode = if sku.starts_with("SVC") {
                None
            } else if i == 0 {
                Some(Barcode::parse("6901234567892")?)
            } else {
                Some(Barcode::with_check_digit(&format!("69208888{:04}", i))?)
            };
            Ok(NewProduct {
                sku: Sku::parse(sku)?,
                barcode,
                name: name.into(),
                name_zh: Some(zh.into()),
                price: Money::new(price, till_core::Currency::CNY),
                tax_rate: TaxRate::from_basis_points(bp)?,
                tax_inclusive: inclusive,
                serialised,
            })
        })
        .collect()
}

/// Seeds the demo users and catalogue in one transaction if the database has neither.
pub(crate) fn seed_if_empty(pos: &Pos) -> Result<()> {
    let need_users = !pos.store.has_users()?;
    let need_products = pos.store.catalogue_is_empty()?;
    if !need_users && !need_products {
        return Ok(());
    }
    let hashes = if need_users { demo_pin_hashes(pos)? } else { Vec::new() };
    let products = if need_products { catalogue()? } else { Vec::new() };
    let now = pos.now_ms();
    pos.store.write(|tx| {
        for ((name, role, _), hash) in USERS.iter().zip(&hashes) {
            users::insert(tx, name, *role, hash, now)?;
        }
        catalogue::insert_products(tx, &products)?;
        if need_products {
            for (sku, seller) in SOLD_FOR_OTHERS {
                tx.execute("UPDATE products SET seller = ?2 WHERE sku = ?1", [sku, seller])?;
            }
            for (sku, software, months) in DEVICE_SERVICES {
                tx.execute(
                    "UPDATE products SET software = ?2, warranty_months = ?3 WHERE sku = ?1",
                    (*sku, *software, *months),
                )?;
            }
        }
        if need_users {
            // A demo till prints on the simulated printer inside it (printed jobs are kept in
            // memory, and written as text to the data directory's `printed/` by the shell).
            till_store::devices::put(tx, &demo_printer(), now)?;
        }
        audit::append(tx, now, None, "demo.seeded", &json!({ "users": hashes.len(), "products": products.len() }))?;
        Ok(())
    })?;
    tracing::info!(users = hashes.len(), products = products.len(), "seeded demo data");
    Ok(())
}

/// The demo's receipt printer: the simulated one, 80 mm, Chinese-capable.
fn demo_printer() -> till_store::devices::DeviceConfig {
    till_store::devices::DeviceConfig::printer("sim", "sim://printer", 80, "gb18030")
}

/// The demo users' PIN hashes, made side by side: each costs 64 MiB and about a tenth of a
/// second of one core (admin::pin), and a first start should not wait for four in a row. The
/// salts are drawn in order from the till's random source first.
fn demo_pin_hashes(pos: &Pos) -> Result<Vec<String>> {
    let salts: Vec<[u8; 16]> = USERS
        .iter()
        .map(|_| {
            let mut salt = [0u8; 16];
            lock(&pos.rng).fill_bytes(&mut salt);
            salt
        })
        .collect();
    std::thread::scope(|scope| {
        let jobs: Vec<_> =
            USERS.iter().zip(&salts).map(|((_, _, pin), salt)| scope.spawn(move || hash_pin(pin, salt))).collect();
        jobs.into_iter()
            .map(|job| job.join().unwrap_or_else(|_| Err(PosError::Internal("hashing a demo PIN failed".into()))))
            .collect()
    })
}

/// The demo users as they are in the database, with their demo PINs.
pub(crate) fn demo_users(pos: &Pos) -> Result<Vec<DemoUser>> {
    let stored = pos.store.users()?;
    Ok(USERS
        .iter()
        .filter_map(|(name, role, pin)| {
            stored.iter().find(|u| u.name == *name && u.active).map(|u| DemoUser {
                user_id: u.id,
                name: u.name.clone(),
                role: *role,
                pin: (*pin).into(),
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_valid_and_varied() {
        let c = catalogue().unwrap();
        assert!((55..=70).contains(&c.len()));
        assert!(c.iter().filter(|p| p.serialised).count() >= 3);
        let mut rates: Vec<_> = c.iter().map(|p| p.tax_rate.basis_points()).collect();
        rates.sort();
        rates.dedup();
        assert!(rates.len() >= 3);
        let mut codes: Vec<_> = c.iter().filter_map(|p| p.barcode.clone()).collect();
        let n = codes.len();
        codes.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        codes.dedup();
        assert_eq!(codes.len(), n, "barcodes are unique");
    }

    #[test]
    fn seeding_twice_adds_nothing() {
        let (dir, _c, p) = crate::tests::pos();
        let n = p.store().product_count().unwrap();
        drop(p);
        let p = crate::tests::reopen(&dir);
        assert_eq!(p.store().product_count().unwrap(), n);
        assert_eq!(p.store().users().unwrap().len(), USERS.len());
    }
}
