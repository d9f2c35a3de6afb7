# Shared by the benchmark scripts: a local clm-server and measuring helpers.
# shellcheck shell=bash

for cmd in jq curl /usr/bin/time; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is missing; run scripts/setup" >&2; exit 1; }
done
# The server measured: CLM_SERVER, else the build's. The load scripts also take
# CLM_SERVER_BEFORE, a second binary measured in the same run (bench/server-load.sh).
CLM_SERVER=${CLM_SERVER:-$CLM_BUILD_DIR/server/clm-server}
[ -x "$CLM_SERVER" ] || { echo "bench: $CLM_SERVER is missing; build first (scripts/build) or set CLM_SERVER" >&2; exit 1; }

# Work files live under the build directory unless BENCH_TMPDIR says otherwise: on some
# machines /tmp is far slower at creating files than the disk it sits on, which would
# measure /tmp instead of clm.
mkdir -p "${BENCH_TMPDIR:=$CLM_BUILD_DIR/bench-work}"
BENCH_WORK=$(mktemp -d "$BENCH_TMPDIR/run.XXXXXX")
BENCH_SERVER_PID=
BENCH_PIDS=()
BENCH_PG_CLUSTER=
bench_cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}" ${BENCH_SERVER_PID:+"$BENCH_SERVER_PID"}; do
    bench_stop "$pid"
  done
  if [ -n "$BENCH_PG_CLUSTER" ]; then
    "$CLM_ROOT/scripts/pg-cluster" stop "$BENCH_PG_CLUSTER" >/dev/null 2>&1 || true
  fi
  rm -rf "$BENCH_WORK"
}

# bench_pg_database NAME VAR: set VAR to the URI of a fresh PostgreSQL database NAME, in
# a cluster of this run (scripts/pg-cluster: Debian's PostgreSQL 15, default settings,
# fsync on, unix socket; started at the first call, stopped at exit). Not to be called
# in a $(...) subshell, which would start a cluster of its own that no trap stops.
bench_pg_database() {
  local uri
  if [ -z "$BENCH_PG_CLUSTER" ]; then
    BENCH_PG_CLUSTER=$(mktemp -d /tmp/clm-pg.XXXXXX)
    rmdir "$BENCH_PG_CLUSTER"
    "$CLM_ROOT/scripts/pg-cluster" start "$BENCH_PG_CLUSTER" >/dev/null
  fi
  uri=$("$CLM_ROOT/scripts/pg-cluster" createdb "$BENCH_PG_CLUSTER" "$1")
  printf -v "$2" '%s' "$uri"
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Remember a background pid, which the EXIT trap ends if it still runs.
bench_track() {
  BENCH_PIDS+=("$1")
}

# bench_stop PID: TERM PID, give it 5 s, then KILL it, and reap it.
bench_stop() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Stop the server bench_start_server started, if any.
bench_stop_server() {
  if [ -n "$BENCH_SERVER_PID" ]; then
    bench_stop "$BENCH_SERVER_PID"
    BENCH_SERVER_PID=
  fi
}

# bench_start_server [NAME [SERVE ARGS...]]: stop the server started before (if any),
# start $CLM_SERVER on 127.0.0.1:0 with data dir BENCH_WORK/NAME, and export the CLM_*
# client settings for it (state dir BENCH_WORK/NAME.state).
bench_start_server() {
  local name=${1:-server}
  shift || true
  bench_stop_server
  rm -f "$BENCH_WORK/port"
  "$CLM_SERVER" serve --data-dir "$BENCH_WORK/$name" --listen 127.0.0.1:0 \
    --port-file "$BENCH_WORK/port" "$@" 2>"$BENCH_WORK/$name.log" &
  BENCH_SERVER_PID=$!
  for _ in $(seq 200); do
    [ -s "$BENCH_WORK/port" ] && break
    sleep 0.05
  done
  [ -s "$BENCH_WORK/port" ] || { cat "$BENCH_WORK/$name.log" >&2; exit 1; }
  export CLM_HOST=127.0.0.1 CLM_PORT
  CLM_PORT=$(cat "$BENCH_WORK/port")
  export CLM_CACERT=$BENCH_WORK/$name/tls/ca.pem
  export CLM_LICENSE_KEY_FILE=$BENCH_WORK/$name/license.key
  # The operator's key, which GET /SWCLM/IDInfo needs.
  export BENCH_ADMIN_KEY_FILE=$BENCH_WORK/$name/admin.key
  export CLM_STATE_DIR=$BENCH_WORK/$name.state
  export CLM_CONFIG=/dev/null
}

# Print the wall time in milliseconds of one run of a command.
bench_wall_ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$@"
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
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

# Print a free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_start_nginx FILE BYTES PREFIX TYPE: the HTTPS baseline. nginx with its own
# throwaway configuration, certificate (for 127.0.0.1) and document root under
# BENCH_WORK/nginx, in the foreground (master + one worker per core, ended by the EXIT
# trap), serving FILE: BYTES bytes that start with PREFIX (no / or \ in it), as content
# type TYPE. With BENCH_NGINX_LOG=1 its access log (BENCH_WORK/nginx/access.log, emptied
# once nginx answers) has one line per request, "errorcode= SECONDS" ($request_time, its
# server-side time); otherwise it is off. Sets ng (the directory), ng_port and ng_url.
bench_start_nginx() {
  local file=$1 bytes=$2 prefix=$3 type=$4 log='access_log off;' i
  ng=$BENCH_WORK/nginx
  mkdir -p "$ng/www" "$ng/tmp"
  head -c "$bytes" /dev/zero | tr '\0' ' ' | sed "s/^ \{${#prefix}\}/$prefix/" >"$ng/www/$file"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$ng/key.pem" -out "$ng/cert.pem" 2>/dev/null
  [ "${BENCH_NGINX_LOG:-0}" != 1 ] ||
    log="log_format timing 'errorcode= \$request_time'; access_log $ng/access.log timing;"
  ng_port=$(free_port)
  ng_url="https://127.0.0.1:$ng_port/$file"
  cat >"$ng/nginx.conf" <<EOF
daemon off;
worker_processes auto;
user $(id -un) $(id -gn);
pid $ng/nginx.pid;
error_log $ng/error.log;
events { worker_connections 4096; }
http {
  $log
  client_body_temp_path $ng/tmp/body;
  proxy_temp_path $ng/tmp/proxy;
  fastcgi_temp_path $ng/tmp/fastcgi;
  uwsgi_temp_path $ng/tmp/uwsgi;
  scgi_temp_path $ng/tmp/scgi;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$ng_port ssl;
    ssl_certificate $ng/cert.pem;
    ssl_certificate_key $ng/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $ng/www;
    default_type $type;
  }
}
EOF
  nginx -e "$ng/error.log" -p "$ng" -c "$ng/nginx.conf" &
  bench_track $!
  for ((i = 0; i < 100; i++)); do
    curl -sf --cacert "$ng/cert.pem" -o /dev/null "$ng_url" && break
    sleep 0.1
  done
  curl -sf --cacert "$ng/cert.pem" -o /dev/null "$ng_url" || { cat "$ng/error.log" >&2; exit 1; }
  # The requests that found nginx ready are not measured.
  [ ! -f "$ng/access.log" ] || : >"$ng/access.log"
}

# license_files KEYFILE NAME: write BENCH_WORK/NAME.curl (a curl config with the license
# as user) and BENCH_WORK/NAME.auth (the Authorization header value, for wrk), both 0600.
# curl reads the license from a config file, so it is not on a command line either.
license_files() {
  local key_file=$1 name=$2
  printf 'user = "secureware-clm:%s"\n' "$(cat "$key_file")" >"$BENCH_WORK/$name.curl"
  printf 'Basic %s\n' "$(printf 'secureware-clm:%s' "$(cat "$key_file")" | base64 -w0)" >"$BENCH_WORK/$name.auth"
  chmod 600 "$BENCH_WORK/$name.curl" "$BENCH_WORK/$name.auth"
}

# post CURLCONF URL JSON: POST JSON to the server bench_start_server started, print the
# answer (fails on an HTTP error).
post() {
  curl -sSf -K "$1" --cacert "$CLM_CACERT" -H 'Content-Type: application/json' --data-binary "$3" "$2"
}
