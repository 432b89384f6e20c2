#!/usr/bin/env bash
# The ingest gate: a small batch against a reference index, against a full run over both.
#
#   bench/index.sh [--corpus CORPUS_DIR] [--batch-files N] [--repeat N]
#
# CORPUS_DIR is a corpus made by make_corpus.py (default bench/work/corpus-100MB). The batch is
# N of its files (default 200, about 1 MB on the 100 MB corpus; every 50th file in sorted order,
# so it copies text the reference holds), copied under bench/work/index/batch/. Then, after
# cargo build --release, each under /usr/bin/time (best wall of --repeat runs, default 3):
#   index      dedup index CORPUS -o bench/work/index/reference.dedupx
#   full       dedup batch --reference CORPUS           (reads and matches everything)
#   with index dedup batch --reference reference.dedupx
#   update     dedup index --update CORPUS -o partial.dedupx, where partial.dedupx is an index
#              of all but every 100th file (copied afresh before each run)
# and prints a Markdown table of wall, CPU and peak RSS, the index's size, the ratio of the run
# with the index to the full run, and whether the reports of the full run, of the index and of
# the updated index are the same (settings.references aside), which they must be.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
log() { echo "bench/index.sh: $*" >&2; }

corpus="$here/work/corpus-100MB"
batch_files=200
repeat=3
while [ $# -gt 0 ]; do
    case "$1" in
        --corpus) corpus="$2"; shift 2 ;;
        --batch-files) batch_files="$2"; shift 2 ;;
        --repeat) repeat="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ -d "$corpus" ] || { echo "no corpus at $corpus (bench/README.md says how to make one)" >&2; exit 2; }
# shellcheck source=bench/common.sh
source "$here/common.sh"

work="$here/work/index"
rm -rf "$work/batch"
mkdir -p "$work/batch"
corpus="$(cd "$corpus" && pwd)"
find "$corpus" -type f | sort | awk -v n="$batch_files" 'NR % 50 == 0 && c < n { print; c++ }' |
    while read -r f; do cp "$f" "$work/batch/$(echo "${f#"$corpus"/}" | tr / _)"; done
batch_bytes=$(du -sb "$work/batch" | cut -f1)
log "batch: $batch_files files, $batch_bytes bytes"

cd "$work"
# best of $repeat: "wall cpu rss_kb"
timed() {
    local best=""
    for _ in $(seq "$repeat"); do
        /usr/bin/time -f "%e %U %S %M" -o time.txt "$@" >/dev/null 2>stderr.txt ||
            { cat stderr.txt >&2; exit 1; }
        read -r wall user sys rss < time.txt
        local cpu
        cpu=$(python3 -c "print(round($user + $sys, 2))")
        if [ -z "$best" ] || python3 -c "import sys; sys.exit(not $wall < ${best%% *})"; then
            best="$wall $cpu $rss"
        fi
    done
    echo "$best"
}

index=$(timed "$dedup" index "$corpus" -o reference.dedupx)
full=$(timed "$dedup" batch --reference "$corpus" -o full.json)
indexed=$(timed "$dedup" batch --reference reference.dedupx -o indexed.json)
find "$corpus" -type f | sort | awk 'NR % 100 != 0' >most.txt
"$dedup" index --files-from most.txt -o most.dedupx 2>/dev/null
updated=$(timed sh -c 'cp most.dedupx partial.dedupx && exec "$0" index --update "$1" -o partial.dedupx' "$dedup" "$corpus")
"$dedup" batch --reference partial.dedupx -o updated.json
same=$(python3 - <<'EOF'
import json
a, b, c = (json.load(open(f)) for f in ("full.json", "indexed.json", "updated.json"))
for r in (a, b, c):
    r["settings"].pop("references")
print("yes" if a == b == c else "NO")
EOF
)
row() { read -r wall cpu rss <<<"$2"; printf '| %s | %s | %s | %d |\n' "$1" "$wall" "$cpu" $((rss / 1024)); }
{
    echo "reference $(basename "$corpus"), batch of $batch_files files ($batch_bytes bytes), load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
    echo "| run | wall s | CPU s | peak RSS MB |"
    echo "|---|---|---|---|"
    row "dedup index" "$index"
    row "batch --reference folder (full)" "$full"
    row "batch --reference index" "$indexed"
    row "index --update, 1 % of the files added" "$updated"
    echo
    echo "index size: $(du -b reference.dedupx | cut -f1) bytes; with index / full: $(python3 -c "print(round(${indexed%% *} / ${full%% *}, 3))"); same report: $same"
} | tee "$work/index.md"
