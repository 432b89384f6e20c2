//! Stage 2, read: a file path to its bytes, ready to segment.
//!
//! In: the path of one regular file.
//! Out: [`Read::Text`] with the file's bytes, the offset where the text starts (after a UTF-8
//! byte order mark) and whether the bytes are valid UTF-8; [`Read::Binary`] for a file with a NUL
//! byte in its first 8 KiB; or the I/O error.
//!
//! Bytes are kept as they are: invalid UTF-8 is decoded lossily (as U+FFFD) by the later stages,
//! which keeps every byte offset true to the file. The caller turns `valid_utf8 == false` into a
//! warning for the file.

use std::io;
use std::path::Path;

/// How much of a file is searched for a NUL byte to call it binary.
pub const BINARY_PROBE: usize = 8 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What reading a file gave.
#[derive(Debug)]
pub enum Read {
    /// A text file.
    Text {
        /// The whole file.
        bytes: Vec<u8>,
        /// Where the text starts: 3 after a UTF-8 byte order mark, else 0.
        text_start: usize,
        /// Whether the bytes are valid UTF-8.
        valid_utf8: bool,
    },
    /// A binary file, skipped.
    Binary {
        /// The file's size in bytes.
        size: u64,
    },
}

/// Reads one file.
pub fn read(path: &Path) -> io::Result<Read> {
    let bytes = std::fs::read(path)?;
    Ok(classify(bytes))
}

/// Classifies bytes already read.
pub fn classify(bytes: Vec<u8>) -> Read {
    if bytes[..bytes.len().min(BINARY_PROBE)].contains(&0) {
        return Read::Binary {
            size: bytes.len() as u64,
        };
    }
    let text_start = if bytes.starts_with(BOM) { BOM.len() } else { 0 };
    let valid_utf8 = std::str::from_utf8(&bytes).is_ok();
    Read::Text {
        bytes,
        text_start,
        valid_utf8,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_in_the_first_8_kib_means_binary() {
        assert!(matches!(
            classify(b"PK\x03\x04\x00\x00".to_vec()),
            Read::Binary { .. }
        ));
        let mut late = vec![b'a'; BINARY_PROBE];
        late.push(0);
        assert!(matches!(classify(late), Read::Text { .. }));
    }

    #[test]
    fn bom_and_invalid_utf8() {
        match classify(b"\xEF\xBB\xBFhi \xff".to_vec()) {
            Read::Text {
                text_start,
                valid_utf8,
                ..
            } => {
                assert_eq!(text_start, 3);
                assert!(!valid_utf8);
            }
            Read::Binary { .. } => panic!("text read as binary"),
        }
    }
}
