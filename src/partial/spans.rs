//! The byte ranges of partial matches: verified shared runs of tokens to byte offsets in the files.
//!
//! In: the [`PartialLink`]s between units (runs as token positions, with their bytes where the
//! units' first paragraphs told them), the units of exact copies and the corpus. Out: every
//! listed paragraph pair ([`partial_pairs`]: each link expanded into its copies' pairs, at most
//! [`PARTIAL_COPIES_CAP`] a link) with its runs as [`SharedSpan`]s ([`shared_spans`]).
//!
//! Where a side is the first paragraph of its unit or a byte-for-byte copy of it, partial matching
//! told the runs' bytes already; every other paragraph of a pair is read again and normalized
//! once, in blocks in path order. A pair with a paragraph that cannot be read is left out. Token
//! boundaries do not depend on the normalization options.

use rayon::prelude::*;
use serde::Serialize;

use super::{PartialLink, Partials};
use crate::corpus::{Corpus, REREAD_BLOCK};
use crate::error::{Problem, Problems};
use crate::matching::Matches;
use crate::normalize::{Options, normalized};

/// One shared run, as byte ranges in both files.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SharedSpan {
    /// Start of the run in `a`'s file.
    pub a_start: usize,
    /// End of the run in `a`'s file (exclusive).
    pub a_end: usize,
    /// Start of the run in `b`'s file.
    pub b_start: usize,
    /// End of the run in `b`'s file (exclusive).
    pub b_end: usize,
    /// Normalized words in the run.
    pub words: u32,
}

/// Expanded into its copies, one partial link between two distinct texts lists at most this many
/// paragraph pairs; the rest are counted in `summary.partial_matches_omitted`.
pub const PARTIAL_COPIES_CAP: usize = 16;

/// One listed partial match: paragraphs `p < q` and the link whose runs they share. `swapped`
/// when `p` is a copy of the link's second text, so the runs' sides are exchanged.
pub struct PartialPair {
    /// The first paragraph.
    pub p: u32,
    /// The second paragraph.
    pub q: u32,
    /// Index of the link in [`Partials::links`].
    pub link: usize,
    swapped: bool,
}

impl PartialPair {
    /// The units of `p` and `q` in the link.
    fn units(&self, link: &PartialLink) -> (u32, u32) {
        if self.swapped {
            (link.b, link.a)
        } else {
            (link.a, link.b)
        }
    }
}

/// Every partial link expanded into the paragraph pairs of the two texts' copies, sorted; at most
/// [`PARTIAL_COPIES_CAP`] pairs a link. Also the number left out.
pub fn partial_pairs(matches: &Matches, partials: &Partials) -> (Vec<PartialPair>, usize) {
    let mut pairs = Vec::new();
    let mut omitted = 0;
    for (link, l) in partials.links.iter().enumerate() {
        let units = &matches.units;
        let (copies_a, copies_b) = (units.get(l.a), units.get(l.b));
        let mut all: Vec<PartialPair> = copies_a
            .iter()
            .flat_map(|&a| {
                copies_b.iter().map(move |&b| PartialPair {
                    p: a.min(b),
                    q: a.max(b),
                    link,
                    swapped: b < a,
                })
            })
            .collect();
        all.sort_unstable_by_key(|pair| (pair.p, pair.q));
        omitted += all.len().saturating_sub(PARTIAL_COPIES_CAP);
        all.truncate(PARTIAL_COPIES_CAP);
        pairs.extend(all);
    }
    pairs.sort_unstable_by_key(|pair| (pair.p, pair.q));
    (pairs, omitted)
}

/// The listed partial matches with their shared runs as byte offsets in the files.
pub struct PartialSpans {
    /// The listed pairs whose paragraphs could be read again, sorted by `(p, q)`.
    pub pairs: Vec<PartialPair>,
    runs: Runs,
}

impl PartialSpans {
    /// The shared runs of pair `i`, in the order they appear in `p`.
    pub fn shared(&self, i: usize) -> &[SharedSpan] {
        self.runs.of(i)
    }
}

/// The runs of every pair, one after the other.
struct Runs {
    /// Where each pair's runs end in `spans`.
    ends: Vec<u32>,
    spans: Vec<SharedSpan>,
}

impl Runs {
    fn range(&self, i: usize) -> std::ops::Range<usize> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        start..self.ends[i] as usize
    }

    fn of(&self, i: usize) -> &[SharedSpan] {
        &self.spans[self.range(i)]
    }

    fn of_mut(&mut self, i: usize) -> &mut [SharedSpan] {
        let range = self.range(i);
        &mut self.spans[range]
    }

    /// Keeps the runs of the pairs `keep` says, moving them down in place.
    fn retain(&mut self, keep: &[bool]) {
        let (mut kept_spans, mut kept_ends, mut start) = (0, 0, 0);
        for (i, &keep) in keep.iter().enumerate() {
            let end = self.ends[i] as usize;
            if keep {
                self.spans.copy_within(start..end, kept_spans);
                kept_spans += end - start;
                self.ends[kept_ends] = kept_spans as u32;
                kept_ends += 1;
            }
            start = end;
        }
        self.spans.truncate(kept_spans);
        self.ends.truncate(kept_ends);
    }
}

/// A side of a pair whose runs are still token positions: its paragraph must be read again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Side {
    paragraph: u32,
    pair: u32,
    /// The side is the pair's `q` (its runs' `b` ends), not its `p`.
    is_q: bool,
}

/// Maps the shared token runs of every pair to byte offsets; with the problems met reading
/// paragraphs again.
pub fn shared_spans(
    corpus: &Corpus,
    matches: &Matches,
    partials: &Partials,
    mut pairs: Vec<PartialPair>,
) -> (PartialSpans, Vec<Problem>) {
    let (mut runs, sides) = runs_of_pairs(corpus, matches, partials, &pairs);
    let (readable, problems) = resolve_by_rereading(corpus, &mut runs, sides);
    runs.retain(&readable);
    let mut i = 0;
    pairs.retain(|_| {
        i += 1;
        readable[i - 1]
    });
    (PartialSpans { pairs, runs }, problems)
}

/// The runs of each pair, in the order they appear in `p`: byte offsets where partial matching
/// told them, token positions for the sides still to be read, which are listed, sorted.
fn runs_of_pairs(
    corpus: &Corpus,
    matches: &Matches,
    partials: &Partials,
    pairs: &[PartialPair],
) -> (Runs, Vec<Side>) {
    let units = &matches.units;
    let mut runs = Runs {
        ends: Vec::with_capacity(pairs.len()),
        spans: Vec::new(),
    };
    let mut sides = Vec::new();
    // The runs' bytes were told in the units' first paragraphs, and hold in any byte-for-byte
    // copy of them.
    let same_bytes = |p: u32, first: u32| {
        let (p, first) = (
            &corpus.paragraphs[p as usize],
            &corpus.paragraphs[first as usize],
        );
        p.len() == first.len() && p.bytes_hash == first.bytes_hash
    };
    for (i, pair) in pairs.iter().enumerate() {
        let link = &partials.links[pair.link];
        let (unit_p, unit_q) = pair.units(link);
        let known = !link.bytes.is_empty();
        let p_known = known && same_bytes(pair.p, units.first(unit_p));
        let q_known = known && same_bytes(pair.q, units.first(unit_q));
        // (start in p, start in q, length, [bytes in p, bytes in q]), sorted by position in p.
        let mut oriented: Vec<(usize, usize, usize, [u32; 4])> = link
            .runs
            .iter()
            .enumerate()
            .map(|(k, r)| {
                let [a0, a1, b0, b1] = link.bytes.get(k).copied().unwrap_or_default();
                if pair.swapped {
                    (r.b as usize, r.a as usize, r.len as usize, [b0, b1, a0, a1])
                } else {
                    (r.a as usize, r.b as usize, r.len as usize, [a0, a1, b0, b1])
                }
            })
            .collect();
        oriented.sort_unstable();
        let start = |p: u32| corpus.paragraphs[p as usize].span.start;
        let (p_start, q_start) = (start(pair.p), start(pair.q));
        runs.spans
            .extend(oriented.into_iter().map(|(a, b, n, bytes)| {
                let [pa0, pa1, qb0, qb1] = bytes.map(|x| x as usize);
                SharedSpan {
                    a_start: if p_known { p_start + pa0 } else { a },
                    a_end: if p_known { p_start + pa1 } else { a + n - 1 },
                    b_start: if q_known { q_start + qb0 } else { b },
                    b_end: if q_known { q_start + qb1 } else { b + n - 1 },
                    words: n as u32,
                }
            }));
        runs.ends.push(runs.spans.len() as u32);
        if !p_known {
            sides.push(Side {
                paragraph: pair.p,
                pair: i as u32,
                is_q: false,
            });
        }
        if !q_known {
            sides.push(Side {
                paragraph: pair.q,
                pair: i as u32,
                is_q: true,
            });
        }
    }
    sides.par_sort_unstable();
    (runs, sides)
}

/// Reads the paragraphs of `sides` again, a block of [`REREAD_BLOCK`] distinct paragraphs at a
/// time, and turns their runs' token positions into byte offsets. Returns, by pair, whether all
/// its paragraphs could be read, and the problems met.
fn resolve_by_rereading(
    corpus: &Corpus,
    runs: &mut Runs,
    sides: Vec<Side>,
) -> (Vec<bool>, Vec<Problem>) {
    let mut readable = vec![true; runs.ends.len()];
    let mut problems = Problems::default();
    let mut rest = &sides[..];
    while !rest.is_empty() {
        // A block of whole paragraphs: the sides of REREAD_BLOCK distinct paragraphs.
        let mut distinct = 0;
        let mut cut = 0;
        while cut < rest.len() {
            if cut == 0 || rest[cut].paragraph != rest[cut - 1].paragraph {
                if distinct == REREAD_BLOCK {
                    break;
                }
                distinct += 1;
            }
            cut += 1;
        }
        let (block, tail) = rest.split_at(cut);
        rest = tail;
        let mut ids: Vec<u32> = block.iter().map(|s| s.paragraph).collect();
        ids.dedup();
        // Token byte ranges of each paragraph, in the file.
        let (tokens, block_problems) = corpus.reread_with(&ids, |id, text| {
            let start = corpus.paragraphs[id as usize].span.start;
            normalized(text, Options::default(), |tokens| {
                tokens
                    .tokens
                    .iter()
                    .map(|t| (start + t.source.start, start + t.source.end))
                    .collect::<Vec<_>>()
            })
        });
        problems.extend(block_problems);
        let mut next = 0;
        for (&id, offsets) in ids.iter().zip(&tokens) {
            while next < block.len() && block[next].paragraph == id {
                let side = block[next];
                next += 1;
                let Some(offsets) = offsets else {
                    readable[side.pair as usize] = false;
                    continue;
                };
                for span in runs.of_mut(side.pair as usize) {
                    if side.is_q {
                        span.b_start = offsets[span.b_start].0;
                        span.b_end = offsets[span.b_end].1;
                    } else {
                        span.a_start = offsets[span.a_start].0;
                        span.a_end = offsets[span.a_end].1;
                    }
                }
            }
        }
    }
    (readable, problems.into_vec())
}
