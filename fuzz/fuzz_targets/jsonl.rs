//! JSON Lines: `parse_record` on any line, then `decode` and `record_lines` on any file (each
//! line read again from its offset as the report does), and the documents through segment and
//! normalize. The first byte picks the options.

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
    let mut documents = Vec::new();
    let mut seen = Vec::new();
    if text.jsonl {
        for line in text.record_lines() {
            seen.push(line.line);
            assert_eq!(
                text.record_at(line.offset, &options),
                parse_record(line.bytes, &options)
            );
            if let Ok(Some(record)) = line.parse(&options) {
                documents.push((record.text.into_bytes(), 0));
            }
        }
    } else {
        documents.push((text.bytes.clone(), text.text_start));
    }
    for (document, start) in &documents {
        for span in segment(document, *start) {
            assert!(span.end <= document.len());
            normalize(&document[span.start..span.end], Options::default());
        }
    }
    for pair in seen.windows(2) {
        assert!(pair[0] < pair[1], "two outcomes for line {}", pair[0]);
    }
    assert!(seen.iter().all(|&l| 1 <= l && l <= lines));
});
