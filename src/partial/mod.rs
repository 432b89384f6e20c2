//! Stage 6b, partial matches: winnowed fingerprints to verified shared runs of words.
//!
//! In: the winnowed fingerprints ([`Fingerprints`]) and the units of exact copies, for
//! [`candidates`]; then the real sets of the candidates' paragraphs ([`SetArena`]) and, for every
//! unit, the duplicate and template cluster it belongs to (so pairs already clustered are left
//! out), for [`find_partials`].
//! Out: [`PartialLink`]s between units: every maximal run of at least `min_shared_words`
//! consecutive normalized tokens that two paragraphs share, as token positions and as byte ranges
//! in the units' first paragraphs, with the Jaccard similarity of their shingle sets.
//!
//! Candidates are pairs of units that share a winnowed fingerprint. With shingles of k words and
//! windows of w shingles, every shared run of t = w + k − 1 words holds w shared consecutive
//! shingles, whose minimum both paragraphs select: so every shared run of at least t words yields
//! a candidate, unless its fingerprints are boilerplate. The run also reaches ⌊w / 2⌋ tokens past
//! the selected shingle on one side, so a shared fingerprint whose two occurrences have different
//! tokens on both sides (each fingerprint keeps a digest of them) is a common phrase, not a
//! candidate: this leaves out about nine pairs in ten and no link. Each shared fingerprint is a seed that is
//! extended left and right on the token sequences to the maximal shared run; runs shorter than t
//! (a chance seed) are dropped. A fingerprint shared by more than `boilerplate_cap` units is not
//! used as a seed and is counted in [`Partials::boilerplate_fingerprints`].
//!
//! Only the shingle hashes of the winnowed fingerprints are kept for the whole corpus; the seeds'
//! positions and the tokens they are extended on come from the sets re-read for the unclustered
//! candidates, and a link's shingle sets are recomputed from its token hashes.

pub mod headline;
pub mod spans;

use rayon::prelude::*;

use crate::fingerprint::{Fingerprints, contexts_agree, shingle_set};
use crate::matching::{InputUnits, KeyFilter, Matches};
use crate::sets::SetArena;
use crate::sets::{SetsRef, equal_key_groups, jaccard, shared_count};

/// Positions of one fingerprint in one paragraph used as seeds; more are repeats of a phrase
/// inside the paragraph, and the runs through them are found by extending the first ones.
pub const SEED_POSITIONS_PER_UNIT: usize = 8;

/// The least share of the shorter paragraph's shingles a partial match shares for it to be
/// `contained` in the longer one (a paragraph and its first half, a lead and the story).
pub const CONTAINED: f64 = 0.8;

/// Parameters of partial matching.
#[derive(Debug, Clone, Copy)]
pub struct PartialParams {
    /// Words per shingle (k), of the sets a link's similarity is computed on.
    pub shingle: usize,
    /// Words per seed shingle (k'), the winnowed fingerprints.
    pub seed_shingle: usize,
    /// The shortest shared run reported, in tokens (t).
    pub min_shared_words: usize,
}

/// A run of tokens two paragraphs share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SharedRun {
    /// First token of the run in the first paragraph.
    pub a: u32,
    /// First token of the run in the second paragraph.
    pub b: u32,
    /// Tokens in the run.
    pub len: u32,
}

/// A verified partial match between two units.
#[derive(Debug, Clone, PartialEq)]
pub struct PartialLink {
    /// The first unit (the smaller index).
    pub a: u32,
    /// The second unit.
    pub b: u32,
    /// Jaccard similarity of their shingle sets.
    pub similarity: f64,
    /// The shorter paragraph is contained in the longer one: at least [`CONTAINED`] of its
    /// shingles are shared.
    pub contained: bool,
    /// The maximal shared runs, sorted by their position in `a`.
    pub runs: Vec<SharedRun>,
    /// For each run, where it is in bytes: `[start in a, end in a, start in b, end in b]`, from
    /// the start of each unit's first paragraph; empty when that is not known (a paragraph read
    /// from a copy of it, or longer than 4 GiB).
    pub bytes: Vec<[u32; 4]>,
}

/// The result of partial matching.
#[derive(Debug, Default)]
pub struct Partials {
    /// Verified links, sorted by `(a, b)`.
    pub links: Vec<PartialLink>,
    /// Winnowed fingerprints not used as seeds because too many units share them.
    pub boilerplate_fingerprints: usize,
}

/// Unit pairs that share a winnowed fingerprint, before clustering.
#[derive(Debug, Default)]
pub struct Candidates {
    /// `(a, b)`, `a < b`, sorted and without repeats.
    pub pairs: Vec<(u32, u32)>,
    /// `(headline, lead)` units of the documents whose headline is said again in its lead
    /// ([`headline`]), sorted and without repeats.
    pub headlines: Vec<(u32, u32)>,
    /// Fingerprints shared by more than `boilerplate_cap` units, sorted: never seeds.
    boilerplate: Vec<u64>,
}

/// The most `(hash, unit, context)` entries sorted at a time, in bytes: the winnowed fingerprints
/// are taken in as many passes, each over one range of hashes (one pass up to a few hundred MB of
/// text).
const PASS_BYTES: usize = 128 << 20;

/// The unit pairs with an occurrence of a shared winnowed fingerprint that is not boilerplate
/// where a shared run of t tokens may pass: the two occurrences' contexts agree
/// ([`contexts_agree`]). Occurrences are those [`find_partials`] seeds from: the first
/// [`SEED_POSITIONS_PER_UNIT`] of a fingerprint in a paragraph. Every pair `find_partials` links
/// is a candidate; most pairs that only share a common phrase of k words are not.
///
/// With `--reference` (`inputs`), only the fingerprints of units with input text are taken: the
/// others can give no pair with input text, and `boilerplate_fingerprints` counts those only.
pub fn candidates(
    m: &Matches,
    fps: &Fingerprints,
    boilerplate_cap: usize,
    inputs: Option<&InputUnits>,
) -> Candidates {
    let entry_bytes = fps.winnowed_count() * std::mem::size_of::<(u64, u32, u32)>();
    let passes = entry_bytes.div_ceil(PASS_BYTES);
    let touched = inputs.map(|inputs| {
        let units = &m.units;
        let input_units = (0..units.len() as u32).filter(|&u| inputs.holds(u));
        KeyFilter::new(input_units.flat_map(|u| fps.winnowed(units.first(u)).0.iter().copied()))
    });
    let mut found = candidates_in_passes(m, fps, boilerplate_cap, passes, touched.as_ref());
    let unit = |p: u32| m.unit_of.get(p);
    found.headlines = (fps.headlines().iter())
        .filter_map(|&(headline, lead)| Some((unit(headline)?, unit(lead)?)))
        .filter(|(headline, lead)| headline != lead)
        .collect();
    found.headlines.sort_unstable();
    found.headlines.dedup();
    found
}

/// [`candidates`], taking the winnowed fingerprints in `passes` ranges of hashes (at least one).
fn candidates_in_passes(
    m: &Matches,
    fps: &Fingerprints,
    boilerplate_cap: usize,
    passes: usize,
    touched: Option<&KeyFilter>,
) -> Candidates {
    let units = &m.units;
    let mut pairs: Vec<(u32, u32)> = Vec::new();
    let mut boilerplate: Vec<u64> = Vec::new();
    let passes = passes.max(1) as u64;
    for pass in 0..passes {
        let in_pass = |h: u64| {
            ((h as u128 * passes as u128) >> 64) as u64 == pass
                && touched.is_none_or(|t| t.contains(h))
        };
        let unit_blocks: Vec<Vec<(u64, u32, u32)>> = (0..units.len().div_ceil(UNIT_BLOCK))
            .into_par_iter()
            .map(|block| {
                let start = (block * UNIT_BLOCK) as u32;
                let end = (start + UNIT_BLOCK as u32).min(units.len() as u32);
                let mut entries = Vec::new();
                let mut occurrences = Vec::new();
                for u in start..end {
                    let (hashes, contexts) = fps.winnowed(units.first(u));
                    seed_occurrences(hashes, contexts, in_pass, &mut occurrences);
                    entries.extend(occurrences.iter().map(|&(h, context)| (h, u, context)));
                }
                entries
            })
            .collect();
        let mut entries = unit_blocks.concat();
        drop(unit_blocks);
        entries.par_sort_unstable();
        entries.dedup();
        for group in entries.chunk_by(|x, y| x.0 == y.0) {
            let distinct_units = 1 + group.windows(2).filter(|w| w[0].1 != w[1].1).count();
            if distinct_units < 2 {
                continue;
            }
            if distinct_units > boilerplate_cap {
                boilerplate.push(group[0].0);
                continue;
            }
            for (i, &(_, a, context_a)) in group.iter().enumerate() {
                pairs.extend(
                    group[i + 1..]
                        .iter()
                        .filter(|&&(_, b, context_b)| {
                            b != a && contexts_agree(context_a, context_b)
                        })
                        .map(|&(_, b, _)| (a, b)),
                );
            }
        }
    }
    pairs.par_sort_unstable();
    pairs.dedup();
    // Held to the end of the run: the pages the repeats filled go back.
    pairs.shrink_to_fit();
    boilerplate.sort_unstable();
    Candidates {
        pairs,
        headlines: Vec::new(),
        boilerplate,
    }
}

/// Units whose seed occurrences are gathered together.
const UNIT_BLOCK: usize = 4096;

/// Sets `occurrences` to the `(hash, context)` of the winnowed fingerprints of one paragraph in
/// this pass, sorted by hash, at most [`SEED_POSITIONS_PER_UNIT`] occurrences of a hash (its
/// first ones).
fn seed_occurrences(
    hashes: &[u64],
    contexts: &[u32],
    in_pass: impl Fn(u64) -> bool,
    occurrences: &mut Vec<(u64, u32)>,
) {
    occurrences.clear();
    occurrences.extend(
        hashes
            .iter()
            .zip(contexts)
            .filter(|(h, _)| in_pass(**h))
            .map(|(&h, &c)| (h, c)),
    );
    // A hash repeated inside the paragraph: keep its first occurrences (a stable sort keeps
    // them in position order).
    occurrences.sort_by_key(|o| o.0);
    let mut kept = 0;
    let mut run = 0;
    for i in 0..occurrences.len() {
        run = if i > 0 && occurrences[i].0 == occurrences[i - 1].0 {
            run + 1
        } else {
            0
        };
        if run < SEED_POSITIONS_PER_UNIT {
            occurrences[kept] = occurrences[i];
            kept += 1;
        }
    }
    occurrences.truncate(kept);
}

/// Candidate pairs searched for shared runs together.
const PAIR_BLOCK: usize = 1 << 18;

/// Finds the partial matches between the candidate units (see
/// [`Candidates::retain_unclustered`]).
pub fn find_partials(sets: &SetArena, candidates: &Candidates, params: PartialParams) -> Partials {
    // Pairs are taken a block at a time, so that collecting the links found never doubles them
    // all, and the shingle set of every unit linked in a block is computed once.
    let mut links: Vec<PartialLink> = Vec::new();
    for block in candidates.pairs.chunks(PAIR_BLOCK) {
        let mut found: Vec<PartialLink> = block
            .par_iter()
            .filter_map(|&(a, b)| {
                let (sa, sb) = (sets.get(a), sets.get(b));
                let seeds = shared_seeds(sa.winnowed, sb.winnowed, &candidates.boilerplate);
                let runs = extend_seeds(
                    &sa,
                    &sb,
                    &seeds,
                    params.seed_shingle,
                    params.min_shared_words,
                );
                link(a, b, &sa, &sb, runs)
            })
            .collect();
        measure(&mut found, sets, params.shingle);
        links.extend(found);
    }
    // Headlines too short for a seed: their runs are looked for word by word.
    let mut found: Vec<PartialLink> = (candidates.headlines.par_iter())
        .filter_map(|&(headline, lead)| {
            let (a, b) = (headline.min(lead), headline.max(lead));
            if links.binary_search_by_key(&(a, b), |l| (l.a, l.b)).is_ok() {
                return None;
            }
            let (sa, sb) = (sets.get(a), sets.get(b));
            let words = sets.get(headline).tokens.len();
            let need = headline::needed_run(words, params.min_shared_words)?;
            let runs = (headline::shared_runs(sa.tokens, sb.tokens, need).into_iter())
                .map(|(a, b, len)| SharedRun {
                    a: a as u32,
                    b: b as u32,
                    len: len as u32,
                })
                .collect();
            link(a, b, &sa, &sb, runs)
        })
        .collect();
    if !found.is_empty() {
        measure(&mut found, sets, params.shingle);
        links.extend(found);
        links.sort_by_key(|l| (l.a, l.b));
    }
    Partials {
        links,
        boilerplate_fingerprints: candidates.boilerplate.len(),
    }
}

/// The link between units `a` and `b` (`a < b`) with these `runs`, sorted; `None` without runs.
/// Its similarity is set by [`measure`].
fn link(
    a: u32,
    b: u32,
    sa: &SetsRef<'_>,
    sb: &SetsRef<'_>,
    runs: Vec<SharedRun>,
) -> Option<PartialLink> {
    (!runs.is_empty()).then(|| PartialLink {
        a,
        b,
        similarity: 0.0,
        contained: false,
        bytes: run_bytes(sa, sb, &runs),
        runs,
    })
}

/// Sets the similarity of every link and whether one side is contained in the other, from the
/// shingle sets of its units, each computed once.
fn measure(links: &mut [PartialLink], sets: &SetArena, shingle: usize) {
    let mut linked: Vec<u32> = links.iter().flat_map(|l| [l.a, l.b]).collect();
    linked.sort_unstable();
    linked.dedup();
    let shingles: Vec<Vec<u64>> = linked
        .par_iter()
        .map(|&u| shingle_set(sets.get(u).tokens, shingle))
        .collect();
    let set_of = |u: u32| &shingles[linked.binary_search(&u).expect("a linked unit")];
    links.par_iter_mut().for_each(|l| {
        let (a, b) = (set_of(l.a), set_of(l.b));
        l.similarity = jaccard(a, b);
        let shared = shared_count(l.similarity, a.len(), b.len());
        l.contained = shared >= CONTAINED * a.len().min(b.len()) as f64;
    });
}

/// The byte ranges of `runs` in the two paragraphs, when both paragraphs' sources are known.
fn run_bytes(a: &SetsRef<'_>, b: &SetsRef<'_>, runs: &[SharedRun]) -> Vec<[u32; 4]> {
    if a.sources.is_empty() || b.sources.is_empty() {
        return Vec::new();
    }
    let range = |sources: &[(u32, u32)], start: u32, len: u32| {
        (
            sources[start as usize].0,
            sources[(start + len) as usize - 1].1,
        )
    };
    runs.iter()
        .map(|r| {
            let (a_start, a_end) = range(a.sources, r.a, r.len);
            let (b_start, b_end) = range(b.sources, r.b, r.len);
            [a_start, a_end, b_start, b_end]
        })
        .collect()
}

/// `(position in a, position in b)` of every winnowed fingerprint both share that is not
/// boilerplate, sorted; `a` and `b` are sorted by hash.
fn shared_seeds(a: &[(u64, u32)], b: &[(u64, u32)], boilerplate: &[u64]) -> Vec<(u32, u32)> {
    let mut seeds = Vec::new();
    for (xs, ys) in equal_key_groups(a, b, |x| x.0) {
        if boilerplate.binary_search(&xs[0].0).is_err() {
            // A phrase repeated inside a paragraph gives the same fingerprint many times: a few
            // positions seed every run without pairing all positions with all.
            for &(_, pa) in xs.iter().take(SEED_POSITIONS_PER_UNIT) {
                let b_positions = ys.iter().take(SEED_POSITIONS_PER_UNIT);
                seeds.extend(b_positions.map(|&(_, pb)| (pa, pb)));
            }
        }
    }
    seeds.sort_unstable();
    seeds
}

impl Candidates {
    /// Leaves out the pairs whose units are in one cluster already; `group_of_unit[u]` gives
    /// `(duplicate cluster, template cluster)` indexes, if any.
    pub fn retain_unclustered(&mut self, group_of_unit: &[(Option<u32>, Option<u32>)]) {
        self.pairs
            .retain(|&(a, b)| !clustered_together(group_of_unit, a, b));
        self.pairs.shrink_to_fit();
        self.headlines
            .retain(|&(a, b)| !clustered_together(group_of_unit, a, b));
    }
}

fn clustered_together(group_of_unit: &[(Option<u32>, Option<u32>)], a: u32, b: u32) -> bool {
    let (ga, gb) = (group_of_unit[a as usize], group_of_unit[b as usize]);
    (ga.0.is_some() && ga.0 == gb.0) || (ga.1.is_some() && ga.1 == gb.1)
}

/// Extends every seed to the maximal shared run around it; keeps runs of at least `min_len`
/// tokens, each once.
fn extend_seeds(
    a: &SetsRef<'_>,
    b: &SetsRef<'_>,
    seeds: &[(u32, u32)],
    shingle: usize,
    min_len: usize,
) -> Vec<SharedRun> {
    let (ta, tb) = (a.tokens, b.tokens);
    let mut runs: Vec<SharedRun> = Vec::new();
    for &(pa, pb) in seeds {
        let (pa, pb) = (pa as usize, pb as usize);
        let diagonal = pa as i64 - pb as i64;
        let covered = runs.iter().any(|r| {
            r.a as i64 - r.b as i64 == diagonal
                && (r.a as usize..(r.a + r.len) as usize).contains(&pa)
        });
        // A seed on a run already found, or a hash collision rather than shared words.
        let shingle = shingle.min(ta.len() - pa).min(tb.len() - pb);
        if covered || ta[pa..pa + shingle] != tb[pb..pb + shingle] {
            continue;
        }
        let (mut start_a, mut start_b) = (pa, pb);
        while start_a > 0 && start_b > 0 && ta[start_a - 1] == tb[start_b - 1] {
            start_a -= 1;
            start_b -= 1;
        }
        let mut len = pa + shingle - start_a;
        while start_a + len < ta.len()
            && start_b + len < tb.len()
            && ta[start_a + len] == tb[start_b + len]
        {
            len += 1;
        }
        if len >= min_len {
            runs.push(SharedRun {
                a: start_a as u32,
                b: start_b as u32,
                len: len as u32,
            });
        }
    }
    runs.sort_unstable();
    runs
}

#[cfg(test)]
mod tests {
    use proptest::collection::vec;
    use proptest::prelude::*;

    use super::*;
    use crate::fingerprint::{FileFingerprints, Fingerprinter, Params};
    use crate::matching::group_exact;
    use crate::normalize::{Options, normalize};

    /// Paragraphs of words from a small vocabulary (so that they share many short phrases by
    /// chance), some with a run of another paragraph copied into them.
    fn paragraphs() -> impl Strategy<Value = Vec<String>> {
        (2usize..8)
            .prop_flat_map(|vocabulary| {
                let paragraph = vec(0..vocabulary, 0..90);
                let copy = (
                    any::<prop::sample::Index>(),
                    any::<prop::sample::Index>(),
                    6usize..14,
                );
                (vec(paragraph, 2..24), vec(copy, 0..12))
            })
            .prop_map(|(mut paragraphs, copies)| {
                for (from, to, len) in copies {
                    let (from, to) = (from.index(paragraphs.len()), to.index(paragraphs.len()));
                    let run: Vec<usize> = paragraphs[from].iter().take(len).copied().collect();
                    let at = paragraphs[to].len() / 2;
                    paragraphs[to].splice(at..at, run);
                }
                paragraphs
                    .iter()
                    .map(|words| {
                        let words: Vec<String> = words.iter().map(|w| format!("w{w}")).collect();
                        words.join(" ")
                    })
                    .collect()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// The context filter loses nothing: the links found from the candidates are those found
        /// by trying every pair of units; and the candidates do not depend on the passes.
        #[test]
        fn candidates_hold_every_link(
            texts in paragraphs(),
            cap in 2usize..30,
            passes in 1usize..6,
            shingle in 2usize..4,
        ) {
            // Seeds of 3 words, also when the shingles verified are shorter.
            let params = Params {
                shingle,
                min_words: 8,
                bands: 42,
                rows: 3,
                ignore_figures: false,
                exact_only: false,
                seed_shingle: 3,
                window: 6,
            };
            let fingerprinter = Fingerprinter::new(params);
            let tokens: Vec<_> = texts
                .iter()
                .map(|t| normalize(t.as_bytes(), Options::default()))
                .collect();
            let mut fps = Fingerprints::default();
            for t in &tokens {
                let mut file = FileFingerprints::default();
                fingerprinter.fingerprint(t, &mut file);
                fps.append(file);
            }
            let matches = group_exact(&fps);
            let found = candidates(&matches, &fps, cap, None);
            // The passes only split the work: every fingerprint is taken in exactly one.
            let in_passes = candidates_in_passes(&matches, &fps, cap, passes, None);
            prop_assert_eq!(&in_passes.pairs, &found.pairs);
            prop_assert_eq!(&in_passes.boilerplate, &found.boilerplate);
            let units = matches.units.len() as u32;
            let every_pair = Candidates {
                pairs: (0..units).flat_map(|a| (a + 1..units).map(move |b| (a, b))).collect(),
                headlines: Vec::new(),
                boilerplate: found.boilerplate.clone(),
            };
            let sets = SetArena::from_sets(
                matches.units.len(),
                (0..units).map(|u| (u, fingerprinter.sets(&tokens[matches.units.first(u) as usize]))),
            );
            let partial = PartialParams { shingle, seed_shingle: 3, min_shared_words: 8 };
            let all = find_partials(&sets, &every_pair, partial);
            let filtered = find_partials(&sets, &found, partial);
            prop_assert_eq!(&filtered.links, &all.links);
            // With the first half reference text, only the fingerprints of units with input text
            // are taken, and they give every pair with input text and its links.
            let split = (texts.len() / 2) as u32;
            if let Some(inputs) = InputUnits::of(&matches, |p| p >= split) {
                let mut touched = candidates(&matches, &fps, cap, Some(&inputs));
                touched.pairs.retain(|&pair| inputs.either(pair));
                let expected: Vec<_> =
                    found.pairs.iter().copied().filter(|&pair| inputs.either(pair)).collect();
                prop_assert_eq!(&touched.pairs, &expected);
                let links = find_partials(&sets, &touched, partial).links;
                let input_links: Vec<_> = (all.links.iter())
                    .filter(|l| inputs.either((l.a, l.b)))
                    .cloned()
                    .collect();
                prop_assert_eq!(&links, &input_links);
            }
        }
    }
}
