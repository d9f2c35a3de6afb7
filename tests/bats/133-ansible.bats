#!/usr/bin/env bats
# The example Ansible role (examples/ansible) run for real: Debian's ansible-playbook
# against localhost (connection local) and a real clm-server. The first run issues an
# ID/password, a certificate and keys; the second changes nothing (changed=0); with the
# clocks 360 days ahead a run renews the certificate and rotates the key its group says
# is due, and the run after it changes nothing again; a refusal of the server or a
# tampered file fails the play with a message naming the command, exit status and errorcode.
# Each ansible-playbook run takes some seconds of CPU: the runs are few and each checks much.

load helpers

PLAYBOOK="$CLM_REPO_DIR/examples/ansible/site.yml"

setup_file() {
  # Each test runs ansible-playbook several times: on two shared cores, one test at a time.
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server
}

setup() {
  load_libs
  setup_common
  if ! command -v ansible-playbook >/dev/null; then
    printf 'ansible-playbook is not installed (package ansible-core; scripts/setup installs it)\n' >&2
    return 1
  fi
  # Hermetic Ansible: its home, temporary files and an empty configuration in the test's
  # directory (no ~/.ansible.cfg or /etc/ansible/ansible.cfg), plain output.
  export ANSIBLE_HOME="$BATS_TEST_TMPDIR/ansible" ANSIBLE_LOCAL_TEMP="$BATS_TEST_TMPDIR/ansible/tmp"
  export ANSIBLE_CONFIG="$BATS_TEST_TMPDIR/ansible.cfg" ANSIBLE_NOCOLOR=1 ANSIBLE_STDOUT_CALLBACK=default
  : >"$ANSIBLE_CONFIG"
  DEVICE=$(dev host)
  STATE="$BATS_TEST_TMPDIR/clm-state"
  CERTS="$BATS_TEST_TMPDIR/tls"
  KEYS="$BATS_TEST_TMPDIR/keys"
  # Two keys: AES-256 raw, TWINE-80 in hex; aliases unique to the test.
  KEY_VARS=$(jq -cn --arg a "$(dev data)" --arg b "$(dev radio)" \
    '{clm_keys: [{name: "data", alias: $a, type: "AES", length: 256},
                 {name: "radio", alias: $b, type: "TWINE", length: 80, encoding: "hex"}]}')
  # The server the role talks to: the file's shared one unless a test says otherwise.
  PLAY_DIR=$SERVER_DIR PLAY_PORT=$SERVER_PORT
  PLAY_CLOCK=
}

# play [ARGS...]: run_clm ansible-playbook -i localhost, -c local site.yml with the
# role's variables for PLAY_DIR/PLAY_PORT, this test's state, directories and keys
# (ARGS add or override), under faketime -f PLAY_CLOCK when set. No CLM_* variable
# reaches it: what the tools get is the role's doing.
play() {
  local fake=() unset=() v
  [[ -z $PLAY_CLOCK ]] || fake=(faketime -f "$PLAY_CLOCK")
  for v in $(compgen -v CLM_); do
    unset+=(-u "$v")
  done
  TEST_CMD_TIMEOUT=120 run_clm env "${unset[@]}" "${fake[@]}" ansible-playbook -i localhost, -c local "$PLAYBOOK" \
    -e clm_host=127.0.0.1 -e "clm_port=$PLAY_PORT" -e "clm_cacert=$PLAY_DIR/tls/ca.pem" \
    -e "clm_license_key_file=$PLAY_DIR/license.key" -e clm_config=/dev/null \
    -e "clm_state_dir=$STATE" -e "clm_device=$DEVICE" -e "clm_alias=$DEVICE" \
    -e "clm_cert_dir=$CERTS" -e "clm_key_dir=$KEYS" -e "clm_subject=/O=clm-test/CN=$DEVICE" \
    -e "$KEY_VARS" "$@"
}

# recap FIELD: the count FIELD (ok, changed, failed, rescued...) on the PLAY RECAP line
# of the last play.
recap() {
  local line
  line=$(grep -E '^localhost +: ok=' <<<"$output") || {
    printf 'no PLAY RECAP line for localhost in:\n%s\n' "$output" >&2
    return 1
  }
  [[ $line =~ [[:space:]]$1=([0-9]+) ]] || {
    printf 'no %s= on the recap line: %s\n' "$1" "$line" >&2
    return 1
  }
  printf '%s\n' "${BASH_REMATCH[1]}"
}

# managed_files: every file the role writes, sidecars included, one per line.
managed_files() {
  local f
  for f in "$CERTS/cacert.pem" "$CERTS/clcert.pem" "$CERTS/clkey.pem" "$KEYS/data" "$KEYS/radio"; do
    printf '%s\n%s\n' "$f" "$f.sha256"
  done
}

# serial_of FILE: the certificate's serial as openssl prints it.
serial_of() {
  openssl x509 -noout -serial -in "$1" | sed 's/^serial=//'
}

@test "site.yml passes ansible-playbook --syntax-check, with the example inventory too" {
  run_clm -0 ansible-playbook -i localhost, -c local "$PLAYBOOK" --syntax-check
  run_clm -0 ansible-playbook -i "$CLM_REPO_DIR/examples/ansible/inventory" "$PLAYBOOK" --syntax-check
}

@test "the first run issues the ID, certificate and keys; the second changes nothing (changed=0); a tampered file fails the third" {
  # -v prints every task's result: the password must still appear nowhere.
  play -v
  assert_success
  # The directories, the ID, the certificate and the keys: four tasks changed.
  assert_equal "$(recap changed)" 4
  assert_equal "$(recap failed)" 0
  # The ID/password, verified and stored 0600 in the state directory.
  assert_file_permission 700 "$STATE"
  assert_file_permission 600 "$STATE/id.json"
  local password devicekey
  password=$(jq -r .key "$STATE/id.json")
  devicekey=$(jq -r --arg d "$DEVICE" '.[$d].devicekey' "$STATE/devices.json")
  assert_regex "$password" '^[[:graph:]]{8,}$'
  assert_regex "$devicekey" '^[[:graph:]]{8,}$'
  refute_output --partial "$password"
  refute_output --partial "$devicekey"
  # shellcheck disable=SC2154 # run_clm sets stderr
  [[ $stderr != *"$password"* && $stderr != *"$devicekey"* ]]
  # The certificate for the device, chained to cacert.pem; its key 0600.
  assert_file_permission 755 "$CERTS"
  assert_file_permission 644 "$CERTS/cacert.pem"
  assert_file_permission 644 "$CERTS/clcert.pem"
  assert_file_permission 600 "$CERTS/clkey.pem"
  run openssl verify -CAfile "$CERTS/cacert.pem" "$CERTS/clcert.pem"
  assert_success
  assert_regex "$(openssl x509 -noout -subject -nameopt compat -in "$CERTS/clcert.pem")" "/O=clm-test/CN=$DEVICE\$"
  # The keys: AES-256 raw (32 bytes), TWINE-80 in hex (20 digits and a newline), 0600.
  assert_file_permission 700 "$KEYS"
  assert_file_permission 600 "$KEYS/data"
  assert_file_permission 600 "$KEYS/radio"
  assert_equal "$(stat -c %s "$KEYS/data")" 32
  assert_regex "$(<"$KEYS/radio")" '^[0-9a-f]{20}$'
  # Every file has its sidecar, and matches it.
  local f
  while read -r f; do
    assert_file_exists "$f"
  done < <(managed_files)
  (cd "$CERTS" && sha256sum --quiet -c ./*.sha256) && (cd "$KEYS" && sha256sum --quiet -c ./*.sha256)
  managed_files | xargs sha256sum >"$BATS_TEST_TMPDIR/first"
  local serial
  serial=$(serial_of "$CERTS/clcert.pem")

  play
  assert_success
  assert_regex "$(grep -E '^localhost +: ok=' <<<"$output")" ' changed=0 +unreachable=0 +failed=0 '
  # Nothing was rewritten, nothing issued again.
  run sha256sum -c "$BATS_TEST_TMPDIR/first"
  assert_success
  assert_equal "$(serial_of "$CERTS/clcert.pem")" "$serial"

  # A tampered key file fails the next run where the rotation reads it: the message names
  # clm-key, exit 15 and the file, and the file is left as it is.
  flip_byte "$KEYS/data" 5
  sha256sum "$KEYS/data" >"$BATS_TEST_TMPDIR/tampered"
  play
  assert_equal "$status" 2
  assert_equal "$(recap failed)" 1
  assert_equal "$(recap rescued)" 1
  assert_output --partial "\"msg\": \"Rotate the keys that are due: clm-key exited 15: clm-key: error: tampered: $KEYS/data does not match its sidecar"
  run sha256sum -c "$BATS_TEST_TMPDIR/tampered"
  assert_success
}

@test "a refusal of the server fails the play with the command, exit status and errorcode (CN=localhost: 1104)" {
  play -e clm_subject=/CN=localhost
  assert_equal "$status" 2
  assert_equal "$(recap failed)" 1
  assert_equal "$(recap rescued)" 1
  assert_output --partial '"msg": "Issue the certificate: clm-cert exited 200, errorcode 1104, HTTP 400: clm-cert: error: '
  # Nothing was issued: the next task never ran, no certificate file was written.
  refute_output --partial 'TASK [clm_credentials : Renew the certificate when it is due]'
  assert_file_not_exists "$CERTS/clcert.pem"
  assert_file_not_exists "$CERTS/clkey.pem"
}

@test "360 days later a run renews the certificate and rotates the due key; the run after changes nothing" {
  faketime_lib >/dev/null || skip "libfaketime is not installed (package faketime; scripts/lib.sh installs it)"
  start_extra_server clock
  PLAY_DIR=$EXTRA_DIR PLAY_PORT=$EXTRA_PORT
  play
  assert_success
  assert_equal "$(recap changed)" 4
  local serial data radio
  serial=$(serial_of "$CERTS/clcert.pem")
  data=$(hexof "$KEYS/data")
  radio=$(<"$KEYS/radio")
  # The device's keys are due for rotation at 30 days old; the certificate's 365-day
  # lifetime is not the server's business here: clm_cert_within_days (14) decides.
  export CLM_PORT=$EXTRA_PORT CLM_CACERT=$EXTRA_DIR/tls/ca.pem CLM_LICENSE_KEY_FILE=$EXTRA_DIR/license.key
  export CLM_ADMIN_KEY_FILE=$EXTRA_ADMIN_KEY_FILE
  run_clm -0 clm-device group set rotating --rotate-days 30
  run_clm -0 clm-device group add rotating "$DEVICE"

  # The server restarted with its clock 360 days ahead (libfaketime preloaded into
  # clm-server itself, so the pid teardown stops is the server's), and the play under
  # faketime as well: 5 days left on the certificate, the keys 360 days old.
  faketime_server "$EXTRA_DIR" 360
  PLAY_PORT=$EXTRA_PORT PLAY_CLOCK=+360d
  play
  assert_success
  # The renewal and the rotation (one task, both keys).
  assert_equal "$(recap changed)" 2
  assert_equal "$(recap failed)" 0
  local renewed
  renewed=$(serial_of "$CERTS/clcert.pem")
  assert_not_equal "$renewed" "$serial"
  # (Issued by the server 360 days ahead: valid from then on.)
  run faketime -f +360d openssl verify -CAfile "$CERTS/cacert.pem" "$CERTS/clcert.pem"
  assert_success
  assert_equal "$(openssl x509 -noout -pubkey -in "$CERTS/clcert.pem")" "$(openssl pkey -pubout -in "$CERTS/clkey.pem")"
  assert_not_equal "$(hexof "$KEYS/data")" "$data"
  assert_not_equal "$(<"$KEYS/radio")" "$radio"
  assert_equal "$(stat -c %s "$KEYS/data")" 32
  assert_regex "$(<"$KEYS/radio")" '^[0-9a-f]{20}$'
  run_clm -0 clm-verify "$CERTS" "$KEYS"
  assert_equal "${#lines[@]}" 5

  # The new certificate and keys are young: nothing is due.
  play
  assert_success
  assert_regex "$(grep -E '^localhost +: ok=' <<<"$output")" ' changed=0 +unreachable=0 +failed=0 '
  assert_equal "$(serial_of "$CERTS/clcert.pem")" "$renewed"
}
