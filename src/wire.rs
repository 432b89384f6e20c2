//! Wire markup: the parts of a paragraph that say who sent it or how it was marked up, not what it
//! says.
//!
//! In: a paragraph's bytes and its normalized tokens. Out: its [`Content`] ([`content`]; `None`
//! when it has no markup): the tokens without those parts, which near similarity and the figure
//! test are computed on, and the figures of its dateline. Exact identity stays on every token, so
//! a paragraph with a dateline is never an exact copy of one without. A dateline's date still
//! counts for the figure test (as one figure shingle of its own): the same notice on two days,
//! or the same dividend line of two companies, differs only there.
//!
//! What is markup:
//! - a leading dateline: `CITY (Reuters) -`, `CITY, Country (AFP) -`, `AP -`, `Reuters -`,
//!   `CITY -`, `CITY:`, `CITY, March 16 -` (a first word of capitals, at most [`DATELINE_WORDS`]
//!   words before the dash or colon, and a sentence after it: an all-capitals headline such as
//!   `BONUS WHEAT FLOUR FOR NORTH YEMEN -- USDA` has no dateline);
//! - a trailing credit in parentheses: `(Reporting by …; Editing by …)`, `(Writing by …)`,
//!   `(AFP Photo)`, `(Reuters)`; or a trailing photo byline, an agency and the photographer's
//!   name after a slash: `REUTERS/Jason Reed`, `AFP/Getty Images`, `AP Photo/Evan Vucci`;
//! - tags, raw (`<a href=…>`) or escaped (`&lt;A HREF=…&gt;`), with the text of an anchor (a
//!   ticker link such as `&lt;A …&gt;DAL.N&lt;/A&gt;`), and entities, whole (`&amp;`, `&#39;`) or
//!   left without their ampersand (`#39;`).

use std::ops::Range;

use crate::normalize::{Token, Tokens};

/// The most words a dateline holds before its dash or colon (`JACKSONVILLE, Fla., March 19 -`).
pub const DATELINE_WORDS: usize = 7;

/// News agencies, as datelines and credits name them.
const AGENCIES: [&str; 9] = [
    "AP",
    "AFP",
    "Reuters",
    "Reuter",
    "UPI",
    "Bloomberg",
    "DPA",
    "Xinhua",
    "CP",
];

/// HTML elements whose tags are markup.
const HTML_TAGS: [&str; 18] = [
    "a", "b", "i", "u", "p", "br", "em", "strong", "font", "span", "div", "img", "sup", "sub",
    "hr", "li", "ul", "ol",
];

/// How a trailing credit in parentheses starts (compared without case).
const CREDITS: [&str; 12] = [
    "reporting by",
    "additional reporting by",
    "writing by",
    "editing by",
    "compiled by",
    "photo",
    "afp photo",
    "ap photo",
    "reuters photo",
    "afp",
    "ap",
    "reuters",
];

/// A paragraph without its markup.
#[derive(Debug, Clone, Default)]
pub struct Content {
    /// The tokens that are not markup.
    pub tokens: Tokens,
    /// A hash of its dateline (place and date), when the dateline holds a figure (a date).
    pub dateline_figures: Option<u64>,
}

/// The tokens of `bytes` that are not markup, and its dateline's figures; `None` when every token
/// is content.
pub fn content(bytes: &[u8], tokens: &Tokens) -> Option<Content> {
    // What follows a dateline is a sentence: an all-capitals headline that ends `-- USDA` has
    // none, and stripping its "dateline" would leave only the source.
    let dateline_end = dateline(bytes)
        .filter(|&end| crate::utf8::chars(&bytes[end..]).any(|(_, c, _)| c.is_lowercase()))
        .unwrap_or(0);
    let markup = markup(bytes, dateline_end);
    if markup.is_empty() {
        return None;
    }
    let in_markup = |t: &Token| {
        markup
            .iter()
            .any(|m| m.start <= t.source.start && t.source.end <= m.end)
    };
    if !tokens.tokens.iter().any(in_markup) {
        return None;
    }
    // A dated dateline, place and date, is one figure: the same notice sent from another place
    // or on another day states another fact.
    let dateline: Vec<&Token> = tokens
        .tokens
        .iter()
        .take_while(|t| t.source.end <= dateline_end)
        .collect();
    let dated = dateline.iter().any(|t| t.figure);
    let mut figures = xxhash_rust::xxh3::Xxh3::new();
    for t in dateline.iter().filter(|_| dated) {
        figures.update(tokens.text[t.norm.clone()].as_bytes());
        figures.update(b" ");
    }
    let mut content = Content {
        dateline_figures: dated.then(|| figures.digest()),
        ..Content::default()
    };
    let out = &mut content.tokens;
    out.text.reserve(tokens.text.len());
    out.tokens.reserve(tokens.tokens.len());
    for t in tokens.tokens.iter().filter(|t| !in_markup(t)) {
        if !out.text.is_empty() {
            out.text.push(' ');
        }
        let begin = out.text.len();
        out.text.push_str(&tokens.text[t.norm.clone()]);
        out.tokens.push(Token {
            norm: begin..out.text.len(),
            ..t.clone()
        });
    }
    Some(content)
}

/// The byte ranges of `bytes` that are markup, sorted, given where its dateline ends (0: none).
fn markup(bytes: &[u8], dateline_end: usize) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    if dateline_end > 0 {
        ranges.push(0..dateline_end);
    }
    tags_and_entities(bytes, &mut ranges);
    if let Some(start) = credit(bytes).or_else(|| photo_byline(bytes)) {
        ranges.push(start..bytes.len());
    }
    ranges.sort_by_key(|r| (r.start, r.end));
    ranges
}

/// The length of a leading dateline, through the dash or colon and the blanks after it.
fn dateline(bytes: &[u8]) -> Option<usize> {
    let head = &bytes[..bytes.len().min(120)];
    // An agency alone: `AP - `, `Reuters - `.
    for agency in AGENCIES {
        if let Some(rest) = head.strip_prefix(agency.as_bytes())
            && let Some(after) = separator(rest)
        {
            return Some(agency.len() + after);
        }
    }
    // A place: a first word of capitals, then at most a few words, then `(Agency)` or not, then
    // the dash or colon.
    let first_word = head
        .iter()
        .take_while(|b| !b.is_ascii_whitespace() && **b != b',' && **b != b':')
        .count();
    let word = &head[..first_word];
    let capitals = word.iter().filter(|b| b.is_ascii_uppercase()).count();
    if capitals < 2 || word.iter().any(|b| b.is_ascii_lowercase()) {
        return None;
    }
    let mut words = 0;
    let mut i = 0;
    while i < head.len() {
        let b = head[i];
        if b == b'(' {
            let close = head[i..].iter().position(|&c| c == b')')? + i;
            let inside = &head[i + 1..close];
            if !AGENCIES.iter().any(|a| inside == a.as_bytes()) {
                return None;
            }
            i = close + 1;
            continue;
        }
        if b == b':' || b == b'-' {
            let after = separator(&head[i..])?;
            // The dash of a dateline stands alone; one inside a word (`U.S.-Japan`) does not end it.
            let spaced_before = b == b':' || head[..i].last().is_some_and(u8::is_ascii_whitespace);
            return spaced_before.then_some(i + after);
        }
        if b == b'.' && head.get(i + 1).is_some_and(u8::is_ascii_whitespace) && words > 0 {
            // `Fla.` is a word of a dateline; a full stop after a lower-case word ends a sentence.
            let prev = &head[..i];
            let last = prev
                .rsplit(|c| c.is_ascii_whitespace())
                .next()
                .unwrap_or_default();
            if last.len() > 4 {
                return None;
            }
        }
        if b.is_ascii_whitespace() && head.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
            words += 1;
            if words >= DATELINE_WORDS {
                return None;
            }
        }
        i += 1;
    }
    None
}

/// The length of a separator at the start of `rest`: blanks, a dash (`-`, `--`, `–`, `—`) or a
/// colon, and at least one blank after it.
fn separator(rest: &[u8]) -> Option<usize> {
    let blanks = |s: &[u8]| s.iter().take_while(|b| **b == b' ').count();
    let mut i = blanks(rest);
    let dash: &[&[u8]] = &[
        b"--",
        b"-",
        "\u{2013}".as_bytes(),
        "\u{2014}".as_bytes(),
        b":",
    ];
    let len = dash.iter().find(|d| rest[i..].starts_with(d))?.len();
    i += len;
    let after = blanks(&rest[i..]);
    (after > 0 && i + after < rest.len()).then_some(i + after)
}

/// The start of a trailing credit in parentheses (with the blanks before it).
fn credit(bytes: &[u8]) -> Option<usize> {
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace())?;
    if bytes[end] != b')' {
        return None;
    }
    let open = bytes[..end].iter().rposition(|&b| b == b'(')?;
    let inside = &bytes[open + 1..end];
    let credit = CREDITS.iter().any(|c| {
        let starts =
            inside.len() >= c.len() && inside[..c.len()].eq_ignore_ascii_case(c.as_bytes());
        starts && inside.get(c.len()).is_none_or(|&b| b == b' ')
    });
    let before = bytes[..open].iter().rposition(|b| !b.is_ascii_whitespace());
    // A paragraph that is only a credit is not stripped to nothing.
    (credit && before.is_some()).then(|| before.map_or(0, |b| b + 1))
}

/// The most words of a photographer's name in a photo byline (`REUTERS/Kim Kyung-Hoon`).
const BYLINE_NAME_WORDS: usize = 4;

/// The start of a trailing photo byline (with the blanks before it): an agency, perhaps with
/// `Photo`, a slash and one to [`BYLINE_NAME_WORDS`] words each starting with a capital letter,
/// at the end of the paragraph, after other text.
fn photo_byline(bytes: &[u8]) -> Option<usize> {
    let end = bytes.iter().rposition(|b| !b.is_ascii_whitespace())? + 1;
    let slash = memchr::memrchr(b'/', &bytes[..end])?;
    let name = &bytes[slash + 1..end];
    let words = name.split(|&b| b == b' ').filter(|w| !w.is_empty());
    let named = words.clone().count() <= BYLINE_NAME_WORDS
        && name.first().is_some_and(u8::is_ascii_uppercase)
        && words.clone().all(|w| w[0].is_ascii_uppercase())
        && !name
            .iter()
            .any(|b| b.is_ascii_digit() || b"()[]<>{}".contains(b));
    if !named {
        return None;
    }
    let head = &bytes[..slash];
    let head = head
        .strip_suffix(b" Photo")
        .or_else(|| head.strip_suffix(b" PHOTO"))
        .unwrap_or(head);
    let agency = AGENCIES.iter().find(|a| {
        head.len() > a.len() && head[head.len() - a.len()..].eq_ignore_ascii_case(a.as_bytes())
    })?;
    let start = head.len() - agency.len();
    if !head[start - 1].is_ascii_whitespace() {
        return None;
    }
    // A paragraph that is only a byline is not stripped to nothing.
    let before = bytes[..start]
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())?;
    Some(before + 1)
}

/// Tags (raw and escaped, an anchor with its text) and entities.
fn tags_and_entities(bytes: &[u8], out: &mut Vec<Range<usize>>) {
    let mut i = 0;
    while let Some(at) = memchr::memchr3(b'<', b'&', b'#', &bytes[i..]) {
        let start = i + at;
        i = match tag_or_entity(bytes, start) {
            Some(end) => {
                out.push(start..end);
                end
            }
            None => start + 1,
        };
    }
}

/// The end of the tag or entity at `start`, if one is there.
fn tag_or_entity(bytes: &[u8], start: usize) -> Option<usize> {
    let rest = &bytes[start..];
    let (open, close): (&[u8], &[u8]) = if rest.starts_with(b"<") {
        (b"<", b">")
    } else if rest.starts_with(b"&lt;") {
        (b"&lt;", b"&gt;")
    } else {
        return entity(rest).map(|len| start + len);
    };
    let tag_end = find(rest, close)? + close.len();
    let name = &rest[open.len()..tag_end - close.len()];
    // Only HTML's own tags: Reuters marks company names as `<Hudson Bay Mining Co Ltd>`.
    let element = name.strip_prefix(b"/").unwrap_or(name);
    let element_len = element
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let known = HTML_TAGS
        .iter()
        .any(|t| element[..element_len].eq_ignore_ascii_case(t.as_bytes()));
    let ends_name = element.get(element_len).is_none_or(|b| b" /".contains(b));
    if !known || !ends_name {
        return None;
    }
    // An anchor takes its text with it, up to its closing tag.
    let is_anchor = (name[0] == b'a' || name[0] == b'A') && name.get(1).is_none_or(|b| *b == b' ');
    if is_anchor {
        let mut end_tag = open.to_vec();
        end_tag.extend_from_slice(b"/");
        if let Some(at) = find_ignoring_case(&rest[tag_end..], &end_tag, b'a') {
            let after = tag_end + at;
            return Some(start + after + find(&rest[after..], close)? + close.len());
        }
    }
    Some(start + tag_end)
}

/// The length of an entity at the start of `rest`: `&name;`, `&#39;` or a remnant `#39;`.
fn entity(rest: &[u8]) -> Option<usize> {
    let body = rest.strip_prefix(b"&").unwrap_or(rest);
    let body_start = rest.len() - body.len();
    let numeric = body.first() == Some(&b'#');
    if !numeric && body_start == 0 {
        return None;
    }
    let name = &body[usize::from(numeric)..];
    let len = name
        .iter()
        .take(8)
        .take_while(|b| b.is_ascii_alphanumeric())
        .count();
    let valid = len > 0
        && name.get(len) == Some(&b';')
        && if numeric {
            name[..len].iter().all(u8::is_ascii_digit)
        } else {
            true
        };
    valid.then_some(body_start + usize::from(numeric) + len + 1)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Where `prefix` followed by `letter` (either case) starts in `haystack`.
fn find_ignoring_case(haystack: &[u8], prefix: &[u8], letter: u8) -> Option<usize> {
    let n = prefix.len();
    haystack
        .windows(n + 1)
        .position(|w| &w[..n] == prefix && w[n].eq_ignore_ascii_case(&letter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{Options, normalize};

    fn content_of(text: &str) -> String {
        let tokens = normalize(text.as_bytes(), Options::default());
        content(text.as_bytes(), &tokens).map_or(tokens.text.clone(), |c| c.tokens.text)
    }

    #[test]
    fn datelines_are_markup() {
        for (text, expected) in [
            (
                "SINGAPORE (Reuters) - Oil prices set a record",
                "oil prices set a record",
            ),
            (
                "NEW YORK (Reuters) - Oil prices hit a record",
                "oil prices hit a record",
            ),
            (
                "AP - Consumer prices barely budged",
                "consumer prices barely budged",
            ),
            ("Reuters - Boeing Co. said", "boeing co said"),
            (
                "WASHINGTON - Consumer prices barely budged",
                "consumer prices barely budged",
            ),
            ("BERLIN: Boeing Co. said", "boeing co said"),
            (
                "OSAKA, Japan, April 26 - Senior officials met",
                "senior officials met",
            ),
            (
                "JACKSONVILLE, Fla., March 19 - Paul Volcker said",
                "paul volcker said",
            ),
            ("MOSCOW (AFP) -- Yukos filed", "yukos filed"),
        ] {
            assert_eq!(content_of(text), expected, "{text}");
        }
    }

    #[test]
    fn text_that_only_looks_like_a_dateline_is_kept() {
        for text in [
            "The U.S.-Japan talks - held on Monday - ended",
            "US Airways To Ask Court For Pay Cuts",
            "KENNETH DUBERSTEIN TO BE DEPUTY WHITE HOUSE CHIEF OF STAFF, OFFICIALS SAY",
            "A - the first letter",
            "Prices rose. Traders said - later - that",
            "NOTE: Share adjusted for 10 pct stock dividend",
            "BONUS WHEAT FLOUR FOR NORTH YEMEN -- USDA",
            "ST LOUIS HOGS UP 1.00/1.25 DLR - USDA",
            "AP - SONY SHOWS SMALLER PLAYSTATION",
        ] {
            let tokens = normalize(text.as_bytes(), Options::default());
            let kept = content_of(text);
            if text.starts_with("NOTE") {
                // A capitalised label before a colon reads as a dateline: only near similarity
                // loses the word.
                assert_eq!(kept, "share adjusted for 10 pct stock dividend");
            } else {
                assert_eq!(kept, tokens.text, "{text}");
            }
        }
    }

    #[test]
    fn credits_tags_and_entities_are_markup() {
        assert_eq!(
            content_of("Talks ended on Friday. (Reporting by Jane Doe; Editing by John Roe)"),
            "talks ended on friday"
        );
        assert_eq!(
            content_of("A view of the city. (AFP Photo)"),
            "a view of the city"
        );
        assert_eq!(content_of("(AFP Photo)"), "afp photo");
        for byline in [
            "REUTERS/Jason Reed",
            "AFP/Getty Images",
            "AP Photo/Evan Vucci",
        ] {
            assert_eq!(
                content_of(&format!("Rescue workers search the rubble. {byline}")),
                "rescue workers search the rubble"
            );
        }
        // A slash that ends no photo byline stays text.
        for text in [
            "REUTERS/Jason Reed",
            "the TCP/IP Stack",
            "see the AP/Style Guide for more",
            "filed by Reuters/Sources 2",
            "written to MyAP/Out",
        ] {
            assert_eq!(
                content(
                    text.as_bytes(),
                    &normalize(text.as_bytes(), Options::default())
                )
                .map(|c| c.tokens.text),
                None,
                "{text}"
            );
        }
        assert_eq!(
            content_of(
                "Pilots at Delta Air Lines Inc. &lt;A HREF=\"http://www.investor.reuters.com/FullQuote.aspx?ticker=DAL.N target=/stocks\"&gt;DAL.N&lt;/A&gt; on Thursday ratified"
            ),
            "pilots at delta air lines inc on thursday ratified"
        );
        assert_eq!(
            content_of("inflation isn #39;t a problem"),
            "inflation isn t a problem"
        );
        assert_eq!(
            content_of("AT&amp;T and <b>bold</b> text"),
            "at t and bold text"
        );
        // Reuters marks company names with angle brackets: they are text.
        assert_eq!(
            content_of("TORONTO, March 9 - <Hudson Bay Mining Co Ltd> said"),
            "hudson bay mining co ltd said"
        );
        // A hash sign that starts no entity stays.
        assert_eq!(content_of("ranked #1 in 2004"), "ranked 1 in 2004");
    }

    #[test]
    fn exact_tokens_are_untouched() {
        let text = "SINGAPORE (Reuters) - Oil prices set a record";
        let tokens = normalize(text.as_bytes(), Options::default());
        let content = content(text.as_bytes(), &tokens).unwrap();
        assert_eq!(tokens.text, "singapore reuters oil prices set a record");
        assert_eq!(content.tokens.tokens[0].source, 22..25);
        assert_eq!(content.dateline_figures, None);
    }

    #[test]
    fn a_datelines_date_is_kept_as_its_figures() {
        let date = |text: &str| {
            let tokens = normalize(text.as_bytes(), Options::default());
            content(text.as_bytes(), &tokens).unwrap().dateline_figures
        };
        let notice = "The Federal Home Loan Bank Board adjusted the rates";
        let (first, third) = (
            date(&format!("WASHINGTON, April 1 - {notice}")),
            date(&format!("WASHINGTON, April 3 - {notice}")),
        );
        assert!(first.is_some() && third.is_some() && first != third);
        assert_ne!(first, date(&format!("NEW YORK, April 1 - {notice}")));
        assert_eq!(
            first,
            date(&format!("WASHINGTON, April 1 -  {notice} again"))
        );
    }
}
