#!/usr/bin/env bats
# clm-device, the operator's tool, against a real clm-server with its admin license key:
# what it disables, enables, deletes and updates, the tools see at once (clm-key,
# clm-cert, clm-keyget); names come as arguments, lines or JSON lines on stdin, so a
# search pipes into a change; searches follow the server's pages; groups, due, report
# and summary; and clm-key update --if-due.

load helpers

setup_file() {
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server
}

setup() {
  load_libs
  setup_common
  use_tool_path clm-key
  use_tool_path clm-cert
  use_tool_path clm-keyget
  use_tool_path clm-device
  export CLM_ADMIN_KEY_FILE=$ADMIN_KEY_FILE
  verified_id
}

# key_for DEVICE: a key for DEVICE in BATS_TEST_TMPDIR/DEVICE; its number in KEY_NUMBER.
key_for() {
  KEY_NUMBER=$(t clm-key create --device "$1" --alias "a-$1" --type AES --out "$(outdir "$1")" | jq -r .keynumber)
  [[ $KEY_NUMBER =~ ^[0-9]+$ ]]
}

# cert_for DEVICE: a client certificate for DEVICE in BATS_TEST_TMPDIR/DEVICE-cert; its key
# number in CERT_NUMBER and its serial in CERT_SERIAL.
cert_for() {
  local out
  out=$(t clm-cert create --mode client --device "$1" --subject "/CN=$1" --out "$(outdir "$1-cert")")
  CERT_NUMBER=$(jq -r .clientkeynumber <<<"$out")
  CERT_SERIAL=$(jq -r .clientserial <<<"$out")
  [[ $CERT_NUMBER =~ ^[0-9]+$ && -n $CERT_SERIAL ]]
}

# keys_for DEVICE...: a key for each DEVICE.
keys_for() {
  local d
  for d in "$@"; do
    key_for "$d" || return 1
  done
}

# field_of JQ: the values of jq filter JQ of each line of $output, joined by spaces.
field_of() {
  jq -r "$1" <<<"$output" | tr '\n' ' ' | sed 's/ $//'
}

# marker_logged: the shared server logged a SystemStatus request since log_mark.
marker_logged() {
  grep 'errorcode=' "$SERVER_LOG" | tail -n +$((LOG_MARK + 1)) | grep -q ' /SWCLM/SystemStatus '
}

# deviceinfo_since_mark: print how many DeviceInfo requests the shared server logged
# since log_mark (a marker request goes last, so that every earlier line is written).
deviceinfo_since_mark() {
  API_LICENSE=none api_request GET /SWCLM/SystemStatus
  wait_until 10 marker_logged
  grep 'errorcode=' "$SERVER_LOG" | tail -n +$((LOG_MARK + 1)) | grep -c ' /SWCLM/DeviceInfo ' || true
}

@test "disable: the device's clm-key and clm-cert get fail with 1704 and clm-keyget skips it; enable: they work again" {
  local one two
  one=$(dev 1) two=$(dev 2)
  key_for "$two"
  local second=$KEY_NUMBER
  cert_for "$one"
  key_for "$one"
  run_clm -0 clm-device disable "$one"
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq -c '[.devicename, .errorcode, .status, .changed]' <<<"$output")" "[\"$one\",0,\"disabled\",true]"
  assert_equal "$stderr" ""
  run_clm clm-key get --device "$one" --keynumber "$KEY_NUMBER" --out "$(outdir got)"
  assert_api_error clm-key 1704 403
  run_clm clm-cert get --device "$one" --keynumber "$CERT_NUMBER" --out "$BATS_TEST_TMPDIR/got"
  assert_api_error clm-cert 1704 403
  assert_empty_dir "$BATS_TEST_TMPDIR/got"
  printf '%s\n%s\n' "$one" "$two" >"$BATS_TEST_TMPDIR/list"
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$(outdir pulled)" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$status" 5
  assert_equal "$(<"$BATS_TEST_TMPDIR/err.log")" \
    "$one: Error: devgetkeylist error (200): HTTP 200, errorcode 1704 (device is not valid)"
  assert_equal "$(ls -A "$BATS_TEST_TMPDIR/pulled")" "${two}_$second"
  # Disabled already: said, not a failure.
  run_clm -0 clm-device disable "$one"
  assert_equal "$(jq -c '[.errorcode, .status, .changed]' <<<"$output")" '[1708,"disabled",false]'
  assert_equal "$stderr" ""
  run_clm -0 clm-device enable "$one"
  assert_equal "$(jq -c '[.errorcode, .status, .changed]' <<<"$output")" '[0,"valid",true]'
  run_clm -0 clm-key get --device "$one" --keynumber "$KEY_NUMBER" --out "$BATS_TEST_TMPDIR/got"
  run_clm -0 clm-cert get --device "$one" --keynumber "$CERT_NUMBER" --out "$BATS_TEST_TMPDIR/got"
  run_clm -0 clm-device enable "$one"
  assert_equal "$(jq -c '[.errorcode, .status, .changed]' <<<"$output")" '[1709,"valid",false]'
  # The trail says who did what, with ISO 8601 times.
  run_clm -0 clm-device get "$one"
  assert_equal "$(jq -c '[.events[] | select(.api == "DeviceInfo") | [.mode, .by]]' <<<"$output")" \
    '[["disable","admin"],["enable","admin"]]'
  assert_regex "$(jq -r '.events[0].at' <<<"$output")" '^20[0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$'
  assert_regex "$(jq -r '.created' <<<"$output")" '^20[0-9][0-9]-.*Z$'
  assert_equal "$(jq -r '.expires' <<<"$output")" null
}

@test "delete: the certificate is on the CRL, the device is gone for the tools; a second delete is 1710, changed false" {
  local one
  one=$(dev 1)
  cert_for "$one"
  key_for "$one"
  run_clm -0 clm-device delete "$one"
  assert_equal "$(jq -c '[.devicename, .errorcode, .status, .changed]' <<<"$output")" "[\"$one\",0,\"deleted\",true]"
  API_LICENSE=none api_request GET '/SWCLM/CRL?catype=ca1'
  assert_equal "$API_STATUS" 200
  printf '%s\n' "$API_BODY" >"$BATS_TEST_TMPDIR/crl.pem"
  run openssl crl -in "$BATS_TEST_TMPDIR/crl.pem" -noout -text
  assert_success
  assert_output --partial "Serial Number: $CERT_SERIAL"
  run_clm clm-key get --device "$one" --keynumber "$KEY_NUMBER" --out "$(outdir got)"
  assert_api_error clm-key 1706 404
  run_clm -0 clm-device delete "$one"
  assert_equal "$(jq -c '[.errorcode, .status, .changed]' <<<"$output")" '[1710,"deleted",false]'
  assert_equal "$stderr" ""
  # Enabling a deleted device is a failure: one line on stderr, exit 200.
  run_clm clm-device enable "$one"
  assert_equal "$status" 200
  assert_equal "$(jq -c '[.errorcode, .changed]' <<<"$output")" '[1710,false]'
  assert_equal "${#stderr_lines[@]}" 1
  assert_equal "${stderr_lines[0]}" "clm-device: error: enable $one: errorcode 1710 (device is already deleted)"
}

@test "names on stdin, JSON lines on stdin, and search | disable" {
  local p a b c d
  p=$(dev p) a=$(dev p1) b=$(dev p2) c=$(dev p3) d=$(dev p4)
  keys_for "$a" "$b" "$c" "$d"
  # One name per line, blank lines and blanks ignored.
  run_clm -0 bash -c "printf '%s\n\n  %s  \n' '$a' '$b' | clm-device disable"
  assert_equal "$(field_of '.devicename + ":" + .status + ":" + (.changed | tostring)')" \
    "$a:disabled:true $b:disabled:true"
  # JSON lines as get prints them.
  run_clm -0 bash -c "clm-device get '$a' '$b' | clm-device enable"
  assert_equal "$(field_of '.devicename + ":" + .status')" "$a:valid $b:valid"
  # The pipeline of the man page: every valid device whose name starts with P.
  run_clm -0 clm-device disable "$c"
  run_clm -0 bash -c "set -o pipefail; clm-device search --state valid --prefix '$p' | clm-device disable"
  assert_equal "$(field_of '.devicename + ":" + (.errorcode | tostring)')" "$a:0 $b:0 $d:0"
  run_clm -0 clm-device search --prefix "$p" --state disabled
  assert_equal "$(field_of .devicename)" "$a $b $c $d"
  # Nothing on stdin: nothing to do.
  run_clm -0 bash -c "clm-device search --prefix '$p' --state valid | clm-device enable"
  assert_equal "$output" ""
  # A JSON line without a devicename is refused before anything is sent.
  run_clm bash -c "printf '%s\n{\"deviceid\":\"1\"}\n' '$a' | clm-device enable"
  assert_equal "$status" 1
  assert_equal "$stderr" "clm-device: error: stdin line 2: no \"devicename\" string in the JSON object"
  run_clm -0 clm-device search --prefix "$p" --state disabled
  assert_equal "${#lines[@]}" 4
}

@test "names on a terminal are not read: exit 4" {
  run_clm script -qec "clm-device disable" /dev/null
  assert_equal "$status" 4
  assert_output --partial "clm-device: error: no device names"
}

@test "a bulk change answers every device; other errors fail the run, one stderr line each" {
  local one
  one=$(dev 1)
  key_for "$one"
  run_clm clm-device disable "$one" "$(dev never-registered)" "$one"
  assert_equal "$status" 200
  assert_equal "$(field_of '[.devicename, .errorcode, .changed] | @csv')" \
    "\"$one\",0,true \"$(dev never-registered)\",1706,false \"$one\",1708,false"
  assert_equal "${#stderr_lines[@]}" 1
  assert_equal "${stderr_lines[0]}" \
    "clm-device: error: disable $(dev never-registered): errorcode 1706 (device not found)"
}

@test "bulk requests carry up to 10,000 devices: 10,001 names are two requests" {
  seq -f "$(dev none)-%05g" 1 10001 >"$BATS_TEST_TMPDIR/names"
  log_mark
  run_clm clm-device enable <"$BATS_TEST_TMPDIR/names"
  assert_equal "$status" 200
  assert_equal "${#lines[@]}" 10001
  assert_equal "$(jq -r .errorcode <<<"$output" | sort -u)" 1706
  assert_equal "$(jq -r .devicename <<<"$output" | tail -n 1)" "$(dev none)-10001"
  assert_equal "${#stderr_lines[@]}" 10001
  assert_equal "$(deviceinfo_since_mark)" 2
}

@test "bulk requests stay under the server's body limit: 10,000 long escaped names into a 64-byte group" {
  local group p
  group=$(printf 'g%.0s' {1..64})
  run_clm -0 clm-device group set "$group"
  # 64-byte names, most of them quotes (each escaped to two bytes on the wire).
  p=$(dev q)
  seq -f "$p-%05g" 1 10000 | sed -E ':a; s/^.{1,63}$/&"/; ta' >"$BATS_TEST_TMPDIR/names"
  assert_equal "$(awk '{ print length($0) }' "$BATS_TEST_TMPDIR/names" | sort -u)" 64
  log_mark
  run_clm clm-device group add "$group" <"$BATS_TEST_TMPDIR/names"
  assert_equal "$status" 200
  assert_equal "${#lines[@]}" 10000
  assert_equal "$(jq -r .errorcode <<<"$output" | sort -u)" 1706
  refute_output --partial '"errorcode":413'
  [ "$(deviceinfo_since_mark)" -ge 3 ]
  assert_equal "$(grep -c 'POST /SWCLM/DeviceInfo 413' "$SERVER_LOG" || true)" 0
}

@test "search follows next across pages, up to --limit" {
  local p i names=()
  p=$(dev s)
  for i in 1 2 3 4 5 6 7; do
    names+=("$p$i")
  done
  keys_for "${names[@]}"
  log_mark
  run_clm -0 clm-device search --prefix "$p" --page-size 3
  assert_equal "$(field_of .devicename)" "${names[*]}"
  assert_equal "$(deviceinfo_since_mark)" 3
  log_mark
  run_clm -0 clm-device search --prefix "$p" --page-size 2 --limit 5
  assert_equal "$(field_of .devicename)" "${names[*]:0:5}"
  assert_equal "$(deviceinfo_since_mark)" 3
  run_clm -0 clm-device search --prefix "$p" --limit 1
  assert_equal "$(field_of .devicename)" "${names[0]}"
  # Each line is one device, times as ISO 8601.
  assert_regex "$(jq -r .created <<<"$output")" '^20[0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-9:]{8}Z$'
  run_clm clm-device search --state broken
  assert_equal "$status" 1
  run_clm clm-device search --page-size 1001
  assert_equal "$status" 1
}

@test "without the admin license key: exit 4 and one line, nothing sent; the client key is refused (403)" {
  unset CLM_ADMIN_KEY_FILE
  log_mark
  run_clm clm-device search
  assert_equal "$status" 4
  assert_equal "$output" ""
  assert_equal "$stderr" \
    "clm-device: error: clm-device needs the admin license key (--admin-key-file or CLM_ADMIN_KEY_FILE)"
  assert_no_requests_since_mark
  run_clm clm-device search --admin-key-file "$CLM_LICENSE_KEY_FILE"
  assert_equal "$status" 200
  assert_equal "$(jq -c '[.http_status, .errorcode]' <<<"$output")" '[403,null]'
  assert_equal "$stderr" "clm-device: error: the server refused: this request needs the admin license key"
  run_clm clm-device disable "$(dev 1)" --admin-key-file "$CLM_LICENSE_KEY_FILE"
  assert_equal "$status" 200
  assert_equal "$stderr" "clm-device: error: the server refused: this request needs the admin license key"
  # The configuration file may name it; the key itself is never an option.
  printf 'admin_key_file = %s\n' "$ADMIN_KEY_FILE" >"$BATS_TEST_TMPDIR/clm.conf"
  run_clm -0 clm-device search --limit 1 --config "$BATS_TEST_TMPDIR/clm.conf"
  run_clm clm-device search --admin-key "x"
  assert_equal "$status" 5
  run_clm clm-device search --admin-key-file "$BATS_TEST_TMPDIR/missing"
  assert_equal "$status" 2
}

@test "update: an expiry in the past is 1705 for the tools; never removes it; facts and bad values" {
  local one
  one=$(dev 1)
  key_for "$one"
  run_clm -0 clm-device update "$one" --expires 2001-02-03
  assert_equal "$(jq -c '[.errorcode, .expires, .changed]' <<<"$output")" '[0,"2001-02-03T00:00:00Z",true]'
  run_clm clm-key get --device "$one" --keynumber "$KEY_NUMBER" --out "$(outdir got)"
  assert_api_error clm-key 1705 403
  run_clm -0 clm-device update "$one" --expires never
  assert_equal "$(jq -r .expires <<<"$output")" null
  run_clm -0 clm-key get --device "$one" --keynumber "$KEY_NUMBER" --out "$BATS_TEST_TMPDIR/got"
  run_clm -0 clm-device update "$one" --expires 2099-12-31T23:59:59Z --ip 192.0.2.7 --ext site=north --ext rack=4
  assert_equal "$(jq -c '[.expires, .ipaddress, .ext_data]' <<<"$output")" \
    '["2099-12-31T23:59:59Z","192.0.2.7",{"rack":"4","site":"north"}]'
  run_clm -0 clm-key get --device "$one" --keynumber "$KEY_NUMBER" --out "$BATS_TEST_TMPDIR/got"
  run_clm clm-device update "$one" --expires 2027-02-30
  assert_equal "$status" 1
  assert_regex "$stderr" "^clm-device: error: --expires: '2027-02-30' is not a UTC date"
  run_clm clm-device update "$one" --ip 300.1.1.1
  assert_equal "$status" 1
  run_clm clm-device update "$one"
  assert_equal "$status" 4
  run_clm clm-device update "$(dev never-registered)" --expires never
  assert_api_error clm-device 1706 404
}

@test "groups: set, get, list, add and remove devices, delete" {
  local g one two three
  g=$(dev g) one=$(dev 1) two=$(dev 2) three=$(dev 3)
  keys_for "$one" "$two" "$three"
  run_clm -0 clm-device group set "$g" --rotate-days 30
  assert_equal "$(jq -c '[.errorcode, .group, .rotate_days, .renew_days, .devices, .changed]' <<<"$output")" \
    "[0,\"$g\",30,null,0,true]"
  assert_regex "$(jq -r .created <<<"$output")" '^20[0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-9:]{8}Z$'
  run_clm -0 clm-device group set "$g" --rotate-days 60 --renew-days 14
  assert_equal "$(jq -c '[.rotate_days, .renew_days]' <<<"$output")" '[60,14]'
  run_clm -0 clm-device group add "$g" "$one" "$two"
  assert_equal "$(field_of '.devicename + ":" + .group + ":" + (.changed | tostring)')" "$one:$g:true $two:$g:true"
  run_clm -0 bash -c "printf '%s\n' '$three' | clm-device group add '$g'"
  run_clm -0 clm-device update "$three" --no-group
  assert_equal "$(jq -r .group <<<"$output")" ""
  run_clm -0 clm-device group get "$g"
  assert_equal "$(jq -c '[.group, .devices, .rotate_days]' <<<"$output")" "[\"$g\",2,60]"
  run_clm -0 clm-device search --group "$g"
  assert_equal "$(field_of .devicename)" "$one $two"
  run_clm -0 clm-device group list
  assert_equal "$(jq -r --arg g "$g" 'select(.group == $g) | .devices' <<<"$output")" 2
  # A group that holds devices is not deleted.
  run_clm clm-device group delete "$g"
  assert_api_error clm-device 1104 400
  run_clm -0 bash -c "clm-device search --group '$g' | clm-device group remove"
  assert_equal "$(field_of '.devicename + ":" + .group')" "$one: $two:"
  run_clm -0 clm-device group delete "$g"
  assert_equal "$(jq -c '[.group, .changed]' <<<"$output")" "[\"$g\",true]"
  run_clm clm-device group get "$g"
  assert_api_error clm-device 1104 400
  # A device cannot join a group that does not exist.
  run_clm clm-device group add "$g" "$one"
  assert_equal "$status" 200
  assert_equal "$(jq -c '[.errorcode, .changed]' <<<"$output")" '[1104,false]'
  run_clm clm-device update "$one" --group "$g"
  assert_api_error clm-device 1104 400
  run_clm clm-device group set "$g" --rotate-days 30 --no-rotate
  assert_equal "$status" 5
}

@test "report: JSON lines by default off a terminal, a table on one; summary counts" {
  local one
  one=$(dev 1)
  key_for "$one"
  cert_for "$one"
  # Keys live 365 days, certificates as long as the server issues them: within 36500
  # days every credential of the device is listed.
  run_clm -0 clm-device report --within 36500
  local mine
  mine=$(jq -c --arg d "$one" 'select(.devicename == $d) | [.kind, .keynumber, .bucket, (.days_left | type)]' \
    <<<"$output" | sort)
  assert_equal "$mine" "$(printf '["certificate","%s","later","number"]\n["key","%s","later","number"]' \
    "$CERT_NUMBER" "$KEY_NUMBER")"
  assert_regex "$(jq -r --arg d "$one" 'select(.devicename == $d) | .expires' <<<"$output" | head -n 1)" \
    '^20[0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-9:]{8}Z$'
  run_clm -0 clm-device report --within 0
  assert_equal "$(jq -r --arg d "$one" 'select(.devicename == $d)' <<<"$output")" ""
  # A table on a terminal, ended by the count per bucket.
  run_clm -0 script -qec "clm-device report --within 36500" /dev/null
  assert_regex "${lines[0]}" '^DEVICE +KIND +KEYNUMBER +NAME +EXPIRES +DAYS +BUCKET'
  assert_regex "$output" "$one +key +$KEY_NUMBER +a-$one +20[0-9][0-9]-[0-9][0-9]-[0-9][0-9] +[0-9]+ +later"
  assert_regex "${lines[-1]}" '^[0-9]+ credentials?: [0-9]+ expired, [0-9]+ within 15 days, .* [0-9]+ later'
  run_clm -0 clm-device report --within 36500 --format table
  assert_regex "${lines[0]}" '^DEVICE '
  run_clm -0 script -qec "clm-device report --within 1 --format json" /dev/null
  refute_output --partial DEVICE
  run_clm clm-device report
  assert_equal "$status" 4
  run_clm -0 clm-device summary
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq -r '.devices.valid | type' <<<"$output")" number
  (($(jq -r '.devices.valid' <<<"$output") >= 1))
  (($(jq -r '.credentials.later' <<<"$output") >= 2))
  assert_equal "$(jq -r '.per_day | length' <<<"$output")" 30
  assert_equal "$(jq -r '.per_day[-1].issued | type' <<<"$output")" number
  assert_equal "$(jq -r '.per_day[-1].day' <<<"$output")" "$(date -u +%F)"
}

@test "report and summary put a key with 20 days left in bucket 30" {
  start_extra_server short --conf 'key_lifetime = 20d'
  export CLM_PORT=$EXTRA_PORT CLM_CACERT=$EXTRA_DIR/tls/ca.pem CLM_LICENSE_KEY_FILE=$EXTRA_DIR/license.key
  export CLM_ADMIN_KEY_FILE=$EXTRA_ADMIN_KEY_FILE CLM_STATE_DIR=$BATS_TEST_TMPDIR/short-state
  verified_id
  local one
  one=$(dev 1)
  key_for "$one"
  run_clm -0 clm-device report --within 30
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq -c '[.devicename, .kind, .keynumber, .alias, .days_left, .bucket, .group]' <<<"$output")" \
    "[\"$one\",\"key\",\"$KEY_NUMBER\",\"a-$one\",19,\"30\",\"\"]"
  assert_equal "$(jq -r .expires <<<"$output" | cut -c1-10)" "$(date -u -d '+20 days' +%F)"
  run_clm -0 clm-device report --within 15
  assert_equal "$output" ""
  run_clm -0 clm-device report --within 30 --format table
  assert_equal "${lines[-1]}" \
    "1 credential: 0 expired, 0 within 15 days, 1 within 30 days, 0 within 60 days, 0 within 90 days, 0 later"
  run_clm -0 clm-device summary
  assert_equal "$(jq -c '[.devices.valid, .credentials]' <<<"$output")" \
    '[1,{"15":0,"30":1,"60":0,"90":0,"expired":0,"later":0}]'
  assert_equal "$(jq -c '.per_day[-1] | [.issued, .rotated]' <<<"$output")" '[1,0]'
}

@test "clm-key update --if-due: a key that is not due is left alone" {
  local one
  one=$(dev 1)
  key_for "$one"
  local dir=$BATS_TEST_TMPDIR/$one
  sha256sum "$dir/cmkey" >"$BATS_TEST_TMPDIR/before"
  local mtime
  mtime=$(stat -c %Y.%y "$dir/cmkey")
  run_clm -0 clm-key update --device "$one" --keynumber "$KEY_NUMBER" --out "$dir" --if-due
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq -c '[.errorcode, .devicename, .changed, .keynumber, .files, (keys | length)]' <<<"$output")" \
    "[0,\"$one\",false,\"$KEY_NUMBER\",[],5]"
  run sha256sum -c "$BATS_TEST_TMPDIR/before"
  assert_success
  assert_equal "$(stat -c %Y.%y "$dir/cmkey")" "$mtime"
  # By alias too; a disabled device is a failed get.
  run_clm -0 clm-key update --device "$one" --alias "a-$one" --out "$dir" --if-due
  assert_equal "$(jq -c '[.changed, .keynumber]' <<<"$output")" "[false,\"$KEY_NUMBER\"]"
  run_clm -0 clm-device disable "$one"
  run_clm clm-key update --device "$one" --keynumber "$KEY_NUMBER" --out "$dir" --if-due
  assert_api_error clm-key 1704 403
  run sha256sum -c "$BATS_TEST_TMPDIR/before"
  assert_success
}

@test "clm-key update --if-due rotates a key its group says is due; due lists it (server clock 40 days ahead)" {
  faketime_lib >/dev/null || skip "libfaketime is not installed (package faketime; scripts/lib.sh installs it)"
  start_extra_server faked
  export CLM_PORT=$EXTRA_PORT CLM_CACERT=$EXTRA_DIR/tls/ca.pem CLM_LICENSE_KEY_FILE=$EXTRA_DIR/license.key
  export CLM_ADMIN_KEY_FILE=$EXTRA_ADMIN_KEY_FILE CLM_STATE_DIR=$BATS_TEST_TMPDIR/faked-state
  verified_id
  local one
  one=$(dev 1)
  key_for "$one"
  local old=$KEY_NUMBER dir=$BATS_TEST_TMPDIR/$one
  run_clm -0 clm-device group set rotating --rotate-days 30
  run_clm -0 clm-device group add rotating "$one"
  run_clm -0 clm-device due
  assert_equal "$output" ""
  run_clm -0 clm-key update --device "$one" --keynumber "$old" --out "$dir" --if-due
  assert_equal "$(jq -r .changed <<<"$output")" false
  faketime_server "$EXTRA_DIR" 40
  run_clm -0 clm-device due --group rotating
  assert_equal "$(jq -c '[.devicename, .kind, .keynumber, .group]' <<<"$output")" "[\"$one\",\"key\",\"$old\",\"rotating\"]"
  assert_regex "$(jq -r .due <<<"$output")" '^20[0-9][0-9]-[0-1][0-9]-[0-3][0-9]T[0-9:]{8}Z$'
  run_clm -0 clm-key update --device "$one" --keynumber "$old" --out "$dir" --if-due
  assert_equal "$(jq -r .changed <<<"$output")" true
  local new
  new=$(jq -r .keynumber <<<"$output")
  [[ $new =~ ^[0-9]+$ && $new != "$old" ]]
  # The new key is young: not due.
  run_clm -0 clm-key update --device "$one" --keynumber "$new" --out "$dir" --if-due
  assert_equal "$(jq -c '[.changed, .keynumber]' <<<"$output")" "[false,\"$new\"]"
  run_clm -0 clm-device due --group rotating
  assert_equal "$output" ""
}
