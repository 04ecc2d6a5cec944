//! A finished job as the paper would look: a PNG at the printer's dots (384 wide for 58 mm,
//! 576 for 80 mm), text in the cells of font A (12×24, Chinese 24×24) drawn with a system
//! TrueType font, QR codes at the module size the job asked for, the cut as a dashed line.
//!
//! The fonts: `TILL_SIM_FONT` if set, then the usual Debian ones found ([`FONT_PATHS`]: DejaVu
//! Sans Mono for Latin, then fonts-droid-fallback, Noto CJK, AR PL UMing, WenQuanYi for
//! Chinese); each character takes the first font that has it. A character no font has prints
//! as a box, and a warning says so once on stderr.

use super::page::{Element, Line, Printed, QrLevel};
use crate::printer::{Align, PaperWidth};
use crate::DeviceError;
use ab_glyph::{Font, FontVec, PxScale, ScaleFont};
use image::{GrayImage, Luma};
use std::sync::OnceLock;
use unicode_width::UnicodeWidthChar;

/// The fonts looked for, in order; each character is drawn with the first that has it: a
/// monospaced Latin font (font A is monospaced), then fonts with Chinese glyphs.
pub const FONT_PATHS: [&str; 8] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    "/usr/share/fonts/truetype/noto/NotoMono-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
];

/// Dots of one column of font A, and of its height.
const CELL_W: u32 = 12;
const CELL_H: u32 = 24;
/// Default line spacing (`ESC 2`): 30 dots from line to line.
const LINE_GAP: u32 = 6;
/// Blank paper above the first line and below the last.
const MARGIN: u32 = 12;
/// White modules around a QR code (the paper around it).
const QUIET: u32 = 4;
/// The longest strip rendered, in dots (a job of thousands of feeds is cut off there).
const MAX_HEIGHT: u32 = 60_000;

const BLACK: Luma<u8> = Luma([0]);

fn fonts() -> &'static [FontVec] {
    static FONTS: OnceLock<Vec<FontVec>> = OnceLock::new();
    FONTS.get_or_init(|| {
        let mut paths: Vec<String> = std::env::var("TILL_SIM_FONT").ok().filter(|p| !p.is_empty()).into_iter().collect();
        paths.extend(FONT_PATHS.iter().map(|p| p.to_string()));
        let found: Vec<FontVec> = paths
            .iter()
            .filter_map(|path| std::fs::read(path).ok().and_then(|data| FontVec::try_from_vec_and_index(data, 0).ok()))
            .collect();
        if found.is_empty() {
            eprintln!(
                "simulated printer: no font found ({}; set TILL_SIM_FONT or install fonts-dejavu-core and fonts-droid-fallback); text renders as boxes",
                paths.join(", ")
            );
        }
        found
    })
}

/// The first font with a glyph for `c`; without one, a warning (once) that such characters
/// print as boxes.
fn font_for(c: char) -> Option<&'static FontVec> {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let fonts = fonts();
    let found = fonts.iter().find(|f| f.glyph_id(c).0 != 0);
    if found.is_none() && !fonts.is_empty() && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        eprintln!(
            "simulated printer: no font has a glyph for {c:?} (U+{:04X}); such characters render as boxes",
            c as u32
        );
    }
    found
}

/// Renders `job` as printed on `width` paper.
pub fn render(job: &Printed, width: PaperWidth) -> GrayImage {
    let dots = width.dots();
    let height = job.elements.iter().fold(MARGIN * 2, |h, e| h.saturating_add(element_height(e, dots)));
    let mut img = GrayImage::from_pixel(dots, height.clamp(1, MAX_HEIGHT), Luma([255]));
    let mut y = MARGIN;
    for e in &job.elements {
        if y >= MAX_HEIGHT {
            break;
        }
        match e {
            Element::Line(line) => draw_line(&mut img, line, y),
            Element::Qr { bytes, module, level, align, .. } => draw_qr(&mut img, bytes, *module, *level, *align, y),
            Element::FeedDots(_) | Element::Drawer(_) => {}
            Element::Cut { .. } => {
                let cy = y + 6;
                for x in (0..dots).filter(|x| x % 16 < 10) {
                    img.put_pixel(x, cy, BLACK);
                    img.put_pixel(x, cy + 1, BLACK);
                }
            }
        }
        y = y.saturating_add(element_height(e, dots));
    }
    img
}

/// Renders `job` and encodes it as PNG.
pub fn png(job: &Printed, width: PaperWidth) -> Result<Vec<u8>, DeviceError> {
    let img = render(job, width);
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).map_err(|e| DeviceError::Io(format!("PNG encoding: {e}")))?;
    Ok(out.into_inner())
}

/// One character's place on a row.
#[derive(Clone, Copy)]
struct Cell {
    c: char,
    x: u32,
    w: u32,
    bold: bool,
    height: u8,
}

/// The cells of a line's characters, row by row, wrapped at the paper's edge as a printer wraps.
fn layout(line: &Line, dots: u32) -> Vec<Vec<Cell>> {
    let mut rows = vec![Vec::new()];
    let mut x = 0;
    for span in &line.spans {
        for c in span.text.chars() {
            let cols = c.width().unwrap_or(0) as u32;
            if cols == 0 {
                continue;
            }
            let w = cols * CELL_W * u32::from(span.width);
            if x + w > dots && x > 0 {
                rows.push(Vec::new());
                x = 0;
            }
            if let Some(row) = rows.last_mut() {
                row.push(Cell { c, x, w, bold: span.bold, height: span.height });
            }
            x += w;
        }
    }
    rows
}

fn row_height(line: &Line) -> u32 {
    CELL_H * u32::from(line.height()) + LINE_GAP
}

fn element_height(e: &Element, dots: u32) -> u32 {
    match e {
        Element::Line(line) => row_height(line) * layout(line, dots).len() as u32,
        Element::Qr { bytes, module, level, .. } => match qr_code(bytes, *level) {
            Some(code) => (code.width() as u32 + 2 * QUIET) * u32::from(*module),
            None => CELL_H * 2,
        },
        Element::FeedDots(n) => u32::from(*n),
        Element::Cut { .. } => 14,
        Element::Drawer(_) => 0,
    }
}

fn draw_line(img: &mut GrayImage, line: &Line, top: u32) {
    let dots = img.width();
    let rh = row_height(line);
    for (i, row) in layout(line, dots).into_iter().enumerate() {
        let used = row.last().map_or(0, |cell| cell.x + cell.w);
        let shift = match line.align {
            Align::Left => 0,
            Align::Centre => dots.saturating_sub(used) / 2,
            Align::Right => dots.saturating_sub(used),
        };
        // Characters stand on a common baseline: the tallest one's cell bottom.
        let y0 = top + rh * i as u32;
        let base = y0 + CELL_H * u32::from(line.height());
        for cell in row {
            let h = CELL_H * u32::from(cell.height);
            draw_char(img, cell.c, shift + cell.x, base - h, cell.w, h, cell.bold);
        }
    }
}

fn draw_char(img: &mut GrayImage, c: char, x: u32, y: u32, w: u32, h: u32, bold: bool) {
    if c.is_whitespace() {
        return;
    }
    let passes = if bold { 2 } else { 1 };
    let Some(font) = font_for(c) else {
        // No glyph: a box, as a printer prints a character it lacks.
        for dx in 2..w.saturating_sub(2) {
            put(img, x + dx, y + 2);
            put(img, x + dx, y + h - 3);
        }
        for dy in 2..h.saturating_sub(2) {
            put(img, x + 2, y + dy);
            put(img, x + w - 3, y + dy);
        }
        return;
    };
    // Scale the glyph to the cell's height, then narrow it if it is wider than its cell.
    let mut scale = PxScale { x: h as f32, y: h as f32 };
    let glyph_w = |scale: PxScale| font.as_scaled(scale).h_advance(font.glyph_id(c));
    let advance = glyph_w(scale);
    if advance > w as f32 {
        scale.x *= w as f32 / advance;
    }
    let ascent = font.as_scaled(scale).ascent();
    let descent = font.as_scaled(scale).descent();
    // Fit ascent..descent into the cell.
    let total = ascent - descent;
    let fit = if total > h as f32 { h as f32 / total } else { 1.0 };
    let scale = PxScale { x: scale.x * fit, y: scale.y * fit };
    let sf = font.as_scaled(scale);
    let glyph = font.glyph_id(c).with_scale_and_position(scale, ab_glyph::point(0.0, sf.ascent()));
    let Some(outline) = font.outline_glyph(glyph) else { return };
    let bounds = outline.px_bounds();
    let offset_x = x as f32 + (w as f32 - sf.h_advance(font.glyph_id(c))) / 2.0;
    for pass in 0..passes {
        outline.draw(|gx, gy, coverage| {
            if coverage >= 0.5 {
                let px = offset_x + bounds.min.x + gx as f32 + pass as f32;
                let py = y as f32 + bounds.min.y + gy as f32;
                if px >= 0.0 && py >= 0.0 {
                    put(img, px as u32, py as u32);
                }
            }
        });
    }
}

fn put(img: &mut GrayImage, x: u32, y: u32) {
    if x < img.width() && y < img.height() {
        img.put_pixel(x, y, BLACK);
    }
}

fn qr_code(bytes: &[u8], level: QrLevel) -> Option<qrcode::QrCode> {
    let ec = match level {
        QrLevel::L => qrcode::EcLevel::L,
        QrLevel::M => qrcode::EcLevel::M,
        QrLevel::Q => qrcode::EcLevel::Q,
        QrLevel::H => qrcode::EcLevel::H,
    };
    qrcode::QrCode::with_error_correction_level(bytes, ec).ok()
}

fn draw_qr(img: &mut GrayImage, bytes: &[u8], module: u8, level: QrLevel, align: Align, top: u32) {
    let dots = img.width();
    let Some(code) = qr_code(bytes, level) else {
        // Too much data for a QR code: the printer prints nothing; mark the place.
        for x in 0..dots.min(CELL_H * 2) {
            put(img, x, top + x / 2);
        }
        return;
    };
    let n = code.width() as u32;
    let m = u32::from(module.max(1));
    let size = n * m;
    let left = match align {
        Align::Left => 0,
        Align::Centre => dots.saturating_sub(size) / 2,
        Align::Right => dots.saturating_sub(size),
    };
    let y0 = top + QUIET * m;
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color != qrcode::Color::Dark {
            continue;
        }
        let (col, row) = (i as u32 % n, i as u32 / n);
        for dy in 0..m {
            for dx in 0..m {
                put(img, left + col * m + dx, y0 + row * m + dy);
            }
        }
    }
}
