#!/usr/bin/env bash
# Benchmark: clm-verify beside `sha256sum -c` on the same .sha256 sidecars: one 1 GiB
# file (MB/s, page cache warm) and 20,000 files of 32 bytes in one directory (files/s).
# Best of 3 runs each. Prints figures and ratios; asserts nothing. Needs no server.
#
#   bench/verify.sh [SMALL_FILES]     (default 20000; build first with scripts/build)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$(dirname "$0")/lib.sh"

n=${1:-20000}
verify=$CLM_BUILD_DIR/tools/clm-verify
export CLM_CONFIG=/dev/null CLM_STATE_DIR=$BENCH_WORK/state

# best_ms COMMAND [ARGS...]: the shortest wall time in ms of 3 runs (output discarded;
# a failing run aborts the benchmark).
best_ms() {
  local best= i ms t0 t1
  for i in 1 2 3; do
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    ms=$(((t1 - t0) / 1000000))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then
      best=$ms
    fi
  done
  echo "$best"
}

ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'
}

# One big file.
big=$BENCH_WORK/big
mkdir -p "$big"
head -c $((1 << 30)) /dev/urandom >"$big/blob.bin"
(cd "$big" && sha256sum blob.bin >blob.bin.sha256)
sha_big() { (cd "$big" && sha256sum --quiet -c blob.bin.sha256); }
clm_big() { "$verify" "$big/blob.bin"; }
clm_big >/dev/null  # warm the page cache
big_sha_ms=$(best_ms sha_big)
big_clm_ms=$(best_ms clm_big)
mb=$(((1 << 30) / 1000000))
big_sha_rate=$(awk -v mb="$mb" -v ms="$big_sha_ms" 'BEGIN { printf "%.0f", mb * 1000 / ms }')
big_clm_rate=$(awk -v mb="$mb" -v ms="$big_clm_ms" 'BEGIN { printf "%.0f", mb * 1000 / ms }')
rm -rf "$big"

# Many small files, each with its own sidecar.
small=$BENCH_WORK/small
mkdir -p "$small"
(
  cd "$small"
  head -c $((32 * n)) /dev/urandom | split -b 32 -a 6 -d - f
  sha256sum f* | awk '{ f = $2 ".sha256"; print > f; close(f) }'
)
sha_small() { (cd "$small" && sha256sum --quiet -c ./*.sha256); }
clm_small() { "$verify" "$small"; }
clm_small >/dev/null
small_sha_ms=$(best_ms sha_small)
small_clm_ms=$(best_ms clm_small)
small_sha_rate=$(awk -v n="$n" -v ms="$small_sha_ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')
small_clm_rate=$(awk -v n="$n" -v ms="$small_clm_ms" 'BEGIN { printf "%.0f", n * 1000 / ms }')
clm_rss=$(bench_peak_rss_kb "$verify" "$small")

printf '\nclm-verify beside sha256sum -c (best of 3, page cache warm; %s)\n' "$(nproc) cores"
printf '%-36s %12s %12s %10s\n' "" "clm-verify" "sha256sum" "ratio"
printf '%-36s %12s %12s %10s\n' "1 GiB file, MB/s" "$big_clm_rate" "$big_sha_rate" "$(ratio "$big_clm_rate" "$big_sha_rate")"
printf '%-36s %12s %12s\n' "1 GiB file, ms" "$big_clm_ms" "$big_sha_ms"
printf '%-36s %12s %12s %10s\n' "$n files of 32 bytes, files/s" "$small_clm_rate" "$small_sha_rate" \
  "$(ratio "$small_clm_rate" "$small_sha_rate")"
printf '%-36s %12s %12s\n' "$n files of 32 bytes, ms" "$small_clm_ms" "$small_sha_ms"
printf '%-36s %12s\n' "clm-verify peak RSS KiB ($n files)" "$clm_rss"
