//! The real sets: what every reported similarity is computed on, and the paragraphs whose
//! candidates must be verified, read again to them.
//!
//! [`Sets`] are one paragraph's sorted shingle hashes, figure shingles, token hashes and winnowed
//! fingerprints ([`crate::fingerprint::Fingerprinter::sets_with`] computes them); [`jaccard`] and
//! its early-stopping forms compare two shingle sets, [`near_similarity`] adds how much of each
//! paragraph's words the shared shingles hold (where each shingle occurs is kept for it),
//! and [`SetsRef::conflicts_with`] tells two paragraphs whose figures differ (a template, not a
//! copy).
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

use rayon::prelude::*;

use crate::corpus::Corpus;
use crate::error::{Problem, Problems};
use crate::fingerprint::Fingerprinter;
use crate::matching::Matches;
use crate::normalize;
use crate::normalize::normalized;
use crate::wire;

/// The real sets of one paragraph, recomputed from its text when its candidates are verified.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sets {
    /// Shingle hashes, sorted and without repeats.
    pub shingles: Vec<u64>,
    /// Alongside `shingles`, the position (its first word) where each first occurs.
    pub shingle_at: Vec<u32>,
    /// `(index in shingles, position)` of every later occurrence of a shingle, sorted: a
    /// paragraph that repeats a phrase holds its shingles in more than one place.
    pub repeat_at: Vec<(u32, u32)>,
    /// How many words were shingled, and how many each shingle holds.
    pub words: Words,
    /// `(masked hash, real hash)` of every shingle that contains a figure, sorted.
    pub figure_shingles: Vec<(u64, u64)>,
    /// Token hashes (xxh3-64) in order, for extending partial matches and recomputing the
    /// shingles ([`crate::fingerprint::shingle_set`]); empty unless the paragraph takes part in partial matching.
    pub tokens: Vec<u64>,
    /// Winnowed fingerprints: `(shingle hash, shingle position)` of the minimum of every window
    /// of `window` consecutive shingles (the rightmost on ties), each selection once; sorted by
    /// hash, then position.
    pub winnowed: Vec<(u64, u32)>,
    /// Where each token is in the paragraph's bytes, `(start, end)`, alongside `tokens`, so that
    /// shared runs can be told as byte ranges; empty with `tokens`, or when the paragraph is
    /// longer than 4 GiB.
    pub sources: Vec<(u32, u32)>,
}

/// Jaccard similarity of two sorted sets without repeats.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let shared = shared_unless_below(a, b, 0, |_, _| {}).expect("no intersection is below 0");
    similarity_of(shared, a.len(), b.len())
}

/// Whether `jaccard(a, b) >= threshold` (`threshold` in (0, 1]), the same answer; but the merge
/// stops as soon as the elements left cannot bring the intersection near enough: J ≥ t needs an
/// intersection of at least t(|a| + |b|) / (1 + t), and the bound is taken one lower so that
/// rounding is left to the exact test.
pub fn jaccard_at_least(a: &[u64], b: &[u64], threshold: f64) -> bool {
    jaccard_if_at_least(a, b, threshold).is_some()
}

/// The least share of each paragraph's words two near duplicates have in shingles both hold:
/// more than two thirds of each. A paragraph contained in a much longer one is a partial match,
/// not a copy of it. The labels' working rule is "about two thirds of each"; README, "Defaults",
/// has the dev-label measurements.
pub const MIN_COVERAGE: f64 = 2.0 / 3.0;

/// Whether `covered` words of `total` are more than [`MIN_COVERAGE`] of them (exactly, in
/// integers); a paragraph without words is covered.
pub fn covers(covered: usize, total: usize) -> bool {
    total == 0 || 3 * covered > 2 * total
}

/// How many words a paragraph's shingles were made of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Words {
    /// The words shingled (those of the paragraph without its wire markup).
    pub total: u32,
    /// The words of each shingle: the shingle size, or `total` when the paragraph is shorter.
    pub per_shingle: u32,
}

/// `Some(jaccard)` of two paragraphs' shingle sets when they are near duplicates: their Jaccard
/// similarity is at least `threshold` and the shingles they share hold more than
/// [`MIN_COVERAGE`] of each paragraph's words, each shingle counted at as many places as it
/// occurs on both sides (two paragraphs that say one phrase twice share it twice; a phrase said
/// once in one and three times in the other is shared once, at its first place).
pub fn near_similarity(a: &SetsRef<'_>, b: &SetsRef<'_>, threshold: f64) -> Option<f64> {
    let needed = needed_for(a.shingles.len(), b.shingles.len(), threshold)?;
    let shared = shared_unless_below(a.shingles, b.shingles, needed, |_, _| {})?;
    let j = similarity_of(shared, a.shingles.len(), b.shingles.len());
    if j < threshold {
        return None;
    }
    // Shared shingles start at distinct places, so they hold at least as many words as there are
    // of them: when that count covers each side, the places need not be looked at.
    let surely_covered = |words: Words| covers(shared, words.total as usize);
    if surely_covered(a.words) && surely_covered(b.words) {
        return Some(j);
    }
    COVERED.with_borrow_mut(|(at_a, at_b)| {
        at_a.clear();
        at_b.clear();
        // The merge again, recording where each shared shingle is on both sides: as many of its
        // places on each as it has on both (the shared indices rise, and so do the repeats').
        let (mut repeats_a, mut repeats_b) = (a.repeat_at, b.repeat_at);
        shared_unless_below(a.shingles, b.shingles, needed, |i, k| {
            let (again_a, again_b) = (repeats_of(i, &mut repeats_a), repeats_of(k, &mut repeats_b));
            let again = again_a.len().min(again_b.len());
            at_a.push(a.shingle_at[i]);
            at_a.extend(again_a[..again].iter().map(|&(_, at)| at));
            at_b.push(b.shingle_at[k]);
            at_b.extend(again_b[..again].iter().map(|&(_, at)| at));
        });
        let covered = |at: &mut Vec<u32>, words: Words| {
            covers(covered_words(at, words.per_shingle), words.total as usize)
        };
        (covered(at_a, a.words) && covered(at_b, b.words)).then_some(j)
    })
}

thread_local! {
    /// The places of the shared shingles of each side, for [`near_similarity`].
    static COVERED: std::cell::RefCell<(Vec<u32>, Vec<u32>)> = Default::default();
}

/// Whether the figure-masked shingle sets of `a` and `b` ([`SetsRef::masked_shingles`]) have a
/// Jaccard similarity of at least `threshold`. The masked sets are made for the comparison and not
/// kept: kept for every unit in a template candidate, they were a second copy of most shingles.
pub fn masked_alike(a: &SetsRef<'_>, b: &SetsRef<'_>, threshold: f64) -> bool {
    if a.figure_shingles.is_empty() && b.figure_shingles.is_empty() {
        return jaccard_at_least(a.shingles, b.shingles, threshold);
    }
    MASKED.with_borrow_mut(|(set_a, set_b, scratch)| {
        a.masked_shingles_into(set_a, scratch);
        b.masked_shingles_into(set_b, scratch);
        jaccard_at_least(set_a, set_b, threshold)
    })
}

thread_local! {
    /// The two masked sets and the real figure shingles, for [`masked_alike`].
    static MASKED: std::cell::RefCell<(Vec<u64>, Vec<u64>, Vec<u64>)> = Default::default();
}

/// The repeats of shingle `index`, taken from the front of `repeats` (sorted; those of lower
/// indices are passed over).
fn repeats_of<'a>(index: usize, repeats: &mut &'a [(u32, u32)]) -> &'a [(u32, u32)] {
    let index = index as u32;
    let from = repeats.partition_point(|&(i, _)| i < index);
    let to = from + repeats[from..].partition_point(|&(i, _)| i == index);
    let (these, rest) = (&repeats[from..to], &repeats[to..]);
    *repeats = rest;
    these
}

/// The words that shingles of `per_shingle` words starting at `places` (in any order; sorted
/// here) hold together.
fn covered_words(places: &mut [u32], per_shingle: u32) -> usize {
    places.sort_unstable();
    let (mut covered, mut end) = (0usize, 0u32);
    for &start in places.iter() {
        let stop = start + per_shingle;
        covered += stop.saturating_sub(start.max(end)) as usize;
        end = end.max(stop);
    }
    covered
}

/// The number of elements two sets of `a` and `b` elements share, told by their Jaccard
/// similarity `j`: J = i / (a + b − i), so i = J (a + b) / (1 + J), rounded to the integer it is.
pub fn shared_count(j: f64, a: usize, b: usize) -> f64 {
    (j * (a + b) as f64 / (1.0 + j)).round()
}

/// `Some(jaccard(a, b))` when it is at least `threshold` (in (0, 1]), else `None`, with the early
/// stop of [`jaccard_at_least`]; a pair whose sizes alone rule it out (J ≤ min / max) is not
/// merged at all.
pub fn jaccard_if_at_least(a: &[u64], b: &[u64], threshold: f64) -> Option<f64> {
    let needed = needed_for(a.len(), b.len(), threshold)?;
    let shared = shared_unless_below(a, b, needed, |_, _| {})?;
    Some(similarity_of(shared, a.len(), b.len())).filter(|&j| j >= threshold)
}

/// The intersection two sets of `n` and `m` elements need for a Jaccard similarity of at least
/// `threshold`, taken one lower so that rounding is left to the exact test; `None` when their
/// sizes alone rule it out (J ≤ min / max).
fn needed_for(n: usize, m: usize, threshold: f64) -> Option<usize> {
    // The same division as the similarity's, and no larger than it can be: fp division is monotone.
    let (small, large) = (n.min(m), n.max(m));
    if large > 0 && (small as f64 / large as f64) < threshold {
        return None;
    }
    let bound = (threshold * (n + m) as f64 / (1.0 + threshold)).floor() as usize;
    Some(bound.saturating_sub(1))
}

/// The Jaccard similarity of two sets of `n` and `m` elements sharing `shared`.
fn similarity_of(shared: usize, n: usize, m: usize) -> f64 {
    match n + m {
        0 => 1.0,
        _ => shared as f64 / (n + m - shared) as f64,
    }
}

/// The size of the intersection of two sorted sets without repeats, telling `on_shared` the
/// index in `a` and in `b` of each shared element; `None` as soon as the elements left cannot
/// bring it to `needed`.
fn shared_unless_below(
    a: &[u64],
    b: &[u64],
    needed: usize,
    mut on_shared: impl FnMut(usize, usize),
) -> Option<usize> {
    let (n, m) = (a.len(), b.len());
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < n && j < m {
        if shared + (n - i).min(m - j) < needed {
            return None;
        }
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                on_shared(i, j);
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    Some(shared)
}

impl Sets {
    /// The lengths of its parts in the order of [`SetArena`]'s ends: shingles, figure shingles,
    /// tokens, winnowed fingerprints, sources and shingle repeats.
    fn lengths(&self) -> [u32; 6] {
        [
            self.shingles.len() as u32,
            self.figure_shingles.len() as u32,
            self.tokens.len() as u32,
            self.winnowed.len() as u32,
            self.sources.len() as u32,
            self.repeat_at.len() as u32,
        ]
    }

    /// Adds the items of the paragraph ([`list_items`] of its bytes and tokens), if it is a list
    /// of names, to its figure shingles, one under [`LIST_SHINGLE`] each.
    pub fn add_list_items(&mut self, bytes: &[u8], tokens: &normalize::Tokens) {
        if self.shingles.is_empty() {
            return;
        }
        let items = list_items(bytes, tokens);
        if !items.is_empty() {
            let list = items.into_iter().map(|item| (LIST_SHINGLE, item));
            self.figure_shingles.extend(list);
            self.figure_shingles.sort_unstable();
        }
    }

    /// The sets as slices.
    pub fn view(&self) -> SetsRef<'_> {
        SetsRef {
            shingles: &self.shingles,
            shingle_at: &self.shingle_at,
            repeat_at: &self.repeat_at,
            words: self.words,
            figure_shingles: &self.figure_shingles,
            tokens: &self.tokens,
            winnowed: &self.winnowed,
            sources: &self.sources,
        }
    }
}

/// The real sets of one paragraph, borrowed (from a [`Sets`] or an arena of them).
#[derive(Debug, Clone, Copy, Default)]
pub struct SetsRef<'a> {
    /// Shingle hashes, sorted and without repeats.
    pub shingles: &'a [u64],
    /// Alongside `shingles`, where each first occurs.
    pub shingle_at: &'a [u32],
    /// `(index in shingles, position)` of every later occurrence, sorted.
    pub repeat_at: &'a [(u32, u32)],
    /// How many words were shingled, and how many each shingle holds.
    pub words: Words,
    /// `(masked hash, real hash)` of every shingle that contains a figure, sorted.
    pub figure_shingles: &'a [(u64, u64)],
    /// Token hashes in order (empty unless the paragraph takes part in partial matching).
    pub tokens: &'a [u64],
    /// Winnowed fingerprints with their shingle positions, sorted by hash.
    pub winnowed: &'a [(u64, u32)],
    /// Where each token is in the paragraph's bytes (empty when not known).
    pub sources: &'a [(u32, u32)],
}

impl SetsRef<'_> {
    /// The shingle set with every figure masked, sorted and without repeats.
    pub fn masked_shingles(&self) -> Vec<u64> {
        let mut set = Vec::new();
        self.masked_shingles_into(&mut set, &mut Vec::new());
        set
    }

    /// [`SetsRef::masked_shingles`] into `set`, with `scratch` for the real figure shingles
    /// (both cleared first).
    fn masked_shingles_into(&self, set: &mut Vec<u64>, scratch: &mut Vec<u64>) {
        set.clear();
        if self.figure_shingles.is_empty() {
            set.extend_from_slice(self.shingles);
            return;
        }
        scratch.clear();
        scratch.extend(self.figure_shingles.iter().map(|&(_, r)| r));
        scratch.sort_unstable();
        // Two sorted runs merged: the shingles without a figure, and the masked hashes of those
        // with one (the figure shingles are sorted by masked hash).
        let mut figures = scratch.iter().copied().peekable();
        let mut plain = (self.shingles.iter().copied())
            .filter(|&s| {
                while figures.next_if(|&f| f < s).is_some() {}
                figures.peek() != Some(&s)
            })
            .peekable();
        let mut masked = self.figure_shingles.iter().map(|&(m, _)| m).peekable();
        loop {
            let next = match (plain.peek(), masked.peek()) {
                (Some(&p), Some(&m)) if p <= m => plain.next(),
                (_, Some(_)) => masked.next(),
                (Some(_), None) => plain.next(),
                (None, None) => break,
            };
            if let Some(h) = next
                && set.last() != Some(&h)
            {
                set.push(h);
            }
        }
    }

    /// Whether a figure of one paragraph stands where the other has a different figure: some
    /// masked shingle occurs in both, but never with the same figures. A figure that is only
    /// missing on one side (a sentence added or cut) is no conflict.
    pub fn conflicts_with(&self, other: &SetsRef<'_>) -> bool {
        self.conflict(other) != Conflict::None
    }

    /// What [`SetsRef::conflicts_with`] finds, telling a conflict confined to the datelines'
    /// dates from one in the text.
    pub fn conflict(&self, other: &SetsRef<'_>) -> Conflict {
        let mut found = Conflict::None;
        let groups = equal_key_groups(self.figure_shingles, other.figure_shingles, |p| p.0);
        for (xs, ys) in groups {
            let masked = xs[0].0;
            if masked == LIST_SHINGLE {
                // Two lists of names conflict when each names someone the other does not.
                let lacks = |xs: &[(u64, u64)], ys: &[(u64, u64)]| {
                    xs.iter()
                        .any(|x| ys.binary_search_by_key(&x.1, |y| y.1).is_err())
                };
                if lacks(xs, ys) && lacks(ys, xs) {
                    return Conflict::Figures;
                }
            } else if !xs.iter().any(|x| ys.iter().any(|y| x.1 == y.1)) {
                if masked != DATELINE_SHINGLE {
                    return Conflict::Figures;
                }
                found = Conflict::Dateline;
            }
        }
        found
    }
}

/// For every key both `a` and `b` hold (each sorted by `key`), its entries in `a` and in `b`, in
/// key order: a merge of the two.
pub(crate) fn equal_key_groups<'s, T>(
    a: &'s [T],
    b: &'s [T],
    key: impl Fn(&T) -> u64 + Copy,
) -> impl Iterator<Item = (&'s [T], &'s [T])> {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || {
        while i < a.len() && j < b.len() {
            let (ka, kb) = (key(&a[i]), key(&b[j]));
            if ka < kb {
                i += 1;
            } else if kb < ka {
                j += 1;
            } else {
                let i_end = i + a[i..].iter().take_while(|x| key(x) == ka).count();
                let j_end = j + b[j..].iter().take_while(|y| key(y) == kb).count();
                let group = (&a[i..i_end], &b[j..j_end]);
                (i, j) = (i_end, j_end);
                return Some(group);
            }
        }
        None
    })
}

/// Paragraphs re-read and shingled together.
pub const BLOCK: usize = 16 * 1024;

/// Paragraphs of a block whose sets are gathered into one piece of the arena on one thread.
const PIECE: usize = 512;

const NONE: u32 = u32::MAX;

/// The parts of the sets to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// Shingles and figure shingles: what verifying a near or template candidate needs.
    Verify,
    /// Token hashes and winnowed fingerprints: what finding partial matches needs.
    Partial,
    /// Both (the benches, the example and the tests).
    All,
}

impl Contents {
    /// Whether the shingles and figure shingles are kept.
    pub fn verify(self) -> bool {
        self != Contents::Partial
    }

    /// Whether the token hashes and winnowed fingerprints are kept.
    pub fn partial(self) -> bool {
        self != Contents::Verify
    }
}

/// The masked hash under which a dated dateline is one figure shingle ([`crate::wire::Content`]):
/// two datelines of different places or days conflict like two figures in one place.
pub const DATELINE_SHINGLE: u64 = 0x6461_7465_6c69_6e65;

/// The masked hash under which each item of a list of names is one figure shingle
/// ([`list_items`]).
pub const LIST_SHINGLE: u64 = 0x6c69_7374_6974_656d;

/// The fewest items a list of names has.
pub const LIST_MIN_ITEMS: usize = 6;

/// The most words of a name, an item of a list of names; at least [`LIST_ITEM_SHARE`] of its
/// items are names (a capital letter first).
pub const LIST_ITEM_WORDS: usize = 3;

/// See [`LIST_ITEM_WORDS`].
pub const LIST_ITEM_SHARE: f64 = 0.8;

/// The items of a list of names, as hashes of their tokens, sorted and without repeats; empty
/// when the paragraph is no such list. A list of names is a paragraph of at least
/// [`LIST_MIN_ITEMS`] items separated by commas or semicolons, at least [`LIST_ITEM_SHARE`] of
/// them names: [`LIST_ITEM_WORDS`] words or fewer, the first with a capital letter (a team
/// sheet, a cast, a list of winners; not a list of figures or of code). Each item states a fact
/// as a figure does, so two lists where each has an item the other lacks are a template, not
/// copies, however much else they share. `tokens` are those of the paragraph without its wire
/// markup (a dateline is no item).
pub fn list_items(bytes: &[u8], tokens: &normalize::Tokens) -> Vec<u64> {
    let mut items: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for i in 1..=tokens.len() {
        let ends = i == tokens.len() || {
            let between = tokens.tokens[i - 1].source.end..tokens.tokens[i].source.start;
            bytes
                .get(between)
                .is_some_and(|gap| gap.iter().any(|&b| b == b',' || b == b';'))
        };
        if ends {
            items.push((start, i));
            start = i;
        }
    }
    let capital = |t: usize| {
        let source = &tokens.tokens[t].source;
        bytes
            .get(source.clone())
            .and_then(|word| std::str::from_utf8(word).ok())
            .and_then(|word| word.chars().next())
            .is_some_and(char::is_uppercase)
    };
    let names = items
        .iter()
        .filter(|&&(start, end)| end - start <= LIST_ITEM_WORDS && capital(start))
        .count();
    if items.len() < LIST_MIN_ITEMS || (names as f64) < LIST_ITEM_SHARE * items.len() as f64 {
        return Vec::new();
    }
    let mut hashes: Vec<u64> = items
        .iter()
        .map(|&(start, end)| {
            let mut item = xxhash_rust::xxh3::Xxh3::new();
            for t in start..end {
                item.update(tokens.word(t).as_bytes());
                item.update(b" ");
            }
            item.digest()
        })
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    hashes
}

/// Where two paragraphs' figures conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Conflict {
    /// Nowhere.
    None,
    /// Only in their datelines: the same text sent from another place or on another day.
    Dateline,
    /// In the text.
    Figures,
}

/// The real sets of some paragraphs, in flat arrays.
#[derive(Debug, Default)]
pub struct SetArena {
    /// For every unit of exact copies, its slot, or [`NONE`].
    slot_of: Vec<u32>,
    /// For every slot, where its shingles, figure shingles, tokens, winnowed fingerprints, token
    /// sources and shingle repeats end.
    ends: Vec<[u32; 6]>,
    /// For every slot, its [`Words`].
    words: Vec<Words>,
    shingles: Vec<u64>,
    /// Alongside `shingles`.
    shingle_at: Vec<u32>,
    repeat_at: Vec<(u32, u32)>,
    figure_shingles: Vec<(u64, u64)>,
    tokens: Vec<u64>,
    winnowed: Vec<(u64, u32)>,
    sources: Vec<(u32, u32)>,
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
            0 => [0; 6],
            _ => self.ends[slot as usize - 1],
        };
        let end = self.ends[slot as usize];
        let range = |i: usize| start[i] as usize..end[i] as usize;
        SetsRef {
            shingles: &self.shingles[range(0)],
            shingle_at: &self.shingle_at[range(0)],
            repeat_at: &self.repeat_at[range(5)],
            words: self.words[slot as usize],
            figure_shingles: &self.figure_shingles[range(1)],
            tokens: &self.tokens[range(2)],
            winnowed: &self.winnowed[range(3)],
            sources: &self.sources[range(4)],
        }
    }

    /// Keeps the sets of `units` only, in place, and frees the memory of the others.
    pub fn retain(&mut self, units: &[u32]) {
        // The unit kept in each slot, if any; the others' slots are dropped.
        let mut unit_of_slot = vec![NONE; self.ends.len()];
        for &unit in units {
            let slot = self.slot_of[unit as usize];
            if slot != NONE {
                unit_of_slot[slot as usize] = unit;
            }
        }
        self.slot_of.fill(NONE);
        let old_ends = std::mem::take(&mut self.ends);
        let mut start = [0u32; 6];
        let mut kept = 0;
        for (slot, (&unit, &end)) in unit_of_slot.iter().zip(&old_ends).enumerate() {
            let range = |i: usize| start[i] as usize..end[i] as usize;
            if unit != NONE {
                let at = self.ends.last().copied().unwrap_or_default();
                let to = |i: usize| at[i] as usize;
                self.shingles.copy_within(range(0), to(0));
                self.shingle_at.copy_within(range(0), to(0));
                self.figure_shingles.copy_within(range(1), to(1));
                self.tokens.copy_within(range(2), to(2));
                self.winnowed.copy_within(range(3), to(3));
                self.sources.copy_within(range(4), to(4));
                self.repeat_at.copy_within(range(5), to(5));
                self.words[kept] = self.words[slot];
                self.ends
                    .push(std::array::from_fn(|i| at[i] + end[i] - start[i]));
                self.slot_of[unit as usize] = kept as u32;
                kept += 1;
            }
            start = end;
        }
        let end = self.ends.last().copied().unwrap_or_default();
        self.words.truncate(kept);
        self.shingles.truncate(end[0] as usize);
        self.shingle_at.truncate(end[0] as usize);
        self.figure_shingles.truncate(end[1] as usize);
        self.tokens.truncate(end[2] as usize);
        self.winnowed.truncate(end[3] as usize);
        self.sources.truncate(end[4] as usize);
        self.repeat_at.truncate(end[5] as usize);
        self.shrink_to_fit();
    }

    fn shrink_to_fit(&mut self) {
        self.ends.shrink_to_fit();
        self.words.shrink_to_fit();
        self.shingles.shrink_to_fit();
        self.shingle_at.shrink_to_fit();
        self.repeat_at.shrink_to_fit();
        self.figure_shingles.shrink_to_fit();
        self.tokens.shrink_to_fit();
        self.winnowed.shrink_to_fit();
        self.sources.shrink_to_fit();
    }

    /// Appends the sets `read` of the units of `wanted` (`(unit, paragraph read)`, in order;
    /// `None`: not read, left without a slot). The arrays grow once and each piece of [`PIECE`]
    /// paragraphs is copied into its own part of them on its own thread, where its paragraphs'
    /// vectors are freed.
    fn append_read(&mut self, wanted: &[(u32, u32)], mut read: Vec<Option<Sets>>) {
        // Each piece's length in every array, and the slots' ends, here in order.
        let mut end = self.ends.last().copied().unwrap_or_default();
        let mut piece_lengths = Vec::with_capacity(read.len().div_ceil(PIECE));
        for (piece, wanted) in read.chunks(PIECE).zip(wanted.chunks(PIECE)) {
            let mut lengths = [0u32; 6];
            for (sets, &(unit, _)) in piece.iter().zip(wanted) {
                let Some(sets) = sets else { continue };
                let parts = sets.lengths();
                for i in 0..6 {
                    lengths[i] += parts[i];
                    end[i] += parts[i];
                }
                self.slot_of[unit as usize] = self.ends.len() as u32;
                self.ends.push(end);
                self.words.push(sets.words);
            }
            piece_lengths.push(lengths);
        }
        let at = |i: usize| piece_lengths.iter().map(move |l| l[i] as usize);
        let shingles = grow(&mut self.shingles, end[0], at(0));
        let shingle_at = grow(&mut self.shingle_at, end[0], at(0));
        let figure_shingles = grow(&mut self.figure_shingles, end[1], at(1));
        let tokens = grow(&mut self.tokens, end[2], at(2));
        let winnowed = grow(&mut self.winnowed, end[3], at(3));
        let sources = grow(&mut self.sources, end[4], at(4));
        let repeat_at = grow(&mut self.repeat_at, end[5], at(5));
        let parts = (shingles.into_iter().zip(shingle_at))
            .zip(figure_shingles.into_iter().zip(tokens))
            .zip(winnowed.into_iter().zip(sources))
            .zip(repeat_at);
        let pieces: Vec<_> = parts.zip(read.chunks_mut(PIECE)).collect();
        pieces.into_par_iter().for_each(|(parts, piece)| {
            let ((((mut s, mut sa), (mut f, mut t)), (mut w, mut so)), mut r) = parts;
            for sets in piece.iter_mut().filter_map(Option::take) {
                put(&mut s, &sets.shingles);
                put(&mut sa, &sets.shingle_at);
                put(&mut f, &sets.figure_shingles);
                put(&mut t, &sets.tokens);
                put(&mut w, &sets.winnowed);
                put(&mut so, &sets.sources);
                put(&mut r, &sets.repeat_at);
            }
        });
    }
}

/// Grows `v` to `len` elements and returns the new part cut into consecutive slices of `lengths`.
fn grow<T: Copy + Default>(
    v: &mut Vec<T>,
    len: u32,
    lengths: impl Iterator<Item = usize>,
) -> Vec<&mut [T]> {
    let old = v.len();
    v.resize(len as usize, T::default());
    let mut rest = &mut v[old..];
    lengths
        .map(|n| {
            let (part, tail) = std::mem::take(&mut rest).split_at_mut(n);
            rest = tail;
            part
        })
        .collect()
}

/// Copies `items` to the front of `to` and moves `to` past them.
fn put<T: Copy>(to: &mut &mut [T], items: &[T]) {
    let (part, rest) = std::mem::take(to).split_at_mut(items.len());
    part.copy_from_slice(items);
    *to = rest;
}

#[cfg(test)]
impl SetArena {
    /// An arena over `units` units holding the given sets.
    pub(crate) fn from_sets(units: usize, sets: impl IntoIterator<Item = (u32, Sets)>) -> Self {
        let mut arena = SetArena {
            slot_of: vec![NONE; units],
            ..SetArena::default()
        };
        let (units, sets): (Vec<u32>, Vec<Sets>) = sets.into_iter().unzip();
        let wanted: Vec<(u32, u32)> = units.iter().map(|&u| (u, u)).collect();
        arena.append_read(&wanted, sets.into_iter().map(Some).collect());
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
            let (mut sets, block_problems) = corpus.reread_with(&read, |_, text| {
                normalized(text, options, |tokens| {
                    let content = wire::content(text, tokens);
                    let mut sets = fingerprinter.sets_with(tokens, content.as_ref(), contents);
                    if contents.verify() && !options.ignore_figures {
                        sets.add_list_items(text, content.as_ref().map_or(tokens, |c| &c.tokens));
                    }
                    sets
                })
            });
            problems.extend(block_problems);
            for (&(unit, read), sets) in block.iter().zip(&mut sets) {
                match sets {
                    // Sources in a copy's bytes are not those of the unit's first paragraph.
                    Some(sets) if read != matches.units.first(unit) => sets.sources.clear(),
                    Some(_) => {}
                    None => retry.extend(matches.next_copy(read).map(|next| (unit, next))),
                }
            }
            arena.append_read(block, sets);
        }
        retry.sort_unstable_by_key(|&(_, read)| read);
        wanted = retry;
    }
    arena.shrink_to_fit();
    (arena, problems.into_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(text: &str) -> Sets {
        let fingerprinter = Fingerprinter::new(crate::Config::default().fingerprint_params());
        fingerprinter.sets(&crate::normalize::normalize(
            text.as_bytes(),
            crate::normalize::Options::default(),
        ))
    }

    proptest::proptest! {
        /// The early-stopping test answers as the full Jaccard similarity does.
        #[test]
        fn jaccard_at_least_agrees_with_jaccard(
            a in proptest::collection::btree_set(0u64..40, 0..30),
            b in proptest::collection::btree_set(0u64..40, 0..30),
            threshold in proptest::sample::select(vec![0.1, 1.0 / 3.0, 0.5, 0.6, 2.0 / 3.0, 0.8, 1.0]),
        ) {
            let (a, b): (Vec<u64>, Vec<u64>) = (a.into_iter().collect(), b.into_iter().collect());
            proptest::prop_assert_eq!(
                jaccard_at_least(&a, &b, threshold),
                jaccard(&a, &b) >= threshold
            );
            let j = jaccard(&a, &b);
            proptest::prop_assert_eq!(
                jaccard_if_at_least(&a, &b, threshold),
                (j >= threshold).then_some(j)
            );
        }
    }

    fn parts<'a>(s: &SetsRef<'a>) -> impl PartialEq + std::fmt::Debug + use<'a> {
        let s = *s;
        (
            (s.shingles, s.shingle_at, s.repeat_at, s.figure_shingles),
            (s.words, s.tokens, s.winnowed, s.sources),
        )
    }

    #[test]
    fn an_arena_keeps_the_sets_of_the_units_retained() {
        let texts = [
            "Qtly div 10 cts vs 9 cts prior pay April 15 record April one",
            "The toll rose on Friday. Officials said 45 people died in the blast.",
            "Brazil and Chile said on Monday that they would meet again in May, 2026",
            "Nothing to see here at all, the plain words of a plain paragraph",
        ];
        let all: Vec<Sets> = texts.iter().map(|t| sets(t)).collect();
        let mut arena = SetArena::from_sets(6, [1, 2, 4, 5].into_iter().zip(all.clone()));
        arena.retain(&[2, 5]);
        assert_eq!(parts(&arena.get(2)), parts(&all[1].view()));
        assert_eq!(parts(&arena.get(5)), parts(&all[3].view()));
        for dropped in [0, 1, 3, 4] {
            assert!(arena.get(dropped).shingles.is_empty());
        }
        assert_eq!(arena.ends.len(), 2);
        assert_eq!(
            arena.shingles.len(),
            all[1].shingles.len() + all[3].shingles.len()
        );
    }

    #[test]
    fn masked_sets_are_the_shingles_with_their_figures_masked() {
        for text in [
            "Qtly div 10 cts vs 9 cts prior pay April 15 record April one",
            "Two weeks ended Feb 25 daily avgs-mlns 10 10 10 and 10 again",
            "Nothing to see here at all, the plain words of a plain paragraph",
        ] {
            let sets = sets(text);
            let s = sets.view();
            let real: Vec<u64> = s.figure_shingles.iter().map(|&(_, r)| r).collect();
            let mut expected: Vec<u64> = (s.shingles.iter().copied())
                .filter(|h| !real.contains(h))
                .chain(s.figure_shingles.iter().map(|&(m, _)| m))
                .collect();
            expected.sort_unstable();
            expected.dedup();
            assert_eq!(s.masked_shingles(), expected, "{text}");
        }
        let a = sets("Qtly div 10 cts vs 9 cts prior pay April 15 record April one");
        let b = sets("Qtly div 12 cts vs 9 cts prior pay April 15 record April one");
        assert!(masked_alike(&a.view(), &b.view(), 0.9));
        assert!(!jaccard_at_least(&a.shingles, &b.shingles, 0.9));
    }

    #[test]
    fn figure_conflicts() {
        let a = sets("Qtly div 10 cts vs 9 cts prior");
        let b = sets("Qtly div 12 cts vs 9 cts prior");
        let (a, b) = (a.view(), b.view());
        assert!(a.conflicts_with(&b) && b.conflicts_with(&a));
        assert!(!a.conflicts_with(&a));
        // A sentence with a figure missing on one side is no conflict.
        let long = sets("The toll rose on Friday. Officials said 45 people died in the blast.");
        let cut = sets("The toll rose on Friday.");
        let (long, cut) = (long.view(), cut.view());
        assert!(!long.conflicts_with(&cut));
        let updated = sets("The toll rose on Friday. Officials said 50 people died in the blast.");
        assert!(long.conflicts_with(&updated.view()));
        // A unit that agrees with its figure in number still puts the figures in one place.
        let two = sets("Two weeks ended Feb 25 daily avgs-mlns");
        let one = sets("One week ended Feb 25 Daily avgs-Mlns");
        assert!(two.view().conflicts_with(&one.view()));
        let shares = sets("The company sold 100 shares of its stock to the public on Monday");
        let less = sets("The company sold 1 share of its stock to the public on Monday");
        assert!(shares.view().conflicts_with(&less.view()));
    }

    #[test]
    fn lists_of_names_conflict_when_each_names_someone_the_other_does_not() {
        let with_items = |text: &str| {
            let tokens = crate::normalize::normalize(text.as_bytes(), Default::default());
            let mut sets = sets(text);
            sets.add_list_items(text.as_bytes(), &tokens);
            sets
        };
        let home = "G Thomas (capt); H Luscombe, T Shanklin, G Henson, S Williams; S Jones, D Peel";
        let away = "G Thomas (capt); K Morgan, T Shanklin, G Henson, S Williams; S Jones, D Peel";
        let more = "G Thomas (capt); H Luscombe, T Shanklin, G Henson, S Williams; S Jones, D Peel,                     M Owen";
        let [home, away, more] = [home, away, more].map(with_items);
        assert!(home.view().conflicts_with(&away.view()));
        // A name added is a sentence added: no conflict.
        assert!(!home.view().conflicts_with(&more.view()));
        assert!(!home.view().conflicts_with(&home.view()));
        // Prose with commas is no list.
        let prose = "Brazil, Argentina and Chile said on Monday, in a joint statement issued in                      Brasilia, that they would meet again, probably in May, to talk about trade.";
        let tokens = crate::normalize::normalize(prose.as_bytes(), Default::default());
        assert!(list_items(prose.as_bytes(), &tokens).is_empty());
        assert!(with_items(prose).figure_shingles.is_empty());
        // Nor are figures or code, which have no names.
        for text in [
            "PWM Output Frequencies (in Hz): 12, 36, 48, 60, 72, 84, 96, 22500",
            "drive_ao1, drive_ao2, drive_at1, drive_at2, drive_cdev1, drive_cdev2, drive_csus",
        ] {
            let tokens = crate::normalize::normalize(text.as_bytes(), Default::default());
            assert!(list_items(text.as_bytes(), &tokens).is_empty(), "{text}");
        }
    }

    #[test]
    fn coverage_counts_each_word_once_however_many_shared_shingles_hold_it() {
        // Two-word shingles at 0, 1 and 5 of a 9-word paragraph: words 0-2 and 5-6.
        assert_eq!(covered_words(&mut [5, 0, 1], 2), 5);
        assert_eq!(covered_words(&mut [], 2), 0);
        // More than two thirds, in integers: 6 of 9 is not, 7 of 9 is.
        assert!(!covers(6, 9) && covers(7, 9));
        // One word changed in the middle of a 10-word line leaves 9 of its words covered
        // by two-word shingles, while 2 of its 9 shingles are lost.
        let line = sets("Iraqi forces arrest a man suspected of belonging to militants");
        let edited = sets("Iraqi forces arrest a woman suspected of belonging to militants");
        assert!(near_similarity(&line.view(), &edited.view(), 0.5).is_some());
    }

    #[test]
    fn a_phrase_said_twice_on_both_sides_covers_both_places() {
        let twice = "dpaa2_switch dpsw.0: Flooding domain is not per FDB, cannot probe \
                     dpaa2_switch dpsw.0: Broadcast domain is not per FDB, cannot probe";
        let (line, edited) = (sets(twice), sets(&twice.replace("Broadcast", "Multicast")));
        // Counted at its first place only, the repeated half would hold too few words.
        let first_places = covered_words(&mut line.shingle_at.clone(), line.words.per_shingle);
        assert!(!covers(first_places, line.words.total as usize));
        assert!(!line.repeat_at.is_empty());
        let j = jaccard(&line.shingles, &edited.shingles);
        assert_eq!(near_similarity(&line.view(), &edited.view(), 0.5), Some(j));
    }

    #[test]
    fn a_phrase_repeated_on_one_side_only_is_shared_once() {
        // The short line's phrases come back in the long one's second half; each still covers
        // only one place of the long one, so it is contained, not a copy.
        let short = sets("the board of the company said the offer was too low");
        let long = sets(
            "the board of the company said the offer was too low and the board of the \
             company said the offer was too low for holders",
        );
        assert!(jaccard(&short.shingles, &long.shingles) >= 0.5);
        assert_eq!(near_similarity(&short.view(), &long.view(), 0.5), None);
    }

    #[test]
    fn a_paragraph_contained_in_a_longer_one_is_not_near_it() {
        let long = sets(
            "The detainees took their case to the House of Lords after the Court of Appeal \
             backed the powers of the Home Office to hold them without limit or charge.",
        );
        let first_half =
            sets("The detainees took their case to the House of Lords after the Court");
        let j = jaccard(&long.shingles, &first_half.shingles);
        // Alike enough by Jaccard at a threshold of 0.4, but covering half of the long one.
        assert!(j >= 0.4, "{j}");
        assert_eq!(near_similarity(&long.view(), &first_half.view(), 0.4), None);
        let edited = sets(
            "The detainees took their case to the House of Lords after the Court of Appeal \
             backed the powers of the Home Office to detain them without limit or charge.",
        );
        let j = jaccard(&long.shingles, &edited.shingles);
        assert_eq!(near_similarity(&long.view(), &edited.view(), 0.4), Some(j));
    }
}
