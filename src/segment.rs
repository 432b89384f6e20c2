//! Stage 3, segment: file bytes to paragraphs with their location.
//!
//! In: the bytes of one file and where its text starts (after a byte order mark).
//! Out: [`Span`]s in file order, each with its 1-based first and last line and its byte range in
//! the original file, trimmed of leading and trailing blanks.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`. A line of only blank characters (white space,
//! U+00A0 and zero-width spaces included) is blank. Every non-blank line is a paragraph, unless
//! the file is hard-wrapped: then the lines of a block (non-blank lines between blank ones) that
//! were broken by a line-filling wrapper are joined into one paragraph.
//!
//! Hard-wrap detection: a block of at least [`MIN_WRAPPED_BLOCK`] lines whose widest line is
//! between [`MIN_WRAP_WIDTH`] and [`MAX_WRAP_WIDTH`] characters, where no line but the last had
//! room for the next line's first word, and whose lines are not all of one width (a ragged edge,
//! not a table or a repeated line), is evidence that the file is wrapped at that width. With
//! evidence, a line continues the paragraph above it when the line above had no room for its
//! first word, it is not indented deeper than the line above, and it does not start a list item.
//! Without evidence nothing is joined, so one-paragraph-per-line files (most web and wire text)
//! are never merged by accident.

use crate::utf8;

/// The fewest lines a block needs to count as evidence of hard wrapping.
pub const MIN_WRAPPED_BLOCK: usize = 3;
/// The narrowest wrap width recognised, in characters.
pub const MIN_WRAP_WIDTH: usize = 40;
/// The widest wrap width recognised, in characters.
pub const MAX_WRAP_WIDTH: usize = 120;

/// Where one paragraph sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// 1-based number of the paragraph's first line.
    pub line: u32,
    /// 1-based number of the paragraph's last line (inclusive).
    pub end_line: u32,
    /// Byte offset of the paragraph's first non-blank character in the file.
    pub start: usize,
    /// Byte offset just past the paragraph's last non-blank character.
    pub end: usize,
}

/// One non-blank line and the measurements the wrap detector needs.
#[derive(Debug, Clone, Copy)]
struct Line {
    number: u32,
    start: usize,
    end: usize,
    /// Characters up to the last non-blank one, indentation included.
    width: usize,
    /// Leading blank characters.
    indent: usize,
    /// Characters of the first word.
    first_word: usize,
    /// Whether the line starts with a list marker (`-`, `*`, `•`, `+`, `1.`, `1)`).
    list_item: bool,
    /// Whether the next line in the file is blank (or there is none).
    ends_block: bool,
}

/// Splits a file into paragraphs. `text_start` is the offset where the text begins (3 after a
/// UTF-8 byte order mark, else 0); line 1 still starts at offset 0.
pub fn segment(bytes: &[u8], text_start: usize) -> Vec<Span> {
    let lines = non_blank_lines(bytes, text_start);
    let width = wrap_width(&lines);
    let mut spans: Vec<Span> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let joins = i > 0
            && width.is_some_and(|w| continues(&lines[i - 1], line, w))
            && !lines[i - 1].ends_block;
        match spans.last_mut() {
            Some(last) if joins => {
                last.end_line = line.number;
                last.end = line.end;
            }
            _ => spans.push(Span {
                line: line.number,
                end_line: line.number,
                start: line.start,
                end: line.end,
            }),
        }
    }
    spans
}

/// Whether `next` continues the paragraph of `prev` in a file wrapped at `width`.
fn continues(prev: &Line, next: &Line, width: usize) -> bool {
    prev.width + 1 + next.first_word > width && next.indent <= prev.indent && !next.list_item
}

/// The file's wrap width, if some block shows that it is hard-wrapped.
fn wrap_width(lines: &[Line]) -> Option<usize> {
    let mut width = None;
    for block in lines.split_inclusive(|l| l.ends_block) {
        if block.len() < MIN_WRAPPED_BLOCK {
            continue;
        }
        let widest = block.iter().map(|l| l.width).max().unwrap_or(0);
        if !(MIN_WRAP_WIDTH..=MAX_WRAP_WIDTH).contains(&widest) {
            continue;
        }
        let filled = block
            .windows(2)
            .all(|pair| pair[0].width + 1 + pair[1].first_word > widest);
        // A wrapper leaves a ragged edge; lines all of one width are a table, fixed-width
        // records or one line repeated.
        let ragged = block.iter().any(|l| l.width != block[0].width);
        if filled && ragged {
            width = width.max(Some(widest));
        }
    }
    width
}

fn non_blank_lines(bytes: &[u8], text_start: usize) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut number = 0u32;
    let mut pos = text_start;
    while pos < bytes.len() {
        number += 1;
        let end = pos + line_length(&bytes[pos..]);
        match measure(bytes, pos, end, number) {
            Some(line) => lines.push(line),
            None => {
                if let Some(last) = lines.last_mut() {
                    last.ends_block = true;
                }
            }
        }
        pos = match bytes.get(end) {
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        };
    }
    if let Some(last) = lines.last_mut() {
        last.ends_block = true;
    }
    lines
}

/// Bytes before the first `\n` or `\r` of `bytes` (all of them when there is none).
fn line_length(bytes: &[u8]) -> usize {
    memchr::memchr2(b'\n', b'\r', bytes).unwrap_or(bytes.len())
}

/// Measures the line `bytes[start..end]`; `None` when it is blank.
fn measure(bytes: &[u8], start: usize, end: usize, number: u32) -> Option<Line> {
    let line = &bytes[start..end];
    if line.is_ascii() {
        return measure_ascii(line, start, number);
    }
    measure_chars(bytes, start, end, number)
}

/// [`measure`] for a line of ASCII only, where every byte is a character.
fn measure_ascii(line: &[u8], start: usize, number: u32) -> Option<Line> {
    // The ASCII characters `char::is_whitespace` (and so `utf8::is_blank`) accepts.
    let blank = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let indent = line.iter().position(|b| !blank(b))?;
    let width = line.iter().rposition(|b| !blank(b))? + 1;
    let first_word = line[indent..]
        .iter()
        .position(blank)
        .unwrap_or(width - indent);
    let marker = std::str::from_utf8(&line[indent..indent + first_word]).unwrap_or("");
    Some(Line {
        number,
        start: start + indent,
        end: start + width,
        width,
        indent,
        first_word,
        list_item: is_list_marker(marker),
        ends_block: false,
    })
}

/// [`measure`] character by character.
fn measure_chars(bytes: &[u8], start: usize, end: usize, number: u32) -> Option<Line> {
    let mut first = None;
    let mut last_end = start;
    let mut width = 0;
    let mut indent = 0;
    let mut first_word = 0;
    let mut in_first_word = false;
    let mut first_word_end = start;
    for (count, (offset, c, len)) in utf8::chars(&bytes[start..end]).enumerate() {
        if utf8::is_blank(c) {
            if first.is_none() {
                indent += 1;
            }
            in_first_word = false;
            continue;
        }
        if first.is_none() {
            first = Some(start + offset);
            in_first_word = true;
        }
        if in_first_word {
            first_word += 1;
            first_word_end = start + offset + len;
        }
        last_end = start + offset + len;
        width = count + 1;
    }
    let start = first?;
    // An invalid byte in the first word makes it no list marker.
    let marker = std::str::from_utf8(&bytes[start..first_word_end]).unwrap_or("");
    Some(Line {
        number,
        start,
        end: last_end,
        width,
        indent,
        first_word,
        list_item: is_list_marker(marker),
        ends_block: false,
    })
}

fn is_list_marker(word: &str) -> bool {
    matches!(word, "-" | "*" | "•" | "+" | "–" | "—")
        || word
            .strip_suffix(['.', ')'])
            .is_some_and(|n| !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &str) -> Vec<(u32, u32, &str)> {
        segment(text.as_bytes(), 0)
            .into_iter()
            .map(|s| (s.line, s.end_line, &text[s.start..s.end]))
            .collect()
    }

    #[test]
    fn ascii_lines_measure_as_character_by_character() {
        for line in [
            "plain words here",
            "  indented\tand tabbed \x0b ",
            "- list item",
            "12) numbered",
            "\t \x0c",
            "word",
            " x ",
        ] {
            let b = line.as_bytes();
            let fast = measure_ascii(b, 0, 1).map(|l| (l.start, l.end, l.width, l.indent));
            let slow = measure_chars(b, 0, b.len(), 1).map(|l| (l.start, l.end, l.width, l.indent));
            assert_eq!(fast, slow, "{line:?}");
            let words = |l: Option<Line>| l.map(|l| (l.first_word, l.list_item));
            assert_eq!(
                words(measure_ascii(b, 0, 1)),
                words(measure_chars(b, 0, b.len(), 1))
            );
        }
    }

    #[test]
    fn every_non_blank_line_is_a_paragraph() {
        let text = "Title\n\nFirst line.\nSecond line, right below.\n";
        assert_eq!(
            lines_of(text),
            [
                (1, 1, "Title"),
                (3, 3, "First line."),
                (4, 4, "Second line, right below.")
            ]
        );
    }

    #[test]
    fn whitespace_only_lines_are_blank_and_text_is_trimmed() {
        let text = "a\n \t\n\u{00A0}\n\u{200B}\n  b c \u{00A0}\n";
        assert_eq!(lines_of(text), [(1, 1, "a"), (5, 5, "b c")]);
    }

    #[test]
    fn crlf_and_lone_cr_end_lines() {
        let text = "one\r\ntwo\rthree\r\n\r\nfour";
        assert_eq!(
            lines_of(text),
            [
                (1, 1, "one"),
                (2, 2, "two"),
                (3, 3, "three"),
                (5, 5, "four")
            ]
        );
    }

    #[test]
    fn byte_order_mark_is_skipped_but_offsets_stay_in_the_file() {
        let text = "\u{FEFF}Hello\nworld";
        let spans = segment(text.as_bytes(), 3);
        assert_eq!(spans[0].line, 1);
        assert_eq!(&text[spans[0].start..spans[0].end], "Hello");
        assert_eq!(&text[spans[1].start..spans[1].end], "world");
    }

    #[test]
    fn empty_and_blank_files_have_no_paragraphs() {
        assert!(segment(b"", 0).is_empty());
        assert!(segment(b"\n\n  \n", 0).is_empty());
    }

    const WRAPPED: &str = "\
Showers continued throughout the week in the Bahia cocoa zone,
alleviating the drought since early January and improving
prospects for the coming temporao, although normal humidity
levels have not been restored.

    The dry period means the temporao will be late this year
and arrivals for the week were lower than expected by the
trade.
    Shr 10 cts vs 9 cts
    Net 1,000 vs 900
";

    #[test]
    fn hard_wrapped_blocks_are_joined() {
        let got = lines_of(WRAPPED);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert_eq!((got[0].0, got[0].1), (1, 4));
        assert!(got[0].2.starts_with("Showers") && got[0].2.ends_with("restored."));
        // An indented line starts a new paragraph; the short table lines stay apart.
        assert_eq!((got[1].0, got[1].1), (6, 8));
        assert_eq!(got[2], (9, 9, "Shr 10 cts vs 9 cts"));
        assert_eq!(got[3], (10, 10, "Net 1,000 vs 900"));
    }

    #[test]
    fn hard_wrapped_crlf_file_keeps_byte_ranges() {
        let text = WRAPPED.replace('\n', "\r\n");
        let spans = segment(text.as_bytes(), 0);
        assert_eq!(spans.len(), 4);
        assert!(text[spans[0].start..spans[0].end].ends_with("restored."));
        assert!(text[spans[0].start..spans[0].end].contains("zone,\r\nalleviating"));
    }

    #[test]
    fn list_items_in_a_wrapped_file_stay_apart() {
        let text = "\
The kernel documentation is wrapped at seventy-two columns and this
block proves it, because every line here is filled up to the margin
before the wrapper breaks it onto the next line of the paragraph.

- first item of a list that is long enough to fill the whole line up
- second item
";
        let got = lines_of(text);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert_eq!((got[1].0, got[2].0), (5, 6));
    }

    #[test]
    fn lines_all_of_one_width_are_not_wrapped_prose() {
        let repeated =
            "The quick brown fox jumps over the lazy dog near the river bank.\n".repeat(5);
        assert_eq!(segment(repeated.as_bytes(), 0).len(), 5);
        let table = "ACME CORP    1,234.50    +2.5%    NYSE    2026-11-20    CLOSE\n\
                     BETA INDS      987.00    -1.0%    NYSE    2026-11-20    CLOSE\n\
                     GAMMA LTD       12.75    +0.3%    LSE     2026-11-20    CLOSE\n";
        assert_eq!(segment(table.as_bytes(), 0).len(), 3);
    }

    #[test]
    fn unwrapped_prose_lines_are_not_joined() {
        // One paragraph per line, as in wire copy scraped from the web: lines of very different
        // widths in one block. None of them may be merged.
        let text = "\
BEIRUT: Clashes have erupted on the Syrian-Iraqi border between Daesh militants and Iraqi paramilitary fighters as the terrorist group defends its last stronghold.
He said his forces are building berms along the border to prevent militants from sneaking back.
The US-led coalition said anti-Daesh forces would hunt down jihadists to the last one.
";
        assert_eq!(lines_of(text).len(), 3);
        // Short lines of similar width (a list of headlines) are not evidence either.
        let headlines = "EU, Turkey call for better ties\nDaesh on verge of collapse\nIS in fierce fightback now\n";
        assert_eq!(lines_of(headlines).len(), 3);
    }
}
