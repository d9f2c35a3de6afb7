#!/usr/bin/env bats
# Whom the clients trust: the server's TLS identity has a root of its own (tls/ca.pem),
# apart from the device CA (CA, ca1) that any licensed client can get certificates from;
# certificates for the server's own names are refused (1104); a genuine device
# certificate served by an impostor gets no license key and no password out of any
# tool; an organization's own TLS certificate (--tls-cert/--tls-key).

load helpers

setup_file() {
  # The tests of a file share one server and read its log: never run them in parallel.
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server --hostname trust.test.invalid
}

setup() {
  load_libs
  setup_common
  use_tool_path clm-cert
  use_tool_path clm-key
  use_tool_path clm-keyget
  verified_id
}

# The exit status of every clm tool when the server's certificate does not verify
# (table 6.1: 40, "other transport errors"; lib/src/http_client.cpp).
TLS_VERIFY_FAILED=40

# subject_of FILE: the subject in /O=../CN=.. form.
subject_of() {
  openssl x509 -noout -subject -nameopt compat -in "$1" | sed 's/^subject=//'
}

# fingerprint FILE: the SHA-256 fingerprint openssl shows.
fingerprint() {
  openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/^[^=]*=//'
}

# free_port ADDRESS: a TCP port of ADDRESS that was free a moment ago.
free_port() {
  python3 -c 'import socket, sys
s = socket.socket()
s.bind((sys.argv[1], 0))
print(s.getsockname()[1])
s.close()' "$1"
}

# impostor CERT KEY CHAIN: `openssl s_server` on 127.0.0.2 serving CERT/KEY with CHAIN
# as intermediates (as a thief of a device's key would), its stdin held open so that it
# prints what clients send. Sets FAKE_PORT, FAKE_OUT (its stdout: what it received) and
# FAKE_ERR. Stopped in teardown.
impostor() {
  local dir
  dir=$(mktemp -d "$BATS_TEST_TMPDIR/impostor.XXXXXX")
  FAKE_OUT="$dir/out" FAKE_ERR="$dir/err"
  FAKE_PORT=$(free_port 127.0.0.2)
  mkfifo "$dir/stdin"
  # A writer that never writes: s_server stops at the end of its standard input.
  sleep 300 >"$dir/stdin" 3>&- &
  register_pid $!
  timeout 300 openssl s_server -accept "127.0.0.2:$FAKE_PORT" -cert "$1" -key "$2" -cert_chain "$3" \
    <"$dir/stdin" >"$FAKE_OUT" 2>"$FAKE_ERR" 3>&- &
  register_pid $!
  wait_until 20 grep -q '^ACCEPT' "$FAKE_OUT"
}

# at_impostor COMMAND [ARGS...]: run_clm COMMAND with the connection settings pointed
# at the impostor and the trust of a real client: the server's tls/ca.pem.
at_impostor() {
  CLM_HOST=127.0.0.2 CLM_PORT=$FAKE_PORT CLM_CACERT=${IMPOSTOR_CACERT:-$SERVER_DIR/tls/ca.pem} CLM_TIMEOUT=5 \
    run_clm "$@"
}

# assert_refused_tls TOOL: the run_clm just made failed on the server's certificate.
assert_refused_tls() {
  assert_equal "$status" "$TLS_VERIFY_FAILED"
  assert_output ''
  assert_regex "$stderr" "^$1: error: 1 attempt to 127\\.0\\.0\\.2:$FAKE_PORT failed: server certificate not trusted"
}

# assert_impostor_got_nothing: no request, no license key (plain or in Basic auth) and
# no password reached the impostor.
assert_impostor_got_nothing() {
  local license password b64
  license=$(<"$SERVER_DIR/license.key")
  password=$(jq -r .key "$CLM_STATE_DIR/id.json")
  b64=$(printf '%s:%s' "$LICENSE_USER" "$license" | base64 -w0)
  [[ -n $license && -n $password ]]
  run grep -c -e 'Authorization' -e 'HTTP/1.1' -F "$FAKE_OUT"
  assert_output 0
  run grep -c -F -e "$license" -e "$b64" -e "$password" "$FAKE_OUT"
  assert_output 0
}

# ---------------------------------------------------------------------------------
# layout

@test "init: tls/ca.pem is one certificate, the server's own TLS root, not the device CA's root" {
  local d
  d=$(outdir ca)
  t clm-cert create --mode caonly --device "$(dev ca)" --out "$d" >/dev/null
  assert_equal "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$SERVER_DIR/tls/ca.pem")" 1
  assert_equal "$(subject_of "$SERVER_DIR/tls/ca.pem")" '/O=clm/CN=clm-server TLS root'
  assert_equal "$(subject_of "$d/cacert.pem")" '/O=clm/CN=CA'
  assert_not_equal "$(fingerprint "$SERVER_DIR/tls/ca.pem")" "$(fingerprint "$d/cacert.pem")"
  # A CA for TLS servers only, that signs no CA below it.
  run openssl x509 -in "$SERVER_DIR/tls/ca.pem" -noout -ext basicConstraints,keyUsage,extendedKeyUsage
  assert_output --partial 'CA:TRUE, pathlen:0'
  assert_output --partial 'Certificate Sign, CRL Sign'
  assert_output --partial 'TLS Web Server Authentication'
  # The server certificate chains to it, and only to it; its key is EC P-256 while the
  # device CA keeps the default RSA-2048.
  run openssl verify -CAfile "$SERVER_DIR/tls/ca.pem" -purpose sslserver "$SERVER_DIR/tls/server.pem"
  assert_success
  run openssl verify -CAfile "$d/cacert.pem" "$SERVER_DIR/tls/server.pem"
  assert_failure
  run openssl x509 -in "$SERVER_DIR/tls/server.pem" -noout -text
  assert_output --partial 'id-ecPublicKey'
  assert_output --partial 'NIST CURVE: P-256'
  run openssl x509 -in "$d/cacert.pem" -noout -text
  assert_output --partial 'rsaEncryption'
}

@test "a device certificate from ca1 verifies against its own chain but not against tls/ca.pem" {
  local d
  d=$(outdir cl)
  for mode in client server; do
    mkdir "$d/$mode"
    t clm-cert create --mode "$mode" --device "$(dev "$mode")" --subject /CN=127.0.0.2 --out "$d/$mode" >/dev/null
  done
  run openssl verify -CAfile "$d/client/cacert.pem" "$d/client/clcert.pem"
  assert_success
  run openssl verify -CAfile "$d/server/cacert.pem" -purpose sslserver "$d/server/svcert.pem"
  assert_success
  run openssl verify -CAfile "$SERVER_DIR/tls/ca.pem" -untrusted "$d/client/cacert.pem" "$d/client/clcert.pem"
  assert_failure
  run openssl verify -CAfile "$SERVER_DIR/tls/ca.pem" -untrusted "$d/server/cacert.pem" "$d/server/svcert.pem"
  assert_failure
}

@test "a data dir without a TLS root of its own (made before it) gets one at serve, and says so once" {
  start_extra_server old
  kill_pid "$EXTRA_PID"
  local old_ca="$BATS_TEST_TMPDIR/old-ca.pem"
  cp "$EXTRA_DIR/tls/ca.pem" "$old_ca"
  # What an older init left: no "tls-root" key pair in the store.
  store_sql "$EXTRA_DIR" "DELETE FROM key_pairs WHERE name = 'tls-root'"
  start_extra_server old
  assert_equal "$(grep -c 'clients must now trust the new' "$EXTRA_LOG")" 1
  assert_file_contains "$EXTRA_LOG" "clm-server: the TLS certificate of $EXTRA_DIR chained to the device CA; .*: clients must now trust the new $EXTRA_DIR/tls/ca.pem (--cacert)"
  assert_not_equal "$(fingerprint "$EXTRA_DIR/tls/ca.pem")" "$(fingerprint "$old_ca")"
  run openssl verify -CAfile "$EXTRA_DIR/tls/ca.pem" -purpose sslserver "$EXTRA_DIR/tls/server.pem"
  assert_success
  API_DIR=$EXTRA_DIR API_PORT=$EXTRA_PORT API_LICENSE=none api_request GET /SWCLM/SystemStatus
  assert_equal "$API_STATUS" 200
  # The next start finds nothing to do.
  kill_pid "$EXTRA_PID"
  start_extra_server old
  refute_regex "$(<"$EXTRA_LOG")" 'must now trust'
}

# ---------------------------------------------------------------------------------
# the server's names are not for devices

@test "certmode client or server for CN=127.0.0.1, localhost, *.com or a --hostname: 200/1104, reason in the log" {
  local d mode subject i=0
  d=$(outdir out)
  for mode in client server; do
    for subject in /CN=127.0.0.1 /CN=localhost '/CN=*.com' /O=x/CN=LocalHost /CN=::1 /CN=trust.test.invalid; do
      i=$((i + 1))
      run_clm clm-cert create --mode "$mode" --device "$(dev "n$i")" --subject "$subject" --out "$d"
      assert_api_error clm-cert 1104 400
    done
  done
  assert_empty_dir "$d"
  wait_until 10 grep -q "clientsubject CN 'trust.test.invalid' is a name of this server" "$SERVER_LOG"
  assert_file_contains "$SERVER_LOG" "CredInfo 400 errorcode=1104 .*(clientsubject CN '127.0.0.1' is a name of this server"
  assert_file_contains "$SERVER_LOG" "CredInfo 400 errorcode=1104 .*(clientsubject CN 'localhost' is a name of this server"
  assert_file_contains "$SERVER_LOG" "CredInfo 400 errorcode=1104 .*(clientsubject CN '\\*.com' is a wildcard name)"
  # Another loopback address is not the server's: a device may have it.
  run_clm -0 clm-cert create --mode server --device "$(dev other)" --subject /CN=127.0.0.2 --out "$d"
}

# ---------------------------------------------------------------------------------
# the impersonation, done for real

@test "an impostor serving a genuine ca1 certificate for 127.0.0.2 gets nothing from any tool: exit 40" {
  local d cert_device key_device keynumber cmkeynumber keyid password
  d=$(outdir genuine)
  cert_device=$(dev cert)
  key_device=$(dev key)
  # What a licensed client can get: a server certificate for an address, with its chain.
  keynumber=$(t clm-cert create --mode server --device "$cert_device" --subject /CN=127.0.0.2 --out "$d" |
    jq -r .keynumber)
  cmkeynumber=$(t clm-key create --device "$key_device" --alias trust --type AES --out "$d" | jq -r .keynumber)
  impostor "$d/svcert.pem" "$d/svkey.pem" "$d/cacert.pem"
  keyid=$(jq -r .keyid "$CLM_STATE_DIR/id.json")
  password=$(jq -r .key "$CLM_STATE_DIR/id.json")
  printf '%s\n' "$password" >"$BATS_TEST_TMPDIR/password"
  chmod 600 "$BATS_TEST_TMPDIR/password"

  at_impostor clm-id create --alias stolen
  assert_refused_tls clm-id
  at_impostor clm-id verify --keyid "$keyid" --key-file "$BATS_TEST_TMPDIR/password"
  assert_refused_tls clm-id
  CLM_HOST=127.0.0.2 CLM_PORT=$FAKE_PORT CLM_CACERT=$SERVER_DIR/tls/ca.pem CLM_TIMEOUT=5 \
    run --separate-stderr -- timeout "$TEST_CMD_TIMEOUT" clm-id verify \
    <<<"{\"keyid\":\"$keyid\",\"key\":\"$password\"}"
  assert_refused_tls clm-id
  at_impostor clm-id get --keyid "$keyid"
  assert_refused_tls clm-id
  at_impostor clm-cert get --device "$cert_device" --keynumber "$keynumber" --out "$(outdir got-cert)"
  assert_refused_tls clm-cert
  at_impostor clm-key get --device "$key_device" --keynumber "$cmkeynumber" --out "$(outdir got-key)"
  assert_refused_tls clm-key
  assert_empty_dir "$BATS_TEST_TMPDIR/got-cert"
  assert_empty_dir "$BATS_TEST_TMPDIR/got-key"

  # clm-keyget (table 6.3): the device list step fails for the device, status 5.
  printf '%s\n' "$key_device" >"$BATS_TEST_TMPDIR/list"
  at_impostor clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$(outdir pulled)" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$status" 5
  assert_file_contains "$BATS_TEST_TMPDIR/err.log" "Error: devgetkeylist error ($TLS_VERIFY_FAILED): .*server certificate not trusted"
  assert_empty_dir "$BATS_TEST_TMPDIR/pulled"

  # Each of the 7 runs reached the impostor and hung up in the handshake (unknown CA) ...
  run grep -c 'alert unknown ca' "$FAKE_ERR"
  assert_output 7
  # ... before sending a single byte of a request.
  assert_impostor_got_nothing
}

@test "control: a client that trusts the device CA too hands the impostor its license key" {
  local d
  d=$(outdir genuine)
  t clm-cert create --mode server --device "$(dev cert)" --subject /CN=127.0.0.2 --out "$d" >/dev/null
  impostor "$d/svcert.pem" "$d/svkey.pem" "$d/cacert.pem"
  # What trusting the device CA for the server meant before the TLS root existed.
  cat "$SERVER_DIR/tls/ca.pem" "$d/cacert.pem" >"$BATS_TEST_TMPDIR/bundle.pem"
  IMPOSTOR_CACERT="$BATS_TEST_TMPDIR/bundle.pem" at_impostor clm-id create --alias stolen
  # The impostor never answers; the client waits out its timeout.
  assert_equal "$status" 101
  wait_until 10 grep -q '^Authorization: Basic ' "$FAKE_OUT"
  assert_file_contains "$FAKE_OUT" '^POST /SWCLM/IDInfo HTTP/1.1'
  local b64
  b64=$(printf '%s:%s' "$LICENSE_USER" "$(<"$SERVER_DIR/license.key")" | base64 -w0)
  assert_file_contains "$FAKE_OUT" "^Authorization: Basic $b64"
}

# ---------------------------------------------------------------------------------
# the organization's own TLS certificate

# org_pki DIR NAME...: an organization's CA (DIR/ca.pem) and a server certificate it
# issued for the names (DIR/chain.pem: leaf then CA; DIR/key.pem), made with openssl.
org_pki() {
  local dir=$1 san='' n
  shift
  for n in "$@"; do
    if [[ $n =~ ^[0-9.]+$ ]]; then san+="${san:+,}IP:$n"; else san+="${san:+,}DNS:$n"; fi
  done
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/O=Example Corp/CN=Corp CA' \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
    -keyout "$dir/ca.key" -out "$dir/ca.pem" 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/O=Example Corp/CN=$1" \
    -keyout "$dir/key.pem" -out "$dir/leaf.csr" 2>/dev/null
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n' "$san" \
    >"$dir/leaf.ext"
  openssl x509 -req -in "$dir/leaf.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial -days 2 \
    -extfile "$dir/leaf.ext" -out "$dir/leaf.pem" 2>/dev/null
  cat "$dir/leaf.pem" "$dir/ca.pem" >"$dir/chain.pem"
  chmod 600 "$dir/key.pem"
}

@test "serve --tls-cert/--tls-key: clients trust the organization's CA; its names are refused to devices" {
  local org="$BATS_TEST_TMPDIR/org"
  org_pki "$org" 127.0.0.1 clm.corp.test
  start_extra_server org --tls-cert "$org/chain.pem" --tls-key "$org/key.pem"
  export CLM_PORT=$EXTRA_PORT CLM_LICENSE_KEY_FILE=$EXTRA_DIR/license.key CLM_STATE_DIR=$BATS_TEST_TMPDIR/org-state
  CLM_CACERT="$org/ca.pem" run_clm -0 clm-id create --alias corp
  local id=$output
  # The data directory's own root does not vouch for the organization's certificate.
  CLM_CACERT="$EXTRA_DIR/tls/ca.pem" run_clm clm-id verify <<<"$id"
  assert_equal "$status" "$TLS_VERIFY_FAILED"
  export CLM_CACERT="$org/ca.pem"
  run_clm -0 clm-id verify <<<"$id"
  run_clm clm-cert create --mode server --device "$(dev corp)" --subject /CN=clm.corp.test --out "$(outdir corp)"
  assert_api_error clm-cert 1104 400
  # The names of the data directory's own certificate stay reserved as well.
  run_clm clm-cert create --mode server --device "$(dev own)" --subject /CN=localhost --out "$(outdir corp)"
  assert_api_error clm-cert 1104 400
  run_clm -0 clm-cert create --mode server --device "$(dev ok)" --subject /CN=gw.corp.test --out "$(outdir corp)"
}

@test "serve with a --tls-key that is not the key, not PEM, or missing exits with one line naming the file" {
  local org="$BATS_TEST_TMPDIR/org" dir="$BATS_TEST_TMPDIR/bad"
  org_pki "$org" 127.0.0.1
  org_pki "$BATS_TEST_TMPDIR/other" 127.0.0.1
  printf 'not a key\n' >"$BATS_TEST_TMPDIR/garbage.pem"
  local serve=(clm-server serve --data-dir "$dir" --key-type ec-p256 --listen 127.0.0.1:0)

  run_clm "${serve[@]}" --tls-cert "$org/chain.pem" --tls-key "$BATS_TEST_TMPDIR/other/key.pem"
  assert_equal "$status" 32
  assert_equal "${stderr_lines[-1]}" \
    "clm-server: error: $BATS_TEST_TMPDIR/other/key.pem: not the key of the first certificate in $org/chain.pem"
  refute_regex "$stderr" 'listening'

  run_clm "${serve[@]}" --tls-cert "$org/chain.pem" --tls-key "$BATS_TEST_TMPDIR/garbage.pem"
  assert_equal "$status" 32
  assert_regex "${stderr_lines[-1]}" "^clm-server: error: $BATS_TEST_TMPDIR/garbage.pem: not an unencrypted PEM private key"

  run_clm "${serve[@]}" --tls-cert "$BATS_TEST_TMPDIR/garbage.pem" --tls-key "$org/key.pem"
  assert_equal "$status" 32
  assert_regex "${stderr_lines[-1]}" "^clm-server: error: $BATS_TEST_TMPDIR/garbage.pem: holds no PEM certificate"

  run_clm "${serve[@]}" --tls-cert "$org/chain.pem" --tls-key "$BATS_TEST_TMPDIR/missing.pem"
  assert_equal "$status" 2
  assert_regex "${stderr_lines[-1]}" "^clm-server: error: $BATS_TEST_TMPDIR/missing.pem: cannot open"

  run_clm "${serve[@]}" --tls-cert "$org/chain.pem"
  assert_equal "$status" 4
  assert_regex "${stderr_lines[-1]}" '^clm-server: error: --tls-key: missing'
}

@test "SIGHUP rereads --tls-cert/--tls-key: new connections get the new certificate, open ones stay" {
  local org="$BATS_TEST_TMPDIR/org" next="$BATS_TEST_TMPDIR/next"
  org_pki "$org" 127.0.0.1
  org_pki "$next" 127.0.0.1
  cp "$org/chain.pem" "$BATS_TEST_TMPDIR/chain.pem"
  cp "$org/key.pem" "$BATS_TEST_TMPDIR/key.pem"
  start_extra_server reload --tls-cert "$BATS_TEST_TMPDIR/chain.pem" --tls-key "$BATS_TEST_TMPDIR/key.pem"
  local url="https://127.0.0.1:$EXTRA_PORT/SWCLM/SystemStatus"
  run curl -sS --noproxy '*' --max-time 10 --cacert "$org/ca.pem" "$url"
  assert_output '{"errorcode":0}'
  # A connection opened before the reload, kept alive across it.
  python3 -c '
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[1])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[2]))), server_hostname="127.0.0.1")
req = b"GET /SWCLM/SystemStatus HTTP/1.1\r\nHost: x\r\n\r\n"
s.sendall(req); s.recv(4096)
open(sys.argv[3], "w").close()
while True:
    try:
        open(sys.argv[4]).close()
        break
    except OSError:
        time.sleep(0.05)
s.sendall(req)
print(s.recv(4096).decode().split("\r\n")[0])
' "$org/ca.pem" "$EXTRA_PORT" "$BATS_TEST_TMPDIR/opened" "$BATS_TEST_TMPDIR/reloaded" \
    >"$BATS_TEST_TMPDIR/kept" 2>&1 3>&- &
  local kept_pid=$!
  register_pid "$kept_pid"
  wait_until 10 test -e "$BATS_TEST_TMPDIR/opened"
  cp "$next/chain.pem" "$BATS_TEST_TMPDIR/chain.pem"
  cp "$next/key.pem" "$BATS_TEST_TMPDIR/key.pem"
  kill -HUP "$EXTRA_PID"
  wait_until 10 grep -q 'reloaded' "$EXTRA_LOG"
  touch "$BATS_TEST_TMPDIR/reloaded"
  wait "$kept_pid"
  assert_equal "$(<"$BATS_TEST_TMPDIR/kept")" 'HTTP/1.1 200 OK'
  run curl -sS --noproxy '*' --max-time 10 --cacert "$next/ca.pem" "$url"
  assert_output '{"errorcode":0}'
  run curl -sS --noproxy '*' --max-time 10 --cacert "$org/ca.pem" "$url"
  assert_failure
  # A bad file on reload keeps the identity in use and says so.
  printf 'not a key\n' >"$BATS_TEST_TMPDIR/key.pem"
  kill -HUP "$EXTRA_PID"
  wait_until 10 grep -q "$BATS_TEST_TMPDIR/key.pem" "$EXTRA_LOG"
  run curl -sS --noproxy '*' --max-time 10 --cacert "$next/ca.pem" "$url"
  assert_output '{"errorcode":0}'
}
