//! The conversations: each one's state and remembered values, and the answer to each round,
//! found in the [`Table`].
//!
//! A round is answered once: the platform may send the same round again (its answer was lost
//! on the way, or the cashier retried), and gets the same answer without the state moving a
//! second time. The same round number with another text is refused.

use crate::table::{render, Rule, Table, ANY_STATE, START, TEXT};
use std::collections::{BTreeMap, HashMap};
use till_api::services::RelayAnswer;
use till_api::Amount;

/// Most conversations kept in memory; the oldest finished ones go first.
const MAX_CONVERSATIONS: usize = 10_000;

/// One conversation's progress.
#[derive(Debug, Clone, Default)]
struct Conversation {
    state: String,
    values: BTreeMap<String, String>,
    /// Answers by round number, with the text they answered.
    answers: BTreeMap<i64, (String, RelayAnswer)>,
    done: bool,
    /// Order of creation, for trimming.
    created: u64,
}

/// Why a round gets no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoundError {
    /// The round number was answered before, for another text.
    #[error("round {0} was already answered for another text")]
    RoundConflict(i64),
    /// The conversation is done; it takes no more rounds.
    #[error("the conversation is done")]
    Done,
}

/// Every conversation, answered from one table.
#[derive(Debug)]
pub struct Engine {
    table: Table,
    conversations: HashMap<String, Conversation>,
    counter: u64,
}

impl Engine {
    /// An engine over `table`.
    pub fn new(table: Table) -> Engine {
        Engine { table, conversations: HashMap::new(), counter: 0 }
    }

    /// The table.
    pub fn table(&self) -> &Table {
        &self.table
    }

    /// The answer to round `seq` of `conversation` with `text`.
    pub fn answer(&mut self, conversation: &str, seq: i64, text: &str) -> Result<RelayAnswer, RoundError> {
        let text = text.trim();
        if !self.conversations.contains_key(conversation) {
            self.trim();
            self.counter += 1;
            let fresh = Conversation { state: START.to_string(), created: self.counter, ..Default::default() };
            self.conversations.insert(conversation.to_string(), fresh);
        }
        let Some(c) = self.conversations.get_mut(conversation) else {
            return Err(RoundError::Done); // inserted just above; unreachable
        };
        if let Some((asked, answer)) = c.answers.get(&seq) {
            return if asked == text { Ok(answer.clone()) } else { Err(RoundError::RoundConflict(seq)) };
        }
        if c.done {
            return Err(RoundError::Done);
        }
        let answer = step(&self.table, c, text);
        c.answers.insert(seq, (text.to_string(), answer.clone()));
        Ok(answer)
    }

    /// The state a conversation is in (`start` for one never seen).
    pub fn state_of(&self, conversation: &str) -> String {
        self.conversations.get(conversation).map_or_else(|| START.to_string(), |c| c.state.clone())
    }

    /// Drops the oldest conversations past the cap, done ones first.
    fn trim(&mut self) {
        if self.conversations.len() < MAX_CONVERSATIONS {
            return;
        }
        let mut order: Vec<(bool, u64, String)> =
            self.conversations.iter().map(|(id, c)| (!c.done, c.created, id.clone())).collect();
        order.sort();
        for (_, _, id) in order.into_iter().take(MAX_CONVERSATIONS / 10) {
            self.conversations.remove(&id);
        }
    }
}

/// One step of the state machine: the first rule that applies answers; none → the fallback.
fn step(table: &Table, c: &mut Conversation, text: &str) -> RelayAnswer {
    for rule in &table.rules {
        if rule.state != ANY_STATE && rule.state != c.state {
            continue;
        }
        if let Some(values) = applies(table, rule, c, text) {
            return apply(table, rule, c, values);
        }
    }
    let mut values = c.values.clone();
    values.insert(TEXT.to_string(), text.to_string());
    RelayAnswer { text: render(&table.fallback, &values), amount: None, done: false }
}

/// The values the answer is rendered with when `rule` applies to `text`: the remembered ones,
/// the rule's captures and its look-up.
fn applies(table: &Table, rule: &Rule, c: &Conversation, text: &str) -> Option<BTreeMap<String, String>> {
    let caps = rule.pattern.captures(text)?;
    let mut values = c.values.clone();
    values.insert(TEXT.to_string(), text.to_string());
    for name in rule.pattern.capture_names().flatten() {
        if let Some(m) = caps.name(name) {
            values.insert(name.to_string(), m.as_str().to_string());
        }
    }
    if let Some(l) = &rule.lookup {
        let key = values.get(&l.key)?;
        let found = table.tables.get(&l.table)?.get(key)?;
        values.insert(l.into.clone(), found.clone());
    }
    Some(values)
}

fn apply(table: &Table, rule: &Rule, c: &mut Conversation, mut values: BTreeMap<String, String>) -> RelayAnswer {
    let amount_text = rule.amount.as_ref().map(|a| render(a, &values));
    let amount = match amount_text.as_deref().map(|a| table.amount(a)) {
        None => None,
        Some(Some(m)) => Some(Amount::from(m)),
        // The table asked for an amount that is not one (a capture "abc"): no amount is better
        // than a made-up one; say so instead of the rule's reply.
        Some(None) => {
            return RelayAnswer {
                text: format!("{} is not an amount; please try again.", amount_text.unwrap_or_default()),
                amount: None,
                done: false,
            }
        }
    };
    let text = render(&rule.reply, &values);
    match rule.next.as_deref() {
        Some(START) => {
            c.state = START.to_string();
            values.clear();
        }
        Some(next) => c.state = next.to_string(),
        None => {}
    }
    values.remove(TEXT);
    c.values = values;
    c.done = rule.done;
    RelayAnswer { text, amount, done: rule.done }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Engine {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("responses.toml");
        Engine::new(Table::load(&path).unwrap())
    }

    #[test]
    fn a_mobile_top_up_takes_several_rounds_and_asks_for_the_amount() {
        let mut e = shipped();
        let a = e.answer("c1", 1, "top up").unwrap();
        assert!(a.text.contains("mobile number"), "{}", a.text);
        assert_eq!(a.amount, None);
        let a = e.answer("c1", 2, "13800138000").unwrap();
        assert!(a.text.contains("How much"), "{}", a.text);
        let a = e.answer("c1", 3, "50").unwrap();
        assert!(a.text.contains("13800138000") && a.text.contains("50"), "{}", a.text);
        assert_eq!(a.amount, None);
        assert!(!a.done);
        let a = e.answer("c1", 4, "yes").unwrap();
        assert_eq!(a.amount, Some(Amount::new(5000, "CNY")));
        assert!(a.done);
        // Done: no more rounds, but round 4 again is the same answer (a retry).
        assert_eq!(e.answer("c1", 5, "again"), Err(RoundError::Done));
        assert_eq!(e.answer("c1", 4, "yes").unwrap().amount, Some(Amount::new(5000, "CNY")));
    }

    #[test]
    fn a_top_up_in_one_line_captures_number_and_amount() {
        let mut e = shipped();
        let a = e.answer("c", 1, "top up 13900139000 30").unwrap();
        assert!(a.text.contains("13900139000") && a.text.contains("30"), "{}", a.text);
        assert_eq!(e.answer("c", 2, "YES").unwrap().amount, Some(Amount::new(3000, "CNY")));
    }

    #[test]
    fn a_bill_is_looked_up_then_paid() {
        let mut e = shipped();
        let a = e.answer("b", 1, "bill 100200300").unwrap();
        assert!(a.text.contains("86.50"), "{}", a.text);
        assert_eq!(a.amount, None);
        let a = e.answer("b", 2, "yes").unwrap();
        assert_eq!(a.amount, Some(Amount::new(8650, "CNY")));
        // An unknown account falls to the next rule: no bill, no amount.
        let a = e.answer("b2", 1, "bill 999999999").unwrap();
        assert!(a.text.contains("999999999") && a.amount.is_none(), "{}", a.text);
        assert_eq!(e.state_of("b2"), START);
    }

    #[test]
    fn a_membership_card_is_bound_without_an_amount() {
        let mut e = shipped();
        assert!(e.answer("m", 1, "member").unwrap().text.contains("card number"));
        assert!(e.answer("m", 2, "8888000012345678").unwrap().text.contains("phone"));
        let a = e.answer("m", 3, "13800138000").unwrap();
        assert!(a.text.contains("8888000012345678") && a.text.contains("13800138000"), "{}", a.text);
        assert!(a.done && a.amount.is_none());
    }

    #[test]
    fn a_repeated_round_is_answered_once_and_another_text_refused() {
        let mut e = shipped();
        let first = e.answer("r", 1, "top up").unwrap();
        assert_eq!(e.answer("r", 1, "top up").unwrap(), first);
        assert_eq!(e.state_of("r"), "topup_number");
        assert_eq!(e.answer("r", 1, "bill 1"), Err(RoundError::RoundConflict(1)));
    }

    #[test]
    fn no_match_is_the_fallback_and_keeps_the_state() {
        let mut e = shipped();
        e.answer("f", 1, "top up").unwrap();
        let a = e.answer("f", 2, "hello").unwrap();
        assert!(a.text.contains("hello"), "{}", a.text);
        assert_eq!(e.state_of("f"), "topup_number");
        // "cancel" in any state goes back to the start and forgets.
        e.answer("f", 3, "cancel").unwrap();
        assert_eq!(e.state_of("f"), START);
    }
}
