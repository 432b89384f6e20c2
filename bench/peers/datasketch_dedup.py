#!/usr/bin/env python3
"""Paragraph near-duplicates with datasketch: MinHash (128 permutations) + MinHashLSH at 0.5.

    python bench/peers/datasketch_dedup.py CORPUS_DIR

Every paragraph (see common.py) is shingled into word 3-grams and sketched with MinHash; the
LSH index (datasketch picks its bands for threshold 0.5: 25 bands of 5 rows) is queried with each
sketch before the sketch is inserted, so every candidate pair is found once, when its later
member arrives; candidate pairs are joined into clusters with union-find. Prints one line with the
number of clusters (candidates are not verified: that is the usual datasketch pipeline).
"""

import sys

from datasketch import MinHash, MinHashLSH

from common import NUM_PERM, THRESHOLD, UnionFind, paragraphs, progress, report, shingles

BATCH = 10_000


def main():
    root = sys.argv[1]
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    uf = UnionFind()
    read = indexed = pairs = 0
    batch = []

    def flush():
        nonlocal pairs
        # MinHash.bulk shares the permutations between sketches; each is MinHash.update_batch.
        for m in MinHash.bulk(batch, num_perm=NUM_PERM):
            key = uf.add()
            for other in lsh.query(m):
                uf.union(key, other)
                pairs += 1
            lsh.insert(key, m, check_duplication=False)
        batch.clear()

    for _path, _line, text in paragraphs(root):
        read += 1
        sh = shingles(text)
        if not sh:
            continue
        indexed += 1
        batch.append([s.encode("utf-8") for s in sh])
        if len(batch) == BATCH:
            flush()
            progress(indexed)
    flush()
    report("datasketch", read, indexed, pairs, uf.clusters(), f" bands={lsh.b} rows={lsh.r}")


if __name__ == "__main__":
    main()
