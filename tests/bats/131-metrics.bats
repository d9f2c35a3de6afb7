#!/usr/bin/env bats
# GET /metrics of a real clm-server over TLS: who may read it, the text format line by
# line, counters that rise by exactly the requests made, labels that random paths cannot
# multiply, credential counts by state, the plain-HTTP listener of --metrics-listen and
# the addresses it refuses, TLS reloads, and a store that is gone or down.

load helpers

setup_file() {
  # The tests of a file share one server and compare its counters: never run them in parallel.
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server
}

teardown() {
  if [[ -n ${OWN_PG_CLUSTER:-} ]]; then
    "$TEST_PG_CLUSTER_CMD" stop "$OWN_PG_CLUSTER" >/dev/null 2>&1 || true
  fi
  teardown_common
}

# check_exposition FILE: FILE is text format 0.0.4, line by line: HELP and TYPE lines,
# then the samples of that family (a histogram's _bucket, _sum and _count), names and
# label values by the grammar, values numbers, no series twice, a newline at the end.
check_exposition() {
  python3 - "$1" <<'EOF'
import re, sys
name = r'[a-zA-Z_:][a-zA-Z0-9_:]*'
label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
value = r'(?:-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|[-+]Inf|NaN)'
sample = re.compile(r'(%s)(?:\{%s(?:,%s)*\})? %s' % (name, label, label, value))
text = open(sys.argv[1], encoding='utf-8').read()
problems = []
if not text.endswith('\n'):
    problems.append('no newline at the end')
family, kind, families, series = None, None, set(), set()
for line in text.split('\n')[:-1]:
    m = re.fullmatch(r'# TYPE (%s) (counter|gauge|histogram|summary|untyped)' % name, line)
    if m:
        family, kind = m.group(1), m.group(2)
        if family in families:
            problems.append('family twice: ' + line)
        families.add(family)
        continue
    if re.fullmatch(r'# HELP %s .*' % name, line):
        continue
    m = sample.fullmatch(line)
    if not m:
        problems.append('not a sample: ' + line)
        continue
    ours = [family] if kind != 'histogram' else [family + s for s in ('_bucket', '_sum', '_count')]
    if m.group(1) not in ours:
        problems.append('outside its family %s: %s' % (family, line))
    key = line.rsplit(' ', 1)[0]
    if key in series:
        problems.append('series twice: ' + line)
    series.add(key)
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
EOF
}

# scrape [DIR PORT]: GET /metrics with the admin license key of the shared server (or of
# the server of data dir DIR on PORT); the body is in METRICS (a file, copied).
scrape() {
  local dir=${1:-$SERVER_DIR} port=${2:-$SERVER_PORT}
  API_DIR=$dir API_PORT=$port admin_request GET /metrics
  assert_equal "$API_STATUS" 200
  METRICS=$(mktemp "$BATS_TEST_TMPDIR/metrics.XXXXXX")
  cp "$BATS_TEST_TMPDIR/api.body" "$METRICS"
}

# metric FILE SERIES: print the value of the sample SERIES (name{labels}) in FILE, or 0
# when FILE holds no such sample.
metric() {
  awk -v s="$2" 'index($0, s " ") == 1 { print substr($0, length(s) + 2); found = 1 } END { if (!found) print 0 }' "$1"
}

# samples FILE: the number of sample lines (not HELP/TYPE) in FILE.
samples() {
  grep -c -v '^#' "$1"
}

# metrics_port LOG: the port of --metrics-listen the server logged.
metrics_port() {
  wait_until 20 grep -q 'serving GET /metrics on http://' "$1" || return 1
  sed -n 's|.*serving GET /metrics on http://127\.0\.0\.1:\([0-9]*\)/metrics.*|\1|p' "$1"
}

# ---------------------------------------------------------------------------------
# who may read it, and what it is

@test "/metrics without a license key is the admin routes' 401, with the client key 403, with the admin key 200 text format 0.0.4" {
  API_LICENSE=none api_request GET /metrics
  assert_equal "$API_STATUS" 401
  grep -qi '^www-authenticate: Basic realm="clm"' "$API_HEADERS"
  local refused=$API_BODY
  API_LICENSE=none api_request GET /SWCLM/IDInfo
  assert_equal "$API_STATUS" 401
  assert_equal "$refused" "$API_BODY"

  API_LICENSE=wrong-key api_request GET /metrics
  assert_equal "$API_STATUS" 401
  api_request GET /metrics
  assert_equal "$API_STATUS" 403
  assert_equal "$(jq -c . <<<"$API_BODY")" '{"error":"this request needs the admin license key"}'

  scrape
  grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$API_HEADERS"
  run check_exposition "$METRICS"
  assert_success
  assert_output ''
  # Every family of clm-server(8) is there.
  local family
  for family in clm_build_info clm_process_start_time_seconds clm_http_requests_total \
    clm_http_request_duration_seconds clm_http_connections_open clm_http_connections_max \
    clm_http_connections_refused_total clm_tls_reloads_total clm_store_up clm_store_query_duration_seconds \
    clm_store_errors_total clm_credentials clm_credentials_age_seconds; do
    grep -q "^# TYPE $family " "$METRICS" || fail "no family $family"
  done
  assert_equal "$(metric "$METRICS" clm_store_up)" 1
  assert_equal "$(metric "$METRICS" 'clm_build_info{version="'"$(clm-server --version | awk '{ print $NF }')"'"}')" 1
  # The scrape's own connection is open while it is answered.
  (($(metric "$METRICS" 'clm_http_connections_open{listener="api"}') >= 1))
}

@test "after N requests to a route its counter and its latency count rose by exactly N" {
  local ok='clm_http_requests_total{path="/SWCLM/SystemStatus",method="GET",status="200",errorcode="0"}'
  local bad='clm_http_requests_total{path="/SWCLM/IDInfo",method="POST",status="400",errorcode="1101"}'
  local hist='clm_http_request_duration_seconds_count{path="/SWCLM/SystemStatus"}'
  local self='clm_http_requests_total{path="/metrics",method="GET",status="200",errorcode="none"}'
  local i before after
  scrape
  before=$METRICS
  for ((i = 0; i < 7; i++)); do
    API_LICENSE=none api_request GET /SWCLM/SystemStatus
    assert_equal "$API_STATUS" 200
  done
  for ((i = 0; i < 3; i++)); do
    api_request POST /SWCLM/IDInfo '{not json'
    assert_equal "$API_STATUS" 400
  done
  scrape
  after=$METRICS
  assert_equal $(($(metric "$after" "$ok") - $(metric "$before" "$ok"))) 7
  assert_equal $(($(metric "$after" "$hist") - $(metric "$before" "$hist"))) 7
  assert_equal $(($(metric "$after" "$bad") - $(metric "$before" "$bad"))) 3
  # The first scrape is counted in the second (a scrape is counted once answered).
  assert_equal $(($(metric "$after" "$self") - $(metric "$before" "$self"))) 1
}

@test "a thousand requests to random paths and methods add no series, and count under path=\"other\"" {
  local other_get='clm_http_requests_total{path="other",method="GET",status="404",errorcode="none"}'
  local other_other='clm_http_requests_total{path="other",method="other",status="404",errorcode="none"}'
  API_LICENSE=none api_request GET /no/such/path
  assert_equal "$API_STATUS" 404
  API_LICENSE=none api_request PUT /no/such/path
  assert_equal "$API_STATUS" 404
  scrape
  scrape  # now the first scrape's own series is there too
  local before=$METRICS
  # One curl, a thousand requests (each 404 closes its connection).
  local config=$BATS_TEST_TMPDIR/random.curl i methods=(GET PUT DELETE PATCH FOO)
  : >"$config"
  for ((i = 0; i < 1000; i++)); do
    printf 'next\nsilent\nnoproxy = "*"\ncacert = "%s"\nrequest = "%s"\nurl = "https://127.0.0.1:%s/r%d/%d%d"\noutput = /dev/null\nwrite-out = "%%{http_code}\\n"\n' \
      "$SERVER_DIR/tls/ca.pem" "${methods[i % 5]}" "$SERVER_PORT" "$i" "$RANDOM" "$RANDOM" >>"$config"
  done
  sed -i '1d' "$config"  # no "next" before the first
  run timeout 120 curl -K "$config"
  assert_success
  assert_equal "$(grep -c '^404$' <<<"$output")" 1000
  scrape
  local after=$METRICS
  assert_equal "$(samples "$after")" "$(samples "$before")"
  assert_equal $(($(metric "$after" "$other_get") - $(metric "$before" "$other_get"))) 200
  assert_equal $(($(metric "$after" "$other_other") - $(metric "$before" "$other_other"))) 800
  run ! grep -q '/r[0-9]' "$after"
}

@test "clm_credentials counts the certificates, keys, devices and IDs made, by state" {
  start_extra_server creds
  export CLM_PORT=$EXTRA_PORT CLM_CACERT=$EXTRA_DIR/tls/ca.pem CLM_LICENSE_KEY_FILE=$EXTRA_DIR/license.key
  use_tool_path clm-cert
  use_tool_path clm-key
  verified_id
  local device d numbers=() i
  device=$(dev gw)
  d=$(outdir certs)
  for i in 1 2 3; do
    numbers+=("$(t clm-cert create --mode client --device "$device" --subject "/O=clm-test/CN=$device" \
      --out "$d" --cert-name "c$i" --key-name "k$i" | jq -r .keynumber)")
  done
  t clm-cert revoke --device "$device" --keynumber "${numbers[0]}" >/dev/null
  t clm-cert update --device "$device" --keynumber "${numbers[1]}" --out "$d" --cert-name c2 --key-name k2 >/dev/null
  local k1 k2
  k1=$(t clm-key create --device "$device" --alias a1 --type AES --out "$(outdir keys)" --name k1 | jq -r .keynumber)
  k2=$(t clm-key create --device "$device" --alias a2 --type AES --out "$BATS_TEST_TMPDIR/keys" --name k2 |
    jq -r .keynumber)
  t clm-key delete --device "$device" --keynumber "$k2" --in "$BATS_TEST_TMPDIR/keys" --name k2 >/dev/null
  [[ -n $k1 ]]

  # The server's first scrape: it reads the store now.
  scrape "$EXTRA_DIR" "$EXTRA_PORT"
  local m=$METRICS
  assert_equal "$(metric "$m" 'clm_credentials{kind="certificate",state="valid"}')" 2
  assert_equal "$(metric "$m" 'clm_credentials{kind="certificate",state="revoked"}')" 1
  assert_equal "$(metric "$m" 'clm_credentials{kind="certificate",state="updated"}')" 1
  assert_equal "$(metric "$m" 'clm_credentials{kind="certificate",state="expired"}')" 0
  assert_equal "$(metric "$m" 'clm_credentials{kind="key",state="valid"}')" 1
  assert_equal "$(metric "$m" 'clm_credentials{kind="key",state="deleted"}')" 1
  assert_equal "$(metric "$m" 'clm_credentials{kind="key",state="updated"}')" 0
  assert_equal "$(metric "$m" 'clm_credentials{kind="device",state="valid"}')" 1
  assert_equal "$(metric "$m" 'clm_credentials{kind="device",state="disabled"}')" 0
  assert_equal "$(metric "$m" 'clm_credentials{kind="id",state="valid"}')" 1
  assert_equal "$(grep -c '^clm_credentials{' "$m")" 15
  grep -q '^clm_credentials_age_seconds [0-9]' "$m"
  grep -q '^clm_store_query_duration_seconds [0-9]' "$m"
}

# ---------------------------------------------------------------------------------
# --metrics-listen

@test "--metrics-listen serves GET /metrics in plain HTTP without a key, 404 for everything else, within the same limits" {
  start_extra_server mlisten --metrics-listen 127.0.0.1:0
  local port
  port=$(metrics_port "$EXTRA_LOG")
  [[ $port =~ ^[0-9]+$ ]]
  local url=http://127.0.0.1:$port body=$BATS_TEST_TMPDIR/plain.body
  run curl -sS --noproxy '*' --max-time 20 -o "$body" -D "$BATS_TEST_TMPDIR/plain.headers" -w '%{http_code}' "$url/metrics"
  assert_output 200
  grep -qi '^content-type: text/plain; version=0.0.4; charset=utf-8' "$BATS_TEST_TMPDIR/plain.headers"
  run check_exposition "$body"
  assert_success
  (($(metric "$body" 'clm_http_connections_open{listener="metrics"}') >= 1))
  assert_equal "$(metric "$body" 'clm_http_connections_max{listener="metrics"}')" 64

  local path
  for path in /SWCLM/SystemStatus /SWCLM/IDInfo /admin/ /; do
    run curl -sS --noproxy '*' --max-time 20 -o /dev/null -w '%{http_code}' \
      -u "$LICENSE_USER:$(<"$EXTRA_DIR/admin.key")" "$url$path"
    assert_output 404
  done
  run curl -sS --noproxy '*' --max-time 20 -o /dev/null -w '%{http_code}' -X POST "$url/metrics"
  assert_output 405
  # The same head limit as the HTTPS listener: 16 KiB.
  run curl -sS --noproxy '*' --max-time 20 -o /dev/null -w '%{http_code}' -H "X-Big: $(head -c 17000 /dev/zero | tr '\0' a)" \
    "$url/metrics"
  assert_output 431
  # It speaks no TLS.
  run curl -sS --noproxy '*' --max-time 20 --cacert "$EXTRA_DIR/tls/ca.pem" "https://127.0.0.1:$port/metrics"
  assert_failure
  # Its requests are counted with the others, by the path asked for.
  scrape "$EXTRA_DIR" "$EXTRA_PORT"
  assert_equal "$(metric "$METRICS" 'clm_http_requests_total{path="other",method="GET",status="404",errorcode="none"}')" 1
  assert_equal "$(metric "$METRICS" 'clm_http_requests_total{path="/SWCLM/IDInfo",method="GET",status="404",errorcode="none"}')" 1
  assert_equal "$(metric "$METRICS" 'clm_http_requests_total{path="other",method="other",status="431",errorcode="none"}')" 1
  assert_equal "$(metric "$METRICS" 'clm_http_requests_total{path="/metrics",method="POST",status="405",errorcode="none"}')" 1
  assert_equal "$(metric "$METRICS" 'clm_http_requests_total{path="/metrics",method="GET",status="200",errorcode="none"}')" 1
  # And the HTTPS listener still serves the WebAPI.
  API_DIR=$EXTRA_DIR API_PORT=$EXTRA_PORT API_LICENSE=none api_request GET /SWCLM/SystemStatus
  assert_equal "$API_STATUS" 200
}

@test "--metrics-listen on a wildcard or public address exits 1 before anything is made; a bad one names the option" {
  local dir=$BATS_TEST_TMPDIR/refused address
  for address in 0.0.0.0:0 '[::]:0' 8.8.8.8:9100 172.32.0.1:9100 '[2001:db8::1]:9100'; do
    run_clm clm-server serve --data-dir "$dir" --listen 127.0.0.1:0 --metrics-listen "$address"
    assert_equal "$status" 1
    assert_equal "${#stderr_lines[@]}" 1
    assert_regex "${stderr_lines[0]}" '^clm-server: error: --metrics-listen: .* is not a loopback or private address'
    assert_not_exist "$dir"
  done
  run_clm clm-server serve --data-dir "$dir" --listen 127.0.0.1:0 --metrics-listen 9100
  assert_equal "$status" 1
  assert_regex "$stderr" "--metrics-listen: '9100' is not HOST:PORT"
  assert_not_exist "$dir"
}

# ---------------------------------------------------------------------------------
# TLS reloads and the store

@test "SIGHUP reloads are counted by result" {
  local tls=$BATS_TEST_TMPDIR/tls
  mkdir -p "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null
  start_extra_server hup --tls-cert "$tls/cert.pem" --tls-key "$tls/key.pem" --metrics-listen 127.0.0.1:0
  local port
  port=$(metrics_port "$EXTRA_LOG")
  kill -HUP "$EXTRA_PID"
  wait_until 10 grep -q 'SIGHUP: reloaded the TLS certificate and key' "$EXTRA_LOG"
  # A key that is not the certificate's: that reload fails and the identity in use stays.
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tls/key.pem" 2>/dev/null
  kill -HUP "$EXTRA_PID"
  wait_until 10 grep -q 'SIGHUP: kept the TLS identity in use' "$EXTRA_LOG"
  run curl -sS --noproxy '*' --max-time 20 -o "$BATS_TEST_TMPDIR/m" -w '%{http_code}' "http://127.0.0.1:$port/metrics"
  assert_output 200
  assert_equal "$(metric "$BATS_TEST_TMPDIR/m" 'clm_tls_reloads_total{result="success"}')" 1
  assert_equal "$(metric "$BATS_TEST_TMPDIR/m" 'clm_tls_reloads_total{result="failure"}')" 1
}

@test "with the SQLite file moved away clm_store_up is 0 and the failure counts as a store error" {
  skip_if_pg_selected "moves the SQLite file"
  start_extra_server gone
  API_DIR=$EXTRA_DIR API_PORT=$EXTRA_PORT API_LICENSE=none api_request GET /SWCLM/SystemStatus
  assert_equal "$API_STATUS" 200
  mv "$EXTRA_DIR/clm.db" "$BATS_TEST_TMPDIR/clm.db.away"
  scrape "$EXTRA_DIR" "$EXTRA_PORT"
  assert_equal "$(metric "$METRICS" clm_store_up)" 0
  assert_equal "$(metric "$METRICS" clm_store_errors_total)" 1
  # Counts never read: none shown.
  run ! grep -q '^clm_credentials' "$METRICS"
  API_DIR=$EXTRA_DIR API_PORT=$EXTRA_PORT API_LICENSE=none api_request GET /SWCLM/SystemStatus
  assert_equal "$API_STATUS" 500
  scrape "$EXTRA_DIR" "$EXTRA_PORT"
  (($(metric "$METRICS" clm_store_errors_total) >= 2))
  assert_equal "$(metric "$METRICS" 'clm_http_requests_total{path="/SWCLM/SystemStatus",method="GET",status="500",errorcode="1601"}')" 1
}

@test "with its PostgreSQL cluster stopped clm_store_up is 0" {
  skip_unless_pg
  OWN_PG_CLUSTER=$(mktemp -d /tmp/clm-pg.XXXXXX)
  rmdir "$OWN_PG_CLUSTER"
  local uri
  uri=$(timeout 120 "$TEST_PG_CLUSTER_CMD" start "$OWN_PG_CLUSTER")
  start_extra_server pgdown --store "$uri"
  API_DIR=$EXTRA_DIR API_PORT=$EXTRA_PORT API_LICENSE=none api_request GET /SWCLM/SystemStatus
  assert_equal "$API_STATUS" 200
  timeout 120 "$TEST_PG_CLUSTER_CMD" stop "$OWN_PG_CLUSTER" >/dev/null
  OWN_PG_CLUSTER=
  scrape "$EXTRA_DIR" "$EXTRA_PORT"
  assert_equal "$(metric "$METRICS" clm_store_up)" 0
  assert_equal "$(metric "$METRICS" clm_store_errors_total)" 1
  run check_exposition "$METRICS"
  assert_success
}
