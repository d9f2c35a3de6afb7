#!/usr/bin/env bash
# Benchmark: the operator's bulk changes and reports over a seeded fleet.
#   - `clm-device disable` and `clm-device enable` of DEVICES devices (names on stdin,
#     sent in bulk), beside curl POSTing the same bulk request body (the cost of HTTPS and
#     the server alone), and beside one request per device (curl, extrapolated from 200);
#   - the server-side time (from its request log) of a bulk disable, and of the reports
#     a fleet view reads: summary, the first report page, due.
# Each figure is the median of ROUNDS rounds, clm-device and curl in turns. Prints
# figures and ratios; asserts nothing.
#
#   bench/devices.sh [DEVICES] [ROUNDS]     (default 10000 and 3; build first with scripts/build)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$(dirname "$0")/lib.sh"

devices=${1:-10000}
rounds=${2:-3}
tools=$CLM_BUILD_DIR/tools
device=$tools/clm-device
[ -x "$device" ] || { echo "bench: $device is missing; build first (scripts/build)" >&2; exit 1; }

"$CLM_SERVER" init --data-dir "$BENCH_WORK/fleet" --key-type ec-p256 2>/dev/null
t0=$(date +%s%N)
"$CLM_SERVER" seed --data-dir "$BENCH_WORK/fleet" --devices "$devices" --keys 1 --list "$BENCH_WORK/list" \
  >/dev/null
seed_ms=$((($(date +%s%N) - t0) / 1000000))
bench_start_server fleet
export CLM_ADMIN_KEY_FILE=$BENCH_ADMIN_KEY_FILE
license_files "$CLM_ADMIN_KEY_FILE" admin
url="https://$CLM_HOST:$CLM_PORT/SWCLM/DeviceInfo"
log=$BENCH_WORK/fleet.log

# The same bulk bodies for curl: every device in one request.
for mode in disable enable; do
  jq -R -s -c --arg m "$mode" '{mode: $m, deviceinfo: [split("\n")[] | select(. != "") | {devicename: .}]}' \
    <"$BENCH_WORK/list" >"$BENCH_WORK/$mode.json"
done
curl_bulk() {
  curl -sSf -K "$BENCH_WORK/admin.curl" --cacert "$CLM_CACERT" -H 'Content-Type: application/json' \
    --data-binary "@$BENCH_WORK/$1.json" "$url" -o "$BENCH_WORK/curl.out"
  [ "$(jq -r '[.deviceinfo[] | select(.errorcode == 0)] | length' "$BENCH_WORK/curl.out")" = "$devices" ] || {
    echo "bench: curl's bulk $1 did not change every device" >&2
    exit 1
  }
}
tool_bulk() {
  "$device" "$1" <"$BENCH_WORK/list" >"$BENCH_WORK/tool.out"
  [ "$(jq -s '[.[] | select(.changed == true)] | length' "$BENCH_WORK/tool.out")" = "$devices" ] || {
    echo "bench: clm-device $1 did not change every device" >&2
    exit 1
  }
}
# The last request line of the server log: its milliseconds.
last_server_ms() {
  sleep 0.2 # the log line follows the answer
  grep 'POST /SWCLM/DeviceInfo' "$log" | tail -n 1 | sed -E 's/.* ([0-9.]+)ms$/\1/'
}
median() {
  sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

: >"$BENCH_WORK/tool.ms"
: >"$BENCH_WORK/curl.ms"
: >"$BENCH_WORK/server.ms"
for ((r = 0; r < rounds; r++)); do
  bench_wall_ms tool_bulk disable >>"$BENCH_WORK/tool.ms"
  last_server_ms >>"$BENCH_WORK/server.ms"
  bench_wall_ms tool_bulk enable >>"$BENCH_WORK/tool.ms"
  bench_wall_ms curl_bulk disable >>"$BENCH_WORK/curl.ms"
  bench_wall_ms curl_bulk enable >>"$BENCH_WORK/curl.ms"
done
tool_ms=$(median <"$BENCH_WORK/tool.ms")
curl_ms=$(median <"$BENCH_WORK/curl.ms")
server_ms=$(median <"$BENCH_WORK/server.ms")
requests=$(grep -c 'POST /SWCLM/DeviceInfo' "$log")

# One request per device, as a script calling curl in a loop would: 200 of them, extrapolated.
head -n 200 "$BENCH_WORK/list" >"$BENCH_WORK/list200"
one_by_one() {
  local name
  while read -r name; do
    curl -sSf -K "$BENCH_WORK/admin.curl" --cacert "$CLM_CACERT" -H 'Content-Type: application/json' \
      --data-binary "{\"mode\":\"$1\",\"devicename\":\"$name\"}" "$url" >/dev/null
  done <"$BENCH_WORK/list200"
}
single_ms=$(bench_wall_ms one_by_one disable)
one_by_one enable
single_all_ms=$((single_ms * devices / 200))

# The reports, server-side time (median of 5 each).
report_ms() {
  local body=$1 i
  for ((i = 0; i < 5; i++)); do
    curl -sSf -K "$BENCH_WORK/admin.curl" --cacert "$CLM_CACERT" -H 'Content-Type: application/json' \
      --data-binary "$body" "$url" >/dev/null
    last_server_ms
  done | median
}
"$device" group set bench --rotate-days 1 >/dev/null
"$device" group add bench <"$BENCH_WORK/list" >/dev/null
summary_ms=$(report_ms '{"mode":"summary"}')
report_page_ms=$(report_ms '{"mode":"report","within_days":"400","limit":"1000"}')
due_ms=$(report_ms '{"mode":"due","group":"bench","limit":"1000"}')

printf '%s devices (clm-server seed: %.1f s), median of %s rounds\n' "$devices" \
  "$(awk -v ms="$seed_ms" 'BEGIN { print ms / 1000 }')" "$rounds"
printf '%-52s %10s %10s %8s\n' "" "clm-device" "curl" "ratio"
printf '%-52s %10s %10s %8s\n' "disable or enable of every device, ms" "$tool_ms" "$curl_ms" \
  "$(awk -v a="$tool_ms" -v b="$curl_ms" 'BEGIN { printf "%.2fx", a / b }')"
printf '%-52s %10s\n' "  of which the server (its log), ms" "$server_ms"
printf '%-52s %10s\n' "  HTTP requests for all rounds" "$requests"
printf '%-52s %10s %10s %8s\n' "one request per device (curl, from 200), ms" "" "$single_all_ms" \
  "$(awk -v a="$tool_ms" -v b="$single_all_ms" 'BEGIN { printf "%.3fx", a / b }')"
printf '%-52s %10s\n' "summary (server, median of 5), ms" "$summary_ms"
printf '%-52s %10s\n' "report, first page of 1000 (server), ms" "$report_page_ms"
printf '%-52s %10s\n' "due of a group of every device (server), ms" "$due_ms"
