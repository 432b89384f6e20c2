#!/usr/bin/env python3
"""Paragraph near-duplicates with datatrove's MinHash deduplication pipeline.

    python bench/peers/datatrove_dedup.py CORPUS_DIR [WORK_DIR]

datatrove's own three stages, run by its LocalPipelineExecutor on 2 workers:
  1. MinhashDedupSignature: one Document per paragraph (see common.py; read by a custom first
     step, files split between the 2 tasks), simplified by datatrove (lowercase, punctuation to
     spaces, unicode diacritics dropped; number normalization off, as in the other peers),
     word 3-grams hashed with xxhash64, 128 MinHash values in 32 buckets of 4, written to disk
     and sorted per bucket;
  2. MinhashDedupBuckets: 32 tasks, one per bucket: equal bucket signatures -> duplicate pairs;
  3. MinhashDedupCluster: union-find over the pairs, cluster ids saved.
Prints one line with the number of clusters (candidates are not verified: datatrove does not).
Intermediate files go to WORK_DIR (default: a temporary directory), deleted at the end.
"""

import functools
import glob
import os
import shutil
import struct
import sys
import tempfile

from datatrove.data import Document
from datatrove.executor import LocalPipelineExecutor
from datatrove.pipeline.dedup.minhash import (
    MinhashConfig,
    MinhashDedupBuckets,
    MinhashDedupCluster,
    MinhashDedupSignature,
)
from datatrove.utils.hashing import HashConfig
from datatrove.utils.text import TextNormConfig
from datatrove.utils.word_tokenizers import WordTokenizer

from common import NUM_PERM, SHINGLE, paragraphs, report

BUCKETS = 32
WORKERS = 2


class SpaceTokenizer(WordTokenizer):
    """Words of datatrove's simplified text (already lowercased, punctuation turned to spaces).
    datatrove's English tokenizer is NLTK's, which needs the punkt data downloaded at run time."""

    def word_tokenize(self, text):
        return text.split()

    def sent_tokenize(self, text):
        return [text]

    def span_tokenize(self, text):
        return [(0, len(text))]


def read_paragraphs(data, rank=0, world_size=1, root=None, counts_dir=None):
    n = 0
    for path, line, text in paragraphs(root, rank, world_size):
        n += 1
        yield Document(text=text, id=f"{path}:{line}")
    with open(os.path.join(counts_dir, f"{rank:05d}.count"), "w") as fh:
        fh.write(str(n))


def main():
    root = os.path.abspath(sys.argv[1])
    base = sys.argv[2] if len(sys.argv) > 2 else None
    work = tempfile.mkdtemp(prefix="datatrove-", dir=base)
    try:
        config = MinhashConfig(
            n_grams=SHINGLE,
            num_buckets=BUCKETS,
            hashes_per_bucket=NUM_PERM // BUCKETS,
            norm_config=TextNormConfig(norm_numbers=False),
            hash_config=HashConfig(precision=64, hash_fc="xxhash"),
        )
        counts_dir = os.path.join(work, "counts")
        os.makedirs(counts_dir)
        reader = functools.partial(read_paragraphs, root=root, counts_dir=counts_dir)
        stage1 = LocalPipelineExecutor(
            pipeline=[reader, MinhashDedupSignature(output_folder=f"{work}/signatures", config=config,
                                                    language=SpaceTokenizer("en"))],
            tasks=WORKERS, workers=WORKERS, logging_dir=f"{work}/logs/signatures", start_method="fork",
        )
        stage2 = LocalPipelineExecutor(
            pipeline=[MinhashDedupBuckets(input_folder=f"{work}/signatures", output_folder=f"{work}/buckets",
                                          config=config)],
            tasks=BUCKETS, workers=WORKERS, logging_dir=f"{work}/logs/buckets", depends=stage1,
            start_method="fork",
        )
        stage3 = LocalPipelineExecutor(
            pipeline=[MinhashDedupCluster(input_folder=f"{work}/buckets", output_folder=f"{work}/clusters",
                                          config=config, save_cluster_id=True)],
            tasks=1, logging_dir=f"{work}/logs/clusters", depends=stage2, start_method="fork",
        )
        stage3.run()

        read = sum(int(open(f).read()) for f in glob.glob(f"{counts_dir}/*.count"))
        pairs = sum(os.path.getsize(f) // 16 for f in glob.glob(f"{work}/buckets/*.dups"))
        sizes = {}
        for f in glob.glob(f"{work}/clusters/*.clusters"):
            data = open(f, "rb").read()
            for _doc, cluster in struct.iter_unpack("<II", data):
                sizes[cluster] = sizes.get(cluster, 0) + 1
        report("datatrove", read, read, pairs, list(sizes.values()),
               f" bands={BUCKETS} rows={NUM_PERM // BUCKETS}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
