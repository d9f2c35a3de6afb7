#!/usr/bin/env bats
# clm-server seed: a data dir filled with devices and keys through the API code, then
# served and pulled with clm-keyget; the lock it shares with serve; a refused request
# keeps nothing; bad arguments.

load helpers

setup() {
  load_libs
  setup_common
  use_tool_path clm-key
  use_tool_path clm-keyget
  DATA="$BATS_TEST_TMPDIR/seeded"
  t clm-server init --data-dir "$DATA" --key-type ec-p256 2>/dev/null
}

teardown() {
  teardown_common
}

# rows TABLE: how many rows TABLE of the seeded store has.
rows() {
  sqlite3 "$DATA/clm.db" "SELECT count(*) FROM $1"
}

# serve_seeded: serve DATA and point the CLM_* settings at it.
serve_seeded() {
  start_extra_server seeded
  export CLM_HOST=127.0.0.1 CLM_PORT=$EXTRA_PORT CLM_CACERT="$EXTRA_DIR/tls/ca.pem"
  export CLM_LICENSE_KEY_FILE="$EXTRA_DIR/license.key"
}

@test "seed makes N devices with K keys each; served, clm-keyget pulls exactly those keys" {
  run_clm -0 clm-server seed --data-dir "$DATA" --devices 3 --keys 2 --prefix s --list "$BATS_TEST_TMPDIR/list"
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .devices)" 3
  assert_equal "$(jq_of "$output" .keys)" 6
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/seed.json"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/list")" "$(printf 's%06d\n' 1 2 3)"
  assert_equal "$(rows devices)" 3
  assert_equal "$(rows keys)" 6

  serve_seeded
  t clm-id verify <"$BATS_TEST_TMPDIR/seed.json" >/dev/null
  local out
  out=$(outdir out)
  run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "${#lines[@]}" 3
  assert_equal "$(ls -A "$out" | wc -l)" 6
  assert_equal "$(ls -A "$out" | grep -c -E '^s00000[123]_[0-9]+$')" 6
  # Every file is a distinct AES-128 key in hex, equal to what clm-key get returns.
  assert_equal "$(cat "$out"/* | sort -u | grep -c -E '^[0-9a-f]{32}$')" 6
  local line name id file kn got
  got=$(outdir got)
  for line in "${lines[@]}"; do
    name=$(jq_of "$line" .devicename)
    id=$(jq_of "$line" .deviceid)
    assert_equal "$(jq_of "$line" '.files | length')" 2
    for file in $(jq -r '.files[]' <<<"$line"); do
      kn=${file##*_}
      t clm-key get --device "$name" --deviceid "$id" --keynumber "$kn" --out "$got" --name "$name-$kn" \
        --encoding hex >/dev/null
      assert_equal "$(cat "$got/$name-$kn")" "$(cat "$file")"
    done
  done
}

@test "seed --type TWINE --length 80 makes 80-bit keys; the alias is DEVICE-kJ" {
  run_clm -0 clm-server seed --data-dir "$DATA" --devices 1 --keys 2 --type TWINE --length 80 \
    --list "$BATS_TEST_TMPDIR/list"
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/seed.json"
  serve_seeded
  t clm-id verify <"$BATS_TEST_TMPDIR/seed.json" >/dev/null
  local out id
  out=$(outdir out)
  run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$(cat "$out"/* | grep -c -E '^[0-9a-f]{20}$')" 2
  id=$(jq_of "$output" .deviceid)
  run_clm -0 clm-key get --device dev000001 --deviceid "$id" --alias dev000001-k2 --out "$(outdir got)" \
    --name k --encoding hex
  assert_equal "$(jq_of "$output" .alias)" dev000001-k2
  assert_file_exists "$out/dev000001_$(jq_of "$output" .keynumber)"
}

@test "a refused request keeps nothing: seeding the same names again is exit 1 naming 1702" {
  run_clm -0 clm-server seed --data-dir "$DATA" --devices 2 --keys 1
  local before
  before="$(rows ids) $(rows devices) $(rows keys)"
  assert_equal "$before" "1 2 2"
  run_clm -1 clm-server seed --data-dir "$DATA" --devices 3 --keys 1
  assert_output ''
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "$stderr" '1702'
  assert_equal "$(rows ids) $(rows devices) $(rows keys)" "$before"
  # A fresh prefix still works afterwards.
  run_clm -0 clm-server seed --data-dir "$DATA" --devices 1 --keys 1 --prefix other
  assert_equal "$(rows devices)" 3
}

@test "seed on the data dir of a running server is exit 6 and changes nothing" {
  serve_seeded
  run_clm -6 clm-server seed --data-dir "$DATA" --devices 1 --keys 1
  assert_regex "$stderr" 'server.lock'
  assert_equal "$(rows devices)" 0
}

@test "seed on a data dir that was never initialized is exit 2" {
  run_clm -2 clm-server seed --data-dir "$BATS_TEST_TMPDIR/nothing" --devices 1 --keys 1
  assert_regex "$stderr" 'init'
  assert [ ! -e "$BATS_TEST_TMPDIR/nothing/clm.db" ]
}

@test "seed refuses bad values (exit 1) and missing counts (exit 4) before touching the store" {
  local args
  for args in "--devices 0 --keys 1" "--devices 1 --keys 0" "--devices 1 --keys 1 --type DES" \
    "--devices 1 --keys 1 --length 100" "--devices 1 --keys 1 --type TWINE --length 256" \
    "--devices 1 --keys 1 --prefix has\\ space"; do
    eval "run_clm -1 clm-server seed --data-dir \"\$DATA\" $args"
    assert_output ''
    assert_equal "${#stderr_lines[@]}" 1
  done
  for args in "--keys 1" "--devices 1"; do
    eval "run_clm -4 clm-server seed --data-dir \"\$DATA\" $args"
    assert_output ''
    assert_equal "${#stderr_lines[@]}" 1
  done
  assert_equal "$(rows ids) $(rows devices)" "0 0"
}
