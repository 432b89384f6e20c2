#!/usr/bin/env bash
# Download and unpack the real text that bench/make_corpus.py builds corpora from.
#
#   bench/fetch_sources.sh            # into bench/work/sources/
#
# Idempotent: every step is skipped when its result is already there. Sources, all from
# package registries reachable on the project's machines:
#   - Debian `weka`: the Reuters-21578 ModApte "Corn"/"Grain" subsets (ARFF, same texts twice,
#     2,151 distinct newswire stories, ~1.7 MB) in /usr/share/doc/weka/examples/.
#   - Debian `linux-source-6.1`: the kernel's Documentation/ (*.rst, *.txt; ~25 MB of English).
#   - PyPI `licensedcode-data`: ScanCode's licence texts (*.LICENSE) and notices (*.RULE).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/work/sources"
dl="$src/downloads"
mkdir -p "$dl"

# Versions the published results were made with. A newer Debian revision is used (with a
# warning) when the pinned one is no longer in the archive; the generator records what it read.
WEKA_VERSION="3.6.14-3"
LINUX_VERSION="6.1.192-2"
LICENSEDCODE_VERSION="32.1.0"

have_candidate() { [[ "$(apt-cache policy "$1" 2>/dev/null)" == *"Candidate: "[0-9]* ]]; }

apt_download() { # package pinned-version
    local pkg="$1" ver="$2"
    if ls "$dl/${pkg}_"*.deb >/dev/null 2>&1; then return 0; fi
    if ! have_candidate "$pkg"; then
        echo "fetch_sources: apt-get update (no package lists yet)" >&2
        apt-get update -qq
    fi
    # apt's sandbox user cannot write into most directories: download in /tmp, then move.
    local tmp; tmp="$(mktemp -d)"; chmod 755 "$tmp"
    if ! (cd "$tmp" && apt-get download -q "$pkg=$ver" 2>/dev/null); then
        echo "fetch_sources: $pkg=$ver not in the archive, taking the current candidate" >&2
        (cd "$tmp" && apt-get download -q "$pkg")
    fi
    mv "$tmp"/*.deb "$dl/"
    rmdir "$tmp"
}

# 1. Reuters-21578 subset from weka.
if [ ! -s "$src/reuters/ReutersCorn-test.arff" ]; then
    apt_download weka "$WEKA_VERSION"
    tmp="$(mktemp -d)"
    dpkg-deb -x "$dl"/weka_*.deb "$tmp"
    mkdir -p "$src/reuters"
    cp "$tmp"/usr/share/doc/weka/examples/Reuters*.arff "$src/reuters/"
    rm -rf "$tmp"
fi

# 2. Kernel documentation from linux-source-6.1 (only Documentation/*.rst and *.txt).
if [ ! -f "$src/linux-doc/.done" ]; then
    apt_download linux-source-6.1 "$LINUX_VERSION"
    rm -rf "$src/linux-doc"; mkdir -p "$src/linux-doc"
    dpkg-deb --fsys-tarfile "$dl"/linux-source-6.1_*.deb \
        | tar -x -O --wildcards './usr/src/linux-source-*.tar.xz' \
        | tar -xJ -C "$src/linux-doc" --strip-components=1 --wildcards \
              'linux-source-*/Documentation/*.rst' 'linux-source-*/Documentation/*.txt'
    touch "$src/linux-doc/.done"
fi

# 3. Licence texts and notices from licensedcode-data (a wheel is a zip; no install needed).
if [ ! -f "$src/licensedcode/.done" ]; then
    if ! ls "$dl"/licensedcode_data-*.whl >/dev/null 2>&1; then
        python3 -m pip download -q --no-deps -d "$dl" "licensedcode-data==$LICENSEDCODE_VERSION"
    fi
    rm -rf "$src/licensedcode"; mkdir -p "$src/licensedcode"
    python3 - "$dl"/licensedcode_data-*.whl "$src/licensedcode" <<'PY'
import sys, zipfile, os
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if name.startswith("licensedcode/data/licenses/") and name.endswith(".LICENSE") or \
           name.startswith("licensedcode/data/rules/") and name.endswith(".RULE"):
            dest = os.path.join(out, name[len("licensedcode/data/"):])
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(z.read(name))
PY
    touch "$src/licensedcode/.done"
fi

# What was read, for the results.
{
    for deb in "$dl"/*.deb; do dpkg-deb --show --showformat='${Package} ${Version} (Debian)\n' "$deb"; done
    for whl in "$dl"/*.whl; do basename "$whl" | sed -E 's/^([^-]+)-([^-]+)-.*/\1 \2 (PyPI)/; s/_/-/g'; done
} > "$src/VERSIONS.txt"
echo "fetch_sources: sources ready in $src:" >&2
sed 's/^/  /' "$src/VERSIONS.txt" >&2
du -sh "$src/reuters" "$src/linux-doc" "$src/licensedcode" >&2
