#!/usr/bin/env bats
# The tools' connections to clm-server: each thread keeps one, so each clm-keyget job's
# batches share one TCP connection and one TLS handshake.

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
