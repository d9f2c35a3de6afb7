#!/usr/bin/env bats
# clm-id against a real clm-server: create, get, verify, delete; errors, exit codes,
# state directory, output options and where settings come from.

load helpers

setup_file() {
  # The tests of a file share one server and count its log lines: never run them in parallel.
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server
}


# create_id ALIAS [ARGS...]: issue an ID with clm-id; sets CREATED_JSON, CREATED_KEYID, CREATED_KEY.
create_id() {
  CREATED_JSON=$(t clm-id create --alias "$@") || return 1
  CREATED_KEYID=$(jq_of "$CREATED_JSON" .keyid)
  CREATED_KEY=$(jq_of "$CREATED_JSON" .key)
}

# key_file KEY: write KEY to a file and print its path.
key_file() {
  local f
  f=$(mktemp "$BATS_TEST_TMPDIR/key.XXXXXX")
  printf '%s\n' "$1" >"$f"
  printf '%s\n' "$f"
}

# The server-error shape: exit 200, stdout JSON with errorcode and http_status, and one
# "clm-id: error:" line on stderr.
assert_server_error() {
  assert_api_error clm-id "$1" "$2"
}

create_pipe_verify() {
  t clm-id create --alias gw01 | tee "$BATS_TEST_TMPDIR/create.json" | t clm-id verify
}

# ---------------------------------------------------------------------------------
# the lifecycle

@test "create prints one JSON line: errorcode 0, keyid, key, alias, expiration, changed:true" {
  run_clm -0 clm-id create --alias gw01
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_regex "$(jq_of "$output" .keyid)" '^[0-9]{10}$'
  assert_regex "$(jq_of "$output" .key)" '^[[:graph:]]{8,}$'
  assert_equal "$(jq_of "$output" .alias)" gw01
  assert_regex "$(jq_of "$output" .expiration)" '^[0-9]{13,}$'
  assert_equal "$(jq_of "$output" .changed)" true
  assert_equal "$(jq_of "$output" '.expiration | type')" string
}

@test "create | verify stores the pair in STATE/id.json (0600, directory 0700) and names the file" {
  run --separate-stderr create_pipe_verify
  assert_success
  local created
  created=$(<"$BATS_TEST_TMPDIR/create.json")
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .keyid)" "$(jq_of "$created" .keyid)"
  assert_equal "$(jq_of "$output" .changed)" true
  assert_equal "$(jq -c .files <<<"$output")" "[\"$CLM_STATE_DIR/id.json\"]"

  assert_dir_exists "$CLM_STATE_DIR"
  assert_file_permission 700 "$CLM_STATE_DIR"
  assert_file_exists "$CLM_STATE_DIR/id.json"
  assert_file_permission 600 "$CLM_STATE_DIR/id.json"
  assert_equal "$(jq -r .keyid "$CLM_STATE_DIR/id.json")" "$(jq_of "$created" .keyid)"
  assert_equal "$(jq -r .key "$CLM_STATE_DIR/id.json")" "$(jq_of "$created" .key)"
}

@test "verify of the stored pair again reports changed:false and no files" {
  run --separate-stderr create_pipe_verify
  assert_success
  run_clm -0 clm-id verify
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .changed)" false
  assert_equal "$(jq_of "$output" 'has("files")')" false
}

@test "get --keyid shows keyinfo with key, alias, tenantid and expiration" {
  create_id gw02 --tenant TenantB
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id get --keyid "$CREATED_KEYID"
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .keyid)" "$CREATED_KEYID"
  assert_equal "$(jq_of "$output" .changed)" false
  assert_equal "$(jq_of "$output" '.keyinfo | length')" 1
  assert_equal "$(jq_of "$output" '.keyinfo[0].keyid')" "$CREATED_KEYID"
  assert_equal "$(jq_of "$output" '.keyinfo[0].key')" "$CREATED_KEY"
  assert_equal "$(jq_of "$output" '.keyinfo[0].alias')" gw02
  assert_equal "$(jq_of "$output" '.keyinfo[0].tenantid')" TenantB
  assert_equal "$(jq_of "$output" '.keyinfo[0].expiration')" "$(jq_of "$CREATED_JSON" .expiration)"
}

@test "create without --tenant uses tenant TenantA" {
  create_id gw03
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id get --keyid "$CREATED_KEYID"
  assert_equal "$(jq_of "$output" '.keyinfo[0].tenantid')" TenantA
}

@test "create reads alias and tenantid from JSON on stdin" {
  run_clm -0 clm-id create <<<'{"alias":"fromstdin","tenantid":"TenantC"}'
  assert_equal "$(jq_of "$output" .alias)" fromstdin
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id get --keyid "$(jq_of "$output" .keyid)"
  assert_equal "$(jq_of "$output" '.keyinfo[0].tenantid')" TenantC
}

@test "delete without arguments deletes the stored pair: forgotten:true and STATE/id.json gone" {
  run --separate-stderr create_pipe_verify
  assert_success
  local keyid
  keyid=$(jq -r .keyid "$BATS_TEST_TMPDIR/create.json")
  run_clm -0 clm-id delete
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .keyid)" "$keyid"
  assert_equal "$(jq_of "$output" .changed)" true
  assert_equal "$(jq_of "$output" .forgotten)" true
  assert_file_not_exists "$CLM_STATE_DIR/id.json"
  # The server holds it no more.
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id get --keyid "$keyid"
  assert_equal "$(jq_of "$output" '.keyinfo | length')" 0
}

@test "verify of a deleted ID (create output on stdin) exits 200: errorcode 1202, http_status 403" {
  run --separate-stderr create_pipe_verify
  assert_success
  run_clm -0 clm-id delete
  run_clm clm-id verify <"$BATS_TEST_TMPDIR/create.json"
  assert_server_error 1202 403
  assert_file_not_exists "$CLM_STATE_DIR/id.json"
}

@test "delete --keyid --key-file of a pair not stored here reports forgotten:false" {
  create_id gw04
  run_clm -0 clm-id delete --keyid "$CREATED_KEYID" --key-file "$(key_file "$CREATED_KEY")"
  assert_equal "$(jq_of "$output" .changed)" true
  assert_equal "$(jq_of "$output" .forgotten)" false
}

# ---------------------------------------------------------------------------------
# input errors

@test "create without an alias and stdin at EOF exits 4 without hanging" {
  TEST_CMD_TIMEOUT=10 run_clm clm-id create </dev/null
  assert_equal "$status" 4
  assert_output ''
  assert_regex "$stderr" 'clm-id: error: .*--alias'
}

@test "create --alias of 65 bytes exits 1 and makes no request" {
  log_mark
  run_clm clm-id create --alias "$(printf 'a%.0s' {1..65})"
  assert_equal "$status" 1
  assert_output ''
  assert_regex "$stderr" 'clm-id: error: .*alias'
  assert_no_requests_since_mark
}

@test "create --alias with a character outside the allowed set exits 1 and makes no request" {
  local alias
  log_mark
  for alias in 'a;b' 'a b' 'a!' 'a$b' 'a`b' $'a\tb' 'a*'; do
    run_clm clm-id create --alias "$alias"
    assert_equal "$status" 1
    assert_regex "$stderr" 'clm-id: error: .*alias'
  done
  assert_no_requests_since_mark
}

@test "create --alias of exactly 64 bytes is accepted" {
  local alias
  alias=$(printf 'b%.0s' {1..64})
  run_clm -0 clm-id create --alias "$alias"
  assert_equal "$(jq_of "$output" .alias)" "$alias"
}

@test "the server itself answers 1102 for a missing alias and 1104 for a 65-byte alias or a control character" {
  api_request POST /SWCLM/IDInfo '{"mode":"create","tenantid":"TenantA"}'
  assert_equal "$API_STATUS" 400
  assert_equal "$(jq_of "$API_BODY" .errorcode)" 1102
  api_request POST /SWCLM/IDInfo "{\"mode\":\"create\",\"tenantid\":\"TenantA\",\"alias\":\"$(printf 'a%.0s' {1..65})\"}"
  assert_equal "$API_STATUS" 400
  assert_equal "$(jq_of "$API_BODY" .errorcode)" 1104
  api_request POST /SWCLM/IDInfo '{"mode":"create","tenantid":"TenantA","alias":"a\tb"}'
  assert_equal "$API_STATUS" 400
  assert_equal "$(jq_of "$API_BODY" .errorcode)" 1104
}

@test "the server takes what the WebAPI reference allows: the reference's own alias with a space, shell specials" {
  local alias
  for alias in 'iotgatewaytest cmkey' 'a;b' 'a$(b)!'; do
    api_request POST /SWCLM/IDInfo "$(jq -cn --arg a "$alias" '{mode: "create", tenantid: "TenantA", alias: $a}')"
    assert_equal "$API_STATUS" 201
    assert_equal "$(jq_of "$API_BODY" .alias)" "$alias"
  done
  # The tools keep the command reference's rule, with the message they always gave.
  log_mark
  run_clm clm-id create --alias 'iotgatewaytest cmkey'
  assert_equal "$status" 1
  assert_equal "$stderr" 'clm-id: error: --alias: holds a character outside printable ASCII (spaces and control characters are not allowed)'
  assert_no_requests_since_mark
}

@test "get, verify and delete with stdin at EOF and nothing stored exit 4 without hanging" {
  local sub
  for sub in get verify delete; do
    TEST_CMD_TIMEOUT=10 run_clm clm-id "$sub" </dev/null
    assert_equal "$status" 4
    assert_output ''
    assert_regex "$stderr" 'clm-id: error: missing'
  done
}

# ---------------------------------------------------------------------------------
# server errors

@test "verify with a wrong password exits 200: errorcode 1201, http_status 403, nothing stored" {
  create_id gw05
  run_clm clm-id verify --keyid "$CREATED_KEYID" --key-file "$(key_file "${CREATED_KEY}X")"
  assert_server_error 1201 403
  assert_file_not_exists "$CLM_STATE_DIR/id.json"
}

@test "verify of unknown keyid 0000009999 exits 200: errorcode 1204, http_status 404" {
  run_clm clm-id verify --keyid 0000009999 --key-file "$(key_file SomePassword123)"
  assert_server_error 1204 404
}

@test "delete of unknown keyid 0000009999 exits 200: errorcode 1204, http_status 404" {
  run_clm clm-id delete --keyid 0000009999 --key-file "$(key_file SomePassword123)"
  assert_server_error 1204 404
}

@test "get of an unknown keyid exits 0 with an empty keyinfo" {
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id get --keyid 0000009999
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq -c .keyinfo <<<"$output")" '[]'
}

@test "an expired ID: verify exits 200 with errorcode 1203, http_status 403" {
  start_extra_server expiring --conf 'id_lifetime = 2s'
  export CLM_PORT=$EXTRA_PORT CLM_CACERT="$EXTRA_DIR/tls/ca.pem" CLM_LICENSE_KEY_FILE="$EXTRA_DIR/license.key"
  local before_ms
  before_ms=$(($(date +%s%3N)))
  create_id shortlived
  local expiration
  expiration=$(jq_of "$CREATED_JSON" .expiration)
  # Issued for 2 s: it expires after the request and within a few seconds of it.
  ((expiration >= before_ms + 2000 - 1000 && expiration <= $(date +%s%3N) + 2000))
  local kf
  kf=$(key_file "$CREATED_KEY")
  verify_fails() {
    ! t clm-id verify --keyid "$CREATED_KEYID" --key-file "$kf" >/dev/null 2>&1
  }
  wait_until 15 verify_fails
  run_clm clm-id verify --keyid "$CREATED_KEYID" --key-file "$kf"
  assert_server_error 1203 403
  CLM_LICENSE_KEY_FILE=$EXTRA_ADMIN_KEY_FILE run_clm -0 clm-id get --keyid "$CREATED_KEYID"
  assert_equal "$(jq -c .keyinfo <<<"$output")" '[]'
}

@test "a wrong license key file exits 200 with http_status 401" {
  export CLM_LICENSE_KEY_FILE
  CLM_LICENSE_KEY_FILE=$(key_file WRONG-LICENSE-KEY)
  run_clm clm-id create --alias nolic
  assert_server_error null 401
  assert_regex "$stderr" '401'
}

@test "get with the client license key exits 200: http_status 403, the admin license key is needed" {
  create_id gw-noadmin
  run_clm clm-id get --keyid "$CREATED_KEYID"
  assert_server_error null 403
  assert_equal "$(jq_of "$output" .error)" 'this request needs the admin license key'
  refute_regex "$output" '"key"'
  assert_regex "$stderr" 'admin license key'
  # The same key still creates and verifies IDs; the admin key does too.
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id create --alias by-admin
}

@test "no license key (CLM_LICENSE_KEY_FILE unset) exits 200 with http_status 401" {
  unset CLM_LICENSE_KEY_FILE
  run_clm clm-id get --keyid 0000000001
  assert_server_error null 401
  refute_regex "$output" '"key"'
}

# ---------------------------------------------------------------------------------
# transport errors

@test "a server certificate not signed by --cacert is refused with exit 40" {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=other-test-ca -keyout "$BATS_TEST_TMPDIR/other.key" -out "$BATS_TEST_TMPDIR/other.pem" 2>/dev/null
  run_clm clm-id get --keyid 0000000001 --cacert "$BATS_TEST_TMPDIR/other.pem"
  assert_equal "$status" 40
  assert_output ''
  assert_regex "$stderr" 'clm-id: error: .*(certificate|trusted)'
  # Also through the environment, and with no CA at all (the system store does not know it).
  CLM_CACERT="$BATS_TEST_TMPDIR/other.pem" run_clm clm-id get --keyid 0000000001
  assert_equal "$status" 40
  unset CLM_CACERT
  run_clm clm-id get --keyid 0000000001
  assert_equal "$status" 40
}

@test "an unreadable --cacert file exits 2" {
  run_clm clm-id get --keyid 0000000001 --cacert "$BATS_TEST_TMPDIR/no-such-ca.pem"
  assert_equal "$status" 2
}

@test "--insecure connects without verifying the certificate but warns on stderr" {
  unset CLM_CACERT
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id get --keyid 0000000001 --insecure
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_regex "$stderr" 'insecure'
  # Without it, the same call is refused.
  run_clm clm-id get --keyid 0000000001
  assert_equal "$status" 40
}

@test "connection refused exits 102" {
  local port
  port=$(closed_port)
  run_clm clm-id get --keyid 0000000001 --port "$port"
  assert_equal "$status" 102
  assert_output ''
  assert_regex "$stderr" 'clm-id: error: .*refused'
}

@test "--proxy HOST:PORT tunnels the request through an HTTP CONNECT proxy" {
  connect_proxy
  run_clm clm-id create --alias via-proxy --proxy "127.0.0.1:$PROXY_PORT"
  assert_success
  assert_equal "$(jq -r .alias <<<"$output")" via-proxy
  assert_file_contains "$PROXY_LOG" "^CONNECT 127.0.0.1:$CLM_PORT "
}

@test "--proxy-host and --proxy-port work together, and CLM_PROXY_HOST from the environment too" {
  connect_proxy
  run_clm clm-id create --alias via-proxy2 --proxy-host 127.0.0.1 --proxy-port "$PROXY_PORT"
  assert_success
  CLM_PROXY_HOST=127.0.0.1 CLM_PROXY_PORT=$PROXY_PORT run_clm clm-id create --alias via-proxy3
  assert_success
  assert_equal "$(grep -c '^CONNECT ' "$PROXY_LOG")" 2
}

@test "a proxy that refuses the connection exits 102 and the error names the proxy" {
  local port
  port=$(closed_port)
  run_clm clm-id get --keyid 0000000001 --proxy "127.0.0.1:$port"
  assert_equal "$status" 102
  assert_regex "$stderr" "via proxy 127.0.0.1:$port"
}

@test "the https_proxy variable is ignored: only clm's own proxy settings apply" {
  local port
  port=$(closed_port)
  https_proxy="http://127.0.0.1:$port" HTTPS_PROXY="http://127.0.0.1:$port" CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm clm-id get --keyid 0000000001
  assert_success
}

@test "a server that never answers: --timeout 2 exits 101" {
  silent_server
  TEST_CMD_TIMEOUT=15 run_clm clm-id get --keyid 0000000001 --port "$SILENT_PORT" --timeout 2
  assert_equal "$status" 101
  assert_regex "$stderr" 'clm-id: error: .*timed out'
  assert_file_exists "$SILENT_CONNS"
}

@test "a second verify while the first holds the state directory lock exits 6" {
  silent_server
  local kf
  kf=$(key_file SomePassword123)
  timeout 20 clm-id verify --keyid 0000000001 --key-file "$kf" --port "$SILENT_PORT" --timeout 5 \
    >"$BATS_TEST_TMPDIR/first.out" 2>"$BATS_TEST_TMPDIR/first.err" 3>&- &
  local first=$!
  register_pid "$first"
  # clm-id takes the lock before it connects: once the silent server saw a connection,
  # the first run holds the lock.
  wait_until 10 test -s "$SILENT_CONNS"
  run flock -n "$CLM_STATE_DIR/lock" true
  assert_failure

  run_clm clm-id verify --keyid 0000000001 --key-file "$kf"
  assert_equal "$status" 6
  assert_regex "$stderr" 'clm-id: error: .*lock'

  local rc=0
  wait "$first" || rc=$?
  assert_equal "$rc" 101
  # With the first gone, the lock is free again.
  run flock -n "$CLM_STATE_DIR/lock" true
  assert_success
}

# ---------------------------------------------------------------------------------
# output options

@test "--result-file writes the server's answer to a 0600 file" {
  run_clm -0 clm-id create --alias resultfile --result-file "$BATS_TEST_TMPDIR/answer.json"
  assert_file_exists "$BATS_TEST_TMPDIR/answer.json"
  assert_file_permission 600 "$BATS_TEST_TMPDIR/answer.json"
  assert_equal "$(jq -r .errorcode "$BATS_TEST_TMPDIR/answer.json")" 0
  assert_equal "$(jq -r .key "$BATS_TEST_TMPDIR/answer.json")" "$(jq_of "$output" .key)"
  assert_equal "$(jq -r .keyid "$BATS_TEST_TMPDIR/answer.json")" "$(jq_of "$output" .keyid)"
}

@test "--pretty indents the JSON output" {
  run_clm -0 clm-id create --alias pretty --pretty
  ((${#lines[@]} > 3))
  assert_line --index 0 '{'
  assert_line --regexp '^  "errorcode": 0,?$'
  assert_equal "$(jq_of "$output" .alias)" pretty
  # Global options may also come before the subcommand.
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id --pretty get --keyid 0000009999
  assert_line --index 0 '{'
}

# ---------------------------------------------------------------------------------
# where settings come from

@test "--port on the command line beats CLM_PORT" {
  local right=$CLM_PORT
  CLM_PORT=$(closed_port)
  run_clm clm-id get --keyid 0000000001
  assert_equal "$status" 102
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id get --keyid 0000000001 --port "$right"
  assert_equal "$(jq_of "$output" .errorcode)" 0
}

@test "CLM_PORT beats port= in the config file" {
  local conf="$BATS_TEST_TMPDIR/clm.conf"
  printf 'host=127.0.0.1\nport=%s\n' "$(closed_port)" >"$conf"
  export CLM_CONFIG=$conf
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id get --keyid 0000000001
  assert_equal "$(jq_of "$output" .errorcode)" 0
  unset CLM_PORT
  run_clm clm-id get --keyid 0000000001
  assert_equal "$status" 102
}

@test "a config file alone (host, port, cacert, license_key_file, state_dir) is enough" {
  local conf="$BATS_TEST_TMPDIR/clm.conf"
  # The admin license key is accepted wherever the client one is, and get needs it.
  cat >"$conf" <<EOF
# comment
host = 127.0.0.1
port = $CLM_PORT
cacert = $CLM_CACERT
license_key_file = "$ADMIN_KEY_FILE"
state_dir = $BATS_TEST_TMPDIR/conf-state
EOF
  unset CLM_HOST CLM_PORT CLM_CACERT CLM_LICENSE_KEY_FILE CLM_STATE_DIR CLM_CONFIG
  run_clm -0 clm-id create --alias fromconf --config "$conf"
  local created=$output
  run_clm -0 clm-id verify --config "$conf" <<<"$created"
  assert_file_exists "$BATS_TEST_TMPDIR/conf-state/id.json"
  # The same file through CLM_CONFIG.
  CLM_CONFIG=$conf run_clm -0 clm-id get --keyid "$(jq_of "$created" .keyid)"
  assert_equal "$(jq_of "$output" '.keyinfo[0].alias')" fromconf
}

@test "a config file with a bad port exits 3" {
  local conf="$BATS_TEST_TMPDIR/clm.conf"
  printf 'host=127.0.0.1\nport=notaport\n' >"$conf"
  unset CLM_PORT
  run_clm clm-id get --keyid 0000000001 --config "$conf"
  assert_equal "$status" 3
  assert_regex "$stderr" "clm-id: error: .*port"
}

@test "a missing explicit --config file exits 2" {
  run_clm clm-id get --keyid 0000000001 --config "$BATS_TEST_TMPDIR/no-such.conf"
  assert_equal "$status" 2
  assert_regex "$stderr" 'no-such.conf'
}

@test "--timeout 0 exits 1" {
  run_clm clm-id get --keyid 0000000001 --timeout 0
  assert_equal "$status" 1
  assert_regex "$stderr" 'clm-id: error: .*--timeout'
}

@test "a bad CLM_PORT exits 1" {
  CLM_PORT=99999 run_clm clm-id get --keyid 0000000001
  assert_equal "$status" 1
  assert_regex "$stderr" 'CLM_PORT'
}

# ---------------------------------------------------------------------------------
# command line

@test "--version and --help exit 0" {
  run_clm -0 clm-id --version
  assert_output --partial 'clm-id'
  run_clm -0 clm-id --help
  assert_output --partial 'create'
  assert_output --partial 'verify'
  run_clm -0 clm-id create --help
  assert_output --partial '--alias'
}

@test "an unknown option exits 5" {
  run_clm clm-id get --keyid 0000000001 --no-such-option
  assert_equal "$status" 5
  assert_regex "$stderr" 'clm-id: error: .*--no-such-option'
  run_clm clm-id --no-such-option get --keyid 0000000001
  assert_equal "$status" 5
}

@test "an unknown subcommand exits 5 (bad syntax) and names it" {
  run_clm clm-id frobnicate
  assert_equal "$status" 5
  assert_regex "$stderr" 'clm-id: error: .*frobnicate'
}

@test "no subcommand exits 4 (a required parameter) in every tool, one line naming the subcommands" {
  local tool
  for tool in clm-id clm-cert clm-key clm-device; do
    use_tool_path "$tool"
    run_clm "$tool"
    assert_equal "$status" 4
    assert_equal "$(wc -l <<<"$stderr")" 1
    assert_regex "$stderr" "^$tool: error: missing subcommand: one of create|^$tool: error: missing subcommand: one of get"
  done
}
