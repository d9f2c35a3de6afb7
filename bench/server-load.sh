#!/usr/bin/env bash
# Benchmark: requests per second and latency of clm-server under wrk (HTTPS, keep-alive),
# beside nginx serving a static JSON file of the same size over HTTPS on the same
# loopback (the HTTPS ceiling of this machine). Endpoints: GET /SWCLM/SystemStatus (no
# license), GET /SWCLM/IDInfo?keyid= (license; the admin key when the data directory has
# one) and POST /SWCLM/KeyInfo mode get (a key made first by a real create). Each at 16
# and 200 connections, and at 16 while 1,000 idle TCP connections are held open.
# Prints figures and ratios to nginx; asserts nothing.
#
#   bench/server-load.sh [SECONDS]        (default 10 per wrk run)
#   CLM_SERVER=/path/clm-server           the server measured (default: the build's)
#   CLM_SERVER_BEFORE=/path/clm-server    a second server measured in the same run,
#                                         printed on the row under the first
#   CLM_BENCH_SETUPS="sqlite postgresql haproxy"
#                                         stores measured (default sqlite): "postgresql"
#                                         is one server on a PostgreSQL database of a
#                                         local cluster (fsync on), "haproxy" two such
#                                         servers on one database behind haproxy (tcp)
#   CLM_BENCH_CONNS="16 200 16+1000i"     the rows (default: all three)
#   CLM_BENCH_TARGETS="status idinfo keyget keycreate"
#                                         the endpoints (default: all four; key create
#                                         issues a key per request, answered once durable)
#   CLM_BENCH_SERVE_ARGS="--workers 4"   extra options of clm-server serve (every server)
#   CLM_BENCH_PERF=DIR                    record a call-graph profile of the server during
#                                         each of its rows (perf record; CLM_BENCH_PERF_CALLGRAPH=dwarf for a
#                                         build without frame pointers), one file per
#                                         row in DIR; read with perf report -i FILE
# Scale-out figures: CLM_BENCH_SETUPS="sqlite postgresql haproxy" CLM_BENCH_CONNS=200
# CLM_BENCH_TARGETS="keyget keycreate" bench/server-load.sh 60
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
clm_install_deps "${CLM_BENCH_PACKAGES[@]}"
. "$(dirname "$0")/lib.sh"
for cmd in wrk nginx python3 openssl haproxy; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is missing" >&2; exit 1; }
done

secs=${1:-10}
idle_n=1000
bench_dir=$(cd "$(dirname "$0")" && pwd)
lua=$bench_dir/wrk-request.lua
hostile=$bench_dir/hostile.py
# Each connection is a descriptor in the server: 1,000 idle plus 200 measured, with room.
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
  ulimit -n 4096 || { echo "bench: cannot raise the open-file limit to 4096 (ulimit -Hn)" >&2; exit 1; }
fi

servers=("clm:$CLM_SERVER")
if [ -n "${CLM_SERVER_BEFORE:-}" ]; then
  [ -x "$CLM_SERVER_BEFORE" ] || { echo "bench: CLM_SERVER_BEFORE=$CLM_SERVER_BEFORE is not executable" >&2; exit 1; }
  servers+=("before:$CLM_SERVER_BEFORE")
fi

results=$BENCH_WORK/results
: >"$results"

# measure SERVER TARGET CONNS URL [IDLE]: one wrk run (the request comes from the
# CLM_WRK_* variables), with IDLE idle TCP connections held open meanwhile; appends a
# line "SERVER|TARGET|CONNS|req/s|p50 ms|p99 ms|non-2xx|socket errors|note" to results.
measure() {
  local server=$1 target=$2 conns=$3 url=$4 idle=${5:-0} label=$3 note='' hold_pid='' line
  local port=${url#https://127.0.0.1:}
  port=${port%%/*}
  if [ "$idle" -gt 0 ]; then
    label="$conns+${idle}i"
    timeout $((secs + 60)) python3 "$hostile" idle 127.0.0.1 "$port" "$idle" $((secs + 30)) >"$BENCH_WORK/idle.out" &
    hold_pid=$!
    bench_track "$hold_pid"
    for _ in $(seq 300); do
      grep -q '^ready' "$BENCH_WORK/idle.out" && break
      sleep 0.1
    done
    note=$(grep '^ready' "$BENCH_WORK/idle.out" | sed 's/^ready /idle connected: /')
  fi
  local perf_pid=''
  if [ -n "${CLM_BENCH_PERF:-}" ] && [ -n "$BENCH_SERVER_PID" ]; then
    mkdir -p "$CLM_BENCH_PERF"
    perf record -q --call-graph "${CLM_BENCH_PERF_CALLGRAPH:-fp}" -F 499 -p "$BENCH_SERVER_PID" \
      -o "$CLM_BENCH_PERF/$server-${target// /-}-$label.data" -- sleep "$secs" 2>/dev/null &
    perf_pid=$!
  fi
  wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$lua" "$url" >"$BENCH_WORK/wrk.out" 2>&1 || true
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" || true
  fi
  if [ -n "$hold_pid" ]; then
    bench_stop "$hold_pid"
  fi
  line=$(grep '^clm-wrk-result' "$BENCH_WORK/wrk.out" || true)
  if [ -z "$line" ]; then
    echo "bench: wrk failed against $url:" >&2
    cat "$BENCH_WORK/wrk.out" >&2
    echo "$server|$target|$label|-|-|-|-|-|wrk failed" >>"$results"
    return 0
  fi
  awk -v server="$server" -v target="$target" -v label="$label" -v note="$note" '
    { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
    END {
      if (v["requests"] == 0) note = (note == "" ? "" : note "; ") "nothing answered"
      if (v["non2xx"] > 0) note = (note == "" ? "" : note "; ") "error answers: not a measure of the endpoint"
      printf "%s|%s|%s|%.1f|%.2f|%.2f|%d|%d|%s\n", server, target, label,
        v["requests"] * 1e6 / v["duration_us"], v["p50_us"] / 1000, v["p99_us"] / 1000,
        v["non2xx"], v["connect"] + v["read"] + v["write"] + v["timeout"], note
    }' <<<"$line" >>"$results"
}

read -r -a setups <<<"${CLM_BENCH_SETUPS:-sqlite}"
read -r -a conns_rows <<<"${CLM_BENCH_CONNS:-16 200 16+1000i}"
targets=" ${CLM_BENCH_TARGETS:-status idinfo keyget keycreate} "

# measure_all SERVER TARGET URL: a row for each of CLM_BENCH_CONNS ("N+1000i": N with
# the idle connections held).
measure_all() {
  local row
  for row in "${conns_rows[@]}"; do
    case $row in
    *+*i) measure "$1" "$2" "${row%%+*}" "$3" "$idle_n" ;;
    *) measure "$1" "$2" "$row" "$3" ;;
    esac
  done
}

# wants TARGET: TARGET is among CLM_BENCH_TARGETS.
wants() {
  [[ $targets == *" $1 "* ]]
}

# start_second_and_haproxy TAG: a second server on data dir BENCH_WORK/TAG (a PostgreSQL
# store: no lock on the directory) and haproxy in TCP mode balancing the two; CLM_PORT
# becomes haproxy's.
start_second_and_haproxy() {
  local tag=$1 port2 hp
  rm -f "$BENCH_WORK/port2"
  "$CLM_SERVER" serve --data-dir "$BENCH_WORK/$tag" --listen 127.0.0.1:0 --port-file "$BENCH_WORK/port2" ${CLM_BENCH_SERVE_ARGS:-} \
    2>"$BENCH_WORK/$tag.2.log" &
  bench_track $!
  setup_pids+=($!)
  for _ in $(seq 200); do
    [ -s "$BENCH_WORK/port2" ] && break
    sleep 0.05
  done
  port2=$(cat "$BENCH_WORK/port2")
  hp=$(free_port)
  cat >"$BENCH_WORK/haproxy.cfg" <<EOF
global
  maxconn 8000
defaults
  mode tcp
  timeout connect 1s
  timeout client 60s
  timeout server 60s
  retries 3
  option redispatch
listen clm
  bind 127.0.0.1:$hp
  balance roundrobin
  server a 127.0.0.1:$CLM_PORT check inter 500
  server b 127.0.0.1:$port2 check inter 500
EOF
  haproxy -f "$BENCH_WORK/haproxy.cfg" -db >"$BENCH_WORK/haproxy.log" 2>&1 &
  bench_track $!
  setup_pids+=($!)
  for _ in $(seq 100); do
    (: <"/dev/tcp/127.0.0.1/$hp") 2>/dev/null && break
    sleep 0.05
  done
  CLM_PORT=$hp
}

sizes=
rss_notes=
for entry in "${servers[@]}"; do
 for setup in "${setups[@]}"; do
  tag=${entry%%:*}
  CLM_SERVER=${entry#*:}
  store=() setup_pids=()
  case $setup in
  sqlite) ;;
  postgresql)
    bench_pg_database "${tag}_pg" pg_uri
    store=(--store "$pg_uri") tag+=-pg
    ;;
  haproxy)
    bench_pg_database "${tag}_2pg" pg_uri
    store=(--store "$pg_uri") tag+=-2pg
    ;;
  *) echo "bench: CLM_BENCH_SETUPS: unknown setup $setup" >&2; exit 1 ;;
  esac
  "$CLM_SERVER" init --data-dir "$BENCH_WORK/$tag" --key-type ec-p256 "${store[@]}" >/dev/null \
    2>"$BENCH_WORK/$tag.init.log"
  # shellcheck disable=SC2086 # word splitting of the extra options is intended
  bench_start_server "$tag" ${CLM_BENCH_SERVE_ARGS:-}
  if [ "$setup" = haproxy ]; then
    start_second_and_haproxy "$tag"
  fi
  base="https://$CLM_HOST:$CLM_PORT/SWCLM"
  license_files "$CLM_LICENSE_KEY_FILE" "$tag.license"
  # GET IDInfo is a fleet-wide request: it takes the admin license key where there is one.
  admin=$BENCH_WORK/$tag/admin.key
  [ -f "$admin" ] || admin=$CLM_LICENSE_KEY_FILE
  license_files "$admin" "$tag.admin"

  id=$(post "$BENCH_WORK/$tag.license.curl" "$base/IDInfo" '{"mode":"create","tenantid":"bench","alias":"bench"}')
  keyid=$(jq -r .keyid <<<"$id")
  created=$(post "$BENCH_WORK/$tag.license.curl" "$base/KeyInfo" "$(jq -c -n --argjson id "$id" '
    {mode: "create", keyid: $id.keyid, key: $id.key, devicename: "bench", alias: "bench",
     keytype: "AES", keylength: "128", keyfilepath: "/tmp/key", commonkeyfilepath: "/tmp/bench"}')")
  jq -c -n --argjson id "$id" --argjson k "$created" '
    {mode: "get", keyid: $id.keyid, key: $id.key, devicename: "bench", deviceid: $k.deviceid,
     devicekey: $k.devicekey, keynumber: $k.keynumber, filepath: "/tmp/bench"}' >"$BENCH_WORK/$tag.get.json"
  jq -c -n --argjson id "$id" --argjson k "$created" '
    {mode: "create", keyid: $id.keyid, key: $id.key, devicename: "bench", deviceid: $k.deviceid,
     devicekey: $k.devicekey, alias: "bench", keytype: "AES", keylength: "128", keyfilepath: "/tmp/key",
     commonkeyfilepath: "/tmp/bench"}' >"$BENCH_WORK/$tag.create.json"

  # The size of each answer, once: nginx serves a file as large as the IDInfo one.
  if [ -z "$sizes" ]; then
    status_size=$(curl -sSf --cacert "$CLM_CACERT" -o /dev/null -w '%{size_download}' "$base/SystemStatus")
    id_size=$(curl -sSf -K "$BENCH_WORK/$tag.admin.curl" --cacert "$CLM_CACERT" -o /dev/null -w '%{size_download}' "$base/IDInfo?keyid=$keyid")
    key_size=$(curl -sSf -K "$BENCH_WORK/$tag.license.curl" --cacert "$CLM_CACERT" -H 'Content-Type: application/json' \
      --data-binary "@$BENCH_WORK/$tag.get.json" -o /dev/null -w '%{size_download}' "$base/KeyInfo")
    sizes="SystemStatus $status_size B, IDInfo $id_size B, KeyInfo get $key_size B"
  fi

  if wants status; then
    CLM_WRK_METHOD=GET CLM_WRK_BODY='' CLM_WRK_AUTH='' measure_all "$tag" SystemStatus "$base/SystemStatus"
  fi
  if wants idinfo; then
    CLM_WRK_METHOD=GET CLM_WRK_BODY='' CLM_WRK_AUTH=$BENCH_WORK/$tag.admin.auth \
      measure_all "$tag" "IDInfo GET" "$base/IDInfo?keyid=$keyid"
  fi
  if wants keyget; then
    CLM_WRK_METHOD=POST CLM_WRK_BODY=$BENCH_WORK/$tag.get.json CLM_WRK_AUTH=$BENCH_WORK/$tag.license.auth \
      measure_all "$tag" "KeyInfo get" "$base/KeyInfo"
  fi
  if wants keycreate; then
    CLM_WRK_METHOD=POST CLM_WRK_BODY=$BENCH_WORK/$tag.create.json CLM_WRK_AUTH=$BENCH_WORK/$tag.license.auth \
      measure_all "$tag" "KeyInfo create" "$base/KeyInfo"
  fi
  rss_notes+="$tag RSS after its runs (now/peak KiB): $(bench_server_rss_kb)"$'\n'
  bench_stop_server
  for pid in "${setup_pids[@]}"; do
    bench_stop "$pid"
  done
 done
done

# nginx: a static JSON file as large as the IDInfo answer.
bench_start_nginx answer.json "$id_size" '{"errorcode":0}' application/json
CLM_WRK_METHOD=GET CLM_WRK_BODY='' CLM_WRK_AUTH='' measure_all nginx "static $id_size B file" "$ng_url"

printf '\nclm-server under wrk -t2 --latency, %d s per row, HTTPS keep-alive on loopback (2 cores shared by wrk, the server and the idle clients)\n' "$secs"
printf 'clm: %s\n' "${servers[0]#*:}"
if [ ${#servers[@]} -gt 1 ]; then
  printf 'before: %s\n' "${servers[1]#*:}"
fi
printf 'answers: %s\n' "$sizes"
printf 'connections "16+1000i": 16 measured while 1,000 idle TCP connections are held open\n\n'
awk -F'|' '
  { row[NR] = $0; if ($1 == "nginx") ng[$3] = $4 }
  END {
    printf "%-7s %-22s %-9s %10s %9s %9s %8s %8s %9s  %s\n", "server", "target", "conns", "req/s", "p50 ms", "p99 ms", "non-2xx", "sockerr", "vs nginx", "note"
    n = 0
    # nginx first, then each target with the servers one under the other.
    for (i = 1; i <= NR; i++) { split(row[i], f, "|"); if (f[1] == "nginx") order[++n] = i }
    for (i = 1; i <= NR; i++) {
      split(row[i], f, "|")
      if (f[1] == "nginx" || done[i]) continue
      for (j = i; j <= NR; j++) {
        split(row[j], g, "|")
        if (!done[j] && g[1] != "nginx" && g[2] == f[2] && g[3] == f[3]) { order[++n] = j; done[j] = 1 }
      }
    }
    for (k = 1; k <= n; k++) {
      split(row[order[k]], f, "|")
      ratio = (f[4] != "-" && ng[f[3]] > 0) ? sprintf("%.3fx", f[4] / ng[f[3]]) : "-"
      printf "%-7s %-22s %-9s %10s %9s %9s %8s %8s %9s  %s\n", f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], ratio, f[9]
    }
  }' "$results"
printf '\n%s' "$rss_notes"
