#!/usr/bin/env bash
# Benchmark: wall time of one `clm-id get` (process start to exit) against a local
# clm-server, side by side with curl doing the same HTTPS request; peak RSS of
# clm-id and of the server. Prints figures and ratios; asserts nothing.
#
#   bench/id-get.sh [RUNS]        (default 200; build first with scripts/build)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$(dirname "$0")/lib.sh"

runs=${1:-200}
bench_start_server
cid=$CLM_BUILD_DIR/tools/clm-id
keyid=$("$cid" create --alias bench-gw | tee "$BENCH_WORK/create.json" | "$cid" verify | jq -r .keyid)

# GET /SWCLM/IDInfo needs the admin license key: both clients use it. curl reads it
# from a config file, so it is not on a command line either.
export CLM_LICENSE_KEY_FILE=$BENCH_ADMIN_KEY_FILE
printf 'user = "secureware-clm:%s"\n' "$(cat "$CLM_LICENSE_KEY_FILE")" >"$BENCH_WORK/curl.conf"
chmod 600 "$BENCH_WORK/curl.conf"
url="https://$CLM_HOST:$CLM_PORT/SWCLM/IDInfo?keyid=$keyid"

clm_ms=$(bench_median_ms "$runs" "$cid" get --keyid "$keyid")
curl_ms=$(bench_median_ms "$runs" curl -sf -K "$BENCH_WORK/curl.conf" --cacert "$CLM_CACERT" "$url")
clm_rss=$(bench_peak_rss_kb "$cid" get --keyid "$keyid")
curl_rss=$(bench_peak_rss_kb curl -sf -K "$BENCH_WORK/curl.conf" --cacert "$CLM_CACERT" "$url")
server_rss=$(bench_server_rss_kb)

printf '\nclm-id get against a local clm-server (%d runs each, median of process start to exit)\n' "$runs"
printf '%-28s %10s %12s\n' "" "median ms" "peak RSS KiB"
printf '%-28s %10s %12s\n' "clm-id get --keyid" "$clm_ms" "$clm_rss"
printf '%-28s %10s %12s\n' "curl (same request)" "$curl_ms" "$curl_rss"
printf '%-28s %10s\n' "ratio clm-id / curl" "$(awk -v a="$clm_ms" -v b="$curl_ms" 'BEGIN { printf "%.2fx", a / b }')"
printf '%-28s %10s %12s\n' "clm-server at rest" "" "$server_rss"
