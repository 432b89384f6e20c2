#!/usr/bin/env bash
# Peak memory of dedup on one large file, as plain text and as JSON Lines.
#
#   bench/memory.sh [--size SIZE] [--source CORPUS_DIR] [--mem-limit GIB]
#
# Builds a single-file corpus of SIZE bytes (default 2G; decimal units as in make_corpus.py:
# 200M = 200MB = 2*10^8; K, M, G, with or without B) from the text files of a corpus made by
# make_corpus.py (default bench/work/corpus-1GB): the files in sorted path order, separated by a
# blank line, the list repeated when the corpus is smaller than SIZE, whole files only (so the
# result is at most one file short of SIZE). It is written twice under bench/work/memory/:
#   single-SIZE.txt     the files' bytes as they are
#   single-SIZE.jsonl   one record per source file, {"id": "PATH" or "PATH#COPY", "text": ...}
# Both are kept and reused while the source and size are the same.
#
# Then runs target/release/dedup (after cargo build --release) on each file under
# /usr/bin/time -v with -q -o /dev/null, and once more with --summary-only -o FILE to read the
# number of paragraphs, and prints a Markdown table: size, paragraphs, wall seconds, peak RSS and
# RSS bytes per paragraph (also kept in bench/work/memory/memory-SIZE.md).
#
# A run whose resident memory passes --mem-limit GiB (default 20) is killed and marked so.
# dedup holds about 660 bytes per paragraph on one file (the 2G default needs about 7 GB).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out_dir="$here/work/memory"

size_arg="2G"
source_dir="$here/work/corpus-1GB"
mem_limit_gib=20
usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --size) size_arg="${2:?}"; shift 2 ;;
        --size=*) size_arg="${1#*=}"; shift ;;
        --source) source_dir="${2:?}"; shift 2 ;;
        --source=*) source_dir="${1#*=}"; shift ;;
        --mem-limit) mem_limit_gib="${2:?}"; shift 2 ;;
        --mem-limit=*) mem_limit_gib="${1#*=}"; shift ;;
        -h|--help) usage ;;
        *) echo "memory.sh: unknown argument $1" >&2; usage ;;
    esac
done
log() { echo "memory.sh: $*" >&2; }

size=$(echo "$size_arg" | awk '
    toupper($0) ~ /^[0-9]+(\.[0-9]+)?[KMG]?B?$/ {
        s = toupper($0); sub(/B$/, "", s); m = 1
        if (s ~ /K$/) m = 1e3; else if (s ~ /M$/) m = 1e6; else if (s ~ /G$/) m = 1e9
        sub(/[KMG]$/, "", s); printf "%.0f\n", s * m; exit
    }')
[ -n "$size" ] && [ "$size" -gt 0 ] || { log "bad --size $size_arg (e.g. 200M, 2G, 500MB)"; exit 2; }
[[ "$mem_limit_gib" =~ ^[0-9]+$ ]] || { log "bad --mem-limit $mem_limit_gib (whole GiB)"; exit 2; }
if [ ! -d "$source_dir" ]; then
    log "no corpus at $source_dir; make one with"
    log "  python3 bench/make_corpus.py --size 1GB --seed 1 --out bench/work/corpus-1GB"
    exit 2
fi
source_dir="$(cd "$source_dir" && pwd)"
# shellcheck source=bench/common.sh
source "$here/common.sh"

# --- The single-file corpus --------------------------------------------------------------------

mkdir -p "$out_dir"
name="single-$size_arg"
txt="$out_dir/$name.txt"
jsonl="$out_dir/$name.jsonl"
stamp="$out_dir/$name.source"
want_stamp="$source_dir $size"
if [ -s "$txt" ] && [ -s "$jsonl" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want_stamp" ]; then
    log "reusing $txt and $jsonl"
else
    log "writing $txt and $jsonl ($size bytes of text from $source_dir)"
    rm -f "$stamp"
    python3 - "$source_dir" "$size" "$txt" "$jsonl" <<'EOF'
import json, os, sys

source, size, txt_path, jsonl_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
paths = sorted(
    os.path.relpath(os.path.join(d, f), source)
    for d, _, files in os.walk(source)
    for f in files
    if f.endswith(".txt")
)
if not paths:
    sys.exit(f"memory.sh: no .txt files under {source}")
written = files = 0
copy = 0
with open(txt_path + ".tmp", "wb") as txt, open(jsonl_path + ".tmp", "w", encoding="utf-8") as jsonl:
    while written < size:
        for rel in paths:
            with open(os.path.join(source, rel), "rb") as f:
                data = f.read()
            # Each file ends in one newline, then a blank line separates it from the next.
            chunk = data.rstrip(b"\r\n") + b"\n\n"
            if written + len(chunk) > size:
                break
            txt.write(chunk)
            written += len(chunk)
            files += 1
            record = {
                "id": rel if copy == 0 else f"{rel}#{copy}",
                "text": data.decode("utf-8", errors="replace"),
            }
            jsonl.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            copy += 1
            continue
        break
os.replace(txt_path + ".tmp", txt_path)
os.replace(jsonl_path + ".tmp", jsonl_path)
print(f"memory.sh: {files} files ({copy + 1} pass(es) over {len(paths)}), {written} bytes of text",
      file=sys.stderr)
EOF
    echo "$want_stamp" > "$stamp"
fi

# --- Runs ------------------------------------------------------------------------------------

limit_kb=$((mem_limit_gib * 1024 * 1024))
rows=()
for form in txt jsonl; do
    input="$out_dir/$name.$form"
    bytes=$(stat -c %s "$input")
    time_file="$out_dir/$name.$form.time"
    summary="$out_dir/$name.$form.summary.json"
    log "dedup -q -o /dev/null $input"
    cat "$input" > /dev/null  # warm the page cache, untimed
    killed=""
    /usr/bin/time -v -o "$time_file" "$dedup" -q -o /dev/null "$input" &
    timer=$!
    # Watchdog: kill dedup when its resident memory passes the limit.
    while kill -0 "$timer" 2>/dev/null; do
        child=$(pgrep -P "$timer" || true)
        if [ -n "$child" ]; then
            rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$child/status" 2>/dev/null || echo 0)
            if [ "${rss:-0}" -gt "$limit_kb" ]; then
                log "RSS passed $mem_limit_gib GiB: killing dedup"
                kill -KILL "$child" 2>/dev/null || true
                killed="killed at $mem_limit_gib GiB"
            fi
        fi
        sleep 0.5
    done
    status=0
    wait "$timer" || status=$?
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; printf "%.1f", s}' "$time_file")
    rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$time_file")
    paragraphs="?"
    if [ -z "$killed" ] && [ "$status" -le 1 ]; then
        log "dedup --summary-only -q -o $summary $input"
        status2=0
        "$dedup" --summary-only -q -o "$summary" "$input" || status2=$?
        if [ "$status2" -le 1 ]; then
            paragraphs=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["summary"]["paragraphs"])' "$summary")
        fi
    elif [ -z "$killed" ]; then
        killed="exit status $status"
    fi
    per=$(awk -v r="$rss_kb" -v p="$paragraphs" 'BEGIN {if (p + 0 > 0) printf "%.0f", r * 1024 / p; else print "?"}')
    rows+=("$(printf '| %s | %.1f MB | %s | %s | %.0f | %s | %s |' "$form" "$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')" \
        "$paragraphs" "$wall" "$(awk -v k="$rss_kb" 'BEGIN {print k / 1024}')" "$per" "$killed")")
done

table="$out_dir/memory-$size_arg.md"
{
    echo "dedup $("$dedup" --version | awk '{print $2}') on one file of $size_arg ($(nproc) cores, $(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo) GiB), source $(basename "$source_dir")"
    echo
    echo "| form | size | paragraphs | wall s | peak RSS MB | RSS bytes / paragraph | note |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${rows[@]}"
} | tee "$table"
log "table kept in $table"
