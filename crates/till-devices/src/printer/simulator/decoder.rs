//! A streaming ESC/POS decoder: bytes in, as the link delivers them (split anywhere), commands
//! out as [`Event`]s.
//!
//! It understands what receipts use (see the module's table in `docs/devices.md`): text in code
//! page 437 or, in Chinese mode (`FS &`), GB18030; `ESC @`, `LF`, `ESC d`, `ESC J`, `ESC a`,
//! `ESC E`, `ESC G`, `ESC !`, `GS !`, `ESC t`, `FS &`/`FS .`, the QR functions of `GS ( k`,
//! `GS V` in both forms, `ESC p` and `DLE DC4 1` (drawer), and the status requests `DLE EOT n`
//! and `GS r n`, which need an answer byte.
//!
//! Everything else is skipped by the length its command has in Epson's reference and counted as
//! unknown: `GS ( X`, `FS ( X` and other functions with `pL pH` skip that many bytes; `GS 8 X`
//! skips its 4-byte length; raster images (`GS v 0`, `ESC *`, `GS *`) skip their pixels; `ESC D`
//! and barcodes of the NUL-terminated kind skip to the NUL; commands with one parameter byte
//! (`ESC - n`, `GS H n`, ...) skip it; any other `ESC x`, `GS x`, `FS x` is taken as two bytes.
//! Long payloads are skipped as they stream by, never buffered, and no input makes it panic.
//! `ESC t n` and the Chinese character settings `FS !`, `FS -`, `FS C`, `FS W` are taken
//! without being counted: they change how characters look, not what is printed.

use crate::printer::Align;
use encoding_rs::GB18030;

/// One decoded command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Printable text, already decoded to Unicode.
    Text(String),
    /// `HT`: to the next tab stop (every 8 columns).
    Tab,
    /// `LF` (and `FF` in standard mode): print the line and feed one.
    LineFeed,
    /// `ESC d n`: print the line and feed `n` lines.
    FeedLines(u8),
    /// `ESC J n`: print the line and feed `n` dots.
    FeedDots(u8),
    /// `ESC @`: back to the power-on modes.
    Init,
    /// `ESC a n`.
    Align(Align),
    /// `ESC E n` / `ESC G n`.
    Bold(bool),
    /// `GS ! n` (and the size bits of `ESC ! n`): width and height multipliers, 1-8.
    Size {
        /// Width multiplier.
        width: u8,
        /// Height multiplier.
        height: u8,
    },
    /// `ESC ! n`: print mode; bit 3 emphasised, bit 4 double height, bit 5 double width.
    PrintMode(u8),
    /// `GS ( k` fn 65: the QR model (49 = 1, 50 = 2, 51 = micro).
    QrModel(u8),
    /// `GS ( k` fn 67: module size in dots.
    QrModule(u8),
    /// `GS ( k` fn 69: error correction, 48 L / 49 M / 50 Q / 51 H.
    QrErrorCorrection(u8),
    /// `GS ( k` fn 80: the symbol's data, stored until printed.
    QrStore(Vec<u8>),
    /// `GS ( k` fn 81: print the stored symbol.
    QrPrint,
    /// `GS V`: cut, after feeding `feed_dots`.
    Cut {
        /// A partial cut (one point left uncut).
        partial: bool,
        /// Dots fed before the cut (`GS V 65/66 n`).
        feed_dots: u8,
    },
    /// `ESC p m t1 t2`: a pulse on the drawer kick connector, in turn with the print data.
    DrawerKick(Kick),
    /// `DLE DC4 1 m t`: the same pulse in real time, executed even while the printer is
    /// stopped for paper or an open cover (Epson ignores it only in an error state).
    RealtimeKick(Kick),
    /// `DLE EOT n`: real-time status request; the printer answers one byte at once.
    StatusQuery(u8),
    /// `GS r n`: status request answered after the buffer (here: at once).
    TransmitStatus(u8),
    /// A command the simulator does not model, skipped by its documented length.
    Unknown(u8, u8),
}

/// One drawer kick pulse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kick {
    /// The connector pin: 0 (pin 2, `m` = 0 or 48) or 1 (pin 5, `m` = 1 or 49).
    pub pin: u8,
    /// Pulse on, in milliseconds.
    pub on_ms: u32,
    /// Pulse off, in milliseconds.
    pub off_ms: u32,
}

/// Code page 437's upper half, for text outside Chinese mode.
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// Longest a command may be buffered while waiting for its end (a QR code's data is at most
/// 65535 bytes plus the header).
const MAX_PENDING: usize = 65_545;

/// What one look at the buffer's front found.
enum Step {
    /// A command of `len` bytes.
    Done(usize, Option<Event>),
    /// A command header of `len` bytes followed by `skip` bytes to throw away as they come.
    Skip(usize, usize, Event),
    /// The command is not complete yet.
    Incomplete,
}

/// The decoder: feed it bytes, it returns the commands completed so far.
#[derive(Debug, Default)]
pub struct Decoder {
    pending: Vec<u8>,
    skip: usize,
    chinese: bool,
    code_table: u8,
    unknown: u64,
}

impl Decoder {
    /// A decoder in the power-on state (code page 437, Chinese mode off).
    pub fn new() -> Self {
        Self::default()
    }

    /// How many commands were skipped as unknown so far.
    pub fn unknown_commands(&self) -> u64 {
        self.unknown
    }

    /// Whether Chinese (GB18030) mode is on.
    pub fn chinese_mode(&self) -> bool {
        self.chinese
    }

    /// Forgets a command cut short (the connection that sent it closed); modes stay.
    pub fn reset_pending(&mut self) {
        self.pending.clear();
        self.skip = 0;
    }

    /// Decodes `bytes`, returning the commands they complete; an unfinished command waits for
    /// the next call.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        let mut bytes = bytes;
        if self.skip > 0 {
            let n = self.skip.min(bytes.len());
            self.skip -= n;
            bytes = &bytes[n..];
        }
        let mut pending = std::mem::take(&mut self.pending);
        pending.extend_from_slice(bytes);
        let mut at = 0;
        while at < pending.len() {
            match self.step(&pending[at..]) {
                Step::Done(len, event) => {
                    at += len.max(1);
                    if let Some(e) = event {
                        self.note(&e);
                        events.push(e);
                    }
                }
                Step::Skip(len, skip, event) => {
                    self.note(&event);
                    events.push(event);
                    let available = pending.len() - at - len;
                    let n = skip.min(available);
                    at += len + n;
                    self.skip = skip - n;
                }
                Step::Incomplete => {
                    if pending.len() - at > MAX_PENDING {
                        // Cannot be a command we know: drop its first byte and go on.
                        self.unknown += 1;
                        at += 1;
                        continue;
                    }
                    break;
                }
            }
        }
        pending.drain(..at.min(pending.len()));
        self.pending = pending;
        merge_text(events)
    }

    /// Keeps the modes that change how bytes decode, and counts unknown commands.
    fn note(&mut self, event: &Event) {
        if let Event::Unknown(..) = event {
            self.unknown += 1;
        }
    }

    fn step(&mut self, b: &[u8]) -> Step {
        let Some(&first) = b.first() else { return Step::Incomplete };
        let at = |i: usize| b.get(i).copied();
        let need = |n: usize| b.len() >= n;
        match first {
            0x0A => Step::Done(1, Some(Event::LineFeed)),
            0x0C => Step::Done(1, Some(Event::LineFeed)),
            0x09 => Step::Done(1, Some(Event::Tab)),
            0x0D | 0x00 => Step::Done(1, None),
            0x10 => {
                let Some(second) = at(1) else { return Step::Incomplete };
                match second {
                    0x04 | 0x05 => match at(2) {
                        None => Step::Incomplete,
                        Some(n) if second == 0x04 => Step::Done(3, Some(Event::StatusQuery(n))),
                        Some(_) => Step::Done(3, Some(Event::Unknown(0x10, second))),
                    },
                    0x14 => {
                        if !need(5) {
                            return Step::Incomplete;
                        }
                        if b[2] == 1 {
                            // DLE DC4 1 m t: a pulse of t × 100 ms on and off.
                            let t = u32::from(b[4].clamp(1, 8)) * 100;
                            Step::Done(5, Some(Event::RealtimeKick(Kick { pin: b[3] & 1, on_ms: t, off_ms: t })))
                        } else {
                            Step::Done(5, Some(Event::Unknown(0x10, 0x14)))
                        }
                    }
                    _ => Step::Done(1, Some(Event::Unknown(0x10, 0))),
                }
            }
            0x1B => self.esc(b),
            0x1C => self.fs(b),
            0x1D => gs(b),
            0x01..=0x1F | 0x7F => Step::Done(1, Some(Event::Unknown(first, 0))),
            _ => self.text(b),
        }
    }

    fn esc(&mut self, b: &[u8]) -> Step {
        let Some(&cmd) = b.get(1) else { return Step::Incomplete };
        let one = |event: fn(u8) -> Option<Event>| match b.get(2) {
            None => Step::Incomplete,
            Some(&n) => Step::Done(3, event(n)),
        };
        match cmd {
            b'@' => {
                self.chinese = false;
                self.code_table = 0;
                Step::Done(2, Some(Event::Init))
            }
            b'd' => one(|n| Some(Event::FeedLines(n))),
            b'J' => one(|n| Some(Event::FeedDots(n))),
            b'a' => one(|n| {
                Some(Event::Align(match n {
                    1 | 49 => Align::Centre,
                    2 | 50 => Align::Right,
                    _ => Align::Left,
                }))
            }),
            b'E' | b'G' => one(|n| Some(Event::Bold(n & 1 == 1))),
            b'!' => one(|n| Some(Event::PrintMode(n))),
            b't' => match b.get(2) {
                None => Step::Incomplete,
                Some(&n) => {
                    self.code_table = n;
                    Step::Done(3, None)
                }
            },
            b'p' => {
                if b.len() < 5 {
                    return Step::Incomplete;
                }
                let kick = Kick { pin: b[2] & 1, on_ms: u32::from(b[3]) * 2, off_ms: u32::from(b[4]) * 2 };
                Step::Done(5, Some(Event::DrawerKick(kick)))
            }
            b'i' => Step::Done(2, Some(Event::Cut { partial: false, feed_dots: 0 })),
            b'm' => Step::Done(2, Some(Event::Cut { partial: true, feed_dots: 0 })),
            // One parameter byte: underline, spacing, font, character set, rotation, upside
            // down, peripheral, panel buttons, sensors, colour, print direction, user characters.
            b'-' | b'3' | b' ' | b'M' | b'R' | b'V' | b'{' | b'=' | b'%' | b'U' | b'r' | b'T' | b'?' | b'u' | b'c' => {
                if cmd == b'c' {
                    // ESC c 3 n / ESC c 4 n / ESC c 5 n: two parameter bytes.
                    return if need_len(b, 4) {
                        Step::Done(4, Some(Event::Unknown(0x1B, cmd)))
                    } else {
                        Step::Incomplete
                    };
                }
                if need_len(b, 3) {
                    Step::Done(3, Some(Event::Unknown(0x1B, cmd)))
                } else {
                    Step::Incomplete
                }
            }
            // Two parameter bytes: absolute and relative position, cut position.
            b'$' | b'\\' | b'W' => {
                if need_len(b, 4) {
                    Step::Done(4, Some(Event::Unknown(0x1B, cmd)))
                } else {
                    Step::Incomplete
                }
            }
            b'D' => {
                // Tab positions: up to 32 bytes ended by NUL.
                match b[2..].iter().take(33).position(|&x| x == 0) {
                    Some(i) => Step::Done(3 + i, Some(Event::Unknown(0x1B, cmd))),
                    None if b.len() >= 2 + 33 => Step::Done(2 + 33, Some(Event::Unknown(0x1B, cmd))),
                    None => Step::Incomplete,
                }
            }
            b'*' => {
                // Bit image: m nL nH, then (nL + 256 nH) columns of 1 or 3 bytes.
                if b.len() < 5 {
                    return Step::Incomplete;
                }
                let columns = usize::from(b[3]) + 256 * usize::from(b[4]);
                let per = if b[2] == 32 || b[2] == 33 { 3 } else { 1 };
                Step::Skip(5, columns * per, Event::Unknown(0x1B, cmd))
            }
            b'&' => esc_user_chars(b),
            _ => Step::Done(2, Some(Event::Unknown(0x1B, cmd))),
        }
    }

    fn fs(&mut self, b: &[u8]) -> Step {
        let Some(&cmd) = b.get(1) else { return Step::Incomplete };
        match cmd {
            b'&' => {
                self.chinese = true;
                Step::Done(2, None)
            }
            b'.' => {
                self.chinese = false;
                Step::Done(2, None)
            }
            // Chinese print mode, underline, code system, quadruple size: one byte.
            b'!' | b'-' | b'C' | b'W' => {
                if need_len(b, 3) {
                    Step::Done(3, None)
                } else {
                    Step::Incomplete
                }
            }
            b'S' | b'p' => {
                if need_len(b, 4) {
                    Step::Done(4, Some(Event::Unknown(0x1C, cmd)))
                } else {
                    Step::Incomplete
                }
            }
            // A user-defined Chinese character: c1 c2 and 72 bytes of dots.
            b'2' => Step::Skip(2, 74, Event::Unknown(0x1C, cmd)),
            b'(' => with_length(b, 0x1C),
            _ => Step::Done(2, Some(Event::Unknown(0x1C, cmd))),
        }
    }

    /// A run of printable bytes, decoded; stops before a control byte or an unfinished
    /// double-byte character.
    fn text(&mut self, b: &[u8]) -> Step {
        let mut len = 0;
        let mut out = String::new();
        while len < b.len() {
            let c = b[len];
            if c < 0x20 || c == 0x7F {
                break;
            }
            if c < 0x80 {
                out.push(char::from(c));
                len += 1;
                continue;
            }
            if !self.chinese {
                out.push(match self.code_table {
                    0 => CP437_HIGH.chars().nth(usize::from(c - 0x80)).unwrap_or('?'),
                    _ => '?',
                });
                len += 1;
                continue;
            }
            match gb18030_len(&b[len..]) {
                None => break,
                Some(n) => {
                    let (decoded, _) = GB18030.decode_without_bom_handling(&b[len..len + n]);
                    out.push_str(&decoded);
                    len += n;
                }
            }
        }
        if len == 0 {
            // The first byte starts a double-byte character whose end has not arrived.
            return Step::Incomplete;
        }
        Step::Done(len, Some(Event::Text(out)))
    }
}

fn need_len(b: &[u8], n: usize) -> bool {
    b.len() >= n
}

/// The length of the GB18030 sequence starting `b` (at a byte ≥ 0x80), `None` when it is not
/// complete yet; a malformed one counts one byte (decoded as U+FFFD).
fn gb18030_len(b: &[u8]) -> Option<usize> {
    let lead = b[0];
    if !(0x81..=0xFE).contains(&lead) {
        return Some(1);
    }
    let second = *b.get(1)?;
    match second {
        0x30..=0x39 => {
            let third = *b.get(2)?;
            if !(0x81..=0xFE).contains(&third) {
                return Some(1);
            }
            let fourth = *b.get(3)?;
            Some(if (0x30..=0x39).contains(&fourth) { 4 } else { 1 })
        }
        0x40..=0x7E | 0x80..=0xFE => Some(2),
        _ => Some(1),
    }
}

/// `ESC & y c1 c2 [x d1..d(y×x)]...`: user-defined characters, skipped.
fn esc_user_chars(b: &[u8]) -> Step {
    if b.len() < 5 {
        return Step::Incomplete;
    }
    let y = usize::from(b[2]);
    let (c1, c2) = (b[3], b[4]);
    let mut at = 5;
    for _ in c1..=c2.max(c1) {
        let Some(&x) = b.get(at) else { return Step::Incomplete };
        at += 1 + y * usize::from(x);
        if at > b.len() {
            return Step::Incomplete;
        }
    }
    Step::Done(at, Some(Event::Unknown(0x1B, b'&')))
}

/// `GS ( X pL pH ...` and `FS ( X pL pH ...`: a function with its own length, skipped.
fn with_length(b: &[u8], prefix: u8) -> Step {
    if b.len() < 5 {
        return Step::Incomplete;
    }
    let len = usize::from(b[3]) + 256 * usize::from(b[4]);
    Step::Skip(5, len, Event::Unknown(prefix, b[2]))
}

fn gs(b: &[u8]) -> Step {
    let Some(&cmd) = b.get(1) else { return Step::Incomplete };
    let one = |make: &dyn Fn(u8) -> Option<Event>| match b.get(2) {
        None => Step::Incomplete,
        Some(&n) => Step::Done(3, make(n)),
    };
    match cmd {
        b'!' => one(&|n| Some(Event::Size { width: 1 + (n >> 4 & 7), height: 1 + (n & 7) })),
        b'V' => {
            let Some(&m) = b.get(2) else { return Step::Incomplete };
            match m {
                0 | 48 => Step::Done(3, Some(Event::Cut { partial: false, feed_dots: 0 })),
                1 | 49 => Step::Done(3, Some(Event::Cut { partial: true, feed_dots: 0 })),
                65 | 66 | 97 | 98 | 103 | 104 => match b.get(3) {
                    None => Step::Incomplete,
                    Some(&n) => Step::Done(4, Some(Event::Cut { partial: m % 2 == 0, feed_dots: n })),
                },
                _ => Step::Done(3, Some(Event::Unknown(0x1D, cmd))),
            }
        }
        b'r' => one(&|n| Some(Event::TransmitStatus(n))),
        b'(' => {
            if b.get(2) == Some(&b'k') {
                gs_k(b)
            } else {
                with_length(b, 0x1D)
            }
        }
        // One parameter byte: reverse, HRI position and font, barcode height and width, page
        // mode direction, smoothing, auto status back, printer id, cut mode.
        b'B' | b'H' | b'f' | b'h' | b'w' | b'T' | b'b' | b'a' | b'I' | b'/' | b'E' | b'^' => {
            one(&|_| Some(Event::Unknown(0x1D, cmd)))
        }
        // Two parameter bytes: left margin, print area width, motion units, positions.
        b'L' | b'W' | b'P' | b'$' | b'\\' => {
            if b.len() < 4 {
                Step::Incomplete
            } else {
                Step::Done(4, Some(Event::Unknown(0x1D, cmd)))
            }
        }
        b'k' => barcode(b),
        b'v' => {
            // Raster image: GS v 0 m xL xH yL yH, then xL+256xH bytes by yL+256yH rows.
            if b.len() < 8 {
                return Step::Incomplete;
            }
            let bytes = (usize::from(b[4]) + 256 * usize::from(b[5])) * (usize::from(b[6]) + 256 * usize::from(b[7]));
            Step::Skip(8, bytes, Event::Unknown(0x1D, cmd))
        }
        b'*' => {
            // Downloaded bit image: x y, then x × y × 8 bytes.
            if b.len() < 4 {
                return Step::Incomplete;
            }
            Step::Skip(4, usize::from(b[2]) * usize::from(b[3]) * 8, Event::Unknown(0x1D, cmd))
        }
        b'8' => {
            // GS 8 X p1 p2 p3 p4: a function with a 4-byte length.
            if b.len() < 7 {
                return Step::Incomplete;
            }
            let len = b[3..7].iter().rev().fold(0usize, |acc, &x| acc << 8 | usize::from(x));
            Step::Skip(7, len, Event::Unknown(0x1D, b[2]))
        }
        _ => Step::Done(2, Some(Event::Unknown(0x1D, cmd))),
    }
}

/// `GS k m ...`: a barcode, skipped (m 0-6 ends at NUL, m 65-79 gives its length).
fn barcode(b: &[u8]) -> Step {
    let Some(&m) = b.get(2) else { return Step::Incomplete };
    if m <= 6 {
        match b[3..].iter().take(256).position(|&x| x == 0) {
            Some(i) => Step::Done(4 + i, Some(Event::Unknown(0x1D, b'k'))),
            None if b.len() >= 3 + 256 => Step::Done(3 + 256, Some(Event::Unknown(0x1D, b'k'))),
            None => Step::Incomplete,
        }
    } else {
        match b.get(3) {
            None => Step::Incomplete,
            Some(&n) => Step::Skip(4, usize::from(n), Event::Unknown(0x1D, b'k')),
        }
    }
}

/// `GS ( k pL pH cn fn ...`: the 2D symbols; QR (cn 49) is understood, the others skipped.
fn gs_k(b: &[u8]) -> Step {
    if b.len() < 5 {
        return Step::Incomplete;
    }
    let len = usize::from(b[3]) + 256 * usize::from(b[4]);
    if len < 2 {
        return Step::Skip(5, len, Event::Unknown(0x1D, b'('));
    }
    if b.len() < 5 + len {
        return Step::Incomplete;
    }
    let body = &b[5..5 + len];
    let (cn, func, params) = (body[0], body[1], &body[2..]);
    let first = params.first().copied();
    let event = match (cn, func) {
        (49, 65) => first.map(Event::QrModel),
        (49, 67) => first.map(Event::QrModule),
        (49, 69) => first.map(Event::QrErrorCorrection),
        (49, 80) if first == Some(48) => Some(Event::QrStore(params[1..].to_vec())),
        (49, 81) => Some(Event::QrPrint),
        _ => None,
    };
    Step::Done(5 + len, Some(event.unwrap_or(Event::Unknown(0x1D, b'('))))
}

/// Joins neighbouring text events (a run split by the link arrives as one).
fn merge_text(events: Vec<Event>) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::with_capacity(events.len());
    for e in events {
        match (out.last_mut(), e) {
            (Some(Event::Text(prev)), Event::Text(next)) => prev.push_str(&next),
            (_, e) => out.push(e),
        }
    }
    out
}
