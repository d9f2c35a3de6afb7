#!/usr/bin/env bats
# The tools against a hostile server: a TLS peer on loopback (python3) that answers
# every request with a JSON body the test chose for the request's mode. A field of the
# wrong JSON type, or a name no server may hand out, makes the tool fail with exit 200
# and one line naming the field (clm-keyget: the device fails, the line is in its
# log), never an abort, and no file is written from such an answer.

load helpers

# assert_bad_answer TOOL MESSAGE: the run_clm just made exited 200 with the one stderr
# line "TOOL: error: server answer: MESSAGE".
assert_bad_answer() {
  assert_equal "$status" 200
  assert_equal "${#stderr_lines[@]}" 1
  assert_equal "${stderr_lines[0]}" "$1: error: server answer: $2"
}

setup() {
  load_libs
  setup_common
  hostile_server
}

@test "clm-id get: keyinfo that is not an array exits 200 naming it" {
  answer GET '{"errorcode":0,"keyinfo":"0000000001"}'
  run_clm clm-id get --keyid 0000000001
  assert_bad_answer clm-id 'keyinfo is not an array but string'
}

@test "clm-cert create: each bad field of the answer exits 200 naming it and writes no file" {
  stored_id
  local d field value message pem
  d=$(outdir out)
  pem='-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'
  while IFS='|' read -r field value message; do
    answer create "{\"errorcode\":0,\"deviceid\":\"0000000001\",\"devicekey\":\"a2V5\",\"cacert\":\"$pem\",
      \"clientcert\":\"$pem\",\"privatekey\":\"$pem\",\"clientkeynumber\":\"5\",\"clientserial\":\"0A\",\"$field\":$value}"
    run_clm clm-cert create --mode client --device gw --subject /CN=gw --out "$d"
    assert_bad_answer clm-cert "$message"
    assert_empty_dir "$d"
  done <<'CASES'
deviceid|7|deviceid is not a string but number
deviceid|"a\nb"|deviceid holds a character outside printable ASCII (spaces and control characters are not allowed)
devicekey|["k"]|devicekey is not a string but array
clientkeynumber|5|clientkeynumber is not a string but number
clientkeynumber|"5/../6"|clientkeynumber is not a decimal number
clientserial|{}|clientserial is not a string but object
clientserial|"0A;rm"|clientserial is not a hexadecimal number
cacert|12|cacert is not a string but number
CASES
}

@test "clm-key create: each bad field of the answer exits 200 naming it and writes no file" {
  stored_id
  local d field value message
  d=$(outdir out)
  while IFS='|' read -r field value message; do
    answer create "{\"errorcode\":0,\"deviceid\":\"0000000001\",\"devicekey\":\"a2V5\",
      \"commonkey\":\"AAECAwQFBgcICQoLDA0ODw==\",\"keynumber\":\"5\",\"alias\":\"k\",\"$field\":$value}"
    run_clm clm-key create --device gw --alias k --type AES --out "$d"
    assert_bad_answer clm-key "$message"
    assert_empty_dir "$d"
  done <<'CASES'
commonkey|12|commonkey is not a string but number
keynumber|5|keynumber is not a string but number
keynumber|"../5"|keynumber is not a decimal number
deviceid|false|deviceid is not a string but boolean
CASES
}

@test "clm-keyget: a bad field of getkeylist or getlist fails the device with a log line naming it" {
  stored_id
  local out
  out=$(outdir keys)
  printf 'gw\n' >"$BATS_TEST_TMPDIR/list"
  answer getkeylist '{"errorcode":0,"deviceinfo":[{"errorcode":"0","devicename":"gw","deviceid":"1","keynumber":["5"]}]}'
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$status" 5
  assert_file_contains "$BATS_TEST_TMPDIR/err.log" 'devgetkeylist error: server answer: errorcode is not an integer but string'
  answer getkeylist '{"errorcode":0,"deviceinfo":[{"errorcode":0,"devicename":"gw","deviceid":"1","keynumber":["5"]}]}'
  answer getlist '{"errorcode":0,"deviceinfo":[{"errorcode":0,"devicename":"gw","keyinfo":{"keynumber":"5"}}]}'
  run_clm clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log"
  assert_equal "$status" 6
  assert_file_contains "$BATS_TEST_TMPDIR/err.log" 'cmkeybatget error: server answer: keyinfo is not an array but object'
  assert_empty_dir "$out"
}
