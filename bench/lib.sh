# Shared by the benchmark scripts: a local clm-server and measuring helpers.
# shellcheck shell=bash

for cmd in jq curl /usr/bin/time; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is missing; run scripts/setup" >&2; exit 1; }
done
[ -x "$CLM_BUILD_DIR/server/clm-server" ] || { echo "bench: build first (scripts/build)" >&2; exit 1; }

BENCH_WORK=$(mktemp -d)
BENCH_SERVER_PID=
bench_cleanup() {
  if [ -n "$BENCH_SERVER_PID" ]; then
    kill -TERM "$BENCH_SERVER_PID" 2>/dev/null && wait "$BENCH_SERVER_PID" 2>/dev/null
  fi
  rm -rf "$BENCH_WORK"
}
trap bench_cleanup EXIT

# Start clm-server on 127.0.0.1:0 in BENCH_WORK and export the CLM_* client settings.
bench_start_server() {
  "$CLM_BUILD_DIR/server/clm-server" serve --data-dir "$BENCH_WORK/server" --listen 127.0.0.1:0 \
    --port-file "$BENCH_WORK/port" 2>"$BENCH_WORK/server.log" &
  BENCH_SERVER_PID=$!
  for _ in $(seq 200); do
    [ -s "$BENCH_WORK/port" ] && break
    sleep 0.05
  done
  [ -s "$BENCH_WORK/port" ] || { cat "$BENCH_WORK/server.log" >&2; exit 1; }
  export CLM_HOST=127.0.0.1 CLM_PORT
  CLM_PORT=$(cat "$BENCH_WORK/port")
  export CLM_CACERT=$BENCH_WORK/server/tls/ca.pem
  export CLM_LICENSE_KEY_FILE=$BENCH_WORK/server/license.key
  export CLM_STATE_DIR=$BENCH_WORK/state
  export CLM_CONFIG=/dev/null
}

# Print the median wall time in milliseconds of RUNS runs of a command (output discarded).
bench_median_ms() {
  local runs=$1 i t0 t1
  shift
  "$@" >/dev/null  # warm-up
  for ((i = 0; i < runs; i++)); do
    t0=$(date +%s%N)
    "$@" >/dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
  done | sort -n | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2f", m / 1000 }'
}

# Print the peak resident set size in KiB of one run of a command.
bench_peak_rss_kb() {
  /usr/bin/time -f '%M' "$@" 2>&1 >/dev/null | tail -n 1
}

# Print the server's current and peak RSS in KiB ("current/peak").
bench_server_rss_kb() {
  awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { printf "%s/%s", r, h }' "/proc/$BENCH_SERVER_PID/status"
}
