//! Text for a pole display: folded to ASCII and laid out in columns.

/// Folds `text` to what a pole display's default table shows: printable ASCII as it is, Latin
/// letters without their accents, `¥`/`€`/`£` as `Y`/`E`/`L`, white space and control
/// characters as a space, and anything else (Chinese among it) as `?`.
pub fn ascii_fold(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    match c {
        ' '..='~' => c,
        c if c.is_whitespace() || c.is_control() => ' ',
        'À'..='Å' | 'Ā' | 'Ă' | 'Ą' => 'A',
        'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
        'Ç' | 'Ć' | 'Č' => 'C',
        'ç' | 'ć' | 'č' => 'c',
        'È'..='Ë' | 'Ē' | 'Ę' | 'Ě' => 'E',
        'è'..='ë' | 'ē' | 'ę' | 'ě' => 'e',
        'Ì'..='Ï' | 'Ī' => 'I',
        'ì'..='ï' | 'ī' => 'i',
        'Ñ' | 'Ń' => 'N',
        'ñ' | 'ń' => 'n',
        'Ò'..='Ö' | 'Ø' | 'Ō' => 'O',
        'ò'..='ö' | 'ø' | 'ō' => 'o',
        'Ù'..='Ü' | 'Ū' => 'U',
        'ù'..='ü' | 'ū' => 'u',
        'Ý' | 'Ÿ' => 'Y',
        'ý' | 'ÿ' => 'y',
        'ß' => 's',
        '¥' | '￥' => 'Y',
        '€' => 'E',
        '£' => 'L',
        '‘' | '’' => '\'',
        '“' | '”' => '"',
        '–' | '—' => '-',
        _ => '?',
    }
}

/// `text` cut or padded with spaces to exactly `width` characters (count in chars: call it on
/// folded, ASCII text).
pub fn fit(text: &str, width: usize) -> String {
    let mut out: String = text.chars().take(width).collect();
    let len = out.chars().count();
    out.push_str(&" ".repeat(width - len));
    out
}

/// `left` and `right` on one line of `width`: `right` flush right, `left` cut to leave it a
/// space. A `right` wider than the line is cut from the left (the digits that matter stay).
pub fn pair(left: &str, right: &str, width: usize) -> String {
    let (left, right) = (ascii_fold(left), ascii_fold(right));
    let right: String = {
        let skip = right.chars().count().saturating_sub(width);
        right.chars().skip(skip).collect()
    };
    let room = width - right.chars().count();
    let left_room = if right.is_empty() { room } else { room.saturating_sub(1) };
    let left: String = left.chars().take(left_room).collect();
    let gap = width - left.chars().count() - right.chars().count();
    format!("{left}{}{right}", " ".repeat(gap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_keeps_ascii_and_replaces_the_rest() {
        assert_eq!(ascii_fold("Café crème ¥5"), "Cafe creme Y5");
        assert_eq!(ascii_fold("绿茶 Tea"), "?? Tea");
        assert_eq!(ascii_fold("a\tb\u{7}"), "a b ");
    }

    #[test]
    fn lines_are_twenty_columns_whatever_the_text() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdefgh", 5), "abcde");
        assert_eq!(pair("TOTAL", "38.00", 20), "TOTAL          38.00");
        assert_eq!(pair("Oolong tea, premium grade", "1234.50", 20), "Oolong tea,  1234.50");
        assert_eq!(pair("x", "123456789012345678901234", 20), "56789012345678901234");
        assert_eq!(pair("THANK YOU", "", 20), "THANK YOU           ");
        for (l, r) in [("", ""), ("a", "b"), ("长长长长长长长长长长长长长长长长长长长长长长", "¥1.00")]
        {
            assert_eq!(pair(l, r, 20).chars().count(), 20);
        }
    }
}
