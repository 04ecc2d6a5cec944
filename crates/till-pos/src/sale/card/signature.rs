//! The customer's signature, drawn on the screen and kept with the payment as a compact SVG.
//!
//! The UI turns each stroke into one `<path>` of integer points; this module accepts exactly
//! that shape and nothing else, so whatever is stored (and later shown on a screen or sent on)
//! cannot carry script, links, styles, external references or entities:
//!
//! ```text
//! <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 W H"><path d="M x y L x y L x y"/>…</svg>
//! ```
//!
//! `W` and `H` are 1..=4000, every point lies inside the view box, a path has 1..=2000 points
//! and the whole text is at most [`MAX_SVG_BYTES`]. The presentation attributes (stroke,
//! width) are the viewer's business, not the stored document's.

use crate::error::PaymentError;

/// The largest signature accepted, in bytes.
pub const MAX_SVG_BYTES: usize = 64 * 1024;
/// Strokes accepted at most.
pub const MAX_PATHS: usize = 200;
const MAX_POINTS: usize = 2000;
const MAX_SIDE: u32 = 4000;
const HEAD: &str = r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 "#;

fn invalid(why: &str) -> PaymentError {
    PaymentError::InvalidSignature(why.to_string())
}

fn number(s: &str, max: u32) -> Option<u32> {
    // Plain decimal digits only: no sign, exponent, fraction or leading zeros beyond "0".
    let ok =
        !s.is_empty() && s.len() <= 4 && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse::<u32>().ok()).flatten().filter(|v| *v <= max)
}

fn check_path_data(d: &str, w: u32, h: u32) -> Result<(), PaymentError> {
    let mut tokens = d.split(' ');
    let mut points = 0;
    let mut first = true;
    while let Some(cmd) = tokens.next() {
        match (cmd, first) {
            ("M", true) | ("L", false) => {}
            _ => return Err(invalid("a stroke is M x y followed by L x y pairs")),
        }
        first = false;
        let x = tokens.next().and_then(|t| number(t, w));
        let y = tokens.next().and_then(|t| number(t, h));
        if x.is_none() || y.is_none() {
            return Err(invalid("a point is two whole numbers inside the view box"));
        }
        points += 1;
        if points > MAX_POINTS {
            return Err(invalid("a stroke has too many points"));
        }
    }
    if points == 0 {
        return Err(invalid("a stroke has no points"));
    }
    Ok(())
}

/// Checks that `svg` is a signature as the till's signature pad writes it; see the module docs.
pub fn validate(svg: &str) -> Result<(), PaymentError> {
    if svg.len() > MAX_SVG_BYTES {
        return Err(invalid("the signature is larger than 64 KiB"));
    }
    let rest = svg.strip_prefix(HEAD).ok_or_else(|| invalid("not an SVG written by the signature pad"))?;
    let (view, mut rest) = rest.split_once(r#"">"#).ok_or_else(|| invalid("the view box is malformed"))?;
    let (w, h) = view.split_once(' ').ok_or_else(|| invalid("the view box is malformed"))?;
    let (w, h) = match (number(w, MAX_SIDE), number(h, MAX_SIDE)) {
        (Some(w), Some(h)) if w > 0 && h > 0 => (w, h),
        _ => return Err(invalid("the view box is malformed")),
    };
    let mut paths = 0;
    while let Some(after) = rest.strip_prefix(r#"<path d=""#) {
        let (d, after) = after.split_once(r#""/>"#).ok_or_else(|| invalid("a path element is malformed"))?;
        check_path_data(d, w, h)?;
        paths += 1;
        if paths > MAX_PATHS {
            return Err(invalid("the signature has too many strokes"));
        }
        rest = after;
    }
    if paths == 0 {
        return Err(invalid("the signature is empty"));
    }
    if rest != "</svg>" {
        return Err(invalid("only path elements are allowed in a signature"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svg(paths: &str) -> String {
        format!(r#"{HEAD}600 200">{paths}</svg>"#)
    }

    #[test]
    fn accepts_what_the_pad_writes() {
        validate(&svg(r#"<path d="M 10 20 L 30 40 L 599 200"/>"#)).unwrap();
        validate(&svg(r#"<path d="M 0 0"/><path d="M 5 5 L 6 6"/>"#)).unwrap();
    }

    #[test]
    fn refuses_anything_else() {
        let cases = [
            String::new(),
            "<svg/>".to_string(),
            svg(""),
            svg(r#"<path d="M 10 20 L 30 40"/><script>alert(1)</script>"#),
            svg(r#"<path d="M 10 20" onload="x"/>"#),
            svg(r#"<path d="M 10 20 L 601 40"/>"#),
            svg(r#"<path d="M 10 20 L -1 40"/>"#),
            svg(r#"<path d="M 10 20 L 1.5 40"/>"#),
            svg(r#"<path d="M 10 20 Z"/>"#),
            svg(r#"<path d="L 10 20"/>"#),
            svg(r#"<path d="M 10"/>"#),
            svg(r#"<path d="M 010 20"/>"#),
            svg(r#"<path d="M  10 20"/>"#),
            svg(r#"<path d=""/>"#),
            svg(r#"<image href="http://x/y.png"/>"#),
            format!(r#"{HEAD}0 200"><path d="M 0 0"/></svg>"#),
            format!(r#"{HEAD}600 200" onload="x"><path d="M 0 0"/></svg>"#),
            format!(r#"<?xml version="1.0"?>{}"#, svg(r#"<path d="M 1 1"/>"#)),
            svg(r#"<path d="M 1 1"/>"#) + " ",
        ];
        for c in &cases {
            assert!(matches!(validate(c), Err(PaymentError::InvalidSignature(_))), "accepted {c:?}");
        }
    }

    #[test]
    fn enforces_the_limits() {
        let stroke = |n: usize| {
            let mut d = "M 1 1".to_string();
            for _ in 1..n {
                d.push_str(" L 2 2");
            }
            format!(r#"<path d="{d}"/>"#)
        };
        validate(&svg(&stroke(MAX_POINTS))).unwrap();
        assert!(validate(&svg(&stroke(MAX_POINTS + 1))).is_err());
        assert!(validate(&svg(&r#"<path d="M 1 1"/>"#.repeat(MAX_PATHS + 1))).is_err());
        assert!(validate(&svg(&stroke(MAX_POINTS).repeat(20))).is_err(), "over 64 KiB");
    }
}
