//! Headlines condensed from their lead: a document's first paragraph, too short for the shared
//! runs winnowing guarantees (`min_shared_words`, t), that says all its words but one again, as
//! one run, in one of the next paragraphs (`MALAYSIA'S GOLD AND FOREIGN EXCHANGE RESERVES RISE`
//! and `KUALA LUMPUR, March 16 - Malaysia's gold and foreign exchange reserves rose to …`).
//!
//! In: the normalized tokens of a document's first paragraphs, as the scan meets them
//! ([`Watch`]). Out: at most one `(headline, paragraph)` pair of paragraph indexes in the
//! document, kept with its fingerprints; partial matching verifies it on the re-read tokens
//! ([`shared_runs`]) and reports it as a partial match.

use crate::fingerprint::token_hashes;
use crate::normalize::Tokens;

/// The fewest words a headline has; shorter first lines (a byline, `By John Smith`, a date)
/// are not looked for in the lead.
pub const MIN_WORDS: usize = 5;

/// How many paragraphs after the headline are looked at for its lead.
pub const LEAD_PARAGRAPHS: usize = 3;

/// The shortest run a first paragraph of `words` words must share with its lead: all its words
/// but one, and at least [`MIN_WORDS`]; `None` when it is no headline here (fewer than
/// [`MIN_WORDS`] words, or more than `min_shared_words`, whose runs winnowing finds anyway).
pub fn needed_run(words: usize, min_shared_words: usize) -> Option<usize> {
    (MIN_WORDS..=min_shared_words)
        .contains(&words)
        .then(|| (words - 1).max(MIN_WORDS))
}

/// `(start in a, start in b, length)` of every maximal run of at least `min_len` equal items
/// that `a` and `b` share, in order of `a`, then `b`. Quadratic: `a` is a headline.
pub fn shared_runs<T: PartialEq>(a: &[T], b: &[T], min_len: usize) -> Vec<(usize, usize, usize)> {
    let mut runs = Vec::new();
    for i in 0..a.len() {
        for j in 0..b.len() {
            let starts_here = i == 0 || j == 0 || a[i - 1] != b[j - 1];
            if !starts_here || a[i] != b[j] {
                continue;
            }
            let len = a[i..]
                .iter()
                .zip(&b[j..])
                .take_while(|(x, y)| x == y)
                .count();
            if len >= min_len {
                runs.push((i, j, len));
            }
        }
    }
    runs
}

/// Watches the first paragraphs of one document for a headline and its lead.
#[derive(Debug, Default)]
pub struct Watch {
    /// The headline's token texts (hashed) and the run it needs, while its lead is looked for.
    headline: Option<(Vec<u64>, usize)>,
    /// The paragraph index holding the headline's words, once found.
    lead: Option<u32>,
}

impl Watch {
    /// Looks at paragraph `index` of the document (indexes in order, from 0); `Some(lead)` when
    /// this paragraph is the lead of the headline at index 0.
    pub fn paragraph(
        &mut self,
        index: usize,
        tokens: &Tokens,
        min_shared_words: usize,
    ) -> Option<u32> {
        if index == 0 {
            self.headline = needed_run(tokens.len(), min_shared_words)
                .map(|need| (token_hashes(tokens).collect(), need));
            return None;
        }
        if index > LEAD_PARAGRAPHS || self.lead.is_some() {
            return None;
        }
        let (headline, need) = self.headline.as_ref()?;
        if tokens.len() <= headline.len()
            || shared_runs(headline, &token_hashes(tokens).collect::<Vec<_>>(), *need).is_empty()
        {
            return None;
        }
        self.lead = Some(index as u32);
        self.lead
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{Options, normalize};

    fn watch(paragraphs: &[&str]) -> Option<u32> {
        let mut watch = Watch::default();
        paragraphs
            .iter()
            .enumerate()
            .find_map(|(i, p)| watch.paragraph(i, &normalize(p.as_bytes(), Options::default()), 8))
    }

    #[test]
    fn a_headline_is_found_in_its_lead_with_one_word_changed() {
        let headline = "MALAYSIA'S GOLD AND FOREIGN EXCHANGE RESERVES RISE";
        let lead = "KUALA LUMPUR, March 16 - Malaysia's gold and foreign exchange reserves rose to \
                    16.07 billion ringgit in February from 15.73 billion in January.";
        assert_eq!(watch(&[headline, lead]), Some(1));
        assert_eq!(
            watch(&[headline, "By staff", "Tables follow.", lead]),
            Some(3)
        );
        // Too far down, or only half of it said again.
        assert_eq!(watch(&[headline, "a", "b", "c", lead]), None);
        let half = "Malaysia's gold output rose to 16 tonnes in February, the mines said.";
        assert_eq!(watch(&[headline, half]), None);
    }

    #[test]
    fn only_short_first_paragraphs_are_headlines() {
        assert_eq!(needed_run(4, 8), None);
        assert_eq!(needed_run(5, 8), Some(5));
        assert_eq!(needed_run(7, 8), Some(6));
        assert_eq!(needed_run(8, 8), Some(7));
        assert_eq!(needed_run(9, 8), None);
        // A line of four words is no headline, however it is repeated.
        assert_eq!(
            watch(&[
                "Gold reserves rise again",
                "Gold reserves rise again in March, it said."
            ]),
            None
        );
    }

    #[test]
    fn shared_runs_are_maximal() {
        let (a, b) = ([1, 2, 3, 4, 9], [0, 1, 2, 3, 4, 5, 1, 2]);
        assert_eq!(shared_runs(&a, &b, 2), vec![(0, 1, 4), (0, 6, 2)]);
        assert_eq!(shared_runs(&a, &b, 3), vec![(0, 1, 4)]);
    }
}
