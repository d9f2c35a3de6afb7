#!/usr/bin/env bats
# clm-keyget against a real clm-server: a device list pulled into hex files (and -b:
# .bin and .bin.hmac), compared with clm-key get of the same keys; unknown devices and
# devices without keys logged and skipped; the messages and exit codes of the command
# reference (tables 6.3, 6.4); the getlist deviceinfo JSON on stdin.

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

# fleet N: key_fleet N into BATS_TEST_TMPDIR/list.
fleet() {
  key_fleet "$1" "$BATS_TEST_TMPDIR/list"
}

@test "without --sha256 only the hex files are written" {
  fleet 2
  local out
  out=$(outdir out)
  run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$(ls -A "$out" | wc -l)" 3
  assert_equal "$(ls -A "$out" | grep -c -v '^d[0-9]*-[12]_[0-9]*$')" 0
}

@test "a list of devices (--sha256): one hex file per key, named DEVICE_KEYNUMBER, equal to clm-key get; NDJSON per device" {
  fleet 3
  local out
  out=$(outdir out)
  run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log" --sha256
  assert_equal "${#lines[@]}" 3
  assert_equal "$stderr" ''
  assert_equal "$(cat "$BATS_TEST_TMPDIR/err.log")" ''
  local i k device expected=()
  for i in 1 2 3; do
    device=$(dev "$i")
    local keys_var="KEYS_$i" j=1
    for k in ${!keys_var}; do
      expected+=("${device}_$k" "${device}_$k.sha256")
      assert_file_permission 600 "$out/${device}_$k"
      assert_equal "$(<"$out/${device}_$k")" "$(hexof "$BATS_TEST_TMPDIR/keys/$device/k$j")"
      j=$((j + 1))
    done
    assert_equal "$(jq -r --arg d "$device" 'select(.devicename == $d) | .ok' <<<"$output")" true
    assert_equal "$(jq -r --arg d "$device" 'select(.devicename == $d) | .files | length' <<<"$output")" $((2 * i))
  done
  assert_equal "$(ls -A "$out" | sort)" "$(printf '%s\n' "${expected[@]}" | sort)"
  (cd "$out" && sha256sum --quiet -c ./*.sha256)
}

@test "-b also writes DEVICE_KEYNUMBER.bin (raw) and .bin.hmac (HMAC-SHA256 under STATE/hmac.key, 0600)" {
  fleet 2
  local out
  out=$(outdir out)
  run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log" -b
  assert_file_permission 600 "$CLM_STATE_DIR/hmac.key"
  local hexkey k device
  hexkey=$(hexof "$CLM_STATE_DIR/hmac.key")
  device=$(dev 2)
  for k in $KEYS_2; do
    cmp "$out/${device}_$k.bin" <(xxd -r -p "$out/${device}_$k")
    assert_file_permission 600 "$out/${device}_$k.bin"
    assert_equal "$(<"$out/${device}_$k.bin.hmac")" \
      "$(openssl dgst -sha256 -mac HMAC -macopt "hexkey:$hexkey" -r "$out/${device}_$k.bin" | cut -d' ' -f1)  ${device}_$k.bin"
  done
}

@test "an unknown device and a device without keys are logged and skipped; the others are written; exit 5" {
  fleet 2
  local empty out
  empty=$(dev empty)
  # A device registered (by a key) whose only key was rotated away has no current key.
  local kn
  mkdir -p "$BATS_TEST_TMPDIR/keys/$empty"
  kn=$(t clm-key create --device "$empty" --alias "a$BATS_TEST_NUMBER-e" --type AES --out "$BATS_TEST_TMPDIR/keys/$empty" |
    jq -r .keynumber)
  t clm-key delete --device "$empty" --keynumber "$kn" --in "$BATS_TEST_TMPDIR/keys/$empty" >/dev/null
  printf '%s\n%s\n' "$(dev nobody)" "$empty" >>"$BATS_TEST_TMPDIR/list"
  out=$(outdir out)
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$status" 5
  assert_equal "${#lines[@]}" 4
  assert_equal "$(jq -r --arg d "$(dev nobody)" 'select(.devicename == $d) | "\(.ok) \(.errorcode)"' <<<"$output")" \
    "false 1706"
  assert_equal "$(jq -r --arg d "$empty" 'select(.devicename == $d) | "\(.ok) \(.files | length)"' <<<"$output")" "true 0"
  grep -qx "$(dev nobody): Error: devgetkeylist error (200): .*errorcode 1706.*" "$BATS_TEST_TMPDIR/err.log"
  grep -qx "$empty: Warn : no commonkey" "$BATS_TEST_TMPDIR/err.log"
  assert_regex "$stderr" "clm-keyget: $(dev nobody): Error: devgetkeylist error"
  local k
  for k in $KEYS_2; do
    assert_file_exists "$out/$(dev 2)_$k"
  done
  assert_equal "$(ls "$out" | grep -c "^$(dev nobody)\|^$empty")" 0
}

@test "missing -i, -o, -e and missing files give the reference's messages and exit 1, with no request" {
  local out
  out=$(outdir out)
  printf 'x\n' >"$BATS_TEST_TMPDIR/list"
  log_mark
  run_clm clm-keyget -o "$out" -e "$BATS_TEST_TMPDIR/err.log" </dev/null
  assert_equal "$status" 1
  assert_regex "$stderr" 'Error: infile not specified'
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$status" 1
  assert_regex "$stderr" 'Error: outdir not specified'
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out"
  assert_equal "$status" 1
  assert_regex "$stderr" 'Error: errorfile not specified'
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/nolist" -o "$out" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$status" 1
  assert_regex "$stderr" 'Error: infile not found'
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$BATS_TEST_TMPDIR/nodir" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$status" 1
  assert_regex "$stderr" 'Error: outdir not found'
  local reserved
  for reserved in / /etc /usr/ /var/../etc; do
    run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$reserved" -e "$BATS_TEST_TMPDIR/err.log"
    assert_equal "$status" 1
    assert_regex "$stderr" 'Error : outdir is reserved word. Please specify another directory.'
  done
  assert_empty_dir "$out"
  assert_no_requests_since_mark
}

@test "the error log is overwritten on each run" {
  fleet 1
  local out
  out=$(outdir out)
  printf 'old text\n' >"$BATS_TEST_TMPDIR/err.log"
  run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/err.log")" ''
}

@test "a symlink at the -e path is refused (exit 1, the reference's errorfile message), its target untouched" {
  fleet 1
  local out target="$BATS_TEST_TMPDIR/victim" log="$BATS_TEST_TMPDIR/err.log"
  out=$(outdir out)
  printf 'precious\n' >"$target"
  chmod 0644 "$target"
  ln -s "$target" "$log"
  log_mark
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$log"
  assert_equal "$status" 1
  assert_equal "$stderr" "clm-keyget: Error: errorfile cannot be written: $log"
  assert_equal "$(<"$target")" precious
  assert_equal "$(stat -c %a "$target")" 644
  assert_link_exists "$log"
  assert_empty_dir "$out"
  assert_no_requests_since_mark
  # A dangling symlink is not followed either: nothing is created at its target.
  rm -f "$log" "$target"
  ln -s "$target" "$log"
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$log"
  assert_equal "$status" 1
  assert_file_not_exists "$target"
}

@test "a new error log is created 0600 whatever the umask" {
  fleet 1
  local out
  out=$(outdir out)
  (umask 000 && timeout "$TEST_CMD_TIMEOUT" clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" \
    -e "$BATS_TEST_TMPDIR/err.log" >/dev/null)
  assert_equal "$(stat -c %a "$BATS_TEST_TMPDIR/err.log")" 600
}

@test "without -i, a getlist deviceinfo JSON on stdin is pulled directly; a key of another device is in errorkeylist (exit 6)" {
  fleet 2
  local out info
  out=$(outdir out)
  local d1 d2 id1 id2
  d1=$(dev 1)
  d2=$(dev 2)
  id1=$(jq -r --arg d "$d1" '.[$d].deviceid' "$CLM_STATE_DIR/devices.json")
  id2=$(jq -r --arg d "$d2" '.[$d].deviceid' "$CLM_STATE_DIR/devices.json")
  local k2
  read -r -a k2 <<<"$KEYS_2"
  info=$(jq -cn --arg d1 "$d1" --arg i1 "$id1" --arg k1 "$KEYS_1" --arg d2 "$d2" --arg i2 "$id2" \
    --arg a "${k2[0]}" --arg b "${k2[1]}" \
    '{deviceinfo: [{deviceid: $i1, devicename: $d1, keynumber: [$k1, $a]},
                   {deviceid: $i2, devicename: $d2, keynumber: [$a, $b, $a]}]}')
  run_clm clm-keyget -o "$out" -e "$BATS_TEST_TMPDIR/err.log" <<<"$info"
  assert_equal "$status" 6
  assert_equal "$(jq -c --arg d "$d1" 'select(.devicename == $d) | .errorkeylist' <<<"$output")" "[\"${k2[0]}\"]"
  assert_file_exists "$out/${d1}_$KEYS_1"
  assert_file_not_exists "$out/${d1}_${k2[0]}"
  assert_file_exists "$out/${d2}_${k2[0]}"
  assert_file_exists "$out/${d2}_${k2[1]}"
  grep -q "^$d1: Error: cmkeybatget error (200)" "$BATS_TEST_TMPDIR/err.log"
}

@test "stdin entries may choose keys by keyalias (extension): the device's newest valid key with it" {
  fleet 1
  local d1 id1 out rotated
  d1=$(dev 1)
  id1=$(jq -r --arg d "$d1" '.[$d].deviceid' "$CLM_STATE_DIR/devices.json")
  rotated=$(t clm-key update --device "$d1" --keynumber "$KEYS_1" --out "$BATS_TEST_TMPDIR/keys/$d1" --name rotated |
    jq -r .keynumber)
  assert [ "$rotated" -gt "$KEYS_1" ]
  out=$(outdir out)
  run_clm -6 clm-keyget -o "$out" -e "$BATS_TEST_TMPDIR/err.log" <<<"$(jq -cn --arg d "$d1" --arg i "$id1" \
    --arg a "a$BATS_TEST_NUMBER-1-1" '{deviceinfo: [{deviceid: $i, devicename: $d, keyalias: [$a, "no-such-alias"]}]}')"
  assert_equal "$(jq -c .errorkeylist <<<"$output")" '["no-such-alias"]'
  assert_equal "$(ls -A "$out")" "${d1}_$rotated"
  t clm-key get --device "$d1" --keynumber "$rotated" --out "$(outdir got)" --name k --encoding hex >/dev/null
  assert_equal "$(cat "$out/${d1}_$rotated")" "$(cat "$BATS_TEST_TMPDIR/got/k")"
  grep -q "^$d1: Error: cmkeybatget error (200): HTTP 200, errorcode 1501" "$BATS_TEST_TMPDIR/err.log"
}

@test "a server that cannot be reached: every device logged with the tool's exit code, exit 5" {
  fleet 1
  local out
  out=$(outdir out)
  export CLM_PORT
  CLM_PORT=$(closed_port)
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$status" 5
  grep -q "^$(dev 1): Error: devgetkeylist error (102)" "$BATS_TEST_TMPDIR/err.log"
  assert_empty_dir "$out"
}

@test "small batches and several jobs give the same files as one batch" {
  fleet 4
  local one many
  one=$(outdir one)
  many=$(outdir many)
  run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$one" -e "$BATS_TEST_TMPDIR/err1.log"
  run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$many" -e "$BATS_TEST_TMPDIR/err2.log" --batch-size 1 --jobs 3
  assert_equal "${#lines[@]}" 4
  diff -r "$one" "$many"
  assert_equal "$(ls -A "$many" | grep -c '^\.')" 0
}

@test "a second run replaces the files in place; a symlink named like a key file is replaced, not followed" {
  fleet 2
  local out first
  out=$(outdir out)
  run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log"
  first=$(jq -r '.files[0]' <<<"${lines[1]}")
  # Plant a symlink where device 2's file goes, and spoil device 1's file.
  printf 'precious\n' >"$BATS_TEST_TMPDIR/precious"
  local expected
  expected=$(cat "$first")
  rm "$first"
  ln -s "$BATS_TEST_TMPDIR/precious" "$first"
  printf 'stale\n' >"$(jq -r '.files[0]' <<<"${lines[0]}")"
  run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/precious")" precious
  assert [ ! -L "$first" ]
  assert_equal "$(cat "$first")" "$expected"
  assert_file_permission 600 "$first"
  assert_equal "$(cat "$out"/* | grep -c -E '^[0-9a-f]{32}$')" 3
  # Nothing staged is left behind.
  assert_equal "$(ls -A "$out" | grep -c '^\.')" 0
}

@test "under umask 277 (owner write stripped) and 022 the files are 0600" {
  fleet 1
  local out mask
  for mask in 277 022; do
    out=$(outdir "out$mask")
    (umask "$mask" && t clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log" -b >/dev/null)
    local f
    for f in "$out"/*; do
      assert_file_permission 600 "$f"
    done
  done
}

@test "no verified ID, or no host configured: the error goes into the -e file as well as stderr (exit 1)" {
  fleet 1
  local out log="$BATS_TEST_TMPDIR/err.log"
  out=$(outdir out)
  printf 'old text\n' >"$log"
  local state=$CLM_STATE_DIR
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/empty-state"
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$log"
  assert_equal "$status" 1
  assert_equal "$stderr" "clm-keyget: error: no verified ID/password in $CLM_STATE_DIR; run 'clm-id verify' first"
  assert_equal "$(cat "$log")" "Error: no verified ID/password in $CLM_STATE_DIR; run 'clm-id verify' first"
  assert_empty_dir "$out"
  export CLM_STATE_DIR=$state
  unset CLM_HOST
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$log"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-keyget: error: missing --host '
  assert_equal "$(cat "$log")" "Error: ${stderr#clm-keyget: error: }"
  assert_empty_dir "$out"
}
