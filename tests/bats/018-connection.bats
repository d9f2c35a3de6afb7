#!/usr/bin/env bats
# The tools' connections to clm-server: each thread keeps one, so each clm-keyget job's
# batches share one TCP connection and one TLS handshake; a new connection resumes the
# TLS session of an earlier one, and clm-server allows that.

load helpers

setup_file() {
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server
}

setup() {
  load_libs
  setup_common
  use_tool_path clm-key
  use_tool_path clm-keyget
  verified_id
}

# traced LOG COMMAND [ARGS...]: run COMMAND under strace, its connect calls in LOG.
traced() {
  local log=$1
  shift
  t strace -f -qq -e trace=connect -o "$log" "$@"
}

# connects LOG: the number of connections LOG shows opened to the server.
connects() {
  grep -c "htons($SERVER_PORT)" "$1" || true
}

@test "clm-keyget keeps one connection per job across all its batches" {
  local out device i
  out=$(outdir keys)
  : >"$BATS_TEST_TMPDIR/list"
  for i in 1 2 3 4 5 6; do
    device=$(dev "$i")
    t clm-key create --device "$device" --alias "a$i" --type AES --out "$out" --name "k$i" >/dev/null
    printf '%s\n' "$device" >>"$BATS_TEST_TMPDIR/list"
  done
  # Six batches (getkeylist and getlist each): twelve requests on one connection.
  run traced "$BATS_TEST_TMPDIR/one.trace" clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$(outdir one)" \
    -e "$BATS_TEST_TMPDIR/one.log" --batch-size 1 --jobs 1
  assert_success
  assert_equal "$(connects "$BATS_TEST_TMPDIR/one.trace")" 1
  assert_equal "$(ls "$BATS_TEST_TMPDIR/one" | wc -l)" 6
  # Three jobs: at most one connection each.
  run traced "$BATS_TEST_TMPDIR/three.trace" clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$(outdir three)" \
    -e "$BATS_TEST_TMPDIR/three.log" --batch-size 1 --jobs 3
  assert_success
  local n
  n=$(connects "$BATS_TEST_TMPDIR/three.trace")
  ((n >= 1 && n <= 3))
  diff -r "$BATS_TEST_TMPDIR/one" "$BATS_TEST_TMPDIR/three"
}

@test "clm-server lets a client resume its TLS session" {
  local sess=$BATS_TEST_TMPDIR/session.pem
  # HTTP/1.0: the server closes after its answer, so s_client has read the tickets.
  printf 'GET /nothing HTTP/1.0\r\n\r\n' | openssl s_client -connect "127.0.0.1:$SERVER_PORT" -CAfile "$CLM_CACERT" \
    -ign_eof -sess_out "$sess" >"$BATS_TEST_TMPDIR/first" 2>&1
  grep -q '^New, TLSv1.3' "$BATS_TEST_TMPDIR/first"
  printf 'GET /nothing HTTP/1.0\r\n\r\n' | openssl s_client -connect "127.0.0.1:$SERVER_PORT" -CAfile "$CLM_CACERT" \
    -ign_eof -sess_in "$sess" >"$BATS_TEST_TMPDIR/second" 2>&1
  grep -q '^Reused, TLSv1.3' "$BATS_TEST_TMPDIR/second"
}

@test "a new connection of the same process resumes the TLS session of the one before" {
  # A peer that closes every connection after one answer: each request of clm-keyget
  # needs a new connection, and each after the first resumes.
  hostile_server
  stored_id
  : >"$ANSWERS/.sessions"
  answer getkeylist '{"errorcode":0,"deviceinfo":[]}'
  printf 'd1\nd2\nd3\n' >"$BATS_TEST_TMPDIR/list"
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$(outdir out)" -e "$BATS_TEST_TMPDIR/err.log" \
    --batch-size 1 --jobs 1
  assert_equal "$status" 5  # the peer answered for no device
  assert_equal "$(tr '\n' ' ' <"$ANSWERS/.sessions")" "new resumed resumed "
  # Three jobs: a job's first request may start before any ticket has arrived and need
  # a full handshake; every later one resumes.
  : >"$ANSWERS/.sessions"
  printf 'd%s\n' 1 2 3 4 5 6 >"$BATS_TEST_TMPDIR/list"
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$(outdir out3)" -e "$BATS_TEST_TMPDIR/err3.log" \
    --batch-size 1 --jobs 3
  assert_equal "$status" 5
  assert_equal "$(wc -l <"$ANSWERS/.sessions")" 6
  (($(grep -c resumed "$ANSWERS/.sessions") >= 3))
}
