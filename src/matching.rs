//! Stage 6, match: fingerprints to verified links between paragraphs.
//!
//! In: every paragraph's [`Fingerprints`] (keys and LSH band keys), in report order (path, then
//! line), and, for verification, the real sets of the candidates' paragraphs ([`SetArena`]).
//! Out: [`Matches`]: the paragraphs grouped into units of exact copies (same exact key), and
//! verified links between units: near (Jaccard of the real shingle sets at or above the threshold,
//! no conflicting figures) and template (alike once figures are masked, but with a figure of one
//! standing where the other has a different one).
//!
//! Matching runs in three steps so that shingle sets are only held for the candidates:
//! [`group_exact`] (units, and template links between units with equal masked keys),
//! [`band_pairs`] (unit pairs sharing an LSH band key; or drawn outside the run, by `dedup stage
//! candidates` or the shipped SQL, [`BandPairs::of_first_paragraphs`]) with
//! [`with_content_candidates`], then [`verify_candidates`] and [`resolve`] on the sets re-read
//! for those pairs (the first of the two also in `dedup stage verify`). Nothing estimated from
//! the sketch reaches the report. A band bucket holding more than `bucket_cap`
//! units (boilerplate shared by very many paragraphs) is not expanded into all its pairs: each of
//! its units is compared with the bucket's first unit only, and the bucket is counted in
//! [`Matches::oversized_buckets`].

use std::collections::HashSet;

use rayon::prelude::*;
use xxhash_rust::xxh3::Xxh3Builder;

use crate::corpus::Paragraph;
use crate::fingerprint::{Fingerprints, Key};
use crate::sets::SetArena;
use crate::sets::{Conflict, SetsRef, masked_alike, near_similarity};

/// Units of exact copies: for every unit its paragraphs in report order, in one flat array.
#[derive(Debug, Default)]
pub struct Units {
    /// Where each unit's paragraphs end in `members`.
    ends: Vec<u32>,
    members: Vec<u32>,
}

impl Units {
    /// Number of units.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The paragraphs of unit `u`, in report order.
    pub fn get(&self, u: u32) -> &[u32] {
        let start = match u {
            0 => 0,
            _ => self.ends[u as usize - 1] as usize,
        };
        &self.members[start..self.ends[u as usize] as usize]
    }

    /// The paragraph that stands for unit `u`: its first.
    pub fn first(&self, u: u32) -> u32 {
        self.get(u)[0]
    }
}

/// For every paragraph, the index of its unit, or none for paragraphs without a single token,
/// which are never matched: 4 bytes a paragraph, where `Option<u32>` takes 8.
#[derive(Debug, Default)]
pub struct UnitOf(Vec<u32>);

impl UnitOf {
    const NONE: u32 = u32::MAX;

    /// The unit of paragraph `p`, if it has one.
    pub fn get(&self, p: u32) -> Option<u32> {
        Some(self.0[p as usize]).filter(|&u| u != Self::NONE)
    }
}

/// The result of matching.
#[derive(Debug, Default)]
pub struct Matches {
    /// For every paragraph, the index of its unit (exact-copy group).
    pub unit_of: UnitOf,
    /// The units. Units are numbered in the order of their first paragraph.
    pub units: Units,
    /// Verified near links between units `(a, b)`, `a < b`, sorted.
    pub near: Vec<(u32, u32)>,
    /// Verified template links between units, sorted.
    pub templates: Vec<(u32, u32)>,
    /// Candidate unit pairs verified on their shingle sets.
    pub candidate_pairs: usize,
    /// Band buckets over `bucket_cap`.
    pub oversized_buckets: usize,
}

impl Matches {
    /// The exact copy that follows paragraph `p` in its unit, if any.
    pub fn next_copy(&self, p: u32) -> Option<u32> {
        let copies = self.units.get(self.unit_of.get(p)?);
        let at = copies.iter().position(|&c| c == p)?;
        copies.get(at + 1).copied()
    }
}

/// With `--reference`, the units that hold input text (a paragraph of a file not under
/// `--reference`). The reference is matched against the inputs, never against itself: a candidate
/// pair needs a unit of input text, so a run's cost follows its inputs, not the reference it is
/// checked against, and a reference index could answer without the reference's own pairs.
pub struct InputUnits(Vec<bool>);

impl InputUnits {
    /// The units of `m` that hold a paragraph `is_input` says is input text; `None` when every
    /// unit does (a run without `--reference`).
    pub fn of(m: &Matches, is_input: impl Fn(u32) -> bool + Sync) -> Option<Self> {
        let units = &m.units;
        let holds: Vec<bool> = (0..units.len() as u32)
            .into_par_iter()
            .map(|u| units.get(u).iter().any(|&p| is_input(p)))
            .collect();
        (!holds.iter().all(|&h| h)).then_some(InputUnits(holds))
    }

    /// Whether unit `u` holds input text.
    pub fn holds(&self, u: u32) -> bool {
        self.0[u as usize]
    }

    /// Whether either unit of the pair holds input text.
    pub fn either(&self, (a, b): (u32, u32)) -> bool {
        self.holds(a) || self.holds(b)
    }
}

/// A set of keys (band keys, fingerprints) that very many others are looked up in: a bitmap of
/// one hash of each in front of the sorted keys, so that a key not in the set costs one bit test
/// nearly always. With `--reference`, the keys of the input text: only the buckets they are in
/// can give a candidate pair, and the reference's other keys are passed over unsorted.
pub struct KeyFilter {
    bits: Vec<u64>,
    keys: Vec<u64>,
}

impl KeyFilter {
    /// Bits in the bitmap (128 KiB).
    const BITS: u32 = 20;

    /// The set of `keys`.
    pub fn new(keys: impl Iterator<Item = u64>) -> Self {
        let mut keys: Vec<u64> = keys.collect();
        keys.sort_unstable();
        keys.dedup();
        let mut bits = vec![0u64; (1 << Self::BITS) / 64];
        for &key in &keys {
            let bit = Self::bit(key);
            bits[bit / 64] |= 1 << (bit % 64);
        }
        KeyFilter { bits, keys }
    }

    fn bit(key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::BITS)) as usize
    }

    /// Whether `key` is in the set.
    pub fn contains(&self, key: u64) -> bool {
        let bit = Self::bit(key);
        self.bits[bit / 64] >> (bit % 64) & 1 == 1 && self.keys.binary_search(&key).is_ok()
    }
}

/// A candidate pair that passed the first round of verification, and how it relates.
pub type Verified = (u32, u32, Link);

/// How a verified candidate pair relates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Near,
    Template,
    /// Their figures conflict only in the datelines: near when their files are copies.
    DatelineOnly,
}

/// Groups paragraphs with equal exact keys into units, numbered in report order, and links units
/// equal but for their figures as templates of one another.
pub fn group_exact(fps: &Fingerprints) -> Matches {
    let keys = fps.keys();
    // Sorted by the high half of the exact key, then id: 16 bytes a paragraph, where a hash map
    // from whole keys to units took about 50.
    let mut order: Vec<(u64, u32)> = keys
        .par_iter()
        .enumerate()
        .filter(|(_, k)| k.words > 0)
        .map(|(id, k)| ((k.exact >> 64) as u64, id as u32))
        .collect();
    order.par_sort_unstable();
    // Paragraphs grouped by whole key, each group in id order; (first id, start, length) of each.
    // Pieces of `order` that start where the high half changes are grouped on every thread.
    let pieces: Vec<Grouped> = runs_in_pieces(&order, GROUP_PIECE)
        .into_par_iter()
        .map(|piece| group_by_whole_key(piece, keys))
        .collect();
    let mut grouped: Vec<u32> = Vec::with_capacity(order.len());
    let mut groups: Vec<(u32, u32, u32)> = Vec::new();
    for (piece_groups, piece_grouped) in pieces {
        let base = grouped.len() as u32;
        groups.extend((piece_groups.iter()).map(|&(first, start, len)| (first, base + start, len)));
        grouped.extend_from_slice(&piece_grouped);
    }
    drop(order);
    // Units are numbered in the order of their first paragraph.
    groups.par_sort_unstable();
    let mut unit_of = vec![UnitOf::NONE; keys.len()];
    let mut ends = Vec::with_capacity(groups.len());
    let mut members = Vec::with_capacity(grouped.len());
    for (unit, &(_, start, len)) in groups.iter().enumerate() {
        let ids = &grouped[start as usize..(start + len) as usize];
        for &id in ids {
            unit_of[id as usize] = unit as u32;
        }
        members.extend_from_slice(ids);
        ends.push(members.len() as u32);
    }
    drop((grouped, groups));
    let mut m = Matches {
        unit_of: UnitOf(unit_of),
        units: Units { ends, members },
        ..Matches::default()
    };

    // Masked-key groups: units equal but for their figures are templates of one another, each
    // paired with the first unit of its masked key, the pairs in the order of their later unit.
    let mut masked: Vec<(u128, u32)> = (0..m.units.len() as u32)
        .into_par_iter()
        .filter_map(|u| {
            let key = fps.key(m.units.first(u));
            (key.masked != key.exact).then_some((key.masked, u))
        })
        .collect();
    masked.par_sort_unstable();
    m.templates = masked
        .chunk_by(|a, b| a.0 == b.0)
        .flat_map(|same| same[1..].iter().map(|&(_, u)| (same[0].1, u)))
        .collect();
    m.templates.par_sort_unstable_by_key(|&(_, u)| u);
    m
}

/// Entries of the sorted `order` a piece of [`group_exact`]'s grouping takes, about.
const GROUP_PIECE: usize = 1 << 16;

/// `sorted` cut into pieces of about `size` entries, each starting where the high half of the
/// key changes, so that no run of equal high halves is cut.
fn runs_in_pieces(sorted: &[(u64, u32)], size: usize) -> Vec<&[(u64, u32)]> {
    let mut pieces = Vec::new();
    let mut rest = sorted;
    while !rest.is_empty() {
        let mut end = size.min(rest.len());
        while end < rest.len() && rest[end].0 == rest[end - 1].0 {
            end += 1;
        }
        let (piece, after) = rest.split_at(end);
        pieces.push(piece);
        rest = after;
    }
    pieces
}

/// Groups of paragraphs: (first id, start, length) of each group, and the ids of all in order.
type Grouped = (Vec<(u32, u32, u32)>, Vec<u32>);

/// The paragraphs of `piece` (sorted by the high half of their exact key, then id) grouped by
/// whole key, each group in id order. A paragraph alone under its high half needs no look at
/// its whole key.
fn group_by_whole_key(piece: &[(u64, u32)], keys: &[Key]) -> Grouped {
    let mut grouped: Vec<u32> = Vec::with_capacity(piece.len());
    let mut groups: Vec<(u32, u32, u32)> = Vec::new();
    let mut whole: Vec<(u128, u32)> = Vec::new();
    for same_high in piece.chunk_by(|a, b| a.0 == b.0) {
        if let [(_, id)] = same_high {
            groups.push((*id, grouped.len() as u32, 1));
            grouped.push(*id);
            continue;
        }
        whole.clear();
        whole.extend(same_high.iter().map(|e| (keys[e.1 as usize].exact, e.1)));
        whole.sort_unstable();
        for same in whole.chunk_by(|a, b| a.0 == b.0) {
            groups.push((same[0].1, grouped.len() as u32, same.len() as u32));
            grouped.extend(same.iter().map(|e| e.1));
        }
    }
    (groups, grouped)
}

/// The pairs of units that share a band key (per band, a bucket of more than `bucket_cap` units
/// gives the pairs of its first unit only) and the count of those oversized buckets, as drawn in
/// a query engine too (`sql/band_pairs.sql`). The band keys are taken out of `fps`.
pub fn band_pairs(
    m: &Matches,
    fps: &mut Fingerprints,
    bucket_cap: usize,
    inputs: Option<&InputUnits>,
) -> BandPairs {
    let units = &m.units;
    let band_keys = fps.take_band_keys();
    // (unit, its row in every band) of the units with band keys, read once for all bands.
    let rows: Vec<(u32, u32)> = (0..units.len() as u32)
        .filter_map(|u| Some((u, fps.band_row(units.first(u))? as u32)))
        .collect();
    let per_band: Vec<(Vec<(u32, u32)>, usize)> = band_keys
        .into_par_iter()
        .map(|keys| {
            let key = |row: u32| keys[row as usize] as u64;
            // With `--reference`, the buckets without input text give no pair: only the keys of
            // the units that hold some are sorted (and only those buckets counted).
            let touched = inputs.map(|inputs| {
                let input_rows = rows.iter().filter(|&&(u, _)| inputs.holds(u));
                KeyFilter::new(input_rows.map(|&(_, row)| key(row)))
            });
            // (key, unit) packed in one word, so sorting is one integer sort.
            let mut keyed: Vec<u64> = rows
                .iter()
                .filter(|&&(_, row)| touched.as_ref().is_none_or(|t| t.contains(key(row))))
                .map(|&(u, row)| key(row) << 32 | u as u64)
                .collect();
            drop(keys);
            // Built in unit order, so a stable sort on the key alone sorts by (key, unit).
            sort_by_high_half(&mut keyed);
            let mut pairs = Vec::new();
            let mut oversized = 0;
            for bucket in keyed.chunk_by(|x, y| x >> 32 == y >> 32) {
                let unit = |x: &u64| *x as u32;
                if bucket.len() > bucket_cap {
                    oversized += 1;
                    pairs.extend(bucket[1..].iter().map(|x| (unit(&bucket[0]), unit(x))));
                    continue;
                }
                for (i, a) in bucket.iter().enumerate() {
                    pairs.extend(bucket[i + 1..].iter().map(|b| (unit(a), unit(b))));
                }
            }
            (pairs, oversized)
        })
        .collect();
    let oversized = per_band.iter().map(|(_, o)| o).sum();
    let mut pairs: Vec<(u32, u32)> =
        Vec::with_capacity(per_band.iter().map(|(p, _)| p.len()).sum());
    for (p, _) in per_band {
        pairs.extend(p);
    }
    BandPairs { pairs, oversized }
}

/// Unit pairs `(a, b)`, `a < b`, that share a band key, perhaps repeated, and the band buckets
/// over the boilerplate cap.
#[derive(Debug, Default)]
pub struct BandPairs {
    /// The pairs.
    pub pairs: Vec<(u32, u32)>,
    /// The buckets over the cap.
    pub oversized: usize,
}

impl BandPairs {
    /// Pairs of units' first paragraphs (drawn outside, `dedup stage candidates` or a query
    /// engine) as the pairs of those units; a paragraph that is no unit's first is passed over.
    pub fn of_first_paragraphs(paragraphs: &[(u32, u32)], oversized: usize, m: &Matches) -> Self {
        let unit = |p: u32| m.unit_of.get(p).filter(|&u| m.units.first(u) == p);
        let pairs = paragraphs
            .iter()
            .filter_map(|&(a, b)| Some((unit(a)?, unit(b)?)))
            .map(|(a, b)| (a.min(b), a.max(b)))
            .filter(|(a, b)| a != b)
            .collect();
        BandPairs { pairs, oversized }
    }
}

/// The candidates: `band` and the content candidates ([`content_candidates`]), sorted and without
/// repeats, those without a unit of input text left out (`inputs`, with `--reference`); counts
/// them and the oversized buckets in `m`.
pub fn with_content_candidates(
    m: &mut Matches,
    fps: &Fingerprints,
    band: BandPairs,
    inputs: Option<&InputUnits>,
) -> Vec<(u32, u32)> {
    let BandPairs {
        mut pairs,
        oversized,
    } = band;
    m.oversized_buckets = oversized;
    pairs.extend(content_candidates(m, fps));
    if let Some(inputs) = inputs {
        pairs.retain(|&pair| inputs.either(pair));
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    // A pair shares a key in several bands: held through the re-read and the verification, the
    // pages its repeats filled (three quarters of them on news) go back.
    pairs.shrink_to_fit();
    m.candidate_pairs = pairs.len();
    pairs
}

/// Unit pairs of paragraphs that are equal once wire markup is left out (a dateline or credit
/// added), whatever their band keys: each unit whose first paragraph's content is one text
/// ([`Fingerprints::contents`]) paired with the unit of that text, or with the first of them when
/// no unit is that text. A short paragraph has no band keys, and a longer one with figures may share
/// its (figure-masked) band keys only in buckets of look-alikes the boilerplate cap cuts.
fn content_candidates(m: &Matches, fps: &Fingerprints) -> Vec<(u32, u32)> {
    let contents = fps.contents();
    if contents.is_empty() {
        return Vec::new();
    }
    // (content, 1, unit) of the units with markup and (text, 0, unit) of the units that are one
    // of those contents, so that each text's own unit sorts first.
    let mut keyed: Vec<(u128, u8, u32)> = contents
        .iter()
        .filter_map(|&(p, content)| Some((content, 1, m.unit_of.get(p)?)))
        .collect();
    // Looked up once for every unit: with a reference index, millions (SipHash took 0.1 s).
    let texts: HashSet<u128, Xxh3Builder> = keyed.iter().map(|&(content, _, _)| content).collect();
    keyed.extend(
        (0..m.units.len() as u32)
            .map(|u| (fps.key(m.units.first(u)).exact, 0, u))
            .filter(|(exact, _, _)| texts.contains(exact)),
    );
    keyed.sort_unstable();
    keyed.dedup_by_key(|&mut (content, _, unit)| (content, unit));
    keyed
        .chunk_by(|a, b| a.0 == b.0)
        .flat_map(|same| same[1..].iter().map(|&(_, _, u)| (same[0].2, u)))
        .map(|(a, b)| (a.min(b), a.max(b)))
        .collect()
}

/// Sorts by the high 32 bits, stably: a least-significant-digit radix sort in three passes of 11,
/// 11 and 10 bits, several times faster than a comparison sort for the hundreds of thousands of
/// keys of a band.
fn sort_by_high_half(values: &mut Vec<u64>) {
    const DIGIT_BITS: [u32; 3] = [11, 11, 10];
    let mut from = std::mem::take(values);
    let mut to = vec![0u64; from.len()];
    let mut shift = 32;
    for bits in DIGIT_BITS {
        let digit = |v: u64| (v >> shift) as usize & ((1 << bits) - 1);
        let mut starts = vec![0usize; 1 << bits];
        for &v in &from {
            starts[digit(v)] += 1;
        }
        let mut sum = 0;
        for count in &mut starts {
            (*count, sum) = (sum, sum + *count);
        }
        for &v in &from {
            let slot = &mut starts[digit(v)];
            to[*slot] = v;
            *slot += 1;
        }
        std::mem::swap(&mut from, &mut to);
        shift += bits;
    }
    *values = from;
}

/// The least share of the shorter file's paragraphs two files have as copies (exact, or near
/// once verified) for them to be copies of each other (one story sent twice).
pub const FILE_COPY_SHARE: f64 = 0.5;

/// Which files are copies of each other elsewhere: a conflict confined to two paragraphs'
/// datelines (a re-issued story's new date) does not split them when their files are.
pub struct FileCopies<'a> {
    paragraphs: &'a [Paragraph],
    /// For each file, the range of its paragraph ids.
    ranges: Vec<std::ops::Range<u32>>,
    units: &'a Units,
    unit_of: &'a UnitOf,
    /// The verified near links between units, both ways, sorted.
    near: Vec<(u32, u32)>,
}

impl<'a> FileCopies<'a> {
    /// The files of `paragraphs` (in path order, so each file's are consecutive) and their units
    /// of exact copies ([`Matches::units`], [`Matches::unit_of`]); no near links yet.
    pub fn new(
        paragraphs: &'a [Paragraph],
        files: usize,
        units: &'a Units,
        unit_of: &'a UnitOf,
    ) -> Self {
        let mut ranges = vec![0..0; files];
        for (id, p) in paragraphs.iter().enumerate() {
            let range = &mut ranges[p.file as usize];
            if range.start == range.end {
                *range = id as u32..id as u32;
            }
            range.end = id as u32 + 1;
        }
        FileCopies {
            paragraphs,
            ranges,
            units,
            unit_of,
            near: Vec::new(),
        }
    }

    /// Counts the near links between units as copies too.
    fn add_near(&mut self, links: &[(u32, u32)]) {
        self.near
            .extend(links.iter().flat_map(|&(a, b)| [(a, b), (b, a)]));
        self.near.par_sort_unstable();
        self.near.dedup();
    }

    /// Whether the files of units `a` and `b` (of their first paragraphs) are two files that
    /// have at least [`FILE_COPY_SHARE`] of the shorter one's paragraphs as copies (exact, or
    /// near by a verified link).
    pub fn same_story(&self, a: u32, b: u32) -> bool {
        let file = |u: u32| self.paragraphs[self.units.first(u) as usize].file;
        let (fa, fb) = (file(a), file(b));
        if fa == fb {
            return false;
        }
        let (ra, rb) = (&self.ranges[fa as usize], &self.ranges[fb as usize]);
        let (shorter, other) = if ra.len() <= rb.len() {
            (ra, rb)
        } else {
            (rb, ra)
        };
        // A unit's members are in id order and a file's paragraphs are consecutive ids, so a
        // unit of thousands of copies is searched, not walked.
        let in_other = |u: u32| {
            let members = self.units.get(u);
            let at = members.partition_point(|&q| q < other.start);
            members.get(at).is_some_and(|&q| q < other.end)
        };
        let shared = shorter
            .clone()
            .filter(|&p| {
                self.unit_of.get(p).is_some_and(|u| {
                    let start = self.near.partition_point(|&(x, _)| x < u);
                    in_other(u)
                        || self.near[start..]
                            .iter()
                            .take_while(|&&(x, _)| x == u)
                            .any(|&(_, v)| in_other(v))
                })
            })
            .count();
        shared as f64 >= FILE_COPY_SHARE * shorter.len() as f64
    }
}

/// Verifies the candidate pairs on the real sets, in two rounds: this one, every pair whose
/// figures agree or conflict in the text, then [`resolve`], which records the links in `near`
/// and `templates` ([`Matches::near`], [`Matches::templates`]) and settles the pairs whose
/// conflict is confined to their datelines. Returns each pair that passes with how it relates, in
/// the candidates' order (`dedup stage verify` runs this round on a shard's candidates).
pub fn verify_candidates(
    candidates: &[(u32, u32)],
    sets: &SetArena,
    threshold: f64,
) -> Vec<Verified> {
    let masked = |a: u32, b: u32| masked_alike(&sets.get(a), &sets.get(b), threshold);
    candidates
        .par_iter()
        .filter_map(|&(a, b)| {
            verify_pair(&sets.get(a), &sets.get(b), threshold, || masked(a, b))
                .map(|link| (a, b, link))
        })
        .collect()
}

/// The second round of verification: the pairs `verified` by [`verify_candidates`] made links,
/// those whose conflict is confined to their datelines near when their files are copies of each
/// other once the first round's near links count as copies (`copies` keeps them), templates
/// otherwise.
pub fn resolve(
    near: &mut Vec<(u32, u32)>,
    templates: &mut Vec<(u32, u32)>,
    verified: Vec<Verified>,
    sets: &SetArena,
    threshold: f64,
    copies: &mut FileCopies<'_>,
) {
    let masked = |a: u32, b: u32| masked_alike(&sets.get(a), &sets.get(b), threshold);
    let mut dateline_only = Vec::new();
    for (a, b, link) in verified {
        match link {
            Link::Near => near.push((a, b)),
            Link::Template => templates.push((a, b)),
            Link::DatelineOnly => dateline_only.push((a, b)),
        }
    }
    copies.add_near(near);
    let copies = &*copies;
    let resolved: Vec<(u32, u32, Link)> = dateline_only
        .into_par_iter()
        .filter_map(|(a, b)| {
            let link = if copies.same_story(a, b) {
                near_similarity(&sets.get(a), &sets.get(b), threshold).map(|_| Link::Near)
            } else {
                masked(a, b).then_some(Link::Template)
            };
            link.map(|link| (a, b, link))
        })
        .collect();
    for (a, b, link) in resolved {
        match link {
            Link::Near => near.push((a, b)),
            Link::Template | Link::DatelineOnly => templates.push((a, b)),
        }
    }
    templates.sort_unstable();
    templates.dedup();
}

/// Verifies one candidate pair on the real shingle sets: `Some(true)` for a near duplicate,
/// `Some(false)` for a template, `None` when they are not alike enough. Files are not looked
/// at: a conflict confined to the datelines makes a template.
pub fn verify_sets(a: &SetsRef<'_>, b: &SetsRef<'_>, threshold: f64) -> Option<bool> {
    let masked = || masked_alike(a, b, threshold);
    match verify_pair(a, b, threshold, masked)? {
        Link::Near => Some(true),
        Link::Template => Some(false),
        Link::DatelineOnly => masked().then_some(false),
    }
}

/// Verifies a pair; `masked_alike` tells whether the Jaccard similarity of their figure-masked
/// sets reaches the threshold, asked only when their figures conflict in the text. A conflict
/// confined to the datelines is left for the files to decide ([`Link::DatelineOnly`]).
fn verify_pair(
    a: &SetsRef<'_>,
    b: &SetsRef<'_>,
    threshold: f64,
    masked_alike: impl FnOnce() -> bool,
) -> Option<Link> {
    match a.conflict(b) {
        Conflict::Dateline => Some(Link::DatelineOnly),
        Conflict::Figures => masked_alike().then_some(Link::Template),
        Conflict::None => near_similarity(a, b, threshold).map(|_| Link::Near),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_a_reference_the_band_pairs_with_input_text_are_all_found() {
        use crate::config::Config;
        use crate::fingerprint::{FileFingerprints, Fingerprinter};
        use crate::normalize::{Options, normalize};
        let base = [
            "the ferry to the island runs twice a day in summer and once a day in the winter",
            "shares of the company rose sharply after its results beat what analysts expected",
            "rain is expected over the north of the country for the rest of this long week",
        ];
        // Forty reference paragraphs, then twenty of input text, near copies of one another.
        let texts: Vec<String> = (0..60)
            .map(|i| match i < 40 {
                true => format!("{} report {i}", base[i % 3]),
                false => format!("{} update {i}", base[i % 3]),
            })
            .collect();
        let fingerprinter = Fingerprinter::new(Config::default().fingerprint_params());
        let fingerprints = || {
            let mut fps = Fingerprints::default();
            for t in &texts {
                let mut file = FileFingerprints::default();
                fingerprinter.fingerprint(&normalize(t.as_bytes(), Options::default()), &mut file);
                fps.append(file);
            }
            fps
        };
        for cap in [2, 8, 100] {
            let (mut all_fps, mut touched_fps) = (fingerprints(), fingerprints());
            let m = group_exact(&all_fps);
            let inputs = InputUnits::of(&m, |p| p >= 40).expect("reference units");
            let all = band_pairs(&m, &mut all_fps, cap, None);
            let touched = band_pairs(&m, &mut touched_fps, cap, Some(&inputs));
            let with_input = |pairs: &[(u32, u32)]| {
                let mut pairs: Vec<_> = pairs
                    .iter()
                    .copied()
                    .filter(|&p| inputs.either(p))
                    .collect();
                pairs.sort_unstable();
                pairs.dedup();
                pairs
            };
            assert!(!with_input(&all.pairs).is_empty(), "{cap}");
            assert_eq!(with_input(&touched.pairs), with_input(&all.pairs), "{cap}");
            assert!(touched.pairs.len() < all.pairs.len(), "{cap}");
            assert!(touched.oversized <= all.oversized, "{cap}");
        }
    }

    #[test]
    fn radix_sort_orders_by_the_high_half_and_keeps_ties_in_order() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for len in [0, 1, 2, 1000, 70_000] {
            // Few distinct keys, so most have ties; low halves in increasing order, as units are.
            let values: Vec<u64> = (0..len as u64)
                .map(|i| ((next() % 50) << 40 | (next() % 7) << 32) | i)
                .collect();
            let mut sorted = values.clone();
            sort_by_high_half(&mut sorted);
            let mut expected = values;
            expected.sort_by_key(|v| v >> 32);
            assert_eq!(sorted, expected, "{len}");
        }
    }
}
