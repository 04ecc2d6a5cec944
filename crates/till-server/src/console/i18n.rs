//! The console's words in English and Simplified Chinese.
//!
//! A table of `(key, English, Chinese)`; [`t`] looks a key up in the frame's table, [`lookup`]
//! in a page's own table (a page may keep its words beside it). A key missing from a table shows
//! as the key itself, and a test checks that none is missing.

use super::page::Lang;

/// A table of words: `(key, English, Simplified Chinese)`.
pub type Table = &'static [(&'static str, &'static str, &'static str)];

/// The frame's words and those of the pages it ships with.
pub const WORDS: Table = &[
    // The frame.
    ("app", "Till HQ", "Till 总部"),
    ("skip", "Skip to content", "跳到正文"),
    ("sections", "Sections", "栏目"),
    ("nav.sales", "Sales", "销售"),
    ("nav.terminals", "Terminals", "终端"),
    ("nav.customers", "Customers", "顾客"),
    ("nav.points", "Points", "积分"),
    ("nav.refunds", "Refunds", "退款"),
    ("nav.catalogue", "Catalogue", "商品目录"),
    ("signed_in_as", "Signed in as", "当前用户"),
    ("merchant", "Merchant", "商户"),
    ("sign_out", "Sign out", "退出登录"),
    ("language", "Language", "语言"),
    ("shortcut", "Shortcut", "快捷键"),
    // Sign-in.
    ("sign_in", "Sign in", "登录"),
    ("username", "User name", "用户名"),
    ("password", "Password", "密码"),
    ("sign_in.refused", "Wrong user name or password, or the account is locked.", "用户名或密码错误，或账户已锁定。"),
    (
        "sign_in.lockout",
        "After 5 wrong passwords in a row the account is locked for 15 minutes.",
        "连续输错 5 次密码后，账户将锁定 15 分钟。",
    ),
    ("signed_out", "You are signed out.", "您已退出登录。"),
    ("session_ended", "Your session ended; please sign in again.", "会话已结束，请重新登录。"),
    // Common words of the pages.
    ("store", "Store", "门店"),
    ("terminal", "Terminal", "终端"),
    ("from", "From", "起始日期"),
    ("to", "To", "截止日期"),
    ("min_amount", "Minimum amount", "最低金额"),
    ("filter", "Filter", "筛选"),
    ("all", "All", "全部"),
    ("total", "Total", "合计"),
    ("count", "Count", "笔数"),
    ("previous", "Previous", "上一页"),
    ("next", "Next", "下一页"),
    ("page", "Page", "页"),
    ("nothing", "Nothing to show.", "没有记录。"),
    ("name", "Name", "名称"),
    ("status", "Status", "状态"),
    ("created", "Created", "创建时间"),
    ("when", "When", "时间"),
    ("order", "Order", "订单"),
    ("customer", "Customer", "顾客"),
    ("amount", "Amount", "金额"),
    ("currency", "Currency", "币种"),
    ("search", "Search", "搜索"),
    ("save", "Save", "保存"),
    ("cancel", "Cancel", "取消"),
    ("confirm", "Confirm", "确认"),
    ("enabled", "Enabled", "已启用"),
    ("disabled", "Disabled", "已停用"),
    ("disable", "Disable", "停用"),
    ("enable", "Enable", "启用"),
    ("add", "Add", "添加"),
    ("actions", "Actions", "操作"),
];

/// The word for `key` in `lang`, from the frame's table.
pub fn t(lang: Lang, key: &str) -> &str {
    lookup(WORDS, lang, key)
}

/// The word for `key` in `lang`, from `table`; the key itself when the table lacks it.
pub fn lookup(table: Table, lang: Lang, key: &str) -> &str {
    match table.iter().find(|(k, _, _)| *k == key) {
        Some((_, en, zh)) => match lang {
            Lang::En => en,
            Lang::Zh => zh,
        },
        // Visible on the page, and ruled out for the shipped tables by their tests.
        None => key,
    }
}

/// Checks a table: no key twice, no empty word. For each page's test.
pub fn check_table(table: Table) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for (key, en, zh) in table {
        if !seen.insert(*key) {
            return Err(format!("{key} is in the table twice"));
        }
        if en.trim().is_empty() || zh.trim().is_empty() {
            return Err(format!("{key} lacks a word"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_table_is_complete_and_has_no_duplicates() {
        assert_eq!(check_table(WORDS), Ok(()));
        assert_eq!(t(Lang::Zh, "nav.sales"), "销售");
        assert_eq!(t(Lang::En, "nav.sales"), "Sales");
    }
}
