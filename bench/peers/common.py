"""What every peer does the same way: read the corpus, split paragraphs, normalize, shingle,
count clusters.

Paragraphs: a paragraph is a block of non-blank lines between blank lines, its lines joined with
a space. On corpora from make_corpus.py (a blank line between any two paragraphs) that is
exactly dedup's segmentation: a one-paragraph-per-line file gives one paragraph per non-blank
line, and the lines of a hard-wrapped paragraph are joined as dedup joins them.

Normalization: lowercase, every run of characters other than letters and digits is a separator
(punctuation stripped). Shingles: the word 3-grams of the tokens, as strings; a paragraph of
fewer than 3 tokens has one shingle of all of them; a paragraph without tokens is skipped.
"""

import os
import re
import sys
import time

_START = time.monotonic()

SHINGLE = 3
NUM_PERM = 128
THRESHOLD = 0.5
TOKEN_RE = re.compile(r"[^\W_]+")
LINE_END_RE = re.compile(r"\r\n|\r|\n")  # as dedup: not str.splitlines' form feeds and U+2028


def corpus_files(root):
    """Every regular file under root, in sorted path order (hidden files skipped, like dedup)."""
    if os.path.isfile(root):
        return [root]
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            if not fn.startswith("."):
                out.append(os.path.join(dirpath, fn))
    return out


def file_paragraphs(path):
    """(line, text) of each paragraph of one file; line is 1-based."""
    with open(path, "rb") as fh:
        text = fh.read().decode("utf-8", errors="replace")
    out, cur, start = [], [], 0
    for n, line in enumerate(LINE_END_RE.split(text), 1):
        if line.strip():
            if not cur:
                start = n
            cur.append(line.strip())
        elif cur:
            out.append((start, " ".join(cur)))
            cur = []
    if cur:
        out.append((start, " ".join(cur)))
    return out


def paragraphs(root, rank=0, world_size=1):
    """(path, line, text) of every paragraph of the corpus (of every world_size-th file)."""
    for i, path in enumerate(corpus_files(root)):
        if i % world_size != rank:
            continue
        for line, text in file_paragraphs(path):
            yield path, line, text


def shingles(text, k=SHINGLE):
    """The set of word k-gram strings of a paragraph, empty when it has no token."""
    t = TOKEN_RE.findall(text.lower())
    if len(t) < k:
        return {" ".join(t)} if t else set()
    return {" ".join(t[i : i + k]) for i in range(len(t) - k + 1)}


class UnionFind:
    def __init__(self):
        self.parent = []

    def add(self):
        self.parent.append(len(self.parent))
        return len(self.parent) - 1

    def find(self, x):
        p = self.parent
        root = x
        while p[root] != root:
            root = p[root]
        while p[x] != root:
            p[x], x = root, p[x]
        return root

    def union(self, a, b):
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            if ra < rb:
                ra, rb = rb, ra
            self.parent[ra] = rb

    def clusters(self):
        """Sizes of the sets with more than one member."""
        sizes = {}
        for x in range(len(self.parent)):
            r = self.find(x)
            sizes[r] = sizes.get(r, 0) + 1
        return [s for s in sizes.values() if s > 1]


def progress(indexed, every=500_000):
    """A line on stderr every `every` paragraphs indexed, so a stopped run shows how far it got."""
    if indexed % every == 0:
        print(f"{indexed} paragraphs indexed after {time.monotonic() - _START:.0f} s", file=sys.stderr, flush=True)


def report(tool, paragraphs_read, indexed, candidate_pairs, sizes, extra=""):
    """The one line run.sh reads: clusters=N is what goes into the table."""
    print(f"{tool}: paragraphs={paragraphs_read} indexed={indexed} candidate_pairs={candidate_pairs} "
          f"clusters={len(sizes)} duplicate_paragraphs={sum(sizes) - len(sizes)}{extra}")
    sys.stdout.flush()
