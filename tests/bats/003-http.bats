#!/usr/bin/env bats
# clm-server's HTTP front under hostile peers: deadlines, limits before the license,
# the connection cap, TLS suites, log lines a request cannot forge.

load helpers

setup_file() {
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server
}

# Print the server's peak resident set in MiB (VmHWM).
peak_rss_mib() {
  awk '/^VmHWM:/ { print int($2 / 1024) }' "/proc/$1/status"
}

# Skip RSS bounds on sanitizer builds: their shadow memory is not the server's.
skip_rss_on_sanitizer_build() {
  if ldd "$(command -v clm-server)" | grep -q -E 'libasan|libubsan'; then
    skip "RSS bound: sanitizer build"
  fi
}

# py_background NAME SCRIPT [ARGS...]: run a python3 script in the background (stopped
# in teardown); it writes "ready" to $BATS_TEST_TMPDIR/NAME.ready once set up.
py_background() {
  local name=$1 script=$2
  shift 2
  python3 -c "$script" "$BATS_TEST_TMPDIR/$name.ready" "$@" </dev/null >"$BATS_TEST_TMPDIR/$name.out" \
    2>"$BATS_TEST_TMPDIR/$name.err" 3>&- &
  register_pid $!
  wait_until 30 test -s "$BATS_TEST_TMPDIR/$name.ready" || {
    cat "$BATS_TEST_TMPDIR/$name.err" >&2
    return 1
  }
}

IDLE_SOCKETS='
import signal, socket, sys, time
signal.alarm(120)
n, port = int(sys.argv[2]), int(sys.argv[3])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
open(sys.argv[1], "w").write("ready\n")
time.sleep(110)
'

SLOW_HEADERS='
import signal, socket, ssl, sys, threading, time
signal.alarm(120)
n, port = int(sys.argv[2]), int(sys.argv[3])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
conns = []
for _ in range(n):
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
    s.sendall(b"POST /SWCLM/IDInfo HTTP/1.1\r\nHost: x\r\n")
    conns.append(s)
open(sys.argv[1], "w").write("ready\n")
def drip(s):
    try:
        while True:
            time.sleep(20)
            s.sendall(b"X-Slow: 1\r\n")
    except OSError:
        pass
for s in conns:
    threading.Thread(target=drip, args=(s,), daemon=True).start()
time.sleep(110)
'

# Send a raw HTTPS request to the shared server: the bytes of stdin, through openssl
# s_client; print the status line of the answer.
raw_request() {
  timeout 60 openssl s_client -quiet -connect "127.0.0.1:$SERVER_PORT" -CAfile "$SERVER_DIR/tls/ca.pem" \
    2>/dev/null | head -n 1 | tr -d '\r'
}

license_b64() {
  printf '%s:%s' "$LICENSE_USER" "$(<"$SERVER_DIR/license.key")" | base64 -w0
}

@test "with 50 idle TCP sockets and 8 slow-header TLS clients held open, a request is still answered" {
  py_background idle "$IDLE_SOCKETS" 50 "$SERVER_PORT"
  py_background slow "$SLOW_HEADERS" 8 "$SERVER_PORT"
  run timeout 60 curl -sS --noproxy '*' --cacert "$SERVER_DIR/tls/ca.pem" \
    "https://127.0.0.1:$SERVER_PORT/SWCLM/SystemStatus"
  assert_success
  assert_output '{"errorcode":0}'
  run clm-id create --alias busy
  assert_success
}

# A silent TCP socket and a TLS client that stops in the middle of its request head:
# each waits for the server to end it (up to 45 s) and says whether it did.
DEADLINES='
import signal, socket, ssl, sys
signal.alarm(100)
port = int(sys.argv[1])
silent = socket.create_connection(("127.0.0.1", port))
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
half = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)))
half.sendall(b"POST /SWCLM/IDInfo HTTP/1.1\r\nHost: x\r\n")
for name, s in (("silent", silent), ("half-head", half)):
    s.settimeout(45)
    try:
        print(name, "closed by the server" if s.recv(1) == b"" else "got data")
    except socket.timeout:
        print(name, "still open after 45 s")
    except OSError:
        print(name, "closed by the server")
'

@test "a silent connection and one stuck mid-head are closed by the server at their deadline" {
  run timeout 120 python3 -c "$DEADLINES" "$SERVER_PORT"
  assert_success
  assert_line --index 0 'silent closed by the server'
  assert_line --index 1 'half-head closed by the server'
}

@test "a chunked 10 MB body without a license gets 401 and is never read; with one, 413" {
  run bash -c "head -c 10000000 /dev/zero | tr '\\0' a | timeout 60 curl -sS --noproxy '*' \
    --cacert '$SERVER_DIR/tls/ca.pem' -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
    --data-binary @- -o /dev/null -w '%{http_code}' https://127.0.0.1:$SERVER_PORT/SWCLM/KeyInfo"
  assert_output --partial 401
  run bash -c "head -c 10000000 /dev/zero | tr '\\0' a | timeout 60 curl -sS --noproxy '*' \
    --cacert '$SERVER_DIR/tls/ca.pem' -u '$LICENSE_USER:$(<"$SERVER_DIR/license.key")' \
    -H 'Transfer-Encoding: chunked' -H 'Content-Type: application/json' \
    --data-binary @- -o /dev/null -w '%{http_code}' https://127.0.0.1:$SERVER_PORT/SWCLM/KeyInfo"
  assert_output --partial 413
}

@test "a gzip body gets 401 without a license and 415 with one" {
  local bomb="$BATS_TEST_TMPDIR/bomb.gz"
  head -c 100000000 /dev/zero | gzip -9 >"$bomb"
  API_LICENSE=none
  run timeout 60 curl -sS --noproxy '*' --cacert "$SERVER_DIR/tls/ca.pem" -H 'Content-Encoding: gzip' \
    --data-binary @"$bomb" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$SERVER_PORT/SWCLM/KeyInfo"
  assert_output 401
  run timeout 60 curl -sS --noproxy '*' --cacert "$SERVER_DIR/tls/ca.pem" -H 'Content-Encoding: gzip' \
    -u "$LICENSE_USER:$(<"$SERVER_DIR/license.key")" \
    --data-binary @"$bomb" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$SERVER_PORT/SWCLM/KeyInfo"
  assert_output 415
}

@test "after the hostile bodies above, the server's peak RSS stays under 64 MB" {
  skip_rss_on_sanitizer_build
  local rss
  rss=$(peak_rss_mib "$SERVER_PID")
  echo "peak RSS ${rss} MiB" >&3
  ((rss < 64))
}

@test "a declared body over 1 MiB is refused 413 from its head, a head over 16 KiB 431" {
  API_LICENSE=$(<"$SERVER_DIR/license.key")
  run raw_request < <(printf 'POST /SWCLM/KeyInfo HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %s\r\nContent-Length: 2000000\r\n\r\n' "$(license_b64)")
  assert_output 'HTTP/1.1 413 Payload Too Large'
  run raw_request < <(printf 'GET /SWCLM/SystemStatus HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n' "$(head -c 20000 /dev/zero | tr '\0' a)")
  assert_output 'HTTP/1.1 431 Request Header Fields Too Large'
}

@test "JSON nested deeper than 32 levels is refused with errorcode 1101" {
  local deep
  deep=$(printf '%.0s[' {1..40})
  api_request POST /SWCLM/KeyInfo "{\"mode\":\"get\",\"x\":$deep"
  assert_equal "$API_STATUS" 400
  assert_equal "$(jq -r .errorcode <<<"$API_BODY")" 1101
  deep="$(printf '%.0s[' {1..30})$(printf '%.0s]' {1..30})"
  api_request POST /SWCLM/KeyInfo "{\"mode\":\"nosuchmode\",\"x\":$deep}"
  assert_equal "$(jq -r .errorcode <<<"$API_BODY")" 1103
}

@test "a path with %0a yields one log line with the newline escaped" {
  log_mark
  API_LICENSE=none api_request GET '/SWCLM/Sys%0aclm-server:%20forged%20200%20errorcode=0'
  assert_equal "$API_STATUS" 404
  API_LICENSE=none api_request GET /SWCLM/SystemStatus
  wait_until 10 log_has_at_least "$SERVER_LOG" $((LOG_MARK + 2))
  run grep -c 'forged' "$SERVER_LOG"
  assert_output 1
  run grep 'forged' "$SERVER_LOG"
  assert_output --regexp '^clm-server: [0-9T:.Z-]+ 127\.0\.0\.1 GET /SWCLM/Sys\\x0aclm-server: forged 200 errorcode=0 404 errorcode=- '
}

@test "a long mode is cut in the log line, which stays one short line" {
  local body="$BATS_TEST_TMPDIR/long-mode.json"
  {
    printf '{"mode":"'
    head -c 500000 /dev/zero | tr '\0' m
    printf '"}'
  } >"$body"
  log_mark
  api_request POST /SWCLM/IDInfo "@$body"
  assert_equal "$(jq -r .errorcode <<<"$API_BODY")" 1103
  API_LICENSE=none api_request GET /SWCLM/SystemStatus
  wait_until 10 log_has_at_least "$SERVER_LOG" $((LOG_MARK + 2))
  run awk 'length($0) > 400' "$SERVER_LOG"
  assert_output ''
}

@test "TLS 1.2 offers ECDHE with AEAD only; TLS 1.3 works; TLS 1.1 and AES128-SHA are refused" {
  local s="127.0.0.1:$SERVER_PORT" ca="$SERVER_DIR/tls/ca.pem"
  run bash -c "timeout 20 openssl s_client -connect $s -CAfile $ca -tls1_2 -cipher AES128-SHA </dev/null"
  assert_failure
  run bash -c "timeout 20 openssl s_client -connect $s -CAfile $ca -tls1_2 -cipher 'AES128-GCM-SHA256:AES256-SHA256' </dev/null"
  assert_failure
  run bash -c "timeout 20 openssl s_client -connect $s -CAfile $ca -tls1_1 </dev/null"
  assert_failure
  run bash -c "timeout 20 openssl s_client -connect $s -CAfile $ca -tls1_2 </dev/null"
  assert_success
  assert_output --regexp 'Cipher is ECDHE-(RSA|ECDSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)'
  run bash -c "timeout 20 openssl s_client -connect $s -CAfile $ca -tls1_3 </dev/null"
  assert_success
  assert_output --partial 'TLSv1.3'
}

@test "beyond --max-connections new connections are closed at once, and served again once some end" {
  start_extra_server capped --max-connections 4
  # Four silent sockets fill the cap (until their 10 s handshake deadline frees them).
  py_background held "$IDLE_SOCKETS" 4 "$EXTRA_PORT"
  local held_pid
  held_pid=$(tail -n 1 "$BATS_TEST_TMPDIR/.pids")
  run timeout 20 curl -sS --noproxy '*' --cacert "$EXTRA_DIR/tls/ca.pem" \
    "https://127.0.0.1:$EXTRA_PORT/SWCLM/SystemStatus"
  assert_failure
  wait_until 10 grep -q 'connections open (--max-connections); closing new ones at once' "$EXTRA_LOG"
  kill_pid "$held_pid"
  wait_until 20 timeout 10 curl -sS --noproxy '*' --cacert "$EXTRA_DIR/tls/ca.pem" \
    "https://127.0.0.1:$EXTRA_PORT/SWCLM/SystemStatus"
}

@test "an unknown path is 404 and a known path with another method 405 with Allow" {
  API_LICENSE=none api_request GET /SWCLM/NoSuchThing
  assert_equal "$API_STATUS" 404
  API_LICENSE=none api_request DELETE /SWCLM/KeyInfo
  assert_equal "$API_STATUS" 405
  run grep -i '^allow: POST' "$API_HEADERS"
  assert_success
}

@test "SIGHUP rereads the TLS identity and keeps serving, an open keep-alive connection included" {
  start_extra_server hup
  local script='
import http.client, ssl, sys, os, signal, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
c = http.client.HTTPSConnection("127.0.0.1", int(sys.argv[3]), context=ctx, timeout=20)
c.request("GET", "/SWCLM/SystemStatus"); r = c.getresponse(); r.read(); print(r.status)
os.kill(int(sys.argv[4]), signal.SIGHUP)
time.sleep(1)
c.request("GET", "/SWCLM/SystemStatus"); r = c.getresponse(); r.read(); print(r.status)
'
  run timeout 60 python3 -c "$script" x "$EXTRA_DIR/tls/ca.pem" "$EXTRA_PORT" "$EXTRA_PID"
  assert_success
  assert_output $'200\n200'
  wait_until 10 grep -q 'SIGHUP: reloaded the TLS certificate and key' "$EXTRA_LOG"
  run timeout 20 curl -sS --noproxy '*' --cacert "$EXTRA_DIR/tls/ca.pem" \
    "https://127.0.0.1:$EXTRA_PORT/SWCLM/SystemStatus"
  assert_success
}
