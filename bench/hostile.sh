#!/usr/bin/env bash
# Benchmark: clm-server against hostile clients on loopback, a fresh server per input.
# For each input: the server's peak RSS (VmHWM), whether a normal request (GET
# /SWCLM/SystemStatus, curl --max-time 60) is answered while the attack runs and
# after it, in how long, and what the attacker got. The first row, with no attack,
# is the baseline. Every attack is bounded by timeout(1). Prints figures; asserts
# nothing.
#
#   bench/hostile.sh
#   CLM_SERVER=/path/clm-server           the server measured (default: the build's)
#   CLM_SERVER_BEFORE=/path/clm-server    a second server measured in the same run
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$(dirname "$0")/lib.sh"
for cmd in python3 gzip timeout; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is missing" >&2; exit 1; }
done

hostile=$(cd "$(dirname "$0")" && pwd)/hostile.py
servers=("clm:$CLM_SERVER")
if [ -n "${CLM_SERVER_BEFORE:-}" ]; then
  [ -x "$CLM_SERVER_BEFORE" ] || { echo "bench: CLM_SERVER_BEFORE=$CLM_SERVER_BEFORE is not executable" >&2; exit 1; }
  servers+=("before:$CLM_SERVER_BEFORE")
fi

# The bodies, made once (streams, except the two gzip files, which are small).
echo "bench: making the gzip inputs (1 GiB of zeros, 10 M brackets)" >&2
bomb=$BENCH_WORK/bomb.gz
head -c 1G /dev/zero | gzip -9 >"$bomb"
nested=$BENCH_WORK/nested.gz
head -c 10M /dev/zero | tr '\0' '[' | gzip -9 >"$nested"
nested_plain=$BENCH_WORK/nested.json
head -c 900K /dev/zero | tr '\0' '[' >"$nested_plain"
kb() { echo $((($(stat -c %s "$1") + 512) / 1024)); }

results=$BENCH_WORK/results
: >"$results"
out=$BENCH_WORK/attack.out

# Print "yes S" or "no (HTTP code, S)" for one GET SystemStatus taking at most MAX s.
normal_request() {
  local r code t
  r=$(curl -s -o /dev/null --max-time "$1" --cacert "$CLM_CACERT" -w '%{http_code} %{time_total}' \
    "https://$CLM_HOST:$CLM_PORT/SWCLM/SystemStatus" || true)
  code=${r%% *}
  t=$(awk -v t="${r#* }" 'BEGIN { printf "%.2fs", t }')
  if [ "$code" = 200 ]; then echo "yes $t"; else echo "no ($code, $t)"; fi
}

# Wait up to 15 s for a "ready" line from a hostile.py holder.
wait_ready() {
  for _ in $(seq 150); do
    grep -q '^ready' "$out" && return 0
    sleep 0.1
  done
}

# curl_attack SECONDS [CURL ARGS...]: POST to KeyInfo with curl in the background,
# bounded; the attacker's status, seconds and bytes sent land in $out.
curl_attack() {
  local secs=$1
  shift
  timeout "$secs" curl -s -o /dev/null --cacert "$CLM_CACERT" -H 'Content-Type: application/json' \
    -w '%{http_code} %{time_total} %{size_upload}\n' "$@" \
    "https://$CLM_HOST:$CLM_PORT/SWCLM/KeyInfo" >"$out" 2>&1 &
  attack_pid=$!
  bench_track "$attack_pid"
}

# run_input SERVER INPUT LABEL: a fresh server from the template, the attack, a normal
# request during it and one after it; appends "SERVER|LABEL|MB|during|after|attacker".
run_input() {
  local server=$1 input=$2 label=$3 during after got hwm rc
  rm -rf "${BENCH_WORK:?}/$server-$input"
  cp -a "$BENCH_WORK/$server-template" "$BENCH_WORK/$server-$input"
  bench_start_server "$server-$input"
  : >"$out"
  attack_pid=
  case $input in
  rest) ;;
  idle)
    timeout 150 python3 "$hostile" idle 127.0.0.1 "$CLM_PORT" 50 120 >"$out" &
    attack_pid=$!
    bench_track "$attack_pid"
    wait_ready
    ;;
  slow)
    timeout 150 python3 "$hostile" slow-tls 127.0.0.1 "$CLM_PORT" 8 20 120 >"$out" &
    attack_pid=$!
    bench_track "$attack_pid"
    wait_ready
    ;;
  chunked)
    # The body is a stream: head writes it into curl as curl sends it.
    timeout 90 bash -c 'head -c 200M /dev/zero | curl "$@"' _ -s -o /dev/null --cacert "$CLM_CACERT" \
      -H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' -H 'Expect:' -X POST -T - \
      -w '%{http_code} %{time_total} %{size_upload}\n' \
      "https://$CLM_HOST:$CLM_PORT/SWCLM/KeyInfo" >"$out" 2>&1 &
    attack_pid=$!
    bench_track "$attack_pid"
    ;;
  gzip) curl_attack 90 -H 'Content-Encoding: gzip' --data-binary "@$bomb" ;;
  headers)
    timeout 150 python3 "$hostile" headers 127.0.0.1 "$CLM_PORT" 2000000 120 >"$out" 2>&1 &
    attack_pid=$!
    bench_track "$attack_pid"
    ;;
  nested) curl_attack 90 -K "$BENCH_WORK/license.curl" -H 'Content-Encoding: gzip' --data-binary "@$nested" ;;
  nested-plain) curl_attack 90 -K "$BENCH_WORK/license.curl" --data-binary "@$nested_plain" ;;
  esac
  # Bodies get a second to land first; holders are in place already.
  case $input in chunked | gzip | headers | nested | nested-plain) sleep 1 ;; esac
  during=$(normal_request 60)
  if [ -n "$attack_pid" ]; then
    case $input in
    idle | slow) bench_stop "$attack_pid" ;;      # holders: released once measured
    *) wait "$attack_pid" 2>/dev/null || true ;; # bounded by its timeout
    esac
  fi
  case $input in
  rest) got=- ;;
  idle | slow) got=$(grep -v '^ready' "$out" | sed 's/^[a-z-]*: //' | tail -n 1) ;;
  headers) got=$(tail -n 1 "$out") ;;
  *) got=$(tail -n 1 "$out" | awk '{ printf "%s after %.2fs, %s sent", $1, $2, ($3 < 1048576 ? sprintf("%.0f KB", $3 / 1024) : sprintf("%.1f MB", $3 / 1048576)) }') ;;
  esac
  [ -n "$got" ] || got="nothing (killed by timeout)"
  after=$(normal_request 10)
  hwm=$(awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$BENCH_SERVER_PID/status" 2>/dev/null || true)
  if [ -z "$hwm" ]; then
    rc=0
    wait "$BENCH_SERVER_PID" 2>/dev/null || rc=$?
    BENCH_SERVER_PID=
    hwm="died"
    if [ "$rc" -gt 128 ]; then got="$got; server killed by signal $((rc - 128))"; else got="$got; server exit $rc"; fi
  fi
  bench_stop_server
  echo "$server|$label|$hwm|$during|$after|$got" >>"$results"
}

for entry in "${servers[@]}"; do
  tag=${entry%%:*}
  CLM_SERVER=${entry#*:}
  "$CLM_SERVER" init --data-dir "$BENCH_WORK/$tag-template" --key-type ec-p256 >/dev/null 2>"$BENCH_WORK/$tag.init.log"
  printf 'user = "secureware-clm:%s"\n' "$(cat "$BENCH_WORK/$tag-template/license.key")" >"$BENCH_WORK/license.curl"
  chmod 600 "$BENCH_WORK/license.curl"
  run_input "$tag" rest "none (server at rest)"
  run_input "$tag" idle "50 idle TCP sockets"
  run_input "$tag" slow "8 TLS heads, 1 line/20 s"
  run_input "$tag" chunked "200 MB chunked, no license"
  run_input "$tag" gzip "gzip $(kb "$bomb") KB->1 GiB, no license"
  run_input "$tag" headers "2,000,000 headers"
  run_input "$tag" nested "[[[ x10M gzip $(kb "$nested") KB, lic."
  run_input "$tag" nested-plain "[[[ x900K plain, licensed"
done

printf '\nclm-server against hostile clients (loopback, a fresh server per input; 2 cores shared)\n'
printf 'clm: %s\n' "${servers[0]#*:}"
if [ ${#servers[@]} -gt 1 ]; then
  printf 'before: %s\n' "${servers[1]#*:}"
fi
printf 'normal request: GET /SWCLM/SystemStatus, curl --max-time 60 during the attack, 10 after it\n\n'
awk -F'|' '
  { row[NR] = $0 }
  END {
    printf "%-7s %-32s %8s  %-20s %-18s %s\n", "server", "input", "peak MB", "normal: during", "after", "attacker got"
    # Each input with the servers one under the other.
    for (i = 1; i <= NR; i++) {
      split(row[i], f, "|")
      if (done[i]) continue
      for (j = i; j <= NR; j++) {
        split(row[j], g, "|")
        if (!done[j] && g[2] == f[2]) {
          printf "%-7s %-32s %8s  %-20s %-18s %s\n", g[1], g[2], g[3], g[4], g[5], g[6]
          done[j] = 1
        }
      }
    }
  }' "$results"
