//! Normalize: any bytes give tokens whose source ranges lie in the input, in order, and whose
//! normalized forms joined by spaces are the text; the same call gives the same tokens; and
//! normalizing the normalized text changes nothing.

#![no_main]

use dedup::normalize::{Options, normalize};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, input)) = data.split_first() else {
        return;
    };
    let options = Options {
        ignore_figures: flags & 1 != 0,
        fold_spelling: flags & 2 != 0,
    };
    let tokens = normalize(input, options);
    let mut joined = String::new();
    let mut previous: Option<std::ops::Range<usize>> = None;
    for (i, token) in tokens.tokens.iter().enumerate() {
        let source = token.source.clone();
        assert!(
            source.start < source.end && source.end <= input.len(),
            "{source:?}"
        );
        if let Some(p) = previous {
            assert!(
                p == source || p.end <= source.start,
                "{p:?} then {source:?}"
            );
        }
        previous = Some(source);
        let word = tokens.word(i);
        assert!(!word.is_empty() && !word.contains(' '), "{word:?}");
        if i > 0 {
            joined.push(' ');
        }
        joined.push_str(word);
    }
    assert_eq!(joined, tokens.text);
    assert_eq!(normalize(input, options), tokens);
    assert_eq!(normalize(tokens.text.as_bytes(), options).text, tokens.text);
});
