//! A decoded text back to a file's bytes: the inverse of [`crate::read::decode`] and of the
//! decompression before it.
//!
//! In: a text as the reader decoded it (UTF-8, or the raw bytes of a file that was not valid
//! UTF-8), how it was decoded and how it was compressed. Out: the bytes to write: Latin-1 and
//! UTF-16 (with its byte order mark) as they came, gzip and zstd compressed again.

use std::io::{self, Write};

use crate::read::{Compression, Decoding};

/// The file bytes for `text`, decoded with `decoding` from a file stored with `compression`.
pub fn encode(
    text: Vec<u8>,
    decoding: Decoding,
    compression: Option<Compression>,
) -> io::Result<Vec<u8>> {
    let bytes = match decoding {
        Decoding::Utf8 => text,
        Decoding::Latin1 => latin1(&text)?,
        Decoding::Utf16Le | Decoding::Utf16Be => {
            let big_endian = decoding == Decoding::Utf16Be;
            let text = String::from_utf8_lossy(&text);
            let mut out = Vec::with_capacity(2 + 2 * text.len());
            for unit in std::iter::once(0xFEFF).chain(text.encode_utf16()) {
                out.extend_from_slice(&if big_endian {
                    unit.to_be_bytes()
                } else {
                    unit.to_le_bytes()
                });
            }
            out
        }
    };
    match compression {
        None => Ok(bytes),
        Some(Compression::Gzip) => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            encoder.write_all(&bytes)?;
            encoder.finish()
        }
        Some(Compression::Zstd) => Ok(ruzstd::encoding::compress_to_vec(
            bytes.as_slice(),
            ruzstd::encoding::CompressionLevel::Fastest,
        )),
    }
}

/// UTF-8 text read from Latin-1 back to Latin-1 (every character below U+0100).
fn latin1(text: &[u8]) -> io::Result<Vec<u8>> {
    String::from_utf8_lossy(text)
        .chars()
        .map(|c| {
            u8::try_from(u32::from(c)).map_err(|_| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("{c:?} cannot be written in Latin-1"),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{ReadOptions, Source, decode};
    use std::io::Read;

    fn decoded(bytes: Vec<u8>, options: &ReadOptions) -> (Vec<u8>, Decoding) {
        match decode(bytes, None, false, options) {
            Source::Text(text) => (text.bytes, text.decoding),
            Source::Binary { .. } => panic!("binary"),
        }
    }

    #[test]
    fn utf16_and_latin1_come_back_as_they_were() {
        let utf16le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain("Zoë\n".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let utf16be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain("Zoë\n".encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        let latin1 = b"Zo\xEB\n".to_vec();
        let options = ReadOptions {
            encoding: crate::read::Encoding::Latin1,
            ..ReadOptions::default()
        };
        for file in [utf16le, utf16be, latin1] {
            let (text, decoding) = decoded(file.clone(), &options);
            assert_eq!(encode(text, decoding, None).expect("encodes"), file);
        }
    }

    #[test]
    fn compressed_files_are_compressed_again() {
        let text = b"P1\n\nP2\n".repeat(100);
        let gz = encode(text.clone(), Decoding::Utf8, Some(Compression::Gzip)).expect("gzip");
        let mut back = Vec::new();
        flate2::read::MultiGzDecoder::new(gz.as_slice())
            .read_to_end(&mut back)
            .expect("gunzip");
        assert_eq!(back, text);
        let zst = encode(text.clone(), Decoding::Utf8, Some(Compression::Zstd)).expect("zstd");
        let mut back = Vec::new();
        ruzstd::decoding::StreamingDecoder::new(zst.as_slice())
            .expect("a frame")
            .read_to_end(&mut back)
            .expect("unzstd");
        assert_eq!(back, text);
        assert!(zst.len() < text.len() && gz.len() < text.len());
    }

    #[test]
    fn a_character_latin1_cannot_hold_is_an_error() {
        assert!(encode("€".as_bytes().to_vec(), Decoding::Latin1, None).is_err());
    }
}
