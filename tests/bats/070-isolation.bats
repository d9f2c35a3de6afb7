#!/usr/bin/env bats
# Isolation between IDs that hold the same license key, against a real clm-server: a
# second ID that learned a device's deviceid can neither see nor touch the device, its
# certificate or its keys (1706 as for an unknown device, 1501 for key numbers from its
# own device); the owner keeps working; an ID the operator granted the fleet read
# (clm-server grant, while the server runs) pulls the keys with clm-keyget but changes
# nothing; a data dir from before owners were recorded is claimed device by device.

load helpers

setup_file() {
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server
}

setup() {
  load_libs
  setup_common
  use_tool_path clm-cert
  use_tool_path clm-key
  use_tool_path clm-keyget
  STATE_A="$BATS_TEST_TMPDIR/state-a"
  STATE_B="$BATS_TEST_TMPDIR/state-b"
  STATE_G="$BATS_TEST_TMPDIR/state-g"
}

# as STATE COMMAND [ARGS...]: run COMMAND with the ID of the state dir STATE.
as() {
  local state=$1
  shift
  CLM_STATE_DIR=$state "$@"
}

# new_id STATE: a fresh ID, verified into the state dir STATE; prints its keyid.
new_id() {
  CLM_STATE_DIR=$1 verified_id
  jq -r .keyid "$1/id.json"
}

# owner_a_device: ID A (STATE_A) registers device DEV_A with clm-cert create (a client
# certificate) and clm-key create (an AES key in DIR_A); sets DEV_A, ID_A (its deviceid),
# CERT_A, KEY_A, ALIAS_A.
owner_a_device() {
  new_id "$STATE_A" >/dev/null
  DEV_A=$(dev a)
  DIR_A=$(outdir a)
  ALIAS_A="k$BATS_TEST_NUMBER-a"
  CERT_A=$(as "$STATE_A" t clm-cert create --mode client --device "$DEV_A" --subject "/CN=$DEV_A" --out "$DIR_A" |
    jq -r .keynumber)
  KEY_A=$(as "$STATE_A" t clm-key create --device "$DEV_A" --alias "$ALIAS_A" --type AES --out "$DIR_A" |
    jq -r .keynumber)
  ID_A=$(jq -r --arg d "$DEV_A" '.[$d].deviceid' "$STATE_A/devices.json")
  [[ $CERT_A =~ ^[0-9]+$ && $KEY_A =~ ^[0-9]+$ && $ID_A =~ ^[0-9]{10}$ ]]
}

# assert_refused TOOL ERRORCODE HTTP_STATUS: the tool's server-error shape for a refusal.
assert_refused() {
  assert_api_error "$1" "$2" "$3"
  assert_regex "${stderr_lines[0]}" "errorcode $2"
}

# assert_no_change_to_a STATE DIR: as the ID whose state is STATE, deleting, checking or
# rotating A's key (a copy of it in DIR) and renewing or revoking A's certificate are
# each refused as for an unknown device (1706).
assert_no_change_to_a() {
  local state=$1 dir=$2
  as "$state" run_clm clm-key delete --device "$DEV_A" --deviceid "$ID_A" --keynumber "$KEY_A" --in "$dir"
  assert_refused clm-key 1706 404
  as "$state" run_clm clm-key verify --device "$DEV_A" --deviceid "$ID_A" --keynumber "$KEY_A" --in "$dir"
  assert_refused clm-key 1706 404
  as "$state" run_clm clm-key update --device "$DEV_A" --deviceid "$ID_A" --keynumber "$KEY_A" --out "$dir"
  assert_refused clm-key 1706 404
  as "$state" run_clm clm-cert update --device "$DEV_A" --deviceid "$ID_A" --keynumber "$CERT_A" --out "$dir"
  assert_refused clm-cert 1706 404
  as "$state" run_clm clm-cert revoke --device "$DEV_A" --deviceid "$ID_A" --keynumber "$CERT_A"
  assert_refused clm-cert 1706 404
}

# keylist_request STATE DEVICENAME: POST /SWCLM/DeviceInfo getkeylist with the ID of STATE.
keylist_request() {
  local state=$1 devicename=$2
  api_request POST /SWCLM/DeviceInfo "$(jq -c --arg d "$devicename" \
    '{mode: "getkeylist", keyid, key, deviceinfo: [{devicename: $d}]}' "$state/id.json")"
}

@test "a second ID with the same license cannot see or touch another ID's device; the owner still can" {
  owner_a_device
  new_id "$STATE_B" >/dev/null
  local got
  got=$(outdir b-got)

  # 1. The device list does not reveal the device: the answer of a name never registered.
  keylist_request "$STATE_B" "$DEV_A"
  assert_equal "$API_STATUS" 200
  local attacked=$API_BODY
  keylist_request "$STATE_B" "$(dev never)"
  assert_equal "$(jq -c '.deviceinfo[0].devicename = "X"' <<<"$attacked")" \
    "$(jq -c '.deviceinfo[0].devicename = "X"' <<<"$API_BODY")"
  assert_equal "$(jq_of "$attacked" .deviceinfo[0].errorcode)" 1706
  assert_equal "$(jq_of "$attacked" '.deviceinfo[0] | has("deviceid")')" false

  # B learned the deviceid elsewhere and names it with --deviceid (B holds no devicekey).
  # 2. The certificate with its private key.
  as "$STATE_B" run_clm clm-cert get --device "$DEV_A" --deviceid "$ID_A" --keynumber "$CERT_A" --out "$got"
  assert_refused clm-cert 1706 404
  # 3. The key, by number and by alias, and the key list.
  as "$STATE_B" run_clm clm-key get --device "$DEV_A" --deviceid "$ID_A" --keynumber "$KEY_A" --out "$got"
  assert_refused clm-key 1706 404
  as "$STATE_B" run_clm clm-key get --device "$DEV_A" --deviceid "$ID_A" --alias "$ALIAS_A" --out "$got"
  assert_refused clm-key 1706 404
  as "$STATE_B" run_clm clm-keyget -o "$got" -e "$BATS_TEST_TMPDIR/b.log" <<<"$(jq -cn --arg d "$DEV_A" \
    --arg i "$ID_A" --arg k "$KEY_A" '{deviceinfo: [{deviceid: $i, devicename: $d, keynumber: [$k]}]}')"
  assert_equal "$status" 6
  assert_equal "$(jq -r '"\(.ok) \(.errorcode) \(.files | length)"' <<<"$output")" "false 1706 0"
  grep -q "^$DEV_A: Error: cmkeybatget error (200): .*errorcode 1706" "$BATS_TEST_TMPDIR/b.log"
  assert_empty_dir "$got"
  # 4. Deleting the key, even holding a copy of its bytes; checking it.
  cp "$DIR_A/cmkey" "$got/cmkey"
  # 5. Rotating the key, renewing or revoking the certificate.
  assert_no_change_to_a "$STATE_B" "$got"
  # Adding to the device.
  as "$STATE_B" run_clm clm-key create --device "$DEV_A" --deviceid "$ID_A" --alias x --type AES --out "$got"
  assert_refused clm-key 1706 404
  # 6. A new registration of the name: taken (names are unique server-wide).
  as "$STATE_B" run_clm clm-key create --device "$DEV_A" --alias x --type AES --out "$(outdir b-new)"
  assert_refused clm-key 1702 400

  # The owner still has it all: the same key, a valid certificate, and every mode works.
  local mine
  mine=$(outdir a-again)
  as "$STATE_A" run_clm -0 clm-key get --device "$DEV_A" --keynumber "$KEY_A" --out "$mine"
  cmp "$mine/cmkey" "$DIR_A/cmkey"
  as "$STATE_A" run_clm -0 clm-key verify --device "$DEV_A" --keynumber "$KEY_A" --in "$mine"
  as "$STATE_A" run_clm -0 clm-cert get --device "$DEV_A" --keynumber "$CERT_A" --out "$mine"
  as "$STATE_A" run_clm -0 clm-cert revoke --device "$DEV_A" --keynumber "$CERT_A"
  as "$STATE_A" run_clm -0 clm-key delete --device "$DEV_A" --keynumber "$KEY_A" --in "$mine"
}

@test "from its own device, the second ID finds none of the other ID's keys or certificates by number (1501, 1301)" {
  owner_a_device
  new_id "$STATE_B" >/dev/null
  local devb dirb got
  devb=$(dev b)
  dirb=$(outdir b)
  got=$(outdir b-got)
  as "$STATE_B" t clm-key create --device "$devb" --alias "k$BATS_TEST_NUMBER-b" --type AES --out "$dirb" >/dev/null
  as "$STATE_B" t clm-cert create --mode client --device "$devb" --subject "/CN=$devb" --out "$dirb" >/dev/null

  as "$STATE_B" run_clm clm-key get --device "$devb" --keynumber "$KEY_A" --out "$got"
  assert_refused clm-key 1501 404
  as "$STATE_B" run_clm clm-key get --device "$devb" --alias "$ALIAS_A" --out "$got"
  assert_refused clm-key 1501 404
  cp "$DIR_A/cmkey" "$got/cmkey"
  as "$STATE_B" run_clm clm-key delete --device "$devb" --keynumber "$KEY_A" --in "$got"
  assert_refused clm-key 1501 404
  as "$STATE_B" run_clm clm-key verify --device "$devb" --keynumber "$KEY_A" --in "$got"
  assert_refused clm-key 1501 404
  local idb
  idb=$(jq -r --arg d "$devb" '.[$d].deviceid' "$STATE_B/devices.json")
  as "$STATE_B" run_clm clm-keyget -o "$(outdir list)" -e "$BATS_TEST_TMPDIR/b.log" <<<"$(jq -cn --arg d "$devb" \
    --arg i "$idb" --arg k "$KEY_A" --arg a "$ALIAS_A" \
    '{deviceinfo: [{deviceid: $i, devicename: $d, keynumber: [$k], keyalias: [$a]}]}')"
  assert_equal "$status" 6
  assert_equal "$(jq -c .errorkeylist <<<"$output")" "[\"$KEY_A\",\"$ALIAS_A\"]"
  assert_equal "$(jq_of "$output" .errorcode)" 1501
  assert_empty_dir "$BATS_TEST_TMPDIR/list"
  # The certificate: as if there were none (not 1303, "another device's").
  as "$STATE_B" run_clm clm-cert get --device "$devb" --keynumber "$CERT_A" --out "$got"
  assert_refused clm-cert 1301 404
  as "$STATE_B" run_clm clm-cert revoke --device "$devb" --keynumber "$CERT_A"
  assert_refused clm-cert 1301 404
  # The CA certificates stay public.
  as "$STATE_B" run_clm -0 clm-cert get --device "$devb" --ca CA --keynumber 1 --out "$(outdir ca)"
  # A's key is still valid and A's alone.
  as "$STATE_A" run_clm -0 clm-key verify --device "$DEV_A" --keynumber "$KEY_A" --in "$DIR_A"
}

@test "an ID granted the fleet read (clm-server grant, server running) pulls the keys with clm-keyget but changes nothing" {
  owner_a_device
  local keyid_g
  keyid_g=$(new_id "$STATE_G")
  printf '%s\n' "$DEV_A" >"$BATS_TEST_TMPDIR/list"
  # Without the grant: unknown device.
  as "$STATE_G" run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$(outdir before)" -e "$BATS_TEST_TMPDIR/g0.log"
  assert_equal "$status" 5
  grep -q "^$DEV_A: Error: devgetkeylist error (200): .*errorcode 1706" "$BATS_TEST_TMPDIR/g0.log"

  run_clm -0 clm-server grant --data-dir "$SERVER_DIR" --keyid "$keyid_g"
  assert_equal "$output" "{\"changed\":true,\"fleet_read\":true,\"keyid\":\"$keyid_g\"}"
  run_clm -0 clm-server grant --data-dir "$SERVER_DIR" --keyid "$keyid_g"
  assert_equal "$(jq_of "$output" .changed)" false
  run_clm -0 clm-server grants --data-dir "$SERVER_DIR"
  assert_equal "$(jq -r --arg k "$keyid_g" '[.grants[] | select(.keyid == $k)] | length' <<<"$output")" 1

  local out
  out=$(outdir pulled)
  as "$STATE_G" run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/g.log"
  assert_equal "$(jq -r '"\(.ok) \(.deviceid)"' <<<"$output")" "true $ID_A"
  assert_equal "$(cat "$out/${DEV_A}_$KEY_A")" "$(hexof "$DIR_A/cmkey")"

  # Read only: every change, and get (which binds), stays 1706 for it.
  local got
  got=$(outdir g-got)
  cp "$DIR_A/cmkey" "$got/cmkey"
  as "$STATE_G" run_clm clm-key get --device "$DEV_A" --deviceid "$ID_A" --keynumber "$KEY_A" --out "$(outdir g-get)"
  assert_refused clm-key 1706 404
  assert_no_change_to_a "$STATE_G" "$got"
  as "$STATE_A" run_clm -0 clm-cert get --device "$DEV_A" --keynumber "$CERT_A" --out "$(outdir a-cert)"
  as "$STATE_A" run_clm -0 clm-key verify --device "$DEV_A" --keynumber "$KEY_A" --in "$DIR_A"

  # Withdrawn, at once: the device is unknown to it again.
  run_clm -0 clm-server revoke-grant --data-dir "$SERVER_DIR" --keyid "$keyid_g"
  assert_equal "$output" "{\"changed\":true,\"fleet_read\":false,\"keyid\":\"$keyid_g\"}"
  as "$STATE_G" run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$(outdir after)" -e "$BATS_TEST_TMPDIR/g2.log"
  assert_equal "$status" 5
  assert_empty_dir "$BATS_TEST_TMPDIR/after"
}

@test "grant refuses an ID the server never issued (exit 1) and a bad --keyid (exit 1); a data dir never initialized is exit 2" {
  run_clm clm-server grant --data-dir "$SERVER_DIR" --keyid 9999999999
  assert_equal "$status" 1
  assert_regex "$stderr" '^clm-server: error: .*--keyid'
  run_clm clm-server grant --data-dir "$SERVER_DIR" --keyid 12ab
  assert_equal "$status" 1
  run_clm clm-server grant --data-dir "$SERVER_DIR"
  assert_equal "$status" 4
  run_clm clm-server grants --data-dir "$BATS_TEST_TMPDIR/nothing"
  assert_equal "$status" 2
}

@test "an upgraded data dir: devices without an owner are claimed by the first ID acting on them; admin.key is made" {
  start_extra_server upgraded
  export CLM_PORT=$EXTRA_PORT CLM_CACERT="$EXTRA_DIR/tls/ca.pem" CLM_LICENSE_KEY_FILE="$EXTRA_DIR/license.key"
  owner_a_device
  new_id "$STATE_B" >/dev/null
  # Make it a directory of the release before: no owners, no admin key.
  kill_pid "$EXTRA_PID"
  store_sql "$EXTRA_DIR" 'UPDATE devices SET owner_keyid = NULL; UPDATE events SET keyid = NULL'
  rm "$EXTRA_DIR/admin.key"
  start_extra_server upgraded
  export CLM_PORT=$EXTRA_PORT
  assert_file_exists "$EXTRA_DIR/admin.key"
  assert_file_permission 600 "$EXTRA_DIR/admin.key"
  grep -q 'generated the admin license key' "$EXTRA_LOG"

  # Listing claims nothing and shows an unclaimed device to nobody without the grant.
  printf '%s\n' "$DEV_A" >"$BATS_TEST_TMPDIR/list"
  as "$STATE_B" run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$(outdir b-list)" -e "$BATS_TEST_TMPDIR/b.log"
  assert_equal "$status" 5
  # The owner's device acts first and becomes A's; then B is refused.
  as "$STATE_A" run_clm -0 clm-key get --device "$DEV_A" --keynumber "$KEY_A" --out "$(outdir a-get)"
  assert_equal "$(store_sql "$EXTRA_DIR" "SELECT owner_keyid FROM devices WHERE devicename = '$DEV_A'")" \
    "$((10#$(jq -r .keyid "$STATE_A/id.json")))"
  as "$STATE_B" run_clm clm-key get --device "$DEV_A" --deviceid "$ID_A" --keynumber "$KEY_A" --out "$(outdir b-get)"
  assert_refused clm-key 1706 404
  # From now on each event names the ID that made it.
  assert_equal "$(store_sql "$EXTRA_DIR" "SELECT count(*) FROM events WHERE keyid IS NOT NULL")" 1
}

@test "GET /SWCLM/IDInfo hands ID passwords to the admin license key only" {
  local keyid
  keyid=$(new_id "$STATE_B")
  api_request GET "/SWCLM/IDInfo?keyid=$keyid"
  assert_equal "$API_STATUS" 403
  assert_equal "$API_BODY" '{"error":"this request needs the admin license key"}'
  api_request GET /SWCLM/IDInfo
  assert_equal "$API_STATUS" 403
  refute_regex "$API_BODY" "$(jq -r .key "$STATE_B/id.json")"
  as "$STATE_B" run_clm clm-id get --keyid "$keyid"
  assert_api_error clm-id null 403
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE run_clm -0 clm-id get --keyid "$keyid"
  assert_equal "$(jq_of "$output" '.keyinfo[0].key')" "$(jq -r .key "$STATE_B/id.json")"
}
