//! Which bytes go with a removed paragraph, and the text without them.
//!
//! In: a document's text (a file's decoded text, or a JSON Lines record's string) and the byte
//! spans of the paragraphs to remove, as the report gives them. Out: one [`Cut`] per paragraph,
//! disjoint and in text order, and the text with them cut out.
//!
//! The rule: a removed paragraph takes with it the indentation before it on its line, the blanks
//! after it, its line end and the blank lines that follow, up to the next line with text. The
//! blank lines before it stay, so the run of blank lines between the paragraphs around it is the
//! one the file had before it. A removal that reaches the end of the text (nothing but blanks
//! after it) takes the blank lines before it instead, so no blank line is left at the end that
//! was not there. Lines end at `\n`, `\r\n` or a lone `\r`; blank is [`utf8::is_blank`], as for
//! the segmenter.

use std::ops::Range;

use crate::utf8;

/// The bytes removed with one paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cut {
    /// First byte removed.
    pub start: usize,
    /// Just past the last byte removed.
    pub end: usize,
}

/// Why spans cannot be cut from a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSpan {
    /// The span.
    pub span: Range<usize>,
    /// The text's length.
    pub len: usize,
}

/// The cuts for the paragraph `spans` (sorted by start, disjoint) of `text`, one per span in that
/// order; an error for a span that is not inside the text, or overlaps the one before.
pub fn cuts(text: &[u8], spans: &[Range<usize>]) -> Result<Vec<Cut>, BadSpan> {
    let mut cuts: Vec<Cut> = Vec::with_capacity(spans.len());
    for span in spans {
        let fits = span.start < span.end
            && span.end <= text.len()
            && cuts.last().is_none_or(|c| c.end <= span.start);
        if !fits {
            return Err(BadSpan {
                span: span.clone(),
                len: text.len(),
            });
        }
        let start = line_start_if_blank_before(text, span.start);
        let end = past_blank_lines(text, past_line_end(text, span.end));
        // A paragraph's start never falls inside the previous cut: that cut ended at a line
        // with text, this paragraph's line or one before it.
        let start = start.max(cuts.last().map_or(0, |c| c.end));
        cuts.push(Cut { start, end });
    }
    // A removal reaching the end of the text takes the blank lines before it instead.
    let mut run_start = 0;
    for i in 0..cuts.len() {
        if i > 0 && cuts[i - 1].end != cuts[i].start {
            run_start = i;
        }
        if text[cuts[i].end..].iter().all(|&b| is_ascii_blank(b)) {
            cuts[i].end = text.len();
            let first = &mut cuts[run_start];
            first.start = back_over_blank_lines(text, first.start);
        }
    }
    Ok(cuts)
}

/// `text` without the bytes of `cuts` (disjoint, in order).
pub fn cut_out(text: &[u8], cuts: &[Cut]) -> Vec<u8> {
    let removed: usize = cuts.iter().map(|c| c.end - c.start).sum();
    let mut out = Vec::with_capacity(text.len() - removed);
    let mut at = 0;
    for cut in cuts {
        out.extend_from_slice(&text[at..cut.start]);
        at = cut.end;
    }
    out.extend_from_slice(&text[at..]);
    out
}

fn is_line_end(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

/// An ASCII blank or line end: what may stand after the last removal for it to reach the end.
fn is_ascii_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// The length of the blank character ending at `at` (0 when the character there is not blank or
/// is a line end).
fn blank_before(text: &[u8], at: usize) -> usize {
    let from = at.saturating_sub(4);
    let Some((offset, c, len)) = utf8::chars(&text[from..at]).last() else {
        return 0;
    };
    let whole = from + offset + len == at;
    if whole && c != '\n' && c != '\r' && utf8::is_blank(c) {
        len
    } else {
        0
    }
}

/// The length of the blank character starting at `at` (0 when it is not blank or is a line end).
fn blank_after(text: &[u8], at: usize) -> usize {
    match utf8::chars(&text[at..text.len().min(at + 4)]).next() {
        Some((0, c, len)) if c != '\n' && c != '\r' && utf8::is_blank(c) => len,
        _ => 0,
    }
}

/// The start of `at`'s line when only blanks stand before `at` on it, else `at`.
fn line_start_if_blank_before(text: &[u8], at: usize) -> usize {
    let mut i = at;
    loop {
        let len = blank_before(text, i);
        if len == 0 {
            break;
        }
        i -= len;
    }
    if i == 0 || is_line_end(text[i - 1]) {
        i
    } else {
        at
    }
}

/// Past the blanks after `at` and the line end they reach; `at` itself when text follows on
/// the line.
fn past_line_end(text: &[u8], at: usize) -> usize {
    let mut i = at;
    loop {
        let len = blank_after(text, i);
        if len == 0 {
            break;
        }
        i += len;
    }
    match text.get(i..) {
        Some([b'\r', b'\n', ..]) => i + 2,
        Some([b'\n' | b'\r', ..]) => i + 1,
        Some([]) => i,
        _ => at,
    }
}

/// Past the blank lines (blanks, then a line end) that start at `at`, which is a line start.
fn past_blank_lines(text: &[u8], at: usize) -> usize {
    let mut i = at;
    loop {
        let next = past_line_end(text, i);
        if next == i || next == text.len() && !text[i..].iter().any(|&b| is_line_end(b)) {
            return i;
        }
        i = next;
    }
}

/// Back over the blank lines that end at `at`, which is a line start: to the start of the first
/// of them, just past the line end of the last line with text.
fn back_over_blank_lines(text: &[u8], at: usize) -> usize {
    let mut i = at;
    while i > 0 {
        // The line before `i` ends at `i`: its line end is one or two bytes.
        let mut j = i - 1;
        if text[j] == b'\n' && j > 0 && text[j - 1] == b'\r' {
            j -= 1;
        }
        // The line is blank when only blanks stand before its line end.
        let start = line_start_if_blank_before(text, j);
        if start > 0 && !is_line_end(text[start - 1]) {
            break;
        }
        i = start;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text with the paragraphs holding each of `remove` (a substring, once in the text) cut.
    fn without(text: &str, remove: &[&str]) -> String {
        let mut spans: Vec<Range<usize>> = remove
            .iter()
            .map(|r| {
                let start = text.find(r).expect("in the text");
                start..start + r.len()
            })
            .collect();
        spans.sort_by_key(|s| s.start);
        let cuts = cuts(text.as_bytes(), &spans).expect("spans fit");
        String::from_utf8(cut_out(text.as_bytes(), &cuts)).expect("UTF-8")
    }

    #[test]
    fn a_paragraph_between_two_takes_its_blank_line_after() {
        assert_eq!(without("P1\n\nP2\n\nP3\n", &["P2"]), "P1\n\nP3\n");
        assert_eq!(
            without("P1\r\n\r\nP2\r\n\r\nP3\r\n", &["P2"]),
            "P1\r\n\r\nP3\r\n"
        );
        assert_eq!(without("P1\r\rP2\r\rP3\r", &["P2"]), "P1\r\rP3\r");
        assert_eq!(without("L1\nL2\nL3\n", &["L2"]), "L1\nL3\n");
    }

    #[test]
    fn the_blank_run_left_is_never_longer_than_the_file_had() {
        assert_eq!(without("P1\n\nP2\n\n\n\nP3\n", &["P2"]), "P1\n\nP3\n");
        assert_eq!(without("P1\n\n\n\nP2\n\nP3\n", &["P2"]), "P1\n\n\n\nP3\n");
        assert_eq!(
            without("P1\n\nP2\n \t\n\u{a0}\nP3\n", &["P2"]),
            "P1\n\nP3\n"
        );
    }

    #[test]
    fn a_last_paragraph_takes_the_blank_lines_before_it() {
        assert_eq!(without("P1\n\nP2\n", &["P2"]), "P1\n");
        assert_eq!(without("P1\n\nP2", &["P2"]), "P1\n");
        assert_eq!(without("P1\n\nP2\n\n\n", &["P2"]), "P1\n");
        assert_eq!(without("P1\r\n\r\nP2\r\n", &["P2"]), "P1\r\n");
        assert_eq!(without("P1\n\nP2\n\nP3\n", &["P2", "P3"]), "P1\n");
        assert_eq!(without("P1\n", &["P1"]), "");
        assert_eq!(without("\n\nP1\n\n", &["P1"]), "");
    }

    #[test]
    fn a_first_paragraph_leaves_what_was_before_it() {
        assert_eq!(without("P1\n\nP2\n", &["P1"]), "P2\n");
        assert_eq!(without("\n\nP1\n\nP2\n", &["P1"]), "\n\nP2\n");
        assert_eq!(without("P1\n\nP2\n\nP3\n", &["P1", "P2"]), "P3\n");
    }

    #[test]
    fn indentation_and_trailing_blanks_go_with_the_paragraph() {
        assert_eq!(
            without("  P1\n\n  P2  \n\n  P3\n", &["P2"]),
            "  P1\n\n  P3\n"
        );
        assert_eq!(without("\u{3000}P1\n\u{3000}P2\n", &["P1"]), "\u{3000}P2\n");
    }

    #[test]
    fn a_wrapped_paragraph_goes_whole() {
        let text = "First line of one\nparagraph wrapped.\n\nSecond one.\n";
        assert_eq!(
            without(text, &["First line of one\nparagraph wrapped."]),
            "Second one.\n"
        );
    }

    #[test]
    fn text_on_the_same_line_stays() {
        // Not a layout the segmenter makes, but the cut must not eat text it was not given.
        assert_eq!(without("a P1 b\n", &["P1"]), "a  b\n");
    }

    #[test]
    fn cuts_are_one_per_span_disjoint_and_in_order() {
        let text = b"P1\n\nP2\n\nP3\n\nP4\n";
        let cuts = cuts(text, &[4..6, 8..10, 12..14]).expect("fits");
        assert_eq!(cuts.len(), 3);
        assert!(cuts.windows(2).all(|w| w[0].end <= w[1].start));
        assert_eq!(cut_out(text, &cuts), b"P1\n");
    }

    #[test]
    fn a_span_outside_the_text_or_overlapping_is_refused() {
        assert!(cuts(b"P1\n", std::slice::from_ref(&(0..9))).is_err());
        assert!(cuts(b"P1 P2\n", &[0..4, 2..5]).is_err());
    }
}
