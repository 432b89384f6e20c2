//! JSON Lines: `parse_record` on any line, then `decode` and `documents` on any file, and the
//! documents through segment and normalize. The first byte picks the options.

#![no_main]

use dedup::normalize::{Options, normalize};
use dedup::read::{Encoding, ReadOptions, Source, decode, parse_record};
use dedup::segment::segment;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let jsonl = flags & 1 == 0;
    let options = ReadOptions {
        jsonl,
        id_field: (flags & 2 != 0).then(|| "id".to_owned()),
        encoding: if flags & 4 != 0 {
            Encoding::Latin1
        } else {
            Encoding::Utf8
        },
        ..ReadOptions::default()
    };
    let blank = input.iter().all(u8::is_ascii_whitespace);
    match parse_record(input, &options) {
        Ok(None) => assert!(blank),
        Ok(Some(_)) | Err(_) => assert!(!blank),
    }
    let Source::Text(text) = decode(input.to_vec(), None, jsonl, &options) else {
        return;
    };
    if text.valid_utf8 {
        assert!(std::str::from_utf8(&text.bytes).is_ok());
    }
    let lines = text.bytes[text.text_start..].split(|&b| b == b'\n').count() as u32;
    let mut seen = Vec::new();
    let errors = text.documents(&options, |doc| {
        if let Some(line) = doc.record {
            seen.push(line);
        }
        for span in segment(doc.text, doc.text_start) {
            assert!(span.end <= doc.text.len());
            normalize(&doc.text[span.start..span.end], Options::default());
        }
    });
    seen.extend(errors.iter().map(|e| e.line));
    seen.sort_unstable();
    for pair in seen.windows(2) {
        assert!(pair[0] < pair[1], "two outcomes for line {}", pair[0]);
    }
    assert!(seen.iter().all(|&l| 1 <= l && l <= lines));
});
