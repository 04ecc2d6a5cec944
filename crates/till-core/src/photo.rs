//! Photos of a defect kept with a refund and shown to the seller: which kinds are taken, how
//! large, and the kind read from the bytes themselves (a file's name or a client's claim is
//! never believed). The till checks a photo before keeping it and the server again before
//! storing it, with this one rule.

use std::fmt;

/// The largest photo taken, at the till and at the server: 5 MiB.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// The kinds of photo taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhotoType {
    /// JPEG (`FF D8 FF`).
    Jpeg,
    /// PNG (its 8-byte signature).
    Png,
    /// WebP (`RIFF` .... `WEBP`).
    Webp,
}

impl PhotoType {
    /// Every kind taken.
    pub const ALL: [PhotoType; 3] = [PhotoType::Jpeg, PhotoType::Png, PhotoType::Webp];

    /// The media type, as stored and served.
    pub const fn content_type(self) -> &'static str {
        match self {
            PhotoType::Jpeg => "image/jpeg",
            PhotoType::Png => "image/png",
            PhotoType::Webp => "image/webp",
        }
    }

    /// The kind named by a media type (exactly as [`PhotoType::content_type`] spells it).
    pub fn from_content_type(text: &str) -> Option<PhotoType> {
        PhotoType::ALL.into_iter().find(|k| k.content_type() == text)
    }

    /// The kind the bytes are, by their magic numbers; `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<PhotoType> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(PhotoType::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(PhotoType::Png)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && bytes.get(8..12) == Some(b"WEBP".as_slice()) {
            Some(PhotoType::Webp)
        } else {
            None
        }
    }
}

impl fmt::Display for PhotoType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.content_type())
    }
}

/// Why a photo is not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// No bytes at all.
    #[error("the photo is empty")]
    Empty,
    /// Over [`MAX_PHOTO_BYTES`].
    #[error("the photo is {0} bytes; at most 5 MiB ({MAX_PHOTO_BYTES} bytes) is taken")]
    TooLarge(usize),
    /// Not a JPEG, PNG or WebP by its bytes.
    #[error("the photo is not a JPEG, PNG or WebP image")]
    WrongType,
}

/// Checks a photo's size and kind; its kind when it is taken.
pub fn check(bytes: &[u8]) -> Result<PhotoType, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(PhotoError::TooLarge(bytes.len()));
    }
    PhotoType::sniff(bytes).ok_or(PhotoError::WrongType)
}

/// Whether `text` is a SHA-256 as photos are named: 64 lower-case hex digits.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_read_from_the_bytes() {
        assert_eq!(PhotoType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some(PhotoType::Jpeg));
        assert_eq!(PhotoType::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(PhotoType::Png));
        assert_eq!(PhotoType::sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(PhotoType::Webp));
        for bad in [&b""[..], b"\x89PNG", b"RIFF\0\0\0\0WAVE", b"GIF89a", b"<svg xmlns=", b"%PDF-1.7", b"\xFF\xD8"] {
            assert_eq!(PhotoType::sniff(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn size_and_kind_are_checked() {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        assert_eq!(check(&png), Ok(PhotoType::Png));
        png.resize(MAX_PHOTO_BYTES, 0);
        assert_eq!(check(&png), Ok(PhotoType::Png));
        png.push(0);
        assert_eq!(check(&png), Err(PhotoError::TooLarge(MAX_PHOTO_BYTES + 1)));
        assert_eq!(check(b""), Err(PhotoError::Empty));
        assert_eq!(check(b"just text"), Err(PhotoError::WrongType));
    }

    #[test]
    fn content_types_round_trip() {
        for k in PhotoType::ALL {
            assert_eq!(PhotoType::from_content_type(k.content_type()), Some(k));
        }
        assert_eq!(PhotoType::from_content_type("image/gif"), None);
        assert_eq!(PhotoType::from_content_type("IMAGE/PNG"), None);
    }

    #[test]
    fn names_are_sha256_hex() {
        assert!(is_sha256_hex(&"ab".repeat(32)));
        assert!(!is_sha256_hex(&"AB".repeat(32)));
        assert!(!is_sha256_hex(&"ab".repeat(31)));
        assert!(!is_sha256_hex(&format!("{}g", "a".repeat(63))));
    }
}
