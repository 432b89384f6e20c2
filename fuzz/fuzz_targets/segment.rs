//! Segment: any bytes give spans in order, in bounds, trimmed of blanks, one per paragraph.

#![no_main]

use dedup::segment::segment;
use dedup::utf8::{chars, is_blank};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text_start = if data.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let spans = segment(data, text_start);
    let mut previous: Option<dedup::segment::Span> = None;
    for s in &spans {
        assert!(
            text_start <= s.start && s.start < s.end && s.end <= data.len(),
            "{s:?}"
        );
        assert!(1 <= s.line && s.line <= s.end_line, "{s:?}");
        if let Some(p) = previous {
            assert!(p.end <= s.start && p.end_line < s.line, "{p:?} then {s:?}");
        }
        previous = Some(*s);
        let text = &data[s.start..s.end];
        let first = chars(text).next().map(|c| c.1);
        let last = chars(text).last().map(|c| c.1);
        assert!(
            !first.is_some_and(is_blank) && !last.is_some_and(is_blank),
            "{s:?}"
        );
    }
    // Every non-blank character after the text start lies in some span.
    let mut next = spans.iter().peekable();
    for (offset, c, _) in chars(&data[text_start.min(data.len())..]) {
        let offset = offset + text_start;
        if is_blank(c) || c == '\n' || c == '\r' {
            continue;
        }
        while next.peek().is_some_and(|s| s.end <= offset) {
            next.next();
        }
        assert!(
            next.peek().is_some_and(|s| s.start <= offset),
            "{c:?} at {offset} is in no span"
        );
    }
});
