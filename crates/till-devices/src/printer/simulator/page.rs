//! What the simulated printer printed: a [`Printed`] job, built from decoded [`Event`]s.

use super::decoder::{Event, Kick};
use crate::printer::document::width_of;
use crate::printer::Align;

/// A run of text in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// The characters.
    pub text: String,
    /// Emphasised.
    pub bold: bool,
    /// Width multiplier, 1-8.
    pub width: u8,
    /// Height multiplier, 1-8.
    pub height: u8,
}

/// One printed line (an empty one is a fed line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The justification in force when the line began.
    pub align: Align,
    /// Its text, style by style.
    pub spans: Vec<Span>,
}

impl Line {
    /// The line's text.
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.text.as_str()).collect()
    }

    /// Whether any of it is emphasised.
    pub fn bold(&self) -> bool {
        self.spans.iter().any(|s| s.bold && !s.text.trim().is_empty())
    }

    /// The tallest height multiplier on the line (1 for an empty line).
    pub fn height(&self) -> u8 {
        self.spans.iter().map(|s| s.height).max().unwrap_or(1)
    }
}

/// QR error correction level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrLevel {
    /// About 7 % recoverable.
    L,
    /// About 15 %.
    M,
    /// About 25 %.
    Q,
    /// About 30 %.
    H,
}

/// One element of a printed job, top to bottom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Element {
    /// A line of text.
    Line(Line),
    /// A QR code as the printer drew it.
    Qr {
        /// The symbol's data (UTF-8, lossy).
        data: String,
        /// The raw bytes stored.
        bytes: Vec<u8>,
        /// Module size in dots.
        module: u8,
        /// Error correction level.
        level: QrLevel,
        /// Justification.
        align: Align,
    },
    /// Paper fed by `ESC J` or before a cut, in dots.
    FeedDots(u16),
    /// The cutter cut.
    Cut {
        /// Partial cut.
        partial: bool,
    },
    /// A pulse on the drawer connector.
    Drawer(Kick),
}

/// One finished job.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Printed {
    /// What it printed, top to bottom.
    pub elements: Vec<Element>,
}

impl Printed {
    /// The job's text form: each line's text, `[QR data]`, `[CUT]` and
    /// `[DRAWER pin=0 on=50ms off=500ms]`, one a line, each ended by a newline.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for e in &self.elements {
            match e {
                Element::Line(line) => out.push_str(&line.text()),
                Element::Qr { data, .. } => out.push_str(&format!("[QR {data}]")),
                Element::FeedDots(_) => continue,
                Element::Cut { .. } => out.push_str("[CUT]"),
                Element::Drawer(k) => {
                    out.push_str(&format!("[DRAWER pin={} on={}ms off={}ms]", k.pin, k.on_ms, k.off_ms))
                }
            }
            out.push('\n');
        }
        out
    }

    /// The first line with text on it (for a one-line summary of the job).
    pub fn first_line(&self) -> String {
        self.elements
            .iter()
            .find_map(|e| match e {
                Element::Line(l) if !l.text().trim().is_empty() => Some(l.text().trim().to_string()),
                Element::Qr { data, .. } => Some(format!("[QR {data}]")),
                Element::Drawer(k) => Some(format!("[DRAWER pin={} on={}ms off={}ms]", k.pin, k.on_ms, k.off_ms)),
                _ => None,
            })
            .unwrap_or_default()
    }

    /// The QR codes' data, top to bottom.
    pub fn qr_codes(&self) -> Vec<String> {
        self.elements
            .iter()
            .filter_map(|e| if let Element::Qr { data, .. } = e { Some(data.clone()) } else { None })
            .collect()
    }

    /// The drawer kicks.
    pub fn kicks(&self) -> Vec<Kick> {
        self.elements.iter().filter_map(|e| if let Element::Drawer(k) = e { Some(*k) } else { None }).collect()
    }

    /// Whether it printed something visible (text, a QR code).
    pub fn has_print(&self) -> bool {
        self.elements.iter().any(|e| match e {
            Element::Line(l) => !l.text().trim().is_empty(),
            Element::Qr { .. } => true,
            _ => false,
        })
    }

    /// Whether it holds anything at all but feeds.
    pub fn is_empty(&self) -> bool {
        !self.has_print() && !self.elements.iter().any(|e| matches!(e, Element::Drawer(_) | Element::Cut { .. }))
    }
}

/// What a decoded event did to the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Nothing visible yet, or printing went on.
    Printing,
    /// A cut: the job is finished.
    Cut,
    /// A drawer kick with nothing printed before it: a job of its own.
    KickAlone,
}

/// Builds a job from events, with the printer's modes (justification, emphasis, size, QR
/// settings) as they stand.
#[derive(Debug, Clone)]
pub struct PageBuilder {
    page: Printed,
    line: Option<Line>,
    align: Align,
    bold: bool,
    size: (u8, u8),
    qr_module: u8,
    qr_level: QrLevel,
    qr_data: Vec<u8>,
}

impl Default for PageBuilder {
    fn default() -> Self {
        PageBuilder {
            page: Printed::default(),
            line: None,
            align: Align::Left,
            bold: false,
            size: (1, 1),
            qr_module: 3,
            qr_level: QrLevel::L,
            qr_data: Vec::new(),
        }
    }
}

impl PageBuilder {
    /// Applies one event (status requests are the printer's business and change nothing here).
    pub fn apply(&mut self, event: &Event) -> Applied {
        match event {
            Event::Text(text) => self.push_text(text),
            Event::Tab => {
                let col = self.line.as_ref().map_or(0, |l| width_of(&l.text()));
                self.push_text(&" ".repeat(8 - col % 8));
            }
            Event::LineFeed => self.end_line(),
            Event::FeedLines(n) => {
                for _ in 0..*n {
                    self.end_line();
                }
            }
            Event::FeedDots(n) => {
                self.flush_line();
                self.page.elements.push(Element::FeedDots(u16::from(*n)));
            }
            Event::Init => {
                // ESC @ clears the print buffer: text not yet fed out is lost, as on Epson's.
                let page = std::mem::take(&mut self.page);
                *self = PageBuilder { page, ..PageBuilder::default() };
            }
            Event::Align(a) => self.align = *a,
            Event::Bold(b) => self.bold = *b,
            Event::Size { width, height } => self.size = (*width, *height),
            Event::PrintMode(n) => {
                self.bold = n & 0x08 != 0;
                self.size = (1 + (n >> 5 & 1), 1 + (n >> 4 & 1));
            }
            Event::QrModel(_) => {}
            Event::QrModule(n) => self.qr_module = (*n).clamp(1, 16),
            Event::QrErrorCorrection(n) => {
                self.qr_level = match n {
                    49 => QrLevel::M,
                    50 => QrLevel::Q,
                    51 => QrLevel::H,
                    _ => QrLevel::L,
                }
            }
            Event::QrStore(data) => self.qr_data = data.clone(),
            Event::QrPrint => {
                if !self.qr_data.is_empty() {
                    self.flush_line();
                    self.page.elements.push(Element::Qr {
                        data: String::from_utf8_lossy(&self.qr_data).into_owned(),
                        bytes: self.qr_data.clone(),
                        module: self.qr_module,
                        level: self.qr_level,
                        align: self.align,
                    });
                }
            }
            Event::Cut { partial, feed_dots } => {
                self.flush_line();
                if *feed_dots > 0 {
                    self.page.elements.push(Element::FeedDots(u16::from(*feed_dots)));
                }
                self.page.elements.push(Element::Cut { partial: *partial });
                return Applied::Cut;
            }
            Event::DrawerKick(kick) | Event::RealtimeKick(kick) => {
                let alone = !self.has_content();
                self.page.elements.push(Element::Drawer(*kick));
                if alone {
                    return Applied::KickAlone;
                }
            }
            Event::StatusQuery(_) | Event::TransmitStatus(_) | Event::Unknown(..) => {}
        }
        Applied::Printing
    }

    /// Whether the job so far printed something (or has text waiting for its line feed).
    pub fn has_content(&self) -> bool {
        self.page.has_print() || self.line.as_ref().is_some_and(|l| !l.text().trim().is_empty())
    }

    /// Ends the job: text still waiting for its line feed is printed, as a printer does when
    /// its buffer is flushed. Modes stay as they are.
    pub fn finish(&mut self) -> Printed {
        self.flush_line();
        std::mem::take(&mut self.page)
    }

    fn push_text(&mut self, text: &str) {
        let (bold, (width, height)) = (self.bold, self.size);
        let line = self.line.get_or_insert_with(|| Line { align: self.align, spans: Vec::new() });
        match line.spans.last_mut() {
            Some(s) if (s.bold, s.width, s.height) == (bold, width, height) => s.text.push_str(text),
            _ => line.spans.push(Span { text: text.to_string(), bold, width, height }),
        }
    }

    fn end_line(&mut self) {
        let line = self.line.take().unwrap_or(Line { align: self.align, spans: Vec::new() });
        self.page.elements.push(Element::Line(line));
    }

    fn flush_line(&mut self) {
        if self.line.is_some() {
            self.end_line();
        }
    }
}

/// Decodes a whole byte stream at once into its jobs (each ended by a cut, a lone kick, or the
/// end of the bytes when something is left): for tests and tools.
pub fn decode_jobs(bytes: &[u8]) -> Vec<Printed> {
    let mut decoder = super::decoder::Decoder::new();
    let mut builder = PageBuilder::default();
    let mut jobs = Vec::new();
    for event in decoder.feed(bytes) {
        if builder.apply(&event) != Applied::Printing {
            jobs.push(builder.finish());
        }
    }
    let rest = builder.finish();
    if rest.has_print() || !rest.kicks().is_empty() {
        jobs.push(rest);
    }
    jobs
}
