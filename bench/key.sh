#!/usr/bin/env bash
# Benchmark: common keys issued per second against a local clm-server (one
# `clm-key create` process per key; one client, then four at once), the median wall
# time and peak RSS of one `clm-key get`, each beside curl sending the same request
# (the cost of HTTPS and the server alone) and beside the floor, a C program that only
# links libcurl and OpenSSL and sends it (bench/https-floor.cpp); then TWINE-128 beside
# AES-128 (bench/cipher-speed.sh).
# Prints figures and ratios; asserts nothing.
#
#   bench/key.sh [KEYS]     (default 200; build first with scripts/build)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$(dirname "$0")/lib.sh"

n=${1:-200}
key=$CLM_BUILD_DIR/tools/clm-key
bench_start_server keys --key-type ec-p256
"$CLM_BUILD_DIR/tools/clm-id" create --alias bench | "$CLM_BUILD_DIR/tools/clm-id" verify >/dev/null
out=$BENCH_WORK/out
mkdir -p "$out"
first=$("$key" create --device bench --alias bench --type AES --out "$out")
keynumber=$(jq -r .keynumber <<<"$first")
deviceid=$(jq -r .deviceid <<<"$first")

# create_many DIR COUNT: COUNT AES-128 keys for device bench into DIR.
create_many() {
  local dir=$1 count=$2 i
  mkdir -p "$dir"
  for ((i = 0; i < count; i++)); do
    "$key" create --device bench --alias "bench$i" --type AES --out "$dir" --name "k$i" >/dev/null
  done
}

# The same requests for curl: license in a config file, ID and deviceid in the bodies.
printf 'user = "secureware-clm:%s"\n' "$(cat "$CLM_LICENSE_KEY_FILE")" >"$BENCH_WORK/curl.conf"
chmod 600 "$BENCH_WORK/curl.conf"
id=$(cat "$CLM_STATE_DIR/id.json")
devicekey=$(jq -r .bench.devicekey "$CLM_STATE_DIR/devices.json")
body() {
  jq -c -n --argjson id "$id" --arg d "$deviceid" --arg k "$devicekey" --arg kn "$keynumber" --arg mode "$1" '
    {mode: $mode, keyid: $id.keyid, key: $id.key, deviceid: $d, devicekey: $k, devicename: "bench",
     alias: "curl", keytype: "AES", keylength: "128", keyfilepath: "/tmp/key",
     commonkeyfilepath: "/tmp/curl", keynumber: $kn, filepath: "/tmp/curl"}'
}
body create >"$BENCH_WORK/create.json"
body get >"$BENCH_WORK/get.json"
url="https://$CLM_HOST:$CLM_PORT/SWCLM/KeyInfo"
curl_post() {
  curl -sf -K "$BENCH_WORK/curl.conf" --cacert "$CLM_CACERT" -H 'Content-Type: application/json' \
    --data-binary "@$1" "$url" >/dev/null
}
curl_many() {
  local count=$1 i
  for ((i = 0; i < count; i++)); do
    curl_post "$BENCH_WORK/create.json"
  done
}

ms=$(bench_wall_ms create_many "$out/seq" "$n")
seq_rate=$(awk -v n="$n" -v ms="$ms" 'BEGIN { printf "%.1f", n * 1000 / ms }')
ms=$(bench_wall_ms curl_many "$n")
curl_rate=$(awk -v n="$n" -v ms="$ms" 'BEGIN { printf "%.1f", n * 1000 / ms }')

# Four clients at once, each with a state directory of its own (the state lock
# serializes runs on one directory).
for w in 1 2 3 4; do
  cp -r "$CLM_STATE_DIR" "$CLM_STATE_DIR.$w"
done
t0=$(date +%s%N)
pids=()
for w in 1 2 3 4; do
  CLM_STATE_DIR=$CLM_STATE_DIR.$w create_many "$out/par$w" $((n / 4)) &
  pids+=($!)
done
wait "${pids[@]}" # not the server, which runs in the background too
t1=$(date +%s%N)
par_rate=$(awk -v n=$((n / 4 * 4)) -v ns=$((t1 - t0)) 'BEGIN { printf "%.1f", n * 1e9 / ns }')

# The floor: a C program that only links libcurl and OpenSSL and sends the same request.
floor=$CLM_BUILD_DIR/bench/clm-bench-https-floor
printf 'secureware-clm:%s\n' "$(cat "$CLM_LICENSE_KEY_FILE")" >"$BENCH_WORK/userpwd"
chmod 600 "$BENCH_WORK/userpwd"
floor_post() {
  CLM_BENCH_USERPWD_FILE=$BENCH_WORK/userpwd "$floor" "$url" "$CLM_CACERT" "$1"
}

# A request that fails would measure the wrong thing: check that curl's is answered.
curl_post "$BENCH_WORK/get.json" || { echo "bench: curl's get request failed" >&2; exit 1; }
get_ms=$(bench_median_ms 50 "$key" get --device bench --keynumber "$keynumber" --out "$out" --name again)
curl_get_ms=$(bench_median_ms 50 curl_post "$BENCH_WORK/get.json")
floor_get_ms=$(bench_median_ms 50 floor_post "$BENCH_WORK/get.json")
# What the writes' durability costs (the fsyncs of the key file, its sidecar and the
# directory; curl writes nothing durable), and what start-up alone costs each program.
nosync_get_ms=$(LD_PRELOAD=$CLM_BUILD_DIR/bench/libclm-bench-nosync.so bench_median_ms 50 \
  "$key" get --device bench --keynumber "$keynumber" --out "$out" --name again)
start_ms=$(bench_median_ms 50 "$key" --version)
curl_start_ms=$(bench_median_ms 50 curl --version)
client_rss=$(bench_peak_rss_kb "$key" get --device bench --keynumber "$keynumber" --out "$out" --name again)
curl_rss=$(bench_peak_rss_kb curl -sf -K "$BENCH_WORK/curl.conf" --cacert "$CLM_CACERT" \
  -H 'Content-Type: application/json' --data-binary "@$BENCH_WORK/get.json" "$url")
floor_rss=$(bench_peak_rss_kb env CLM_BENCH_USERPWD_FILE="$BENCH_WORK/userpwd" "$floor" "$url" "$CLM_CACERT" \
  "$BENCH_WORK/get.json")
server_rss=$(bench_server_rss_kb)

printf '\nclm-key against a local clm-server (%d keys per row; 2 cores shared by client and server)\n' "$n"
printf '%-34s %14s %14s %10s\n' "" "clm-key" "curl" "ratio"
printf '%-34s %14s %14s %10s\n' "AES-128 keys issued/s, 1 client" "$seq_rate" "$curl_rate" \
  "$(awk -v a="$seq_rate" -v b="$curl_rate" 'BEGIN { printf "%.2fx", a / b }')"
printf '%-34s %14s\n' "AES-128 keys issued/s, 4 clients" "$par_rate"
printf '%-34s %14s %14s %10s\n' "get, median ms" "$get_ms" "$curl_get_ms" \
  "$(awk -v a="$get_ms" -v b="$curl_get_ms" 'BEGIN { printf "%.2fx", a / b }')"
printf '%-34s %14s %14s %10s\n' "get, fsync made a no-op, median ms" "$nosync_get_ms" "$curl_get_ms" \
  "$(awk -v a="$nosync_get_ms" -v b="$curl_get_ms" 'BEGIN { printf "%.2fx", a / b }')"
printf '%-34s %14s %14s %10s\n' "start-up only (--version), ms" "$start_ms" "$curl_start_ms" \
  "$(awk -v a="$start_ms" -v b="$curl_start_ms" 'BEGIN { printf "%.2fx", a / b }')"
printf '%-34s %14s %14s %10s\n' "get, peak RSS KiB" "$client_rss" "$curl_rss" \
  "$(awk -v a="$client_rss" -v b="$curl_rss" 'BEGIN { printf "%.2fx", a / b }')"
printf '%-34s %14s %14s %10s\n' "floor: C + libcurl, one request" "$floor_get_ms ms" "$floor_rss KiB" \
  "$(awk -v a="$client_rss" -v b="$floor_rss" 'BEGIN { printf "%.2fx RSS", a / b }')"
printf '%-34s %14s\n' "clm-server RSS KiB (now/peak)" "$server_rss"

"$(dirname "$0")/cipher-speed.sh"
