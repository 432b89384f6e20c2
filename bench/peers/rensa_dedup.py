#!/usr/bin/env python3
"""Paragraph near-duplicates with rensa: R-MinHash (128 permutations) + RMinHashLSH at 0.5.

    python bench/peers/rensa_dedup.py CORPUS_DIR

Every paragraph (see common.py) is shingled into word 3-grams and sketched with full-set
R-MinHash (not the sampling "rho" pipeline). Batches of sketches are inserted into the LSH index
(32 bands of 4 rows: all 128 values, candidate probability 0.87 at Jaccard 0.5) and then queried,
so each pair is met from both sides and counted once, from its later member; candidate pairs are
joined into clusters with union-find. Prints one line with the number of clusters (candidates are
not verified).
"""

import sys

from rensa import RMinHash, RMinHashLSH

from common import NUM_PERM, THRESHOLD, UnionFind, paragraphs, progress, report, shingles

BANDS = 32
SEED = 42
BATCH = 10_000


def main():
    root = sys.argv[1]
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=BANDS)
    uf = UnionFind()
    read = indexed = pairs = 0
    batch = []

    def flush():
        nonlocal pairs
        if not batch:
            return
        first = len(uf.parent)
        sketches = RMinHash.from_token_sets(batch, num_perm=NUM_PERM, seed=SEED)
        for _ in sketches:
            uf.add()
        lsh.insert_many(sketches, start_key=first)
        for offset, candidates in enumerate(lsh.query_all(sketches)):
            key = first + offset
            for other in candidates:
                if other < key:
                    uf.union(key, other)
                    pairs += 1
        batch.clear()

    for _path, _line, text in paragraphs(root):
        read += 1
        sh = shingles(text)
        if not sh:
            continue
        indexed += 1
        batch.append(list(sh))
        if len(batch) == BATCH:
            flush()
            progress(indexed)
    flush()
    report("rensa", read, indexed, pairs, uf.clusters(), f" bands={BANDS} rows={NUM_PERM // BANDS}")


if __name__ == "__main__":
    main()
