#!/usr/bin/env bash
# The staged run (`dedup stage`, README "More than one machine") against one run, stage by stage.
#
#   bench/stage.sh [--corpus CORPUS_DIR] [--shards N] [--engines inprocess,duckdb,spark]
#
# CORPUS_DIR is a corpus made by make_corpus.py (default bench/work/corpus-100MB). After
# cargo build --release, each under /usr/bin/time: one run (`dedup CORPUS`), then `stage
# manifest`, the N shards signed one after another (default 4), and for each engine the band
# join (`stage candidates`; sql/duckdb_candidates.py; sql/spark_candidates.py in Spark's local
# mode) followed by `stage report`, whose report must be the bytes of the one run; then the N
# shards verified (`stage verify`) and `stage report` from their links, the same bytes too. Prints a
# Markdown table of wall, CPU and peak RSS per stage and the work folder's size. DuckDB and
# pyspark come from PyPI into bench/work/spark-venv (made once); Spark needs a JRE (Debian's
# default-jre-headless). The work folder is bench/work/stage/ (about 2.5 times the corpus).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
log() { echo "bench/stage.sh: $*" >&2; }

corpus="$here/work/corpus-100MB"
shards=4
engines="inprocess,duckdb,spark"
while [ $# -gt 0 ]; do
    case "$1" in
        --corpus) corpus="$2"; shift 2 ;;
        --shards) shards="$2"; shift 2 ;;
        --engines) engines="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
[ -d "$corpus" ] || { echo "no corpus at $corpus (bench/README.md says how to make one)" >&2; exit 2; }
# shellcheck source=bench/common.sh
source "$here/common.sh"

venv="$here/work/spark-venv"
if [[ "$engines" == *duckdb* || "$engines" == *spark* ]] && ! "$venv/bin/python" -c 'import duckdb, pyspark' 2>/dev/null; then
    log "making $venv (duckdb, pyspark from PyPI)"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "duckdb==1.4.3" "pyspark==4.3.0"
fi
if [[ "$engines" == *spark* ]] && ! command -v java >/dev/null; then
    log "installing Debian's default-jre-headless for Spark"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
fi

work="$here/work/stage"
rm -rf "$work"
mkdir -p "$work"
rows=()
# timed NAME COMMAND...: runs it under /usr/bin/time and keeps a table row.
timed() {
    local name="$1"; shift
    /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > "$work/out.log" 2>&1 ||
        { cat "$work/out.log" >&2; log "$name failed"; exit 1; }
    read -r wall user sys rss < "$work/time"
    rows+=("| $name | $wall | $(awk "BEGIN { print $user + $sys }") | $((rss / 1024)) |")
    log "$name: ${wall} s, $((rss / 1024)) MB"
}

timed "one run (dedup CORPUS)" "$dedup" "$corpus" -q -o "$work/one.json"
timed "stage manifest" "$dedup" stage manifest "$corpus" -q -o "$work/w"
for ((i = 0; i < shards; i++)); do
    timed "stage sign $i/$shards" "$dedup" stage sign "$work/w" --shard "$i/$shards" -q
done
same=()
for engine in ${engines//,/ }; do
    rm -rf "$work/w/candidates"
    case "$engine" in
        inprocess) timed "stage candidates" "$dedup" stage candidates "$work/w" -q ;;
        duckdb) timed "band join in DuckDB" "$venv/bin/python" "$repo/sql/duckdb_candidates.py" "$work/w" ;;
        spark) timed "band join in Spark (local)" env PYSPARK_PYTHON="$venv/bin/python" \
                   "$venv/bin/python" "$repo/sql/spark_candidates.py" "$work/w" ;;
        *) echo "unknown engine: $engine" >&2; exit 2 ;;
    esac
    timed "stage report ($engine)" "$dedup" stage report "$work/w" -q -o "$work/$engine.json"
    if cmp -s "$work/one.json" "$work/$engine.json"; then same+=("$engine: same bytes"); else same+=("$engine: DIFFERENT"); fi
done

# The candidates (the last engine's) verified in the shards, then the report from their links.
for ((i = 0; i < shards; i++)); do
    timed "stage verify $i/$shards" "$dedup" stage verify "$work/w" --shard "$i/$shards" -q
done
timed "stage report (verified links)" "$dedup" stage report "$work/w" -q -o "$work/verified.json"
if cmp -s "$work/one.json" "$work/verified.json"; then same+=("verified: same bytes"); else same+=("verified: DIFFERENT"); fi
echo "| stage | wall s | CPU s | peak RSS MB |"
echo "|---|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "corpus $(du -sh "$corpus" | cut -f1), work folder $(du -sh "$work/w" | cut -f1), $shards shards; reports against the one run: ${same[*]}"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
