//! Stage 5, fingerprint: normalized tokens to the hashes the matcher compares.
//!
//! In: the [`Tokens`] of one paragraph and the [`Params`] of the run.
//! Out, kept for the whole run in flat arenas ([`FileFingerprints`] per file, merged into
//! [`Fingerprints`] for the corpus): a [`Key`] (the exact key, xxh3-128 of the normalized text;
//! the same key with figures masked; the word count), the LSH band keys of a MinHash signature
//! over the figure-masked shingles (32 bits each, band-major), and the winnowed fingerprints
//! (shingle hashes, each with a 32-bit digest of the tokens around it). Exact copies have the same
//! band keys and winnowed fingerprints: during a scan ([`Claims`]) they are computed for one copy
//! only, and [`Fingerprints::share_with_first`] lends them to the first paragraph of the copies,
//! the one the matcher reads. Out on demand, for the few paragraphs whose candidates are verified:
//! [`Sets`], the real sets of one paragraph (sorted shingle hashes; the shingles that contain a
//! figure, with and without it masked; token hashes and winnowed fingerprints with positions), so
//! that no shingle set or token is held for the whole corpus.
//!
//! Token hashes are xxh3-64 of the normalized token; a shingle hash is xxh3-64 of the k token
//! hashes in order. A paragraph with fewer than k tokens has one shingle: all of its tokens.
//! The MinHash signature is computed over the masked shingles so that one index finds both near
//! duplicates and templates (paragraphs alike but for their figures); the matcher tells them apart
//! on the real sets. Short paragraphs (fewer than `min_words` tokens) get no band keys: they are
//! matched exactly. Every paragraph with wire markup keeps the exact key of its content
//! ([`Fingerprints::contents`]) to be found as a near copy of the paragraph without it, whatever
//! its band keys share with look-alikes (a dividend line's masked band keys are every dividend
//! line's, a bucket the boilerplate cap cuts).
//! Huge paragraphs (more than [`HUGE_PARAGRAPH`] bytes) are matched exactly only, and normalized a
//! piece at a time ([`Fingerprinter::fingerprint_huge`]), so that their tokens are never all held.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Mutex;

use hashbrown::HashTable;
use xxhash_rust::xxh3::{Xxh3, Xxh3Builder, xxh3_64, xxh3_128};

use crate::normalize::{FIGURE_MASK, Token, Tokens};
use crate::sets::{Contents, DATELINE_SHINGLE, Sets, Words};
use crate::wire::Content;

/// The recall the LSH banding must reach at the threshold itself.
pub const BANDING_RECALL: f64 = 0.99;
/// The largest MinHash signature considered when sizing the banding.
pub const MAX_SIGNATURE: usize = 128;

/// Fingerprinting parameters, fixed for a run.
#[derive(Debug, Clone)]
pub struct Params {
    /// Words per shingle (k).
    pub shingle: usize,
    /// Paragraphs with fewer tokens are matched exactly only (or, with wire markup, as near
    /// copies of the paragraph they equal without it).
    pub min_words: usize,
    /// LSH bands.
    pub bands: usize,
    /// MinHash values per band.
    pub rows: usize,
    /// Whether figures were masked during normalization (no template detection).
    pub ignore_figures: bool,
    /// Whether only exact keys are needed (no shingles, no signature).
    pub exact_only: bool,
    /// Words per winnowed shingle (the seeds of partial matches; at least `shingle`).
    pub seed_shingle: usize,
    /// Winnowing window in seed shingles (w); 0 turns partial matching off.
    pub window: usize,
}

impl Params {
    /// The shortest shared run winnowing guarantees to find (t = w + k' − 1); `None` when
    /// partial matching is off.
    pub fn min_shared_words(&self) -> Option<usize> {
        (self.window > 0 && !self.exact_only).then(|| self.window + self.seed_shingle - 1)
    }
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

/// Paragraphs of more bytes are matched exactly only: a line of a megabyte is no prose, and its
/// tokens, shingles and sets would cost 10 to 15 times its size.
pub const HUGE_PARAGRAPH: usize = 1 << 20;

/// The bytes of a huge paragraph normalized at a time, about.
const HUGE_PIECE: usize = 1 << 16;

/// What is kept of one paragraph for the whole run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Key {
    /// xxh3-128 of the normalized text (tokens joined by single spaces).
    pub exact: u128,
    /// The same with every figure replaced by `0`; equal to `exact` when there are no figures.
    pub masked: u128,
    /// Number of tokens.
    pub words: u32,
    /// Row of its band keys in the band arenas; [`NO_ROW`] without band keys.
    band_row: u32,
    /// Where its winnowed fingerprints start in the winnowing arena, and how many there are.
    winnow_start: u32,
    winnow_len: u32,
}

impl Key {
    /// The key moved behind `rows` band rows and `winnow_base` winnowed fingerprints.
    fn shifted(&self, rows: u32, winnow_base: u32) -> Key {
        Key {
            band_row: if self.band_row == NO_ROW {
                NO_ROW
            } else {
                self.band_row + rows
            },
            winnow_start: self.winnow_start + winnow_base,
            ..*self
        }
    }
}

/// The band row of a paragraph without band keys.
pub const NO_ROW: u32 = u32::MAX;

/// Shards of [`Claims`]: few enough to stay small, enough that two threads seldom wait.
const CLAIM_SHARDS: usize = 64;

/// The exact keys of the paragraphs fingerprinted so far, each with the place of the earliest
/// copy fingerprinted, shared by the threads of a scan.
#[derive(Debug)]
pub struct Claims {
    shards: Vec<Mutex<ClaimShard>>,
}

/// One shard of [`Claims`]: `(exact key, place)` pairs in the order they were first claimed, and
/// a table of their positions there hashed by the key's low half (a key is a hash already). Four
/// bytes a slot where a map of the pairs took 32: the table of a 1 GB corpus of small files
/// holds 3.7 M keys in twice as many slots, and was 277 MB of the scan's peak.
#[derive(Debug, Default)]
struct ClaimShard {
    claims: Vec<(u128, u128)>,
    at: HashTable<u32>,
}

impl Default for Claims {
    fn default() -> Self {
        Claims {
            shards: (0..CLAIM_SHARDS).map(|_| Mutex::default()).collect(),
        }
    }
}

impl Claims {
    /// Whether the copy of `exact` at `place` ([`claim_place`]) is to be fingerprinted: no copy
    /// was claimed yet, or only copies later in report order. So the earliest copy is always
    /// fingerprinted itself, whichever thread comes to it first, and a unit's candidates are
    /// drawn from its first paragraph's band keys: exact copies can have different ones (the
    /// same words with and without wire markup, `LONDON - …` and `London - …`, shingled without
    /// and with the dateline), so taking the first claimer's made the candidates depend on the
    /// threads' timing.
    pub fn claim(&self, exact: u128, place: u128) -> bool {
        let shard = &self.shards[(exact >> 64) as usize % CLAIM_SHARDS];
        // A poisoned shard (a panicking thread) claims nothing: the copy is fingerprinted again.
        let Ok(mut shard) = shard.lock() else {
            return true;
        };
        let ClaimShard { claims, at } = &mut *shard;
        match at.find(exact as u64, |&i| claims[i as usize].0 == exact) {
            Some(&i) => {
                let earliest = &mut claims[i as usize].1;
                let earlier = place < *earliest;
                if earlier {
                    *earliest = place;
                }
                earlier
            }
            None => {
                claims.push((exact, place));
                let slot = claims.len() as u32 - 1;
                at.insert_unique(exact as u64, slot, |&i| claims[i as usize].0 as u64);
                true
            }
        }
    }
}

/// The place of a paragraph in report order, as [`Claims::claim`] compares them: its file's
/// position among the paths scanned, its record's line in a JSON Lines file (0 otherwise) and its
/// index in its document.
pub fn claim_place(file: usize, record: u32, paragraph: usize) -> u128 {
    (file as u128) << 64 | (record as u128) << 32 | paragraph as u128
}

/// The fingerprints of one file's paragraphs, in order: keys, band keys paragraph by paragraph,
/// winnowed fingerprints.
#[derive(Debug, Default)]
pub struct FileFingerprints {
    keys: Vec<Key>,
    bands: usize,
    band_keys: Vec<u32>,
    winnowed: Vec<u64>,
    winnow_contexts: Vec<u32>,
    /// `(paragraph in the file, exact key of its content)` of every paragraph with wire markup
    /// ([`Fingerprints::contents`]).
    contents: Vec<(u32, u128)>,
    /// `(headline, lead)` paragraphs in the file ([`Fingerprints::headlines`]).
    pub(crate) headlines: Vec<(u32, u32)>,
}

impl FileFingerprints {
    /// Room for the fingerprints of `paragraphs` paragraphs (their band keys too).
    pub fn with_capacity(paragraphs: usize, bands: usize) -> Self {
        FileFingerprints {
            keys: Vec::with_capacity(paragraphs),
            bands: 0,
            band_keys: Vec::with_capacity(paragraphs * bands),
            winnowed: Vec::new(),
            winnow_contexts: Vec::new(),
            contents: Vec::new(),
            headlines: Vec::new(),
        }
    }

    /// The paragraphs' keys.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Appends the fingerprints of the paragraphs that follow in the same file (the next block
    /// of a document, or the next JSON Lines record).
    pub fn extend(&mut self, next: FileFingerprints) {
        if self.keys.is_empty() {
            *self = next;
            return;
        }
        self.bands = self.bands.max(next.bands);
        let rows = self.band_keys.len().checked_div(self.bands).unwrap_or(0) as u32;
        let winnow_base = self.winnowed.len() as u32;
        let base = self.keys.len() as u32;
        self.contents
            .extend(next.contents.iter().map(|&(p, key)| (p + base, key)));
        self.headlines
            .extend(next.headlines.iter().map(|&(h, l)| (h + base, l + base)));
        self.keys
            .extend(next.keys.iter().map(|k| k.shifted(rows, winnow_base)));
        self.band_keys.extend_from_slice(&next.band_keys);
        self.winnowed.extend_from_slice(&next.winnowed);
        self.winnow_contexts
            .extend_from_slice(&next.winnow_contexts);
    }
}

/// The fingerprints of the whole corpus: one [`Key`] per paragraph id, the band keys band-major
/// (the keys of band `b` for all paragraphs with band keys, in paragraph order), and the winnowed
/// fingerprints.
#[derive(Debug, Default)]
pub struct Fingerprints {
    keys: Vec<Key>,
    band_keys: Vec<Vec<u32>>,
    winnowed: Vec<u64>,
    winnow_contexts: Vec<u32>,
    contents: Vec<(u32, u128)>,
    headlines: Vec<(u32, u32)>,
}

impl Fingerprints {
    /// Appends the fingerprints of the next file.
    pub fn append(&mut self, file: FileFingerprints) {
        if self.band_keys.len() < file.bands {
            self.band_keys.resize_with(file.bands, Vec::new);
        }
        let rows = self.band_keys.first().map_or(0, Vec::len) as u32;
        let winnow_base = self.winnowed.len() as u32;
        let base = self.keys.len() as u32;
        self.contents
            .extend(file.contents.iter().map(|&(p, key)| (p + base, key)));
        self.headlines
            .extend(file.headlines.iter().map(|&(h, l)| (h + base, l + base)));
        self.keys
            .extend(file.keys.iter().map(|k| k.shifted(rows, winnow_base)));
        if file.bands > 0 {
            for row in file.band_keys.chunks_exact(file.bands) {
                for (band, &key) in self.band_keys.iter_mut().zip(row) {
                    band.push(key);
                }
            }
        }
        self.winnowed.extend_from_slice(&file.winnowed);
        self.winnow_contexts
            .extend_from_slice(&file.winnow_contexts);
    }

    /// `(paragraph id, exact key of its content)` of every paragraph that has wire markup, in id
    /// order: the key it would have without its dateline or credit, so that it can be found as a
    /// near copy of the paragraph without them (a short one has no band keys; a longer one's may
    /// sit only in buckets the boilerplate cap cuts).
    pub fn contents(&self) -> &[(u32, u128)] {
        &self.contents
    }

    /// `(headline, lead)` paragraph ids of every document whose first paragraph is a headline
    /// said again in one of the next paragraphs ([`crate::partial::headline`]), in id order.
    pub fn headlines(&self) -> &[(u32, u32)] {
        &self.headlines
    }

    /// The key of paragraph `id`.
    pub fn key(&self, id: u32) -> &Key {
        &self.keys[id as usize]
    }

    /// All keys, by paragraph id.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The winnowed fingerprints (shingle hashes) of paragraph `id`, in the order of their
    /// positions, and their contexts ([`contexts_agree`]).
    pub fn winnowed(&self, id: u32) -> (&[u64], &[u32]) {
        let k = &self.keys[id as usize];
        let range = k.winnow_start as usize..(k.winnow_start + k.winnow_len) as usize;
        (&self.winnowed[range.clone()], &self.winnow_contexts[range])
    }

    /// Number of winnowed fingerprints of all paragraphs.
    pub fn winnowed_count(&self) -> usize {
        self.winnowed.len()
    }

    /// Frees the winnowed fingerprints once partial candidates have been drawn from them.
    pub fn release_winnowed(&mut self) {
        self.winnowed = Vec::new();
        self.winnow_contexts = Vec::new();
    }

    /// Whether paragraph `id` holds band keys or winnowed fingerprints: it is the copy of its
    /// text that was fingerprinted ([`Fingerprinter::fingerprint_once`]), or one alone.
    pub fn fingerprinted(&self, id: usize) -> bool {
        let k = &self.keys[id];
        k.band_row != NO_ROW || k.winnow_len > 0
    }

    /// The band keys of paragraph `id`, band by band (none when it has no band keys).
    pub fn band_keys_of(&self, id: u32) -> impl Iterator<Item = u32> + '_ {
        let row = self.band_row(id);
        row.into_iter()
            .flat_map(move |row| self.band_keys.iter().map(move |band| band[row]))
    }

    /// The row of paragraph `id` in every band's keys, if it has band keys.
    pub fn band_row(&self, id: u32) -> Option<usize> {
        let row = self.keys[id as usize].band_row;
        (row != NO_ROW).then_some(row as usize)
    }

    /// Gives the first paragraph of every group of exact copies (`groups`, each in id order) that
    /// has no band row of its own the band row and winnowed fingerprints of a copy that was
    /// fingerprinted ([`Fingerprinter::fingerprint_once`]), as candidates are drawn from the first
    /// paragraphs'. The scan fingerprints the earliest copy of every text itself ([`Claims`]), so
    /// the first paragraph's own are kept when it has them.
    pub fn share_with_first<'a>(&mut self, groups: impl Iterator<Item = &'a [u32]>) {
        for copies in groups {
            let first = copies[0] as usize;
            if self.keys[first].band_row != NO_ROW {
                continue;
            }
            let fingerprinted = copies[1..]
                .iter()
                .map(|&p| self.keys[p as usize])
                .find(|k| k.band_row != NO_ROW);
            if let Some(k) = fingerprinted {
                let key = &mut self.keys[first];
                key.band_row = k.band_row;
                key.winnow_start = k.winnow_start;
                key.winnow_len = k.winnow_len;
            }
        }
    }

    /// The fingerprints of the paragraphs `ids` (one file's, in order), as the scan of that file
    /// gave them: what [`Fingerprints::append`] takes back when an index is updated.
    pub(crate) fn file_part(&self, ids: Range<usize>) -> FileFingerprints {
        let bands = self.band_keys.len();
        let mut part = FileFingerprints::with_capacity(ids.len(), bands);
        part.bands = bands;
        let with_contents = self
            .contents
            .partition_point(|&(p, _)| (p as usize) < ids.start)
            ..self
                .contents
                .partition_point(|&(p, _)| (p as usize) < ids.end);
        part.contents = self.contents[with_contents]
            .iter()
            .map(|&(p, key)| (p - ids.start as u32, key))
            .collect();
        let base = ids.start as u32;
        part.headlines = self
            .headlines
            .iter()
            .filter(|&&(h, _)| ids.contains(&(h as usize)))
            .map(|&(h, l)| (h - base, l - base))
            .collect();
        for id in ids {
            let mut key = self.keys[id];
            if key.band_row != NO_ROW {
                let row = key.band_row as usize;
                key.band_row = (part.band_keys.len() / bands) as u32;
                part.band_keys
                    .extend(self.band_keys.iter().map(|band| band[row]));
            }
            let winnowed = key.winnow_start as usize..(key.winnow_start + key.winnow_len) as usize;
            key.winnow_start = part.winnowed.len() as u32;
            part.winnowed
                .extend_from_slice(&self.winnowed[winnowed.clone()]);
            part.winnow_contexts
                .extend_from_slice(&self.winnow_contexts[winnowed]);
            part.keys.push(key);
        }
        part
    }

    /// Writes the fingerprints in the reference index's layout ([`crate::index`]): the keys
    /// (u64 count; each exact u128, masked u128, words, band row, winnow start and length u32),
    /// the band keys (u32 bands, u64 rows, then each band's u32 keys), the winnowed
    /// fingerprints (u64 count, the u64 hashes, then the u32 contexts) and the contents
    /// (u64 count; each paragraph u32, key u128). The band keys and winnowed fingerprints of a
    /// text are written for the first of its exact copies, from the first copy fingerprinted (the
    /// earliest itself, [`Claims`]), and in paragraph order: the same files give the same bytes.
    pub(crate) fn encode(&self, w: &mut crate::index::Writer<'_>) -> std::io::Result<()> {
        // For each paragraph, the copy whose fingerprints it is written with, if any.
        let mut holder: HashMap<u128, u32, Xxh3Builder> = HashMap::default();
        for (id, k) in self.keys.iter().enumerate() {
            if self.fingerprinted(id) {
                holder.entry(k.exact).or_insert(id as u32);
            }
        }
        let source: Vec<Option<u32>> = self.keys.iter().map(|k| holder.remove(&k.exact)).collect();
        drop(holder);
        w.u64(self.keys.len() as u64)?;
        let (mut rows, mut winnowed) = (0u32, 0u32);
        for (k, source) in self.keys.iter().zip(&source) {
            let from = source.map(|s| &self.keys[s as usize]);
            let band_row = match from.filter(|f| f.band_row != NO_ROW) {
                Some(_) => {
                    rows += 1;
                    rows - 1
                }
                None => NO_ROW,
            };
            let winnow_len = from.map_or(0, |f| f.winnow_len);
            w.u128(k.exact)?;
            w.u128(k.masked)?;
            for v in [k.words, band_row, winnowed, winnow_len] {
                w.u32(v)?;
            }
            winnowed += winnow_len;
        }
        let held = || source.iter().flatten().map(|&s| &self.keys[s as usize]);
        w.u32(self.band_keys.len() as u32)?;
        w.u64(rows as u64)?;
        for band in &self.band_keys {
            held()
                .filter(|k| k.band_row != NO_ROW)
                .try_for_each(|k| w.u32(band[k.band_row as usize]))?;
        }
        let ranges =
            || held().map(|k| k.winnow_start as usize..(k.winnow_start + k.winnow_len) as usize);
        w.u64(winnowed as u64)?;
        for range in ranges() {
            self.winnowed[range].iter().try_for_each(|&h| w.u64(h))?;
        }
        for range in ranges() {
            self.winnow_contexts[range]
                .iter()
                .try_for_each(|&c| w.u32(c))?;
        }
        w.u64(self.contents.len() as u64)?;
        for &(p, key) in &self.contents {
            w.u32(p)?;
            w.u128(key)?;
        }
        w.u64(self.headlines.len() as u64)?;
        for &(headline, lead) in &self.headlines {
            w.u32(headline)?;
            w.u32(lead)?;
        }
        Ok(())
    }

    /// Reads what [`Fingerprints::encode`] wrote.
    pub(crate) fn decode(r: &mut crate::index::Reader<'_>) -> std::io::Result<Fingerprints> {
        let keys_len = r.count(48)?;
        let keys = r.records::<48, _>(keys_len, |k| {
            let u32_at = |i: usize| u32::from_le_bytes(k[i..i + 4].try_into().expect("4"));
            Key {
                exact: u128::from_le_bytes(k[..16].try_into().expect("16")),
                masked: u128::from_le_bytes(k[16..32].try_into().expect("16")),
                words: u32_at(32),
                band_row: u32_at(36),
                winnow_start: u32_at(40),
                winnow_len: u32_at(44),
            }
        })?;
        // No banding has more bands than a signature has values: a damaged count cannot ask
        // for billions of (empty) bands.
        let bands = r.u32()? as usize;
        if bands > MAX_SIGNATURE {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        let rows = r.count(4 * bands.max(1))?;
        let band_keys = (0..bands)
            .map(|_| r.records::<4, _>(rows, u32::from_le_bytes))
            .collect::<std::io::Result<_>>()?;
        let winnowed_len = r.count(12)?;
        let winnowed = r.records::<8, _>(winnowed_len, u64::from_le_bytes)?;
        let winnow_contexts = r.records::<4, _>(winnowed_len, u32::from_le_bytes)?;
        let contents_len = r.count(20)?;
        let contents = (0..contents_len)
            .map(|_| Ok((r.u32()?, r.u128()?)))
            .collect::<std::io::Result<_>>()?;
        let headlines_len = r.count(8)?;
        let headlines = (0..headlines_len)
            .map(|_| Ok((r.u32()?, r.u32()?)))
            .collect::<std::io::Result<_>>()?;
        Ok(Fingerprints {
            keys,
            band_keys,
            winnowed,
            winnow_contexts,
            contents,
            headlines,
        })
    }

    /// Takes the band keys out, band by band (each indexed by [`Fingerprints::band_row`]), so
    /// that each band's keys can be freed as soon as its candidates are drawn.
    pub fn take_band_keys(&mut self) -> Vec<Vec<u32>> {
        std::mem::take(&mut self.band_keys)
    }
}

/// What [`Fingerprinter::shingle`] computes besides the token hashes and shingles.
#[derive(Debug, Clone, Copy)]
enum Shingles {
    /// The masked shingles too, which the MinHash signature is computed from.
    ForSignature,
    /// The real sets: with the figure shingles when `figures` (to verify).
    Real { figures: bool },
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

/// The exact key of normalized tokens: what two exact copies share.
fn exact_key(tokens: &Tokens) -> u128 {
    xxh3_128(tokens.text.as_bytes())
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

    /// Fingerprints one paragraph and appends it to `out`.
    pub fn fingerprint(&self, tokens: &Tokens, out: &mut FileFingerprints) {
        self.fingerprint_once(tokens, None, out, None);
    }

    /// [`Fingerprinter::fingerprint`], with the band keys drawn from the `content` tokens when the
    /// paragraph has wire markup ([`crate::wire::content`]); but when `claims` holds the
    /// paragraph's exact key at an earlier place (an earlier copy was fingerprinted), it gets its
    /// key only: no band keys or winnowed fingerprints (the unit's are its first paragraph's).
    pub fn fingerprint_once(
        &self,
        tokens: &Tokens,
        content: Option<&Content>,
        out: &mut FileFingerprints,
        claims: Option<(&Claims, u128)>,
    ) {
        let mut key = self.keys(tokens);
        key.band_row = NO_ROW;
        key.winnow_start = out.winnowed.len() as u32;
        if let Some(content) = content.filter(|c| !self.params.exact_only && !c.tokens.is_empty()) {
            let paragraph = out.keys.len() as u32;
            out.contents.push((paragraph, exact_key(&content.tokens)));
        }
        // Only paragraphs of min_words tokens or more get band keys and winnowed fingerprints.
        let fingerprinted = !self.params.exact_only
            && !tokens.is_empty()
            && tokens.len() >= self.params.min_words
            && claims.is_none_or(|(c, place)| c.claim(key.exact, place));
        if fingerprinted {
            SCRATCH.with_borrow_mut(|scratch| {
                self.shingle(tokens, scratch, Shingles::ForSignature);
                let (seeds, real) = self.seeds(scratch);
                if self.winnows(seeds) {
                    let (shingle, context) = (self.params.seed_shingle, self.params.window / 2);
                    winnow(seeds, self.params.window, |h, p| {
                        out.winnowed.push(h);
                        out.winnow_contexts
                            .push(winnow_context(real, p as usize, shingle, context));
                    });
                    key.winnow_len = out.winnowed.len() as u32 - key.winnow_start;
                }
                if let Some(content) = content {
                    self.shingle(&content.tokens, scratch, Shingles::ForSignature);
                }
                out.bands = self.params.bands;
                key.band_row = (out.band_keys.len() / self.params.bands.max(1)) as u32;
                let Scratch {
                    shingles,
                    masked_shingles,
                    mins,
                    ..
                } = scratch;
                let set = if masked_shingles.is_empty() {
                    &shingles[..]
                } else {
                    &masked_shingles[..]
                };
                self.band_keys(set, mins, &mut out.band_keys);
            });
        }
        out.keys.push(key);
    }

    /// The key of a huge paragraph (more than [`HUGE_PARAGRAPH`] bytes) with `options`: the same
    /// exact key and word count [`Fingerprinter::fingerprint`] gives, but no band keys or winnowed
    /// fingerprints, and the masked key equal to the exact one (no template is told from it). The
    /// bytes are normalized a piece of [`HUGE_PIECE`] bytes at a time ([`huge_pieces`]), so only
    /// one piece's tokens are held.
    pub fn fingerprint_huge(
        &self,
        bytes: &[u8],
        options: crate::normalize::Options,
        out: &mut FileFingerprints,
    ) {
        let (exact, words) = huge_key(bytes, options, HUGE_PIECE);
        out.keys.push(Key {
            exact,
            masked: exact,
            words: words.min(u32::MAX as usize) as u32,
            band_row: NO_ROW,
            winnow_start: out.winnowed.len() as u32,
            winnow_len: 0,
        });
    }

    /// The real sets of one paragraph: the same shingles, figure shingles and winnowed
    /// fingerprints [`Fingerprinter::fingerprint`] computed.
    pub fn sets(&self, tokens: &Tokens) -> Sets {
        self.sets_with(tokens, None, Contents::All)
    }

    /// [`Fingerprinter::sets`], with only the `contents` asked for; for a paragraph with wire
    /// markup, the shingles and figure shingles are those of its `content`, and its dateline's
    /// figures one figure shingle more ([`Fingerprinter::fingerprint_once`]).
    pub fn sets_with(
        &self,
        tokens: &Tokens,
        content: Option<&Content>,
        contents: Contents,
    ) -> Sets {
        let (verify, partial) = (contents.verify(), contents.partial());
        SCRATCH.with_borrow_mut(|scratch| {
            let mut sets = Sets::default();
            // The token hashes and winnowed fingerprints come from every token; the shingles to
            // verify from the content, so a paragraph with markup is shingled twice only when
            // both are asked for.
            if content.is_none() || partial {
                let figures = verify && content.is_none();
                if !self.shingle(tokens, scratch, Shingles::Real { figures }) {
                    return sets;
                }
            }
            let long_enough = tokens.len() >= self.params.min_words;
            let seeds = if partial && long_enough {
                self.seeds(scratch).0
            } else {
                &[]
            };
            if self.winnows(seeds) {
                winnow(seeds, self.params.window, |h, p| sets.winnowed.push((h, p)));
                sets.winnowed.sort_unstable();
            }
            // Every paragraph re-read for partial matching keeps its tokens: a headline too
            // short to winnow is matched on them ([`crate::partial::headline`]).
            if partial {
                sets.tokens = scratch.real.clone();
                // Sources grow with the tokens: the last one's end is the largest.
                if tokens
                    .tokens
                    .last()
                    .is_some_and(|t| t.source.end <= u32::MAX as usize)
                {
                    let source = |t: &Token| (t.source.start as u32, t.source.end as u32);
                    sets.sources = tokens.tokens.iter().map(source).collect();
                }
            }
            if let Some(content) = content.filter(|_| verify) {
                if !self.shingle(&content.tokens, scratch, Shingles::Real { figures: true }) {
                    return sets;
                }
                if let Some(date) = content
                    .dateline_figures
                    .filter(|_| !self.params.ignore_figures)
                {
                    scratch.figure_shingles.push((DATELINE_SHINGLE, date));
                    scratch.figure_shingles.sort_unstable();
                }
            }
            if verify {
                sets.figure_shingles = scratch.figure_shingles.clone();
                // Each shingle with the place it first occurs (sorted by hash, then place, the
                // first of each hash), and the places it occurs again.
                let placed = &mut scratch.placed;
                placed.clear();
                placed.extend(scratch.shingles.iter().copied().zip(0u32..));
                placed.sort_unstable();
                sets.shingles.reserve_exact(placed.len());
                sets.shingle_at.reserve_exact(placed.len());
                for &(hash, at) in placed.iter() {
                    if sets.shingles.last() == Some(&hash) {
                        let index = sets.shingles.len() as u32 - 1;
                        sets.repeat_at.push((index, at));
                    } else {
                        sets.shingles.push(hash);
                        sets.shingle_at.push(at);
                    }
                }
                let total = content.map_or(tokens.len(), |c| c.tokens.len()) as u32;
                sets.words = Words {
                    total,
                    per_shingle: (self.params.shingle as u32).min(total),
                };
            }
            sets
        })
    }

    /// Whether a paragraph with these seed shingles is winnowed.
    fn winnows(&self, seeds: &[u64]) -> bool {
        self.params.window > 0 && seeds.len() >= self.params.window
    }

    /// The seed shingles of the paragraph [`Fingerprinter::shingle`] last filled `scratch` with,
    /// in order, and its token hashes: its shingles themselves when seeds are as long.
    fn seeds<'a>(&self, scratch: &'a mut Scratch) -> (&'a [u64], &'a [u64]) {
        if self.params.seed_shingle == self.params.shingle {
            return (&scratch.shingles, &scratch.real);
        }
        let seeds = &mut scratch.seed_shingles;
        seeds.clear();
        seeds.extend(shingle_hashes(&scratch.real, self.params.seed_shingle));
        (seeds, &scratch.real)
    }

    /// The exact and masked keys and the word count.
    fn keys(&self, tokens: &Tokens) -> Key {
        let exact = exact_key(tokens);
        let has_figures = !self.params.ignore_figures && tokens.tokens.iter().any(|t| t.figure);
        let masked = if has_figures {
            masked_key(tokens)
        } else {
            exact
        };
        Key {
            exact,
            masked,
            words: tokens.len() as u32,
            ..Key::default()
        }
    }

    /// Fills the scratch buffers with the paragraph's token hashes and its shingles in order;
    /// when it has figures, also with its masked shingles in order for the MinHash signature, or
    /// its figure shingles, sorted and without repeats, to verify, as `wanted` says. False when
    /// there is nothing to shingle (exact-only runs, no tokens).
    fn shingle(&self, tokens: &Tokens, scratch: &mut Scratch, wanted: Shingles) -> bool {
        let (masked, figure_shingles) = match wanted {
            Shingles::ForSignature => (true, false),
            Shingles::Real { figures } => (false, figures),
        };
        let Scratch {
            real,
            units,
            masked_tokens,
            shingles,
            masked_shingles,
            figure_shingles: figures,
            ..
        } = scratch;
        real.clear();
        masked_tokens.clear();
        shingles.clear();
        masked_shingles.clear();
        figures.clear();
        if self.params.exact_only || tokens.is_empty() {
            return false;
        }
        real.extend(token_hashes(tokens));
        let text = tokens.text.as_bytes();
        let has_figures = (masked || figure_shingles)
            && !self.params.ignore_figures
            && tokens.tokens.iter().any(|t| t.figure);
        if !has_figures {
            shingles.extend(shingle_hashes(real, self.params.shingle));
            return true;
        }
        // The unit after a figure agrees with it in number (`one week`, `two weeks`); shingled
        // in the singular, the two figures stand in one place and conflict, and `12 hours'` is
        // the same shingle as `12 hour's`.
        units.clear();
        units.extend(tokens.tokens.iter().zip(real.iter()).enumerate().map(
            |(i, (token, &hash))| {
                let word = &text[token.norm.clone()];
                let unit = i > 0 && tokens.tokens[i - 1].figure && !token.figure;
                match singular(word) {
                    one if unit && one.len() < word.len() => xxh3_64(one),
                    _ => hash,
                }
            },
        ));
        let mask_hash = xxh3_64(FIGURE_MASK.as_bytes());
        let is_figure = tokens.tokens.iter().map(|t| t.figure);
        masked_tokens.extend(
            units
                .iter()
                .zip(is_figure)
                .map(|(&h, figure)| if figure { mask_hash } else { h }),
        );
        let k = self.params.shingle.min(units.len());
        for (start, hash) in shingle_hashes(units, self.params.shingle).enumerate() {
            shingles.push(hash);
            let window = start..start + k;
            let masked_hash = if tokens.tokens[window.clone()].iter().any(|t| t.figure) {
                let masked_hash = hash_words(&masked_tokens[window]);
                if figure_shingles {
                    figures.push((masked_hash, hash));
                }
                masked_hash
            } else {
                hash
            };
            if masked {
                masked_shingles.push(masked_hash);
            }
        }
        figures.sort_unstable();
        figures.dedup();
        true
    }

    /// MinHash over `set`, cut into bands; each band's key is the low 32 bits of xxh3-64 of its
    /// values (a collision only adds a candidate, which verification rejects).
    fn band_keys(&self, set: &[u64], mins: &mut Vec<u64>, out: &mut Vec<u32>) {
        mins.clear();
        mins.resize(self.multipliers.len(), u64::MAX);
        minhash(&self.multipliers, &self.addends, set, mins);
        let rows = self.params.rows;
        out.extend(
            mins[..self.params.bands * rows]
                .chunks(rows)
                .map(|band| hash_words(band) as u32),
        );
    }
}

/// A word without its plural `s` (`weeks`, `dlrs`, `cts`), for the unit after a masked figure;
/// `ss` and words of three letters or fewer (`pct`, `mln`) stay.
fn singular(word: &[u8]) -> &[u8] {
    match word {
        [.., b's', b's'] => word,
        [rest @ .., b's'] if word.len() > 3 => rest,
        _ => word,
    }
}

/// Per-thread scratch buffers of [`Fingerprinter::fingerprint`].
#[derive(Default)]
struct Scratch {
    real: Vec<u64>,
    /// `real` with the unit after each figure in the singular ([`singular`]).
    units: Vec<u64>,
    masked_tokens: Vec<u64>,
    shingles: Vec<u64>,
    masked_shingles: Vec<u64>,
    figure_shingles: Vec<(u64, u64)>,
    /// The seed shingles in order, when they are longer than `shingles`' ([`Fingerprinter::seeds`]).
    seed_shingles: Vec<u64>,
    mins: Vec<u64>,
    /// `(shingle hash, place)` of the real sets ([`Fingerprinter::sets_with`]).
    placed: Vec<(u64, u32)>,
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
fn winnow(hashes: &[u64], w: usize, mut select: impl FnMut(u64, u32)) {
    let rightmost_min = |window: std::ops::Range<usize>| {
        window.reduce(|best, i| if hashes[i] <= hashes[best] { i } else { best })
    };
    let Some(mut best) = rightmost_min(0..w) else {
        return;
    };
    select(hashes[best], best as u32);
    for end in w..hashes.len() {
        // The window is end + 1 - w ..= end: the new hash wins ties, being rightmost; the old
        // minimum is only looked for again once it leaves the window.
        let previous = best;
        if hashes[end] <= hashes[best] {
            best = end;
        } else if best + w == end {
            best = rightmost_min(end + 1 - w..end + 1).expect("w > 0");
        }
        if best != previous {
            select(hashes[best], best as u32);
        }
    }
}

/// The context of the winnowed fingerprint at shingle `p`: a 16-bit digest of the `c` tokens
/// before the shingle (low half) and of the `c` tokens after it (high half), each 0 when the
/// paragraph has fewer. With c = ⌈(w − 1) / 2⌉ = ⌊w / 2⌋: a run of t = w + k − 1 shared tokens
/// through the shingle reaches, on one side of it, over w − 1 tokens in all, so at least c on
/// one side, and the two occurrences' contexts agree on that side ([`contexts_agree`]).
fn winnow_context(tokens: &[u64], p: usize, shingle: usize, c: usize) -> u32 {
    let digest = |run: &[u64]| {
        let h = run.iter().fold(0x9E37_79B9_7F4A_7C15u64, |h, &t| {
            (h ^ t).wrapping_mul(0xD6E8_FEB8_6659_FD93).rotate_left(23)
        });
        ((h >> 32) % 0xFFFF + 1) as u32
    };
    let k = shingle.min(tokens.len());
    let before = if p >= c { digest(&tokens[p - c..p]) } else { 0 };
    let after = if p + k + c <= tokens.len() {
        digest(&tokens[p + k..p + k + c])
    } else {
        0
    };
    before | after << 16
}

/// Whether two occurrences of a winnowed fingerprint may lie on one shared run of t tokens:
/// their contexts ([`winnow_context`]) agree before or after the shingle. False means they
/// cannot; true may be chance (16-bit digests), which extending the seed settles.
pub fn contexts_agree(a: u32, b: u32) -> bool {
    let (before, after) = (a & 0xFFFF, a >> 16);
    (before != 0 && before == b & 0xFFFF) || (after != 0 && after == b >> 16)
}

/// The exact key and word count of `bytes` normalized with `options`, a piece of about `piece`
/// bytes at a time ([`huge_pieces`]).
fn huge_key(bytes: &[u8], options: crate::normalize::Options, piece: usize) -> (u128, usize) {
    let mut text = Xxh3::new();
    let mut words = 0;
    let mut tokens = Tokens::default();
    for piece in huge_pieces(bytes, piece) {
        crate::normalize::normalize_into(piece, options, &mut tokens);
        if tokens.is_empty() {
            continue;
        }
        if words > 0 {
            text.update(b" ");
        }
        text.update(tokens.text.as_bytes());
        words += tokens.len();
    }
    (text.digest128(), words)
}

/// A huge paragraph cut into pieces of about `size` bytes that normalize, one after
/// another, to the tokens of the whole: each cut is at an ASCII white space byte (never inside a
/// character or a token) before a word starting with an ASCII digit or letter other than `h`, `t`,
/// `m` and `b`, whose first token is a figure or not whatever precedes it (only a scale word,
/// `hundred` … `trillion`, `mln`, `bn`, looks back at the token before). A paragraph without
/// such a place is one piece.
fn huge_pieces(bytes: &[u8], size: usize) -> impl Iterator<Item = &[u8]> {
    let cut_before = |next: u8| {
        next.is_ascii_digit() || (next.is_ascii_alphabetic() && !b"hHtTmMbB".contains(&next))
    };
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let from = (start + size).min(bytes.len());
        let end = (from..bytes.len())
            .find(|&i| {
                bytes[i].is_ascii_whitespace() && bytes.get(i + 1).is_some_and(|&n| cut_before(n))
            })
            .map_or(bytes.len(), |i| i + 1);
        let piece = &bytes[start..end];
        start = end;
        Some(piece)
    })
}

/// The hashes of the word k-shingles of a paragraph's token hashes, in order; a paragraph shorter
/// than k has one shingle, all of its tokens.
/// The xxh3-64 of each token's normalized text: the words shingles are made of.
pub fn token_hashes(tokens: &Tokens) -> impl Iterator<Item = u64> + '_ {
    let text = tokens.text.as_bytes();
    tokens
        .tokens
        .iter()
        .map(move |t| xxh3_64(&text[t.norm.clone()]))
}

fn shingle_hashes(tokens: &[u64], shingle: usize) -> impl Iterator<Item = u64> + '_ {
    let k = shingle.min(tokens.len());
    tokens.windows(k.max(1)).map(hash_words)
}

/// The shingle set (sorted, without repeats) of a paragraph's token hashes: the same set
/// [`Fingerprinter::sets`] gives.
pub fn shingle_set(tokens: &[u64], shingle: usize) -> Vec<u64> {
    let mut set: Vec<u64> = shingle_hashes(tokens, shingle).collect();
    set.sort_unstable();
    set.dedup();
    set
}

/// xxh3-64 of 64-bit words in little-endian order: a shingle's hash from its token hashes, a
/// band's key from its MinHash values.
fn hash_words(words: &[u64]) -> u64 {
    // Two and three words, the shingles, seeds and bands, without zeroing a larger buffer each time.
    match *words {
        [a, b] => return xxh3_64(&((b as u128) << 64 | a as u128).to_le_bytes()),
        [a, b, c] => {
            let mut buf = [0u8; 24];
            buf[..8].copy_from_slice(&a.to_le_bytes());
            buf[8..16].copy_from_slice(&b.to_le_bytes());
            buf[16..].copy_from_slice(&c.to_le_bytes());
            return xxh3_64(&buf);
        }
        _ => {}
    }
    let mut buf = [0u8; 8 * 16];
    if words.len() <= 16 {
        for (chunk, h) in buf.chunks_mut(8).zip(words) {
            chunk.copy_from_slice(&h.to_le_bytes());
        }
        return xxh3_64(&buf[..words.len() * 8]);
    }
    let bytes: Vec<u8> = words.iter().flat_map(|h| h.to_le_bytes()).collect();
    xxh3_64(&bytes)
}

/// The key of the text with every figure masked: the xxh3-128 of the masked text, built in a
/// buffer of this thread and hashed in one call (the same digest as hashing it word by word).
fn masked_key(tokens: &Tokens) -> u128 {
    MASKED_TEXT.with_borrow_mut(|text| {
        text.clear();
        for (i, token) in tokens.tokens.iter().enumerate() {
            if i > 0 {
                text.push(b' ');
            }
            let word = match token.figure {
                true => FIGURE_MASK,
                false => tokens.word(i),
            };
            text.extend_from_slice(word.as_bytes());
        }
        xxh3_128(text)
    })
}

thread_local! {
    static MASKED_TEXT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::{Options, normalize};
    use crate::sets::jaccard;

    fn fingerprinter() -> Fingerprinter {
        Fingerprinter::new(Params {
            shingle: 3,
            min_words: 4,
            bands: 42,
            rows: 3,
            ignore_figures: false,
            exact_only: false,
            seed_shingle: 3,
            window: 4,
        })
    }

    /// The key, band keys and winnowed hashes kept of `text`, and its real sets.
    fn fp(text: &str) -> (Key, Vec<u32>, Vec<u64>, Sets) {
        let f = fingerprinter();
        let tokens = normalize(text.as_bytes(), Options::default());
        let mut file = FileFingerprints::default();
        f.fingerprint(&tokens, &mut file);
        let mut all = Fingerprints::default();
        all.append(file);
        let row = all.band_row(0);
        let bands = all
            .take_band_keys()
            .iter()
            .filter_map(|band| Some(band[row?]))
            .collect();
        (
            *all.key(0),
            bands,
            all.winnowed(0).0.to_vec(),
            f.sets(&tokens),
        )
    }

    #[test]
    fn the_earliest_exact_copy_is_fingerprinted_whichever_is_scanned_first() {
        let f = fingerprinter();
        let text = "one two three four five six seven eight nine";
        let tokens = normalize(text.as_bytes(), Options::default());
        let claims = Claims::default();
        // Paragraph 1 is fingerprinted before paragraph 0, its copy, as threads may do; the
        // earlier copy is fingerprinted too, and a third copy after both is not.
        let (mut later, mut earlier) = (FileFingerprints::default(), FileFingerprints::default());
        let mut third = FileFingerprints::default();
        f.fingerprint_once(
            &tokens,
            None,
            &mut later,
            Some((&claims, claim_place(1, 0, 0))),
        );
        f.fingerprint_once(
            &tokens,
            None,
            &mut earlier,
            Some((&claims, claim_place(0, 0, 0))),
        );
        f.fingerprint_once(
            &tokens,
            None,
            &mut third,
            Some((&claims, claim_place(2, 0, 0))),
        );
        assert!(later.band_keys.len() == 42 && earlier.band_keys.len() == 42);
        assert!(third.band_keys.is_empty());
        let mut all = Fingerprints::default();
        all.append(earlier);
        all.append(later);
        all.append(third);
        let own_row = all.band_row(0);
        assert!(own_row.is_some() && all.band_row(2).is_none());
        all.share_with_first([&[0u32, 1, 2][..]].into_iter());
        assert_eq!(all.band_row(0), own_row);
        assert_eq!(all.winnowed(0), all.winnowed(1));
        assert!(!all.winnowed(0).0.is_empty());
        assert_eq!(all.winnowed(0).0, fp(text).2.as_slice());
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
            fp("Daesh on verge, of collapse!").0.exact,
            fp("DAESH ON VERGE OF COLLAPSE").0.exact
        );
        assert_ne!(
            fp("Daesh on verge of collapse").0.exact,
            fp("Daesh on verge of collapses").0.exact
        );
    }

    #[test]
    fn shingles_are_word_triples() {
        let a = fp("a b c d");
        assert_eq!(a.3.shingles.len(), 2);
        assert_eq!(
            fp("a b").3.shingles.len(),
            1,
            "short paragraphs keep one shingle"
        );
        assert!(
            fp("a b c").1.is_empty(),
            "fewer than min_words: no band keys"
        );
        assert_eq!(a.1.len(), 42);
        assert_eq!(
            jaccard(&a.3.shingles, &fp("a b c d e").3.shingles),
            2.0 / 3.0
        );
    }

    #[test]
    fn identical_masked_text_gives_identical_band_keys() {
        let a = fp("Qtly div 10 cts vs 9 cts prior pay April 1");
        let b = fp("Qtly div 12 cts vs 11 cts prior pay April 15");
        assert_eq!(a.0.masked, b.0.masked);
        assert_ne!(a.0.exact, b.0.exact);
        assert_eq!(a.1, b.1);
        assert_eq!(a.3.view().masked_shingles(), b.3.view().masked_shingles());
    }

    #[test]
    fn winnowing_selects_a_shared_fingerprint_in_every_shared_window() {
        let hashes: Vec<u64> = vec![
            77, 74, 42, 17, 98, 50, 17, 98, 8, 88, 67, 39, 77, 74, 42, 17,
        ];
        let w = 4;
        let mut selected = Vec::new();
        winnow(&hashes, w, |h, p| selected.push((h, p)));
        // Every window contributes its rightmost minimum.
        for start in 0..=hashes.len() - w {
            let window = &hashes[start..start + w];
            let min = *window.iter().min().unwrap();
            let pos = start + window.iter().rposition(|&h| h == min).unwrap();
            assert!(selected.contains(&(min, pos as u32)), "window at {start}");
        }
        // Positions are increasing and recorded once.
        assert!(selected.windows(2).all(|p| p[0].1 < p[1].1));
        let (_, _, kept, sets) = fp("one two three four five six seven eight nine");
        assert!(!kept.is_empty());
        let mut kept = kept;
        kept.sort_unstable();
        assert_eq!(kept, sets.winnowed.iter().map(|w| w.0).collect::<Vec<_>>());
        assert_eq!(sets.tokens.len(), 9);
    }

    #[test]
    fn a_huge_paragraph_has_the_exact_key_of_its_whole_text() {
        // Scale words look back at the token before (`5 mln`, `five million mln`), numbers keep
        // their separators, and other scripts and markup sit at the cuts.
        let words = [
            "5",
            "mln",
            "million",
            "hundred",
            "five",
            "Thousand",
            "dlrs",
            "1,500",
            "6-5/16",
            "Zürich",
            "ﬁnal",
            "colour",
            "U.S.-backed",
            "isn #39;t",
            "—",
            "BN",
            "bn",
            "trillion",
            "3g",
            "“quoted”",
            "x",
            "tax",
            "May",
            "the",
        ];
        let mut rng = 7u64;
        for options in [
            Options::default(),
            Options {
                ignore_figures: true,
                fold_spelling: false,
            },
        ] {
            let mut text = String::new();
            for i in 0..4000 {
                rng = rng
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                text += words[(rng >> 33) as usize % words.len()];
                text += if i % 37 == 0 { "\n" } else { " " };
            }
            let whole = normalize(text.as_bytes(), options);
            for piece in [1, 2, 3, 7, 64, 1000, HUGE_PIECE] {
                assert_eq!(
                    huge_key(text.as_bytes(), options, piece),
                    (xxh3_128(whole.text.as_bytes()), whole.len()),
                    "pieces of {piece} bytes"
                );
            }
        }
    }

    proptest::proptest! {
        /// The incremental winnowing selects what recomputing every window's rightmost minimum
        /// selects (few distinct hashes, so ties are common).
        #[test]
        fn winnowing_matches_every_window_recomputed(
            hashes in proptest::collection::vec(0u64..4, 1..60),
            w in 1usize..8,
        ) {
            proptest::prop_assume!(hashes.len() >= w);
            let mut incremental = Vec::new();
            winnow(&hashes, w, |h, p| incremental.push((h, p)));
            let mut recomputed: Vec<(u64, u32)> = Vec::new();
            for start in 0..=hashes.len() - w {
                let best = (start..start + w).fold(start, |b, i| if hashes[i] <= hashes[b] { i } else { b });
                if recomputed.last().map(|l| l.1) != Some(best as u32) {
                    recomputed.push((hashes[best], best as u32));
                }
            }
            proptest::prop_assert_eq!(incremental, recomputed);
        }
    }
}
