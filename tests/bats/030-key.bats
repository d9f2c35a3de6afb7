#!/usr/bin/env bats
# clm-key against a real clm-server: create (AES/TWINE, raw/hex/base64, lightcipher), get
# (by number, by alias, expired), update (new key, adopt, rename, other length, other
# path), delete and verify (commonkey, TWINE-OTR); the files written, the JSON printed,
# server errors (1501-1513), input errors and exit codes, the state shared with clm-cert.

load helpers

setup_file() {
  # The tests of a file share one server and count its log lines: never run them in parallel.
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server
}

setup() {
  load_libs
  setup_common
  use_tool_path clm-cert
  use_tool_path clm-key
  verified_id
  STANDIN="$BATS_TEST_DIRNAME/fixtures/lightcipher-standin"
}

# al NAME: a key alias unique to this test (aliases are server-wide).
al() {
  printf 'k%s-%s\n' "$BATS_TEST_NUMBER" "$1"
}

# mkkey DEVICE DIR TYPE LENGTH [ARGS...]: clm-key create with alias $ALIAS (default al k);
# sets KEY_JSON (its JSON) and KEY_NUMBER.
mkkey() {
  local device=$1 dir=$2 type=$3 length=$4
  shift 4
  KEY_JSON=$(t clm-key create --device "$device" --alias "${ALIAS:-$(al k)}" --type "$type" --length "$length" \
    --out "$dir" "$@") || return 1
  KEY_NUMBER=$(jq_of "$KEY_JSON" .keynumber)
}

# The server-error shape: exit 200, one stdout JSON line with errorcode, http_status and
# changed false, and one "clm-key: error:" line on stderr.
assert_server_error() {
  assert_api_error clm-key "$1" "$2"
  assert_equal "$(jq_of "$output" .changed)" false
  assert_equal "$(jq -c .files <<<"$output")" '[]'
  assert_regex "${stderr_lines[0]}" "^clm-key: error: .*errorcode $1"
}

# assert_dir_holds DIR NAME...: DIR holds exactly these names (hidden ones included).
assert_dir_holds() {
  local dir=$1
  shift
  assert_equal "$(ls -A "$dir" | sort | tr '\n' ' ')" "$(printf '%s\n' "$@" | sort | tr '\n' ' ')"
}

# assert_key_file FILE BYTES: FILE holds BYTES bytes, is 0600, and FILE.sha256 is a
# sha256sum line with the base name that sha256sum -c accepts in FILE's directory.
assert_key_file() {
  local file=$1 bytes=$2
  assert_file_exists "$file"
  assert_equal "$(stat -c %s "$file")" "$bytes"
  assert_file_permission 600 "$file"
  assert_file_permission 600 "$file.sha256"
  assert_equal "$(<"$file.sha256")" "$(sha256sum "$file" | cut -d' ' -f1)  $(basename "$file")"
  (cd "$(dirname "$file")" && sha256sum --quiet -c "$(basename "$file").sha256")
}

# refute_key_printed KEYFILE: neither $output nor $stderr holds the key of the raw
# KEYFILE, in hex (either case) or base64.
refute_key_printed() {
  local hex b64
  hex=$(hexof "$1")
  b64=$(base64 -w0 "$1")
  local text=$output$'\n'$stderr
  if [[ ${text,,} == *"$hex"* || $text == *"$b64"* || $text == *"${b64%%=*}"* ]]; then
    printf 'the key of %s was printed:\n%s\n' "$1" "$text" >&2
    return 1
  fi
}

# ---------------------------------------------------------------------------------
# create

@test "an error naming a value with a newline in it stays one line on stderr" {
  run_clm clm-key get --device "$(dev nl)" --keynumber 1 --out $'rel\nx'
  assert_equal "$status" 1
  assert_equal "${#stderr_lines[@]}" 1
  assert_equal "${stderr_lines[0]}" "clm-key: error: --out: 'rel\\x0ax' is not an absolute path"
}

@test "create AES-128/256 and TWINE-80/128 writes DIR/cmkey with 16/32/10/16 raw bytes (0600) and a sidecar" {
  local spec type length bytes d now
  for spec in AES:128:16 AES:256:32 TWINE:80:10 TWINE:128:16; do
    IFS=: read -r type length bytes <<<"$spec"
    d=$(outdir "$type-$length")
    now=$(date +%s%3N)
    run_clm -0 clm-key create --device "$(dev "$type$length")" --alias "$(al "$type$length")" --type "$type" \
      --length "$length" --out "$d"
    assert_equal "${#lines[@]}" 1
    assert_equal "$stderr" ''
    assert_equal "$(jq_of "$output" .errorcode)" 0
    assert_regex "$(jq_of "$output" .keynumber)" '^[1-9][0-9]*$'
    assert_equal "$(jq_of "$output" .alias)" "$(al "$type$length")"
    assert_regex "$(jq_of "$output" .deviceid)" '^[[:graph:]]+$'
    assert_equal "$(jq_of "$output" .devicename)" "$(dev "$type$length")"
    assert_equal "$(jq_of "$output" .file)" "$d/cmkey"
    assert_equal "$(jq -c .files <<<"$output")" "$(jq -cn --arg d "$d" '[$d + "/cmkey", $d + "/cmkey.sha256"]')"
    assert_equal "$(jq_of "$output" .changed)" true
    assert_equal "$(jq_of "$output" '[has("commonkey"), has("devicekey")] | any')" false
    # expiration: milliseconds since the epoch, the default lifetime (365 days) from now.
    local expiration
    expiration=$(jq_of "$output" .expiration)
    assert_regex "$expiration" '^[0-9]+$'
    ((expiration - now > 364 * 86400000 && expiration - now < 366 * 86400000))
    assert_key_file "$d/cmkey" "$bytes"
    assert_dir_holds "$d" cmkey cmkey.sha256
    refute_key_printed "$d/cmkey"
  done
}

@test "create --name chooses the file name; two keys never get the same number or bytes" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128 --name first.key
  local first=$KEY_NUMBER
  assert_equal "$(jq_of "$KEY_JSON" .file)" "$d/first.key"
  mkkey "$device" "$d" AES 128 --name second.key
  assert_key_file "$d/first.key" 16
  assert_key_file "$d/second.key" 16
  assert_dir_holds "$d" first.key first.key.sha256 second.key second.key.sha256
  ((KEY_NUMBER > first))
  run cmp -s "$d/first.key" "$d/second.key"
  assert_failure
}

@test "create --encoding hex writes lower-case hex and a newline; --encoding base64 base64 and a newline" {
  local d g device
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  mkkey "$device" "$d" AES 256 --name hex.key --encoding hex
  local hexkey=$KEY_NUMBER
  assert_key_file "$d/hex.key" 65
  assert_regex "$(<"$d/hex.key")" '^[0-9a-f]{64}$'
  assert_equal "$(tail -c 1 "$d/hex.key" | od -An -tx1 | tr -d ' ')" 0a
  mkkey "$device" "$d" TWINE 80 --name b64.key --encoding base64
  local b64key=$KEY_NUMBER
  assert_key_file "$d/b64.key" 17
  assert_equal "$(base64 -d "$d/b64.key" | wc -c)" 10
  # The same keys, fetched raw.
  run_clm -0 clm-key get --device "$device" --keynumber "$hexkey" --out "$g" --name hex.raw
  assert_equal "$(hexof "$g/hex.raw")" "$(<"$d/hex.key")"
  run_clm -0 clm-key get --device "$device" --keynumber "$b64key" --out "$g" --name b64.raw
  assert_equal "$(base64 -w0 "$g/b64.raw")" "$(<"$d/b64.key")"
  # Never printed in any form.
  run_clm -0 clm-key create --device "$device" --alias "$(al k)" --type TWINE --length 128 --out "$d" --name t.hex \
    --encoding hex
  local hex
  hex=$(<"$d/t.hex")
  [[ ${output,,} != *"$hex"* && ${stderr,,} != *"$hex"* ]]
  run_clm -0 clm-key get --device "$device" --keynumber "$(jq_of "$output" .keynumber)" --out "$g" --name t.raw
  refute_key_printed "$g/t.raw"
}

@test "the first create stores deviceid/devicekey in STATE/devices.json (0600); later calls reuse them" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128
  local deviceid
  deviceid=$(jq_of "$KEY_JSON" .deviceid)
  assert_file_permission 600 "$CLM_STATE_DIR/devices.json"
  assert_equal "$(jq -r --arg d "$device" '.[$d].deviceid' "$CLM_STATE_DIR/devices.json")" "$deviceid"
  local devicekey
  devicekey=$(jq -r --arg d "$device" '.[$d].devicekey' "$CLM_STATE_DIR/devices.json")
  assert_regex "$devicekey" '^[[:graph:]]+$'
  [[ $KEY_JSON != *"$devicekey"* ]]
  run_clm -0 clm-key create --device "$device" --alias "$(al k2)" --type AES --out "$d" --name k2
  assert_equal "$(jq_of "$output" .deviceid)" "$deviceid"
  refute_output --partial "$devicekey"
  [[ $stderr != *"$devicekey"* ]]
  assert_equal "$(jq -r --arg d "$device" '.[$d].devicekey' "$CLM_STATE_DIR/devices.json")" "$devicekey"
}

@test "clm-cert and clm-key share STATE/devices.json: a device either registered works for the other" {
  local d certdev keydev
  d=$(outdir out)
  certdev=$(dev bycert)
  keydev=$(dev bykey)
  run_clm -0 clm-cert create --mode caonly --device "$certdev" --out "$d"
  local certid certnumber
  certid=$(jq_of "$output" .deviceid)
  certnumber=$(jq_of "$output" .keynumber)
  # No --deviceid: clm-key finds the device clm-cert registered (a second registration
  # of the name would be refused with 1702).
  run_clm -0 clm-key create --device "$certdev" --alias "$(al k)" --type AES --out "$d"
  assert_equal "$(jq_of "$output" .deviceid)" "$certid"
  # Keys and certificates are numbered from one sequence.
  (($(jq_of "$output" .keynumber) > certnumber))
  run_clm -0 clm-key get --device "$certdev" --keynumber "$(jq_of "$output" .keynumber)" --out "$(outdir got)"
  # And the other way round.
  run_clm -0 clm-key create --device "$keydev" --alias "$(al k2)" --type AES --out "$d" --name k2
  local keyid
  keyid=$(jq_of "$output" .deviceid)
  run_clm -0 clm-cert create --mode caonly --device "$keydev" --out "$(outdir cert2)"
  assert_equal "$(jq_of "$output" .deviceid)" "$keyid"
  [[ $certid != "$keyid" ]]
  assert_equal "$(jq -r --arg d "$certdev" '.[$d].deviceid' "$CLM_STATE_DIR/devices.json")" "$certid"
  assert_equal "$(jq -r --arg d "$keydev" '.[$d].deviceid' "$CLM_STATE_DIR/devices.json")" "$keyid"
}

# ---------------------------------------------------------------------------------
# create: input errors, refused before any request, nothing written

@test "bad --type/--length pairs exit 1, write nothing and make no request" {
  local d device pair type length
  d=$(outdir out)
  device=$(dev gw)
  log_mark
  for pair in AES:80 AES:192 AES:64 TWINE:256 TWINE:64 DES:128 aes:128 AES:abc AES:0128 TWINE:; do
    IFS=: read -r type length <<<"$pair"
    run_clm clm-key create --device "$device" --alias "$(al k)" --type "$type" --length "$length" --out "$d"
    assert_equal "$status" 1
    assert_output ''
    assert_regex "$stderr" '^clm-key: error: .*--(type|length)'
  done
  # TWINE without --length is TWINE-128, AES without it AES-128: both fine; DES never.
  run_clm clm-key create --device "$device" --alias "$(al k)" --type DES --out "$d"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--type'
  assert_empty_dir "$d"
  assert_no_requests_since_mark
  run_clm -0 clm-key create --device "$device" --alias "$(al k)" --type TWINE --out "$d"
  assert_key_file "$d/cmkey" 16
}

@test "--alias of 65 bytes or with a character outside the allowed set exits 1 without a request; 64 bytes is fine" {
  local d device alias
  d=$(outdir out)
  device=$(dev gw)
  log_mark
  for alias in "$(printf 'a%.0s' {1..65})" 'a;b' 'a b' 'a$b' 'a`b' 'a*' 'a&b' 'a!' $'a\tb' 'é' ''; do
    run_clm clm-key create --device "$device" --alias "$alias" --type AES --out "$d"
    assert_equal "$status" 1
    assert_output ''
    assert_regex "$stderr" '^clm-key: error: .*--alias'
  done
  # get and update check their aliases too.
  run_clm clm-key get --device "$device" --alias 'a b' --out "$d"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--alias'
  run_clm clm-key update --device "$device" --keynumber 1 --set-alias 'a;b' --out "$d"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--set-alias'
  run_clm clm-key update --device "$device" --keynumber 1 --new-alias 'a(b)' --out "$d"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--new-alias'
  assert_empty_dir "$d"
  assert_no_requests_since_mark
  alias="$(al x)$(printf 'b%.0s' {1..64})"
  alias=${alias:0:64}
  run_clm -0 clm-key create --device "$device" --alias "$alias" --type AES --out "$d"
  assert_equal "$(jq_of "$output" .alias)" "$alias"
}

@test "--name with '/', a relative --out and a bad --device exit 1; a missing --out directory 8; no request" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  log_mark
  run_clm clm-key create --device "$device" --alias "$(al k)" --type AES --out "$d" --name a/b
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--name'
  run_clm clm-key create --device "$device" --alias "$(al k)" --type AES --out "$d" --name "$(printf 'n%.0s' {1..243})"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--name'
  run_clm clm-key create --device "$device" --alias "$(al k)" --type AES --out "$d" --name ..
  assert_equal "$status" 1
  cd "$d"
  run_clm clm-key create --device "$device" --alias "$(al k)" --type AES --out .
  cd "$BATS_TEST_TMPDIR"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--out'
  run_clm clm-key create --device "$device" --alias "$(al k)" --type AES --out "${d#/}"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--out'
  run_clm clm-key create --device "$device" --alias "$(al k)" --type AES --out "$d/a b"
  assert_equal "$status" 1
  run_clm clm-key create --device 'a;b' --alias "$(al k)" --type AES --out "$d"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--device'
  run_clm clm-key create --device "$device" --alias "$(al k)" --type AES --out "$d/missing"
  assert_equal "$status" 8
  assert_output ''
  assert_regex "$stderr" "^clm-key: error: .*--out.*$d/missing"
  : >"$BATS_TEST_TMPDIR/plain-file"
  run_clm clm-key create --device "$device" --alias "$(al k)" --type AES --out "$BATS_TEST_TMPDIR/plain-file"
  assert_equal "$status" 8
  assert_empty_dir "$d"
  assert_file_not_exists "$d/missing"
  assert_no_requests_since_mark
}

@test "missing --out, --alias, --type or --device (stdin at EOF) exit 4 without a request" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  log_mark
  run_clm clm-key create --device "$device" --alias "$(al k)" --type AES
  assert_equal "$status" 4
  assert_regex "$stderr" '^clm-key: error: .*--out'
  run_clm clm-key create --device "$device" --type AES --out "$d"
  assert_equal "$status" 4
  assert_regex "$stderr" '^clm-key: error: .*--alias'
  run_clm clm-key create --device "$device" --alias "$(al k)" --out "$d"
  assert_equal "$status" 4
  assert_regex "$stderr" '^clm-key: error: .*--type'
  run_clm clm-key create --alias "$(al k)" --type AES --out "$d"
  assert_equal "$status" 4
  assert_regex "$stderr" '^clm-key: error: .*devicename'
  run_clm clm-key get --device "$device" --out "$d"
  assert_equal "$status" 4
  assert_regex "$stderr" '^clm-key: error: .*--keynumber'
  run_clm clm-key update --device "$device" --out "$d"
  assert_equal "$status" 4
  run_clm clm-key delete --device "$device" --in "$d"
  assert_equal "$status" 4
  run_clm clm-key verify --device "$device" --keynumber 1
  assert_equal "$status" 4
  assert_regex "$stderr" '^clm-key: error: .*--in'
  assert_empty_dir "$d"
  assert_no_requests_since_mark
}

@test "get, update, delete and verify for a device never registered from this state dir exit 4 without a request" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/state2"
  verified_id
  log_mark
  local sub
  run_clm clm-key get --device "$device" --keynumber "$KEY_NUMBER" --out "$(outdir got)"
  assert_equal "$status" 4
  assert_regex "$stderr" "^clm-key: error: .*no deviceid known for device $device"
  run_clm clm-key update --device "$device" --keynumber "$KEY_NUMBER" --out "$d"
  assert_equal "$status" 4
  for sub in delete verify; do
    run_clm clm-key "$sub" --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
    assert_equal "$status" 4
    assert_regex "$stderr" "^clm-key: error: .*no deviceid known for device $device"
  done
  assert_empty_dir "$(outdir got)"
  assert_no_requests_since_mark
  assert_key_file "$d/cmkey" 16
}

@test "no verified ID in the state dir exits 31 and makes no request" {
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/empty-state"
  local d
  d=$(outdir out)
  log_mark
  run_clm clm-key create --device "$(dev gw)" --alias "$(al k)" --type AES --out "$d"
  assert_equal "$status" 31
  assert_output ''
  assert_regex "$stderr" '^clm-key: error: '
  assert_empty_dir "$d"
  assert_no_requests_since_mark
}

# ---------------------------------------------------------------------------------
# get

@test "get --keynumber writes the key created before: same bytes, 0600, sidecar; JSON without the key" {
  local d g device
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  mkkey "$device" "$d" AES 256
  run_clm -0 clm-key get --device "$device" --keynumber "$KEY_NUMBER" --out "$g" --name fetched
  assert_equal "${#lines[@]}" 1
  assert_equal "$stderr" ''
  assert_equal "$(jq_of "$output" .keynumber)" "$KEY_NUMBER"
  assert_equal "$(jq_of "$output" .alias)" "$(al k)"
  assert_equal "$(jq_of "$output" .expiration)" "$(jq_of "$KEY_JSON" .expiration)"
  assert_equal "$(jq_of "$output" .deviceid)" "$(jq_of "$KEY_JSON" .deviceid)"
  assert_equal "$(jq_of "$output" .file)" "$g/fetched"
  assert_equal "$(jq -c .files <<<"$output")" "$(jq -cn --arg d "$g" '[$d + "/fetched", $d + "/fetched.sha256"]')"
  assert_equal "$(jq_of "$output" .changed)" true
  assert_equal "$(jq_of "$output" '[has("commonkey"), has("devicekey")] | any')" false
  assert_key_file "$g/fetched" 32
  cmp "$d/cmkey" "$g/fetched"
  refute_key_printed "$g/fetched"
}

@test "get --alias fetches the key with the largest number carrying the alias, whichever device created it" {
  local d g
  d=$(outdir out)
  g=$(outdir got)
  ALIAS=$(al shared) mkkey "$(dev a)" "$(outdir a1)" AES 128
  local first=$KEY_NUMBER
  ALIAS=$(al shared) mkkey "$(dev b)" "$(outdir b1)" AES 128
  local newest=$KEY_NUMBER
  ALIAS=$(al other) mkkey "$(dev a)" "$(outdir a2)" AES 128
  ((newest > first))
  run_clm -0 clm-key get --device "$(dev a)" --alias "$(al shared)" --out "$g"
  assert_equal "$(jq_of "$output" .keynumber)" "$newest"
  assert_equal "$(jq_of "$output" .alias)" "$(al shared)"
  cmp "$g/cmkey" "$BATS_TEST_TMPDIR/b1/cmkey"
  # Common keys are shared: device a now holds b's key and may verify it from there.
  run_clm -0 clm-key verify --device "$(dev a)" --keynumber "$newest" --in "$g"
  assert_equal "$(jq_of "$output" .verified)" true
  # An alias no key carries.
  run_clm clm-key get --device "$(dev a)" --alias "$(al none)" --out "$(outdir none)"
  assert_server_error 1501 404
  assert_empty_dir "$BATS_TEST_TMPDIR/none"
}

@test "get with both --keynumber and --alias: the key number wins" {
  local g device
  g=$(outdir got)
  device=$(dev gw)
  ALIAS=$(al one) mkkey "$device" "$(outdir one)" AES 128
  local one=$KEY_NUMBER
  ALIAS=$(al two) mkkey "$device" "$(outdir two)" AES 128
  run_clm -0 clm-key get --device "$device" --keynumber "$one" --alias "$(al two)" --out "$g"
  assert_equal "$(jq_of "$output" .keynumber)" "$one"
  assert_equal "$(jq_of "$output" .alias)" "$(al one)"
  cmp "$g/cmkey" "$BATS_TEST_TMPDIR/one/cmkey"
  # Even an alias no key carries does not matter then.
  run_clm -0 clm-key get --device "$device" --keynumber "$one" --alias "$(al none)" --out "$g"
  assert_equal "$(jq_of "$output" .keynumber)" "$one"
}

@test "create | clm-key get --out DIR2 fetches the key just created (keynumber and devicename from stdin)" {
  local d g
  d=$(outdir out)
  g=$(outdir got)
  pipeline() {
    t clm-key create --device "$(dev gw)" --alias "$(al k)" --type TWINE --length 80 --out "$d" |
      tee "$BATS_TEST_TMPDIR/create.json" | t clm-key get --out "$g"
  }
  run --separate-stderr pipeline
  assert_success
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .keynumber)" "$(jq .keynumber -r "$BATS_TEST_TMPDIR/create.json")"
  assert_equal "$(jq_of "$output" .devicename)" "$(dev gw)"
  assert_equal "$(jq_of "$output" .file)" "$g/cmkey"
  assert_key_file "$g/cmkey" 10
  cmp "$d/cmkey" "$g/cmkey"
}

@test "get --encoding hex / base64 writes the raw key's bytes as hex / base64 text" {
  local d g device
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128
  run_clm -0 clm-key get --device "$device" --keynumber "$KEY_NUMBER" --out "$g" --name k.hex --encoding hex
  assert_regex "$(<"$g/k.hex")" '^[0-9a-f]{32}$'
  assert_equal "$(<"$g/k.hex")" "$(hexof "$d/cmkey")"
  assert_key_file "$g/k.hex" 33
  run_clm -0 clm-key get --device "$device" --keynumber "$KEY_NUMBER" --out "$g" --name k.b64 --encoding base64
  assert_equal "$(<"$g/k.b64")" "$(base64 -w0 "$d/cmkey")"
  assert_key_file "$g/k.b64" 25
  run_clm clm-key get --device "$device" --keynumber "$KEY_NUMBER" --out "$g" --name k.pem --encoding pem
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--encoding'
  assert_file_not_exists "$g/k.pem"
}

@test "get of an unknown key number exits 200 with the server-error shape: errorcode 1501, http_status 404" {
  local g device
  g=$(outdir got)
  device=$(dev gw)
  mkkey "$device" "$(outdir out)" AES 128
  run_clm clm-key get --device "$device" --keynumber 999999 --out "$g"
  assert_server_error 1501 404
  assert_equal "$(jq_of "$output" .devicename)" "$device"
  assert_equal "$(jq_of "$output" .file)" "$g/cmkey"
  assert_empty_dir "$g"
}

# ---------------------------------------------------------------------------------
# expired keys

@test "expired keys: get 1510, get --expired works, by alias 1501; update and verify 1510; adopting one 1506" {
  # A server whose keys live three seconds.
  start_extra_server short --conf 'key_lifetime = 3s'
  export CLM_PORT=$EXTRA_PORT CLM_CACERT="$EXTRA_DIR/tls/ca.pem" CLM_LICENSE_KEY_FILE="$EXTRA_DIR/license.key"
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/state-short"
  verified_id
  local d g device
  d=$(outdir old)
  g=$(outdir get)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128
  local old=$KEY_NUMBER
  cp "$d/cmkey" "$BATS_TEST_TMPDIR/old.key"
  # Wait until the server sees it expired. (The probe fetches into the key's own
  # directory: a successful get binds the key to the path it names.)
  wait_until 10 bash -c '! clm-key get --device "$1" --keynumber "$2" --out "$3" >/dev/null 2>&1' _ \
    "$device" "$old" "$d"
  run_clm clm-key get --device "$device" --keynumber "$old" --out "$g"
  assert_server_error 1510 403
  run_clm clm-key get --device "$device" --alias "$(al k)" --out "$g"
  assert_server_error 1501 404
  assert_empty_dir "$g"
  run_clm clm-key verify --device "$device" --keynumber "$old" --in "$d"
  assert_server_error 1510 403
  assert_equal "$(jq_of "$output" .verified)" false
  run_clm clm-key update --device "$device" --keynumber "$old" --out "$d"
  assert_server_error 1510 403
  run_clm clm-key update --device "$device" --alias "$(al k)" --out "$d"
  assert_server_error 1510 403
  cmp "$d/cmkey" "$BATS_TEST_TMPDIR/old.key"
  # A fresh key may not adopt the expired one.
  ALIAS=$(al fresh) mkkey "$device" "$(outdir fresh)" AES 128
  run_clm clm-key update --device "$device" --keynumber "$KEY_NUMBER" --new-keynumber "$old" \
    --out "$BATS_TEST_TMPDIR/fresh"
  assert_server_error 1506 403
  # --expired fetches it all the same, by number and by alias.
  run_clm -0 clm-key get --device "$device" --keynumber "$old" --out "$g" --expired
  assert_equal "$(jq_of "$output" .keynumber)" "$old"
  assert_equal "$(jq_of "$output" .changed)" true
  assert_key_file "$g/cmkey" 16
  cmp "$d/cmkey" "$g/cmkey"
  run_clm -0 clm-key get --device "$device" --alias "$(al k)" --out "$g" --name by-alias --expired
  assert_equal "$(jq_of "$output" .keynumber)" "$old"
  cmp "$d/cmkey" "$g/by-alias"
  # An expired key may still be deleted (at the path it was last fetched to).
  run_clm -0 clm-key delete --device "$device" --keynumber "$old" --in "$g" --name by-alias
  assert_equal "$(jq -c '.removed | sort' <<<"$output")" \
    "$(jq -cn --arg d "$g" '[$d + "/by-alias", $d + "/by-alias.sha256"]')"
  run_clm clm-key get --device "$device" --keynumber "$old" --out "$g" --expired
  assert_server_error 1509 403
}

# ---------------------------------------------------------------------------------
# update

@test "update --keynumber issues a new key: new number, same alias, new bytes replace the file atomically" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128
  local old=$KEY_NUMBER
  cp "$d/cmkey" "$BATS_TEST_TMPDIR/old.key"
  local inode
  inode=$(stat -c %i "$d/cmkey")
  run_clm -0 clm-key update --device "$device" --keynumber "$old" --out "$d"
  assert_equal "${#lines[@]}" 1
  assert_equal "$stderr" ''
  local new
  new=$(jq_of "$output" .keynumber)
  ((new > old))
  assert_equal "$(jq_of "$output" .alias)" "$(al k)"
  assert_equal "$(jq_of "$output" .changed)" true
  assert_equal "$(jq_of "$output" .file)" "$d/cmkey"
  assert_equal "$(jq -c .files <<<"$output")" "$(jq -cn --arg d "$d" '[$d + "/cmkey", $d + "/cmkey.sha256"]')"
  assert_equal "$(jq_of "$output" '[has("commonkey"), has("devicekey")] | any')" false
  assert_key_file "$d/cmkey" 16
  run cmp -s "$d/cmkey" "$BATS_TEST_TMPDIR/old.key"
  assert_failure
  # Replaced by rename (a new inode), with no temporary file left behind.
  [[ $(stat -c %i "$d/cmkey") != "$inode" ]]
  assert_dir_holds "$d" cmkey cmkey.sha256
  refute_key_printed "$d/cmkey"
  # The server hands out the new bytes for the new number.
  run_clm -0 clm-key get --device "$device" --keynumber "$new" --out "$(outdir got)"
  cmp "$d/cmkey" "$BATS_TEST_TMPDIR/got/cmkey"
}

@test "after an update the old key is updated: get and verify of it 1509, update of it 1504" {
  local d g device
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  mkkey "$device" "$d" TWINE 128
  local old=$KEY_NUMBER
  cp "$d/cmkey" "$BATS_TEST_TMPDIR/old.key"
  run_clm -0 clm-key update --device "$device" --keynumber "$old" --out "$d"
  local new
  new=$(jq_of "$output" .keynumber)
  cp "$d/cmkey" "$BATS_TEST_TMPDIR/new.key"
  run_clm clm-key get --device "$device" --keynumber "$old" --out "$g"
  assert_server_error 1509 403
  assert_empty_dir "$g"
  run_clm clm-key update --device "$device" --keynumber "$old" --out "$d"
  assert_server_error 1504 403
  # The old key's bytes back in its file: still refused, because of its status.
  cp "$BATS_TEST_TMPDIR/old.key" "$d/cmkey"
  rm -f "$d/cmkey.sha256"  # now a file no clm tool wrote: the server judges it
  run_clm clm-key verify --device "$device" --keynumber "$old" --in "$d"
  assert_server_error 1509 403
  assert_equal "$(jq_of "$output" .verified)" false
  cp "$BATS_TEST_TMPDIR/new.key" "$d/cmkey"
  run_clm -0 clm-key verify --device "$device" --keynumber "$new" --in "$d"
  assert_equal "$(jq_of "$output" .verified)" true
  cmp "$d/cmkey" "$BATS_TEST_TMPDIR/new.key"
}

@test "update --alias OLDALIAS updates the newest key with that alias bound to this device" {
  local device other
  device=$(dev mine)
  other=$(dev theirs)
  ALIAS=$(al a) mkkey "$device" "$(outdir older)" AES 128
  local older=$KEY_NUMBER
  ALIAS=$(al a) mkkey "$device" "$(outdir newer)" AES 128
  local newer=$KEY_NUMBER
  # Newest of all with the alias, but bound to another device only.
  ALIAS=$(al a) mkkey "$other" "$(outdir theirs)" AES 128
  local theirs=$KEY_NUMBER
  run_clm -0 clm-key update --device "$device" --alias "$(al a)" --out "$BATS_TEST_TMPDIR/newer"
  local new
  new=$(jq_of "$output" .keynumber)
  ((new > theirs))
  assert_equal "$(jq_of "$output" .alias)" "$(al a)"
  run_clm clm-key get --device "$device" --keynumber "$newer" --out "$(outdir g1)"
  assert_server_error 1509 403
  run_clm -0 clm-key get --device "$device" --keynumber "$older" --out "$(outdir g2)"
  run_clm -0 clm-key get --device "$other" --keynumber "$theirs" --out "$(outdir g3)"
  # An alias no key of this device carries.
  run_clm clm-key update --device "$device" --alias "$(al none)" --out "$BATS_TEST_TMPDIR/newer"
  assert_server_error 1501 404
}

@test "update --new-keynumber adopts an existing key: the file gets that key's bytes" {
  local d n device
  d=$(outdir out)
  n=$(outdir adopted)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128
  local old=$KEY_NUMBER
  ALIAS=$(al other) mkkey "$(dev other)" "$n" AES 256
  local adopted=$KEY_NUMBER
  run_clm -0 clm-key update --device "$device" --keynumber "$old" --new-keynumber "$adopted" --out "$d"
  assert_equal "$(jq_of "$output" .keynumber)" "$adopted"
  assert_equal "$(jq_of "$output" .alias)" "$(al other)"
  assert_equal "$(jq_of "$output" .changed)" true
  # A 128-bit key replaced by an existing 256-bit one.
  assert_key_file "$d/cmkey" 32
  cmp "$d/cmkey" "$n/cmkey"
  run_clm clm-key get --device "$device" --keynumber "$old" --out "$(outdir g)"
  assert_server_error 1509 403
  # This device is bound to the adopted key in its own file now.
  run_clm -0 clm-key verify --device "$device" --keynumber "$adopted" --in "$d"
  assert_equal "$(jq_of "$output" .verified)" true
}

@test "update --new-alias adopts the newest valid key with that alias" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" TWINE 128
  local old=$KEY_NUMBER
  ALIAS=$(al pool) mkkey "$(dev other)" "$(outdir p1)" TWINE 128
  ALIAS=$(al pool) mkkey "$(dev other)" "$(outdir p2)" TWINE 80
  local newest=$KEY_NUMBER
  run_clm -0 clm-key update --device "$device" --keynumber "$old" --new-alias "$(al pool)" --out "$d"
  assert_equal "$(jq_of "$output" .keynumber)" "$newest"
  assert_equal "$(jq_of "$output" .alias)" "$(al pool)"
  assert_key_file "$d/cmkey" 10
  cmp "$d/cmkey" "$BATS_TEST_TMPDIR/p2/cmkey"
  # The tool refuses both ways of adopting at once.
  log_mark
  run_clm clm-key update --device "$device" --keynumber "$newest" --new-alias "$(al pool)" --new-keynumber 1 --out "$d"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--new-keynumber'
  assert_no_requests_since_mark
}

@test "update --set-alias gives the new key another alias: get --alias finds it by that alias" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128
  run_clm -0 clm-key update --device "$device" --keynumber "$KEY_NUMBER" --set-alias "$(al renamed)" --out "$d"
  local new
  new=$(jq_of "$output" .keynumber)
  assert_equal "$(jq_of "$output" .alias)" "$(al renamed)"
  run_clm -0 clm-key get --device "$device" --alias "$(al renamed)" --out "$(outdir g)"
  assert_equal "$(jq_of "$output" .keynumber)" "$new"
  cmp "$d/cmkey" "$BATS_TEST_TMPDIR/g/cmkey"
  # The old alias is left to the old (updated) key only.
  run_clm clm-key get --device "$device" --alias "$(al k)" --out "$(outdir g2)"
  assert_server_error 1501 404
  # --set-alias with an adopted key renames that key.
  ALIAS=$(al pool) mkkey "$(dev other)" "$(outdir p)" AES 128
  local adopted=$KEY_NUMBER
  run_clm -0 clm-key update --device "$device" --keynumber "$new" --new-keynumber "$adopted" \
    --set-alias "$(al again)" --out "$d"
  assert_equal "$(jq_of "$output" .alias)" "$(al again)"
  run_clm -0 clm-key get --device "$device" --alias "$(al again)" --out "$(outdir g3)"
  assert_equal "$(jq_of "$output" .keynumber)" "$adopted"
}

@test "update --length 256 makes an AES-128 key 256 bits; without --length a key keeps its file's length" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128
  run_clm -0 clm-key update --device "$device" --keynumber "$KEY_NUMBER" --length 256 --out "$d"
  assert_key_file "$d/cmkey" 32
  # Default: the length of the current file (the server's own default would be 128).
  run_clm -0 clm-key update --device "$device" --keynumber "$(jq_of "$output" .keynumber)" --out "$d"
  assert_key_file "$d/cmkey" 32
  local e
  e=$(outdir twine)
  mkkey "$device" "$e" TWINE 80 --encoding hex
  cp "$e/cmkey" "$BATS_TEST_TMPDIR/first.hex"
  # The length read through --encoding: 20 hex digits are 80 bits.
  run_clm -0 clm-key update --device "$device" --keynumber "$KEY_NUMBER" --out "$e" --encoding hex
  local second
  second=$(jq_of "$output" .keynumber)
  assert_regex "$(<"$e/cmkey")" '^[0-9a-f]{20}$'
  run cmp -s "$e/cmkey" "$BATS_TEST_TMPDIR/first.hex"
  assert_failure
  cp "$e/cmkey" "$BATS_TEST_TMPDIR/second.hex"
  # A length the key's type does not have: the server refuses it, the file stays.
  run_clm clm-key update --device "$device" --keynumber "$second" --out "$e" --encoding hex --length 256
  assert_server_error 1104 400
  cmp "$e/cmkey" "$BATS_TEST_TMPDIR/second.hex"
}

@test "update --new-path and --new-name write the new key there and leave the old file in place" {
  local d n device
  d=$(outdir out)
  n=$(outdir new)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128
  cp "$d/cmkey" "$BATS_TEST_TMPDIR/old.key"
  run_clm -0 clm-key update --device "$device" --keynumber "$KEY_NUMBER" --out "$d" --new-path "$n" --new-name next
  assert_equal "$(jq_of "$output" .file)" "$n/next"
  assert_equal "$(jq -c .files <<<"$output")" "$(jq -cn --arg d "$n" '[$d + "/next", $d + "/next.sha256"]')"
  assert_key_file "$n/next" 16
  cmp "$d/cmkey" "$BATS_TEST_TMPDIR/old.key"
  assert_dir_holds "$d" cmkey cmkey.sha256
  assert_dir_holds "$n" next next.sha256
  local new
  new=$(jq_of "$output" .keynumber)
  # The new key is bound to its new path.
  run_clm -0 clm-key verify --device "$device" --keynumber "$new" --in "$n" --name next
  # --new-name alone: same directory, other name; --new-path alone: same name, other directory.
  run_clm -0 clm-key update --device "$device" --keynumber "$new" --out "$n" --name next --new-name third
  assert_equal "$(jq_of "$output" .file)" "$n/third"
  assert_key_file "$n/next" 16
  assert_key_file "$n/third" 16
  local m
  m=$(outdir moved)
  run_clm -0 clm-key update --device "$device" --keynumber "$(jq_of "$output" .keynumber)" --out "$n" --name third \
    --new-path "$m"
  assert_equal "$(jq_of "$output" .file)" "$m/third"
  assert_key_file "$m/third" 16
  # A relative --new-path exits 1, a missing one 8; no request either way.
  log_mark
  run_clm clm-key update --device "$device" --keynumber "$new" --out "$d" --new-path relative/dir
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--new-path'
  run_clm clm-key update --device "$device" --keynumber "$new" --out "$d" --new-path "$d/missing"
  assert_equal "$status" 8
  run_clm clm-key update --device "$device" --keynumber "$new" --out "$d" --new-name a/b
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--new-name'
  assert_no_requests_since_mark
}

@test "adopt errors: unknown or deleted key 1502, the same key 1513, an updated key 1505, another type 1507" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" TWINE 128
  local mine=$KEY_NUMBER
  cp "$d/cmkey" "$BATS_TEST_TMPDIR/mine.key"
  local adopt=(clm-key update --device "$device" --keynumber "$mine" --out "$d")
  run_clm "${adopt[@]}" --new-keynumber 999999
  assert_server_error 1502 404
  run_clm "${adopt[@]}" --new-alias "$(al none)"
  assert_server_error 1502 404
  run_clm "${adopt[@]}" --new-keynumber "$mine"
  assert_server_error 1513 404
  # An updated key.
  ALIAS=$(al u) mkkey "$device" "$(outdir u)" TWINE 128
  local updated=$KEY_NUMBER
  run_clm -0 clm-key update --device "$device" --keynumber "$updated" --out "$BATS_TEST_TMPDIR/u"
  run_clm "${adopt[@]}" --new-keynumber "$updated"
  assert_server_error 1505 403
  # A deleted key.
  ALIAS=$(al del) mkkey "$device" "$(outdir del)" TWINE 128
  local deleted=$KEY_NUMBER
  run_clm -0 clm-key delete --device "$device" --keynumber "$deleted" --in "$BATS_TEST_TMPDIR/del"
  run_clm "${adopt[@]}" --new-keynumber "$deleted"
  assert_server_error 1502 404
  # An AES key for a TWINE key.
  ALIAS=$(al aes) mkkey "$device" "$(outdir aes)" AES 128
  run_clm "${adopt[@]}" --new-keynumber "$KEY_NUMBER"
  assert_server_error 1507 400
  # Nothing happened to the key being updated.
  cmp "$d/cmkey" "$BATS_TEST_TMPDIR/mine.key"
  run_clm -0 clm-key verify --device "$device" --keynumber "$mine" --in "$d"
}

@test "a key of another device: update 1503, delete and verify of a copy 1503; once fetched it is shared" {
  local d o device other
  d=$(outdir theirs)
  o=$(outdir mine)
  device=$(dev theirs)
  other=$(dev mine)
  mkkey "$device" "$d" AES 128
  local theirs=$KEY_NUMBER
  ALIAS=$(al mine) mkkey "$other" "$(outdir own)" AES 128
  cp "$d/cmkey" "$o/cmkey"
  run_clm clm-key update --device "$other" --keynumber "$theirs" --out "$o"
  assert_server_error 1503 404
  run_clm clm-key verify --device "$other" --keynumber "$theirs" --in "$o"
  assert_server_error 1503 404
  run_clm clm-key delete --device "$other" --keynumber "$theirs" --in "$o"
  assert_server_error 1503 404
  assert_file_exists "$o/cmkey"
  run_clm clm-key update --device "$other" --keynumber 999999 --out "$o"
  assert_server_error 1501 404
  # A get binds the key to the device that fetched it.
  run_clm -0 clm-key get --device "$other" --keynumber "$theirs" --out "$o"
  run_clm -0 clm-key verify --device "$other" --keynumber "$theirs" --in "$o"
  assert_equal "$(jq_of "$output" .verified)" true
  run_clm -0 clm-key verify --device "$device" --keynumber "$theirs" --in "$d"
}

@test "update --lightcipher and get --lightcipher hand the TWINE-128 key to lightcipher" {
  local d g device log="$BATS_TEST_TMPDIR/lc.log"
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  mkkey "$device" "$d" TWINE 128
  local first=$KEY_NUMBER
  LIGHTCIPHER_LOG=$log run_clm -0 clm-key get --device "$device" --keynumber "$first" --out "$g" \
    --lightcipher --twinecmd "$STANDIN"
  assert_equal "$(sed -n 2p "$log")" -
  assert_equal "$(<"$g/cmkey")" "$(printf 'LIGHTCIPHER-STANDIN\n%s' "$(hexof "$d/cmkey")")"
  assert_key_file "$g/cmkey" 53
  rm -f "$log"
  LIGHTCIPHER_LOG=$log run_clm -0 clm-key update --device "$device" --keynumber "$first" --out "$d" \
    --new-path "$g" --new-name next --lightcipher --twinecmd "$STANDIN"
  local new
  new=$(jq_of "$output" .keynumber)
  assert_equal "$(wc -l <"$log")" 3
  assert_regex "$(sed -n 3p "$log")" "^$g/\\.next\\.lightcipher\\.[A-Za-z0-9]{6}/next\$"
  assert_key_file "$g/next" 53
  assert_dir_holds "$g" cmkey cmkey.sha256 next next.sha256
  run_clm -0 clm-key get --device "$device" --keynumber "$new" --out "$(outdir hex)" --encoding hex
  assert_equal "$(sed -n 2p "$g/next")" "$(<"$BATS_TEST_TMPDIR/hex/cmkey")"
  refute grep -qF -- "$(<"$BATS_TEST_TMPDIR/hex/cmkey")" "$log"
  # get --lightcipher of an AES-256 key: exits 1 and writes nothing.
  ALIAS=$(al aes) mkkey "$device" "$(outdir aes)" AES 256
  local e
  e=$(outdir aesget)
  run_clm clm-key get --device "$device" --keynumber "$KEY_NUMBER" --out "$e" --lightcipher --twinecmd "$STANDIN"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--lightcipher'
  assert_empty_dir "$e"
}

# ---------------------------------------------------------------------------------
# delete

@test "delete deletes the key on the server, then removes the file and its sidecar" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" AES 256
  cp "$d/cmkey" "$BATS_TEST_TMPDIR/saved.key"
  run_clm -0 clm-key delete --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
  assert_equal "${#lines[@]}" 1
  assert_equal "$stderr" ''
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .keynumber)" "$KEY_NUMBER"
  assert_equal "$(jq_of "$output" .deviceid)" "$(jq_of "$KEY_JSON" .deviceid)"
  assert_equal "$(jq_of "$output" .changed)" true
  assert_equal "$(jq -c '.removed | sort' <<<"$output")" \
    "$(jq -cn --arg d "$d" '[$d + "/cmkey", $d + "/cmkey.sha256"]')"
  assert_equal "$(jq_of "$output" 'has("commonkey")')" false
  refute_key_printed "$BATS_TEST_TMPDIR/saved.key"
  assert_empty_dir "$d"
  run_clm clm-key get --device "$device" --keynumber "$KEY_NUMBER" --out "$(outdir got)"
  assert_server_error 1509 403
  assert_empty_dir "$BATS_TEST_TMPDIR/got"
  # Deleting again (the key's bytes put back in its file): the key is no longer valid.
  cp "$BATS_TEST_TMPDIR/saved.key" "$d/cmkey"
  run_clm clm-key delete --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
  assert_server_error 1509 403
  assert_file_exists "$d/cmkey"
  run_clm clm-key verify --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
  assert_server_error 1509 403
  # Without its file there is nothing to prove the key with: exit 2, no request.
  rm "$d/cmkey"
  log_mark
  run_clm clm-key delete --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
  assert_equal "$status" 2
  assert_output ''
  assert_regex "$stderr" "^clm-key: error: .*$d/cmkey"
  assert_no_requests_since_mark
}

@test "delete with a wrong key in the file exits 200 with 1508 and keeps the file; of an unknown key 1501" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128
  flip_byte "$d/cmkey" 7
  (cd "$d" && sha256sum cmkey >cmkey.sha256)  # a sidecar that agrees: the server judges the key
  cp "$d/cmkey" "$BATS_TEST_TMPDIR/flipped.key"
  run_clm clm-key delete --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
  assert_server_error 1508 400
  cmp "$d/cmkey" "$BATS_TEST_TMPDIR/flipped.key"
  assert_file_exists "$d/cmkey.sha256"
  run_clm clm-key delete --device "$device" --keynumber 999999 --in "$d"
  assert_server_error 1501 404
  assert_file_exists "$d/cmkey"
  # The key was not deleted: with the right bytes back, delete works.
  flip_byte "$d/cmkey" 7
  (cd "$d" && sha256sum cmkey >cmkey.sha256)
  run_clm -0 clm-key delete --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
  assert_empty_dir "$d"
}

@test "delete naming another file path (a copy in another directory) exits 200 with 1503 and keeps both files" {
  local d c device
  d=$(outdir out)
  c=$(outdir copy)
  device=$(dev gw)
  mkkey "$device" "$d" TWINE 80
  cp "$d/cmkey" "$d/cmkey.sha256" "$c/"
  run_clm clm-key delete --device "$device" --keynumber "$KEY_NUMBER" --in "$c"
  assert_server_error 1503 404
  assert_dir_holds "$c" cmkey cmkey.sha256
  assert_dir_holds "$d" cmkey cmkey.sha256
  # Same directory, other name: another path too.
  cp "$d/cmkey" "$d/other"
  run_clm clm-key delete --device "$device" --keynumber "$KEY_NUMBER" --in "$d" --name other
  assert_server_error 1503 404
  assert_file_exists "$d/other"
  run_clm -0 clm-key delete --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
  assert_dir_holds "$d" other
}

@test "create | clm-key delete deletes the key just created (keynumber, file and devicename from stdin)" {
  local d
  d=$(outdir out)
  pipeline() {
    t clm-key create --device "$(dev gw)" --alias "$(al k)" --type AES --out "$d" --name piped |
      tee "$BATS_TEST_TMPDIR/create.json" | t clm-key delete
  }
  run --separate-stderr pipeline
  assert_success
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .keynumber)" "$(jq -r .keynumber "$BATS_TEST_TMPDIR/create.json")"
  assert_equal "$(jq -c '.removed | sort' <<<"$output")" \
    "$(jq -cn --arg d "$d" '[$d + "/piped", $d + "/piped.sha256"]')"
  assert_empty_dir "$d"
  run_clm clm-key get --device "$(dev gw)" --keynumber "$(jq_of "$output" .keynumber)" --out "$d"
  assert_server_error 1509 403
}

# ---------------------------------------------------------------------------------
# verify

@test "update, delete and verify of a key file that no longer matches its .sha256 exit 15: nothing sent or changed" {
  local d device before
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" AES 128
  flip_byte "$d/cmkey" 3
  before=$(sha256sum "$d/cmkey" "$d/cmkey.sha256")
  log_mark
  run_clm clm-key update --device "$device" --keynumber "$KEY_NUMBER" --out "$d"
  assert_equal "$status" 15
  assert_output ''
  assert_equal "$(wc -l <<<"$stderr")" 1
  assert_regex "$stderr" "^clm-key: error: tampered: $d/cmkey does not match its sidecar"
  for sub in delete verify; do
    run_clm clm-key "$sub" --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
    assert_equal "$status" 15
    assert_regex "$stderr" "^clm-key: error: tampered: $d/cmkey"
  done
  assert_no_requests_since_mark
  assert_equal "$(sha256sum "$d/cmkey" "$d/cmkey.sha256")" "$before"
  # The right bytes back: all is well again.
  flip_byte "$d/cmkey" 3
  run_clm -0 clm-key verify --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
  assert_equal "$(jq_of "$output" .verified)" true
}

@test "verify: verified true with the right key; 1508 and verified false after one byte of the file flips" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" AES 256
  run_clm -0 clm-key verify --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
  assert_equal "${#lines[@]}" 1
  assert_equal "$stderr" ''
  assert_equal "$(jq_of "$output" .verified)" true
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .changed)" false
  assert_equal "$(jq_of "$output" .keynumber)" "$KEY_NUMBER"
  assert_equal "$(jq -c .files <<<"$output")" '[]'
  refute_key_printed "$d/cmkey"
  flip_byte "$d/cmkey" 31
  rm -f "$d/cmkey.sha256"  # now a file no clm tool wrote: the server judges it
  run_clm clm-key verify --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
  assert_server_error 1508 400
  assert_equal "$(jq_of "$output" .verified)" false
  # A file of another length does not match either.
  head -c 16 "$BATS_TEST_TMPDIR/out/cmkey" >"$BATS_TEST_TMPDIR/short"
  cp "$BATS_TEST_TMPDIR/short" "$d/cmkey"
  run_clm clm-key verify --device "$device" --keynumber "$KEY_NUMBER" --in "$d"
  assert_server_error 1508 400
  # An unknown key.
  run_clm clm-key verify --device "$device" --keynumber 999999 --in "$d"
  assert_server_error 1501 404
}

@test "verify --encoding hex reads a hex key file; a file that is not hex exits 32 without a request" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" TWINE 128 --encoding hex
  run_clm -0 clm-key verify --device "$device" --keynumber "$KEY_NUMBER" --in "$d" --encoding hex
  assert_equal "$(jq_of "$output" .verified)" true
  log_mark
  printf 'not hex\n' >"$d/cmkey"
  rm -f "$d/cmkey.sha256"  # now a file no clm tool wrote: the server judges it
  run_clm clm-key verify --device "$device" --keynumber "$KEY_NUMBER" --in "$d" --encoding hex
  assert_equal "$status" 32
  assert_output ''
  assert_regex "$stderr" "^clm-key: error: .*$d/cmkey"
  assert_no_requests_since_mark
}

@test "verify --twine-otr proves a TWINE-128 key without sending it; a flipped byte 1508" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" TWINE 128
  run_clm -0 clm-key verify --device "$device" --keynumber "$KEY_NUMBER" --in "$d" --twine-otr
  assert_equal "$(jq_of "$output" .verified)" true
  assert_equal "$(jq_of "$output" .keynumber)" "$KEY_NUMBER"
  flip_byte "$d/cmkey" 15
  rm -f "$d/cmkey.sha256"  # now a file no clm tool wrote: the server judges it
  run_clm clm-key verify --device "$device" --keynumber "$KEY_NUMBER" --in "$d" --twine-otr
  assert_server_error 1508 400
  assert_equal "$(jq_of "$output" .verified)" false
}

@test "verify --twine-otr of an AES-256 or TWINE-80 key file exits 1 without a request; of an AES-128 key 1103" {
  local device
  device=$(dev gw)
  mkkey "$device" "$(outdir aes256)" AES 256
  local aes256=$KEY_NUMBER
  ALIAS=$(al t80) mkkey "$device" "$(outdir t80)" TWINE 80
  local t80=$KEY_NUMBER
  log_mark
  run_clm clm-key verify --device "$device" --keynumber "$aes256" --in "$BATS_TEST_TMPDIR/aes256" --twine-otr
  assert_equal "$status" 1
  assert_output ''
  assert_regex "$stderr" '^clm-key: error: .*--twine-otr'
  run_clm clm-key verify --device "$device" --keynumber "$t80" --in "$BATS_TEST_TMPDIR/t80" --twine-otr
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--twine-otr'
  assert_no_requests_since_mark
  # 16 bytes, but not a TWINE key: the server says encdata does not go with the key.
  ALIAS=$(al a128) mkkey "$device" "$(outdir a128)" AES 128
  run_clm clm-key verify --device "$device" --keynumber "$KEY_NUMBER" --in "$BATS_TEST_TMPDIR/a128" --twine-otr
  assert_server_error 1103 400
}

@test "create | clm-key verify verifies the key just created" {
  local d
  d=$(outdir out)
  pipeline() {
    t clm-key create --device "$(dev gw)" --alias "$(al k)" --type TWINE --length 128 --out "$d" |
      tee "$BATS_TEST_TMPDIR/create.json" | t clm-key verify
  }
  run --separate-stderr pipeline
  assert_success
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .verified)" true
  assert_equal "$(jq_of "$output" .keynumber)" "$(jq -r .keynumber "$BATS_TEST_TMPDIR/create.json")"
  assert_equal "$(jq_of "$output" .file)" "$d/cmkey"
  pipeline_otr() {
    t clm-key create --device "$(dev gw)" --alias "$(al k)" --type TWINE --out "$d" --name otr |
      t clm-key verify --twine-otr
  }
  run --separate-stderr pipeline_otr
  assert_success
  assert_equal "$(jq_of "$output" .verified)" true
}

# ---------------------------------------------------------------------------------
# lightcipher

@test "create --lightcipher hands lightcipher the key on its stdin, never its argv, in a private temporary directory, then moves the file" {
  local d device log="$BATS_TEST_TMPDIR/lc.log"
  d=$(outdir out)
  device=$(dev gw)
  LIGHTCIPHER_LOG=$log run_clm -0 clm-key create --device "$device" --alias "$(al k)" --type TWINE --length 128 \
    --out "$d" --lightcipher --twinecmd "$STANDIN"
  # stdout stays one JSON line; the command's own stdout went to stderr.
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .changed)" true
  assert_equal "$(jq_of "$output" .file)" "$d/cmkey"
  assert_equal "$(jq -c .files <<<"$output")" "$(jq -cn --arg d "$d" '[$d + "/cmkey", $d + "/cmkey.sha256"]')"
  assert_equal "$stderr" 'lightcipher-standin: wrote the key file'
  local keynumber
  keynumber=$(jq_of "$output" .keynumber)
  # argv: exactly -create_key_file - DIR/.cmkey.lightcipher.XXXXXX/cmkey; the key came on stdin.
  assert_equal "$(wc -l <"$log")" 3
  assert_equal "$(sed -n 1p "$log")" -create_key_file
  assert_equal "$(sed -n 2p "$log")" -
  assert_regex "$(sed -n 3p "$log")" "^$d/\\.cmkey\\.lightcipher\\.[A-Za-z0-9]{6}/cmkey\$"
  assert_equal "$(<"$log.dirmode")" 700
  # The file is what the command wrote, 0600 (it wrote it 0644), with a matching sidecar.
  assert_regex "$(sed -n 2p "$d/cmkey")" '^[0-9a-f]{32}$'
  assert_key_file "$d/cmkey" 53
  assert_dir_holds "$d" cmkey cmkey.sha256
  # The hex it was given on stdin is the key the server holds, and it never was on argv.
  run_clm -0 clm-key get --device "$device" --keynumber "$keynumber" --out "$(outdir g)" --encoding hex
  assert_equal "$(<"$d/cmkey")" "$(printf 'LIGHTCIPHER-STANDIN\n%s' "$(<"$BATS_TEST_TMPDIR/g/cmkey")")"
  refute grep -qF -- "$(<"$BATS_TEST_TMPDIR/g/cmkey")" "$log"
  # --name: the temporary directory follows the name.
  rm -f "$log" "$log.dirmode"
  LIGHTCIPHER_LOG=$log run_clm -0 clm-key create --device "$device" --alias "$(al k)" --type TWINE \
    --out "$d" --name tw.key --lightcipher --twinecmd "$STANDIN"
  assert_regex "$(sed -n 3p "$log")" "^$d/\\.tw\\.key\\.lightcipher\\.[A-Za-z0-9]{6}/tw\\.key\$"
  assert_dir_holds "$d" cmkey cmkey.sha256 tw.key tw.key.sha256
}

@test "a failing or missing lightcipher exits 33 and leaves no file and no temporary directory" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  LIGHTCIPHER_FAIL=1 run_clm clm-key create --device "$device" --alias "$(al k)" --type TWINE --length 128 \
    --out "$d" --lightcipher --twinecmd "$STANDIN"
  assert_equal "$status" 33
  assert_regex "$stderr" 'lightcipher-standin: failing as asked'
  assert_regex "$stderr" "clm-key: error: .*--twinecmd "
  [[ $stderr == *"$STANDIN: exited with status 3"* ]]
  assert_empty_dir "$d"
  run_clm clm-key create --device "$device" --alias "$(al k)" --type TWINE --length 128 \
    --out "$d" --lightcipher --twinecmd "$BATS_TEST_TMPDIR/no-such-lightcipher"
  assert_equal "$status" 33
  assert_regex "$stderr" "clm-key: error: .*no-such-lightcipher"
  assert_empty_dir "$d"
  # A command that succeeds without writing the file (and, depending on timing, without
  # reading the key: the write may find the pipe closed).
  run_clm clm-key create --device "$device" --alias "$(al k)" --type TWINE --length 128 \
    --out "$d" --lightcipher --twinecmd true
  assert_equal "$status" 33
  assert_regex "$stderr" 'clm-key: error: .*(wrote no key file|exited without reading all of its standard input)'
  assert_empty_dir "$d"
}

@test "--lightcipher with AES or TWINE-80, or with --encoding, exits 1 without a request" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  log_mark
  run_clm clm-key create --device "$device" --alias "$(al k)" --type AES --length 128 --out "$d" \
    --lightcipher --twinecmd "$STANDIN"
  assert_equal "$status" 1
  assert_output ''
  assert_regex "$stderr" '^clm-key: error: .*--lightcipher'
  run_clm clm-key create --device "$device" --alias "$(al k)" --type TWINE --length 80 --out "$d" \
    --lightcipher --twinecmd "$STANDIN"
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-key: error: .*--lightcipher'
  local enc
  for enc in hex raw; do
    run_clm clm-key create --device "$device" --alias "$(al k)" --type TWINE --length 128 --out "$d" \
      --lightcipher --twinecmd "$STANDIN" --encoding "$enc"
    assert_equal "$status" 1
    assert_regex "$stderr" '^clm-key: error: .*--encoding'
  done
  run_clm clm-key get --device "$device" --keynumber 1 --out "$d" --lightcipher --encoding base64
  assert_equal "$status" 1
  assert_empty_dir "$d"
  assert_no_requests_since_mark
}

@test "update --lightcipher with --length other than 128 exits 1 before a request: the old key stays valid" {
  # A rotation the tool then refuses to write would leave the device with a dead key.
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" TWINE 128 --lightcipher --twinecmd "$STANDIN"
  local old=$KEY_NUMBER
  cp "$d/cmkey" "$BATS_TEST_TMPDIR/old.key"
  log_mark
  run_clm clm-key update --device "$device" --keynumber "$old" --out "$d" --length 80 \
    --lightcipher --twinecmd "$STANDIN"
  assert_equal "$status" 1
  assert_output ''
  assert_regex "$stderr" '^clm-key: error: .*--lightcipher'
  assert_no_requests_since_mark
  cmp "$d/cmkey" "$BATS_TEST_TMPDIR/old.key"
  # The old key was not rotated away.
  run_clm -0 clm-key get --device "$device" --keynumber "$old" --out "$(outdir g)" --encoding hex
}

@test "update whose lightcipher fails exits 33 but still prints the new key's number (the old key is gone)" {
  # The server has rotated the key by then: without the new number the device could not
  # fetch its key again.
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkkey "$device" "$d" TWINE 128 --lightcipher --twinecmd "$STANDIN"
  local old=$KEY_NUMBER
  cp "$d/cmkey" "$BATS_TEST_TMPDIR/old.key"
  LIGHTCIPHER_FAIL=1 run_clm clm-key update --device "$device" --keynumber "$old" --out "$d" \
    --lightcipher --twinecmd "$STANDIN"
  assert_equal "$status" 33
  assert_regex "$stderr" "clm-key: error: .*--twinecmd"
  cmp "$d/cmkey" "$BATS_TEST_TMPDIR/old.key"
  assert_dir_holds "$d" cmkey cmkey.sha256
  assert_equal "${#lines[@]}" 1
  local new
  new=$(jq_of "$output" .keynumber)
  assert_regex "$new" '^[0-9]+$'
  ((new > old))
  run_clm -0 clm-key get --device "$device" --keynumber "$new" --out "$(outdir g)"
  assert_key_file "$BATS_TEST_TMPDIR/g/cmkey" 16
}

# Print how many fdatasync/fsync calls the strace log FILE holds.
syncs_in() {
  grep -c -E '(fdatasync|fsync)\(' "$1" || true
}

@test "a key get commits without waiting for the disk; a key create is answered only once synced (strace)" {
  skip_if_pg_selected "PostgreSQL syncs in its own processes (synchronous_commit off for reads)"
  local d g device trace="$BATS_TEST_TMPDIR/strace.log" n1 n2 n3 per_create
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev sync)
  mkkey "$device" "$d" AES 128 --name first.key
  strace -f -e trace=fdatasync,fsync -p "$SERVER_PID" -o "$trace" 2>"$BATS_TEST_TMPDIR/strace.err" 3>&- &
  register_pid $!
  wait_until 10 grep -q attached "$BATS_TEST_TMPDIR/strace.err"
  # A create is durable before its answer: its syncs are in the log when the tool returns.
  ALIAS=$(al a) mkkey "$device" "$d" AES 128 --name a.key
  n1=$(syncs_in "$trace")
  ALIAS=$(al b) mkkey "$device" "$d" AES 128 --name b.key
  n2=$(syncs_in "$trace")
  per_create=$((n2 - n1))
  ((per_create >= 1))
  # Right after a durable commit, a read is always deferred: no sync of its own. The next
  # create syncs exactly as many times as the one before.
  run_clm -0 clm-key get --device "$device" --keynumber "$KEY_NUMBER" --out "$g" --name got.key
  ALIAS=$(al c) mkkey "$device" "$d" AES 128 --name c.key
  n3=$(syncs_in "$trace")
  assert_equal "$((n3 - n2))" "$per_create"
}
