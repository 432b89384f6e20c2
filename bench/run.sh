#!/usr/bin/env bash
# Time dedup against the Unix floor and baseline and against MinHash peers, on one corpus.
#
#   bench/run.sh [--repeat N] [--timeout SECONDS] [--mem-limit GIB] [--tools LIST] CORPUS_DIR
#
# Tools, run one after another (never in parallel), each --repeat times (default 1):
#   cat          every file to /dev/null: the floor of reading the corpus
#   sort-uniq    non-blank lines | LC_ALL=C sort | uniq -d: the Unix exact baseline (lines, so a
#                hard-wrapped paragraph counts as its lines)
#   dedup-exact  target/release/dedup --exact-only
#   dedup        target/release/dedup with its defaults (3-shingles, Jaccard 0.5, 42x3 of 128)
#   datasketch   bench/peers/datasketch_dedup.py  (MinHash 128 + MinHashLSH at 0.5)
#   rensa        bench/peers/rensa_dedup.py       (R-MinHash 128 + RMinHashLSH, 32 bands x 4)
#   datatrove    bench/peers/datatrove_dedup.py   (datatrove's 3 MinHash stages, 32 x 4, 2 workers)
# --tools takes a comma-separated subset of these names (default: all).
#
# Each run is measured by /usr/bin/time -v: wall clock, user+sys CPU and peak RSS (for a
# pipeline or a multi-process tool, the largest single process). A run is stopped after
# --timeout seconds (default 1200) or when its processes together pass --mem-limit GiB
# (default 20), and marked so, with what was measured until then in parentheses. The page cache
# is warmed with one untimed read first.
#
# Prints the table and keeps it, with every run's output, under bench/work/results/.
# Builds dedup (cargo build --release) and the peers' virtualenv (bench/work/venv) if needed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
work="$here/work"
all_tools="cat,sort-uniq,dedup-exact,dedup,datasketch,rensa,datatrove"

repeat=1
timeout_s=1200
mem_limit_gib=20
tools="$all_tools"
corpus=""
usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --repeat) repeat="$2"; shift 2 ;;
        --timeout) timeout_s="$2"; shift 2 ;;
        --mem-limit) mem_limit_gib="$2"; shift 2 ;;
        --tools) tools="$2"; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "run.sh: unknown option $1" >&2; usage ;;
        *) [ -z "$corpus" ] || usage; corpus="$1"; shift ;;
    esac
done
[ -n "$corpus" ] || usage
[ -d "$corpus" ] || { echo "run.sh: $corpus is not a directory" >&2; exit 2; }
corpus="$(cd "$corpus" && pwd -P)"  # physical path: find does not follow a symlinked corpus
for t in ${tools//,/ }; do
    [[ ",$all_tools," == *",$t,"* ]] || { echo "run.sh: unknown tool $t (known: $all_tools)" >&2; exit 2; }
done
log() { echo "run.sh: $*" >&2; }
load_start=$(cut -d' ' -f1-3 /proc/loadavg)  # others' work on the machine would show here

# --- Setup -----------------------------------------------------------------------------------

# shellcheck source=bench/common.sh
source "$here/common.sh"

venv="$work/venv"
py="$venv/bin/python"
want_peers=false
for t in datasketch rensa datatrove; do [[ ",$tools," == *",$t,"* ]] && want_peers=true; done
datatrove_note=""
if $want_peers; then
    stamp="$venv/.requirements"
    reqs="$(cat "$here/peers/requirements.txt" "$here/peers/requirements-datatrove.txt")"
    if [ ! -x "$py" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$reqs" ]; then
        log "creating the peers' virtualenv in $venv"
        python3 -m venv "$venv"
        "$py" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
        "$py" -m pip install -q -r "$here/peers/requirements.txt"
        if ! "$py" -m pip install -q -r "$here/peers/requirements-datatrove.txt" >"$work/datatrove-install.log" 2>&1; then
            log "datatrove did not install (see $work/datatrove-install.log): its row is skipped"
        fi
        printf '%s' "$reqs" > "$stamp"
    fi
    if ! "$py" -c 'import datatrove.pipeline.dedup.minhash' 2>/dev/null; then
        datatrove_note="datatrove does not install or import here: skipped"
    fi
fi

# --- The corpus ------------------------------------------------------------------------------

log "measuring $corpus (and warming the page cache)"
bytes=$(find "$corpus" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}')
files=$(find "$corpus" -type f | wc -l)
# A paragraph: a block of non-blank lines (what dedup finds in make_corpus.py's output).
paragraphs=$(find "$corpus" -type f -print0 | xargs -0 awk 'FNR == 1 {p = 0} NF && !p {n++} {p = NF} END {print n + 0}' \
    | awk '{s += $1} END {print s + 0}')
lines=$(find "$corpus" -type f -print0 | xargs -0 cat | LC_ALL=C grep -c -v '^[[:space:]]*$' || true)

stamp_now="$(date +%Y%m%d-%H%M%S)"
run_dir="$work/results/$(basename "$corpus")-$stamp_now"
mkdir -p "$run_dir" "$work/tmp"

# The dedup measured: its version and the commit checked out (read from .git; no git command is
# run). Uncommitted changes in the work tree are built too, so the binary's hash is shown as well.
head_ref=""
if [ -f "$repo/.git/HEAD" ]; then
    head_ref=$(cat "$repo/.git/HEAD")
    if [[ "$head_ref" == ref:* ]]; then
        ref="${head_ref#ref: }"
        head_ref=$(cat "$repo/.git/$ref" 2>/dev/null || awk -v r="$ref" '$2 == r {print $1}' "$repo/.git/packed-refs" 2>/dev/null)
    fi
fi
# Time a copy taken now: a rebuild of target/release during the run cannot change what is timed.
cp "$dedup" "$run_dir/dedup-bin"
dedup="$run_dir/dedup-bin"
dedup_version="$("$dedup" --version 2>/dev/null || echo dedup)${head_ref:+ at commit ${head_ref:0:12}}"

# --- Running one tool ------------------------------------------------------------------------

# Clusters (or duplicated lines) each tool reports, read from its output.
clusters_of() { # tool out_file
    case "$1" in
        cat) echo "-" ;;
        sort-uniq) tr -d ' ' < "$2" ;;
        dedup|dedup-exact) head -c 200000 "$run_dir/$1.json" 2>/dev/null | grep -o '"clusters":[0-9]*' | head -1 | cut -d: -f2 ;;
        *) grep -o 'clusters=[0-9]*' "$2" | head -1 | cut -d= -f2 ;;
    esac
}

command_of() { # tool -> sets cmd array
    case "$1" in
        cat) cmd=(bash -c 'find "$1" -type f -print0 | xargs -0 cat > /dev/null' _ "$corpus") ;;
        sort-uniq) cmd=(bash -c 'set -o pipefail; export LC_ALL=C
            find "$1" -type f -print0 | xargs -0 cat | grep -v "^[[:space:]]*$" | sort | uniq -d | wc -l' _ "$corpus") ;;
        dedup-exact) cmd=("$dedup" --exact-only -q -o "$run_dir/dedup-exact.json" "$corpus") ;;
        dedup) cmd=("$dedup" -q -o "$run_dir/dedup.json" "$corpus") ;;
        datasketch) cmd=("$py" "$here/peers/datasketch_dedup.py" "$corpus") ;;
        rensa) cmd=("$py" "$here/peers/rensa_dedup.py" "$corpus") ;;
        datatrove) cmd=("$py" "$here/peers/datatrove_dedup.py" "$corpus" "$work/tmp") ;;
    esac
}

# Runs one measured run; appends a line to $run_dir/runs.tsv:
# tool run status wall cpu rss_kb clusters
run_once() { # tool run
    local tool="$1" n="$2" base="$run_dir/$1.$2"
    local -a cmd
    command_of "$tool"
    local limit_kb=$((mem_limit_gib * 1024 * 1024)) status=ok rc=0 peak=0
    # A session of its own, so the watchdog can sum and stop every process of the run.
    setsid /usr/bin/time -v -o "$base.time" timeout -s KILL "$timeout_s" "${cmd[@]}" \
        > "$base.out" 2> "$base.err" < /dev/null &
    local pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        local rss
        # (|| true: the run may end between the check above and ps, and ps then fails)
        rss=$( (ps -o rss= -s "$pid" 2>/dev/null || true) | awk '{s += $1} END {print s + 0}')
        [ "$rss" -gt "$peak" ] && peak=$rss
        if [ "$rss" -gt "$limit_kb" ]; then
            status="killed: over ${mem_limit_gib} GiB"
            # Every process of the run but /usr/bin/time and timeout: timeout then reaps the
            # tool, so time still reports its CPU time and peak RSS.
            local tries p others keep
            keep=$( (ps -o pid= --ppid "$pid" 2>/dev/null || true) | tr -d ' ')
            for tries in 1 2 3 4 5; do
                others=$( (ps -o pid= -s "$pid" 2>/dev/null || true) | awk -v t="$pid" -v k="${keep:-0}" '$1 != t && $1 != k')
                [ -n "$others" ] || break
                for p in $others; do kill -KILL "$p" 2>/dev/null || true; done
                sleep 0.2
            done
            break
        fi
        sleep 0.5
    done
    wait "$pid" || rc=$?
    local wall cpu rss_kb
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s}' "$base.time" 2>/dev/null)
    cpu=$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.2f", u + s}' "$base.time" 2>/dev/null)
    rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$base.time" 2>/dev/null)
    if [ "$status" = ok ]; then
        if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
            status="timeout: stopped after ${timeout_s} s"
        elif [ "$rc" -ne 0 ]; then
            status="failed: exit $rc (see $base.err)"
        fi
    fi
    [[ "$status" == killed* ]] && status="$status after ${wall:-?} s"
    local clusters="-"
    [ "$status" = ok ] && clusters=$(clusters_of "$tool" "$base.out")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$n" "$status" "${wall:-0}" "${cpu:-0}" \
        "${rss_kb:-0}" "${clusters:--}" "$peak" >> "$run_dir/runs.tsv"
    log "$(printf '%-12s run %s: %s, wall %s s, cpu %s s, peak RSS %s MB, clusters %s' "$tool" "$n" \
        "$status" "${wall:-?}" "${cpu:-?}" "$(( ${rss_kb:-0} / 1024 ))" "${clusters:--}")"
}

# --- Run -------------------------------------------------------------------------------------

# Warm the page cache so that no tool pays for the first read from disk.
find "$corpus" -type f -print0 | xargs -0 cat > /dev/null

printf 'tool\trun\tstatus\twall_s\tcpu_s\tmax_rss_kb\tclusters\tsession_peak_kb\n' > "$run_dir/runs.tsv"
log "corpus: $files files, $bytes bytes, $paragraphs paragraphs; results in $run_dir"
for tool in ${tools//,/ }; do
    if [ "$tool" = datatrove ] && [ -n "$datatrove_note" ]; then
        printf '%s\t1\t%s\t0\t0\t0\t-\t0\n' "$tool" "skipped: $datatrove_note" >> "$run_dir/runs.tsv"
        log "$datatrove_note"
        continue
    fi
    for n in $(seq 1 "$repeat"); do
        run_once "$tool" "$n"
    done
    rm -f "$run_dir"/dedup*.json.tmp* 2>/dev/null || true
done

# --- Table -----------------------------------------------------------------------------------

cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cpu_model="$cpu_model (family $(grep -m1 'cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' '), model $(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' '))"
mem_gib=$(awk '/MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)
os_name=$(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")
{
    echo "## $(basename "$corpus"): $(date '+%Y-%m-%d %H:%M %Z')"
    echo
    echo "Corpus: \`$corpus\`: $files files, $(awk -v b="$bytes" 'BEGIN {printf "%.1f", b / 1e6}') MB," \
         "$paragraphs paragraphs ($lines non-blank lines)."
    echo "Machine: $cpu_model, $(nproc) cores, $mem_gib GiB RAM, $os_name; $(rustc --version 2>/dev/null || true)."
    echo "dedup: $dedup_version; binary sha256 $(sha256sum "$dedup" | cut -c1-12)."
    echo "Load average (1, 5, 15 min) before the runs: $load_start; after: $(cut -d' ' -f1-3 /proc/loadavg)."
    if [ -x "$py" ]; then
        echo "Peers: Python $("$py" -c 'import sys; print(sys.version.split()[0])'); $("$py" -m pip list 2>/dev/null \
            | awk '$1 ~ /^(datasketch|rensa|datatrove|numpy|xxhash)$/ {printf "%s%s %s", sep, $1, $2; sep = ", "}')."
    fi
    echo "Runs per tool: $repeat (the median wall time is shown, with that run's CPU and RSS); timeout ${timeout_s} s."
    echo
    awk -F'\t' -v bytes="$bytes" -v paras="$paragraphs" -v repeat="$repeat" '
        NR == 1 { next }
        {
            tool = $1
            if (!(tool in seen)) { seen[tool] = 1; order[++ntools] = tool }
            k = ++count[tool]
            status[tool, k] = $3; wall[tool, k] = $4; cpu[tool, k] = $5; rss[tool, k] = $6; cl[tool, k] = $7
        }
        END {
            # The median run of each tool by wall time (among runs that finished).
            for (i = 1; i <= ntools; i++) {
                t = order[i]; m = 0
                for (k = 1; k <= count[t]; k++) if (status[t, k] == "ok") okw[++m] = wall[t, k] + 0
                for (a = 2; a <= m; a++) { v = okw[a]; for (b = a - 1; b >= 1 && okw[b] > v; b--) okw[b + 1] = okw[b]; okw[b + 1] = v }
                pick[t] = 0
                if (m > 0) {
                    med = okw[int((m + 1) / 2)]
                    for (k = 1; k <= count[t]; k++) if (status[t, k] == "ok" && wall[t, k] + 0 == med && !pick[t]) pick[t] = k
                    runs[t] = ""
                    if (m > 1) runs[t] = sprintf("walls %s", join_walls(t))
                }
            }
            dw = (pick["dedup"] ? wall["dedup", pick["dedup"]] + 0 : 0)
            printf "| tool | wall s | CPU s | peak RSS MB | MB/s | paragraphs/s | wall / dedup | clusters | note |\n"
            printf "|---|---:|---:|---:|---:|---:|---:|---:|---|\n"
            for (i = 1; i <= ntools; i++) {
                t = order[i]; k = pick[t]
                if (!k) {
                    # Stopped or failed: what was measured until then, in parentheses.
                    if (wall[t, 1] + 0 > 0)
                        printf "| %s | (%.1f) | (%.1f) | (%.0f) | - | - | - | - | %s |\n", t, wall[t, 1], cpu[t, 1], rss[t, 1] / 1024, status[t, 1]
                    else
                        printf "| %s | - | - | - | - | - | - | - | %s |\n", t, status[t, 1]
                    continue
                }
                w = wall[t, k] + 0; ws = (w > 0 ? w : 0.005)
                ratio = (dw > 0 ? sprintf("%.2f", w / dw) : "-")
                printf "| %s | %.2f | %.2f | %.0f | %.1f | %.0f | %s | %s | %s |\n", t, w, cpu[t, k], rss[t, k] / 1024, \
                    bytes / 1e6 / ws, paras / ws, ratio, cl[t, k], runs[t]
            }
        }
        function join_walls(t,   s, k) {
            s = ""
            for (k = 1; k <= count[t]; k++) s = s (k > 1 ? " " : "") (status[t, k] == "ok" ? wall[t, k] : "x")
            return s
        }
    ' "$run_dir/runs.tsv"
    echo
    echo "clusters: dedup's summary.clusters (exact + near + template); the peers' connected components"
    echo "of LSH candidate pairs (unverified); sort-uniq's count of distinct duplicated lines."
} > "$run_dir/table.md"
cat "$run_dir/table.md"
log "table saved as $run_dir/table.md"
