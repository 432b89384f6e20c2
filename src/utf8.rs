//! Lossy character iteration over raw file bytes.
//!
//! In: bytes that are meant to be UTF-8 but may not be. Out: `(offset, char, len)` triples where
//! `offset..offset + len` is where the character sits in the input. Invalid sequences come out as
//! U+FFFD covering the bytes they replace, so every stage can keep byte offsets into the original
//! file while reading text the way `String::from_utf8_lossy` would show it.

/// Iterates over the characters of `bytes`, decoding invalid UTF-8 as U+FFFD.
pub fn chars(bytes: &[u8]) -> impl Iterator<Item = (usize, char, usize)> + '_ {
    bytes.utf8_chunks().flat_map(move |chunk| {
        let valid = chunk.valid();
        // Offsets of the chunk inside `bytes`: chunks borrow from it, so pointer distance is exact.
        let base = valid.as_ptr() as usize - bytes.as_ptr() as usize;
        let invalid = chunk.invalid();
        let replacement = (!invalid.is_empty()).then_some((
            base + valid.len(),
            char::REPLACEMENT_CHARACTER,
            invalid.len(),
        ));
        valid
            .char_indices()
            .map(move |(i, c)| (base + i, c, c.len_utf8()))
            .chain(replacement)
    })
}

/// Whether a character counts as blank: Unicode white space (U+00A0 included), plus the
/// zero-width space and byte order mark that editors and web scrapers leave on empty lines.
pub fn is_blank(c: char) -> bool {
    c.is_whitespace() || c == '\u{200B}' || c == '\u{FEFF}'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_cover_valid_and_invalid_bytes() {
        let bytes = b"a\xffb\xc3\xa9";
        let got: Vec<_> = chars(bytes).collect();
        assert_eq!(
            got,
            vec![(0, 'a', 1), (1, '\u{FFFD}', 1), (2, 'b', 1), (3, 'é', 2)]
        );
    }

    #[test]
    fn nbsp_and_zero_width_space_are_blank() {
        assert!(is_blank('\u{00A0}'));
        assert!(is_blank('\u{200B}'));
        assert!(!is_blank('x'));
    }
}
