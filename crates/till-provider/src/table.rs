//! The table of response contents: the file a merchant edits to say how the provider answers.
//!
//! TOML, read once at start (docs/services.md has the full format):
//!
//! ```toml
//! [provider]
//! name = "Demo services"
//! currency = "CNY"
//! fallback = "Sorry, I did not understand \"{text}\"."
//!
//! [tables.bills]            # data a rule can look a capture up in
//! "100200300" = "86.50"
//!
//! [[rules]]
//! state = "start"           # the conversation's state the rule applies in ("*": any)
//! pattern = '(?i)^bill\s+(?P<account>\d{9})$'
//! lookup = { table = "bills", key = "account", into = "bill" }
//! reply = "The bill of {account} is {bill} CNY. Pay it?"
//! next = "bill_confirm"
//! ```
//!
//! A round's text (trimmed) is matched against the rules of the conversation's state in table
//! order; the first rule whose pattern matches (and whose lookup, if any, finds its key) answers.
//! Named captures are remembered for the rest of the conversation, so a later rule's `reply` or
//! `amount` can use a number given two rounds before. Entering the state `start` forgets them.

use crate::error::ProviderError;
use regex::Regex;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use till_core::{Currency, Money};

/// The state every conversation starts in.
pub const START: &str = "start";
/// A rule's state that matches in every state.
pub const ANY_STATE: &str = "*";
/// The placeholder that is always there: the round's whole text.
pub const TEXT: &str = "text";

/// The file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TableFile {
    provider: ProviderSection,
    #[serde(default)]
    tables: BTreeMap<String, BTreeMap<String, String>>,
    #[serde(default)]
    rules: Vec<RuleFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderSection {
    name: String,
    currency: String,
    fallback: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    state: String,
    pattern: String,
    reply: String,
    #[serde(default)]
    amount: Option<String>,
    #[serde(default)]
    next: Option<String>,
    #[serde(default)]
    done: bool,
    #[serde(default)]
    lookup: Option<Lookup>,
}

/// A rule's look-up: the value of capture `key` in table `table`, remembered as `into`. The rule
/// applies only when the table has the key.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lookup {
    /// The table's name under `[tables]`.
    pub table: String,
    /// The capture (or remembered value) to look up.
    pub key: String,
    /// The name the found value is remembered as.
    pub into: String,
}

/// One rule, its pattern compiled.
#[derive(Debug, Clone)]
pub struct Rule {
    /// The state it applies in, or [`ANY_STATE`].
    pub state: String,
    /// The compiled pattern.
    pub pattern: Regex,
    /// The answer text, with `{name}` placeholders.
    pub reply: String,
    /// The amount to pay in major units (`"50"`, `"{bill}"`), when the answer asks for one.
    pub amount: Option<String>,
    /// The state after the answer; `None` stays.
    pub next: Option<String>,
    /// Whether the business is done with this answer.
    pub done: bool,
    /// An optional look-up.
    pub lookup: Option<Lookup>,
}

/// The whole table, checked.
#[derive(Debug, Clone)]
pub struct Table {
    /// The provider's name.
    pub name: String,
    /// The currency of every amount.
    pub currency: Currency,
    /// The answer when no rule matches (the state does not change).
    pub fallback: String,
    /// The data tables.
    pub tables: BTreeMap<String, BTreeMap<String, String>>,
    /// The rules in order.
    pub rules: Vec<Rule>,
}

/// Longest pattern accepted (a table is the merchant's, but a huge regex is a mistake).
const MAX_PATTERN: usize = 1000;

impl Table {
    /// Reads and checks a table from TOML text. Every error names the rule (from 1) and field.
    pub fn parse(text: &str) -> Result<Table, ProviderError> {
        let file: TableFile = toml::from_str(text).map_err(|e| ProviderError::Table(e.to_string()))?;
        let currency = Currency::parse(&file.provider.currency)
            .map_err(|e| ProviderError::Table(format!("provider.currency: {e}")))?;
        if file.provider.name.trim().is_empty() {
            return Err(ProviderError::Table("provider.name is empty".into()));
        }
        let mut rules = Vec::with_capacity(file.rules.len());
        for (i, r) in file.rules.into_iter().enumerate() {
            let at = |field: &str, why: String| ProviderError::Table(format!("rule {} ({field}): {why}", i + 1));
            if r.pattern.len() > MAX_PATTERN {
                return Err(at("pattern", format!("longer than {MAX_PATTERN} characters")));
            }
            let pattern = Regex::new(&r.pattern).map_err(|e| at("pattern", e.to_string()))?;
            if r.state.trim().is_empty() {
                return Err(at("state", "empty".into()));
            }
            if r.reply.trim().is_empty() {
                return Err(at("reply", "empty".into()));
            }
            if let Some(l) = &r.lookup {
                if !file.tables.contains_key(&l.table) {
                    return Err(at("lookup", format!("no table [tables.{}]", l.table)));
                }
            }
            if let Some(next) = &r.next {
                if next == ANY_STATE || next.trim().is_empty() {
                    return Err(at("next", format!("{next:?} is not a state")));
                }
            }
            rules.push(Rule {
                state: r.state,
                pattern,
                reply: r.reply,
                amount: r.amount,
                next: r.next,
                done: r.done,
                lookup: r.lookup,
            });
        }
        if rules.is_empty() {
            return Err(ProviderError::Table("no [[rules]]".into()));
        }
        let table =
            Table { name: file.provider.name, currency, fallback: file.provider.fallback, tables: file.tables, rules };
        table.check_placeholders()?;
        Ok(table)
    }

    /// Reads a table file.
    pub fn load(path: &std::path::Path) -> Result<Table, ProviderError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ProviderError::Table(format!("cannot read {}: {e}", path.display())))?;
        Table::parse(&text).map_err(|e| ProviderError::Table(format!("{}: {e}", path.display())))
    }

    /// Every name a placeholder may use: `text`, every rule's named captures and look-ups.
    fn known_names(&self) -> BTreeSet<String> {
        let mut names: BTreeSet<String> = [TEXT.to_string()].into();
        for r in &self.rules {
            names.extend(r.pattern.capture_names().flatten().map(str::to_string));
            if let Some(l) = &r.lookup {
                names.insert(l.into.clone());
            }
        }
        names
    }

    /// A `{name}` that no rule can ever fill is a typo: refuse the table rather than answer with
    /// a hole in the text.
    fn check_placeholders(&self) -> Result<(), ProviderError> {
        let known = self.known_names();
        let check = |where_: String, template: &str| -> Result<(), ProviderError> {
            for name in placeholders(template)? {
                if !known.contains(&name) {
                    return Err(ProviderError::Table(format!("{where_}: {{{name}}} is not a capture of any rule")));
                }
            }
            Ok(())
        };
        check("provider.fallback".into(), &self.fallback)?;
        for (i, r) in self.rules.iter().enumerate() {
            check(format!("rule {} (reply)", i + 1), &r.reply)?;
            if let Some(a) = &r.amount {
                check(format!("rule {} (amount)", i + 1), a)?;
            }
            if let Some(l) = &r.lookup {
                if !known.contains(&l.key) {
                    return Err(ProviderError::Table(format!("rule {} (lookup): no capture {}", i + 1, l.key)));
                }
            }
        }
        Ok(())
    }

    /// Parses an amount in major units of the table's currency.
    pub fn amount(&self, major: &str) -> Option<Money> {
        Money::parse_major(major, self.currency).ok().filter(|m| m.minor() > 0)
    }
}

/// The names of `{name}` placeholders in a template; `{{` and `}}` are literal braces.
pub fn placeholders(template: &str) -> Result<Vec<String>, ProviderError> {
    let mut names = Vec::new();
    render_with(template, |name| {
        names.push(name.to_string());
        Some(String::new())
    })?;
    Ok(names)
}

/// Fills a template's placeholders from `values`; an unknown one renders as nothing.
pub fn render(template: &str, values: &BTreeMap<String, String>) -> String {
    render_with(template, |name| values.get(name).cloned()).unwrap_or_else(|_| template.to_string())
}

fn render_with(template: &str, mut value: impl FnMut(&str) -> Option<String>) -> Result<String, ProviderError> {
    let mut out = String::with_capacity(template.len());
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(ch) if ch.is_alphanumeric() || ch == '_' => name.push(ch),
                        _ => return Err(ProviderError::Table(format!("unclosed or bad placeholder in {template:?}"))),
                    }
                }
                out.push_str(&value(&name).unwrap_or_default());
            }
            '}' => return Err(ProviderError::Table(format!("a lone }} in {template:?} (write }}}} for one)"))),
            other => out.push(other),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
[provider]
name = "Test"
currency = "CNY"
fallback = "What is {text}?"

[tables.bills]
"100200300" = "86.50"

[[rules]]
state = "start"
pattern = '(?i)^bill\s+(?P<account>\d{9})$'
lookup = { table = "bills", key = "account", into = "bill" }
reply = "Bill of {account}: {bill}"
amount = "{bill}"
next = "x"
"#;

    #[test]
    fn a_table_parses_with_its_rules_and_data() {
        let t = Table::parse(SMALL).unwrap();
        assert_eq!(t.name, "Test");
        assert_eq!(t.rules.len(), 1);
        assert_eq!(t.rules[0].next.as_deref(), Some("x"));
        assert_eq!(t.tables["bills"]["100200300"], "86.50");
        assert_eq!(t.amount("86.50").map(|m| m.minor()), Some(8650));
        assert_eq!(t.amount("0"), None);
        assert_eq!(t.amount("1.234"), None);
    }

    #[test]
    fn mistakes_in_a_table_are_named() {
        let err = |text: &str| Table::parse(text).unwrap_err().to_string();
        assert!(err(&SMALL.replace(r"(?P<account>\d{9})", r"(?P<account>\d{9}")).contains("rule 1 (pattern)"));
        assert!(err(&SMALL.replace("Bill of {account}", "Bill of {acount}")).contains("{acount} is not a capture"));
        assert!(err(&SMALL.replace("table = \"bills\"", "table = \"bill\"")).contains("no table [tables.bill]"));
        assert!(err(&SMALL.replace("currency = \"CNY\"", "currency = \"XXX\"")).contains("provider.currency"));
        assert!(err(&SMALL.replace("next = \"x\"", "nxt = \"x\"")).contains("unknown field"));
        assert!(err(&SMALL.replace("Bill of {account}", "Bill of {account")).contains("placeholder"));
    }

    #[test]
    fn templates_fill_and_escape() {
        let values: BTreeMap<String, String> = [("n".to_string(), "138".to_string())].into();
        assert_eq!(render("top up {n} {{ok}}", &values), "top up 138 {ok}");
        assert_eq!(render("{missing}!", &values), "!");
        assert_eq!(placeholders("{a} and {b}").unwrap(), vec!["a", "b"]);
    }

    #[test]
    fn the_shipped_table_is_valid() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("responses.toml");
        let t = Table::load(&path).unwrap();
        assert!(t.rules.len() >= 10, "the shipped table covers top-ups, bills and membership");
    }
}
