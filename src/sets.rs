//! Stage 6a, sets again: the paragraphs whose candidates must be verified to their real sets.
//!
//! In: the corpus (files, paragraphs), the fingerprinter and normalization options of the run, the
//! units of exact copies ([`Matches`]) whose sets are wanted, sorted, and which parts of their sets
//! are wanted ([`Contents`]). Out: a [`SetArena`] holding, for each of them (indexed by unit, as
//! the matcher asks), those parts of the [`Sets`] fingerprinting computed
//! (sorted shingle hashes and figure shingles to verify candidates; token hashes and winnowed
//! fingerprints with positions, and where the tokens are in the bytes, to find partial matches)
//! in flat arrays, and the problems met re-reading files.
//!
//! Fingerprinting keeps no shingle set or token for the whole corpus; the few paragraphs that
//! take part in a candidate pair are read again through [`Corpus::reread_with`], in blocks of
//! [`BLOCK`] paragraphs in path order (so each file is read about once and only one block of text
//! is in memory), normalized and shingled again in parallel.

use std::sync::OnceLock;

use crate::corpus::Corpus;
use crate::error::{Problem, Problems};
use crate::fingerprint::{Fingerprinter, Sets, SetsRef};
use crate::matching::Matches;
use crate::normalize;
use crate::normalize::normalized;

/// Paragraphs re-read and shingled together.
pub const BLOCK: usize = 16 * 1024;

const NONE: u32 = u32::MAX;

/// The parts of the sets to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// Shingles and figure shingles: what verifying a near or template candidate needs.
    Verify,
    /// Token hashes and winnowed fingerprints: what finding partial matches needs.
    Partial,
}

/// The real sets of some paragraphs, in flat arrays.
#[derive(Debug, Default)]
pub struct SetArena {
    /// For every unit of exact copies, its slot, or [`NONE`].
    slot_of: Vec<u32>,
    /// For every slot, where its shingles, figure shingles, tokens, winnowed fingerprints and
    /// token sources end.
    ends: Vec<[u32; 5]>,
    shingles: Vec<u64>,
    figure_shingles: Vec<(u64, u64)>,
    tokens: Vec<u64>,
    winnowed: Vec<(u64, u32)>,
    sources: Vec<(u32, u32)>,
    /// For every slot, its figure-masked shingle set once asked for ([`SetArena::masked`]).
    masked: Vec<OnceLock<Vec<u64>>>,
}

impl SetArena {
    /// The sets of unit `unit` (of its paragraphs); empty when they were not loaded (or no copy
    /// could be read).
    pub fn get(&self, unit: u32) -> SetsRef<'_> {
        let slot = self.slot_of.get(unit as usize).copied().unwrap_or(NONE);
        if slot == NONE {
            return SetsRef::default();
        }
        let start = match slot {
            0 => [0; 5],
            _ => self.ends[slot as usize - 1],
        };
        let end = self.ends[slot as usize];
        let range = |i: usize| start[i] as usize..end[i] as usize;
        SetsRef {
            shingles: &self.shingles[range(0)],
            figure_shingles: &self.figure_shingles[range(1)],
            tokens: &self.tokens[range(2)],
            winnowed: &self.winnowed[range(3)],
            sources: &self.sources[range(4)],
        }
    }

    /// The figure-masked shingle set of unit `unit` ([`SetsRef::masked_shingles`]), computed on
    /// first use and kept: a unit in many template candidates is masked once.
    pub fn masked(&self, unit: u32) -> &[u64] {
        let sets = self.get(unit);
        if sets.figure_shingles.is_empty() {
            return sets.shingles;
        }
        self.masked[self.slot_of[unit as usize] as usize].get_or_init(|| sets.masked_shingles())
    }

    fn push(&mut self, unit: u32, sets: &Sets) {
        self.slot_of[unit as usize] = self.ends.len() as u32;
        // Only the parts asked for were computed; the others are empty.
        self.shingles.extend_from_slice(&sets.shingles);
        self.figure_shingles
            .extend_from_slice(&sets.figure_shingles);
        self.tokens.extend_from_slice(&sets.tokens);
        self.winnowed.extend_from_slice(&sets.winnowed);
        self.sources.extend_from_slice(&sets.sources);
        self.ends.push([
            self.shingles.len() as u32,
            self.figure_shingles.len() as u32,
            self.tokens.len() as u32,
            self.winnowed.len() as u32,
            self.sources.len() as u32,
        ]);
        self.masked.push(OnceLock::new());
    }
}

#[cfg(test)]
impl SetArena {
    /// An arena over `units` units holding the given sets.
    pub(crate) fn from_sets(units: usize, sets: impl IntoIterator<Item = (u32, Sets)>) -> Self {
        let mut arena = SetArena {
            slot_of: vec![NONE; units],
            ..SetArena::default()
        };
        for (unit, sets) in sets {
            arena.push(unit, &sets);
        }
        arena
    }
}

/// Re-reads the first paragraphs of `units` (sorted, without repeats) and computes their sets,
/// keeping the `contents` asked for. When a paragraph's file can no longer be read, the sets are
/// taken from its next exact copy, which has the same sets, so a file changed or removed during
/// the run loses no link between the others.
pub fn load(
    corpus: &Corpus,
    fingerprinter: &Fingerprinter,
    options: normalize::Options,
    matches: &Matches,
    units: &[u32],
    contents: Contents,
) -> (SetArena, Vec<Problem>) {
    let mut arena = SetArena {
        slot_of: vec![NONE; matches.units.len()],
        ..SetArena::default()
    };
    let mut problems = Problems::default();
    // (unit whose sets are wanted, paragraph read for them): units are numbered in the order of
    // their first paragraphs, so these are in path order.
    let mut wanted: Vec<(u32, u32)> = units.iter().map(|&u| (u, matches.units.first(u))).collect();
    while !wanted.is_empty() {
        let mut retry = Vec::new();
        for block in wanted.chunks(BLOCK) {
            let read: Vec<u32> = block.iter().map(|&(_, read)| read).collect();
            let verify = contents == Contents::Verify;
            let (sets, block_problems) = corpus.reread_with(&read, |_, text| {
                normalized(text, options, |tokens| {
                    fingerprinter.sets_with(tokens, verify, !verify)
                })
            });
            problems.extend(block_problems);
            for (&(unit, read), sets) in block.iter().zip(sets) {
                match sets {
                    Some(mut sets) => {
                        // Sources in a copy's bytes are not those of the unit's first paragraph.
                        if read != matches.units.first(unit) {
                            sets.sources.clear();
                        }
                        arena.push(unit, &sets)
                    }
                    None => retry.extend(matches.next_copy(read).map(|next| (unit, next))),
                }
            }
        }
        retry.sort_unstable_by_key(|&(_, read)| read);
        wanted = retry;
    }
    arena.shingles.shrink_to_fit();
    arena.figure_shingles.shrink_to_fit();
    arena.tokens.shrink_to_fit();
    arena.winnowed.shrink_to_fit();
    arena.sources.shrink_to_fit();
    (arena, problems.into_vec())
}
