#!/usr/bin/env bats
# clm-server: init, serve, TLS, license checks, request log, WebAPI errors, store errors.

load helpers

setup_file() {
  # The tests of a file share one server and count its log lines: never run them in parallel.
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server --hostname clm.test.invalid
}


# Print "mode sha256 path" for every file under DIR.
dir_fingerprint() {
  (cd "$1" && find . -type f -print0 | sort -z | xargs -0 stat -c '%a %n' &&
    find . -type f -print0 | sort -z | xargs -0 sha256sum)
}

# ---------------------------------------------------------------------------------
# init

@test "init creates DIR 0700 with clm.db, master.key and license.key 0600 and tls/ca.pem" {
  local dir="$BATS_TEST_TMPDIR/data"
  run_clm -0 clm-server init --data-dir "$dir"
  assert_output ''
  assert_regex "$stderr" "initialized $dir"
  assert_dir_exists "$dir"
  assert_file_permission 700 "$dir"
  local f
  for f in clm.db master.key license.key; do
    assert_file_exists "$dir/$f"
    assert_file_permission 600 "$dir/$f"
    assert_size_not_zero "$dir/$f"
  done
  assert_file_exists "$dir/tls/ca.pem"
  run openssl x509 -in "$dir/tls/ca.pem" -noout -subject
  assert_success
}

@test "init generates a license key and says where it is, without printing it" {
  local dir="$BATS_TEST_TMPDIR/data"
  run_clm -0 clm-server init --data-dir "$dir" --key-type ec-p256
  local license
  license=$(<"$dir/license.key")
  [[ -n $license ]]
  assert_regex "$stderr" "license key in $dir/license.key"
  refute_output --partial "$license"
  [[ $stderr != *"$license"* ]]
}

@test "the server certificate (tls/server.pem, the leaf alone) verifies against tls/ca.pem" {
  run grep -c -- '-----BEGIN CERTIFICATE-----' "$SERVER_DIR/tls/server.pem"
  assert_output 1
  run openssl verify -CAfile "$SERVER_DIR/tls/ca.pem" -purpose sslserver "$SERVER_DIR/tls/server.pem"
  assert_success
  assert_output --partial ': OK'
}

@test "init on an initialized DIR says already initialized and changes nothing" {
  local before after master_before
  before=$(dir_fingerprint "$SERVER_DIR")
  master_before=$(sha256sum <"$SERVER_DIR/master.key")
  run_clm -0 clm-server init --data-dir "$SERVER_DIR"
  assert_regex "$stderr" 'already initialized'
  after=$(dir_fingerprint "$SERVER_DIR")
  assert_equal "$(sha256sum <"$SERVER_DIR/master.key")" "$master_before"
  assert_equal "$after" "$before"
}

@test "migrate reports the schema version; a store of a newer schema is refused (exit 32) and left as it is" {
  local dir="$BATS_TEST_TMPDIR/future"
  run_clm -0 clm-server init --data-dir "$dir"
  run_clm -0 clm-server migrate --data-dir "$dir"
  assert_equal "$output" '{"applied":[],"schema_version":5}'
  sqlite3 "$dir/clm.db" "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (99, 'future', 1)"
  local sub
  for sub in migrate serve; do
    run_clm -32 clm-server "$sub" --data-dir "$dir"
    assert_equal "$stderr" "clm-server: error: $dir/clm.db: the store's schema is version 99, newer than this clm-server knows (5); run a newer clm-server"
  done
  assert_equal "$(sqlite3 "$dir/clm.db" 'SELECT group_concat(version) FROM schema_migrations')" '1,2,3,4,5,99'
  run_clm -2 clm-server migrate --data-dir "$BATS_TEST_TMPDIR/nothing-here"
  assert_regex "$stderr" "^clm-server: error: .*nothing-here holds no store"
}

@test "migrate completes a store from before versioned schemas and records versions 1 to 5" {
  local dir="$BATS_TEST_TMPDIR/old"
  mkdir -m 700 "$dir"
  # The tables of an early release: no owners, no callers of events, no grants, no versions.
  sqlite3 "$dir/clm.db" "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE ids (keyid INTEGER PRIMARY KEY, tenantid TEXT NOT NULL, alias TEXT NOT NULL,
      sealed_key BLOB NOT NULL, status TEXT NOT NULL, expiration INTEGER NOT NULL);
    CREATE TABLE devices (deviceid TEXT PRIMARY KEY, devicename TEXT NOT NULL UNIQUE, sealed_key BLOB NOT NULL,
      ipaddress TEXT NOT NULL DEFAULT '', macaddress TEXT NOT NULL DEFAULT '', ext_data TEXT NOT NULL DEFAULT '{}',
      status TEXT NOT NULL, created_ms INTEGER NOT NULL);
    CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, deviceid TEXT NOT NULL, api TEXT NOT NULL,
      mode TEXT NOT NULL, keynumber INTEGER, filepath TEXT NOT NULL DEFAULT '', at_ms INTEGER NOT NULL);
    INSERT INTO meta VALUES ('schema_version', '1');
    INSERT INTO devices VALUES ('0000000001', 'old-gw', x'00', '', '', '{}', 'valid', 1);"
  run_clm -0 clm-server migrate --data-dir "$dir"
  assert_equal "$output" '{"applied":[1,2,3,4,5],"schema_version":5}'
  assert_equal "$(sqlite3 "$dir/clm.db" 'SELECT group_concat(version) FROM schema_migrations')" '1,2,3,4,5'
  assert_equal "$(sqlite3 "$dir/clm.db" "SELECT devicename || ':' || ifnull(owner_keyid, 'unclaimed') FROM devices")" \
    'old-gw:unclaimed'
  assert_equal "$(sqlite3 "$dir/clm.db" "SELECT count(*) FROM meta WHERE key = 'schema_version'")" 0
  run_clm -0 clm-server migrate --data-dir "$dir"
  assert_equal "$output" '{"applied":[],"schema_version":5}'
}

@test "init --license-key-file F stores F's key and serve accepts it" {
  local key_file="$BATS_TEST_TMPDIR/my-license" dir="$BATS_TEST_TMPDIR/lic"
  printf 'MY-OWN-LICENSE-KEY-12345\n' >"$key_file"
  run_clm -0 clm-server init --data-dir "$dir" --license-key-file "$key_file" --key-type ec-p256
  refute_regex "$stderr" 'generated a license key'
  assert_equal "$(<"$dir/license.key")" "MY-OWN-LICENSE-KEY-12345"
  assert_file_permission 600 "$dir/license.key"

  start_extra_server lic
  API_DIR=$EXTRA_DIR API_PORT=$EXTRA_PORT API_LICENSE=MY-OWN-LICENSE-KEY-12345 \
    api_request POST /SWCLM/IDInfo '{"mode":"create","tenantid":"TenantA","alias":"lic"}'
  assert_equal "$API_STATUS" 201
  assert_equal "$(jq_of "$API_BODY" .errorcode)" 0
}

# ---------------------------------------------------------------------------------
# serve, TLS

@test "serve answers GET /SWCLM/SystemStatus with 200 {\"errorcode\":0} without a license" {
  API_LICENSE=none api_request GET /SWCLM/SystemStatus
  assert_equal "$API_STATUS" 200
  assert_equal "$(jq -c . <<<"$API_BODY")" '{"errorcode":0}'
}

@test "the TLS certificate's SAN covers localhost, 127.0.0.1 and ::1" {
  run openssl x509 -in "$SERVER_DIR/tls/server.pem" -noout -ext subjectAltName
  assert_success
  assert_output --partial 'DNS:localhost'
  assert_output --partial 'IP Address:127.0.0.1'
  assert_output --regexp 'IP Address:(0:0:0:0:0:0:0:1|::1)'

  local curl_args=(-sS --noproxy '*' --max-time 20 --cacert "$SERVER_DIR/tls/ca.pem")
  run curl "${curl_args[@]}" --resolve "localhost:$SERVER_PORT:127.0.0.1" \
    "https://localhost:$SERVER_PORT/SWCLM/SystemStatus"
  assert_success
  assert_output '{"errorcode":0}'
  # Check the name [::1] while connecting over IPv4 loopback.
  run curl "${curl_args[@]}" --connect-to "[::1]:$SERVER_PORT:127.0.0.1:$SERVER_PORT" \
    "https://[::1]:$SERVER_PORT/SWCLM/SystemStatus"
  assert_success
  assert_output '{"errorcode":0}'
  # Control: the same route with a name the certificate does not hold is refused.
  run curl "${curl_args[@]}" --connect-to "[::2]:$SERVER_PORT:127.0.0.1:$SERVER_PORT" \
    "https://[::2]:$SERVER_PORT/SWCLM/SystemStatus"
  assert_failure
}

@test "serve --hostname NAME adds NAME to the TLS certificate" {
  run openssl x509 -in "$SERVER_DIR/tls/server.pem" -noout -ext subjectAltName
  assert_output --partial 'DNS:clm.test.invalid'
  run curl -sS --noproxy '*' --max-time 20 --cacert "$SERVER_DIR/tls/ca.pem" \
    --resolve "clm.test.invalid:$SERVER_PORT:127.0.0.1" "https://clm.test.invalid:$SERVER_PORT/SWCLM/SystemStatus"
  assert_success
  assert_output '{"errorcode":0}'
  # A name not in the certificate is refused by a verifying client.
  run curl -sS --noproxy '*' --max-time 20 --cacert "$SERVER_DIR/tls/ca.pem" \
    --resolve "other.test.invalid:$SERVER_PORT:127.0.0.1" "https://other.test.invalid:$SERVER_PORT/SWCLM/SystemStatus"
  assert_failure
}

# ---------------------------------------------------------------------------------
# license

@test "POST /SWCLM/IDInfo without credentials is refused with 401 and WWW-Authenticate: Basic" {
  API_LICENSE=none api_request POST /SWCLM/IDInfo '{"mode":"create","tenantid":"TenantA","alias":"x"}'
  assert_equal "$API_STATUS" 401
  assert_equal "$API_BODY" '{"error":"license key missing or wrong"}'  # as clm-server(8) says
  run grep -i '^WWW-Authenticate: Basic realm="clm"' "$API_HEADERS"
  assert_success
}

@test "GET /SWCLM/IDInfo without credentials is refused with 401" {
  API_LICENSE=none api_request GET '/SWCLM/IDInfo?keyid=0000000001'
  assert_equal "$API_STATUS" 401
  refute_regex "$API_BODY" '"key"'
}

@test "GET /SWCLM/IDInfo with the client license key is refused with 403, with and without keyid" {
  local keyid path
  api_request POST /SWCLM/IDInfo '{"mode":"create","tenantid":"TenantA","alias":"notforclients"}'
  assert_equal "$API_STATUS" 201
  keyid=$(jq_of "$API_BODY" .keyid)
  for path in "/SWCLM/IDInfo?keyid=$keyid" /SWCLM/IDInfo; do
    api_request GET "$path"
    assert_equal "$API_STATUS" 403
    assert_equal "$API_BODY" '{"error":"this request needs the admin license key"}'
    run grep -i '^WWW-Authenticate' "$API_HEADERS"
    assert_failure
  done
  # The admin license key gets the passwords, one ID or all.
  admin_request GET "/SWCLM/IDInfo?keyid=$keyid"
  assert_equal "$API_STATUS" 200
  assert_equal "$(jq_of "$API_BODY" '.keyinfo[0].alias')" notforclients
  admin_request GET /SWCLM/IDInfo
  assert_equal "$API_STATUS" 200
  assert_equal "$(jq_of "$API_BODY" "[.keyinfo[] | select(.keyid == \"$keyid\")] | length")" 1
}

@test "the admin license key is accepted wherever the client one is" {
  admin_request POST /SWCLM/IDInfo '{"mode":"create","tenantid":"TenantA","alias":"byadmin"}'
  assert_equal "$API_STATUS" 201
  admin_request POST /SWCLM/DeviceInfo "{\"mode\":\"getkeylist\",\"keyid\":\"$(jq_of "$API_BODY" .keyid)\",\"key\":\"$(jq_of "$API_BODY" .key)\",\"deviceinfo\":[]}"
  assert_equal "$API_STATUS" 200
  assert_file_permission 600 "$SERVER_DIR/admin.key"
  [[ $(<"$SERVER_DIR/admin.key") != "$(<"$SERVER_DIR/license.key")" ]]
}

@test "a wrong license key is refused with 401" {
  API_LICENSE=WRONG-LICENSE-KEY api_request POST /SWCLM/IDInfo '{"mode":"create","tenantid":"TenantA","alias":"x"}'
  assert_equal "$API_STATUS" 401
  assert_equal "$API_BODY" '{"error":"license key missing or wrong"}'
  run grep -i '^WWW-Authenticate: Basic' "$API_HEADERS"
  assert_success
}

# ---------------------------------------------------------------------------------
# request log

@test "each request logs one line with method, path, status, errorcode= and ms" {
  local n
  log_mark
  n=$LOG_MARK
  API_LICENSE=none api_request GET /SWCLM/SystemStatus
  wait_until 10 log_has_at_least "$SERVER_LOG" $((n + 1))
  api_request POST /SWCLM/IDInfo '{"mode":"create","tenantid":"TenantA","alias":"logline"}'
  assert_equal "$API_STATUS" 201
  wait_until 10 log_has_at_least "$SERVER_LOG" $((n + 2))
  api_request POST /SWCLM/IDInfo '{"mode":"bogus"}'
  assert_equal "$API_STATUS" 400
  wait_until 10 log_has_at_least "$SERVER_LOG" $((n + 3))

  run tail -n 3 "$SERVER_LOG"
  assert_line --index 0 --regexp 'GET /SWCLM/SystemStatus 200 errorcode=0 [0-9.]+ ?ms'
  assert_line --index 1 --regexp 'POST /SWCLM/IDInfo 201 errorcode=0 [0-9.]+ ?ms'
  assert_line --index 2 --regexp 'POST /SWCLM/IDInfo 400 errorcode=1103 [0-9.]+ ?ms'
  assert_equal "$(request_lines "$SERVER_LOG")" $((n + 3))
}

@test "a request refused with 401 logs exactly one line and its body is not run as another request" {
  local n body
  log_mark
  n=$LOG_MARK
  # The body is itself a complete HTTP request: a server that does not consume the body of
  # a refused request would read it as a second request on the same connection.
  body="$BATS_TEST_TMPDIR/smuggled"
  printf 'GET /SWCLM/SystemStatus HTTP/1.1\r\nHost: x\r\n\r\n' >"$body"
  API_LICENSE=none api_request POST /SWCLM/IDInfo "@$body"
  assert_equal "$API_STATUS" 401
  # A marker request: once its line is there, every earlier line is too.
  admin_request GET /SWCLM/IDInfo?keyid=0000000077
  wait_until 10 grep -q 'GET /SWCLM/IDInfo 200' "$SERVER_LOG"
  printf 'request lines logged by this test:\n' >&2
  grep 'errorcode=' "$SERVER_LOG" | tail -n +$((n + 1)) >&2
  assert_equal "$(request_lines "$SERVER_LOG")" $((n + 2))
  run tail -n 2 "$SERVER_LOG"
  assert_line --index 0 --regexp 'POST /SWCLM/IDInfo 401 errorcode=- '
  assert_line --index 1 --regexp 'GET /SWCLM/IDInfo 200 errorcode=0 '
}

@test "the request log never holds the license key or a generated password" {
  local n license key
  license=$(<"$SERVER_DIR/license.key")
  log_mark
  n=$LOG_MARK
  api_request POST /SWCLM/IDInfo '{"mode":"create","tenantid":"TenantA","alias":"secretcheck"}'
  assert_equal "$API_STATUS" 201
  key=$(jq_of "$API_BODY" .key)
  local keyid
  keyid=$(jq_of "$API_BODY" .keyid)
  [[ ${#key} -ge 8 ]]
  admin_request GET "/SWCLM/IDInfo?keyid=$keyid"
  assert_equal "$(jq_of "$API_BODY" '.keyinfo[0].key')" "$key"
  api_request POST /SWCLM/IDInfo "{\"mode\":\"auth\",\"keyid\":\"$keyid\",\"key\":\"$key\"}"
  assert_equal "$API_STATUS" 200
  api_request POST /SWCLM/IDInfo "{\"mode\":\"auth\",\"keyid\":\"$keyid\",\"key\":\"${key}x\"}"
  assert_equal "$API_STATUS" 403
  API_LICENSE="${license}x" api_request POST /SWCLM/IDInfo '{"mode":"create","tenantid":"TenantA","alias":"y"}'
  assert_equal "$API_STATUS" 401
  wait_until 10 log_has_at_least "$SERVER_LOG" $((n + 5))

  run grep -F -- "$key" "$SERVER_LOG"
  assert_failure
  run grep -F -- "$license" "$SERVER_LOG"
  assert_failure
  run grep -F -- "$(<"$SERVER_DIR/admin.key")" "$SERVER_LOG"
  assert_failure
}

@test "SIGTERM stops serve cleanly: exit status 0 and 'stopped' in the log" {
  start_extra_server term
  API_DIR=$EXTRA_DIR API_PORT=$EXTRA_PORT API_LICENSE=none api_request GET /SWCLM/SystemStatus
  assert_equal "$API_STATUS" 200
  kill -TERM "$EXTRA_PID"
  local rc=0
  wait "$EXTRA_PID" || rc=$?
  assert_equal "$rc" 0
  assert_file_contains "$EXTRA_LOG" 'stopped'
}

# ---------------------------------------------------------------------------------
# WebAPI request errors

@test "a body that is not JSON is answered 400 {\"errorcode\":1101}" {
  api_request POST /SWCLM/IDInfo '{"mode":'
  assert_equal "$API_STATUS" 400
  assert_equal "$(jq -c . <<<"$API_BODY")" '{"errorcode":1101}'
  api_request POST /SWCLM/IDInfo '["mode","create"]'
  assert_equal "$API_STATUS" 400
  assert_equal "$(jq_of "$API_BODY" .errorcode)" 1101
}

@test "a body without mode is answered 400 errorcode 1102" {
  api_request POST /SWCLM/IDInfo '{"tenantid":"TenantA","alias":"x"}'
  assert_equal "$API_STATUS" 400
  assert_equal "$(jq_of "$API_BODY" .errorcode)" 1102
}

@test "an unknown mode is answered 400 errorcode 1103" {
  api_request POST /SWCLM/IDInfo '{"mode":"explode","tenantid":"TenantA","alias":"x"}'
  assert_equal "$API_STATUS" 400
  assert_equal "$(jq_of "$API_BODY" .errorcode)" 1103
}

# ---------------------------------------------------------------------------------
# store errors (each with a server of its own)

@test "with the ids table dropped, create answers 500 errorcode 1602" {
  start_extra_server dropped
  run sqlite3 "$EXTRA_DIR/clm.db" 'DROP TABLE ids'
  assert_success
  API_DIR=$EXTRA_DIR API_PORT=$EXTRA_PORT \
    api_request POST /SWCLM/IDInfo '{"mode":"create","tenantid":"TenantA","alias":"x"}'
  assert_equal "$API_STATUS" 500
  assert_equal "$(jq_of "$API_BODY" .errorcode)" 1602
  refute_regex "$API_BODY" '"key"'
}

@test "a sealed password that fails authentication answers 500 errorcode 2003 through clm-id" {
  start_extra_server tampered
  local out
  out=$(CLM_PORT=$EXTRA_PORT CLM_CACERT=$EXTRA_DIR/tls/ca.pem CLM_LICENSE_KEY_FILE=$EXTRA_DIR/license.key \
    timeout 30 clm-id create --alias tampered)
  # Change the last byte of the sealed password (the GCM tag) in the store.
  run sqlite3 "$EXTRA_DIR/clm.db" \
    "UPDATE ids SET sealed_key = substr(sealed_key, 1, length(sealed_key) - 1)
       || CASE WHEN substr(sealed_key, -1) = x'00' THEN x'01' ELSE x'00' END"
  assert_success
  CLM_PORT=$EXTRA_PORT CLM_CACERT=$EXTRA_DIR/tls/ca.pem CLM_LICENSE_KEY_FILE=$EXTRA_DIR/license.key \
    run_clm clm-id verify <<<"$out"
  assert_equal "$status" 200
  assert_equal "$(jq -c '[.errorcode, .http_status]' <<<"$output")" '[2003,500]'
  assert_regex "$stderr" 'errorcode 2003'
  assert_file_contains "$EXTRA_LOG" 'errorcode=2003'
}

@test "with the database file moved away, GET /SWCLM/SystemStatus answers 500 errorcode 1601" {
  start_extra_server moved
  API_DIR=$EXTRA_DIR API_PORT=$EXTRA_PORT API_LICENSE=none api_request GET /SWCLM/SystemStatus
  assert_equal "$API_STATUS" 200
  mv "$EXTRA_DIR/clm.db" "$BATS_TEST_TMPDIR/clm.db.away"
  API_DIR=$EXTRA_DIR API_PORT=$EXTRA_PORT API_LICENSE=none api_request GET /SWCLM/SystemStatus
  assert_equal "$API_STATUS" 500
  assert_equal "$(jq -c . <<<"$API_BODY")" '{"errorcode":1601}'
}

# ---------------------------------------------------------------------------------
# command line

@test "serve --listen with a bad value exits 1" {
  local bad
  for bad in nonsense 127.0.0.1 127.0.0.1: :8443 127.0.0.1:99999 127.0.0.1:-1 127.0.0.1:80x; do
    run_clm clm-server serve --data-dir "$BATS_TEST_TMPDIR/listen" --listen "$bad"
    assert_equal "$status" 1
    assert_regex "$stderr" "clm-server: error: .*--listen"
  done
}
