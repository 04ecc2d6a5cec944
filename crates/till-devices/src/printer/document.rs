//! A printout before it is ESC/POS: text laid out in the paper's columns, QR codes, feeds.
//!
//! Layout happens here, once, so that the encoder, the simulator's rendering and the tests all
//! see the same lines. Widths are counted in columns of font A: a character of the East Asian
//! wide class (Chinese) takes two.

use serde::{Deserialize, Serialize};
use unicode_width::UnicodeWidthChar;

/// Paper width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PaperWidth {
    /// 58 mm: 32 columns, 384 dots.
    #[serde(rename = "58")]
    Mm58,
    /// 80 mm: 48 columns, 576 dots.
    #[serde(rename = "80")]
    Mm80,
}

impl PaperWidth {
    /// Columns of font A (12×24) in a line.
    pub fn columns(self) -> usize {
        match self {
            PaperWidth::Mm58 => 32,
            PaperWidth::Mm80 => 48,
        }
    }

    /// Printable dots in a line.
    pub fn dots(self) -> u32 {
        match self {
            PaperWidth::Mm58 => 384,
            PaperWidth::Mm80 => 576,
        }
    }

    /// Millimetres, as settings and the command line name it (58 or 80).
    pub fn millimetres(self) -> u32 {
        match self {
            PaperWidth::Mm58 => 58,
            PaperWidth::Mm80 => 80,
        }
    }

    /// From millimetres: 58 or 80.
    pub fn from_millimetres(mm: u32) -> Option<Self> {
        match mm {
            58 => Some(PaperWidth::Mm58),
            80 => Some(PaperWidth::Mm80),
            _ => None,
        }
    }
}

/// Horizontal alignment of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Align {
    /// Flush left.
    Left,
    /// Centred.
    Centre,
    /// Flush right.
    Right,
}

/// Character size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TextSize {
    /// Font A, 12×24.
    Normal,
    /// Double width and height (`GS ! 0x11`): half the columns.
    Double,
}

/// One element of a printout, already laid out: a `Line` never exceeds the paper's columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Block {
    /// One printed line.
    Line {
        /// The text, at most the line's columns wide.
        text: String,
        /// Alignment.
        align: Align,
        /// Emphasised.
        bold: bool,
        /// Size.
        size: TextSize,
    },
    /// A QR code (model 2, error correction M) of `data`, centred.
    Qr {
        /// What the code encodes.
        data: String,
        /// Module size in dots (1-16).
        module: u8,
    },
    /// Feed `n` empty lines.
    Feed(u8),
}

/// A printout laid out for one paper width. Build it with the methods; they wrap and pad.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintDoc {
    /// The paper it is laid out for.
    pub width: PaperWidth,
    /// What to print, top to bottom.
    pub blocks: Vec<Block>,
    /// Feed and cut at the end (`GS V 66 n`).
    pub cut: bool,
}

impl PrintDoc {
    /// An empty printout for `width`, cut at the end.
    pub fn new(width: PaperWidth) -> Self {
        PrintDoc { width, blocks: Vec::new(), cut: true }
    }

    /// Columns of one line at `size`.
    pub fn columns(&self, size: TextSize) -> usize {
        match size {
            TextSize::Normal => self.width.columns(),
            TextSize::Double => self.width.columns() / 2,
        }
    }

    /// Text in normal size, wrapped at the paper's width.
    pub fn text(&mut self, text: &str, align: Align) -> &mut Self {
        self.styled(text, align, false, TextSize::Normal)
    }

    /// Text with a style, wrapped at the columns its size leaves.
    pub fn styled(&mut self, text: &str, align: Align, bold: bool, size: TextSize) -> &mut Self {
        for line in wrap(text, self.columns(size)) {
            self.blocks.push(Block::Line { text: line, align, bold, size });
        }
        self
    }

    /// `left` flush left and `right` flush right on one line; when both do not fit, `left`
    /// wraps and `right` ends its last line (or takes a line of its own).
    pub fn pair(&mut self, left: &str, right: &str, bold: bool) -> &mut Self {
        let cols = self.width.columns();
        let right_w = width_of(right);
        let mut lines = wrap(left, cols);
        let last = lines.pop().unwrap_or_default();
        for line in lines {
            self.blocks.push(Block::Line { text: line, align: Align::Left, bold, size: TextSize::Normal });
        }
        if width_of(&last) + 1 + right_w <= cols {
            let gap = cols - width_of(&last) - right_w;
            let text = format!("{last}{}{right}", " ".repeat(gap));
            self.blocks.push(Block::Line { text, align: Align::Left, bold, size: TextSize::Normal });
        } else {
            self.blocks.push(Block::Line { text: last, align: Align::Left, bold, size: TextSize::Normal });
            for line in wrap(right, cols) {
                self.blocks.push(Block::Line { text: line, align: Align::Right, bold, size: TextSize::Normal });
            }
        }
        self
    }

    /// A full-width rule of `-`.
    pub fn rule(&mut self) -> &mut Self {
        let text = "-".repeat(self.width.columns());
        self.blocks.push(Block::Line { text, align: Align::Left, bold: false, size: TextSize::Normal });
        self
    }

    /// A QR code of `data`.
    pub fn qr(&mut self, data: &str) -> &mut Self {
        let module = match self.width {
            PaperWidth::Mm58 => 4,
            PaperWidth::Mm80 => 6,
        };
        self.blocks.push(Block::Qr { data: data.to_string(), module });
        self
    }

    /// `n` empty lines.
    pub fn feed(&mut self, n: u8) -> &mut Self {
        self.blocks.push(Block::Feed(n));
        self
    }

    /// The printed lines' text, top to bottom (QR codes as `[QR data]`): what a test or a
    /// screen preview compares.
    pub fn plain_text(&self) -> String {
        let mut out = String::new();
        for block in &self.blocks {
            match block {
                Block::Line { text, .. } => out.push_str(text),
                Block::Qr { data, .. } => out.push_str(&format!("[QR {data}]")),
                Block::Feed(n) => out.push_str(&"\n".repeat(usize::from(*n).saturating_sub(1))),
            }
            out.push('\n');
        }
        out
    }
}

/// Columns `text` takes: two for a wide (Chinese) character, none for a control character.
pub fn width_of(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Splits `text` into lines of at most `columns`, at spaces where it can and inside a word
/// (or between Chinese characters, which need no space) where it must. Newlines are kept.
pub fn wrap(text: &str, columns: usize) -> Vec<String> {
    let columns = columns.max(2);
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0;
        for word in para.split(' ') {
            let word_w = width_of(word);
            let sep = usize::from(!line.is_empty());
            if line_w + sep + word_w <= columns {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(word);
                line_w += sep + word_w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_w = 0;
            }
            for c in word.chars() {
                let w = c.width().unwrap_or(0);
                if line_w + w > columns {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0;
                }
                line.push(c);
                line_w += w;
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_takes_two_columns() {
        assert_eq!(width_of("Tea"), 3);
        assert_eq!(width_of("绿茶"), 4);
        assert_eq!(wrap("绿茶绿茶绿", 4), vec!["绿茶", "绿茶", "绿"]);
    }

    #[test]
    fn wraps_at_spaces_and_breaks_long_words() {
        assert_eq!(wrap("the quick brown fox", 10), vec!["the quick", "brown fox"]);
        assert_eq!(wrap("abcdefghijkl", 5), vec!["abcde", "fghij", "kl"]);
        assert_eq!(wrap("a\nb", 5), vec!["a", "b"]);
    }

    #[test]
    fn a_pair_fills_the_line_exactly() {
        for width in [PaperWidth::Mm58, PaperWidth::Mm80] {
            let mut doc = PrintDoc::new(width);
            doc.pair("绿茶 Green tea", "¥38.00", false);
            let Block::Line { text, .. } = &doc.blocks[0] else { panic!("a line") };
            assert_eq!(width_of(text), width.columns(), "{text:?}");
            assert!(text.starts_with("绿茶 Green tea") && text.ends_with("¥38.00"));
        }
    }

    #[test]
    fn a_long_pair_wraps_its_label_and_keeps_the_amount_whole() {
        let mut doc = PrintDoc::new(PaperWidth::Mm58);
        doc.pair(&"x".repeat(40), "12345.00", false);
        let lines: Vec<_> = doc.plain_text().lines().map(str::to_string).collect();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(|l| width_of(l) <= 32));
        assert!(lines[1].ends_with("12345.00"));
    }
}
