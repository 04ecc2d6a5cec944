//! The printed words, in English and Simplified Chinese: one table, so a receipt in either
//! language has every label and the two cannot drift apart.

/// The language a printout is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// `zh` is Chinese; anything else prints in English.
    pub fn parse(text: &str) -> Self {
        if text == "zh" {
            Lang::Zh
        } else {
            Lang::En
        }
    }

    /// The labels of this language.
    pub fn labels(self) -> &'static Labels {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }
}

/// Every label a printout uses.
#[derive(Debug)]
pub struct Labels {
    /// The banner of a reprint (always in both languages).
    pub reprint: &'static str,
    /// "Tax ID".
    pub tax_id: &'static str,
    /// "Receipt".
    pub receipt: &'static str,
    /// "Order".
    pub order: &'static str,
    /// "Time".
    pub time: &'static str,
    /// "Cashier".
    pub cashier: &'static str,
    /// "Till".
    pub till: &'static str,
    /// "Device".
    pub device: &'static str,
    /// "Line code".
    pub line_code: &'static str,
    /// "Tax".
    pub tax: &'static str,
    /// "net" (a part of a row).
    pub net: &'static str,
    /// "Net" (the period's net total).
    pub net_total: &'static str,
    /// "refunds" (a part of a row).
    pub refunds_part: &'static str,
    /// "Subtotal".
    pub subtotal: &'static str,
    /// "Total".
    pub total: &'static str,
    /// "Cash".
    pub cash: &'static str,
    /// "Tendered".
    pub tendered: &'static str,
    /// "Change".
    pub change: &'static str,
    /// "Card".
    pub card: &'static str,
    /// "Approval code".
    pub approval: &'static str,
    /// "WeChat Pay", "Alipay", "UnionPay QuickPass": the wallets of payment codes, in order.
    pub wallets: [&'static str; 3],
    /// "Transaction no." (the payment platform's reference of a payment code).
    pub platform_ref: &'static str,
    /// "Offline approval".
    pub offline_approval: &'static str,
    /// "Paid with points".
    pub points_paid: &'static str,
    /// "Points".
    pub points: &'static str,
    /// "Member".
    pub member: &'static str,
    /// "Earned".
    pub earned: &'static str,
    /// "Redeemed".
    pub redeemed: &'static str,
    /// "Balance".
    pub balance: &'static str,
    /// "Level".
    pub level: &'static str,
    /// "pending".
    pub pending: &'static str,
    /// "Refund".
    pub refund: &'static str,
    /// "Refund no.".
    pub refund_no: &'static str,
    /// "Sale".
    pub sale: &'static str,
    /// "Paid back".
    pub paid_back: &'static str,
    /// "To".
    pub back_to: &'static str,
    /// "Reason".
    pub reason: &'static str,
    /// "Approved by".
    pub approved_by: &'static str,
    /// "Points taken back".
    pub points_reversed: &'static str,
    /// "Points given back".
    pub points_returned: &'static str,
    /// "X report".
    pub x_report: &'static str,
    /// "Z report".
    pub z_report: &'static str,
    /// "Business date".
    pub business_date: &'static str,
    /// "Close no.".
    pub close_no: &'static str,
    /// "From".
    pub from: &'static str,
    /// "To" (a period's end).
    pub to: &'static str,
    /// "Made".
    pub made: &'static str,
    /// "Closed by".
    pub closed_by: &'static str,
    /// "Orders".
    pub orders: &'static str,
    /// "Sales".
    pub sales: &'static str,
    /// "Refunds".
    pub refunds: &'static str,
    /// "By tender".
    pub by_tender: &'static str,
    /// "By tax rate".
    pub by_tax: &'static str,
    /// "Gross".
    pub gross: &'static str,
    /// "Tax refunded".
    pub tax_refunded: &'static str,
    /// "By cashier".
    pub by_cashier: &'static str,
    /// "Points issued".
    pub points_issued: &'static str,
    /// "Points redeemed".
    pub points_redeemed: &'static str,
    /// "Cash expected".
    pub cash_expected: &'static str,
    /// "Cash counted".
    pub cash_counted: &'static str,
    /// "Difference".
    pub difference: &'static str,
    /// "Printer test".
    pub printer_test: &'static str,
    /// "Paper".
    pub paper: &'static str,
    /// "Code page".
    pub code_page: &'static str,
    /// A line of Chinese the test page prints whatever the language.
    pub chinese_sample: &'static str,
    /// "Times in" (followed by the time zone's name).
    pub times_in: &'static str,
    /// Under a refund line waiting for the seller.
    pub awaiting_seller: &'static str,
    /// Under a refund line refused.
    pub line_refused: &'static str,
    /// "Waiting for the seller" (a total).
    pub awaiting_total: &'static str,
    /// "Paid out" (a refund paid out after the seller confirmed).
    pub paid_out: &'static str,
    /// "To pay out" (confirmed, not paid out yet).
    pub to_pay_out: &'static str,
    /// The refund was decided without the server.
    pub decided_offline: &'static str,
    /// "Refunds of devices sold elsewhere" (Z report, apart).
    pub remote_refunds: &'static str,
    /// "no money through this drawer".
    pub no_drawer_money: &'static str,
}

const EN: Labels = Labels {
    reprint: "*** REPRINT / 重印 ***",
    tax_id: "Tax ID",
    receipt: "Receipt",
    order: "Order",
    time: "Time",
    cashier: "Cashier",
    till: "Till",
    device: "Device",
    line_code: "Code",
    tax: "Tax",
    net: "net",
    net_total: "Net",
    refunds_part: "refunds",
    subtotal: "Subtotal",
    total: "TOTAL",
    cash: "Cash",
    tendered: "Tendered",
    change: "Change",
    card: "Card",
    approval: "Approval code",
    wallets: ["WeChat Pay", "Alipay", "UnionPay QuickPass"],
    platform_ref: "Transaction no.",
    offline_approval: "OFFLINE APPROVAL",
    points_paid: "Paid with points",
    points: "Points",
    member: "Member",
    earned: "Earned",
    redeemed: "Redeemed",
    balance: "Balance",
    level: "Level",
    pending: "pending",
    refund: "REFUND",
    refund_no: "Refund no.",
    sale: "Sale",
    paid_back: "Paid back",
    back_to: "To",
    reason: "Reason",
    approved_by: "Approved by",
    points_reversed: "Points taken back",
    points_returned: "Points given back",
    x_report: "X REPORT",
    z_report: "Z REPORT",
    business_date: "Business date",
    close_no: "Close no.",
    from: "From",
    to: "To",
    made: "Made",
    closed_by: "Closed by",
    orders: "Orders",
    sales: "Sales",
    refunds: "Refunds",
    by_tender: "By tender",
    by_tax: "By tax rate",
    gross: "gross",
    tax_refunded: "tax refunded",
    by_cashier: "By cashier",
    points_issued: "Points issued",
    points_redeemed: "Points redeemed",
    cash_expected: "Cash expected",
    cash_counted: "Cash counted",
    difference: "Difference",
    printer_test: "PRINTER TEST",
    paper: "Paper",
    code_page: "Code page",
    chinese_sample: "中文：绿茶 Green tea",
    times_in: "Times in",
    awaiting_seller: "  Awaiting the seller: nothing paid yet",
    line_refused: "  Refused: nothing paid",
    awaiting_total: "Awaiting seller",
    paid_out: "PAID OUT",
    to_pay_out: "To pay out",
    decided_offline: "Decided offline",
    remote_refunds: "Devices sold elsewhere",
    no_drawer_money: "no money through this drawer",
};

const ZH: Labels = Labels {
    reprint: "*** REPRINT / 重印 ***",
    tax_id: "税号",
    receipt: "收据",
    order: "单号",
    time: "时间",
    cashier: "收银员",
    till: "收银台",
    device: "设备",
    line_code: "编码",
    tax: "税",
    net: "净额",
    net_total: "净额",
    refunds_part: "退款",
    subtotal: "小计",
    total: "合计",
    cash: "现金",
    tendered: "实收",
    change: "找零",
    card: "银行卡",
    approval: "授权码",
    wallets: ["微信支付", "支付宝", "云闪付"],
    platform_ref: "交易单号",
    offline_approval: "离线授权",
    points_paid: "积分抵扣",
    points: "积分",
    member: "会员",
    earned: "获得",
    redeemed: "使用",
    balance: "余额",
    level: "等级",
    pending: "待确认",
    refund: "退款",
    refund_no: "退款单号",
    sale: "原单号",
    paid_back: "退款金额",
    back_to: "退至",
    reason: "原因",
    approved_by: "批准人",
    points_reversed: "扣回积分",
    points_returned: "退回积分",
    x_report: "X 报表",
    z_report: "Z 报表",
    business_date: "营业日",
    close_no: "日结号",
    from: "自",
    to: "至",
    made: "生成",
    closed_by: "日结人",
    orders: "订单数",
    sales: "销售额",
    refunds: "退款",
    by_tender: "按支付方式",
    by_tax: "按税率",
    gross: "含税",
    tax_refunded: "退税",
    by_cashier: "按收银员",
    points_issued: "发放积分",
    points_redeemed: "使用积分",
    cash_expected: "应有现金",
    cash_counted: "清点现金",
    difference: "差额",
    printer_test: "打印测试",
    paper: "纸宽",
    code_page: "编码",
    chinese_sample: "中文：绿茶 Green tea",
    times_in: "时区",
    awaiting_seller: "  待卖家确认：暂未退款",
    line_refused: "  已拒绝：未退款",
    awaiting_total: "待卖家确认",
    paid_out: "已付款",
    to_pay_out: "待付款",
    decided_offline: "离线决定",
    remote_refunds: "他店售出设备退款",
    no_drawer_money: "不经本钱箱",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_language_has_its_words() {
        assert_eq!(Lang::parse("zh").labels().total, "合计");
        assert_eq!(Lang::parse("en").labels().total, "TOTAL");
        assert_eq!(Lang::parse("fr"), Lang::En);
    }
}
