#!/usr/bin/env python3
"""Build a seeded benchmark corpus of article files with planted duplicates and a ground truth.

    python3 bench/make_corpus.py --size 10MB --seed 1 --out bench/work/corpus-10MB

Input: the real text that bench/fetch_sources.sh puts in bench/work/sources/:
  reuters      Reuters-21578 ModApte stories from Debian's weka (Corn subset, train + test;
               the Grain subset holds the same texts), one file per story: the headline, a
               dateline ("LONDON, March 3 - ") restored on most first paragraphs, the body's
               paragraphs and the closing "Reuter".
  kernel       Linux 6.1 Documentation/*.rst and *.txt from Debian's linux-source-6.1 (English
               only, translations/ left out), blocks between blank lines joined into
               paragraphs; markup-only lines (heading underlines, table borders, `.. `
               directives) dropped.
  licences     ScanCode's licence texts (*.LICENSE, front matter dropped) and licence notices
               (*.RULE, bundled by licence key, up to 40 per file) from PyPI's licensedcode-data.

Shapes (--shape), all from the same text and with the same planting:
  articles          one story or document per file, as the sources have them (the default;
                    ~3.6 KB files, ~190-byte paragraphs)
  small-files       each file the first paragraphs of a story up to a size drawn from 0.2-2 KB
                    (at least one paragraph): many small documents, like a news archive
  short-paragraphs  every sentence its own paragraph (~120 bytes, like Reuters-21578's)
  jsonl             the small-files documents as JSON Lines records ({"id", "text"}, the
                    paragraphs joined by a blank line, never wrapped), 1,000 to a shard file
                    DIR/NNNN.jsonl; a file copy is a copy of an earlier record; truth PATH:LINE
                    is then PATH:RECORD:LINE (the record's line in the shard, the paragraph's
                    line in the record's text)

Output, for --out DIR:
  DIR/NNNN/NNNNNN_SOURCE.txt   the corpus: one paragraph per line, a blank line between
                               paragraphs; a quarter of the files are drawn for hard wrapping at
                               72 columns and wrapped when that is unambiguous (no over-long word,
                               no continuation line that starts like a list item, a block of 3+
                               lines to show it), ~17% in all; a paragraph is then a block of lines
  DIR.truth.jsonl              the planted pairs, one JSON object a line (beside DIR, not in it)
  DIR.stats.json               what was written: bytes, files, paragraphs, planted counts, sources

Size: the real text is ~60 MB. Past it, each source is reused in further "epochs", each a
word-for-word cipher of that source's real text: every word is replaced through a seeded bijection
within its frequency band of the same source's vocabulary (ranks 64 at a time), so wire words stay
wire words; case is kept and digits 1-9 are permuted. An epoch has the
structure of the real text (paragraph lengths, Zipf vocabulary, the real corpus's own repeated
passages) with a disjoint shingle set, so 1 GB is not 16 copies of 60 MB.

Planted duplication, all drawn with --seed (rates are shares of the files/paragraphs written):
  file_copy        ~5% of files are byte copies of an earlier file (truth: every paragraph pair,
                   but paragraphs without a letter or digit, such as a "---" rule)
  exact            ~10% of paragraphs are copies of a paragraph of an earlier file (>= 8 words)
  near             ~5% of paragraphs are edited copies of a paragraph of an earlier file
                   (>= 12 words), one or two wire-style edits: dateline_added / dateline_dropped,
                   word_changed, spelling (British <-> American), quotes (straight <-> curly),
                   credit ("(Reporting by X; Editing by Y)" or "REUTERS/Name" appended); kept only
                   when the word 3-shingle Jaccard with the original is >= 0.5 and the copy
                   still has >= 8 words
  shared_sentence  ~2% of paragraphs get one sentence (>= 6 words) of a paragraph of an earlier
                   file inserted; usually well below 0.5, a partial overlap, not a near copy
The real text has duplicates of its own (boilerplate like "Reuter", repeated licence notices,
stories filed twice); they are not in the truth file.

Truth lines: {"kind", "a": "PATH:LINE", "b": "PATH:LINE", "jaccard", ["edits"]} with PATH relative
to DIR, LINE the 1-based first line of the paragraph (as in dedup's report), "a" the original and
"b" the copy; "jaccard" is over word 3-shingles of lowercased letter/digit tokens.
"""

import argparse
import html
import json
import os
import random
import re
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_SOURCES = os.path.join(HERE, "work", "sources")

# Shares of the corpus.
FILE_COPY_RATE = 0.05
EXACT_RATE = 0.10
NEAR_RATE = 0.05
SHARED_SENTENCE_RATE = 0.02
WRAP_RATE = 0.25
RECORDS_PER_SHARD = 1000
WRAP_WIDTH = 72
# Bytes of each source in the base text (before planting).
SOURCE_WEIGHTS = {"reuters": 0.15, "kernel": 0.45, "licences": 0.40}
CIPHER_BAND = 64
RULES_PER_BUNDLE = 40

WORD_RE = re.compile(r"[^\W\d_]+")  # a word for the cipher: letters only
TOKEN_RE = re.compile(r"[^\W_]+")  # a token for Jaccard: letters and digits
HAS_TEXT_RE = re.compile(r"[^\W_]")
QUOTE_RE = re.compile("[\"'“”‘’]")
SENTENCE_END_RE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“‘(])")
LIST_MARKER_RE = re.compile(r"^(?:[-*•+–—]|\d{1,3}[.)])$")
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


def clean(s):
    """One line of text: invisible characters dropped, white space runs to one space."""
    return " ".join(s.translate(INVISIBLE).split())


def tokens(s):
    return TOKEN_RE.findall(s.lower())


def shingles(s, k=3):
    t = tokens(s)
    if len(t) < k:
        return {" ".join(t)} if t else set()
    return {" ".join(t[i : i + k]) for i in range(len(t) - k + 1)}


def jaccard(a, b):
    sa, sb = shingles(a), shingles(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def parse_size(text):
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([KMG]?)B?", text.strip().upper())
    if not m:
        raise argparse.ArgumentTypeError(f"bad size {text!r}: use e.g. 10MB, 100MB, 1GB")
    return int(float(m.group(1)) * {"": 1, "K": 10**3, "M": 10**6, "G": 10**9}[m.group(2)])


# ---------------------------------------------------------------------------------------------
# Sources


class Doc:
    __slots__ = ("source", "name", "paras", "nbytes")

    def __init__(self, source, name, paras):
        self.source, self.name, self.paras = source, name, paras
        self.nbytes = sum(len(p.encode()) + 2 for p in paras)


def blocks_to_paragraphs(text):
    """Blocks of lines between blank lines, each joined into one paragraph."""
    out = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        kept, directive = [], False
        for line in block.split("\n"):
            s = line.strip()
            if s.startswith(".. ") or s == "..":
                directive = True  # a directive, comment or link target, and its :options:
                continue
            if directive and s.startswith(":"):
                continue
            directive = False
            if s and HAS_TEXT_RE.search(s):
                kept.append(s)
        p = clean(" ".join(kept))
        if p:
            out.append(p)
    return out


def load_reuters(src):
    """Reuters-21578 stories from weka's ARFF files: headline, dateline-less body, 'Reuter'."""
    d = os.path.join(src, "reuters")
    texts, seen = [], set()
    for f in ("ReutersCorn-train.arff", "ReutersCorn-test.arff"):
        with open(os.path.join(d, f), encoding="latin-1") as fh:
            for line in fh:
                if not line.startswith("'"):
                    continue
                body = line.rstrip("\n")
                body = body[1 : body.rindex("',")]
                body = re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), body)
                if body in seen:
                    continue
                seen.add(body)
                texts.append(body)
    docs = []
    for i, body in enumerate(texts):
        body = html.unescape(body).replace("\x03", "")
        paras, cur = [], []
        for line in body.split("\n"):
            if line[:1].isspace() and cur:  # an indented line starts a paragraph (or a table row)
                paras.append(" ".join(cur))
                cur = []
            if line.strip():
                cur.append(line.strip())
        if cur:
            paras.append(" ".join(cur))
        paras = [clean(p) for p in paras if clean(p)]
        if not paras:
            continue
        # The ARFF text runs the headline into the first sentence: split it off at the first word
        # with a lower-case letter.
        words = paras[0].split(" ")
        n = 0
        while n < len(words) and not any(c.islower() for c in words[n]):
            n += 1
        if 0 < n < len(words):
            paras[0:1] = [" ".join(words[:n]), " ".join(words[n:])]
        docs.append(Doc("reuters", f"reuters-{i:04d}", paras))
    return docs


def load_kernel(src):
    root = os.path.join(src, "linux-doc", "Documentation")
    docs = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        if os.path.relpath(dirpath, root).split(os.sep)[0] == "translations":
            dirnames[:] = []
            continue
        for fn in sorted(filenames):
            if not fn.endswith((".rst", ".txt")):
                continue
            path = os.path.join(dirpath, fn)
            with open(path, encoding="utf-8", errors="replace") as fh:
                paras = blocks_to_paragraphs(fh.read())
            if paras:
                docs.append(Doc("kernel", os.path.relpath(path, root), paras))
    return docs


def strip_front_matter(text):
    if text.startswith("---"):
        end = text.find("\n---", 3)
        if end != -1:
            return text[end + 4 :]
    return text


def load_licences(src):
    root = os.path.join(src, "licensedcode")
    docs = []
    lic_dir = os.path.join(root, "licenses")
    for fn in sorted(os.listdir(lic_dir)):
        with open(os.path.join(lic_dir, fn), encoding="utf-8", errors="replace") as fh:
            paras = blocks_to_paragraphs(strip_front_matter(fh.read()))
        if paras:
            docs.append(Doc("licences", fn, paras))
    # Notices, bundled by licence key into files of up to RULES_PER_BUNDLE.
    rule_dir = os.path.join(root, "rules")
    groups = {}
    for fn in sorted(os.listdir(rule_dir)):
        key = re.sub(r"(_url)?(_\d+)?\.RULE$", "", fn)
        groups.setdefault(key, []).append(fn)
    for key, fns in groups.items():
        for start in range(0, len(fns), RULES_PER_BUNDLE):
            paras = []
            for fn in fns[start : start + RULES_PER_BUNDLE]:
                with open(os.path.join(rule_dir, fn), encoding="utf-8", errors="replace") as fh:
                    paras.extend(blocks_to_paragraphs(strip_front_matter(fh.read())))
            if paras:
                docs.append(Doc("licences", f"rules/{key}/{start // RULES_PER_BUNDLE}", paras))
    return docs


# ---------------------------------------------------------------------------------------------
# Wire-style edits

CITIES = ["NEW YORK", "LONDON", "WASHINGTON", "TOKYO", "CHICAGO", "PARIS", "FRANKFURT", "SYDNEY",
          "HONG KONG", "SINGAPORE", "BRUSSELS", "OTTAWA", "TORONTO", "ZURICH", "BONN", "ROME",
          "MADRID", "BUENOS AIRES", "SAO PAULO", "MEXICO CITY", "KUALA LUMPUR", "JAKARTA",
          "MANILA", "NEW DELHI", "BEIJING", "MOSCOW", "STOCKHOLM", "AMSTERDAM", "WELLINGTON",
          "JOHANNESBURG", "CAIRO", "DUBAI", "SEOUL", "HOUSTON", "SAN FRANCISCO", "BOSTON"]
MONTHS = [("Jan", 31), ("Feb", 28), ("March", 31), ("April", 30), ("May", 31), ("June", 30),
          ("July", 31), ("Aug", 31), ("Sept", 30), ("Oct", 31), ("Nov", 30), ("Dec", 31)]
DATELINE_RE = re.compile(r"^[A-Z][A-Z .'-]*, (?:%s) \d{1,2} - " % "|".join(m for m, _ in MONTHS))
FIRST_NAMES = ["James", "Sarah", "David", "Maria", "John", "Emma", "Michael", "Anna", "Robert",
               "Laura", "Peter", "Claire", "Daniel", "Sophie", "Thomas", "Julia", "Mark", "Helen",
               "Paul", "Karin", "Andrew", "Yuka", "Carlos", "Nadia", "Simon", "Alexandra", "Tom",
               "Francesca", "Jonathan", "Ritu", "Kevin", "Elizabeth", "Hugh", "Marine", "Leika"]
LAST_NAMES = ["Smith", "Jones", "Miller", "Brown", "Wilson", "Taylor", "Clarke", "Evans",
              "Lawder", "Shalal", "Holton", "Chiacu", "Nichols", "Randewich", "Kihara", "Baertlein",
              "Rinke", "Carrel", "Payne", "Kelland", "Hirschler", "Shumaker", "Trotta", "Lewis",
              "Melville", "Wermus", "Ayres", "Lazenby", "Bohan", "Stone", "Choy", "Akin", "Goh"]

_UK_US = [("colour", "color"), ("favour", "favor"), ("honour", "honor"), ("labour", "labor"),
          ("neighbour", "neighbor"), ("behaviour", "behavior"), ("harbour", "harbor"),
          ("rumour", "rumor"), ("vapour", "vapor"), ("flavour", "flavor"), ("centre", "center"),
          ("metre", "meter"), ("litre", "liter"), ("theatre", "theater"), ("fibre", "fiber"),
          ("defence", "defense"), ("offence", "offense"), ("licence", "license"),
          ("programme", "program"), ("catalogue", "catalog"), ("dialogue", "dialog"),
          ("analyse", "analyze"), ("paralyse", "paralyze"), ("grey", "gray"),
          ("aluminium", "aluminum"), ("sulphur", "sulfur"), ("jewellery", "jewelry"),
          ("cheque", "check"), ("fulfil", "fulfill"), ("enrol", "enroll"),
          ("travelled", "traveled"), ("travelling", "traveling"), ("cancelled", "canceled"),
          ("cancelling", "canceling"), ("modelling", "modeling"), ("labelled", "labeled"),
          ("signalling", "signaling"), ("fuelled", "fueled"), ("levelled", "leveled"),
          ("tonnes", "tons"), ("mould", "mold"), ("plough", "plow"), ("sceptical", "skeptical"),
          ("favourable", "favorable"), ("programmes", "programs"), ("defences", "defenses")]
for _stem in ["organis", "realis", "recognis", "initialis", "optimis", "minimis", "maximis",
              "privatis", "normalis", "serialis", "synchronis", "customis", "authoris", "utilis",
              "stabilis", "subsidis", "finalis", "prioritis", "specialis", "summaris",
              "capitalis", "liberalis", "standardis", "emphasis", "criticis", "apologis",
              "categoris", "modernis", "virtualis", "visualis", "localis", "memoris",
              "sanitis", "tokenis", "penalis", "harmonis", "legalis", "centralis"]:
    _us = _stem[:-1] + "z"
    for _suf in ["e", "ed", "es", "ing", "ation", "ations", "er", "ers"]:
        _UK_US.append((_stem + _suf, _us + _suf))
for _w in ["colour", "favour", "honour", "labour", "neighbour", "behaviour", "harbour", "rumour",
           "flavour"]:
    for _suf in ["s", "ed", "ing"]:
        _UK_US.append((_w + _suf, _w.replace("our", "or") + _suf))
for _w in ["centre", "metre", "litre", "theatre", "fibre"]:
    _UK_US.append((_w + "s", _w[:-2] + "ers"))
UK_TO_US = dict(_UK_US)
US_TO_UK = {us: uk for uk, us in _UK_US}
SPELLING_WORDS = set(UK_TO_US) | set(US_TO_UK)


def recase(like, word):
    if like.isupper() and len(like) > 1:
        return word.upper()
    if like[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


def make_dateline(rng):
    month, days = rng.choice(MONTHS)
    return f"{rng.choice(CITIES)}, {month} {rng.randint(1, days)} - "


def edit_dateline_added(p, rng, ctx):
    if DATELINE_RE.match(p):
        return None
    return make_dateline(rng) + p


def edit_dateline_dropped(p, rng, ctx):
    m = DATELINE_RE.match(p)
    return p[m.end():] if m else None


def edit_word_changed(p, rng, ctx):
    spans = [m for m in WORD_RE.finditer(p) if len(m.group()) >= 3][1:]
    if not spans:
        return None
    m = rng.choice(spans)
    for _ in range(10):
        new = rng.choice(ctx.vocab)
        if new != m.group().lower():
            return p[: m.start()] + recase(m.group(), new) + p[m.end():]
    return None


def edit_spelling(p, rng, ctx):
    found = [w.lower() for w in WORD_RE.findall(p) if w.lower() in SPELLING_WORDS]
    if not found:
        return None
    table = UK_TO_US if any(w in UK_TO_US for w in found) else US_TO_UK

    def swap(m):
        w = m.group()
        new = table.get(w.lower())
        return recase(w, new) if new else w

    return WORD_RE.sub(swap, p)


def edit_quotes(p, rng, ctx):
    if any(c in p for c in "“”‘’"):
        return p.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))
    if '"' not in p and "'" not in p:
        return None
    out, open_double = [], True
    for i, c in enumerate(p):
        if c == '"':
            out.append("“" if open_double else "”")
            open_double = not open_double
        elif c == "'":
            prev = p[i - 1] if i else " "
            out.append("‘" if prev.isspace() or prev in "([{" else "’")
        else:
            out.append(c)
    return "".join(out)


def edit_credit(p, rng, ctx):
    def name():
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"

    r = rng.random()
    if r < 0.45:
        credit = f"(Reporting by {name()}; Editing by {name()})"
    elif r < 0.7:
        credit = f"(Reporting by {name()} in {rng.choice(CITIES).title()}; Editing by {name()})"
    else:
        credit = f"REUTERS/{name()}"
    return f"{p} {credit}"


EDITS = [("dateline_added", edit_dateline_added, 15), ("dateline_dropped", edit_dateline_dropped, 10),
         ("word_changed", edit_word_changed, 25), ("spelling", edit_spelling, 15),
         ("quotes", edit_quotes, 15), ("credit", edit_credit, 20)]


# ---------------------------------------------------------------------------------------------
# Epochs past the real text: a word cipher


class Cipher:
    def __init__(self, docs, seed):
        counts = {}
        for d in docs:
            for p in d.paras:
                for w in WORD_RE.findall(p.lower()):
                    counts[w] = counts.get(w, 0) + 1
        self.ranked = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
                       if w not in SPELLING_WORDS]
        self.seed = seed
        self.maps = {}

    def table(self, epoch):
        t = self.maps.get(epoch)
        if t is None:
            rng = random.Random(f"{self.seed}/cipher/{epoch}")
            lower = {}
            for i in range(0, len(self.ranked), CIPHER_BAND):
                band = self.ranked[i : i + CIPHER_BAND]
                perm = band[:]
                rng.shuffle(perm)
                lower.update(zip(band, perm))
            digits = list("123456789")
            rng.shuffle(digits)
            t = (lower, {}, str.maketrans("123456789", "".join(digits)))
            self.maps[epoch] = t
        return t

    def apply(self, doc, epoch):
        lower, cache, digits = self.table(epoch)

        def repl(m):
            w = m.group()
            r = cache.get(w)
            if r is None:
                lw = w.lower()
                r = cache[w] = recase(w, lower.get(lw, lw))
            return r

        text = WORD_RE.sub(repl, "\n".join(doc.paras)).translate(digits)
        return Doc(doc.source, f"{doc.name}@{epoch}", text.split("\n"))


class SourceStream:
    """The documents of one source in a seeded order; past the end, the next cipher epoch."""

    def __init__(self, name, docs, cipher, seed):
        self.name, self.docs, self.cipher = name, docs, cipher
        self.rng = random.Random(f"{seed}/order/{name}")
        self.epoch, self.pos = 0, 0
        self.order = list(range(len(docs)))
        self.rng.shuffle(self.order)

    def next(self):
        if self.pos == len(self.order):
            self.epoch += 1
            self.pos = 0
            self.rng.shuffle(self.order)
        doc = self.docs[self.order[self.pos]]
        self.pos += 1
        return doc if self.epoch == 0 else self.cipher.apply(doc, self.epoch)


# ---------------------------------------------------------------------------------------------
# Layout


def wrap_paragraph(p, width=WRAP_WIDTH):
    """Greedy fill at `width`, as textwrap does; None if a line would be wider."""
    lines, cur = [], ""
    for w in p.split(" "):
        if len(w) > width:
            return None
        if not cur:
            cur = w
        elif len(cur) + 1 + len(w) <= width:
            cur += " " + w
        else:
            lines.append(cur)
            cur = w
    lines.append(cur)
    return lines


def layout(paras, wrap):
    """Lines of a file and the 1-based first line of each paragraph. A wrapped layout is used only
    when it is unambiguous for a reader that joins wrapped blocks: every line fits, no
    continuation line starts like a list item, and some block of 3+ lines shows the wrapping."""
    if wrap:
        wrapped = [wrap_paragraph(p) for p in paras]
        ok = all(w is not None for w in wrapped) and any(len(w) >= 3 for w in wrapped)
        if ok:
            for w in wrapped:
                for line in w[1:]:
                    if LIST_MARKER_RE.match(line.split(" ", 1)[0]):
                        ok = False
                        break
                if not ok:
                    break
        if ok:
            lines, starts = [], []
            for w in wrapped:
                if lines:
                    lines.append("")
                starts.append(len(lines) + 1)
                lines.extend(w)
            return lines, starts, True
    lines, starts = [], []
    for p in paras:
        if lines:
            lines.append("")
        starts.append(len(lines) + 1)
        lines.append(p)
    return lines, starts, False


# ---------------------------------------------------------------------------------------------
# Generation


class Reservoir:
    def __init__(self, cap, rng):
        self.cap, self.rng, self.items, self.seen = cap, rng, [], 0

    def add(self, item):
        self.seen += 1
        if len(self.items) < self.cap:
            self.items.append(item)
        else:
            j = self.rng.randrange(self.seen)
            if j < self.cap:
                self.items[j] = item

    def slot(self):
        """Where the next item would go (None: not kept), for items costly to build."""
        self.seen += 1
        if len(self.items) < self.cap:
            return len(self.items)
        j = self.rng.randrange(self.seen)
        return j if j < self.cap else None

    def put(self, slot, item):
        if slot == len(self.items):
            self.items.append(item)
        elif slot < len(self.items):
            self.items[slot] = item

    def pick(self):
        return self.rng.choice(self.items) if self.items else None


class Context:
    pass


def generate(args):
    t0 = time.time()
    src = args.sources
    for need in ("reuters/ReutersCorn-test.arff", "linux-doc/.done", "licensedcode/.done"):
        if not os.path.exists(os.path.join(src, need)):
            sys.exit(f"make_corpus: {src} is missing {need}: run bench/fetch_sources.sh first")
    sources = {"reuters": load_reuters(src), "kernel": load_kernel(src), "licences": load_licences(src)}
    if not args.quiet:
        for k, v in sources.items():
            print(f"make_corpus: {k}: {len(v)} documents, {sum(d.nbytes for d in v) / 1e6:.1f} MB",
                  file=sys.stderr)
    ciphers = {k: Cipher(v, f"{args.seed}/{k}") for k, v in sources.items()}
    streams = {k: SourceStream(k, v, ciphers[k], args.seed) for k, v in sources.items()}
    emitted = {k: 0 for k in sources}

    ctx = Context()
    ctx.vocab = sorted({w for c in ciphers.values() for w in c.ranked[:8000] if len(w) >= 3})

    rng = random.Random(f"{args.seed}/plant")
    res_rng = random.Random(f"{args.seed}/reservoir")
    paras_res = Reservoir(200_000, res_rng)  # (path, line, text) of base paragraphs >= 8 words
    near_res = Reservoir(100_000, res_rng)  # >= 12 words
    dateline_res = Reservoir(20_000, res_rng)
    spelling_res = Reservoir(20_000, res_rng)
    quotes_res = Reservoir(50_000, res_rng)
    sentence_res = Reservoir(100_000, res_rng)  # (path, line, text, sentence)
    files_res = Reservoir(20_000, res_rng)  # (location, [lines], record text or None)

    out = args.out.rstrip("/")
    if os.path.exists(out) and os.listdir(out):
        if not args.force:
            sys.exit(f"make_corpus: {out} exists and is not empty (use --force to replace it)")
        import shutil

        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)
    truth_path, stats_path = out + ".truth.jsonl", out + ".stats.json"
    truth = open(truth_path, "w", encoding="utf-8")

    base_paras = 1 - EXACT_RATE - NEAR_RATE
    p_exact, p_near = EXACT_RATE / base_paras, NEAR_RATE / base_paras
    edit_names = [e[0] for e in EDITS]
    edit_weights = [e[2] for e in EDITS]
    edit_funcs = {e[0]: e[1] for e in EDITS}
    edit_res = {"dateline_dropped": dateline_res, "spelling": spelling_res, "quotes": quotes_res}

    counts = {"file_copy_files": 0, "file_copy": 0, "exact": 0, "near": 0, "shared_sentence": 0}
    edit_counts = {n: 0 for n in edit_names}
    total_bytes = files = paragraphs = wrapped_files = 0
    epochs = {k: 0 for k in sources}

    def write_truth(kind, a, b, j, edits=None):
        rec = {"kind": kind, "a": a, "b": b, "jaccard": round(j, 4)}
        if edits:
            rec["edits"] = edits
        truth.write(json.dumps(rec, ensure_ascii=False) + "\n")

    jsonl = args.shape == "jsonl"
    shard = {"fh": None, "rel": None, "records": 0, "files": 0}

    def put_record(text):
        """Appends a record to the current shard: its location (SHARD:RECORD) and bytes."""
        if shard["fh"] is None or shard["records"] == RECORDS_PER_SHARD:
            if shard["fh"]:
                shard["fh"].close()
            shard["rel"] = f"{shard['files']:04d}.jsonl"
            shard["fh"] = open(os.path.join(out, shard["rel"]), "w", encoding="utf-8")
            shard["records"] = 0
            shard["files"] += 1
        shard["records"] += 1
        line = json.dumps({"id": f"{files:06d}", "text": text}, ensure_ascii=False) + "\n"
        shard["fh"].write(line)
        return f"{shard['rel']}:{shard['records']}", len(line.encode("utf-8"))

    def near_copy():
        """An edited copy of an earlier paragraph: (source item, text, edits, jaccard) or None."""
        for _ in range(8):
            first = rng.choices(edit_names, edit_weights)[0]
            item = (edit_res.get(first) or near_res).pick()
            if item is None:
                continue
            text = edit_funcs[first](item[2], rng, ctx)
            if text is None:
                continue
            edits = [first]
            if rng.random() < 0.25:
                second = rng.choices(edit_names, edit_weights)[0]
                if second != first and not (first.startswith("dateline") and second.startswith("dateline")):
                    t2 = edit_funcs[second](text, rng, ctx)
                    if t2 is not None:
                        text, edits = t2, edits + [second]
            if text == item[2]:
                continue
            j = jaccard(item[2], text)
            if j >= 0.5 and len(tokens(text)) >= 8:
                return item, text, edits, j
        return None

    while total_bytes < args.target:
        idx = files
        shard_dir = f"{idx // 1000:04d}"
        if files >= 20 and rng.random() < FILE_COPY_RATE and files_res.items:
            spath, slines, stext = files_res.pick()
            if stext is not None:
                rel, nbytes = put_record(stext)
            else:
                with open(os.path.join(out, spath), "rb") as fh:
                    data = fh.read()
                source = spath.rsplit("_", 1)[1][:-4]
                rel = f"{shard_dir}/{idx:06d}_{source}.txt"
                os.makedirs(os.path.join(out, shard_dir), exist_ok=True)
                with open(os.path.join(out, rel), "wb") as fh:
                    fh.write(data)
                nbytes = len(data)
            for line in slines:
                write_truth("file_copy", f"{spath}:{line}", f"{rel}:{line}", 1.0)
            counts["file_copy_files"] += 1
            counts["file_copy"] += len(slines)
            files += 1
            paragraphs += len(slines)
            total_bytes += nbytes
            continue

        # A new article from the source furthest below its share.
        source = min(emitted, key=lambda k: emitted[k] / SOURCE_WEIGHTS[k])
        doc = streams[source].next()
        epochs[source] = streams[source].epoch
        emitted[source] += doc.nbytes
        rel = f"{shard_dir}/{idx:06d}_{source}.txt"

        paras = list(doc.paras)
        if source == "reuters" and len(paras) > 1 and rng.random() < 0.8:
            paras[1] = make_dateline(rng) + paras[1]  # the first body paragraph, after the headline
        if args.shape in ("small-files", "jsonl"):
            budget = rng.randint(200, 2000)
            kept, size = [], 0
            for p in paras:
                if kept and size + len(p) + 2 > budget:
                    break
                kept.append(p)
                size += len(p) + 2
            paras = kept
        elif args.shape == "short-paragraphs":
            paras = [x for p in paras for x in SENTENCE_END_RE.split(p) if x.strip()]

        # Plant: (text, origin) where origin is None for the article's own paragraphs.
        planned = []
        for p in paras:
            origin = None
            if sentence_res.items and rng.random() < SHARED_SENTENCE_RATE and len(tokens(p)) >= 8:
                spath, sline, stext, sent = sentence_res.pick()
                parts = SENTENCE_END_RE.split(p)
                at = rng.randint(0, len(parts))
                p = " ".join(parts[:at] + [sent] + parts[at:])
                origin = ("shared_sentence", f"{spath}:{sline}", jaccard(stext, p), None)
            planned.append((p, origin))
            if paras_res.items and rng.random() < p_exact:
                item = paras_res.pick()
                planned.append((item[2], ("exact", f"{item[0]}:{item[1]}", 1.0, None)))
            if near_res.items and rng.random() < p_near:
                nc = near_copy()
                if nc:
                    item, text, edits, j = nc
                    planned.append((text, ("near", f"{item[0]}:{item[1]}", j, edits)))

        record = None
        if jsonl:
            record = "\n\n".join(t for t, _ in planned)
            starts = [2 * i + 1 for i in range(len(planned))]
            rel, nbytes = put_record(record)
        else:
            wrap = rng.random() < WRAP_RATE
            lines, starts, wrapped = layout([t for t, _ in planned], wrap)
            data = ("\n".join(lines) + "\n").encode("utf-8")
            os.makedirs(os.path.join(out, shard_dir), exist_ok=True)
            with open(os.path.join(out, rel), "wb") as fh:
                fh.write(data)
            wrapped_files += wrapped
            nbytes = len(data)
        files += 1
        paragraphs += len(planned)
        total_bytes += nbytes

        for (text, origin), line in zip(planned, starts):
            if origin is None:
                # An original paragraph: a possible source for later copies. Words are counted
                # by spaces here (cheap); planted copies are checked on real tokens.
                n = text.count(" ") + 1
                if n >= 8:
                    item = (rel, line, text)
                    paras_res.add(item)
                    if n >= 12:
                        near_res.add(item)
                        if DATELINE_RE.match(text):
                            dateline_res.add(item)
                        if not SPELLING_WORDS.isdisjoint(text.lower().split()):
                            spelling_res.add(item)
                        if QUOTE_RE.search(text):
                            quotes_res.add(item)
                    if ". " in text:
                        slot = sentence_res.slot()
                        if slot is not None:
                            sents = [x for x in SENTENCE_END_RE.split(text) if len(tokens(x)) >= 6]
                            if len(sents) >= 2:
                                sentence_res.put(slot, (rel, line, text, rng.choice(sents)))
                continue
            kind, a, j, edits = origin
            write_truth(kind, a, f"{rel}:{line}", j, edits)
            counts[kind] += 1
            if edits:
                for e in edits:
                    edit_counts[e] += 1
        # A copy of the file copies each of its paragraphs that has a word (a "---" rule has
        # none: it is no paragraph to dedup).
        worded = [line for (text, _), line in zip(planned, starts) if tokens(text)]
        files_res.add((rel, worded, record))

    truth.close()
    if shard["fh"]:
        shard["fh"].close()
    versions = ""
    vpath = os.path.join(src, "VERSIONS.txt")
    if os.path.exists(vpath):
        with open(vpath) as fh:
            versions = [line.strip() for line in fh if line.strip()]
    stats = {
        "seed": args.seed, "shape": args.shape, "target_bytes": args.target, "bytes": total_bytes,
        "files": shard["files"] if jsonl else files, "documents": files,
        "paragraphs": paragraphs, "wrapped_files": wrapped_files, "planted": counts,
        "near_edits": edit_counts, "source_bytes_before_planting": emitted,
        "source_epochs_reached": epochs, "sources": versions,
        "seconds": round(time.time() - t0, 1),
    }
    with open(stats_path, "w") as fh:
        json.dump(stats, fh, indent=1)
        fh.write("\n")
    if not args.quiet:
        print(f"make_corpus: wrote {out}: {stats['files']} files, {files} documents, {paragraphs} paragraphs, "
              f"{total_bytes / 1e6:.1f} MB in {time.time() - t0:.0f} s; truth in {truth_path}",
              file=sys.stderr)
        print(f"make_corpus: planted {json.dumps(counts)}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", required=True, type=parse_size, dest="target",
                    help="corpus size: 10MB, 100MB, 1GB (decimal units) or any like 250MB")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--shape", default="articles",
                    choices=["articles", "small-files", "short-paragraphs", "jsonl"])
    ap.add_argument("--out", required=True, help="corpus directory to create")
    ap.add_argument("--sources", default=DEFAULT_SOURCES, help="where fetch_sources.sh put the sources")
    ap.add_argument("--force", action="store_true", help="replace an existing corpus directory")
    ap.add_argument("-q", "--quiet", action="store_true")
    generate(ap.parse_args())


if __name__ == "__main__":
    main()
