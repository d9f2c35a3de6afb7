#!/usr/bin/env bats
# What clm does for systemd and syslog, without systemd running: clm-server's
# sd_notify messages (READY, RELOADING around SIGHUP, STOPPING) read off a real
# NOTIFY_SOCKET; the ExecStart lines of clm-cert-renew@ and clm-key-rotate@ run as
# systemd would run them, against a real clm-server; --syslog read off a real
# /dev/log socket, and the journal's priority prefixes when stderr is the journal.
# (systemd-analyze verify runs on the installed units in 140-package.bats.)

load helpers

setup_file() {
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server
}

setup() {
  load_libs
  setup_common
  UNITS=$TEST_BUILD_DIR/packaging/systemd
  UNIT_EXEC=$BATS_TEST_DIRNAME/fixtures/unit-exec
  WITH_DEV_LOG=$BATS_TEST_DIRNAME/fixtures/with-dev-log
}

teardown() {
  teardown_common
}

teardown_file() {
  stop_server
}

# dgram_listener SOCKET OUT: collect every datagram sent to the unix socket SOCKET
# into OUT, one line each (newlines inside a datagram become spaces).
dgram_listener() {
  python3 -u - "$1" "$2" <<'PYEOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        out.write(s.recv(65536).decode(errors="replace").replace("\n", " ") + "\n")
PYEOF
  register_pid $!
  wait_until 10 test -S "$1"
}

# Skip unless this test may make a mount namespace (root, and unshare allowed): the
# syslog tests give the tools a /dev/log of their own there.
need_mount_namespace() {
  [[ $(id -u) -eq 0 ]] || skip "needs root for a /dev/log of its own (mount namespace)"
  unshare --mount true 2>/dev/null || skip "unshare --mount is not allowed here"
}

# count_lines FILE PATTERN N: FILE has at least N lines matching PATTERN (for wait_until).
count_lines() {
  local n
  n=$(grep -c -- "$2" "$1" 2>/dev/null) || true
  [[ ${n:-0} -ge $3 ]]
}

@test "clm-server tells NOTIFY_SOCKET it is ready, reloading on SIGHUP, and stopping" {
  local sock=$BATS_TEST_TMPDIR/notify.sock got=$BATS_TEST_TMPDIR/notify.log
  dgram_listener "$sock" "$got"
  NOTIFY_SOCKET=$sock launch_server "$BATS_TEST_TMPDIR/srv" --key-type ec-p256
  register_pid "$LAUNCHED_PID"
  wait_until 10 count_lines "$got" 'READY=1' 1
  assert_equal "$(cat "$got")" "READY=1 STATUS=listening on https://127.0.0.1:$LAUNCHED_PORT"
  kill -HUP "$LAUNCHED_PID"
  wait_until 10 count_lines "$got" 'READY=1' 2
  run cat "$got"
  assert_line --index 1 "RELOADING=1 STATUS=reloading the TLS certificate and key"
  assert_line --index 2 "READY=1 STATUS=listening on https://127.0.0.1:$LAUNCHED_PORT"
  # Still serving after the reload.
  run_clm -0 clm-id create --alias n --port "$LAUNCHED_PORT" --cacert "$BATS_TEST_TMPDIR/srv/tls/ca.pem" \
    --license-key-file "$BATS_TEST_TMPDIR/srv/license.key"
  kill -TERM "$LAUNCHED_PID"
  wait_until 10 count_lines "$got" 'STOPPING=1' 1
  run cat "$got"
  assert_equal "${#lines[@]}" 4
  assert_line --index 3 "STOPPING=1 STATUS=stopping"
}

@test "clm-server without NOTIFY_SOCKET, or with one nobody reads, serves as before" {
  NOTIFY_SOCKET=$BATS_TEST_TMPDIR/nobody.sock launch_server "$BATS_TEST_TMPDIR/srv" --key-type ec-p256
  register_pid "$LAUNCHED_PID"
  run_clm -0 clm-id create --alias n --port "$LAUNCHED_PORT" --cacert "$BATS_TEST_TMPDIR/srv/tls/ca.pem" \
    --license-key-file "$BATS_TEST_TMPDIR/srv/license.key"
}

# instance_file FILE LINE...: an instance file of a template unit (EnvironmentFile=).
instance_file() {
  local f=$1
  shift
  printf '%s\n' "$@" >"$f"
}

@test "clm-cert-renew@'s ExecStart: not due does nothing; due renews and runs DEPLOY_HOOK" {
  verified_id
  local d out conf hook
  d=$(dev web)
  out=$(outdir tls)
  hook=$BATS_TEST_TMPDIR/hook.out
  run_clm -0 clm-cert create --mode client --device "$d" --subject "/O=clm-test/CN=$d" --out "$out" \
    --cert-name clcert
  local serial
  serial=$(jq -r .clientserial <<<"$output")
  conf=$BATS_TEST_TMPDIR/web.conf
  printf '#!/bin/sh\nprintf "%%s %%s\\n" "$CLM_CERT_SERIAL" "$CLM_CERT_FILE" >%s\n' "$hook" >"$hook.sh"
  chmod +x "$hook.sh"
  instance_file "$conf" "DEVICE=$d" "OUT_DIR=$out" "CERT_NAME=clcert" "JITTER_SECONDS=0" "DEPLOY_HOOK=$hook.sh"
  run_clm -0 "$UNIT_EXEC" "$UNITS/clm-cert-renew@.service" web "$conf"
  assert_equal "$(jq -c '[.changed, .certserial]' <<<"$output")" "[false,\"$serial\"]"
  assert_file_not_exists "$hook"
  # Inside the window: renewed in place, and the hook told of it.
  printf 'WITHIN_DAYS=36500\n' >>"$conf"
  run_clm -0 "$UNIT_EXEC" "$UNITS/clm-cert-renew@.service" web "$conf"
  assert_equal "$(jq -r .changed <<<"$output")" true
  local renewed
  renewed=$(t clm-cert inspect "$out/clcert.pem" | jq -r .serial)
  [[ $renewed != "$serial" ]]
  assert_equal "$(cat "$hook")" "$renewed $out/clcert.pem"
  run bash -c "cd '$out' && sha256sum -c clcert.pem.sha256"
  assert_success
}

@test "clm-key-rotate@'s ExecStart: a key that is not due is left alone" {
  verified_id
  local d out conf
  d=$(dev gw)
  out=$(outdir keys)
  run_clm -0 clm-key create --device "$d" --alias "a-$d" --type AES --out "$out"
  local keynumber
  keynumber=$(jq -r .keynumber <<<"$output")
  conf=$BATS_TEST_TMPDIR/gw.conf
  instance_file "$conf" "DEVICE=$d" "ALIAS=a-$d" "OUT_DIR=$out" "JITTER_SECONDS=0" \
    "DEPLOY_HOOK=\"touch $BATS_TEST_TMPDIR/hook\""
  run_clm -0 "$UNIT_EXEC" "$UNITS/clm-key-rotate@.service" gw "$conf"
  assert_equal "$(jq -c '[.changed, .keynumber]' <<<"$output")" "[false,\"$keynumber\"]"
  assert_file_not_exists "$BATS_TEST_TMPDIR/hook"
}

@test "clm-key update --exec runs after a rotation with the new key's file and number" {
  verified_id
  local d out
  d=$(dev gw)
  out=$(outdir keys)
  run_clm -0 clm-key create --device "$d" --alias "a-$d" --type AES --out "$out"
  local old
  old=$(jq -r .keynumber <<<"$output")
  run_clm -0 clm-key update --device "$d" --keynumber "$old" --out "$out" --jitter 0 \
    --exec sh -c 'printf "%s %s %s\n" "$CLM_DEVICE" "$CLM_KEY_NUMBER" "$CLM_KEY_FILE" >"$0"' "$BATS_TEST_TMPDIR/hook"
  local new
  new=$(jq -r .keynumber <<<"$output")
  [[ $new != "$old" ]]
  assert_equal "$(cat "$BATS_TEST_TMPDIR/hook")" "$d $new $out/cmkey"
  # A failed rotation runs nothing.
  rm "$BATS_TEST_TMPDIR/hook"
  run_clm clm-key update --device "$d" --keynumber 999999 --out "$out" --exec touch "$BATS_TEST_TMPDIR/hook"
  assert_failure
  assert_file_not_exists "$BATS_TEST_TMPDIR/hook"
}

@test "--syslog: errors and warnings reach syslog tagged with the tool, and stderr as before" {
  need_mount_namespace
  local sock=$BATS_TEST_TMPDIR/log.sock got=$BATS_TEST_TMPDIR/syslog.txt
  dgram_listener "$sock" "$got"
  # No verified ID: exit 31, one line on stderr, the same line in syslog at LOG_ERR (user.err = <11>).
  run_clm -31 "$WITH_DEV_LOG" "$sock" clm-cert get --syslog --device x --keynumber 1 --out "$BATS_TEST_TMPDIR"
  assert_equal "${#stderr_lines[@]}" 1
  wait_until 10 count_lines "$got" 'clm-cert' 1
  run cat "$got"
  assert_equal "${#lines[@]}" 1
  [[ ${lines[0]} =~ ^\<11\>.*\ clm-cert\[[0-9]+\]:\ (.*)$ ]]
  assert_equal "${BASH_REMATCH[1]}" "$stderr"
  # A warning (user.warning = <12>), and a success says nothing at all.
  verified_id
  run_clm -0 "$WITH_DEV_LOG" "$sock" clm-cert create --syslog --insecure --mode caonly --device "$(dev ca)" \
    --out "$(outdir ca)"
  wait_until 10 count_lines "$got" 'warning' 1
  run grep -c . "$got"
  assert_output 2
  run grep 'warning' "$got"
  [[ $output =~ ^\<12\>.*clm-cert\[[0-9]+\]:\ clm-cert:\ warning:\ --insecure ]]
  # A bad option is reported too, though parsing never finished.
  run_clm -5 "$WITH_DEV_LOG" "$sock" clm-key --syslog --no-such-option
  wait_until 10 count_lines "$got" 'clm-key' 1
  run grep 'clm-key' "$got"
  [[ $output =~ ^\<11\>.*clm-key:\ error:\ .*no-such-option ]]
}

@test "--syslog with stderr on the journal: priority prefixes instead of a second copy" {
  need_mount_namespace
  local sock=$BATS_TEST_TMPDIR/log.sock got=$BATS_TEST_TMPDIR/syslog.txt err=$BATS_TEST_TMPDIR/journal
  dgram_listener "$sock" "$got"
  : >"$err"
  local stream
  stream=$(stat -c '%d:%i' "$err")
  local rc=0
  "$WITH_DEV_LOG" "$sock" env JOURNAL_STREAM="$stream" \
    clm-cert get --syslog --device x --keynumber 1 --out "$BATS_TEST_TMPDIR" 2>>"$err" || rc=$?
  assert_equal "$rc" 31
  run cat "$err"
  assert_equal "${#lines[@]}" 1
  [[ ${lines[0]} == '<3>clm-cert: error: '* ]]
  # Another stream (a file that is not the one JOURNAL_STREAM names): plain lines, and syslog.
  "$WITH_DEV_LOG" "$sock" env JOURNAL_STREAM="0:0" \
    clm-cert get --syslog --device x --keynumber 1 --out "$BATS_TEST_TMPDIR" 2>"$BATS_TEST_TMPDIR/plain" || true
  [[ $(cat "$BATS_TEST_TMPDIR/plain") == 'clm-cert: error: '* ]]
  wait_until 10 count_lines "$got" 'clm-cert' 1
  run grep -c . "$got"
  assert_output 1
}
