#!/usr/bin/env bash
# Benchmark: certificate issuance by a local clm-server, for RSA-2048 (the default) and
# EC P-256 servers, two ways:
#  - through the tools: issuances per second with one `clm-cert create` process per
#    certificate (one client at a time and four at a time), and the median wall time
#    of one `clm-cert get`;
#  - at the server: POST /SWCLM/CredInfo mode create (a client certificate with a new
#    key, for a device registered before) under wrk, 4 connections, HTTPS keep-alive,
#    beside `cfssl serve` (Debian golang-cfssl) doing the same over TLS in the same run:
#    POST /api/v1/cfssl/newcert with an ECDSA P-256 and an RSA-2048 key request, signed
#    by a throwaway ECDSA CA made by `cfssl gencert -initca`.
# Prints figures and ratios; asserts nothing.
#
#   bench/cert.sh [ISSUANCES [SECONDS]]   (default 100 issuances per tool row, 10 s per
#                                          wrk run; build first with scripts/build)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
clm_install_deps "${CLM_BENCH_PACKAGES[@]}"
. "$(dirname "$0")/lib.sh"
for cmd in wrk cfssl openssl python3; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is missing" >&2; exit 1; }
done

n=${1:-100}
secs=${2:-10}
conns=4
bin=$CLM_BUILD_DIR/tools
lua=$(cd "$(dirname "$0")" && pwd)/wrk-request.lua
declare -A seq_rate par_rate get_ms wrk_rate wrk_note

# issue_many DIR DEVICE COUNT: COUNT client certificates for DEVICE into DIR.
issue_many() {
  local dir=$1 device=$2 count=$3 i
  mkdir -p "$dir"
  for ((i = 0; i < count; i++)); do
    "$bin/clm-cert" create --mode client --device "$device" --subject "/O=bench/CN=$device" \
      --out "$dir" --cert-name "c$i" --key-name "k$i" --ca-name "ca$i" >/dev/null
  done
}

# wrk_issue NAME URL: SECONDS of wrk with CONNS connections POSTing the CLM_WRK_* request
# to URL; sets wrk_rate[NAME] (answers per second) and wrk_note[NAME] (errors, if any).
wrk_issue() {
  local name=$1 url=$2 line
  wrk -t2 -c"$conns" -d"${secs}s" --timeout 30s -s "$lua" "$url" >"$BENCH_WORK/wrk.$name.out" 2>&1 || true
  line=$(grep '^clm-wrk-result' "$BENCH_WORK/wrk.$name.out" || true)
  if [ -z "$line" ]; then
    echo "bench: wrk failed against $url:" >&2
    cat "$BENCH_WORK/wrk.$name.out" >&2
    wrk_rate[$name]=-
    wrk_note[$name]='wrk failed'
    return 0
  fi
  wrk_rate[$name]=$(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
    END { printf "%.1f", v["requests"] * 1e6 / v["duration_us"] }' <<<"$line")
  wrk_note[$name]=$(awk '{ for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
    END { e = v["connect"] + v["read"] + v["write"] + v["timeout"]
          if (v["non2xx"] + e > 0) printf "%d error answers, %d socket errors: not a measure", v["non2xx"], e }' <<<"$line")
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

  # The server alone: one ID, one device registered by a first create, then wrk sends
  # the same create (with the device's deviceid and devicekey) over and over.
  base="https://$CLM_HOST:$CLM_PORT/SWCLM"
  license_files "$CLM_LICENSE_KEY_FILE" "$type.license"
  id=$(post "$BENCH_WORK/$type.license.curl" "$base/IDInfo" '{"mode":"create","tenantid":"bench","alias":"wrk"}')
  create=$(jq -c -n --argjson id "$id" '
    {mode: "create", keyid: $id.keyid, key: $id.key, devicename: "bench-wrk", certmode: "client",
     catype: "ca1", cacerttype: "pem", clientcerttype: "pem", clientsubject: "/O=bench/CN=bench-wrk",
     keyfilepath: "/tmp/key", cafilepath: "/tmp/bench/ca", clientfilepath: "/tmp/bench/client"}')
  first=$(post "$BENCH_WORK/$type.license.curl" "$base/CredInfo" "$create")
  jq -c --argjson first "$first" '. + {deviceid: $first.deviceid, devicekey: $first.devicekey}' \
    <<<"$create" >"$BENCH_WORK/$type.create.json"
  CLM_WRK_METHOD=POST CLM_WRK_BODY=$BENCH_WORK/$type.create.json CLM_WRK_AUTH=$BENCH_WORK/$type.license.auth \
    wrk_issue "clm $type" "$base/CredInfo"
  bench_stop_server
done

# cfssl serve: its own throwaway ECDSA CA and a TLS certificate for 127.0.0.1, in the
# foreground, stopped by the EXIT trap.
cf=$BENCH_WORK/cfssl
mkdir -p "$cf"
echo '{"CN": "bench cfssl CA", "key": {"algo": "ecdsa", "size": 256}, "names": [{"O": "bench"}]}' >"$cf/ca-csr.json"
cfssl gencert -initca "$cf/ca-csr.json" 2>/dev/null >"$cf/ca.json"
jq -r .cert <"$cf/ca.json" >"$cf/ca.pem"
jq -r .key <"$cf/ca.json" >"$cf/ca-key.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -keyout "$cf/tls-key.pem" -out "$cf/tls-cert.pem" 2>/dev/null
cf_port=$(free_port)
cfssl serve -address 127.0.0.1 -port "$cf_port" -ca "$cf/ca.pem" -ca-key "$cf/ca-key.pem" \
  -tls-cert "$cf/tls-cert.pem" -tls-key "$cf/tls-key.pem" -loglevel 5 2>"$cf/serve.log" &
bench_track $!
cf_url="https://127.0.0.1:$cf_port/api/v1/cfssl/newcert"
for algo in ecdsa:256 rsa:2048; do
  jq -c -n --arg algo "${algo%%:*}" --argjson size "${algo#*:}" '
    {request: {CN: "bench-wrk", hosts: ["bench-wrk"], key: {algo: $algo, size: $size}, names: [{O: "bench"}]}}' \
    >"$cf/${algo%%:*}.json"
done
for _ in $(seq 100); do
  curl -sfk -o /dev/null --data-binary "@$cf/ecdsa.json" "$cf_url" && break
  sleep 0.1
done
curl -sfk -o /dev/null --data-binary "@$cf/ecdsa.json" "$cf_url" || { cat "$cf/serve.log" >&2; exit 1; }
CLM_WRK_METHOD=POST CLM_WRK_BODY=$cf/ecdsa.json CLM_WRK_AUTH='' wrk_issue "cfssl ecdsa" "$cf_url"
CLM_WRK_METHOD=POST CLM_WRK_BODY=$cf/rsa.json CLM_WRK_AUTH='' wrk_issue "cfssl rsa" "$cf_url"

printf '\nclm-cert against a local clm-server (%d issuances per row; 2 cores shared by client and server)\n' "$n"
printf '%-10s %22s %22s %18s\n' "key type" "issued/s (1 client)" "issued/s (4 clients)" "get median ms"
for type in rsa2048 ec-p256; do
  printf '%-10s %22s %22s %18s\n' "$type" "${seq_rate[$type]}" "${par_rate[$type]}" "${get_ms[$type]}"
done
printf '%-10s %22s %22s\n' "ratio ec/rsa" \
  "$(awk -v a="${seq_rate[ec-p256]}" -v b="${seq_rate[rsa2048]}" 'BEGIN { printf "%.2fx", a / b }')" \
  "$(awk -v a="${par_rate[ec-p256]}" -v b="${par_rate[rsa2048]}" 'BEGIN { printf "%.2fx", a / b }')"

# ratio A B: A / B as "N.NNx", or "-" when either is missing.
ratio() {
  awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2fx", a / b }'
}
printf '\nIssuance at the server under wrk (%d connections, %d s per row, HTTPS keep-alive on loopback;\n' "$conns" "$secs"
printf 'each answer holds a new certificate and its private key; 2 cores shared by wrk and the server)\n'
printf '%-26s %12s  %s\n' "server, leaf key" "issued/s" "note"
for name in "clm ec-p256" "clm rsa2048" "cfssl ecdsa" "cfssl rsa"; do
  printf '%-26s %12s  %s\n' "$name" "${wrk_rate[$name]}" "${wrk_note[$name]}"
done
printf '%-26s %12s\n' "clm/cfssl EC P-256" "$(ratio "${wrk_rate[clm ec-p256]}" "${wrk_rate[cfssl ecdsa]}")"
printf '%-26s %12s\n' "clm/cfssl RSA-2048" "$(ratio "${wrk_rate[clm rsa2048]}" "${wrk_rate[cfssl rsa]}")"
printf 'cfssl: %s\n' "$(cfssl version 2>/dev/null | head -n 1)"
