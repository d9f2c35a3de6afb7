#!/usr/bin/env bats
# SWCLMKEYGET against a real clm-server: the command reference's chapter 5 example run
# as it is written (only the paths changed), its result blocks on stdout, the -b
# files, the error blocks and messages of 6.4 on stdout/stderr and in the -e file, and
# the exit codes of table 6.3. The server is named the way the original command finds
# it: host= and port= lines in a configuration file (CLM_CONFIG), no CLM_HOST.

load helpers

setup_file() {
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server
}

setup() {
  load_libs
  setup_common
  use_tool_path clm-key
  use_tool_path SWCLMKEYGET
  use_tool_path clm-verify
  # Every tool finds the server the way the original command does: in the
  # configuration file, not in CLM_HOST and friends.
  conf
  export CLM_CONFIG="$BATS_TEST_TMPDIR/swcagent.conf"
  unset CLM_HOST CLM_PORT CLM_CACERT CLM_LICENSE_KEY_FILE
  verified_id
}

# conf [PORT] [EXTRA LINE...]: write BATS_TEST_TMPDIR/swcagent.conf naming the shared
# server (or PORT), its CA and the license key file.
conf() {
  local port=${1:-$SERVER_PORT}
  shift || true
  printf '%s\n' "host=127.0.0.1" "port=$port" "cacert=$TEST_CLM_CACERT" \
    "license_key_file=$TEST_CLM_LICENSE_KEY_FILE" "$@" >"$BATS_TEST_TMPDIR/swcagent.conf"
}

# fleet N: key_fleet N into BATS_TEST_TMPDIR/devicelist.
fleet() {
  key_fleet "$1" "$BATS_TEST_TMPDIR/devicelist"
}

OK_BLOCK=$'HTTP/1.1 200.\nerrorcode: 0\nretcode: 0'

@test "the reference's example: two result blocks on stdout, exit 0, one hex file DEVICE_KEYNUMBER per key, empty log" {
  fleet 2
  mkdir "$BATS_TEST_TMPDIR/cmkeydir"
  cd "$BATS_TEST_TMPDIR"
  run_clm SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$BATS_TEST_TMPDIR/cmkeydir" -e "$BATS_TEST_TMPDIR/errorlog"
  assert_equal "$status" 0
  assert_equal "$output" "$OK_BLOCK"$'\n'"$OK_BLOCK"
  assert_equal "$stderr" ''
  assert_file_exists "$BATS_TEST_TMPDIR/errorlog"
  assert_equal "$(stat -c %s "$BATS_TEST_TMPDIR/errorlog")" 0
  local i k device expected=() j
  for i in 1 2; do
    device=$(dev "$i")
    local keys_var="KEYS_$i"
    j=1
    for k in ${!keys_var}; do
      expected+=("${device}_$k")
      assert_file_permission 600 "cmkeydir/${device}_$k"
      assert_equal "$(<"cmkeydir/${device}_$k")" "$(hexof "keys/$device/k$j")"
      j=$((j + 1))
    done
  done
  assert_equal "$(ls -A cmkeydir | sort)" "$(printf '%s\n' "${expected[@]}" | sort)"
}

@test "-b also writes DEVICE_KEYNUMBER.bin (raw) and .bin.hmac (HMAC-SHA256 under STATE/hmac.key)" {
  fleet 2
  local out hexkey k device
  out=$(outdir cmkeydir)
  run_clm -0 SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$BATS_TEST_TMPDIR/errorlog" -b
  assert_equal "$output" "$OK_BLOCK"$'\n'"$OK_BLOCK"
  hexkey=$(hexof "$CLM_STATE_DIR/hmac.key")
  device=$(dev 2)
  for k in $KEYS_2; do
    cmp "$out/${device}_$k.bin" <(xxd -r -p "$out/${device}_$k")
    assert_file_permission 600 "$out/${device}_$k.bin"
    assert_equal "$(<"$out/${device}_$k.bin.hmac")" \
      "$(openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -r "$out/${device}_$k.bin" | cut -d' ' -f1)  ${device}_$k.bin"
  done
  assert_equal "$(ls -A "$out" | wc -l)" 9
  t clm-verify "$out" >/dev/null
}

@test "an unknown device: its error block (stdout without the message, which goes to stderr), the 6.4 message, exit 2; the others are written" {
  fleet 1
  local nobody out
  nobody=$(dev nobody)
  printf '%s\n' "$nobody" >>"$BATS_TEST_TMPDIR/devicelist"
  out=$(outdir cmkeydir)
  run_clm SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$BATS_TEST_TMPDIR/errorlog"
  assert_equal "$status" 2
  # The lookup's block carries the answer's errorcode (the last device error, as the
  # WebAPI reference says) and retcode 200; the device's own error block follows.
  assert_equal "$output" $'HTTP/1.1 200.\nerrorcode: 1706\nretcode: 200\nHTTP/1.1 200.\nerrorcode: 1706\nretcode: 200\n'"$OK_BLOCK"
  assert_equal "$stderr" "Error: device not found"$'\n'"Error: devgetkeylist error (200): $nobody"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/errorlog")" "HTTP/1.1 200.
Error: device not found
errorcode: 1706
retcode: 200
Error: devgetkeylist error (200): $nobody"
  assert_equal "$(ls -A "$out")" "$(dev 1)_$KEYS_1"
}

@test "a device without keys: 'Warn : no commonkey' naming it on stderr and in the log, exit 0" {
  fleet 1
  local empty kn out
  empty=$(dev empty)
  mkdir -p "$BATS_TEST_TMPDIR/keys/$empty"
  kn=$(t clm-key create --device "$empty" --alias "a$BATS_TEST_NUMBER-e" --type AES \
    --out "$BATS_TEST_TMPDIR/keys/$empty" | jq -r .keynumber)
  t clm-key delete --device "$empty" --keynumber "$kn" --in "$BATS_TEST_TMPDIR/keys/$empty" >/dev/null
  printf '%s\n' "$empty" >>"$BATS_TEST_TMPDIR/devicelist"
  out=$(outdir cmkeydir)
  run_clm -0 SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$BATS_TEST_TMPDIR/errorlog"
  assert_equal "$output" "$OK_BLOCK"$'\n'"$OK_BLOCK"
  assert_equal "$stderr" "Warn : no commonkey: $empty"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/errorlog")" "Warn : no commonkey: $empty"
  assert_equal "$(ls -A "$out")" "$(dev 1)_$KEYS_1"
  # Only devices without keys: no cmkeybatget call, one block.
  printf '%s\n' "$empty" >"$BATS_TEST_TMPDIR/devicelist"
  run_clm -0 SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$BATS_TEST_TMPDIR/errorlog"
  assert_equal "$output" "$OK_BLOCK"
}

@test "a refused connection: block with status 000 and retcode 102, devgetkeylist error (102) per device, exit 5" {
  fleet 2
  local out
  out=$(outdir cmkeydir)
  conf "$(closed_port)" "retry=0"
  run_clm SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$BATS_TEST_TMPDIR/errorlog"
  assert_equal "$status" 5
  assert_equal "$output" $'HTTP/1.1 000.\nerrorcode: 0\nretcode: 102'
  assert_equal "${#stderr_lines[@]}" 3
  assert_regex "${stderr_lines[0]}" '^Error: .*refused'
  assert_equal "${stderr_lines[1]}" "Error: devgetkeylist error (102): $(dev 1)"
  assert_equal "${stderr_lines[2]}" "Error: devgetkeylist error (102): $(dev 2)"
  local logged
  mapfile -t logged <"$BATS_TEST_TMPDIR/errorlog"
  assert_equal "${#logged[@]}" 6
  assert_equal "${logged[0]}" 'HTTP/1.1 000.'
  assert_equal "${logged[1]}" "${stderr_lines[0]}"
  assert_equal "${logged[2]}" 'errorcode: 0'
  assert_equal "${logged[3]}" 'retcode: 102'
  assert_equal "${logged[4]}" "Error: devgetkeylist error (102): $(dev 1)"
  assert_equal "${logged[5]}" "Error: devgetkeylist error (102): $(dev 2)"
  assert_empty_dir "$out"
}

@test "a license key the server refuses: the call's HTTP status and errorcode, retcode 200, exit 5" {
  fleet 1
  local out
  out=$(outdir cmkeydir)
  printf 'not-the-license\n' >"$BATS_TEST_TMPDIR/bad.key"
  conf "$SERVER_PORT"
  sed -i "s|^license_key_file=.*|license_key_file=$BATS_TEST_TMPDIR/bad.key|" "$BATS_TEST_TMPDIR/swcagent.conf"
  run_clm SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$BATS_TEST_TMPDIR/errorlog"
  assert_equal "$status" 5
  assert_regex "${lines[0]}" '^HTTP/1.1 401\.$'
  assert_equal "${lines[-1]}" 'retcode: 200'
  assert_equal "${stderr_lines[-1]}" "Error: devgetkeylist error (200): $(dev 1)"
  assert_equal "$(head -n 1 "$BATS_TEST_TMPDIR/errorlog")" 'HTTP/1.1 401.'
  assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/errorlog")" "Error: devgetkeylist error (200): $(dev 1)"
  assert_empty_dir "$out"
}

@test "no verified ID: devgetkeylist error (31) on stderr and in the -e file, block with retcode 31, exit 5, no request" {
  fleet 1
  local out
  out=$(outdir cmkeydir)
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/empty-state"
  log_mark
  run_clm SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$BATS_TEST_TMPDIR/errorlog"
  assert_equal "$status" 5
  assert_equal "$output" $'HTTP/1.1 000.\nerrorcode: 0\nretcode: 31'
  assert_equal "${#stderr_lines[@]}" 2
  assert_regex "${stderr_lines[0]}" "^Error: no verified ID/password in .*clm-id verify"
  assert_equal "${stderr_lines[1]}" 'Error: devgetkeylist error (31)'
  assert_equal "$(cat "$BATS_TEST_TMPDIR/errorlog")" "HTTP/1.1 000.
${stderr_lines[0]}
errorcode: 0
retcode: 31
Error: devgetkeylist error (31)"
  assert_empty_dir "$out"
  assert_no_requests_since_mark
}

@test "no host configured: the message in the -e file too, retcode 4, exit 5" {
  fleet 1
  local out
  out=$(outdir cmkeydir)
  printf 'port=%s\n' "$SERVER_PORT" >"$BATS_TEST_TMPDIR/swcagent.conf"
  run_clm SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$BATS_TEST_TMPDIR/errorlog"
  assert_equal "$status" 5
  assert_equal "$output" $'HTTP/1.1 000.\nerrorcode: 0\nretcode: 4'
  assert_regex "${stderr_lines[0]}" '^Error: missing --host .*host= in the config file'
  assert_equal "${stderr_lines[1]}" 'Error: devgetkeylist error (4)'
  grep -qx 'Error: missing --host .*' "$BATS_TEST_TMPDIR/errorlog"
  assert_equal "$(tail -n 1 "$BATS_TEST_TMPDIR/errorlog")" 'Error: devgetkeylist error (4)'
}

@test "each argument message of 6.4, in the reference's order, exactly, exit 1, no request and no log written" {
  local out list="$BATS_TEST_TMPDIR/devicelist" log="$BATS_TEST_TMPDIR/errorlog"
  out=$(outdir cmkeydir)
  printf 'x\n' >"$list"
  log_mark
  # Each missing option, with those after it missing too: the first is named.
  run_clm SWCLMKEYGET
  assert_equal "$status" 1
  assert_equal "$stderr" 'Error: infile not specified'
  assert_equal "$output" ''
  run_clm SWCLMKEYGET -e "$log"
  assert_equal "$stderr" 'Error: infile not specified'
  assert_equal "$status" 1
  run_clm SWCLMKEYGET -o "$out"
  assert_equal "$stderr" 'Error: infile not specified'
  run_clm SWCLMKEYGET -i "$list"
  assert_equal "$stderr" 'Error: outdir not specified'
  run_clm SWCLMKEYGET -i "$list" -o "$out"
  assert_equal "$status" 1
  assert_equal "$stderr" 'Error: errorfile not specified'
  # Then the files, in order: infile before outdir.
  run_clm SWCLMKEYGET -i "$BATS_TEST_TMPDIR/nolist" -o "$BATS_TEST_TMPDIR/nodir" -e "$log"
  assert_equal "$status" 1
  assert_equal "$stderr" 'Error: infile not found'
  run_clm SWCLMKEYGET -i "$BATS_TEST_TMPDIR" -o "$out" -e "$log"
  assert_equal "$status" 1
  assert_equal "$stderr" 'Error: infile not found'
  run_clm SWCLMKEYGET -i "$list" -o "$BATS_TEST_TMPDIR/nodir" -e "$log"
  assert_equal "$status" 1
  assert_equal "$stderr" 'Error: outdir not found'
  local reserved
  for reserved in / /etc /usr/ /var/../etc; do
    run_clm SWCLMKEYGET -i "$list" -o "$reserved" -e "$log"
    assert_equal "$status" 1
    assert_equal "$stderr" 'Error : outdir is reserved word. Please specify another directory.'
    assert_equal "$output" ''
  done
  # A command line that cannot be read is an argument error too.
  run_clm SWCLMKEYGET -i "$list" -o "$out" -e "$log" --jobs 2
  assert_equal "$status" 1
  assert_regex "$stderr" '^SWCLMKEYGET: error: '
  run_clm SWCLMKEYGET -i
  assert_equal "$status" 1
  assert_file_not_exists "$log"
  assert_empty_dir "$out"
  assert_no_requests_since_mark
}

@test "the -e file is overwritten on each run, created 0600 whatever the umask; a symlink there is refused" {
  fleet 1
  local out log="$BATS_TEST_TMPDIR/errorlog"
  out=$(outdir cmkeydir)
  printf '%s\n' "$(dev nobody)" >>"$BATS_TEST_TMPDIR/devicelist"
  (umask 000 && t SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$log" >/dev/null 2>&1) || true
  assert_equal "$(stat -c %a "$log")" 600
  assert_equal "$(grep -c '^Error: devgetkeylist error (200)' "$log")" 1
  # A second run overwrites it: one failure's lines, not two.
  run_clm SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$log"
  assert_equal "$status" 2
  assert_equal "$(grep -c '^Error: devgetkeylist error (200)' "$log")" 1
  assert_equal "$(wc -l <"$log")" 5
  # A successful run leaves it empty.
  printf '%s\n' "$(dev 1)" >"$BATS_TEST_TMPDIR/devicelist"
  run_clm -0 SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$log"
  assert_equal "$(stat -c %s "$log")" 0
  # A symlink at the -e path is refused, its target untouched.
  rm "$log"
  printf 'precious\n' >"$BATS_TEST_TMPDIR/victim"
  ln -s "$BATS_TEST_TMPDIR/victim" "$log"
  run_clm SWCLMKEYGET -i "$BATS_TEST_TMPDIR/devicelist" -o "$out" -e "$log"
  assert_equal "$status" 1
  assert_equal "$stderr" "Error: errorfile cannot be written: $log"
  assert_equal "$(<"$BATS_TEST_TMPDIR/victim")" precious
}

@test "canary: a block assertion notices a wrong retcode" {
  run ! assert_equal $'HTTP/1.1 200.\nerrorcode: 0\nretcode: 1' "$OK_BLOCK"
}
