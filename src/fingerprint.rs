//! Stage 5, fingerprint: normalized tokens to the hashes the matcher compares.
//!
//! In: the [`Tokens`] of one paragraph and the [`Params`] of the run.
//! Out: a [`Fingerprint`]: the exact key (xxh3-128 of the normalized text), the same key with
//! figures masked, the sorted set of word k-shingle hashes, the shingles that contain a figure
//! (with and without the figure masked, for the template check), and the LSH band keys of a
//! MinHash signature over the figure-masked shingles.
//!
//! Token hashes are xxh3-64 of the normalized token; a shingle hash is xxh3-64 of the k token
//! hashes in order. A paragraph with fewer than k tokens has one shingle: all of its tokens.
//! The MinHash signature is computed over the masked shingles so that one index finds both near
//! duplicates and templates (paragraphs alike but for their figures); the matcher tells them apart
//! on the real sets. Short paragraphs (fewer than `min_words` tokens) get no band keys: they are
//! matched exactly only.

use std::cell::RefCell;

use xxhash_rust::xxh3::{Xxh3, xxh3_64, xxh3_128};

use crate::normalize::{FIGURE_MASK, Tokens};

/// The recall the LSH banding must reach at the threshold itself.
pub const BANDING_RECALL: f64 = 0.99;
/// The largest MinHash signature considered when sizing the banding.
pub const MAX_SIGNATURE: usize = 128;

/// Fingerprinting parameters, fixed for a run.
#[derive(Debug, Clone)]
pub struct Params {
    /// Words per shingle (k).
    pub shingle: usize,
    /// Paragraphs with fewer tokens are matched exactly only.
    pub min_words: usize,
    /// LSH bands.
    pub bands: usize,
    /// MinHash values per band.
    pub rows: usize,
    /// Whether figures were masked during normalization (no template detection).
    pub ignore_figures: bool,
    /// Whether only exact keys are needed (no shingles, no signature).
    pub exact_only: bool,
    /// Winnowing window in shingles (w); 0 turns partial matching off.
    pub window: usize,
}

/// Chooses the banding for a Jaccard threshold: the most rows per band (fewest false
/// candidates) such that a pair exactly at the threshold still becomes a candidate with
/// probability at least [`BANDING_RECALL`], using at most [`MAX_SIGNATURE`] MinHash values.
pub fn banding_for(threshold: f64) -> (usize, usize) {
    let mut best = (MAX_SIGNATURE, 1);
    for rows in 1..=16 {
        let bands = MAX_SIGNATURE / rows;
        if candidate_probability(threshold, bands, rows) >= BANDING_RECALL {
            best = (bands, rows);
        }
    }
    best
}

/// The probability that a pair with Jaccard similarity `j` shares at least one band key.
pub fn candidate_probability(j: f64, bands: usize, rows: usize) -> f64 {
    1.0 - (1.0 - j.powi(rows as i32)).powi(bands as i32)
}

/// Everything the matcher needs to know about one paragraph.
#[derive(Debug, Clone, Default)]
pub struct Fingerprint {
    /// xxh3-128 of the normalized text (tokens joined by single spaces).
    pub exact: u128,
    /// The same with every figure replaced by `0`; equal to `exact` when there are no figures.
    pub masked: u128,
    /// Number of tokens.
    pub words: u32,
    /// Shingle hashes, sorted and without repeats.
    pub shingles: Vec<u64>,
    /// `(masked hash, real hash)` of every shingle that contains a figure, sorted.
    pub figure_shingles: Vec<(u64, u64)>,
    /// One LSH key per band; empty for short paragraphs and in exact-only runs.
    pub bands: Vec<u64>,
    /// Token hashes (low 32 bits of xxh3-64) in order, for extending partial matches; empty
    /// unless the paragraph takes part in partial matching.
    pub tokens: Vec<u32>,
    /// Winnowed fingerprints: `(shingle hash, shingle position)` of the minimum of every window
    /// of `window` consecutive shingles (the rightmost on ties), each selection once.
    pub winnowed: Vec<(u64, u32)>,
}

/// Computes fingerprints; holds the MinHash permutations.
#[derive(Debug, Clone)]
pub struct Fingerprinter {
    params: Params,
    /// The permutations `h -> a * h + b (mod 2^64)`, `a` odd, in lanes of [`LANES`]: the
    /// multipliers and the addends as two arrays padded to whole lanes (the padding is ignored).
    multipliers: Vec<u64>,
    addends: Vec<u64>,
}

/// MinHash values computed side by side; a multiple of the vector width, so the compiler can keep
/// a lane's minima, multipliers and addends in vector registers over the whole shingle set.
const LANES: usize = 32;

/// A fixed seed: signatures, and so candidates, are the same in every run.
const PERMUTATION_SEED: u64 = 0x6465_6475_705f_6d68;

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Fingerprinter {
    /// Prepares the permutations for `params`.
    pub fn new(params: Params) -> Self {
        let mut state = PERMUTATION_SEED;
        let n = params.bands * params.rows;
        let padded = n.div_ceil(LANES) * LANES;
        let (mut multipliers, mut addends) = (vec![1; padded], vec![0; padded]);
        for i in 0..n {
            multipliers[i] = splitmix64(&mut state) | 1;
            addends[i] = splitmix64(&mut state);
        }
        Fingerprinter {
            params,
            multipliers,
            addends,
        }
    }

    /// The parameters in use.
    pub fn params(&self) -> &Params {
        &self.params
    }

    /// Fingerprints one paragraph.
    pub fn fingerprint(&self, tokens: &Tokens) -> Fingerprint {
        SCRATCH.with_borrow_mut(|scratch| self.fingerprint_with(tokens, scratch))
    }

    fn fingerprint_with(&self, tokens: &Tokens, scratch: &mut Scratch) -> Fingerprint {
        let exact = xxh3_128(tokens.text.as_bytes());
        let has_figures = !self.params.ignore_figures && tokens.tokens.iter().any(|t| t.figure);
        let masked = if has_figures {
            masked_key(tokens)
        } else {
            exact
        };
        let mut fp = Fingerprint {
            exact,
            masked,
            words: tokens.len() as u32,
            ..Fingerprint::default()
        };
        if self.params.exact_only || tokens.is_empty() {
            return fp;
        }

        let Scratch {
            real,
            masked_tokens,
            shingles,
            masked_shingles,
            mins,
        } = scratch;
        real.clear();
        real.extend(tokens.words().map(|w| xxh3_64(w.as_bytes())));
        masked_tokens.clear();
        if has_figures {
            let mask_hash = xxh3_64(FIGURE_MASK.as_bytes());
            let figures = tokens.tokens.iter().map(|t| t.figure);
            masked_tokens.extend(
                real.iter()
                    .zip(figures)
                    .map(|(&h, figure)| if figure { mask_hash } else { h }),
            );
        }

        let k = self.params.shingle.min(real.len());
        let windows = real.len() - k + 1;
        shingles.clear();
        masked_shingles.clear();
        for start in 0..windows {
            let hash = shingle_hash(&real[start..start + k]);
            shingles.push(hash);
            if has_figures {
                let window = start..start + k;
                if tokens.tokens[window.clone()].iter().any(|t| t.figure) {
                    let masked_hash = shingle_hash(&masked_tokens[window]);
                    fp.figure_shingles.push((masked_hash, hash));
                    masked_shingles.push(masked_hash);
                } else {
                    masked_shingles.push(hash);
                }
            }
        }
        fp.figure_shingles.sort_unstable();
        fp.figure_shingles.dedup();

        let long_enough = tokens.len() >= self.params.min_words;
        if long_enough && self.params.window > 0 && shingles.len() >= self.params.window {
            fp.winnowed = winnow(shingles, self.params.window);
            fp.tokens = real.iter().map(|&h| h as u32).collect();
        }
        if long_enough {
            let set = if has_figures {
                &masked_shingles[..]
            } else {
                &shingles[..]
            };
            fp.bands = self.band_keys(set, mins);
        }
        shingles.sort_unstable();
        shingles.dedup();
        fp.shingles = shingles.clone();
        fp
    }

    /// MinHash over `set`, cut into bands; each band's key is xxh3-64 of its values.
    fn band_keys(&self, set: &[u64], mins: &mut Vec<u64>) -> Vec<u64> {
        mins.clear();
        mins.resize(self.multipliers.len(), u64::MAX);
        minhash(&self.multipliers, &self.addends, set, mins);
        let rows = self.params.rows;
        let mut buf = [0u8; 8 * 16];
        mins[..self.params.bands * rows]
            .chunks(rows)
            .map(|band| {
                for (chunk, v) in buf.chunks_mut(8).zip(band) {
                    chunk.copy_from_slice(&v.to_le_bytes());
                }
                xxh3_64(&buf[..band.len() * 8])
            })
            .collect()
    }
}

/// Per-thread scratch buffers of [`Fingerprinter::fingerprint`].
#[derive(Default)]
struct Scratch {
    real: Vec<u64>,
    masked_tokens: Vec<u64>,
    shingles: Vec<u64>,
    masked_shingles: Vec<u64>,
    mins: Vec<u64>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Lowers `mins[i]` to the minimum of `multipliers[i] * h + addends[i]` over `h` in `set`. The
/// arrays are whole [`LANES`]. On x86-64 the same code is compiled for AVX-512 and AVX2 too and
/// picked at run time; the result is the same on every path.
fn minhash(multipliers: &[u64], addends: &[u64], set: &[u64], mins: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512dq") {
            // SAFETY: the CPU supports the features the function is compiled for.
            return unsafe { minhash_avx512(multipliers, addends, set, mins) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above.
            return unsafe { minhash_avx2(multipliers, addends, set, mins) };
        }
    }
    minhash_lanes(multipliers, addends, set, mins);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
fn minhash_avx512(multipliers: &[u64], addends: &[u64], set: &[u64], mins: &mut [u64]) {
    minhash_lanes(multipliers, addends, set, mins);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn minhash_avx2(multipliers: &[u64], addends: &[u64], set: &[u64], mins: &mut [u64]) {
    minhash_lanes(multipliers, addends, set, mins);
}

/// The MinHash loop, lane by lane: fixed-size arrays the compiler vectorizes.
#[inline(always)]
fn minhash_lanes(multipliers: &[u64], addends: &[u64], set: &[u64], mins: &mut [u64]) {
    for ((m, a), b) in mins
        .chunks_exact_mut(LANES)
        .zip(multipliers.chunks_exact(LANES))
        .zip(addends.chunks_exact(LANES))
    {
        let a: &[u64; LANES] = a.try_into().expect("whole lanes");
        let b: &[u64; LANES] = b.try_into().expect("whole lanes");
        let mut lane = [u64::MAX; LANES];
        for &h in set {
            for i in 0..LANES {
                lane[i] = lane[i].min(a[i].wrapping_mul(h).wrapping_add(b[i]));
            }
        }
        for (m, l) in m.iter_mut().zip(lane) {
            *m = (*m).min(l);
        }
    }
}

/// Winnowing (Schleimer, Wilkerson and Aiken, 2003): the minimum of every window of `w`
/// consecutive hashes, the rightmost one on ties, recorded once per position. Two sequences that
/// share `w` consecutive hashes share a selected fingerprint.
fn winnow(hashes: &[u64], w: usize) -> Vec<(u64, u32)> {
    let mut selected: Vec<(u64, u32)> = Vec::new();
    for start in 0..=hashes.len() - w {
        let mut best = start;
        for i in start + 1..start + w {
            if hashes[i] <= hashes[best] {
                best = i;
            }
        }
        if selected.last().is_none_or(|&(_, p)| p as usize != best) {
            selected.push((hashes[best], best as u32));
        }
    }
    selected
}

fn shingle_hash(token_hashes: &[u64]) -> u64 {
    let mut buf = [0u8; 8 * 16];
    if token_hashes.len() <= 16 {
        for (chunk, h) in buf.chunks_mut(8).zip(token_hashes) {
            chunk.copy_from_slice(&h.to_le_bytes());
        }
        return xxh3_64(&buf[..token_hashes.len() * 8]);
    }
    let bytes: Vec<u8> = token_hashes.iter().flat_map(|h| h.to_le_bytes()).collect();
    xxh3_64(&bytes)
}

fn masked_key(tokens: &Tokens) -> u128 {
    let mut hasher = Xxh3::new();
    for (i, token) in tokens.tokens.iter().enumerate() {
        if i > 0 {
            hasher.update(b" ");
        }
        let word = if token.figure {
            FIGURE_MASK
        } else {
            tokens.word(i)
        };
        hasher.update(word.as_bytes());
    }
    hasher.digest128()
}

/// Jaccard similarity of two sorted sets without repeats.
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let shared = intersection_size(a, b);
    shared as f64 / (a.len() + b.len() - shared) as f64
}

fn intersection_size(a: &[u64], b: &[u64]) -> usize {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared
}

impl Fingerprint {
    /// The shingle set with every figure masked, sorted and without repeats.
    pub fn masked_shingles(&self) -> Vec<u64> {
        if self.figure_shingles.is_empty() {
            return self.shingles.clone();
        }
        let mut real_figure: Vec<u64> = self.figure_shingles.iter().map(|&(_, r)| r).collect();
        real_figure.sort_unstable();
        let mut set: Vec<u64> = self
            .shingles
            .iter()
            .copied()
            .filter(|s| real_figure.binary_search(s).is_err())
            .chain(self.figure_shingles.iter().map(|&(m, _)| m))
            .collect();
        set.sort_unstable();
        set.dedup();
        set
    }

    /// Whether a figure of one paragraph stands where the other has a different figure: some
    /// masked shingle occurs in both, but never with the same figures. A figure that is only
    /// missing on one side (a sentence added or cut) is no conflict.
    pub fn conflicts_with(&self, other: &Fingerprint) -> bool {
        let (a, b) = (&self.figure_shingles, &other.figure_shingles);
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            let (ma, mb) = (a[i].0, b[j].0);
            if ma < mb {
                i += 1;
            } else if mb < ma {
                j += 1;
            } else {
                let i_end = i + a[i..].iter().take_while(|p| p.0 == ma).count();
                let j_end = j + b[j..].iter().take_while(|p| p.0 == mb).count();
                let shared = a[i..i_end]
                    .iter()
                    .any(|x| b[j..j_end].iter().any(|y| x.1 == y.1));
                if !shared {
                    return true;
                }
                i = i_end;
                j = j_end;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{Options, normalize};

    fn fingerprinter() -> Fingerprinter {
        Fingerprinter::new(Params {
            shingle: 3,
            min_words: 4,
            bands: 42,
            rows: 3,
            ignore_figures: false,
            exact_only: false,
            window: 4,
        })
    }

    fn fp(text: &str) -> Fingerprint {
        fingerprinter().fingerprint(&normalize(text.as_bytes(), Options::default()))
    }

    #[test]
    fn banding_is_sized_for_the_threshold() {
        assert_eq!(banding_for(0.5), (42, 3));
        for t in [0.2, 0.3, 0.5, 0.7, 0.8, 0.9] {
            let (bands, rows) = banding_for(t);
            assert!(bands * rows <= MAX_SIGNATURE);
            assert!(
                candidate_probability(t, bands, rows) >= BANDING_RECALL,
                "{t}"
            );
        }
        // Higher thresholds use longer bands, so fewer dissimilar pairs become candidates.
        assert!(banding_for(0.8).1 > banding_for(0.5).1);
    }

    #[test]
    fn exact_key_ignores_case_and_punctuation() {
        assert_eq!(
            fp("Daesh on verge, of collapse!").exact,
            fp("DAESH ON VERGE OF COLLAPSE").exact
        );
        assert_ne!(
            fp("Daesh on verge of collapse").exact,
            fp("Daesh on verge of collapses").exact
        );
    }

    #[test]
    fn shingles_are_word_triples() {
        let a = fp("a b c d");
        assert_eq!(a.shingles.len(), 2);
        assert_eq!(
            fp("a b").shingles.len(),
            1,
            "short paragraphs keep one shingle"
        );
        assert!(
            fp("a b c").bands.is_empty(),
            "fewer than min_words: no band keys"
        );
        assert_eq!(a.bands.len(), 42);
        assert_eq!(jaccard(&a.shingles, &fp("a b c d e").shingles), 2.0 / 3.0);
    }

    #[test]
    fn identical_masked_text_gives_identical_band_keys() {
        let a = fp("Qtly div 10 cts vs 9 cts prior pay April 1");
        let b = fp("Qtly div 12 cts vs 11 cts prior pay April 15");
        assert_eq!(a.masked, b.masked);
        assert_ne!(a.exact, b.exact);
        assert_eq!(a.bands, b.bands);
        assert_eq!(a.masked_shingles(), b.masked_shingles());
    }

    #[test]
    fn winnowing_selects_a_shared_fingerprint_in_every_shared_window() {
        let hashes: Vec<u64> = vec![
            77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17,
        ];
        let w = 4;
        let selected = winnow(&hashes, w);
        // Every window contributes its rightmost minimum.
        for start in 0..=hashes.len() - w {
            let window = &hashes[start..start + w];
            let min = *window.iter().min().unwrap();
            let pos = start + window.iter().rposition(|&h| h == min).unwrap();
            assert!(selected.contains(&(min, pos as u32)), "window at {start}");
        }
        // Positions are increasing and recorded once.
        assert!(selected.windows(2).all(|p| p[0].1 < p[1].1));
        let f = fp("one two three four five six seven eight nine");
        assert!(!f.winnowed.is_empty());
        assert_eq!(f.tokens.len(), 9);
    }

    #[test]
    fn figure_conflicts() {
        let a = fp("Qtly div 10 cts vs 9 cts prior");
        let b = fp("Qtly div 12 cts vs 9 cts prior");
        assert!(a.conflicts_with(&b) && b.conflicts_with(&a));
        assert!(!a.conflicts_with(&a));
        // A sentence with a figure missing on one side is no conflict.
        let long = fp("The toll rose on Friday. Officials said 45 people died in the blast.");
        let cut = fp("The toll rose on Friday.");
        assert!(!long.conflicts_with(&cut));
        let updated = fp("The toll rose on Friday. Officials said 50 people died in the blast.");
        assert!(long.conflicts_with(&updated));
    }
}
