//! JSON Lines records: paragraphs cut from the text field's string where it stands in its line.
//!
//! In: one record's line (as read, without its line end), the name of its text field, and the
//! [`Cut`]s to make in the string's decoded text. Out: the line with those bytes cut from the
//! string literal itself, escapes and all, so every other byte of the line (the other fields,
//! their order, the spacing, the escapes of the text that stays) is as it was.

use std::borrow::Cow;
use std::collections::HashMap;
use std::ops::Range;

use serde_json::value::RawValue;

use super::cut::Cut;

/// The text of a record line, and where its text field's string literal is in the line.
#[derive(Debug)]
pub struct TextField {
    /// The string, decoded.
    pub text: String,
    /// The literal's bytes in the line, quotes included.
    pub literal: Range<usize>,
}

/// Finds the text field of a record line: the last value of that name, as the reader takes it.
pub fn text_field(line: &str, field: &str) -> Result<TextField, String> {
    let fields: HashMap<Cow<'_, str>, &RawValue> =
        serde_json::from_str(line).map_err(|e| format!("malformed JSON record: {e}"))?;
    let raw = fields
        .get(field)
        .ok_or_else(|| format!("record has no \"{field}\" field"))?;
    let text: String = serde_json::from_str(raw.get())
        .map_err(|_| format!("field \"{field}\" is not a string"))?;
    // A borrowed raw value is a slice of the line.
    let start = raw.get().as_ptr() as usize - line.as_ptr() as usize;
    Ok(TextField {
        text,
        literal: start..start + raw.get().len(),
    })
}

/// The string literal `literal` (quotes included) with the decoded bytes of `cuts` cut out.
pub fn cut_literal(literal: &[u8], cuts: &[Cut]) -> Vec<u8> {
    let mut wanted: Vec<usize> = cuts.iter().flat_map(|c| [c.start, c.end]).collect();
    wanted.dedup();
    let raw = raw_offsets(literal, &wanted);
    let at = |decoded: usize| raw[wanted.binary_search(&decoded).expect("asked for")];
    let mut out = Vec::with_capacity(literal.len());
    let mut from = 0;
    for cut in cuts {
        out.extend_from_slice(&literal[from..at(cut.start)]);
        from = at(cut.end);
    }
    out.extend_from_slice(&literal[from..]);
    out
}

/// For each decoded offset in `wanted` (sorted), the offset in `literal` where the bytes that
/// decode from there on start; the decoded end maps to the closing quote.
fn raw_offsets(literal: &[u8], wanted: &[usize]) -> Vec<usize> {
    let mut out = Vec::with_capacity(wanted.len());
    let mut next = wanted.iter().copied().peekable();
    let (mut raw, mut decoded) = (1, 0);
    let end = literal.len() - 1;
    loop {
        while next.peek() == Some(&decoded) {
            out.push(raw);
            next.next();
        }
        if raw >= end || next.peek().is_none() {
            break;
        }
        let (raw_len, decoded_len) = match literal[raw] {
            b'\\' => match literal.get(raw + 1) {
                Some(b'u') => {
                    let unit = hex4(&literal[raw + 2..raw + 6]);
                    let pair = (0xD800..0xDC00).contains(&unit)
                        && literal.get(raw + 6..raw + 8) == Some(b"\\u");
                    match (pair, unit) {
                        (true, _) => (12, 4),
                        (false, 0..0x80) => (6, 1),
                        (false, 0x80..0x800) => (6, 2),
                        (false, _) => (6, 3),
                    }
                }
                _ => (2, 1),
            },
            _ => (1, 1),
        };
        raw += raw_len;
        decoded += decoded_len;
    }
    // Offsets past the text (never asked for by a cut) map to the closing quote.
    out.resize(wanted.len(), end);
    out
}

fn hex4(digits: &[u8]) -> u32 {
    std::str::from_utf8(digits)
        .ok()
        .and_then(|d| u32::from_str_radix(d, 16).ok())
        .unwrap_or(0xFFFD)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut_record(line: &str, remove: &[(usize, usize)]) -> String {
        let field = text_field(line, "text").expect("a record");
        let cuts: Vec<Cut> = remove
            .iter()
            .map(|&(start, end)| Cut { start, end })
            .collect();
        let literal = cut_literal(&line.as_bytes()[field.literal.clone()], &cuts);
        let mut out = line.as_bytes()[..field.literal.start].to_vec();
        out.extend_from_slice(&literal);
        out.extend_from_slice(&line.as_bytes()[field.literal.end..]);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn the_literal_is_found_where_it_stands() {
        let line = r#"{"id": 7, "text" : "a\nb", "z": [1]}"#;
        let field = text_field(line, "text").expect("a record");
        assert_eq!(field.text, "a\nb");
        assert_eq!(&line[field.literal], r#""a\nb""#);
    }

    #[test]
    fn the_last_field_of_the_name_is_the_text() {
        let line = r#"{"text": "old", "text": "new"}"#;
        assert_eq!(text_field(line, "text").expect("a record").text, "new");
    }

    #[test]
    fn cuts_keep_every_other_byte_and_escape() {
        // Decoded: "P1\n\nP2 \u{e9}\n\nP3" — P2's paragraph and line end cut.
        let line = r#"{"id":"x","text":"P1\n\nP2 \u00e9\n\nP3","n":1}"#;
        let text = text_field(line, "text").expect("a record").text;
        assert_eq!(text, "P1\n\nP2 é\n\nP3");
        let start = text.find("P2").expect("P2");
        let end = text.find("P3").expect("P3");
        assert_eq!(
            cut_record(line, &[(start, end)]),
            r#"{"id":"x","text":"P1\n\nP3","n":1}"#
        );
    }

    #[test]
    fn offsets_count_decoded_bytes_across_escapes() {
        // "\ud83d\ude00" is one 4-byte character; "\"" and "\\" one byte each; "é" raw is two.
        let line = r#"{"text":"\ud83d\ude00\"\\é|tail"}"#;
        let text = text_field(line, "text").expect("a record").text;
        let at = text.find('|').expect("bar");
        assert_eq!(at, 4 + 1 + 1 + 2);
        assert_eq!(cut_record(line, &[(0, at)]), r#"{"text":"|tail"}"#);
        assert_eq!(
            cut_record(line, &[(at, text.len())]),
            r#"{"text":"\ud83d\ude00\"\\é"}"#
        );
    }

    #[test]
    fn a_line_that_is_not_a_record_is_refused() {
        assert!(text_field("[1, 2]", "text").is_err());
        assert!(text_field(r#"{"body": "x"}"#, "text").is_err());
        assert!(text_field(r#"{"text": 3}"#, "text").is_err());
    }
}
