#!/usr/bin/env bash
# Benchmark: the operator's dashboard (/admin/) of a clm-server seeded with 100,000
# devices. N requests each (one curl process, one new TLS connection per request) of the
# overview's first page, a later page (after=), a device's page, and the two operator API
# calls the overview is made of (DeviceInfo summary and search); prints the median and
# p95 of the server-side time (the ms of clm-server's request log) and of curl's total
# time, beside nginx serving a static HTML file as large as the overview over HTTPS on
# the same loopback (server side: nginx's $request_time). Then the overview's size with
# 100 and with 100,000 devices: a page that stays paged is about as large with either.
# Prints figures and ratios; asserts nothing.
#
#   bench/dashboard.sh [N]                      (default 20 requests per row; build first)
#   CLM_BENCH_DEVICES=100000                    devices in the big fleet
#   CLM_BENCH_DASHBOARD_DIR=DIR                 the big fleet's data dir, seeded on the first
#                                               run and reused by later ones (default
#                                               BENCH_TMPDIR/dashboard-DEVICES)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
clm_install_deps "${CLM_BENCH_PACKAGES[@]}"
. "$(dirname "$0")/lib.sh"
command -v nginx >/dev/null || { echo "bench: nginx is missing" >&2; exit 1; }

n=${1:-20}
devices=${CLM_BENCH_DEVICES:-100000}
big=${CLM_BENCH_DASHBOARD_DIR:-$BENCH_TMPDIR/dashboard-$devices}

# seed_dir DIR COUNT: DIR initialized and seeded with COUNT devices of one key each,
# unless an earlier run did so (DIR/.bench-seeded, written once a few are disabled and
# one deleted, so that every count differs). Prints how long seeding took, or "reused".
seed_dir() {
  local dir=$1 count=$2 t0
  if [ -f "$dir/.bench-seeded" ] && [ "$(cat "$dir/.bench-seeded")" = "$count" ]; then
    echo reused
    return
  fi
  rm -rf "$dir"
  "$CLM_SERVER" init --data-dir "$dir" --key-type ec-p256 2>/dev/null
  t0=$(date +%s%N)
  "$CLM_SERVER" seed --data-dir "$dir" --devices "$count" --keys 1 >/dev/null 2>"$BENCH_WORK/seed.log"
  echo "$((($(date +%s%N) - t0) / 1000000)) ms"
}

# serve NAME DIR: bench_start_server on DIR (linked into BENCH_WORK as NAME); writes
# the admin key's curl config BENCH_WORK/NAME.admin.curl; sets base.
serve() {
  ln -sfn "$2" "$BENCH_WORK/$1"
  bench_start_server "$1"
  license_files "$2/admin.key" "$1.admin"
  base="https://127.0.0.1:$CLM_PORT"
}

# operator NAME JSON: the operator's DeviceInfo request to the server of NAME.
operator() {
  post "$BENCH_WORK/$1.admin.curl" "$base/SWCLM/DeviceInfo" "$2" >/dev/null
}

# stats FILE: print "p50 p95" of the numbers in FILE, one a line.
stats() {
  sort -g "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- -"; exit }
    p = int(NR * 0.95 + 0.999999); if (p > NR) p = NR
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.1f %.1f\n", m, v[p] }'
}

# log_lines LOG: the number of request lines in LOG.
log_lines() {
  grep -c 'errorcode=' "$1" || true
}

# measure LABEL CURLCONF LOG URL [CURL ARGS...]: one request to warm up (its server ms
# printed as "first"), then N, each a curl process of its own; appends "LABEL|bytes|
# first|server p50|server p95|curl p50|curl p95" to results. The server-side ms are
# the last N request lines of LOG, which gets one line per request (clm-server's
# request log; nginx's access log of $request_time).
measure() {
  local label=$1 conf=$2 log=$3 url=$4 i before first bytes
  shift 4
  local auth=()
  [ -z "$conf" ] || auth=(-K "$conf")
  before=$(log_lines "$log")
  read -r code bytes < <(curl -sS "${auth[@]}" --cacert "$CLM_CACERT" "$@" -o /dev/null \
    -w '%{http_code} %{size_download}\n' "$url")
  if [ "$code" != 200 ]; then
    echo "$label|$bytes|HTTP $code: not measured|-|-|-|-" >>"$results"
    return
  fi
  : >"$BENCH_WORK/curl.ms"
  for ((i = 0; i < n; i++)); do
    curl -sSf "${auth[@]}" --cacert "$CLM_CACERT" "$@" -o /dev/null -w '%{time_total}\n' "$url" |
      awk '{ printf "%.3f\n", $1 * 1000 }' >>"$BENCH_WORK/curl.ms"
  done
  for _ in $(seq 200); do
    [ "$(log_lines "$log")" -ge $((before + n + 1)) ] && break
    sleep 0.05
  done
  grep 'errorcode=' "$log" | tail -n $((n + 1)) | sed -E 's/.* ([0-9.]+)ms( \(.*\))?$/\1/' >"$BENCH_WORK/server.all"
  first=$(head -n 1 "$BENCH_WORK/server.all")
  tail -n "$n" "$BENCH_WORK/server.all" >"$BENCH_WORK/server.ms"
  echo "$label|$bytes|$first|$(stats "$BENCH_WORK/server.ms" | tr ' ' '|')|$(stats "$BENCH_WORK/curl.ms" | tr ' ' '|')" \
    >>"$results"
}

results=$BENCH_WORK/results
: >"$results"

# The small fleet first: the overview's size with 100 devices.
seed_dir "$BENCH_WORK/small" 100 >/dev/null
serve small "$BENCH_WORK/small"
small_bytes=$(curl -sSf -K "$BENCH_WORK/small.admin.curl" --cacert "$CLM_CACERT" -o /dev/null -w '%{size_download}' \
  "$base/admin/")
bench_stop_server

seeded=$(seed_dir "$big" "$devices")
serve big "$big"
if [ "$seeded" != reused ]; then
  for name in dev000002 dev000003 dev000005; do
    operator big "{\"mode\":\"disable\",\"devicename\":\"$name\"}"
  done
  operator big '{"mode":"delete","devicename":"dev000007"}'
  echo "$devices" >"$big/.bench-seeded"
fi
half=$(printf 'dev%06d' $((devices / 2)))
log=$BENCH_WORK/big.log
conf=$BENCH_WORK/big.admin.curl
measure "clm GET /admin/ (first page)" "$conf" "$log" "$base/admin/"
overview_bytes=$(cut -d'|' -f2 "$results" | tail -n 1)
measure "clm GET /admin/?after=$half" "$conf" "$log" "$base/admin/?after=$half"
measure "clm GET /admin/device?name=$half" "$conf" "$log" "$base/admin/device?name=$half"
measure "clm API DeviceInfo summary" "$conf" "$log" "$base/SWCLM/DeviceInfo" \
  -H 'Content-Type: application/json' --data-binary '{"mode":"summary"}'
measure "clm API DeviceInfo search (100)" "$conf" "$log" "$base/SWCLM/DeviceInfo" \
  -H 'Content-Type: application/json' --data-binary "{\"mode\":\"search\",\"after\":\"$half\"}"
rss=$(bench_server_rss_kb)
bench_stop_server

# nginx: a static HTML file as large as the overview; $request_time in its access log
# is its server-side time.
BENCH_NGINX_LOG=1 bench_start_nginx page.html "$overview_bytes" '<!DOCTYPE html>' text/html
# measure_nginx: as measure, against nginx; its access log lines are "errorcode= SECONDS".
measure_nginx() {
  local i
  : >"$BENCH_WORK/curl.ms"
  for ((i = 0; i < n + 1; i++)); do
    curl -sSf --cacert "$ng/cert.pem" -o /dev/null -w '%{time_total}\n' "$ng_url" |
      awk '{ printf "%.3f\n", $1 * 1000 }' >>"$BENCH_WORK/curl.ms"
  done
  sleep 0.2
  awk '{ printf "%.1f\n", $2 * 1000 }' "$ng/access.log" >"$BENCH_WORK/server.all"
  tail -n "$n" "$BENCH_WORK/server.all" >"$BENCH_WORK/server.ms"
  tail -n "$n" "$BENCH_WORK/curl.ms" >"$BENCH_WORK/curl.n.ms"
  echo "nginx static $overview_bytes B file|$overview_bytes|$(head -n 1 "$BENCH_WORK/server.all")|$(stats \
    "$BENCH_WORK/server.ms" | tr ' ' '|')|$(stats "$BENCH_WORK/curl.n.ms" | tr ' ' '|')" >>"$results"
}
measure_nginx

printf '\nclm-server dashboard, %s devices (seed: %s), %d requests per row after one to warm up\n' "$devices" "$seeded" "$n"
printf 'each request a curl process of its own (new TLS connection, EC P-256) on loopback; 2 cores shared\n'
printf 'server ms: clm-server request log (head read to answer queued); nginx $request_time\n\n'
awk -F'|' '
  { row[NR] = $0; if ($1 ~ /^nginx/) { ng_s = $4; ng_c = $6 } }
  END {
    printf "%-40s %9s %9s %10s %10s %10s %10s %11s\n", "request", "bytes", "first ms", "server p50", "server p95",
      "curl p50", "curl p95", "curl vs ng"
    for (i = 1; i <= NR; i++) {
      split(row[i], f, "|")
      ratio = (ng_c > 0 && f[6] != "-") ? sprintf("%.2fx", f[6] / ng_c) : "-"
      printf "%-40s %9s %9s %10s %10s %10s %10s %11s\n", f[1], f[2], f[3], f[4], f[5], f[6], f[7], ratio
    }
  }' "$results"
printf '\npaged: the overview is %s bytes with 100 devices and %s bytes with %s devices (%.2fx)\n' \
  "$small_bytes" "$overview_bytes" "$devices" "$(awk -v a="$overview_bytes" -v b="$small_bytes" 'BEGIN { print a / b }')"
printf 'clm-server RSS after its rows (now/peak KiB): %s\n' "$rss"
