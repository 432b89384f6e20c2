# Shared by bench/run.sh and bench/memory.sh (sourced after they define log and repo):
# /usr/bin/time for peak RSS, and the release binary in $dedup.

if [ ! -x /usr/bin/time ]; then
    log "installing Debian's time package for /usr/bin/time"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
fi

log "cargo build --release"
(cd "$repo" && cargo build --release --quiet)
dedup="$repo/target/release/dedup"
