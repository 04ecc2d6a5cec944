//! A minimal PDF 1.4 writer for plain text reports: A4 pages, a Helvetica-Bold title and the
//! lines in Courier (monospaced, so columns made with spaces stay aligned). A line with
//! characters beyond Latin-1 (a Chinese shop name, a product's Chinese name) is set in
//! STSong-Light, the standard Simplified Chinese font every PDF reader provides for Adobe-GB1
//! (PDF 1.4, 5.6.3), as UCS-2 through the `UniGB-UCS2-H` CMap. No font is embedded; characters
//! outside the Basic Multilingual Plane become `?`.

/// A4 width in points.
const PAGE_W: u32 = 595;
/// A4 height in points.
const PAGE_H: u32 = 842;
const MARGIN: u32 = 50;
const TITLE_SIZE: u32 = 14;
const BODY_SIZE: u32 = 10;
const LEADING: u32 = 12;
/// Body lines on one page: below the title line and its gap, above the bottom margin.
pub const LINES_PER_PAGE: usize = ((PAGE_H - 2 * MARGIN - 2 * LEADING - TITLE_SIZE) / LEADING) as usize;
/// Characters of Courier 10 pt (6 pt wide) between the margins; longer lines wrap.
pub const CHARS_PER_LINE: usize = ((PAGE_W - 2 * MARGIN) / 6) as usize;

/// `text` as a PDF string literal body in WinAnsi/Latin-1: `(`, `)` and `\` escaped, control
/// characters and anything beyond Latin-1 replaced by `?`.
fn pdf_string(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for ch in text.chars() {
        let code = ch as u32;
        match ch {
            '(' | ')' | '\\' => {
                out.push(b'\\');
                out.push(code as u8);
            }
            // 0x80-0x9F are control codes in Latin-1 and other glyphs in WinAnsi: avoid both.
            _ if code < 0x20 || (0x7F..0xA0).contains(&code) || code > 0xFF => out.push(b'?'),
            _ => out.push(code as u8),
        }
    }
    out
}

/// Splits long lines at [`CHARS_PER_LINE`] characters so nothing runs off the page.
fn wrap(lines: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() {
            out.push(String::new());
        }
        for chunk in chars.chunks(CHARS_PER_LINE) {
            out.push(chunk.iter().collect());
        }
    }
    out
}

/// Whether a line needs the Chinese font: a character beyond Latin-1.
fn needs_cjk(line: &str) -> bool {
    line.chars().any(|c| c as u32 > 0xFF)
}

/// `text` as a PDF hex string of UCS-2 big-endian code units, for the `UniGB-UCS2-H` font;
/// control characters and characters beyond the BMP become `?`.
fn ucs2_hex(text: &str) -> Vec<u8> {
    let mut out = b"<".to_vec();
    for ch in text.chars() {
        let code = ch as u32;
        let unit = if (0x20..=0xFFFF).contains(&code) { code } else { u32::from(b'?') };
        out.extend_from_slice(format!("{unit:04X}").as_bytes());
    }
    out.push(b'>');
    out
}

fn page_content(title: &str, page: usize, pages: usize, lines: &[String]) -> Vec<u8> {
    let mut c = Vec::new();
    let top = PAGE_H - MARGIN - TITLE_SIZE;
    c.extend_from_slice(format!("BT /F1 {TITLE_SIZE} Tf {MARGIN} {top} Td (").as_bytes());
    c.extend(pdf_string(title));
    c.extend_from_slice(b") Tj ET\n");
    let footer = format!("Page {page} of {pages}");
    c.extend_from_slice(format!("BT /F2 {BODY_SIZE} Tf {MARGIN} {} Td (", MARGIN / 2).as_bytes());
    c.extend(pdf_string(&footer));
    c.extend_from_slice(b") Tj ET\n");
    c.extend_from_slice(format!("BT /F2 {BODY_SIZE} Tf {LEADING} TL {MARGIN} {} Td\n", top - 2 * LEADING).as_bytes());
    for line in lines {
        if needs_cjk(line) {
            c.extend_from_slice(format!("/F3 {BODY_SIZE} Tf ").as_bytes());
            c.extend(ucs2_hex(line));
            c.extend_from_slice(format!(" Tj T* /F2 {BODY_SIZE} Tf\n").as_bytes());
        } else {
            c.push(b'(');
            c.extend(pdf_string(line));
            c.extend_from_slice(b") Tj T*\n");
        }
    }
    c.extend_from_slice(b"ET\n");
    c
}

/// A PDF document of `lines` under `title`, on as many A4 pages as they need (at least one).
pub fn text_pdf(title: &str, lines: &[String]) -> Vec<u8> {
    let lines = wrap(lines);
    let chunks: Vec<&[String]> = if lines.is_empty() { vec![&[]] } else { lines.chunks(LINES_PER_PAGE).collect() };
    let pages = chunks.len();
    // Objects: 1 catalog, 2 page tree, 3 and 4 the Latin fonts, 5 to 7 the Chinese font, then a
    // page and its content per page.
    let page_id = |i: usize| 8 + 2 * i;
    let mut objects: Vec<Vec<u8>> = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            (0..pages).map(|i| format!("{} 0 R", page_id(i))).collect::<Vec<_>>().join(" ")
        )
        .into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_vec(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>".to_vec(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [6 0 R] >>"
            .to_vec(),
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 7 0 R /DW 1000 /W [1 95 500] >>".to_vec(),
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>".to_vec(),
    ];
    for (i, chunk) in chunks.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R /F2 4 0 R /F3 5 0 R >> >> /Contents {} 0 R >>",
                page_id(i) + 1
            )
            .into_bytes(),
        );
        let content = page_content(title, i + 1, pages, chunk);
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend(content);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }

    // The second line's high bytes tell transfer tools the file is binary.
    let mut out = b"%PDF-1.4\n%\xE2\xE3\xCF\xD3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    // Each xref entry is exactly 20 bytes: 10-digit offset, 5-digit generation, type, EOL.
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    fn count(hay: &[u8], needle: &[u8]) -> usize {
        hay.windows(needle.len()).filter(|w| *w == needle).count()
    }

    /// Checks the xref table against the file: every entry points at its "N 0 obj".
    fn check_xref(pdf: &[u8]) -> usize {
        let text = String::from_utf8_lossy(pdf);
        let start: usize = text.rsplit("startxref\n").next().unwrap().lines().next().unwrap().parse().unwrap();
        assert_eq!(&pdf[start..start + 5], b"xref\n");
        let table = String::from_utf8_lossy(&pdf[start..]).to_string();
        let mut lines = table.lines().skip(1);
        let n: usize = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
        assert!(lines.next().unwrap().ends_with(" f "));
        for id in 1..n {
            let entry = lines.next().unwrap();
            assert_eq!(entry.len() + 1, 20);
            let off: usize = entry[..10].parse().unwrap();
            let want = format!("{id} 0 obj\n");
            assert_eq!(&pdf[off..off + want.len()], want.as_bytes(), "object {id}");
        }
        n - 1
    }

    #[test]
    fn a_short_report_is_one_valid_page() {
        let pdf = text_pdf("X report", &["Sales  CNY 38.00".to_string(), "(paren) \\ back".to_string()]);
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        assert!(pdf.ends_with(b"%%EOF\n"));
        assert_eq!(check_xref(&pdf), 9);
        assert!(find(&pdf, b"/Count 1 >>").is_some());
        assert!(find(&pdf, b"(\\(paren\\) \\\\ back) Tj").is_some());
    }

    #[test]
    fn two_hundred_lines_take_the_right_number_of_pages() {
        let lines: Vec<String> = (0..200).map(|i| format!("line {i}")).collect();
        let pdf = text_pdf("Z report", &lines);
        let pages = 200usize.div_ceil(LINES_PER_PAGE);
        assert!(pages > 1);
        assert!(find(&pdf, format!("/Count {pages} >>").as_bytes()).is_some());
        assert_eq!(count(&pdf, b"/Type /Page "), pages);
        assert_eq!(check_xref(&pdf), 7 + 2 * pages);
        assert!(find(&pdf, b"(line 199) Tj").is_some());
        assert!(pdf.ends_with(b"%%EOF\n"));
    }

    #[test]
    fn chinese_lines_are_set_in_the_chinese_font_and_latin1_lines_stay_in_courier() {
        let lines = ["绿叶超市 Counter 1".to_string(), "caf\u{e9} \u{a5}12".to_string(), "\u{1F600}茶".to_string()];
        let pdf = text_pdf("报表", &lines);
        // The title font is Latin-1 only: its Chinese becomes question marks.
        assert!(find(&pdf, b"(??) Tj").is_some());
        assert!(find(&pdf, b"/BaseFont /STSong-Light /Encoding /UniGB-UCS2-H").is_some());
        assert!(find(&pdf, b"/F3 10 Tf <7EFF53F68D855E0200200043006F0075006E00740065007200200031> Tj").is_some());
        assert!(find(&pdf, b"(caf\xE9 \xA512) Tj").is_some());
        // Beyond the BMP there is no UCS-2 code: a question mark.
        assert!(find(&pdf, b"<003F8336> Tj").is_some());
        check_xref(&pdf);
    }

    #[test]
    fn long_lines_wrap_and_no_lines_still_make_a_page() {
        let pdf = text_pdf("T", &["x".repeat(CHARS_PER_LINE + 5)]);
        assert!(find(&pdf, b"(xxxxx) Tj").is_some());
        let empty = text_pdf("T", &[]);
        assert!(find(&empty, b"/Count 1 >>").is_some());
        check_xref(&empty);
    }
}
