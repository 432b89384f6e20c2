//! Stage 3, segment: file bytes to paragraphs with their location.
//!
//! In: the bytes of one file and where its text starts (after a byte order mark).
//! Out: [`Span`]s in file order, each with its 1-based first and last line and its byte range in
//! the original file, trimmed of leading and trailing blanks.
//!
//! Lines end at `\n`, `\r\n` or a lone `\r`. A line of only blank characters (white space,
//! U+00A0 and zero-width spaces included) is blank. Every non-blank line is a paragraph, unless
//! its block (the non-blank lines between blank ones) is hard-wrapped: then the lines of the block
//! that a wrapper broke are joined into one paragraph. An indented full stop alone (` .`, the
//! empty line inside a field of a Debian control file or `debian/copyright`, between the
//! paragraphs of a licence text) is a paragraph that ends the block above it and is a block of
//! its own, as if blank lines stood around it.
//!
//! Hard-wrap detection looks at the lines that are not the last of their block (a block's last
//! line is where a paragraph ends short). There are two kinds of evidence:
//!
//! - Most lines end near one width. A set of lines, the whole file or one block, is wrapped at W
//!   when, for one W between [`MIN_WRAP_WIDTH`] and [`MAX_WRAP_WIDTH`] characters, at least
//!   [`MIN_WRAPPED_LINES`] of its lines that are not the last of their block, and more than half
//!   of them, are near W: between W − [`WRAP_SLACK`] and W characters wide, and at least
//!   [`MIN_WRAP_WIDTH`]. W is the narrowest width with the most lines near it (the mode of the
//!   widths, within the slack), and the lines near it must not all be of one width (a ragged
//!   edge, not a table of fixed-width rows or one line repeated). Lines away from W, a long line
//!   among short ones or the short line before a list, are allowed while they are the minority.
//!   Such a W allows [`WRAP_SLACK`]: a wrapped line may end that far short of it.
//! - A line-filling wrapper (the rule before the mode rule, kept): a block of at least
//!   [`MIN_WRAPPED_LINES`] lines whose widest line is between [`MIN_WRAP_WIDTH`] and
//!   [`MAX_WRAP_WIDTH`] characters, where no line but the last had room for the next line's first
//!   word at that width, and whose lines are not all of one width, is wrapped at its widest line,
//!   with no slack. The blocks of a file together are line-filled the same way when together
//!   they hold at least [`MIN_WRAPPED_LINES`] lines that are not the last of their block: a small
//!   file of paragraphs of two or three lines, none of which shows the width alone.
//!
//! A block is wrapped at its own width when it shows one (near one width, else line-filled), else
//! at the file's: the width most of the file's lines end near, else the widest of its line-filled
//! blocks (the width its blocks show together first). It is not wrapped after all when most of its lines but the last are more than a quarter
//! wider than that width (lines of one paragraph each inside a wrapped file). In a wrapped block a
//! line continues the paragraph above it when the line above had no room for its first word at the
//! width less the slack (the slack absorbs a wrapper that does not fill every line, and words
//! edited after wrapping), it is not indented deeper than the line above, and it does not start a
//! list item. The one deeper indent allowed is a hanging indent: the line above starts the
//! paragraph with an enumerator (a list marker, or a word of at most five characters ending in `.`
//! or `)`: `a)`, `(iv)`, `1.1.`) and this line is indented to where the text after it starts.
//!
//! Without evidence nothing is joined. A file where no block, nor the file as a whole, has more
//! than half of those lines between [`MIN_WRAP_WIDTH`] and [`MAX_WRAP_WIDTH`] characters wide, and
//! no block is line-filled (alone or with the others), is never joined: one-paragraph-per-line
//! files (web and wire text, whose paragraphs are mostly longer, and headlines, which are
//! shorter) are not merged by accident.

use crate::utf8;

/// The fewest lines near one width, and the fewest lines of a line-filled block, that count as
/// evidence of hard wrapping.
pub const MIN_WRAPPED_LINES: usize = 3;
/// The narrowest wrap width recognised, in characters; narrower lines are never near it.
pub const MIN_WRAP_WIDTH: usize = 40;
/// The widest wrap width recognised, in characters.
pub const MAX_WRAP_WIDTH: usize = 120;
/// How many characters short of the wrap width a wrapped line may end.
pub const WRAP_SLACK: usize = 6;

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
    /// Characters before the second word (0 when there is none): where a hanging indent goes.
    hang: usize,
    /// Whether the line starts with a list marker (`-`, `*`, `•`, `+`, `1.`, `1)`).
    list_item: bool,
    /// Whether the first word is a list marker or an enumerator such as `a)`, `(iv)` or `1.1.`.
    enumerator: bool,
    /// Whether the next line in the file is blank (or there is none), or either is an empty
    /// field line (` .`).
    ends_block: bool,
}

/// Splits a file into paragraphs. `text_start` is the offset where the text begins (3 after a
/// UTF-8 byte order mark, else 0); line 1 still starts at offset 0.
pub fn segment(bytes: &[u8], text_start: usize) -> Vec<Span> {
    let lines = non_blank_lines(bytes, text_start);
    let blocks = || lines.split_inclusive(|l| l.ends_block);
    let mut file = Widths::new();
    for block in blocks() {
        file.add(body(block));
    }
    // Without one width for most of its lines, a file is wrapped at the width its blocks show
    // line-filled together, else at the width of its widest line-filled block, if it has one.
    let all: Vec<&[Line]> = blocks().collect();
    let file_wrap = file
        .wrap()
        .or_else(|| filled(&all, MIN_WRAPPED_LINES))
        .or_else(|| {
            blocks()
                .filter_map(|b| filled(&[b], MIN_WRAPPED_LINES - 1))
                .max_by_key(|w| w.width)
        });
    let mut spans: Vec<Span> = Vec::new();
    for block in blocks() {
        let wrap = block_wrap(block, file_wrap);
        for (i, line) in block.iter().enumerate() {
            let joins = i > 0
                && wrap.is_some_and(|wrap| {
                    let prev = &block[i - 1];
                    let starts = spans.last().is_some_and(|s| s.line == prev.number);
                    continues(prev, starts, line, wrap)
                });
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
    }
    spans
}

/// The lines of a block that are not its last: the lines a wrapper broke, if any.
fn body(block: &[Line]) -> &[Line] {
    &block[..block.len().saturating_sub(1)]
}

/// A width lines were wrapped at, and how far short of it a line may end and still have had no
/// room for the next word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Wrap {
    width: usize,
    /// [`WRAP_SLACK`] for a width found by the mode of the widths; 0 for a line-filled block's,
    /// which every line reached.
    slack: usize,
}

/// How `block` is wrapped: at its own width, else at the file's, unless most of its lines are
/// more than a quarter wider than that (one paragraph per line inside a wrapped file).
fn block_wrap(block: &[Line], file_wrap: Option<Wrap>) -> Option<Wrap> {
    let body = body(block);
    if body.is_empty() {
        return None;
    }
    let near_one_width = if body.len() >= MIN_WRAPPED_LINES {
        let mut own = Widths::new();
        own.add(body);
        own.wrap()
    } else {
        None
    };
    let wrap = near_one_width
        .or_else(|| filled(&[block], MIN_WRAPPED_LINES - 1))
        .or(file_wrap)?;
    let wider = body
        .iter()
        .filter(|l| l.width > wrap.width + wrap.width / 4)
        .count();
    (2 * wider <= body.len()).then_some(wrap)
}

/// The width of blocks that a line-filling wrapper broke: at least `breaks` lines that are not
/// the last of their block (a block of [`MIN_WRAPPED_LINES`] lines alone, or the file's blocks
/// together: a small file whose paragraphs are blocks of two or three lines shows its width
/// only so), the widest line of the blocks between [`MIN_WRAP_WIDTH`] and [`MAX_WRAP_WIDTH`]
/// characters, no line but a block's last with room for the next line's first word at that
/// width, and not all of one width.
fn filled(blocks: &[&[Line]], breaks: usize) -> Option<Wrap> {
    if blocks.iter().map(|b| body(b).len()).sum::<usize>() < breaks {
        return None;
    }
    // Single lines hold no break: they say nothing of the width.
    let lines = || blocks.iter().filter(|b| b.len() > 1).flat_map(|b| b.iter());
    let widest = lines().map(|l| l.width).max()?;
    let filled = blocks.iter().all(|b| {
        b.windows(2)
            .all(|pair| pair[0].width + 1 + pair[1].first_word > widest)
    });
    let ragged = lines().any(|l| l.width != widest);
    ((MIN_WRAP_WIDTH..=MAX_WRAP_WIDTH).contains(&widest) && filled && ragged).then_some(Wrap {
        width: widest,
        slack: 0,
    })
}

/// Whether `next` continues the paragraph of `prev` in a block wrapped as `wrap`; `starts` is
/// whether `prev` is the first line of its paragraph.
fn continues(prev: &Line, starts: bool, next: &Line, wrap: Wrap) -> bool {
    let no_room = prev.width + 1 + next.first_word > wrap.width - wrap.slack;
    let hanging = starts && prev.enumerator && prev.hang > 0 && next.indent == prev.hang;
    no_room && (next.indent <= prev.indent || hanging) && !next.list_item
}

/// How many lines that are not the last of their block have each width: the evidence of
/// wrapping for the file or for one block.
struct Widths {
    /// Lines of each width from [`MIN_WRAP_WIDTH`] to [`MAX_WRAP_WIDTH`], indexed by width.
    near: [usize; MAX_WRAP_WIDTH + 1],
    /// All lines, of any width.
    lines: usize,
}

impl Widths {
    fn new() -> Self {
        Widths {
            near: [0; MAX_WRAP_WIDTH + 1],
            lines: 0,
        }
    }

    fn add(&mut self, lines: &[Line]) {
        self.lines += lines.len();
        for l in lines {
            if (MIN_WRAP_WIDTH..=MAX_WRAP_WIDTH).contains(&l.width) {
                self.near[l.width] += 1;
            }
        }
    }

    /// The width these lines are wrapped at, if they show one (the rule in the module doc).
    fn wrap(&self) -> Option<Wrap> {
        if self.lines < MIN_WRAPPED_LINES {
            return None;
        }
        let band = |w: usize| &self.near[w.saturating_sub(WRAP_SLACK).max(MIN_WRAP_WIDTH)..=w];
        // The lines near each width in turn, as a sliding sum over the band.
        let (mut best, mut near) = ((0, 0), 0);
        for w in MIN_WRAP_WIDTH..=MAX_WRAP_WIDTH {
            near += self.near[w];
            if w > MIN_WRAP_WIDTH + WRAP_SLACK {
                near -= self.near[w - WRAP_SLACK - 1];
            }
            if near > best.1 {
                best = (w, near);
            }
        }
        let (width, near) = best;
        if near < MIN_WRAPPED_LINES || 2 * near <= self.lines {
            return None;
        }
        // A wrapper leaves a ragged edge; lines all of one width are a table, fixed-width
        // records or one line repeated.
        let ragged = band(width).iter().all(|&n| n < near);
        ragged.then_some(Wrap {
            width,
            slack: WRAP_SLACK,
        })
    }
}

fn non_blank_lines(bytes: &[u8], text_start: usize) -> Vec<Line> {
    let mut lines: Vec<Line> = Vec::new();
    let mut number = 0u32;
    let mut pos = text_start;
    while pos < bytes.len() {
        number += 1;
        let end = pos + line_length(&bytes[pos..]);
        match measure(bytes, pos, end, number) {
            Some(line) => {
                // An empty line inside a field of a Debian control file: a block of its own.
                let field_break = line.indent > 0 && &bytes[line.start..line.end] == b".";
                if let Some(last) = lines.last_mut().filter(|_| field_break) {
                    last.ends_block = true;
                }
                lines.push(Line {
                    ends_block: field_break,
                    ..line
                });
            }
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
    let hang = line[indent + first_word..width]
        .iter()
        .position(|b| !blank(b))
        .map_or(0, |gap| indent + first_word + gap);
    Some(Line {
        number,
        start: start + indent,
        end: start + width,
        width,
        indent,
        first_word,
        hang,
        list_item: is_list_marker(marker),
        enumerator: is_enumerator(marker),
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
    let mut hang = 0;
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
        } else if !in_first_word && hang == 0 {
            hang = count;
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
        hang,
        list_item: is_list_marker(marker),
        enumerator: is_enumerator(marker),
        ends_block: false,
    })
}

/// Whether `word` numbers or letters an item: a list marker, or at most five characters ending in
/// `.` or `)` (`a)`, `(iv)`, `1.1.`).
fn is_enumerator(word: &str) -> bool {
    is_list_marker(word) || (word.chars().count() <= 5 && word.ends_with(['.', ')']))
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
            "(iv)   hanging",
            "  1.1. \"Contributor\" means",
            "\t \x0c",
            "word",
            " x ",
        ] {
            let b = line.as_bytes();
            let fast = measure_ascii(b, 0, 1).map(|l| (l.start, l.end, l.width, l.indent));
            let slow = measure_chars(b, 0, b.len(), 1).map(|l| (l.start, l.end, l.width, l.indent));
            assert_eq!(fast, slow, "{line:?}");
            let words =
                |l: Option<Line>| l.map(|l| (l.first_word, l.hang, l.list_item, l.enumerator));
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
    fn a_debian_copyright_licence_comes_out_as_its_paragraphs() {
        let text = "\
Files: *
Copyright: 2006 Jane Doe <jane@example.org>
License: GPL-2+

License: GPL-2+
 This program is free software; you can redistribute it and/or modify
 it under the terms of the GNU General Public License as published by
 the Free Software Foundation; either version 2 of the License, or
 (at your option) any later version.
 .
 This program is distributed in the hope that it will be useful,
 but WITHOUT ANY WARRANTY; without even the implied warranty of
 MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
 GNU General Public License for more details.
";
        let spans: Vec<(u32, u32)> = lines_of(text).iter().map(|&(a, b, _)| (a, b)).collect();
        assert_eq!(
            spans,
            [(1, 1), (2, 2), (3, 3), (5, 5), (6, 9), (10, 10), (11, 14)]
        );
        // A full stop alone that is not indented is a line of its own, as before.
        assert_eq!(
            lines_of("a\n.\nb\n"),
            [(1, 1, "a"), (2, 2, "."), (3, 3, "b")]
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
        // Six rows of one width: every row is near the width, but there is no ragged edge.
        let table = "ACME CORP    1,234.50    +2.5%    NYSE    2026-11-20    CLOSE\n\
                     BETA INDS      987.00    -1.0%    NYSE    2026-11-20    CLOSE\n\
                     GAMMA LTD       12.75    +0.3%    LSE     2026-11-20    CLOSE\n\
                     DELTA PLC      450.10    +0.9%    LSE     2026-11-20    CLOSE\n\
                     EPSILON AG      78.25    -0.4%    XETRA   2026-11-20    CLOSE\n\
                     ZETA SPA        33.00    +1.2%    MIL     2026-11-20    CLOSE\n";
        assert_eq!(segment(table.as_bytes(), 0).len(), 6);
    }

    #[test]
    fn a_small_file_shows_its_wrap_width_by_all_its_blocks() {
        // Wrapped at 72: no block shows it alone (the last one's widest line ends early, before
        // a long word), all three together do.
        let text = "Examples\n\n\
In the past, we used to have a set of examples here. However, those\n\
examples got out of date and doesn't even compile nowadays.\n\n\
Also, nowadays, the best is to use the libdvbv5 DVB API nowadays, with\n\
is fully documented.\n\n\
Please refer to the `libdvbv5\n\
<https://linuxtv.org/docs/libdvbv5/index.html>`__ for\n\
updated/recommended examples.\n";
        let lines: Vec<(u32, u32)> = segment(text.as_bytes(), 0)
            .iter()
            .map(|s| (s.line, s.end_line))
            .collect();
        assert_eq!(lines, [(1, 1), (3, 4), (6, 7), (9, 11)]);
        // Two blocks of two lines are not enough to tell.
        let two = "In the past, we used to have a set of examples here. However, those\n\
examples got out of date and doesn't even compile nowadays.\n\n\
Also, nowadays, the best is to use the libdvbv5 DVB API nowadays, with\n\
is fully documented.\n";
        assert_eq!(segment(two.as_bytes(), 0).len(), 4);
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

    #[test]
    fn one_paragraph_per_line_text_is_untouched() {
        // Most lines longer than the widest wrap width; three of them end within a few
        // characters of one another, but they are the minority of the block.
        let wire = "\
LONDON, March 3 (Reuters) - Britain's finance minister said on Tuesday the government would spend more on roads and rail over the next five years, in a budget aimed at regions outside the capital.
The spending will be paid for by higher borrowing, the minister told parliament.
Opposition lawmakers said the plans came too late for towns hit by factory closures.
Economists said the forecasts for growth were more cautious than in the autumn.
The pound rose against the dollar after the speech and government bond prices fell, as investors priced in a larger supply of gilts over the coming financial year.
The budget also raised the tax on tobacco and kept the duty on fuel frozen for a tenth year in a row, a measure the minister said would help drivers in rural areas.
Business groups welcomed the spending on infrastructure but said the rise in employer contributions would weigh on hiring by small firms in the months to come.
Headline: Minister bets on roads and rail
";
        let got = lines_of(wire);
        assert_eq!(got.len(), 8, "{got:#?}");
        assert!(got.iter().all(|(line, end, _)| line == end));
        // Headlines, all shorter than the narrowest wrap width, one per line.
        let headlines = "\
Minister bets on roads and rail to win over the regions
Pound rises after budget speech
Tobacco duty up, fuel duty frozen again
Business groups welcome spending plans
Small firms warn over hiring costs
";
        assert_eq!(lines_of(headlines).len(), 5);
    }

    #[test]
    fn unwrapped_block_in_a_wrapped_file_is_not_joined() {
        let text = "\
A line-filling wrapper broke this paragraph at about sixty
columns, and the lines of the paragraph end near that width,
which is what shows that the rest of the file is wrapped as
well, even where a block is too short to show it on its own.

Too short to tell on its own, but the file is wrapped, so
this pair of lines is joined.

Lines pasted in from a web page, one paragraph each, most of them longer than the wrap width by far, and longer than any wrap width.
Such a block keeps its lines apart although the file around it is wrapped at about sixty columns, as they were not wrapped.
Short one.
";
        let got = lines_of(text);
        assert_eq!(
            got.iter().map(|g| (g.0, g.1)).collect::<Vec<_>>(),
            [(1, 4), (6, 7), (9, 9), (10, 10), (11, 11)],
            "{got:#?}"
        );
    }

    /// A licence in the shape of the BSD licence: a short notice, a sentence ending before a
    /// numbered list, items with a hanging indent, and a disclaimer wrapped near 70 columns with
    /// one line of 75 and lines that had room for a short word.
    const BSD_LIKE: &str = r#"Copyright (c) The Wardens of the Harbour Lighthouse Guild.
All rights reserved.

Copying and use of these tide tables, in print or on screen, with
or without changes, are allowed as long as the following terms
are kept:
1. Copies of the tables must keep the notice above, this list of
   terms and the caveat below, word for word and in full.
2. Printed copies must repeat the notice above, this list of terms and
   the caveat below in the booklet or on the sheets that come with the
   tables, in type no smaller than the type of the tables themselves.
3. Neither the name of the Guild nor the names of its wardens may be
   used to vouch for tables drawn from these ones without leave given
   in writing.

THESE TABLES ARE GIVEN BY THE WARDENS AND THE GUILD "AS THEY ARE" AND
ANY PROMISE, SPOKEN, WRITTEN OR IMPLIED, THAT THEY ARE FIT FOR SAILING, FOR
FISHING OR FOR ANY OTHER USE IS DENIED.  IN NO CASE SHALL THE WARDENS OR
THE GUILD ANSWER FOR ANY LOSS, DIRECT OR INDIRECT, SMALL OR LARGE, ON
LAND OR AT SEA (SUCH AS A LOST CATCH, A LOST BOAT, LOST TIME OR A LOST
WAGER) HOWEVER IT CAME ABOUT, FROM A MISPRINT, A MISREADING OR A TIDE
THAT DID NOT KEEP TO THE TABLES, EVEN IF WARNED THAT SUCH A LOSS COULD
COME.
"#;

    #[test]
    fn bsd_like_licence_comes_out_as_its_clauses() {
        let got = lines_of(BSD_LIKE);
        let ranges: Vec<(u32, u32)> = got.iter().map(|g| (g.0, g.1)).collect();
        assert_eq!(
            ranges,
            [(1, 1), (2, 2), (4, 6), (7, 8), (9, 11), (12, 14), (16, 23)],
            "{got:#?}"
        );
        assert!(got[2].2.ends_with("as the following terms\nare kept:"));
        assert!(got[3].2.starts_with("1. Copies") && got[3].2.ends_with("in full."));
        assert!(got[6].2.starts_with("THESE TABLES") && got[6].2.ends_with("COME."));
        // The line-filling rule alone saw no evidence here: the widest line is 75 characters,
        // among lines of 62 to 72, and line 5 (62) had room for "are" even at 70.
        let lines = non_blank_lines(BSD_LIKE.as_bytes(), 0);
        let widest = lines.iter().map(|l| l.width).max().unwrap();
        assert_eq!((widest, lines[3].number, lines[3].width), (75, 5, 62));
    }

    /// A licence in the shape of the GPL: centred titles, paragraphs with an indented first
    /// line, numbered headings and lettered items, wrapped near 70 columns.
    const GPL_LIKE: &str = r#"                    HARBOUR CHART SHARING LICENCE
                       Version 2, 14 May 1998

 Copyright (C) 1998 Harbour Lighthouse Guild <https://example.org/>
 Anyone may copy and hand out exact copies of this licence.

                              Foreword

  Most charts are sold under terms that keep you from sharing them
with the next boat in the harbour.  This licence is meant to do the
opposite: to make sure that a chart handed to you can be handed on,
changed and handed on again, by anyone who sails with it.

  When we speak of free charts we mean the freedom to share them,
not their price.

                        TERMS AND CONDITIONS

  0. Definitions.

  "This Licence" means the second version of the Harbour Chart Sharing
Licence.  "The Chart" means any chart or tide table put under this
Licence by its makers, and "you" means anyone who holds a copy.

  1. Sharing Changed Charts.

  You may change your copy of the Chart and share the changed chart,
as long as you also keep to all of these conditions:

    a) The changed chart must say, in a corner of every sheet, that
    you changed it and on what date you did so.

    b) You must share the whole of the changed chart under this
    Licence, at no charge, to anyone who asks you for a copy of it.
"#;

    #[test]
    fn gpl_like_licence_comes_out_as_paragraphs() {
        let got = lines_of(GPL_LIKE);
        let ranges: Vec<(u32, u32)> = got.iter().map(|g| (g.0, g.1)).collect();
        assert_eq!(
            ranges,
            [
                (1, 1),
                (2, 2),
                (4, 5),
                (7, 7),
                (9, 12),
                (14, 15),
                (17, 17),
                (19, 19),
                (21, 23),
                (25, 25),
                (27, 28),
                (30, 31),
                (33, 34)
            ],
            "{got:#?}"
        );
        assert!(got[5].2.ends_with("share them,\nnot their price."));
    }

    #[test]
    fn hanging_indent_after_an_enumerator_continues_the_item() {
        let text = "\
Each keeper of the light grants you a licence that lasts for ever:

(a) to copy the tables, in print or on screen, and to hand out the
    copies to anyone who asks for them, at no charge or for a fee; and

(b) to change the tables and to hand out the changed ones as well,
    provided that they say plainly what was changed and by whom.

The keepers of the light may be asked to vouch for changed tables
    only in writing.
";
        let got = lines_of(text);
        let ranges: Vec<(u32, u32)> = got.iter().map(|g| (g.0, g.1)).collect();
        let item = measure_ascii(b"(a) to copy", 0, 3).unwrap();
        assert_eq!(
            (item.hang, item.enumerator, item.list_item),
            (4, true, false)
        );
        let definition = measure_ascii(b"  1.1.  \"Contributor\" means", 0, 1).unwrap();
        assert_eq!((definition.hang, definition.enumerator), (8, true));
        // Line 9 does not start with an enumerator: line 10, indented deeper, is its own.
        assert_eq!(
            ranges,
            [(1, 1), (3, 4), (6, 7), (9, 9), (10, 10)],
            "{got:#?}"
        );
    }

    #[test]
    fn blocks_wrapped_at_different_widths_use_their_own() {
        // A file put together from texts wrapped at different widths, with short lines between.
        let text = "\
Files: charts/*
Copyright: 1998 Harbour Lighthouse Guild
License: narrow

This text was wrapped at fifty columns, which is
narrower than the other text in the file, so the
file as a whole shows no single width for it;
each of its lines ends a few characters short of
fifty.

This other text was wrapped at seventy-eight columns, which is wider than
the first one; each block of the two has enough lines to show its own width
and each is joined at the width it shows, not at the width of the other, as
a file of licences wrapped by different hands would be.
";
        let got = lines_of(text);
        let ranges: Vec<(u32, u32)> = got.iter().map(|g| (g.0, g.1)).collect();
        assert_eq!(
            ranges,
            [(1, 1), (2, 2), (3, 3), (5, 9), (11, 14)],
            "{got:#?}"
        );
    }
}
