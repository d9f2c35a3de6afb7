#!/usr/bin/env bats
# --retry, CLM_RETRY, the config key retry and several --host entries, against a real
# clm-server on loopback with real TLS. A hostile TLS peer (python3: it accepts, reads
# the whole request and closes without answering) shows that a request that changes
# state is never sent again once it may have reached a server.

load helpers

setup_file() {
  start_server
}

# hostile_peer: a TLS server on loopback, with a self-signed certificate for 127.0.0.1
# of its own (HOSTILE_CERT), that reads one whole request per connection and closes
# without a byte of answer. Sets HOSTILE_PORT, HOSTILE_CONNS (one line per accepted
# connection) and HOSTILE_REQUESTS (the request line of each request read).
hostile_peer() {
  local tls=$BATS_TEST_TMPDIR/hostile-tls
  mkdir -p "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null || return 1
  HOSTILE_CERT=$tls/cert.pem
  start_py_listener "
import ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain('$tls/cert.pem', '$tls/key.pem')
while True:
    c, _ = s.accept()
    with open(d + '/conns', 'a') as f:
        f.write('accepted\n')
    try:
        t = ctx.wrap_socket(c, server_side=True)
        head, body = read_request(t)
        with open(d + '/requests', 'a') as f:
            f.write(head.split(b'\r\n')[0].decode() + ' ' + str(len(body)) + '\n')
        t.close()
    except (OSError, ValueError):
        c.close()
" || return 1
  HOSTILE_PORT=$PY_PORT HOSTILE_CONNS="$PY_DIR/conns" HOSTILE_REQUESTS="$PY_DIR/requests"
}

# line_count FILE: the number of lines of FILE (0 when it does not exist).
line_count() {
  if [[ -f $1 ]]; then
    wc -l <"$1" | tr -d ' '
  else
    echo 0
  fi
}

# assert_requests_since_mark N: the shared server logged exactly N requests since
# log_mark (a settle request goes last, so every earlier line is written).
assert_requests_since_mark() {
  API_LICENSE=none api_request GET /SWCLM/SystemStatus
  wait_until 10 log_has_at_least "$SERVER_LOG" $((LOG_MARK + $1 + 1))
  assert_equal "$(request_lines "$SERVER_LOG")" $((LOG_MARK + $1 + 1))
}

# assert_attempts TOOL N CODE REASON: the run_clm just made failed with exit CODE, no
# stdout, and one stderr line saying N attempts failed with REASON (a regex).
assert_attempts() {
  local tool=$1 n=$2 code=$3 reason=$4 word=attempts
  ((n == 1)) && word=attempt
  assert_equal "$status" "$code"
  assert_output ''
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr_lines[0]}" "^$tool: error: $n $word to .* failed: $reason"
}

@test "--host with a closed port first: a get and a create both succeed on the second host" {
  local closed list created keyid
  closed=$(closed_port)
  list="127.0.0.1:$closed,127.0.0.1:$SERVER_PORT"
  # A create: refused before one byte was sent, so sending it to the next host is safe.
  log_mark
  run_clm -0 clm-id create --alias viahostlist --host "$list"
  assert_equal "$stderr" ''
  created=$output
  keyid=$(jq_of "$created" .keyid)
  assert_regex "$keyid" '^[0-9]+$'
  # Exactly one request reached the server: the create, once.
  assert_requests_since_mark 1
  # A get (admin license key), the list from CLM_HOST with the port of the entries.
  CLM_HOST=$list CLM_PORT=1 CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id get --keyid "$keyid"
  assert_equal "$(jq_of "$output" .keyid)" "$keyid"
  assert_equal "$stderr" ''
  # A device-bound create (clm-key) through the list too.
  clm-id verify <<<"$created" >/dev/null
  run_clm -0 clm-key create --host "$list" --device "$(dev k)" --alias "k$BATS_TEST_NUMBER" --type AES \
    --length 128 --out "$(outdir keys)"
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$stderr" ''
}

@test "--host entries without a port take --port; [::1]:PORT and bare IPv6 are accepted" {
  local closed
  closed=$(closed_port)
  run_clm clm-id create --alias x --host "[::1]:$closed,::1" --port "$closed" --retry 1
  assert_attempts clm-id 2 102 'connection refused'
  assert_regex "${stderr_lines[0]}" "2 attempts to \\[::1\\]:$closed failed"
  run_clm clm-id create --alias x --host "127.0.0.1:$closed,,x" --retry 0
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-id: error: --host: '
}

@test "--retry 0 against a closed port: one attempt, exit 102, one line" {
  local closed
  closed=$(closed_port)
  run_clm clm-id create --alias once --host 127.0.0.1 --port "$closed" --retry 0
  assert_attempts clm-id 1 102 'connection refused'
  assert_regex "${stderr_lines[0]}" "1 attempt to 127\\.0\\.0\\.1:$closed failed"
  # A list of two: three attempts go round it (a create too, since none was sent).
  verified_id
  run_clm clm-key create --host "127.0.0.1:$closed,127.0.0.2:$closed" --retry 2 --device "$(dev k)" --alias k \
    --type AES --length 128 --out "$(outdir k)"
  assert_attempts clm-key 3 102 'connection refused'
  assert_regex "${stderr_lines[0]}" "3 attempts to 127\\.0\\.0\\.1:$closed, 127\\.0\\.0\\.2:$closed failed"
}

@test "a server started a moment after the tool is reached through retries for a read" {
  local d=$BATS_TEST_TMPDIR/late port created
  # A server of its own with one ID in it, stopped, then started again on its port
  # a second after the tool began.
  launch_server "$d" --key-type ec-p256
  register_pid "$LAUNCHED_PID"
  port=$LAUNCHED_PORT
  created=$(CLM_PORT=$port CLM_CACERT="$d/tls/ca.pem" CLM_LICENSE_KEY_FILE="$d/license.key" \
    t clm-id create --alias late)
  kill_pid "$LAUNCHED_PID"
  (
    sleep 1
    exec clm-server serve --data-dir "$d" --listen "127.0.0.1:$port" --key-type ec-p256
  ) </dev/null >/dev/null 2>"$d.late.log" 3>&- &
  register_pid "$!"
  # Up to 10 retries: pauses drawn below 0.25, 0.5, 1, 2, 4 and then 8 s each.
  CLM_PORT=$port CLM_CACERT="$d/tls/ca.pem" CLM_LICENSE_KEY_FILE="$d/license.key" TEST_CMD_TIMEOUT=120 \
    run_clm clm-id verify --retry 10 <<<"$created"
  assert_success
  assert_equal "$stderr" ''
}

@test "CLM_RETRY and the config key retry set the attempts; --retry beats both" {
  local closed conf=$BATS_TEST_TMPDIR/clm.conf
  closed=$(closed_port)
  CLM_RETRY=0 run_clm clm-id create --alias r --port "$closed"
  assert_attempts clm-id 1 102 'connection refused'
  CLM_RETRY=1 run_clm clm-id create --alias r --port "$closed"
  assert_attempts clm-id 2 102 'connection refused'
  printf 'host = 127.0.0.1\nport = %s\nretry = 3\n' "$closed" >"$conf"
  unset CLM_HOST CLM_PORT
  CLM_CONFIG=$conf run_clm clm-id create --alias r
  assert_attempts clm-id 4 102 'connection refused'
  CLM_CONFIG=$conf CLM_RETRY=0 run_clm clm-id create --alias r
  assert_attempts clm-id 1 102 'connection refused'
  CLM_CONFIG=$conf CLM_RETRY=0 run_clm clm-id create --alias r --retry 1
  assert_attempts clm-id 2 102 'connection refused'
  # Out of range: exit 1 from an option or variable, 3 from the file, naming the origin.
  run_clm clm-id create --alias r --host 127.0.0.1 --retry 11
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-id: error: --retry: '
  CLM_RETRY=-1 run_clm clm-id create --alias r --host 127.0.0.1
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-id: error: CLM_RETRY: '
  printf 'host = 127.0.0.1\nretry = many\n' >"$conf"
  CLM_CONFIG=$conf run_clm clm-id create --alias r
  assert_equal "$status" 3
  assert_regex "$stderr" "^clm-id: error: $conf: retry: "
}

@test "a create is not sent again once it reached a peer that closed without answering" {
  hostile_peer
  CLM_CACERT=$HOSTILE_CERT run_clm clm-id create --alias once --host 127.0.0.1 --port "$HOSTILE_PORT" --retry 5
  assert_attempts clm-id 1 40 '.*not sent again: the request changes state'
  assert_equal "$(line_count "$HOSTILE_CONNS")" 1
  assert_equal "$(line_count "$HOSTILE_REQUESTS")" 1
  assert_file_contains "$HOSTILE_REQUESTS" '^POST /SWCLM/IDInfo HTTP/1.1 [1-9]'
}

@test "a create that reached a silent peer does not go on to the next host; a read does" {
  hostile_peer
  cat "$HOSTILE_CERT" "$SERVER_DIR/tls/ca.pem" >"$BATS_TEST_TMPDIR/both.pem"
  local list="127.0.0.1:$HOSTILE_PORT,127.0.0.1:$SERVER_PORT" created
  log_mark
  CLM_CACERT=$BATS_TEST_TMPDIR/both.pem run_clm clm-id create --alias twice --host "$list" --retry 3
  assert_attempts clm-id 1 40 '.*not sent again'
  assert_equal "$(line_count "$HOSTILE_CONNS")" 1
  assert_no_requests_since_mark
  # The same ID verified (mode auth, a read) through the same list: the peer's silence
  # is retried on the real server.
  created=$(t clm-id create --alias twice)
  CLM_CACERT=$BATS_TEST_TMPDIR/both.pem run_clm -0 clm-id verify --host "$list" --retry 3 <<<"$created"
  assert_equal "$stderr" ''
  assert_equal "$(line_count "$HOSTILE_CONNS")" 2
}

@test "a read against a peer that never answers is tried 1 + --retry times, then exit 40" {
  hostile_peer
  printf 'SomePassword123\n' >"$BATS_TEST_TMPDIR/pw"
  CLM_CACERT=$HOSTILE_CERT run_clm clm-id verify --keyid 0000000001 --key-file "$BATS_TEST_TMPDIR/pw" \
    --host 127.0.0.1 --port "$HOSTILE_PORT" --retry 2
  assert_attempts clm-id 3 40 ''
  assert_equal "$(line_count "$HOSTILE_CONNS")" 3
}
