#!/usr/bin/env bats
# The device lifecycle against a real clm-server: the operator (admin license key)
# disables, enables and updates devices through POST /SWCLM/DeviceInfo, and the tools
# see it at once: a disabled device's clm-key get fails with 1704, clm-keyget skips it
# with the 6.4 message and goes on, an expired registration is 1705, a deleted device's
# certificate is on the CRL.

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

# operator MODE DEVICENAME [JQ-ARGS...]: the operator's DeviceInfo request for one device;
# API_STATUS and API_BODY hold the answer.
operator() {
  local mode=$1 device=$2
  shift 2
  admin_request POST /SWCLM/DeviceInfo "$(jq -cn --arg m "$mode" --arg d "$device" "$@" \
    '{mode: $m, devicename: $d} + ($extra // {})' --argjson extra "${OPERATOR_EXTRA:-null}")"
}

# key_for DEVICE: a key for DEVICE in BATS_TEST_TMPDIR/DEVICE; its number in KEY_NUMBER.
key_for() {
  KEY_NUMBER=$(t clm-key create --device "$1" --alias "a-$1" --type AES --out "$(outdir "$1")" | jq -r .keynumber)
}

@test "a device the operator disables fails at once (1704) and is skipped by clm-keyget; enabled, it works again" {
  local one two
  one=$(dev 1) two=$(dev 2)
  key_for "$two"
  local second=$KEY_NUMBER
  key_for "$one"
  operator disable "$one"
  assert_equal "$API_STATUS" 200
  assert_equal "$(jq -r '.errorcode, .status' <<<"$API_BODY" | tr '\n' ' ')" "0 disabled "
  run_clm clm-key get --device "$one" --keynumber "$KEY_NUMBER" --out "$(outdir got)"
  assert_equal "$status" 200
  assert_regex "${stderr_lines[0]}" 'errorcode 1704'
  assert_empty_dir "$BATS_TEST_TMPDIR/got"
  printf '%s\n%s\n' "$one" "$two" >"$BATS_TEST_TMPDIR/list"
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$(outdir pulled)" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$status" 5
  assert_equal "$(<"$BATS_TEST_TMPDIR/err.log")" \
    "$one: Error: devgetkeylist error (200): HTTP 200, errorcode 1704 (device is not valid)"
  assert_equal "$(ls -A "$BATS_TEST_TMPDIR/pulled")" "${two}_$second"
  # Twice is 1708; enabled, it works; enabling again is 1709.
  operator disable "$one"
  assert_equal "$(jq -r .errorcode <<<"$API_BODY")" 1708
  operator enable "$one"
  assert_equal "$(jq -r .status <<<"$API_BODY")" valid
  run_clm -0 clm-key get --device "$one" --keynumber "$KEY_NUMBER" --out "$BATS_TEST_TMPDIR/got"
  operator enable "$one"
  assert_equal "$(jq -r .errorcode <<<"$API_BODY")" 1709
  # The trail says who did what.
  operator get "$one"
  assert_equal "$(jq -c '[.events[] | select(.api == "DeviceInfo") | [.mode, .by]]' <<<"$API_BODY")" \
    '[["disable","admin"],["enable","admin"]]'
}

@test "a registration the operator lets expire fails with 1705; removing the expiry restores it" {
  local one
  one=$(dev 1)
  key_for "$one"
  OPERATOR_EXTRA='{"expires":"1000"}' operator update "$one"
  assert_equal "$(jq -r .expires <<<"$API_BODY")" 1000
  run_clm clm-key get --device "$one" --keynumber "$KEY_NUMBER" --out "$(outdir got)"
  assert_equal "$status" 200
  assert_regex "${stderr_lines[0]}" 'errorcode 1705'
  OPERATOR_EXTRA='{"expires":""}' operator update "$one"
  run_clm -0 clm-key get --device "$one" --keynumber "$KEY_NUMBER" --out "$BATS_TEST_TMPDIR/got"
}

@test "the operator's modes need the admin license key; bulk requests answer per device" {
  local one
  one=$(dev 1)
  key_for "$one"
  api_request POST /SWCLM/DeviceInfo "$(jq -cn --arg d "$one" '{mode: "disable", devicename: $d}')"
  assert_equal "$API_STATUS" 403
  assert_equal "$API_BODY" '{"error":"this request needs the admin license key"}'
  admin_request POST /SWCLM/DeviceInfo "$(jq -cn --arg d "$one" \
    '{mode: "disable", deviceinfo: [{devicename: $d}, {devicename: "never-registered"}, {devicename: $d}]}')"
  assert_equal "$API_STATUS" 200
  assert_equal "$(jq -c '[.errorcode, [.deviceinfo[].errorcode]]' <<<"$API_BODY")" '[1708,[0,1706,1708]]'
}

@test "a device the operator deletes has its certificate on the CRL at once; a second delete is 1710" {
  use_tool_path clm-cert
  local one serial
  one=$(dev 1)
  key_for "$one"
  serial=$(t clm-cert create --mode client --device "$one" --subject "/CN=$one" --out "$(outdir cert)" |
    jq -r .clientserial)
  [ -n "$serial" ] && [ "$serial" != null ]
  operator delete "$one"
  assert_equal "$API_STATUS" 200
  assert_equal "$(jq -r .status <<<"$API_BODY")" deleted
  API_LICENSE=none api_request GET '/SWCLM/CRL?catype=ca1'
  assert_equal "$API_STATUS" 200
  printf '%s\n' "$API_BODY" >"$BATS_TEST_TMPDIR/crl.pem"
  run openssl crl -in "$BATS_TEST_TMPDIR/crl.pem" -noout -text
  assert_success
  assert_output --partial "Serial Number: $serial"
  # For the tools the device is gone; the operator gets 1710.
  run_clm clm-key get --device "$one" --keynumber "$KEY_NUMBER" --out "$(outdir got)"
  assert_equal "$status" 200
  assert_regex "${stderr_lines[0]}" 'errorcode 1706'
  operator delete "$one"
  assert_equal "$(jq -r .errorcode <<<"$API_BODY")" 1710
}
