#!/usr/bin/env python3
"""How many planted pairs a dedup report puts in one cluster, by kind of plant.

    python3 bench/truth_recall.py REPORT.json bench/work/corpus-10MB
    (run.sh keeps dedup's report as bench/work/results/RUN/dedup.json)

Reads CORPUS.truth.jsonl beside the corpus. A pair is found when both paragraphs are members of
the same exact or near cluster (template clusters are not duplicates). Near pairs are split at
Jaccard 0.6 to show the hard end. A shared_sentence pair is also found when the report lists the
two paragraphs as a partial match.
"""

import collections
import json
import os
import sys


def main():
    report_path, corpus = sys.argv[1], sys.argv[2].rstrip("/")
    with open(report_path) as fh:
        report = json.load(fh)
    inputs = report["settings"]["inputs"]

    def label(m):
        path = m["path"]
        for root in inputs:
            if path.startswith(root.rstrip("/") + "/"):
                path = path[len(root.rstrip("/")) + 1 :]
                break
        if "record" in m:  # a JSON Lines record: PATH:RECORD:LINE
            return f"{path}:{m['record']}:{m['line']}"
        return f"{path}:{m['line']}"

    where = {}
    for i, c in enumerate(report["clusters"]):
        if c["kind"] == "template":
            continue
        for m in c["members"]:
            where[label(m)] = i
    partial = set()
    for p in report.get("partial_matches", []):
        a, b = label(p["a"]), label(p["b"])
        partial.update({(a, b), (b, a)})
    found, total = collections.Counter(), collections.Counter()
    by_edit_found, by_edit_total = collections.Counter(), collections.Counter()
    with open(corpus + ".truth.jsonl") as fh:
        for line in fh:
            t = json.loads(line)
            kind = t["kind"]
            if kind == "near":
                kind += " (J >= 0.6)" if t["jaccard"] >= 0.6 else " (J < 0.6)"
            hit = t["a"] in where and where[t["a"]] == where.get(t["b"])
            if kind == "shared_sentence":
                hit = hit or (t["a"], t["b"]) in partial
            total[kind] += 1
            found[kind] += hit
            for e in t.get("edits", []):
                by_edit_total[e] += 1
                by_edit_found[e] += hit
    print(f"planted pairs of {os.path.basename(corpus)} found (one cluster, or a partial match):")
    for kind in sorted(total):
        print(f"  {kind:22s} {found[kind]:>8} / {total[kind]:<8} {found[kind] / total[kind]:7.2%}")
    print("near pairs by edit:")
    for e in sorted(by_edit_total):
        print(f"  {e:22s} {by_edit_found[e]:>8} / {by_edit_total[e]:<8} {by_edit_found[e] / by_edit_total[e]:7.2%}")


if __name__ == "__main__":
    main()
