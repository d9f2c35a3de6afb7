#!/usr/bin/env bats
# clm-cert against a real clm-server: create (caonly, client, server; pem, der, p12), get,
# update (reissue, adopt, --within, --exec), revoke and the CRL of ca1, inspect; the files
# written, the JSON printed, server errors, input errors and exit codes.

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
  verified_id
}

# passfile [TEXT]: write a passphrase file and print its path.
passfile() {
  local f
  f=$(mktemp "$BATS_TEST_TMPDIR/pass.XXXXXX")
  printf '%s\n' "${1:-Pass-phrase.123}" >"$f"
  printf '%s\n' "$f"
}

# issue MODE DEVICE DIR [ARGS...]: clm-cert create (subject /O=clm-test/CN=DEVICE, or
# $SUBJECT, for client and server); sets ISSUED (its JSON), ISSUED_KEYNUMBER, ISSUED_SERIAL.
issue() {
  local mode=$1 device=$2 dir=$3
  shift 3
  local subject=()
  [[ $mode == caonly ]] || subject=(--subject "${SUBJECT:-/O=clm-test/CN=$device}")
  ISSUED=$(t clm-cert create --mode "$mode" --device "$device" "${subject[@]}" --out "$dir" "$@") || return 1
  ISSUED_KEYNUMBER=$(jq_of "$ISSUED" .keynumber)
  ISSUED_SERIAL=$(jq_of "$ISSUED" .certserial)
}

# The server-error shape: exit 200, one stdout JSON line with errorcode and http_status,
# and one "clm-cert: error:" line on stderr.
assert_server_error() {
  assert_api_error clm-cert "$1" "$2"
  assert_equal "$(jq_of "$output" .changed)" false
}

# assert_files_json JSON PATH...: .files of JSON is exactly these paths (any order).
assert_files_json() {
  local json=$1
  shift
  assert_equal "$(jq -c '.files | sort' <<<"$json")" "$(jq -cn '$ARGS.positional | sort' --args "$@")"
}

# Print a serial in upper-case hex without leading zeros ("serial=0A1B" -> "A1B").
norm_serial() {
  local s=${1#*=}
  s=${s^^}
  while [[ $s == 0?* ]]; do
    s=${s#0}
  done
  printf '%s\n' "$s"
}

# fingerprint FILE [pem|der]: the SHA-256 fingerprint openssl shows (AA:BB:...).
fingerprint() {
  openssl x509 -noout -fingerprint -sha256 -inform "${2:-pem}" -in "$1" | sed 's/^[^=]*=//'
}

# serial_of FILE [pem|der]: the serial openssl shows, normalized.
serial_of() {
  norm_serial "$(openssl x509 -noout -serial -inform "${2:-pem}" -in "$1")"
}

# subject_of FILE [pem|der]: the subject in /O=../CN=.. form.
subject_of() {
  openssl x509 -noout -subject -nameopt compat -inform "${2:-pem}" -in "$1" | sed 's/^subject=//'
}

# cert_pubkey FILE [pem|der] / key_pubkey KEYFILE [PASSFILE]: the public key, PEM.
cert_pubkey() {
  openssl x509 -noout -pubkey -inform "${2:-pem}" -in "$1"
}
key_pubkey() {
  if [[ -n ${2:-} ]]; then
    openssl pkey -pubout -in "$1" -passin "file:$2"
  else
    openssl pkey -pubout -in "$1" -passin pass:
  fi
}

# p12_cert P12 PASSFILE OUT: extract the certificate of a PKCS#12 file to OUT (PEM).
p12_cert() {
  openssl pkcs12 -in "$1" -passin "file:$2" -nokeys -clcerts -out "$3"
}

# split_bundle FILE PREFIX: write each certificate of a PEM bundle to PREFIX.1.pem, PREFIX.2.pem...
split_bundle() {
  awk -v p="$2" '/-----BEGIN CERTIFICATE-----/ { n++ } n { print > (p "." n ".pem") }' "$1"
}

# device_root: write the device CA's root certificate ("CA", the caonly certificate) from
# the shared server's store to a file and print its path. DIR/tls/ca.pem is not it: that
# is the server's own TLS root.
device_root() {
  local f="$BATS_TEST_TMPDIR/device-root.pem"
  store_sql "$SERVER_DIR" "SELECT cert_pem FROM key_pairs WHERE name = 'CA'" >"$f"
  printf '%s\n' "$f"
}

# fetch_crl OUT: GET /SWCLM/CRL?catype=ca1 without credentials into OUT.
fetch_crl() {
  API_LICENSE=none api_request GET '/SWCLM/CRL?catype=ca1' || return 1
  [[ $API_STATUS == 200 ]] || {
    printf 'GET /SWCLM/CRL answered %s: %s\n' "$API_STATUS" "$API_BODY" >&2
    return 1
  }
  cp "$BATS_TEST_TMPDIR/api.body" "$1"
}

# crl_serials FILE: the revoked serials a CRL lists, normalized, one per line.
crl_serials() {
  local s
  openssl crl -in "$1" -noout -text | sed -n 's/^ *Serial Number: *//p' | while read -r s; do
    norm_serial "$s"
  done
}

# ---------------------------------------------------------------------------------
# create

@test "create --mode caonly writes the root CA to DIR/cacert.pem (0644) and prints one JSON line" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  run_clm -0 clm-cert create --mode caonly --device "$device" --out "$d"
  local json=$output
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .devicename)" "$device"
  assert_regex "$(jq_of "$output" .deviceid)" '^[[:graph:]]+$'
  assert_regex "$(jq_of "$output" .cakeynumber)" '^[0-9]+$'
  assert_regex "$(jq_of "$output" .caserial)" '^[0-9A-F]+$'
  assert_equal "$(jq_of "$output" .keynumber)" "$(jq_of "$output" .cakeynumber)"
  assert_equal "$(jq_of "$output" .certserial)" "$(jq_of "$output" .caserial)"
  assert_equal "$(jq_of "$output" .changed)" true
  assert_files_json "$output" "$d/cacert.pem" "$d/cacert.pem.sha256"
  assert_file_permission 644 "$d/cacert.pem"
  # The root: self-signed, CN=CA, the device CA's root (never the server's TLS root).
  assert_equal "$(subject_of "$d/cacert.pem")" "$(openssl x509 -noout -issuer -nameopt compat -in "$d/cacert.pem" | sed 's/^issuer=//')"
  assert_regex "$(subject_of "$d/cacert.pem")" '/CN=CA$'
  run openssl verify -CAfile "$d/cacert.pem" "$d/cacert.pem"
  assert_success
  assert_equal "$(fingerprint "$d/cacert.pem")" "$(fingerprint "$(device_root)")"
  assert_not_equal "$(fingerprint "$d/cacert.pem")" "$(fingerprint "$SERVER_DIR/tls/ca.pem")"
  assert_equal "$(norm_serial "$(jq_of "$json" .caserial)")" "$(serial_of "$d/cacert.pem")"
}

@test "create --mode caonly --ca-format der writes DIR/cacert.der that openssl parses as DER" {
  local d
  d=$(outdir out)
  issue caonly "$(dev gw)" "$d" --ca-format der
  assert_file_exists "$d/cacert.der"
  assert_file_not_exists "$d/cacert.pem"
  run openssl x509 -inform der -in "$d/cacert.der" -noout -subject
  assert_success
  assert_equal "$(fingerprint "$d/cacert.der" der)" "$(fingerprint "$(device_root)")"
}

@test "create --mode client writes cacert.pem, clcert.pem (0644) and clkey.pem (0600), each with a sidecar" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  run_clm -0 clm-cert create --mode client --device "$device" --subject "/C=JP/O=clm-test/CN=$device" --out "$d"
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .devicename)" "$device"
  assert_regex "$(jq_of "$output" .deviceid)" '^[[:graph:]]+$'
  assert_regex "$(jq_of "$output" .cakeynumber)" '^[0-9]+$'
  assert_regex "$(jq_of "$output" .caserial)" '^[0-9A-F]+$'
  assert_regex "$(jq_of "$output" .clientkeynumber)" '^[0-9]+$'
  assert_regex "$(jq_of "$output" .clientserial)" '^[0-9A-F]{16}$'
  assert_equal "$(jq_of "$output" .keynumber)" "$(jq_of "$output" .clientkeynumber)"
  assert_equal "$(jq_of "$output" .certserial)" "$(jq_of "$output" .clientserial)"
  assert_equal "$(jq_of "$output" .changed)" true
  assert_files_json "$output" "$d/cacert.pem" "$d/cacert.pem.sha256" "$d/clcert.pem" "$d/clcert.pem.sha256" \
    "$d/clkey.pem" "$d/clkey.pem.sha256"
  assert_file_permission 644 "$d/cacert.pem"
  assert_file_permission 644 "$d/clcert.pem"
  assert_file_permission 600 "$d/clkey.pem"
  # The certificate is the one the JSON describes.
  assert_equal "$(subject_of "$d/clcert.pem")" "/C=JP/O=clm-test/CN=$device"
  assert_equal "$(serial_of "$d/clcert.pem")" "$(norm_serial "$(jq_of "$output" .clientserial)")"
  assert_regex "$(openssl x509 -noout -issuer -nameopt compat -in "$d/clcert.pem")" '/CN=ca1$'
  run openssl x509 -noout -ext extendedKeyUsage -in "$d/clcert.pem"
  assert_output --partial 'TLS Web Client Authentication'
  refute_output --partial 'TLS Web Server Authentication'
}

@test "the client certificate chain verifies: openssl verify -CAfile DIR/cacert.pem DIR/clcert.pem" {
  local d
  d=$(outdir out)
  issue client "$(dev gw)" "$d"
  run openssl verify -CAfile "$d/cacert.pem" "$d/clcert.pem"
  assert_success
  assert_output "$d/clcert.pem: OK"
  # The CA file is ca1 + root; the root is the caonly CA certificate; caserial is ca1's.
  assert_equal "$(grep -c -- '-----BEGIN CERTIFICATE-----' "$d/cacert.pem")" 2
  split_bundle "$d/cacert.pem" "$BATS_TEST_TMPDIR/ca"
  assert_regex "$(subject_of "$BATS_TEST_TMPDIR/ca.1.pem")" '/CN=ca1$'
  assert_equal "$(fingerprint "$BATS_TEST_TMPDIR/ca.2.pem")" "$(fingerprint "$(device_root)")"
  assert_equal "$(norm_serial "$(jq_of "$ISSUED" .caserial)")" "$(serial_of "$BATS_TEST_TMPDIR/ca.1.pem")"
  # Not against some other CA.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=other \
    -keyout "$BATS_TEST_TMPDIR/other.key" -out "$BATS_TEST_TMPDIR/other.pem" 2>/dev/null
  run openssl verify -CAfile "$BATS_TEST_TMPDIR/other.pem" "$d/clcert.pem"
  assert_failure
}

@test "the private key clkey.pem matches the certificate clcert.pem" {
  local d
  d=$(outdir out)
  issue client "$(dev gw)" "$d"
  assert_equal "$(key_pubkey "$d/clkey.pem")" "$(cert_pubkey "$d/clcert.pem")"
  assert_file_contains "$d/clkey.pem" '^-----BEGIN PRIVATE KEY-----$'
}

@test "create --mode server writes svcert.pem/svkey.pem: serverAuth, DNS SAN equal to the CN, chain verifies" {
  local d device
  d=$(outdir out)
  device=$(dev web)
  SUBJECT="/O=clm-test/CN=$device.example.test" issue server "$device" "$d"
  assert_files_json "$ISSUED" "$d/cacert.pem" "$d/cacert.pem.sha256" "$d/svcert.pem" "$d/svcert.pem.sha256" \
    "$d/svkey.pem" "$d/svkey.pem.sha256"
  assert_file_not_exists "$d/clcert.pem"
  assert_file_permission 644 "$d/svcert.pem"
  assert_file_permission 600 "$d/svkey.pem"
  run openssl x509 -noout -ext extendedKeyUsage,subjectAltName -in "$d/svcert.pem"
  assert_output --partial 'TLS Web Server Authentication'
  refute_output --partial 'TLS Web Client Authentication'
  assert_output --partial "DNS:$device.example.test"
  run openssl verify -CAfile "$d/cacert.pem" -purpose sslserver "$d/svcert.pem"
  assert_success
  assert_equal "$(key_pubkey "$d/svkey.pem")" "$(cert_pubkey "$d/svcert.pem")"
  assert_regex "$ISSUED_SERIAL" '^[0-9A-F]{16}$'
}

@test "create --format der writes clcert.der (DER) and a PEM key; --ca-format der writes cacert.der (ca1 only)" {
  local d
  d=$(outdir out)
  issue client "$(dev gw)" "$d" --format der --ca-format der
  assert_files_json "$ISSUED" "$d/cacert.der" "$d/cacert.der.sha256" "$d/clcert.der" "$d/clcert.der.sha256" \
    "$d/clkey.pem" "$d/clkey.pem.sha256"
  run openssl x509 -inform der -in "$d/clcert.der" -noout -subject
  assert_success
  run openssl x509 -inform der -in "$d/cacert.der" -noout -subject
  assert_success
  assert_regex "$(subject_of "$d/cacert.der" der)" '/CN=ca1$'
  assert_equal "$(serial_of "$d/clcert.der" der)" "$(norm_serial "$ISSUED_SERIAL")"
  assert_equal "$(key_pubkey "$d/clkey.pem")" "$(cert_pubkey "$d/clcert.der" der)"
  # DER ca1 + the root verify the DER leaf.
  openssl x509 -inform der -in "$d/cacert.der" -out "$BATS_TEST_TMPDIR/ca1.pem"
  openssl x509 -inform der -in "$d/clcert.der" -out "$BATS_TEST_TMPDIR/leaf.pem"
  run openssl verify -CAfile "$(device_root)" -untrusted "$BATS_TEST_TMPDIR/ca1.pem" "$BATS_TEST_TMPDIR/leaf.pem"
  assert_success
}

@test "create --format p12 writes clcert.p12 (0600) holding the key and no clkey file; openssl opens it" {
  local d pass
  d=$(outdir out)
  pass=$(passfile)
  issue client "$(dev gw)" "$d" --format p12 --passphrase-file "$pass"
  assert_files_json "$ISSUED" "$d/cacert.pem" "$d/cacert.pem.sha256" "$d/clcert.p12" "$d/clcert.p12.sha256"
  assert_file_not_exists "$d/clkey.pem"
  assert_file_permission 600 "$d/clcert.p12"
  # OpenSSL 3 with its default algorithms (no -legacy).
  run openssl pkcs12 -info -in "$d/clcert.p12" -passin "file:$pass" -nokeys
  assert_success
  assert_output --partial 'BEGIN CERTIFICATE'
  p12_cert "$d/clcert.p12" "$pass" "$BATS_TEST_TMPDIR/leaf.pem"
  assert_equal "$(serial_of "$BATS_TEST_TMPDIR/leaf.pem")" "$(norm_serial "$ISSUED_SERIAL")"
  # The key inside matches the certificate inside.
  openssl pkcs12 -in "$d/clcert.p12" -passin "file:$pass" -nocerts -nodes -out "$BATS_TEST_TMPDIR/key.pem"
  assert_equal "$(key_pubkey "$BATS_TEST_TMPDIR/key.pem")" "$(cert_pubkey "$BATS_TEST_TMPDIR/leaf.pem")"
  # The wrong passphrase does not open it.
  run openssl pkcs12 -info -in "$d/clcert.p12" -passin pass:wrong-pass -nokeys
  assert_failure
}

@test "create --passphrase-file with pem encrypts clkey.pem: openssl pkey needs the passphrase" {
  local d pass
  d=$(outdir out)
  pass=$(passfile)
  issue client "$(dev gw)" "$d" --passphrase-file "$pass"
  assert_file_contains "$d/clkey.pem" '^-----BEGIN ENCRYPTED PRIVATE KEY-----$'
  run openssl pkey -in "$d/clkey.pem" -passin pass:wrong-pass -noout
  assert_failure
  run openssl pkey -in "$d/clkey.pem" -passin "file:$pass" -noout
  assert_success
  assert_equal "$(key_pubkey "$d/clkey.pem" "$pass")" "$(cert_pubkey "$d/clcert.pem")"
}

@test "every .sha256 sidecar is in sha256sum format with the base name: sha256sum -c accepts all" {
  local d pass
  d=$(outdir out)
  pass=$(passfile)
  issue client "$(dev gw)" "$d"
  issue server "$(dev web)" "$d" --format der --ca-format der
  issue client "$(dev p12)" "$d" --format p12 --passphrase-file "$pass" --cert-name p12cert --ca-name ca2
  local f n=0
  for f in "$d"/*.sha256; do
    n=$((n + 1))
    assert_file_exists "${f%.sha256}"
    assert_regex "$(<"$f")" "^[0-9a-f]{64}  $(basename "${f%.sha256}")$"
  done
  # cacert.pem clcert.pem clkey.pem cacert.der svcert.der svkey.pem ca2.pem p12cert.p12
  assert_equal "$n" 8
  run bash -c "cd '$d' && sha256sum -c -- *.sha256"
  assert_success
  refute_output --partial FAILED
  # A changed byte is caught.
  printf 'x' >>"$d/clcert.pem"
  run bash -c "cd '$d' && sha256sum -c --quiet -- clcert.pem.sha256"
  assert_failure
}

@test "--ca-name, --cert-name and --key-name choose the file names" {
  local d
  d=$(outdir out)
  issue client "$(dev gw)" "$d" --ca-name my-ca --cert-name my-cert --key-name my-key
  assert_file_exists "$d/my-ca.pem"
  assert_file_exists "$d/my-cert.pem"
  assert_file_exists "$d/my-key.pem"
  assert_file_permission 600 "$d/my-key.pem"
  assert_file_not_exists "$d/cacert.pem"
  assert_file_not_exists "$d/clcert.pem"
  assert_file_not_exists "$d/clkey.pem"
  assert_files_json "$ISSUED" "$d/my-ca.pem" "$d/my-ca.pem.sha256" "$d/my-cert.pem" "$d/my-cert.pem.sha256" \
    "$d/my-key.pem" "$d/my-key.pem.sha256"
}

@test "create accepts --ip, --mac and --ext KEY=VALUE; a malformed --ext exits 1 without a request" {
  local d
  d=$(outdir out)
  issue caonly "$(dev gw)" "$d" --ip 192.0.2.10 --mac 12-34-56-78-90-ab --ext osname=Linux --ext 'flag=1'
  assert_equal "$(jq_of "$ISSUED" .errorcode)" 0
  log_mark
  local bad
  for bad in novalue =x "$(printf 'k%.0s' {1..129})=v"; do
    run_clm clm-cert create --mode caonly --device "$(dev gw)" --out "$d" --ext "$bad"
    assert_equal "$status" 1
    assert_regex "$stderr" 'clm-cert: error: .*--ext'
  done
  assert_no_requests_since_mark
}

@test "the first issuance stores deviceid/devicekey in STATE/devices.json (0600); later calls reuse them" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  issue caonly "$device" "$d"
  local deviceid
  deviceid=$(jq_of "$ISSUED" .deviceid)
  assert_file_exists "$CLM_STATE_DIR/devices.json"
  assert_file_permission 600 "$CLM_STATE_DIR/devices.json"
  assert_equal "$(jq -r --arg d "$device" '.[$d].deviceid' "$CLM_STATE_DIR/devices.json")" "$deviceid"
  local devicekey
  devicekey=$(jq -r --arg d "$device" '.[$d].devicekey' "$CLM_STATE_DIR/devices.json")
  assert_regex "$devicekey" '^[[:graph:]]+$'
  # A second issuance for the same device is accepted and keeps the deviceid.
  run_clm -0 clm-cert create --mode client --device "$device" --subject "/CN=$device" --out "$d"
  assert_equal "$(jq_of "$output" .deviceid)" "$deviceid"
  assert_equal "$(jq -r --arg d "$device" '.[$d].deviceid' "$CLM_STATE_DIR/devices.json")" "$deviceid"
  # Never a devicekey, certificate or key body on stdout.
  refute_output --partial "$devicekey"
  refute_output --partial 'BEGIN'
  assert_equal "$(jq_of "$output" '[has("devicekey"), has("cacert"), has("clientcert"), has("privatekey")] | any')" false
  [[ $stderr != *"$devicekey"* && $stderr != *BEGIN* ]]
}

@test "key numbers are unique across certificates; serials are 16 upper-case hex digits and differ" {
  local d
  d=$(outdir out)
  issue client "$(dev a)" "$d"
  local k1=$ISSUED_KEYNUMBER s1=$ISSUED_SERIAL
  issue client "$(dev a)" "$d"
  local k2=$ISSUED_KEYNUMBER s2=$ISSUED_SERIAL
  issue server "$(dev b)" "$d"
  local k3=$ISSUED_KEYNUMBER s3=$ISSUED_SERIAL
  assert_regex "$s1$s2$s3" '^[0-9A-F]{48}$'
  [[ $k1 != "$k2" && $k2 != "$k3" && $k1 != "$k3" ]]
  [[ $s1 != "$s2" && $s2 != "$s3" && $s1 != "$s3" ]]
  ((k1 < k2 && k2 < k3))
}

@test "on a fresh server the root CA is key number 1 and ca1 key number 2" {
  start_extra_server fresh
  export CLM_PORT=$EXTRA_PORT CLM_CACERT="$EXTRA_DIR/tls/ca.pem" CLM_LICENSE_KEY_FILE="$EXTRA_DIR/license.key"
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/fresh-state"
  verified_id
  local d
  d=$(outdir out)
  issue caonly gw "$d"
  assert_equal "$(jq_of "$ISSUED" .cakeynumber)" 1
  issue client gw "$d"
  assert_equal "$(jq_of "$ISSUED" .cakeynumber)" 2
  assert_equal "$(jq_of "$ISSUED" .clientkeynumber)" 3
  run openssl verify -CAfile "$d/cacert.pem" "$d/clcert.pem"
  assert_success
}

# ---------------------------------------------------------------------------------
# get

@test "get --keynumber fetches the issued certificate again: DIR/cert.pem, DIR/certkey.pem, same fingerprint" {
  local d g device
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  issue client "$device" "$d"
  run_clm -0 clm-cert get --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$g"
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .keynumber)" "$ISSUED_KEYNUMBER"
  assert_equal "$(jq_of "$output" .certserial)" "$ISSUED_SERIAL"
  assert_equal "$(jq_of "$output" .changed)" true
  assert_file_exists "$g/cert.pem"
  assert_file_exists "$g/certkey.pem"
  assert_file_permission 644 "$g/cert.pem"
  assert_file_permission 600 "$g/certkey.pem"
  assert_equal "$(fingerprint "$g/cert.pem")" "$(fingerprint "$d/clcert.pem")"
  assert_equal "$(key_pubkey "$g/certkey.pem")" "$(cert_pubkey "$g/cert.pem")"
  refute_output --partial 'BEGIN'
  run bash -c "cd '$g' && sha256sum -c -- *.sha256"
  assert_success
}

@test "get --serial fetches the same certificate as get --keynumber" {
  local d g device
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  issue client "$device" "$d"
  run_clm -0 clm-cert get --device "$device" --serial "$ISSUED_SERIAL" --out "$g" --cert-name byserial
  assert_equal "$(jq_of "$output" .keynumber)" "$ISSUED_KEYNUMBER"
  assert_equal "$(fingerprint "$g/byserial.pem")" "$(fingerprint "$d/clcert.pem")"
  assert_file_exists "$g/certkey.pem"
  assert_equal "$(key_pubkey "$g/certkey.pem")" "$(cert_pubkey "$g/byserial.pem")"
}

@test "get --format der and --format p12 convert the issued certificate" {
  local d g device pass
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  pass=$(passfile)
  issue client "$device" "$d"
  run_clm -0 clm-cert get --device "$device" --keynumber "$ISSUED_KEYNUMBER" --format der --out "$g"
  assert_file_exists "$g/cert.der"
  assert_equal "$(fingerprint "$g/cert.der" der)" "$(fingerprint "$d/clcert.pem")"
  run_clm -0 clm-cert get --device "$device" --keynumber "$ISSUED_KEYNUMBER" --format p12 \
    --passphrase-file "$pass" --out "$g" --cert-name p12
  assert_file_exists "$g/p12.p12"
  assert_file_permission 600 "$g/p12.p12"
  run openssl pkcs12 -info -in "$g/p12.p12" -passin "file:$pass" -nokeys
  assert_success
  p12_cert "$g/p12.p12" "$pass" "$BATS_TEST_TMPDIR/leaf.pem"
  assert_equal "$(fingerprint "$BATS_TEST_TMPDIR/leaf.pem")" "$(fingerprint "$d/clcert.pem")"
}

@test "get --ca CA --keynumber of the root fetches the CA certificate" {
  local d g device
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  issue caonly "$device" "$d"
  run_clm -0 clm-cert get --device "$device" --ca CA --keynumber "$ISSUED_KEYNUMBER" --out "$g"
  assert_equal "$(jq_of "$output" .cakeynumber)" "$ISSUED_KEYNUMBER"
  assert_equal "$(jq_of "$output" .keynumber)" "$ISSUED_KEYNUMBER"
  assert_equal "$(fingerprint "$g/cert.pem")" "$(fingerprint "$d/cacert.pem")"
  assert_file_not_exists "$g/certkey.pem"
}

@test "create | clm-cert get --out DIR fetches the certificate just issued" {
  local d g
  d=$(outdir out)
  g=$(outdir got)
  pipeline() {
    t clm-cert create --mode client --device "$(dev gw)" --subject /CN=piped --out "$d" |
      tee "$BATS_TEST_TMPDIR/create.json" | t clm-cert get --out "$g"
  }
  run --separate-stderr pipeline
  assert_success
  assert_equal "$(jq_of "$output" .keynumber)" "$(jq -r .keynumber "$BATS_TEST_TMPDIR/create.json")"
  assert_equal "$(jq_of "$output" .devicename)" "$(dev gw)"
  assert_equal "$(fingerprint "$g/cert.pem")" "$(fingerprint "$d/clcert.pem")"
}

# ---------------------------------------------------------------------------------
# update

@test "update reissues: new key number and serial, same subject, new key; files rewritten" {
  local d device pass
  d=$(outdir out)
  device=$(dev gw)
  pass=$(passfile)
  SUBJECT="/C=JP/O=clm-test/OU=unit/CN=$device" issue client "$device" "$d"
  local old_fp old_pub
  old_fp=$(fingerprint "$d/clcert.pem")
  old_pub=$(cert_pubkey "$d/clcert.pem")
  run_clm -0 clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --cert-name clcert \
    --passphrase-file "$pass"
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .changed)" true
  local new_k new_s
  new_k=$(jq_of "$output" .clientkeynumber)
  new_s=$(jq_of "$output" .clientserial)
  assert_regex "$new_s" '^[0-9A-F]{16}$'
  [[ $new_k != "$ISSUED_KEYNUMBER" && $new_s != "$ISSUED_SERIAL" ]]
  assert_equal "$(jq_of "$output" .keynumber)" "$new_k"
  assert_equal "$(jq_of "$output" .certserial)" "$new_s"
  assert_files_json "$output" "$d/clcert.pem" "$d/clcert.pem.sha256" "$d/clkey.pem" "$d/clkey.pem.sha256"
  [[ $(fingerprint "$d/clcert.pem") != "$old_fp" ]]
  [[ $(cert_pubkey "$d/clcert.pem") != "$old_pub" ]]
  assert_equal "$(subject_of "$d/clcert.pem")" "/C=JP/O=clm-test/OU=unit/CN=$device"
  assert_equal "$(serial_of "$d/clcert.pem")" "$(norm_serial "$new_s")"
  assert_equal "$(key_pubkey "$d/clkey.pem" "$pass")" "$(cert_pubkey "$d/clcert.pem")"
  run openssl verify -CAfile "$d/cacert.pem" "$d/clcert.pem"
  assert_success
  run bash -c "cd '$d' && sha256sum -c -- *.sha256"
  assert_success
}

@test "update without --passphrase-file: the key travels encrypted under a one-time passphrase, lands unencrypted" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  issue client "$device" "$d"
  # The server refuses a key-making update without a passphrase (4.3: 1102) ...
  run_clm -0 clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --cert-name clcert
  assert_equal "$(jq_of "$output" .errorcode)" 0
  # ... so the tool sent one, and decrypted the key it got back: the file is the plain key of the new certificate.
  run head -1 "$d/clkey.pem"
  assert_output "-----BEGIN PRIVATE KEY-----"
  assert_equal "$(key_pubkey "$d/clkey.pem" "")" "$(cert_pubkey "$d/clcert.pem")"
  run bash -c "cd '$d' && sha256sum -c -- clkey.pem.sha256 clcert.pem.sha256"
  assert_success
}

@test "after an update the old certificate is updated: get and update of it exit 200/1306" {
  local d g device pass
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  pass=$(passfile)
  issue client "$device" "$d"
  local old=$ISSUED_KEYNUMBER old_serial=$ISSUED_SERIAL
  run_clm -0 clm-cert update --device "$device" --keynumber "$old" --out "$d" --cert-name clcert --passphrase-file "$pass"
  local new
  new=$(jq_of "$output" .keynumber)
  run_clm clm-cert get --device "$device" --keynumber "$old" --out "$g"
  assert_server_error 1306 403
  run_clm clm-cert get --device "$device" --serial "$old_serial" --out "$g"
  assert_server_error 1306 403
  assert_empty_dir "$g"
  run_clm clm-cert update --device "$device" --keynumber "$old" --out "$d" --cert-name clcert --passphrase-file "$pass"
  assert_server_error 1306 403
  # The new one is fine.
  run_clm -0 clm-cert get --device "$device" --keynumber "$new" --out "$g"
  assert_equal "$(fingerprint "$g/cert.pem")" "$(fingerprint "$d/clcert.pem")"
}

@test "update --new-path and --new-name write the new certificate elsewhere and leave the old files" {
  local d n device pass
  d=$(outdir out)
  n=$(outdir new)
  device=$(dev gw)
  pass=$(passfile)
  issue server "$device" "$d"
  local old_fp
  old_fp=$(fingerprint "$d/svcert.pem")
  run_clm -0 clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --cert-name svcert \
    --new-path "$n" --new-name renewed --passphrase-file "$pass"
  assert_files_json "$output" "$n/renewed.pem" "$n/renewed.pem.sha256" "$n/renewed-key.pem" "$n/renewed-key.pem.sha256"
  assert_equal "$(fingerprint "$d/svcert.pem")" "$old_fp"
  assert_equal "$(serial_of "$n/renewed.pem")" "$(norm_serial "$(jq_of "$output" .clientserial)")"
  assert_equal "$(key_pubkey "$n/renewed-key.pem" "$pass")" "$(cert_pubkey "$n/renewed.pem")"
  # A server certificate stays a server certificate.
  run openssl x509 -noout -ext extendedKeyUsage -in "$n/renewed.pem"
  assert_output --partial 'TLS Web Server Authentication'
}

@test "update --format der writes the new certificate as DER next to a PEM key" {
  local d device pass
  d=$(outdir out)
  device=$(dev gw)
  pass=$(passfile)
  issue client "$device" "$d" --cert-name cert --key-name certkey
  run_clm -0 clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --format der \
    --passphrase-file "$pass"
  assert_files_json "$output" "$d/cert.der" "$d/cert.der.sha256" "$d/certkey.pem" "$d/certkey.pem.sha256"
  assert_equal "$(serial_of "$d/cert.der" der)" "$(norm_serial "$(jq_of "$output" .certserial)")"
  assert_equal "$(key_pubkey "$d/certkey.pem" "$pass")" "$(cert_pubkey "$d/cert.der" der)"
}

@test "update --new-keynumber adopts another valid certificate of the same device" {
  local d e device
  d=$(outdir out)
  e=$(outdir other)
  device=$(dev gw)
  issue client "$device" "$d"
  local a=$ISSUED_KEYNUMBER
  issue client "$device" "$e"
  local b=$ISSUED_KEYNUMBER b_serial=$ISSUED_SERIAL
  run_clm -0 clm-cert update --device "$device" --keynumber "$a" --new-keynumber "$b" --out "$d" --cert-name clcert
  assert_equal "$(jq_of "$output" .clientkeynumber)" "$b"
  assert_equal "$(jq_of "$output" .clientserial)" "$b_serial"
  assert_equal "$(fingerprint "$d/clcert.pem")" "$(fingerprint "$e/clcert.pem")"
  # The adopted certificate's key came along.
  assert_equal "$(key_pubkey "$d/clkey.pem")" "$(cert_pubkey "$d/clcert.pem")"
  # The old one is now updated.
  run_clm clm-cert get --device "$device" --keynumber "$a" --out "$e"
  assert_server_error 1306 403
}

@test "update --new-serial adopts by serial" {
  local d e device
  d=$(outdir out)
  e=$(outdir other)
  device=$(dev gw)
  issue client "$device" "$d"
  local a=$ISSUED_KEYNUMBER
  issue client "$device" "$e"
  run_clm -0 clm-cert update --device "$device" --keynumber "$a" --new-serial "$ISSUED_SERIAL" --out "$d" --cert-name clcert
  assert_equal "$(jq_of "$output" .keynumber)" "$ISSUED_KEYNUMBER"
  assert_equal "$(fingerprint "$d/clcert.pem")" "$(fingerprint "$e/clcert.pem")"
}

@test "update --new-keynumber of a revoked certificate exits 200: errorcode 1307, http_status 403" {
  local d e device
  d=$(outdir out)
  e=$(outdir other)
  device=$(dev gw)
  issue client "$device" "$d"
  local a=$ISSUED_KEYNUMBER
  issue client "$device" "$e"
  local b=$ISSUED_KEYNUMBER
  run_clm -0 clm-cert revoke --device "$device" --keynumber "$b"
  local before
  before=$(fingerprint "$d/clcert.pem")
  run_clm clm-cert update --device "$device" --keynumber "$a" --new-keynumber "$b" --out "$d" --cert-name clcert
  assert_server_error 1307 403
  assert_equal "$(fingerprint "$d/clcert.pem")" "$before"
  # The target is untouched: still valid.
  run_clm -0 clm-cert get --device "$device" --keynumber "$a" --out "$e"
}

# ---------------------------------------------------------------------------------
# revoke and the CRL

@test "revoke prints the revoked certificate and the CRL of ca1 lists its serial" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  issue client "$device" "$d"
  run_clm -0 clm-cert revoke --device "$device" --keynumber "$ISSUED_KEYNUMBER"
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .deviceid)" "$(jq_of "$ISSUED" .deviceid)"
  assert_equal "$(jq_of "$output" .devicename)" "$device"
  assert_equal "$(jq_of "$output" .clientkeynumber)" "$ISSUED_KEYNUMBER"
  assert_equal "$(jq_of "$output" .clientserial)" "$ISSUED_SERIAL"
  assert_equal "$(jq_of "$output" .keynumber)" "$ISSUED_KEYNUMBER"
  assert_equal "$(jq_of "$output" .certserial)" "$ISSUED_SERIAL"
  assert_equal "$(jq_of "$output" .changed)" true
  assert_equal "$(jq -c .files <<<"$output")" '[]'

  fetch_crl "$BATS_TEST_TMPDIR/crl.pem"
  assert_file_contains "$BATS_TEST_TMPDIR/crl.pem" '^-----BEGIN X509 CRL-----$'
  run openssl crl -in "$BATS_TEST_TMPDIR/crl.pem" -noout -text
  assert_success
  assert_output --regexp 'Issuer: .*CN *= *ca1'
  run crl_serials "$BATS_TEST_TMPDIR/crl.pem"
  assert_line "$(norm_serial "$ISSUED_SERIAL")"
  # Signed by ca1.
  run openssl crl -in "$BATS_TEST_TMPDIR/crl.pem" -CAfile "$d/cacert.pem" -noout -verify
  assert_success
  assert_output --partial 'verify OK'
  # A CRL-checking verifier now refuses the certificate.
  run openssl verify -crl_check -CRLfile "$BATS_TEST_TMPDIR/crl.pem" -CAfile "$d/cacert.pem" "$d/clcert.pem"
  assert_failure
  assert_output --partial 'revoked'
}

@test "the CRL does not list valid certificates" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  issue client "$device" "$d"
  fetch_crl "$BATS_TEST_TMPDIR/crl.pem"
  run crl_serials "$BATS_TEST_TMPDIR/crl.pem"
  refute_line "$(norm_serial "$ISSUED_SERIAL")"
  run openssl verify -crl_check -CRLfile "$BATS_TEST_TMPDIR/crl.pem" -CAfile "$d/cacert.pem" "$d/clcert.pem"
  assert_success
}

@test "create | clm-cert revoke revokes the certificate just issued" {
  local d
  d=$(outdir out)
  pipeline() {
    t clm-cert create --mode client --device "$(dev gw)" --subject /CN=piped --out "$d" |
      tee "$BATS_TEST_TMPDIR/create.json" | t clm-cert revoke
  }
  run --separate-stderr pipeline
  assert_success
  local created
  created=$(<"$BATS_TEST_TMPDIR/create.json")
  assert_equal "$(jq_of "$output" .keynumber)" "$(jq_of "$created" .keynumber)"
  assert_equal "$(jq_of "$output" .certserial)" "$(jq_of "$created" .certserial)"
  assert_equal "$(jq_of "$output" .devicename)" "$(dev gw)"
  fetch_crl "$BATS_TEST_TMPDIR/crl.pem"
  run crl_serials "$BATS_TEST_TMPDIR/crl.pem"
  assert_line "$(norm_serial "$(jq_of "$created" .certserial)")"
}

@test "revoke twice exits 200: errorcode 1306, http_status 403; get of a revoked certificate 1306 too" {
  local d g device
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  issue client "$device" "$d"
  run_clm -0 clm-cert revoke --device "$device" --serial "$ISSUED_SERIAL"
  assert_equal "$(jq_of "$output" .keynumber)" "$ISSUED_KEYNUMBER"
  run_clm clm-cert revoke --device "$device" --keynumber "$ISSUED_KEYNUMBER"
  assert_server_error 1306 403
  run_clm clm-cert get --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$g"
  assert_server_error 1306 403
  assert_empty_dir "$g"
  run_clm clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --cert-name clcert \
    --passphrase-file "$(passfile)"
  assert_server_error 1306 403
}

@test "revoke --in DIR --cert-name NAME (the file path of the certificate) revokes it" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  issue client "$device" "$d"
  run_clm -0 clm-cert revoke --device "$device" --keynumber "$ISSUED_KEYNUMBER" --in "$d" --cert-name clcert
  assert_equal "$(jq_of "$output" .clientserial)" "$ISSUED_SERIAL"
  run_clm clm-cert revoke --device "$device" --keynumber "$ISSUED_KEYNUMBER" --in "$d"
  assert_equal "$status" 4
}

# ---------------------------------------------------------------------------------
# update for cron: --within, --jitter, --exec

@test "update --within 30 of a fresh certificate makes no request and prints changed:false with days_left" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  issue client "$device" "$d"
  local before
  before=$(fingerprint "$d/clcert.pem")
  log_mark
  # --jitter only delays runs that call the server: this one returns at once.
  TEST_CMD_TIMEOUT=10 run_clm -0 clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" \
    --cert-name clcert --within 30 --jitter 86400
  assert_no_requests_since_mark
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .errorcode)" 0
  assert_equal "$(jq_of "$output" .changed)" false
  assert_equal "$(jq -c .files <<<"$output")" '[]'
  assert_equal "$(norm_serial "$(jq_of "$output" .certserial)")" "$(norm_serial "$ISSUED_SERIAL")"
  local days
  days=$(jq_of "$output" .days_left)
  assert_regex "$days" '^[0-9]+$'
  ((days > 30))
  # The same number inspect reports.
  assert_equal "$days" "$(t clm-cert inspect "$d/clcert.pem" | jq -r .days_left)"
  assert_equal "$(fingerprint "$d/clcert.pem")" "$before"
}

@test "update --within 36500 renews (a certificate always has less than 100 years left)" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  issue client "$device" "$d"
  # (The reference wants a passphrase for every reissue; clm-server needs one only for
  # p12 and otherwise returns the new key unencrypted.)
  run_clm -0 clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --cert-name clcert \
    --within 36500
  assert_equal "$(jq_of "$output" .changed)" true
  [[ $(jq_of "$output" .certserial) != "$ISSUED_SERIAL" ]]
  assert_equal "$(serial_of "$d/clcert.pem")" "$(norm_serial "$(jq_of "$output" .certserial)")"
  assert_file_contains "$d/clkey.pem" '^-----BEGIN PRIVATE KEY-----$'
  assert_equal "$(key_pubkey "$d/clkey.pem")" "$(cert_pubkey "$d/clcert.pem")"
}

@test "update of a certificate that no longer matches its .sha256 exits 15: nothing sent, nothing overwritten" {
  local d device before
  d=$(outdir out)
  device=$(dev gw)
  issue client "$device" "$d"
  printf 'x' >>"$d/clcert.pem"
  before=$(sha256sum "$d/clcert.pem" "$d/clkey.pem")
  log_mark
  run_clm clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --cert-name clcert \
    --passphrase-file "$(passfile)"
  assert_equal "$status" 15
  assert_output ''
  assert_equal "$(wc -l <<<"$stderr")" 1
  assert_regex "$stderr" "^clm-cert: error: tampered: $d/clcert.pem does not match its sidecar"
  assert_no_requests_since_mark
  assert_equal "$(sha256sum "$d/clcert.pem" "$d/clkey.pem")" "$before"
  # A damaged sidecar is refused the same way; a file without one (not written by clm) is used.
  sed -i 's/^\(.\)/0\1/' "$d/clcert.pem.sha256"
  run_clm clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --cert-name clcert --within 30
  assert_equal "$status" 15
  rm "$d/clcert.pem.sha256"
  run_clm -0 clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --cert-name clcert --within 30
}

@test "update --within without the current certificate file exits 2 and makes no request" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  issue client "$device" "$d"
  log_mark
  run_clm clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --cert-name nosuch --within 30
  assert_equal "$status" 2
  assert_output ''
  assert_regex "$stderr" 'clm-cert: error: .*nosuch'
  assert_no_requests_since_mark
}

@test "--exec runs once per renewal, without a shell, arguments intact, with CLM_CERT_* in its environment" {
  local d device pass log="$BATS_TEST_TMPDIR/hook"
  d=$(outdir out)
  device=$(dev gw)
  pass=$(passfile)
  issue client "$device" "$d"
  cat >"$BATS_TEST_TMPDIR/hook.sh" <<'EOF'
#!/bin/sh
log=$1
shift
echo call >>"$log.calls"
for a in "$@"; do printf '[%s]\n' "$a"; done >"$log.args"
{
  echo "CLM_DEVICE=$CLM_DEVICE"
  echo "CLM_CERT_FILE=$CLM_CERT_FILE"
  echo "CLM_KEY_FILE=$CLM_KEY_FILE"
  echo "CLM_CERT_SERIAL=$CLM_CERT_SERIAL"
  echo "CLM_CERT_KEYNUMBER=$CLM_CERT_KEYNUMBER"
} >"$log.env"
cp "$CLM_CERT_FILE" "$log.cert"
echo hook-said-hello
EOF
  chmod +x "$BATS_TEST_TMPDIR/hook.sh"
  run_clm -0 clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --cert-name clcert \
    --passphrase-file "$pass" --exec "$BATS_TEST_TMPDIR/hook.sh" "$log" 'two words' '$HOME;echo x' ''
  # stdout stays one JSON object; the program's stdout went to stderr.
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .changed)" true
  assert_regex "$stderr" 'hook-said-hello'
  assert_equal "$(wc -l <"$log.calls")" 1
  assert_equal "$(<"$log.args")" "$(printf '[two words]\n[$HOME;echo x]\n[]')"
  assert_file_contains "$log.env" "^CLM_DEVICE=$device\$"
  assert_file_contains "$log.env" "^CLM_CERT_FILE=$d/clcert.pem\$"
  assert_file_contains "$log.env" "^CLM_KEY_FILE=$d/clkey.pem\$"
  assert_file_contains "$log.env" "^CLM_CERT_SERIAL=$(jq_of "$output" .clientserial)\$"
  assert_file_contains "$log.env" "^CLM_CERT_KEYNUMBER=$(jq_of "$output" .clientkeynumber)\$"
  # When it ran, the new certificate was already in place.
  assert_equal "$(fingerprint "$log.cert")" "$(fingerprint "$d/clcert.pem")"
  # No renewal due: no request, no run.
  run_clm -0 clm-cert update --device "$device" --keynumber "$(jq_of "$output" .keynumber)" --out "$d" \
    --cert-name clcert --within 30 --exec "$BATS_TEST_TMPDIR/hook.sh" "$log"
  assert_equal "$(jq_of "$output" .changed)" false
  assert_equal "$(wc -l <"$log.calls")" 1
}

@test "a failing --exec exits 33 after the renewal is written" {
  local d device pass
  d=$(outdir out)
  device=$(dev gw)
  pass=$(passfile)
  issue client "$device" "$d"
  run_clm clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --out "$d" --cert-name clcert \
    --passphrase-file "$pass" --exec sh -c 'echo failing-hook; exit 3'
  assert_equal "$status" 33
  assert_equal "$(jq_of "$output" .changed)" true
  assert_equal "$(serial_of "$d/clcert.pem")" "$(norm_serial "$(jq_of "$output" .certserial)")"
  assert_regex "$stderr" 'failing-hook'
  assert_regex "$stderr" 'clm-cert: error: .*--exec'
  # A program that does not exist is a failure too.
  run_clm clm-cert update --device "$device" --keynumber "$(jq_of "$output" .keynumber)" --out "$d" \
    --cert-name clcert --passphrase-file "$pass" --exec "$BATS_TEST_TMPDIR/no-such-program"
  assert_equal "$status" 33
  assert_regex "$stderr" 'clm-cert: error: .*no-such-program'
}

# ---------------------------------------------------------------------------------
# server errors through the tool

@test "get, update and revoke of an unknown key number exit 200: errorcode 1301, http_status 404" {
  local d g device
  d=$(outdir out)
  g=$(outdir got)
  device=$(dev gw)
  issue client "$device" "$d"
  run_clm clm-cert get --device "$device" --keynumber 999999 --out "$g"
  assert_server_error 1301 404
  run_clm clm-cert get --device "$device" --serial 0123456789ABCDEF --out "$g"
  assert_server_error 1301 404
  run_clm clm-cert update --device "$device" --keynumber 999999 --out "$d" --cert-name clcert --passphrase-file "$(passfile)"
  assert_server_error 1301 404
  run_clm clm-cert revoke --device "$device" --keynumber 999999
  assert_server_error 1301 404
  assert_empty_dir "$g"
}

@test "a certificate of another device: get, update and revoke exit 200 with errorcode 1303, http_status 404" {
  local d g
  d=$(outdir out)
  g=$(outdir got)
  issue client "$(dev theirs)" "$d"
  local theirs=$ISSUED_KEYNUMBER theirs_serial=$ISSUED_SERIAL
  issue caonly "$(dev mine)" "$(outdir mine)"
  run_clm clm-cert get --device "$(dev mine)" --keynumber "$theirs" --out "$g"
  assert_server_error 1303 404
  run_clm clm-cert get --device "$(dev mine)" --serial "$theirs_serial" --out "$g"
  assert_server_error 1303 404
  run_clm clm-cert update --device "$(dev mine)" --keynumber "$theirs" --out "$d" --cert-name clcert \
    --passphrase-file "$(passfile)"
  assert_server_error 1303 404
  run_clm clm-cert revoke --device "$(dev mine)" --keynumber "$theirs"
  assert_server_error 1303 404
  assert_empty_dir "$g"
  # Still valid for its own device.
  run_clm -0 clm-cert get --device "$(dev theirs)" --keynumber "$theirs" --out "$g"
  assert_equal "$(fingerprint "$g/cert.pem")" "$(fingerprint "$d/clcert.pem")"
}

@test "create for a device name another state dir registered exits 200: errorcode 1702, http_status 400" {
  local device
  device=$(dev shared)
  issue caonly "$device" "$(outdir first)"
  # Another host (state dir) with its own verified ID, no deviceid for the name.
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/state2"
  verified_id
  local d
  d=$(outdir second)
  run_clm clm-cert create --mode client --device "$device" --subject "/CN=$device" --out "$d"
  assert_server_error 1702 400
  assert_empty_dir "$d"
  run jq -e --arg d "$device" 'has($d)' "$CLM_STATE_DIR/devices.json"
  refute_output true
}

@test "create with a wrong --deviceid for a registered device exits 200: errorcode 1701, http_status 400" {
  local device
  device=$(dev shared)
  issue caonly "$device" "$(outdir first)"
  # Another host (state dir) of the same ID, which has no deviceid of its own for the
  # name (another ID is answered 1706, as for an unknown device: 070-isolation.bats).
  local first_state=$CLM_STATE_DIR
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/state2"
  t clm-id verify <"$first_state/id.json" >/dev/null
  local d
  d=$(outdir second)
  run_clm clm-cert create --mode caonly --device "$device" --deviceid "no-such-deviceid-0000" --out "$d"
  assert_server_error 1701 400
  assert_empty_dir "$d"
}

@test "create with --deviceid for a device name the server never registered exits 200: errorcode 1706, http_status 404" {
  local d
  d=$(outdir out)
  run_clm clm-cert create --mode caonly --device "$(dev never)" --deviceid "no-such-deviceid-0000" --out "$d"
  assert_server_error 1706 404
  assert_empty_dir "$d"
}

@test "a devicekey in STATE/devices.json that does not match exits 200: errorcode 1703, http_status 403" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  issue client "$device" "$d"
  local keynumber=$ISSUED_KEYNUMBER
  jq --arg d "$device" '.[$d].devicekey = "not-the-device-key"' "$CLM_STATE_DIR/devices.json" >"$BATS_TEST_TMPDIR/devices.json"
  cat "$BATS_TEST_TMPDIR/devices.json" >"$CLM_STATE_DIR/devices.json"
  local g
  g=$(outdir get)
  run_clm clm-cert get --device "$device" --keynumber "$keynumber" --out "$g"
  assert_server_error 1703 403
  assert_empty_dir "$g"
  run_clm clm-cert create --mode client --device "$device" --subject "/CN=$device" --out "$g"
  assert_server_error 1703 403
  assert_empty_dir "$g"
}

@test "expired certificates: get and update exit 200/1305, adopting one 200/1308; revoke still works" {
  # A server whose certificates live four seconds.
  start_extra_server short --conf 'cert_lifetime = 4s'
  export CLM_PORT=$EXTRA_PORT CLM_CACERT="$EXTRA_DIR/tls/ca.pem" CLM_LICENSE_KEY_FILE="$EXTRA_DIR/license.key"
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/state-short"
  verified_id
  local d device
  d=$(outdir old)
  device=$(dev gw)
  issue client "$device" "$d"
  local old=$ISSUED_KEYNUMBER
  assert_equal "$(t clm-cert inspect "$d/clcert.pem" | jq -r .days_left)" 0
  # Wait until the server sees it expired (not_after is whole seconds).
  wait_until 10 bash -c '! clm-cert get --device "$1" --keynumber "$2" --out "$3" >/dev/null 2>&1' _ \
    "$device" "$old" "$(outdir probe)"
  local g
  g=$(outdir get)
  run_clm clm-cert get --device "$device" --keynumber "$old" --out "$g"
  assert_server_error 1305 403
  run_clm clm-cert update --device "$device" --keynumber "$old" --out "$g"
  assert_server_error 1305 403
  assert_empty_dir "$g"
  # A fresh certificate may not adopt the expired one.
  local n
  n=$(outdir new)
  issue client "$device" "$n"
  run_clm clm-cert update --device "$device" --keynumber "$ISSUED_KEYNUMBER" --new-keynumber "$old" --out "$g"
  assert_server_error 1308 403
  assert_empty_dir "$g"
  # Revoking an expired certificate is allowed: the CRL may still list it.
  run_clm -0 clm-cert revoke --device "$device" --keynumber "$old"
}

@test "create --catype of an unknown CA exits 200: errorcode 1302, http_status 404" {
  local d
  d=$(outdir out)
  run_clm clm-cert create --mode client --device "$(dev gw)" --subject /CN=x --catype ca9 --out "$d"
  assert_server_error 1302 404
  assert_empty_dir "$d"
}

@test "create --mode caonly --catype ca1 (a CA that does not go with the mode) exits 200: errorcode 1103, http_status 400" {
  local d
  d=$(outdir out)
  run_clm clm-cert create --mode caonly --device "$(dev gw)" --catype ca1 --out "$d"
  assert_server_error 1103 400
  assert_empty_dir "$d"
}

# ---------------------------------------------------------------------------------
# input errors: refused before any request, nothing written

@test "bad --mode, --format, --ca-format and get --ca values exit 1, write nothing and make no request" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  log_mark
  run_clm clm-cert create --mode both --device "$device" --subject /CN=x --out "$d"
  assert_equal "$status" 1
  assert_regex "$stderr" 'clm-cert: error: .*--mode'
  run_clm clm-cert create --mode client --device "$device" --subject /CN=x --format crt --out "$d"
  assert_equal "$status" 1
  assert_regex "$stderr" 'clm-cert: error: .*--format'
  run_clm clm-cert create --mode caonly --device "$device" --ca-format p12 --out "$d"
  assert_equal "$status" 1
  assert_regex "$stderr" 'clm-cert: error: .*--ca-format'
  run_clm clm-cert get --device "$device" --keynumber 1 --ca ca9 --out "$d"
  assert_equal "$status" 1
  assert_regex "$stderr" 'clm-cert: error: .*--ca'
  run_clm clm-cert get --device "$device" --keynumber 1 --ca CA --format p12 --passphrase-file "$(passfile)" --out "$d"
  assert_equal "$status" 1
  run_clm clm-cert update --device "$device" --keynumber 1 --format txt --out "$d"
  assert_equal "$status" 1
  assert_output ''
  assert_empty_dir "$d"
  assert_no_requests_since_mark
}

@test "--device of 65 bytes exits 1, writes nothing and makes no request; 64 bytes is accepted" {
  local d
  d=$(outdir out)
  log_mark
  local long
  long=$(printf 'a%.0s' {1..65})
  run_clm clm-cert create --mode caonly --device "$long" --out "$d"
  assert_equal "$status" 1
  assert_output ''
  assert_regex "$stderr" 'clm-cert: error: .*--device'
  run_clm clm-cert get --device "$long" --keynumber 1 --out "$d"
  assert_equal "$status" 1
  run_clm clm-cert update --device "$long" --keynumber 1 --out "$d"
  assert_equal "$status" 1
  run_clm clm-cert revoke --device "$long" --keynumber 1
  assert_equal "$status" 1
  assert_empty_dir "$d"
  assert_no_requests_since_mark
  local name
  name="$(dev x)$(printf 'b%.0s' {1..64})"
  name=${name:0:64}
  run_clm -0 clm-cert create --mode caonly --device "$name" --out "$d"
  assert_equal "$(jq_of "$output" .devicename)" "$name"
}

@test "--device with a character outside the allowed set exits 1, writes nothing and makes no request" {
  local d device
  d=$(outdir out)
  log_mark
  for device in 'a;b' 'a b' 'a$b' 'a`b' 'a*' $'a\tb' 'a(b)' 'é'; do
    run_clm clm-cert create --mode caonly --device "$device" --out "$d"
    assert_equal "$status" 1
    assert_regex "$stderr" 'clm-cert: error: .*--device'
  done
  assert_empty_dir "$d"
  assert_no_requests_since_mark
}

@test "file names with '/' exit 1, write nothing and make no request" {
  local d device
  d=$(outdir out)
  device=$(dev gw)
  mkdir "$d/sub"
  log_mark
  local opt
  for opt in --ca-name --cert-name --key-name; do
    run_clm clm-cert create --mode client --device "$device" --subject /CN=x --out "$d" "$opt" sub/x
    assert_equal "$status" 1
    assert_regex "$stderr" "clm-cert: error: .*$opt"
    run_clm clm-cert create --mode client --device "$device" --subject /CN=x --out "$d" "$opt" ../x
    assert_equal "$status" 1
  done
  run_clm clm-cert get --device "$device" --keynumber 1 --out "$d" --cert-name sub/x
  assert_equal "$status" 1
  run_clm clm-cert get --device "$device" --keynumber 1 --out "$d" --key-name sub/x
  assert_equal "$status" 1
  run_clm clm-cert update --device "$device" --keynumber 1 --out "$d" --cert-name sub/x
  assert_equal "$status" 1
  run_clm clm-cert update --device "$device" --keynumber 1 --out "$d" --new-name sub/x
  assert_equal "$status" 1
  run_clm clm-cert revoke --device "$device" --keynumber 1 --in "$d" --cert-name sub/x
  assert_equal "$status" 1
  assert_equal "$(find "$d" -mindepth 1 | sort)" "$d/sub"
  assert_no_requests_since_mark
}

@test "a relative --out exits 1, writes nothing (the directory stays empty) and makes no request" {
  local base device
  base=$(outdir base)
  mkdir "$base/rel"
  device=$(dev gw)
  cd "$base"
  log_mark
  local out
  for out in rel ./rel rel/; do
    run_clm clm-cert create --mode client --device "$device" --subject /CN=x --out "$out"
    assert_equal "$status" 1
    assert_regex "$stderr" 'clm-cert: error: .*--out'
    run_clm clm-cert get --device "$device" --keynumber 1 --out "$out"
    assert_equal "$status" 1
    run_clm clm-cert update --device "$device" --keynumber 1 --out "$out"
    assert_equal "$status" 1
  done
  run_clm clm-cert update --device "$device" --keynumber 1 --out "$base/rel" --new-path rel
  assert_equal "$status" 1
  run_clm clm-cert revoke --device "$device" --keynumber 1 --in rel --cert-name clcert
  assert_equal "$status" 1
  assert_empty_dir "$base/rel"
  assert_equal "$(ls -A "$base")" rel
  assert_no_requests_since_mark
}

@test "--out that is not an existing directory exits 8 and makes no request" {
  local d
  d=$(outdir out)
  : >"$d/afile"
  log_mark
  run_clm clm-cert create --mode caonly --device "$(dev gw)" --out "$d/missing"
  assert_equal "$status" 8
  assert_regex "$stderr" 'clm-cert: error: .*--out'
  run_clm clm-cert create --mode caonly --device "$(dev gw)" --out "$d/afile"
  assert_equal "$status" 8
  run_clm clm-cert get --device "$(dev gw)" --keynumber 1 --out "$d/missing"
  assert_equal "$status" 8
  assert_file_not_exists "$d/missing"
  assert_no_requests_since_mark
}

@test "--subject missing for client/server exits 4; a bad --subject exits 1; no request" {
  local d
  d=$(outdir out)
  log_mark
  local mode
  for mode in client server; do
    run_clm clm-cert create --mode "$mode" --device "$(dev gw)" --out "$d"
    assert_equal "$status" 4
    assert_regex "$stderr" 'clm-cert: error: .*--subject'
  done
  local subject
  for subject in 'CN=no-slash' '/O=no-cn' "/CN=$(printf 'x%.0s' {1..510})"; do
    run_clm clm-cert create --mode client --device "$(dev gw)" --subject "$subject" --out "$d"
    assert_equal "$status" 1
    assert_regex "$stderr" 'clm-cert: error: .*--subject'
  done
  assert_empty_dir "$d"
  assert_no_requests_since_mark
}

@test "--format p12 without --passphrase-file exits 4; an unreadable --passphrase-file exits 2; no request" {
  local d
  d=$(outdir out)
  log_mark
  run_clm clm-cert create --mode client --device "$(dev gw)" --subject /CN=x --format p12 --out "$d"
  assert_equal "$status" 4
  assert_regex "$stderr" 'clm-cert: error: .*passphrase'
  run_clm clm-cert get --device "$(dev gw)" --keynumber 1 --format p12 --out "$d"
  assert_equal "$status" 4
  run_clm clm-cert create --mode client --device "$(dev gw)" --subject /CN=x --format p12 \
    --passphrase-file "$BATS_TEST_TMPDIR/no-such-file" --out "$d"
  assert_equal "$status" 2
  assert_regex "$stderr" 'no-such-file'
  assert_empty_dir "$d"
  assert_no_requests_since_mark
}

@test "missing --device, --keynumber/--serial with stdin at EOF exit 4 without hanging" {
  local d
  d=$(outdir out)
  log_mark
  TEST_CMD_TIMEOUT=10 run_clm clm-cert create --mode caonly --out "$d" </dev/null
  assert_equal "$status" 4
  assert_output ''
  assert_regex "$stderr" 'clm-cert: error: .*--device'
  local sub
  for sub in get update; do
    TEST_CMD_TIMEOUT=10 run_clm clm-cert "$sub" --device "$(dev gw)" --out "$d" </dev/null
    assert_equal "$status" 4
    assert_regex "$stderr" 'clm-cert: error: .*--keynumber'
    TEST_CMD_TIMEOUT=10 run_clm clm-cert "$sub" --keynumber 1 --out "$d" </dev/null
    assert_equal "$status" 4
  done
  TEST_CMD_TIMEOUT=10 run_clm clm-cert revoke --device "$(dev gw)" </dev/null
  assert_equal "$status" 4
  TEST_CMD_TIMEOUT=10 run_clm clm-cert revoke </dev/null
  assert_equal "$status" 4
  assert_output ''
  assert_empty_dir "$d"
  assert_no_requests_since_mark
}

@test "no verified ID in the state dir exits 31 and makes no request" {
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/empty-state"
  local d
  d=$(outdir out)
  log_mark
  run_clm clm-cert create --mode caonly --device "$(dev gw)" --out "$d"
  assert_equal "$status" 31
  assert_output ''
  assert_regex "$stderr" 'clm-cert: error: '
  run_clm clm-cert get --device "$(dev gw)" --keynumber 1 --out "$d"
  assert_equal "$status" 31
  run_clm clm-cert revoke --device "$(dev gw)" --keynumber 1
  assert_equal "$status" 31
  assert_empty_dir "$d"
  assert_no_requests_since_mark
}

@test "get, update and revoke for a device never issued from this state dir exit 4 and make no request" {
  local d
  d=$(outdir out)
  log_mark
  run_clm clm-cert get --device "$(dev unknown)" --keynumber 1 --out "$d"
  assert_equal "$status" 4
  assert_regex "$stderr" 'clm-cert: error: .*deviceid'
  run_clm clm-cert revoke --device "$(dev unknown)" --keynumber 1
  assert_equal "$status" 4
  assert_empty_dir "$d"
  assert_no_requests_since_mark
}

# ---------------------------------------------------------------------------------
# inspect (offline)

# assert_inspect_matches JSON FILE [pem|der]: the inspect object agrees with openssl on FILE.
assert_inspect_matches() {
  local j=$1 f=$2 form=${3:-pem}
  assert_equal "$(jq_of "$j" .subject)" "$(subject_of "$f" "$form")"
  assert_equal "$(jq_of "$j" .issuer)" \
    "$(openssl x509 -noout -issuer -nameopt compat -inform "$form" -in "$f" | sed 's/^issuer=//')"
  assert_equal "$(jq_of "$j" .serial)" \
    "$(openssl x509 -noout -serial -inform "$form" -in "$f" | sed 's/^serial=//')"
  assert_equal "$(jq_of "$j" .sha256_fingerprint)" "$(fingerprint "$f" "$form")"
  local text expected_type
  text=$(openssl x509 -noout -text -inform "$form" -in "$f")
  if [[ $text == *rsaEncryption* ]]; then
    expected_type="RSA-$(sed -n 's/.*Public-Key: (\([0-9]*\) bit).*/\1/p' <<<"$text")"
  elif [[ $text == *prime256v1* ]]; then
    expected_type=EC-P-256
  else
    expected_type=unexpected
  fi
  assert_equal "$(jq_of "$j" .key_type)" "$expected_type"
  local end end_s now_s
  end=$(openssl x509 -noout -enddate -dateopt iso_8601 -inform "$form" -in "$f" | sed 's/^notAfter=//')
  assert_equal "$(jq_of "$j" .not_after)" "${end/ /T}"
  end_s=$(date -u -d "$end" +%s)
  now_s=$(date -u +%s)
  local days
  days=$(jq_of "$j" .days_left)
  ((days == (end_s - now_s) / 86400 || days == (end_s - now_s) / 86400 - 1))
  assert_regex "$(jq_of "$j" .not_before)" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
}

@test "inspect of issued PEM, DER and PKCS#12 files agrees with openssl on subject, serial and fingerprint" {
  local d device pass
  d=$(outdir out)
  device=$(dev gw)
  pass=$(passfile)
  SUBJECT="/C=JP/ST=Tokyo/O=clm-test/CN=$device" issue client "$device" "$d"
  local serial=$ISSUED_SERIAL
  run_clm -0 clm-cert get --device "$device" --keynumber "$ISSUED_KEYNUMBER" --format der --out "$d"
  run_clm -0 clm-cert get --device "$device" --keynumber "$ISSUED_KEYNUMBER" --format p12 --passphrase-file "$pass" --out "$d"
  run_clm -0 clm-cert inspect "$d/clcert.pem" "$d/cert.der" "$d/cert.p12" "$d/cacert.pem" --passphrase-file "$pass"
  assert_equal "${#lines[@]}" 4
  assert_equal "$(jq_of "${lines[0]}" .file)" "$d/clcert.pem"
  assert_equal "$(jq_of "${lines[1]}" .file)" "$d/cert.der"
  assert_equal "$(jq_of "${lines[2]}" .file)" "$d/cert.p12"
  assert_equal "$(jq_of "${lines[3]}" .file)" "$d/cacert.pem"
  assert_equal "$(jq_of "${lines[0]}" .subject)" "/C=JP/ST=Tokyo/O=clm-test/CN=$device"
  assert_equal "$(norm_serial "$(jq_of "${lines[0]}" .serial)")" "$(norm_serial "$serial")"
  assert_inspect_matches "${lines[0]}" "$d/clcert.pem"
  assert_inspect_matches "${lines[1]}" "$d/cert.der" der
  p12_cert "$d/cert.p12" "$pass" "$BATS_TEST_TMPDIR/p12leaf.pem"
  assert_inspect_matches "${lines[2]}" "$BATS_TEST_TMPDIR/p12leaf.pem"
  # A bundle: the first certificate (ca1).
  split_bundle "$d/cacert.pem" "$BATS_TEST_TMPDIR/ca"
  assert_inspect_matches "${lines[3]}" "$BATS_TEST_TMPDIR/ca.1.pem"
  local i
  for i in 0 1 2; do
    assert_equal "$(jq_of "${lines[$i]}" .sha256_fingerprint)" "$(fingerprint "$d/clcert.pem")"
  done
}

@test "inspect works offline on any certificate: an EC P-256 one made by openssl" {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 10 \
    -subj '/C=JP/O=Offline Org/CN=offline.test' -keyout "$BATS_TEST_TMPDIR/k.pem" -out "$BATS_TEST_TMPDIR/c.pem" 2>/dev/null
  export CLM_PORT
  CLM_PORT=$(closed_port)
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/none"
  run_clm -0 clm-cert inspect "$BATS_TEST_TMPDIR/c.pem"
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .subject)" '/C=JP/O=Offline Org/CN=offline.test'
  assert_equal "$(jq_of "$output" .key_type)" EC-P-256
  assert_inspect_matches "$output" "$BATS_TEST_TMPDIR/c.pem"
  (($(jq_of "$output" .days_left) >= 9))
}

@test "inspect of a non-certificate exits 32, of a missing file 2, of a PKCS#12 without or with a wrong passphrase 4/32" {
  printf 'not a certificate\n' >"$BATS_TEST_TMPDIR/junk.pem"
  run_clm clm-cert inspect "$BATS_TEST_TMPDIR/junk.pem"
  assert_equal "$status" 32
  assert_regex "$stderr" 'clm-cert: error: .*junk.pem'
  run_clm clm-cert inspect "$BATS_TEST_TMPDIR/no-such.pem"
  assert_equal "$status" 2
  assert_regex "$stderr" 'no-such.pem'
  local pass
  pass=$(passfile)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=p12 \
    -keyout "$BATS_TEST_TMPDIR/k.pem" -out "$BATS_TEST_TMPDIR/c.pem" 2>/dev/null
  openssl pkcs12 -export -in "$BATS_TEST_TMPDIR/c.pem" -inkey "$BATS_TEST_TMPDIR/k.pem" \
    -passout "file:$pass" -out "$BATS_TEST_TMPDIR/c.p12"
  run_clm clm-cert inspect "$BATS_TEST_TMPDIR/c.p12"
  assert_equal "$status" 4
  run_clm clm-cert inspect "$BATS_TEST_TMPDIR/c.p12" --passphrase-file "$(passfile wrong-pass)"
  assert_equal "$status" 32
  run_clm -0 clm-cert inspect "$BATS_TEST_TMPDIR/c.p12" --passphrase-file "$pass"
  assert_equal "$(jq_of "$output" .sha256_fingerprint)" "$(fingerprint "$BATS_TEST_TMPDIR/c.pem")"
}
