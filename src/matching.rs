//! Stage 6, match: fingerprints to verified links between paragraphs.
//!
//! In: every paragraph's [`Fingerprint`], in report order (path, then line).
//! Out: [`Matches`]: the paragraphs grouped into units of exact copies (same exact key), and
//! verified links between units: near (Jaccard of the real shingle sets at or above the threshold,
//! no conflicting figures) and template (alike once figures are masked, but with a figure of one
//! standing where the other has a different one).
//!
//! Candidates come from equal masked keys and from shared LSH band keys. Every candidate is
//! verified on the real shingle sets before it becomes a link; nothing estimated from the sketch
//! reaches the report. A band bucket holding more than `bucket_cap` units (boilerplate shared by
//! very many paragraphs) is not expanded into all its pairs: each of its units is compared with
//! the bucket's first unit only, and the bucket is counted in [`Matches::oversized_buckets`].

use std::collections::HashMap;

use rayon::prelude::*;

use crate::fingerprint::{Fingerprint, jaccard};

/// Matching parameters.
#[derive(Debug, Clone, Copy)]
pub struct MatchParams {
    /// Jaccard threshold for near duplicates and templates.
    pub threshold: f64,
    /// Band buckets larger than this are compared against their first unit only.
    pub bucket_cap: usize,
}

/// The result of matching.
#[derive(Debug, Default)]
pub struct Matches {
    /// For every paragraph, the index of its unit (exact-copy group); `None` for paragraphs
    /// without a single token, which are never matched.
    pub unit_of: Vec<Option<u32>>,
    /// For every unit, its paragraphs in report order. Units are numbered in the order of their
    /// first paragraph.
    pub units: Vec<Vec<u32>>,
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
    /// The fingerprint that stands for unit `u`: its first paragraph's.
    fn unit_fp<'a>(&self, fps: &'a [Fingerprint], u: u32) -> &'a Fingerprint {
        &fps[self.units[u as usize][0] as usize]
    }
}

/// How a verified candidate pair relates.
enum Link {
    Near,
    Template,
}

/// Groups exact copies, finds candidates and verifies them.
pub fn find_matches(fps: &[Fingerprint], params: MatchParams) -> Matches {
    let mut m = group_exact(fps);

    // Masked-key groups: units equal but for their figures are templates of one another.
    let mut first_with_masked: HashMap<u128, u32> = HashMap::new();
    for u in 0..m.units.len() as u32 {
        let fp = m.unit_fp(fps, u);
        if fp.masked != fp.exact {
            match first_with_masked.get(&fp.masked) {
                Some(&first) => m.templates.push((first, u)),
                None => {
                    first_with_masked.insert(fp.masked, u);
                }
            }
        }
    }

    let (candidates, oversized) = band_candidates(&m, fps, params.bucket_cap);
    m.candidate_pairs = candidates.len();
    m.oversized_buckets = oversized;
    let verified: Vec<(u32, u32, Link)> = candidates
        .par_iter()
        .filter_map(|&(a, b)| {
            let (fa, fb) = (m.unit_fp(fps, a), m.unit_fp(fps, b));
            verify(fa, fb, params.threshold).map(|link| (a, b, link))
        })
        .collect();
    for (a, b, link) in verified {
        match link {
            Link::Near => m.near.push((a, b)),
            Link::Template => m.templates.push((a, b)),
        }
    }
    m.templates.sort_unstable();
    m.templates.dedup();
    m
}

/// Verifies one candidate pair on the real shingle sets.
fn verify(a: &Fingerprint, b: &Fingerprint, threshold: f64) -> Option<Link> {
    if a.conflicts_with(b) {
        let masked = jaccard(&a.masked_shingles(), &b.masked_shingles());
        (masked >= threshold).then_some(Link::Template)
    } else {
        (jaccard(&a.shingles, &b.shingles) >= threshold).then_some(Link::Near)
    }
}

/// Groups paragraphs with equal exact keys into units, numbered in report order.
fn group_exact(fps: &[Fingerprint]) -> Matches {
    let mut m = Matches {
        unit_of: vec![None; fps.len()],
        ..Matches::default()
    };
    let mut unit_by_key: HashMap<u128, u32> = HashMap::new();
    for (id, fp) in fps.iter().enumerate() {
        if fp.words == 0 {
            continue;
        }
        let next = m.units.len() as u32;
        let unit = *unit_by_key.entry(fp.exact).or_insert(next);
        if unit == next {
            m.units.push(Vec::new());
        }
        m.units[unit as usize].push(id as u32);
        m.unit_of[id] = Some(unit);
    }
    m
}

/// Unit pairs that share at least one band key, sorted and without repeats, and the number of
/// oversized buckets.
fn band_candidates(
    m: &Matches,
    fps: &[Fingerprint],
    bucket_cap: usize,
) -> (Vec<(u32, u32)>, usize) {
    let bands = m
        .units
        .iter()
        .map(|u| fps[u[0] as usize].bands.len())
        .max()
        .unwrap_or(0);
    let per_band: Vec<(Vec<(u32, u32)>, usize)> = (0..bands)
        .into_par_iter()
        .map(|band| {
            let mut keyed: Vec<(u64, u32)> = (0..m.units.len() as u32)
                .filter_map(|u| m.unit_fp(fps, u).bands.get(band).map(|&key| (key, u)))
                .collect();
            keyed.sort_unstable();
            let mut pairs = Vec::new();
            let mut oversized = 0;
            for bucket in keyed.chunk_by(|x, y| x.0 == y.0) {
                if bucket.len() > bucket_cap {
                    oversized += 1;
                    pairs.extend(bucket[1..].iter().map(|&(_, u)| (bucket[0].1, u)));
                    continue;
                }
                for (i, &(_, a)) in bucket.iter().enumerate() {
                    pairs.extend(bucket[i + 1..].iter().map(|&(_, b)| (a, b)));
                }
            }
            (pairs, oversized)
        })
        .collect();
    let oversized = per_band.iter().map(|(_, o)| o).sum();
    let mut pairs: Vec<(u32, u32)> = per_band.into_iter().flat_map(|(p, _)| p).collect();
    pairs.par_sort_unstable();
    pairs.dedup();
    (pairs, oversized)
}
