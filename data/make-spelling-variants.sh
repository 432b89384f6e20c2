#!/usr/bin/env bash
# Regenerate data/spelling-variants.tsv (British/other -> American spelling
# pairs) from VarCon 2019.10.06 as shipped in the crates.io crate varcon 0.5.1
# (files assets/varcon.txt and assets/README). See spelling-variants.SOURCE.md.
#
# Usage:
#   data/make-spelling-variants.sh                  # fetch the crate with cargo
#   data/make-spelling-variants.sh path/to/varcon.txt   # use a local copy
#
# Needs: bash, python3, sha256sum, tar, and (without an argument) cargo with
# access to crates.io.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/spelling-variants.tsv"

CRATE_SHA256=017211408e14a7a6bcdafaae928df2842b4fe7f134a8d65692d76aa00cf6823c
VARCON_SHA256=3fd919cee05fabc1ab5b847ff2d6e9e64a6d34d7294222f21ffd3bc708754187

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ $# -ge 1 ]]; then
  varcon="$1"
else
  # Let cargo download the exact crate into its registry cache.
  mkdir -p "$work/fetch/src"
  cat >"$work/fetch/Cargo.toml" <<'EOF'
[package]
name = "fetch-varcon-data"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
varcon = { version = "=0.5.1", default-features = false }
EOF
  : >"$work/fetch/src/lib.rs"
  (cd "$work/fetch" && cargo fetch --quiet)
  crate="$(ls "${CARGO_HOME:-$HOME/.cargo}"/registry/cache/*/varcon-0.5.1.crate | head -n1)"
  echo "$CRATE_SHA256  $crate" | sha256sum --check --quiet
  tar -xzf "$crate" -C "$work" varcon-0.5.1/assets/varcon.txt varcon-0.5.1/assets/README
  varcon="$work/varcon-0.5.1/assets/varcon.txt"
fi

echo "$VARCON_SHA256  $varcon" | sha256sum --check --quiet

python3 - "$varcon" "$out" <<'PYEOF'
import collections, re, sys

src_path, out_path = sys.argv[1], sys.argv[2]

# varcon.txt format (see assets/README in the crate): clusters start with
# "# headword [<verified>] (level N)"; data lines are
#   TAGS: word / TAGS: word ... [| definition] [# note]
# A tag is a spelling category (A American, B British -ise, Z British -ize,
# C Canadian, D Australian, _ other) plus an optional variant marker
# ('' preferred, '.' equal, 'v' variant, 'V' seldom used, '-' possible,
# 'x' improper) and an optional digit.
TAG = re.compile(r'^([ABZCD_])([.vV\-x]?)(\d?)$')
WORD = re.compile(r'^[a-z]+$')

entries = []   # (verified, variants[(word, [(cat, marker)])], definition)
verified = False
with open(src_path, encoding='latin-1') as f:   # a few '_' lines are Latin-1
    for raw in f:
        s = raw.strip()
        if s.startswith('# '):
            verified = '<verified>' in s
            continue
        if not s or s.startswith('#'):
            continue
        if ' #' in s:
            s = s.split(' #', 1)[0].rstrip()
        defn = ''
        if ' | ' in s:
            s, defn = s.split(' | ', 1)
        variants = []
        for part in s.split(' / '):
            tags, word = part.split(': ', 1)
            tl = []
            for t in tags.split():
                m = TAG.match(t)
                if not m:
                    sys.exit('unparsed tag %r in line %r' % (t, raw))
                tl.append((m.group(1), m.group(2)))
            variants.append((word.strip(), tl))
        entries.append((verified, variants, defn.strip()))

# Every form that is a preferred/equal American (A, A.) or general (_, _.)
# spelling in some sense, except senses marked "(-)" (rare/archaic), is an
# American word in its own right and is never used as a key: this drops
# analyses, paralyses, disc, castor, forego, jibe, mum, blonde, ...
american = set()
for ver, variants, defn in entries:
    if defn.startswith('(-)'):
        continue
    for w, tl in variants:
        if any(c in 'A_' and mk in ('', '.') for c, mk in tl):
            american.add(w.lower())

def is_british_form(tl):
    # British (B/Z) preferred, equal, variant or seldom-used variant; or a
    # form preferred/equal in Canada or Australia. Not '-' or 'x' forms, not
    # forms that are only American variants also accepted in C/D (e.g.
    # archeology, glamor, chile).
    return (any(c in 'BZ' and mk in ('', '.', 'v', 'V') for c, mk in tl) or
            any(c in 'CD' and mk in ('', '.') for c, mk in tl))

cand = collections.defaultdict(set)     # key -> American targets
from_verified = {}                      # key -> seen in a <verified> cluster
wards = {}
for ver, variants, defn in entries:
    amer = [w for w, tl in variants if ('A', '') in tl]
    if amer:
        if defn == '<pl>':        # alternative plurals (raccoon/raccoons)
            continue
        a = amer[0]
        if not WORD.match(a):
            continue
        for w, tl in variants:
            if w == a or ('A', '') in tl or ('A', '.') in tl:
                continue
            if not WORD.match(w) or not is_british_form(tl):
                continue
            cand[w].add(a)
            from_verified[w] = from_verified.get(w, False) or ver
    else:
        # General '_' variants are not regional, except that the -wards
        # adverbs (towards, upwards, ...) are the usual British forms.
        gen = [w for w, tl in variants if ('_', '') in tl]
        if len(gen) == 1 and gen[0].endswith('ward') and WORD.match(gen[0]):
            for w, tl in variants:
                if w == gen[0] + 's' and any(c == '_' and mk in ('v', 'V') for c, mk in tl):
                    wards[w] = gen[0]

# Hand-reviewed exclusions: the British form is also a distinct word.
EXCLUDE = {
    'spelt': 'also the wheat species (VarCon marks that sense rare)',
    'saki': 'also a monkey and a pen name; target "sake" is a common word',
    'sakis': 'plural of saki; target "sakes" (for goodness\' sakes)',
    'adonises': 'also the plural of Adonis',
}

excluded = collections.Counter()
pairs = {}
for k, ts in cand.items():
    if k in EXCLUDE:
        excluded['hand-reviewed exclusion'] += 1
        continue
    if len(ts) > 1:
        excluded['ambiguous (several American targets)'] += 1
        continue
    if k in american:
        excluded['key is itself an American spelling'] += 1
        continue
    t = next(iter(ts))
    if k.endswith('lyses') and t.endswith('lyzes'):
        # analyses/electrolyses/... are also plurals of -lysis nouns.
        excluded['-lyses (also plural of -lysis)'] += 1
        continue
    pairs[k] = t

# Unverified clusters hold much machine-generated data, including junk such
# as fred->ferd, notre->noter, prepend->perpend, caesar->cesar, prev->perv.
# From them keep only regular patterns, or forms built on a verified pair.
verified_pairs = sorted(((k, t) for k, t in pairs.items()
                         if from_verified[k] and len(k) >= 4),
                        key=lambda p: -len(p[0]))
DOUBLE = re.compile(r'([bcdfghjklmnpqrstvwxz])\1')
# Greek/Latin combining forms whose ae/oe -> e spelling is regular
# (anaemia, haematoma, paediatric, diarrhoea, palaeontology, oestrogen, ...).
AE_OE = ('aemi', 'haem', 'paed', 'rrhoe', 'anaesth', 'aesthes', 'palaeo',
         'gynaec', 'foet', 'oesoph', 'oestr', 'homoeo', 'oedem', 'coeli',
         'pnoe', 'caec', 'faec', 'spirochaet', 'amoeb')

def respell(k):
    """Regular British->American respellings of k (all combinations)."""
    forms = {k}
    for a, b in (('is', 'iz'), ('ys', 'yz'), ('our', 'or'), ('ence', 'ense')):
        forms |= {f.replace(a, b) for f in forms}
    return forms

def one_double(x, y):
    """y is x with one doubled consonant written single."""
    return any(x[:m.start()] + x[m.start() + 1:] == y for m in DOUBLE.finditer(x))

def ae_oe(k, t):
    return (any(m in k for m in AE_OE) and
            any(k[i:i + 2] in ('ae', 'oe') and k[:i] + k[i + 1:] == t
                for i in range(len(k) - 1)))

def regular(k, t):
    for f in respell(k):
        if f == t or one_double(f, t) or one_double(t, f) or ae_oe(f, t):
            return True
    return False

def built_on_verified(k, t):
    for vk, vt in verified_pairs:
        if vk in k and k.replace(vk, vt) == t:
            return True
    return False

# Hand-reviewed common British forms that sit in unverified clusters and
# follow no regular pattern.
REVIEWED = {'kerb', 'kerbs', 'kerbed', 'kerbing', 'carburetter', 'carburetters',
            'liquorice', 'maths', 'rouble', 'roubles', 'lasagne', 'lasagnes',
            'burqa', 'burqas', 'burkha', 'burkhas', 'jerrican', 'jerricans',
            'tiro', 'tiros', 'eucaryote', 'eucaryotes', 'eucaryotic',
            'procaryote', 'procaryotes', 'procaryotic', 'vulcanism',
            'vulcanisms'}

final = {}
for k, t in pairs.items():
    if from_verified[k] or regular(k, t) or built_on_verified(k, t) or k in REVIEWED:
        final[k] = t
    else:
        excluded['unverified cluster, irregular pattern'] += 1

for k, t in wards.items():
    if k not in final and k not in american:
        final[k] = t

assert all(WORD.match(k) and WORD.match(t) and k != t for k, t in final.items())
with open(out_path, 'w', encoding='ascii', newline='\n') as f:
    for k in sorted(final):
        f.write('%s\t%s\n' % (k, final[k]))

print('%d pairs written to %s' % (len(final), out_path))
for why, n in sorted(excluded.items()):
    print('  excluded %5d  %s' % (n, why))
PYEOF

# Sanity checks.
python3 - "$out" <<'PYEOF'
import sys
m = dict(l.rstrip('\n').split('\t') for l in open(sys.argv[1]))
must = {'mobilisation': 'mobilization', 'colour': 'color', 'towards': 'toward',
        'defence': 'defense', 'organisation': 'organization', 'centre': 'center',
        'travelled': 'traveled', 'programme': 'program'}
bad = [k for k, v in must.items() if m.get(k) != v]
never = ['wise', 'precise', 'promise', 'surprise', 'exercise', 'advertise',
         'otherwise', 'likewise', 'analyses', 'disc', 'mum', 'prepend',
         'spelt', 'saki', 'fred', 'notre', 'caesar', 'prev']
bad += [k for k in never if k in m]
if bad:
    sys.exit('sanity check failed: %s' % bad)
print('sanity checks passed')
PYEOF
