#!/usr/bin/env bash
# Benchmark: certificate issuances per second against a local clm-server (one
# `clm-cert create` process per certificate, one client at a time and four at a
# time), for RSA-2048 (the default) and EC P-256 servers, and the median wall time
# of one `clm-cert get`. Prints figures and ratios; asserts nothing.
#
#   bench/cert.sh [ISSUANCES]     (default 100; build first with scripts/build)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$(dirname "$0")/lib.sh"

n=${1:-100}
bin=$CLM_BUILD_DIR/tools
declare -A seq_rate par_rate get_ms

# issue_many DIR DEVICE COUNT: COUNT client certificates for DEVICE into DIR.
issue_many() {
  local dir=$1 device=$2 count=$3 i
  mkdir -p "$dir"
  for ((i = 0; i < count; i++)); do
    "$bin/clm-cert" create --mode client --device "$device" --subject "/O=bench/CN=$device" \
      --out "$dir" --cert-name "c$i" --key-name "k$i" --ca-name "ca$i" >/dev/null
  done
}

for type in rsa2048 ec-p256; do
  bench_start_server "$type" --key-type "$type"
  "$bin/clm-id" create --alias bench | "$bin/clm-id" verify >/dev/null
  out=$BENCH_WORK/$type.out
  mkdir -p "$out"
  keynumber=$("$bin/clm-cert" create --mode client --device bench-get --subject /CN=bench-get --out "$out" | jq -r .keynumber)

  ms=$(bench_wall_ms issue_many "$out/seq" bench-seq "$n")
  seq_rate[$type]=$(awk -v n="$n" -v ms="$ms" 'BEGIN { printf "%.1f", n * 1000 / ms }')

  # Four clients at once, each with a state directory of its own (the state lock
  # serializes runs on one directory).
  for w in 1 2 3 4; do
    cp -r "$CLM_STATE_DIR" "$CLM_STATE_DIR.$w"
  done
  t0=$(date +%s%N)
  pids=()
  for w in 1 2 3 4; do
    CLM_STATE_DIR=$CLM_STATE_DIR.$w issue_many "$out/par$w" "bench-par$w" $((n / 4)) &
    pids+=($!)
  done
  wait "${pids[@]}" # not the server, which runs in the background too
  t1=$(date +%s%N)
  par_rate[$type]=$(awk -v n=$((n / 4 * 4)) -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", n * 1e9 / ns }')

  get_ms[$type]=$(bench_median_ms 50 "$bin/clm-cert" get --device bench-get --keynumber "$keynumber" \
    --out "$out" --cert-name again --key-name againkey)
done

printf '\nclm-cert against a local clm-server (%d issuances per row; 2 cores shared by client and server)\n' "$n"
printf '%-10s %22s %22s %18s\n' "key type" "issued/s (1 client)" "issued/s (4 clients)" "get median ms"
for type in rsa2048 ec-p256; do
  printf '%-10s %22s %22s %18s\n' "$type" "${seq_rate[$type]}" "${par_rate[$type]}" "${get_ms[$type]}"
done
printf '%-10s %22s %22s\n' "ratio ec/rsa" \
  "$(awk -v a="${seq_rate[ec-p256]}" -v b="${seq_rate[rsa2048]}" 'BEGIN { printf "%.2fx", a / b }')" \
  "$(awk -v a="${par_rate[ec-p256]}" -v b="${par_rate[rsa2048]}" 'BEGIN { printf "%.2fx", a / b }')"
