#!/usr/bin/env bats
# SWCLMCLIENT against a real clm-server: every example command of chapters 3 and 4 of
# the command reference, run as printed (host, port and /home/iotgateway substituted;
# server-assigned keyids, passwords, key numbers and serials substituted by the real
# ones of earlier steps; the PDF's wrapped lines joined without whitespace); a chained
# script; mixing with the clm-* tools both ways; exit codes 4/5/1/31/200 with one
# stderr line; the result file and the log.

load helpers

setup_file() {
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  start_server
  # The examples share one ID, one device (iotgatewaytest) and one /home/iotgateway.
  export EX_STATE="$BATS_FILE_TMPDIR/ex-state" GW="$BATS_FILE_TMPDIR/iotgateway" VALS="$BATS_FILE_TMPDIR/vals"
  mkdir -p "$GW" "$VALS"
}

setup() {
  load_libs
  setup_common
  use_tool_path SWCLMCLIENT
  use_tool_path SWCLMKEYGET
  use_tool_path clm-cert
  use_tool_path clm-key
  # -host and -port come from the command line, as in the reference.
  unset CLM_HOST CLM_PORT
  H=127.0.0.1 P=$SERVER_PORT
  export SWCLM_RESULT_FILE="$BATS_TEST_TMPDIR/swclm-result.json" SWCLM_LOG_FILE="$BATS_TEST_TMPDIR/swcagent.log"
  STANDIN="$BATS_TEST_DIRNAME/fixtures/lightcipher-standin"
}

# The examples' shared state.
examples() {
  export CLM_STATE_DIR=$EX_STATE
}

# save NAME VALUE / val NAME: values that later examples substitute.
save() { printf '%s\n' "$2" >"$VALS/$1"; }
val() { cat "$VALS/$1"; }

# sw ARGS...: run SWCLMCLIENT (stdout and stderr apart).
sw() {
  run_clm SWCLMCLIENT "$@"
}

# res FILTER: a field of the result file.
res() {
  jq -r "$1" "$SWCLM_RESULT_FILE"
}

# assert_block STATUS ERRORCODE RETCODE: the exit code and the exact stdout block.
assert_block() {
  assert_equal "$status" "$3"
  assert_output "$(printf 'HTTP/1.1 %s.\nerrorcode: %s\nretcode: %s' "$1" "$2" "$3")"
}

# assert_ok [STATUS]: exit 0, the success block (HTTP 200 unless STATUS), nothing on
# stderr, and a result file (0600) with errorcode 0.
assert_ok() {
  assert_block "${1:-200}" 0 0
  assert_equal "$stderr" ""
  assert_equal "$(stat -c %a "$SWCLM_RESULT_FILE")" 600
  assert_equal "$(res .errorcode)" 0
}

# assert_fail CODE PATTERN: exit CODE, the 000 block, and one stderr line matching PATTERN.
assert_fail() {
  assert_block 000 0 "$1"
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr_lines[0]}" "^SWCLMCLIENT: error: .*$2"
}

# assert_cred FILE MODE: FILE has MODE and a FILE.sha256 sidecar that sha256sum -c accepts.
assert_cred() {
  assert_file_exists "$1"
  assert_equal "$(stat -c %a "$1")" "$2"
  assert_file_exists "$1.sha256"
  (cd "$(dirname "$1")" && sha256sum -c --status "$(basename "$1").sha256") || fail "$1.sha256 does not match"
}

# ---------------------------------------------------------------------------------
# Chapter 3: ID/password

@test "example idcreate, idget, idverify (chapter 3)" {
  examples
  sw idcreate -host "$H" -port "$P" -ext-data tenantid="TenantA",alias="iotgatewaytest"
  # The PDF wraps this line after 'tenantid="TenantA",'; joined without whitespace.
  assert_ok 201
  assert_equal "$(res .alias)" iotgatewaytest
  save keyid "$(res .keyid)"
  save key "$(res .key)"

  # GET /SWCLM/IDInfo takes the admin license key.
  CLM_LICENSE_KEY_FILE=$ADMIN_KEY_FILE sw idget -host "$H" -port "$P" -ext-data keyid="$(val keyid)"
  assert_ok
  assert_equal "$(res '.keyinfo[0].keyid')" "$(val keyid)"

  sw idverify -host "$H" -port "$P" -ext-data keyid="$(val keyid)",key="$(val key)"
  assert_ok
  assert_equal "$(jq -r .keyid "$EX_STATE/id.json")" "$(val keyid)"
}

# ---------------------------------------------------------------------------------
# Chapter 3: certificates

@test "example certcreate: CA certificate, client PEM, client PKCS#12, server DER (chapter 3)" {
  examples
  sw certcreate -host "$H" -port "$P" -mode "caonly" -cacerttype "pem" -outpath "$GW" -cacertname "iotgatewaytest_ca" -ext-data devicename="iotgatewaytest",catype="CA"
  assert_ok 201
  assert_cred "$GW/iotgatewaytest_ca.pem" 644
  assert_equal "$(jq -r .iotgatewaytest.deviceid "$EX_STATE/devices.json")" "$(res .deviceid)"

  sw certcreate -host "$H" -port "$P" -mode "client" -cacerttype "pem" -certtype "pem" -outpath "$GW" -cacertname "iotgatewaytest_ca" -certname "iotgatewaytest_clcert" -certkeyname "iotgatewaytest_clientkey" -ext-data certsubject="/C=JP/O=NEC/CN=iotgatewaytest",devicename="iotgatewaytest",catype="ca1"
  assert_ok 201
  assert_cred "$GW/iotgatewaytest_clcert.pem" 644
  assert_cred "$GW/iotgatewaytest_clientkey.pem" 600
  assert_cred "$GW/iotgatewaytest_ca.pem" 644
  assert_equal "$(openssl x509 -in "$GW/iotgatewaytest_clcert.pem" -noout -serial | cut -d= -f2)" "$(res .clientserial)"
  assert_regex "$(openssl x509 -in "$GW/iotgatewaytest_clcert.pem" -noout -subject)" 'CN ?= ?iotgatewaytest'
  save client_serial "$(res .clientserial)"
  save client_keynumber "$(res .clientkeynumber)"

  sw certcreate -host "$H" -port "$P" -mode "client" -certtype "p12" -outpath "$GW" -certname "iotgatewaytest_clcert" -passphrase "password" -ext-data certsubject="/C=JP/O=NEC/CN=iotgatewaytest",devicename="iotgatewaytest",catype="ca1"
  assert_ok 201
  assert_cred "$GW/iotgatewaytest_clcert.p12" 600
  assert_cred "$GW/cacert.pem" 644
  openssl pkcs12 -in "$GW/iotgatewaytest_clcert.p12" -passin pass:password -nokeys >/dev/null 2>&1 ||
    openssl pkcs12 -legacy -in "$GW/iotgatewaytest_clcert.p12" -passin pass:password -nokeys >/dev/null ||
    fail "the PKCS#12 file does not open with the passphrase"
  save p12_keynumber "$(res .clientkeynumber)"
  save p12_serial "$(res .clientserial)"

  sw certcreate -host "$H" -port "$P" -mode "server" -cacerttype "der" -certtype "der" -outpath "$GW" -cacertname "iotgatewaytest_ca" -certname "iotgatewaytest_svcert" -certkeyname "iotgatewaytest_svkey" -ext-data certsubject="/C=JP/O=NEC/CN=iotgatewaytest",devicename="iotgatewaytest",catype="ca1"
  assert_ok 201
  assert_cred "$GW/iotgatewaytest_ca.der" 644
  assert_cred "$GW/iotgatewaytest_svcert.der" 644
  assert_cred "$GW/iotgatewaytest_svkey.pem" 600
  openssl x509 -inform der -in "$GW/iotgatewaytest_svcert.der" -noout || fail "not a DER certificate"
  save server_serial "$(res .clientserial)"
  save server_keynumber "$(res .clientkeynumber)"
}

@test "example certget: PEM by serial, PKCS#12 by key number, DER by serial (chapter 3)" {
  examples
  rm -f "$GW"/iotgatewaytest_clcert.pem* "$GW"/iotgatewaytest_clientkey.pem*
  sw certget -host "$H" -port "$P" -certtype "pem" -outpath "$GW" -certname "iotgatewaytest_clcert" -certkeyname "iotgatewaytest_clientkey" -ext-data devicename="iotgatewaytest",certserial="$(val client_serial)",catype="ca1"
  assert_ok
  assert_cred "$GW/iotgatewaytest_clcert.pem" 644
  assert_cred "$GW/iotgatewaytest_clientkey.pem" 600
  assert_equal "$(openssl x509 -in "$GW/iotgatewaytest_clcert.pem" -noout -serial | cut -d= -f2)" "$(val client_serial)"

  sw certget -host "$H" -port "$P" -certtype "p12" -outpath "$GW" -certname "iotgatewaytest_clcert" -passphrase "password" -ext-data devicename="iotgatewaytest",keynumber="$(val p12_keynumber)",catype="ca1"
  assert_ok
  assert_cred "$GW/iotgatewaytest_clcert.p12" 600

  sw certget -host "$H" -port "$P" -certtype "der" -outpath "$GW" -certname "iotgatewaytest_svcert" -certkeyname "iotgatewaytest_svkey" -ext-data devicename="iotgatewaytest",certserial="$(val server_serial)",catype="ca1"
  assert_ok
  assert_cred "$GW/iotgatewaytest_svcert.der" 644
  assert_cred "$GW/iotgatewaytest_svkey.pem" 600
}

@test "example certupdate: new certificate by serial, existing certificate by key number (chapter 3)" {
  examples
  # Adopting an existing certificate (key number form; 64 and 25 substituted).
  sw certupdate -host "$H" -port "$P" -certtype "pem" -outpath "$GW" -certname "iotgatewaytest_clcert" -ext-data devicename="iotgatewaytest",catype="ca1",keynumber="$(val server_keynumber)",newkeynumber="$(val p12_keynumber)",newpath="$GW",newfilename="iotgatewaytest_clcert_new",newcerttype="pem"
  assert_ok
  assert_equal "$(res .clientkeynumber)" "$(val p12_keynumber)"
  assert_cred "$GW/iotgatewaytest_clcert_new.pem" 644

  # Lines joined: devicename="iotgate|waytest" and ne|wfilename, as the PDF wraps them.
  sw certupdate -host "$H" -port "$P" -certtype "pem" -outpath "$GW" -certname "iotgatewaytest_clcert" -ext-data devicename="iotgatewaytest",catype="ca1",certserial="$(val client_serial)",newpath="$GW",newfilename="iotgatewaytest_clcert_new",newcerttype="pem"
  assert_ok
  assert_cred "$GW/iotgatewaytest_clcert_new.pem" 644
  assert_cred "$GW/iotgatewaytest_clcert_new-key.pem" 600
  save updated_keynumber "$(res .clientkeynumber)"
}

@test "certupdate with -passphrase writes the new certificate to newpath/newfilename.newcerttype" {
  examples
  mkdir -p "$GW/new"
  sw certcreate -host "$H" -port "$P" -mode "client" -outpath "$GW" -certname "upd" -certkeyname "upd-key" -passphrase "password" -ext-data certsubject="/CN=upd",devicename="iotgatewaytest",catype="ca1"
  assert_ok 201
  local serial
  serial=$(res .clientserial)
  sw certupdate -host "$H" -port "$P" -certtype "pem" -outpath "$GW" -certname "upd" -passphrase "password" -ext-data devicename="iotgatewaytest",catype="ca1",certserial="$serial",newpath="$GW/new",newfilename="upd2",newcerttype="der"
  assert_ok
  assert_cred "$GW/new/upd2.der" 644
  assert_cred "$GW/new/upd2-key.pem" 600
  openssl pkey -in "$GW/new/upd2-key.pem" -passin pass:password -noout || fail "the new key does not open with the passphrase"
  assert_not_equal "$(res .clientserial)" "$serial"
}

@test "example certrevoke: by key number and by serial, -certname joined to =\"...\" (chapter 3)" {
  examples
  # Two fresh certificates to revoke (server-assigned numbers substituted).
  sw certcreate -host "$H" -port "$P" -mode "client" -outpath "$GW" -certname "rv1" -certkeyname "rv1-key" -ext-data certsubject="/CN=rv1",devicename="iotgatewaytest",catype="ca1"
  assert_ok 201
  local kn=$(res .clientkeynumber)
  sw certcreate -host "$H" -port "$P" -mode "client" -outpath "$GW" -certname "rv2" -certkeyname "rv2-key" -ext-data certsubject="/CN=rv2",devicename="iotgatewaytest",catype="ca1"
  assert_ok 201
  local serial=$(res .clientserial)

  # The PDF wraps '-certname' / '="iotgatewaytest_clcert"' and 'keynumbe' / 'r="65"'.
  sw certrevoke -host "$H" -port "$P" -certtype "pem" -certname="iotgatewaytest_clcert" -ext-data devicename="iotgatewaytest",catype="ca1",keynumber="$kn",inpath="$GW"
  assert_ok
  sw certrevoke -host "$H" -port "$P" -certtype "pem" -certname="iotgatewaytest_clcert" -ext-data devicename="iotgatewaytest",catype="ca1",certserial="$serial",inpath="$GW"
  assert_ok
  # The certificate file stays; a second revocation is the server's 1306.
  assert_file_exists "$GW/iotgatewaytest_clcert.pem"
  sw certrevoke -host "$H" -port "$P" -certname="iotgatewaytest_clcert" -ext-data devicename="iotgatewaytest",catype="ca1",certserial="$serial",inpath="$GW"
  assert_block 403 1306 200
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr_lines[0]}" '^SWCLMCLIENT: error: revoke certificate of iotgatewaytest: .*1306'
  assert_equal "$(res .errorcode)" 1306
}

# ---------------------------------------------------------------------------------
# Chapters 3 and 4: common keys. Run in an order where each example's key is valid:
# create, get, verify, chapter 4's get and update by alias, then chapter 3's updates
# and delete.

@test "example cmkeycreate AES-128, cmkeyget, cmkeyverify (chapter 3)" {
  examples
  sw cmkeycreate -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",alias="aeskey",cmkeyname="iotgatewaytest_cmkey_aes",keylength="128",keytype="AES" -outpath "$GW"
  assert_ok 201
  assert_cred "$GW/iotgatewaytest_cmkey_aes" 600
  assert_equal "$(stat -c %s "$GW/iotgatewaytest_cmkey_aes")" 16
  assert_equal "$(base64 -w0 "$GW/iotgatewaytest_cmkey_aes")" "$(res .commonkey)"
  save aes "$(res .keynumber)"

  rm "$GW/iotgatewaytest_cmkey_aes"
  sw cmkeyget -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",cmkeyname="iotgatewaytest_cmkey_aes",keynumber="$(val aes)" -outpath "$GW"
  assert_ok
  assert_cred "$GW/iotgatewaytest_cmkey_aes" 600
  assert_equal "$(res .keynumber)" "$(val aes)"

  sw cmkeyverify -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",keynumber="$(val aes)",cmkeyname="iotgatewaytest_cmkey_aes",inpath="$GW"
  assert_ok
  # A key file that is not the key, with a sidecar that agrees (so the local tamper
  # check passes): the server's 1508.
  cp "$GW/iotgatewaytest_cmkey_aes" "$BATS_TEST_TMPDIR/k"
  cp "$GW/iotgatewaytest_cmkey_aes.sha256" "$BATS_TEST_TMPDIR/k.sha256"
  flip_byte "$GW/iotgatewaytest_cmkey_aes"
  (cd "$GW" && sha256sum iotgatewaytest_cmkey_aes >iotgatewaytest_cmkey_aes.sha256)
  sw cmkeyverify -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",keynumber="$(val aes)",cmkeyname="iotgatewaytest_cmkey_aes",inpath="$GW"
  cp "$BATS_TEST_TMPDIR/k" "$GW/iotgatewaytest_cmkey_aes"
  cp "$BATS_TEST_TMPDIR/k.sha256" "$GW/iotgatewaytest_cmkey_aes.sha256"
  assert_block 400 1508 200
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr_lines[0]}" '^SWCLMCLIENT: error: verify key [0-9]+ of iotgatewaytest: .*1508'
}

@test "example cmkeycreate TWINE-128 with use-lightcipher=1, and cmkeyverify with use-lightcipher=1 (chapter 3)" {
  examples
  # As printed: the default lightcipher command is not installed here. The server has
  # issued the key (HTTP 201) when the command fails: exit 33, no key file.
  sw cmkeycreate -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",alias="twinekey",cmkeyname="iotgatewaytest_cmkey_twine",keylength="128",keytype="TWINE",use-lightcipher=1 -outpath "$GW"
  assert_block 201 0 33
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr_lines[0]}" '^SWCLMCLIENT: error: -ext-data twinecmd /opt/nec/twine-otr/bin/lightcipher64'
  assert_file_not_exists "$GW/iotgatewaytest_cmkey_twine"
  assert_equal "$(res .errorcode)" 0

  # With twinecmd naming the stand-in, lightcipher writes the key file.
  sw cmkeycreate -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",alias="twinekey",cmkeyname="iotgatewaytest_cmkey_twine",keylength="128",keytype="TWINE",use-lightcipher=1,twinecmd="$STANDIN" -outpath "$GW"
  # What lightcipher says on its stdout goes to stderr: stdout is the block alone.
  assert_block 201 0 0
  assert_equal "$stderr" 'lightcipher-standin: wrote the key file'
  assert_cred "$GW/iotgatewaytest_cmkey_twine" 600
  assert_equal "$(head -n1 "$GW/iotgatewaytest_cmkey_twine")" LIGHTCIPHER-STANDIN
  assert_equal "$(sed -n 2p "$GW/iotgatewaytest_cmkey_twine")" "$(res .commonkey | base64 -d | od -An -v -tx1 | tr -d ' \n')"

  # cmkeyverify's use-lightcipher proves a raw TWINE-128 key file with TWINE-OTR:
  # the file comes from the same example without use-lightcipher.
  sw cmkeycreate -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",alias="twinekey",cmkeyname="iotgatewaytest_cmkey_twine",keylength="128",keytype="TWINE" -outpath "$GW"
  assert_ok 201
  assert_equal "$(stat -c %s "$GW/iotgatewaytest_cmkey_twine")" 16
  local twine
  twine=$(res .keynumber)
  sw cmkeyverify -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",keynumber="$twine",cmkeyname="iotgatewaytest_cmkey_twine",inpath="$GW",use-lightcipher=1
  assert_ok
  # The key itself never went to the server: the request carried encdata.
  assert_equal "$(res .keynumber)" "$twine"
}

@test "example cmkeyget and cmkeyupdate by alias, -outputpath (chapter 4)" {
  examples
  rm "$GW/iotgatewaytest_cmkey_aes"
  sw cmkeyget -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",cmkeyname="iotgatewaytest_cmkey_aes",alias="aeskey" -outpath "$GW"
  assert_ok
  assert_equal "$(res .keynumber)" "$(val aes)"
  assert_cred "$GW/iotgatewaytest_cmkey_aes" 600

  local before
  before=$(hexof "$GW/iotgatewaytest_cmkey_aes")
  sw cmkeyupdate -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",alias="aeskey",cmkeyname="iotgatewaytest_cmkey_aes",keylength="128" -outpath "$GW"
  assert_ok
  assert_not_equal "$(res .keynumber)" "$(val aes)"
  assert_not_equal "$(hexof "$GW/iotgatewaytest_cmkey_aes")" "$before"
  assert_cred "$GW/iotgatewaytest_cmkey_aes" 600
  save aes "$(res .keynumber)"

  # The synopsis spells the option -outputpath.
  sw cmkeyget -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",cmkeyname="byalias",alias="aeskey" -outputpath "$GW"
  assert_ok
  assert_equal "$(res .keynumber)" "$(val aes)"
  cmp "$GW/byalias" "$GW/iotgatewaytest_cmkey_aes"
}

@test "example cmkeyupdate with a new key and with an existing key, cmkeydelete (chapter 3)" {
  examples
  # Lines joined: devicename="|iotgatewaytest", keynumber="1|47", iotgatewaytest_cmkey|_aes_new.
  sw cmkeyupdate -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",alias="newkey",cmkeyname="iotgatewaytest_cmkey_aes",keynumber="$(val aes)",keylength="128",newpath="$GW",newfilename="iotgatewaytest_cmkey_aes_new" -outpath "$GW"
  assert_ok
  local new=$(res .keynumber)
  assert_not_equal "$new" "$(val aes)"
  assert_equal "$(res .alias)" newkey
  assert_cred "$GW/iotgatewaytest_cmkey_aes_new" 600

  # The existing key to replace: a fresh one in iotgatewaytest_cmkey_aes.
  sw cmkeycreate -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",alias="aeskey2",cmkeyname="iotgatewaytest_cmkey_aes",keytype="AES" -outpath "$GW"
  assert_ok 201
  local current=$(res .keynumber)
  sw cmkeyupdate -host "$H" -port "$P" -outpath "$GW" -ext-data devicename="iotgatewaytest",cmkeyname="iotgatewaytest_cmkey_aes",keynumber="$current",newkeynumber="$new",newpath="$GW",newfilename="iotgatewaytest_cmkey_aes_new"
  assert_ok
  assert_equal "$(res .keynumber)" "$new"
  assert_cred "$GW/iotgatewaytest_cmkey_aes_new" 600

  sw cmkeydelete -host "$H" -port "$P" -ext-data devicename="iotgatewaytest",keynumber="$new",cmkeyname="iotgatewaytest_cmkey_aes_new",inpath="$GW"
  assert_ok
  # As clm-key delete: the local key file and its sidecar go too.
  assert_file_not_exists "$GW/iotgatewaytest_cmkey_aes_new"
  assert_file_not_exists "$GW/iotgatewaytest_cmkey_aes_new.sha256"
}

@test "example iddelete (chapter 3): the stored ID is forgotten, certcreate is then exit 31" {
  examples
  sw iddelete -host "$H" -port "$P" -ext-data keyid="$(val keyid)",key="$(val key)"
  assert_ok
  assert_file_not_exists "$EX_STATE/id.json"
  sw certcreate -host "$H" -port "$P" -mode "caonly" -outpath "$GW" -ext-data devicename="iotgatewaytest",catype="CA"
  assert_fail 31 ''
}

# ---------------------------------------------------------------------------------
# A script written for the original command

@test "a chained script idcreate, idverify, certcreate, cmkeycreate, cmkeyupdate, SWCLMKEYGET runs unchanged" {
  local out
  out=$(outdir gw)
  cat >"$BATS_TEST_TMPDIR/chain.sh" <<'SCRIPT'
#!/bin/bash
# Provisioning as written for SWCLMCLIENT: every server-assigned value from the result file.
set -e
HOST=$1 PORT=$2 OUT=$3 DEV=$4
R=${SWCLM_RESULT_FILE:-/tmp/swclm-result.json}
SWCLMCLIENT idcreate -host "$HOST" -port "$PORT" -ext-data tenantid="TenantA",alias="$DEV"
KEYID=$(jq -r .keyid "$R")
KEY=$(jq -r .key "$R")
SWCLMCLIENT idverify -host "$HOST" -port "$PORT" -ext-data keyid="$KEYID",key="$KEY"
SWCLMCLIENT certcreate -host "$HOST" -port "$PORT" -mode "client" -outpath "$OUT" -ext-data certsubject="/O=Example/CN=$DEV",devicename="$DEV",catype="ca1"
SWCLMCLIENT cmkeycreate -host "$HOST" -port "$PORT" -ext-data devicename="$DEV",alias="$DEV-aes",keytype="AES" -outpath "$OUT"
KN=$(jq -r .keynumber "$R")
SWCLMCLIENT cmkeyupdate -host "$HOST" -port "$PORT" -ext-data devicename="$DEV",keynumber="$KN" -outpath "$OUT"
NEW=$(jq -r .keynumber "$R")
# SWCLMKEYGET finds the server in swcagent.conf, as chapter 5 says.
echo "$DEV" >"$OUT/devicelist"
mkdir "$OUT/cmkeydir"
SWCLMKEYGET -i "$OUT/devicelist" -o "$OUT/cmkeydir" -e "$OUT/errorlog"
echo "rotated $KN to $NEW"
SCRIPT
  # The legacy configuration file of the original product, named by CLM_CONFIG here.
  printf '%s\n' "host=$H" "port=$P" >"$BATS_TEST_TMPDIR/swcagent.conf"
  local device
  device=$(dev chain)
  CLM_CONFIG="$BATS_TEST_TMPDIR/swcagent.conf" run_clm bash "$BATS_TEST_TMPDIR/chain.sh" "$H" "$P" "$out" "$device"
  assert_success
  assert_equal "${#lines[@]}" 22
  assert_regex "${lines[21]}" '^rotated [0-9]+ to [0-9]+$'
  assert_equal "$(grep -c '^retcode: 0$' <<<"$output")" 7
  # The key SWCLMKEYGET wrote is the rotated key, in hex, under DEVICE_KEYNUMBER.
  local new=${lines[21]##* }
  assert_equal "$(tr -d '\n' <"$out/cmkeydir/${device}_$new")" "$(od -An -tx1 -v "$out/cmkey" | tr -d ' \n')"
  assert_equal "$(stat -c %s "$out/errorlog")" 0
  assert_cred "$out/clcert.pem" 644
  assert_cred "$out/clkey.pem" 600
  assert_cred "$out/cacert.pem" 644
  assert_cred "$out/cmkey" 600
  assert_equal "$(wc -l <"$SWCLM_LOG_FILE")" 5
}

# ---------------------------------------------------------------------------------
# Mixing with the clm-* tools

@test "SWCLMCLIENT idverify then clm-cert create and clm-key get of a SWCLMCLIENT key" {
  local d out
  d=$(dev mix1) out=$(outdir o)
  sw idcreate -host "$H" -port "$P" -ext-data tenantid="TenantA",alias="mix"
  assert_ok 201
  printf '%s\n' "$(res .key)" >"$BATS_TEST_TMPDIR/pw"
  sw idverify -host "$H" -port "$P" -ext-data keyid="$(res .keyid)",keyfile="$BATS_TEST_TMPDIR/pw"
  assert_ok
  run_clm -0 clm-cert --host "$H" --port "$P" create --mode client --device "$d" --subject /CN=mix --out "$out"
  assert_file_exists "$out/clcert.pem"
  # The device the clm tool registered is known to SWCLMCLIENT (and back).
  sw cmkeycreate -host "$H" -port "$P" -ext-data devicename="$d",alias="mixkey",keytype="AES" -outpath "$out"
  assert_ok 201
  local kn=$(res .keynumber)
  run_clm -0 clm-key --host "$H" --port "$P" get --device "$d" --keynumber "$kn" --out "$out" --name again
  cmp "$out/cmkey" "$out/again"
}

@test "clm-id verify then SWCLMCLIENT certcreate and cmkeyget of a clm-key key" {
  local d out
  d=$(dev mix2) out=$(outdir o)
  CLM_HOST=$H CLM_PORT=$P verified_id
  CLM_HOST=$H CLM_PORT=$P run_clm -0 clm-key create --device "$d" --alias mix2 --type AES --out "$out"
  local kn=$(jq_of "$output" .keynumber)
  sw certcreate -host "$H" -port "$P" -mode "server" -outpath "$out" -ext-data certsubject="/CN=mix2",devicename="$d",catype="ca1"
  assert_ok 201
  assert_cred "$out/svcert.pem" 644
  assert_cred "$out/svkey.pem" 600
  sw cmkeyget -host "$H" -port "$P" -ext-data devicename="$d",keynumber="$kn",cmkeyname="got" -outpath "$out"
  assert_ok
  cmp "$out/cmkey" "$out/got"
}

# ---------------------------------------------------------------------------------
# Failures: exit code, the 000 block, one stderr line naming the culprit

@test "no host anywhere is exit 4 naming -host" {
  sw idget -ext-data keyid="0000000001"
  assert_fail 4 'missing -host'
  assert_file_not_exists "$SWCLM_RESULT_FILE"
}

@test "a missing required option or ext-data item is exit 4 naming it" {
  sw idcreate -host "$H" -port "$P" -ext-data tenantid="TenantA"
  assert_fail 4 'missing -ext-data alias'
  CLM_HOST=$H CLM_PORT=$P verified_id
  sw certcreate -host "$H" -port "$P" -outpath "$BATS_TEST_TMPDIR" -ext-data devicename="x",catype="CA"
  assert_fail 4 'missing -mode'
  sw certrevoke -host "$H" -port "$P" -ext-data devicename="x",catype="ca1",keynumber="1",inpath="$BATS_TEST_TMPDIR"
  assert_fail 4 'missing -certname'
  sw cmkeydelete -host "$H" -port "$P" -ext-data devicename="x",keynumber="1",inpath="$BATS_TEST_TMPDIR"
  assert_fail 4 'missing -ext-data cmkeyname'
  sw certcreate -host "$H" -port "$P" -mode client -certtype p12 -outpath "$BATS_TEST_TMPDIR" -ext-data certsubject=/CN=x,devicename="x",catype="ca1"
  assert_fail 4 '-certtype p12 needs -passphrase'
  sw idget -host "$H" -port "$P"
  assert_fail 4 'missing -ext-data keyid'
}

@test "an option the reference does not know is exit 5 naming it; unused known options and items are ignored" {
  sw idget -host "$H" -port "$P" -keyid 0000000001
  assert_fail 5 'unknown option -keyid$'
  sw idget --host "$H" -ext-data keyid="0000000001"
  assert_fail 5 'unknown option --host'
  sw idget -host "$H" -port
  assert_fail 5 '-port needs a value'
  sw idget -host "$H" -host "$H"
  assert_fail 5 '-host given twice'
  sw frobnicate -host "$H"
  assert_fail 5 "unknown subcommand 'frobnicate'"
  sw
  assert_fail 4 'missing subcommand'
  # The reference's own example: -mode and desc= with idcreate are ignored.
  sw idcreate -host "$H" -port "$P" -mode client -ext-data tenantid="TenantA",alias="ign",desc="ABC",certsubject="/CN=A"
  assert_ok 201
}

@test "a bad value is exit 1 naming the option or item" {
  CLM_HOST=$H CLM_PORT=$P verified_id
  sw certcreate -host "$H" -port "$P" -mode "clients" -outpath "$BATS_TEST_TMPDIR" -ext-data devicename="x",catype="ca1"
  assert_fail 1 "-mode: 'clients'"
  sw idget -host "$H" -port "$P" -timeout 0 -ext-data keyid="0000000001"
  assert_fail 1 '-timeout'
  sw idget -host "$H" -port "$P" -timeout 2147483648 -ext-data keyid="0000000001"
  assert_fail 1 '-timeout'
  sw cmkeycreate -host "$H" -port "$P" -outpath "$BATS_TEST_TMPDIR" -ext-data devicename="a;b",alias="x",keytype="AES"
  assert_fail 1 '-ext-data devicename'
  sw cmkeycreate -host "$H" -port "$P" -outpath "$BATS_TEST_TMPDIR" -ext-data devicename="x",alias="x",keytype="AES",use-lightcipher=1
  assert_fail 1 '-ext-data use-lightcipher'
  sw certcreate -host "$H" -port "$P" -mode client -outpath relative -ext-data certsubject=/CN=x,devicename="x",catype="ca1"
  assert_fail 1 '-outpath'
  sw certget -host "$H" -port "$P" -certname "a/b" -outpath "$BATS_TEST_TMPDIR" -ext-data devicename="x",catype="ca1",keynumber=1
  assert_fail 1 '-certname'
}

@test "no verified ID is exit 31 and nothing is sent" {
  sw cmkeycreate -host "$H" -port "$P" -outpath "$BATS_TEST_TMPDIR" -ext-data devicename="$(dev n)",alias="x",keytype="AES"
  assert_fail 31 ''
  assert_file_not_exists "$BATS_TEST_TMPDIR/cmkey"
}

@test "a server error is exit 200 with the status and errorcode in the block and the result file" {
  sw idverify -host "$H" -port "$P" -ext-data keyid="0000099999",key="wrongpass"
  assert_block 404 1204 200
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr_lines[0]}" '^SWCLMCLIENT: error: verify ID 0000099999: .*1204'
  assert_equal "$(res .errorcode)" 1204
  assert_file_not_exists "$CLM_STATE_DIR/id.json"
}

@test "connection refused is exit 102 with status 000" {
  sw idget -host "$H" -port "$(closed_port)" -ext-data keyid="0000000001"
  assert_fail 102 ''
}

# ---------------------------------------------------------------------------------
# Syntax: -opt=value, quoted ext-data, secrets off argv

@test "-opt=value and -opt value are the same" {
  sw idcreate -host="$H" -port="$P" -ext-data=tenantid=TenantA,alias=eq
  assert_ok 201
  assert_equal "$(res .alias)" eq
}

@test "quoted ext-data values keep commas and escapes" {
  CLM_HOST=$H CLM_PORT=$P verified_id
  local out
  out=$(outdir q)
  sw certcreate -host "$H" -port "$P" -mode client -outpath "$out" -ext-data 'certsubject="/O=NEC, Inc./CN=q\"1",devicename="'"$(dev q)"'",catype="ca1"'
  assert_ok 201
  run_clm -0 clm-cert inspect "$out/clcert.pem"
  assert_regex "$(jq_of "$output" .subject)" 'NEC, Inc\.'
  assert_regex "$(jq_of "$output" .subject)" 'q"1'
}

@test "-passphrasetype prints a generated or given passphrase before the block; -passphrase-file" {
  CLM_HOST=$H CLM_PORT=$P verified_id
  local out
  out=$(outdir pp)
  sw certcreate -host "$H" -port "$P" -mode client -passphrasetype plaintext -outpath "$out" -ext-data certsubject="/CN=pp",devicename="$(dev pp)",catype="ca1"
  assert_equal "$status" 0
  assert_equal "${#lines[@]}" 4
  assert_regex "${lines[0]}" '^passphrase: [A-Za-z0-9_.+:@%#^~-]{20}$'
  assert_equal "$(printf '%s\n' "${lines[@]:1}")" "$(printf 'HTTP/1.1 201.\nerrorcode: 0\nretcode: 0')"
  openssl pkey -in "$out/clkey.pem" -passin "pass:${lines[0]#passphrase: }" -noout || fail "the key does not open with the printed passphrase"

  printf 'pass-from-file\n' >"$BATS_TEST_TMPDIR/ppfile"
  sw certcreate -host "$H" -port "$P" -mode server -passphrasetype base64 -passphrase-file "$BATS_TEST_TMPDIR/ppfile" -outpath "$out" -ext-data certsubject="/CN=pp",devicename="$(dev pp)",catype="ca1"
  assert_equal "$status" 0
  assert_equal "${lines[0]}" "passphrase: $(printf 'pass-from-file' | base64)"
  openssl pkey -in "$out/svkey.pem" -passin pass:pass-from-file -noout || fail "the key does not open with the file's passphrase"
  ! grep -q pass-from-file "$SWCLM_LOG_FILE" || fail "the log holds the passphrase"
}

# ---------------------------------------------------------------------------------
# Result file and log

@test "the result file is 0600 and replaces a planted symlink instead of following it" {
  printf 'precious\n' >"$BATS_TEST_TMPDIR/target"
  ln -s "$BATS_TEST_TMPDIR/target" "$SWCLM_RESULT_FILE"
  sw idcreate -host "$H" -port "$P" -ext-data tenantid="TenantA",alias="sym"
  assert_ok 201
  assert_equal "$(cat "$BATS_TEST_TMPDIR/target")" precious
  [[ ! -L $SWCLM_RESULT_FILE ]] || fail "the result file is still a symlink"
  assert_equal "$(stat -c %a "$SWCLM_RESULT_FILE")" 600
  assert_equal "$(res .alias)" sym
}

@test "the log has one line per run with the facts and no secret; a symlinked log is skipped" {
  sw idcreate -host "$H" -port "$P" -ext-data tenantid="TenantA",alias="logged"
  assert_ok 201
  local keyid=$(res .keyid) key=$(res .key)
  sw idverify -host "$H" -port "$P" -ext-data keyid="$keyid",key="$key"
  assert_ok
  sw idverify -host "$H" -port "$P" -ext-data keyid="$keyid",key="Wrong${key}"
  assert_equal "$status" 200
  sw idget -host "$H" -port "$P" -bogus=SECRETVALUE
  assert_equal "$status" 5
  assert_equal "$(stat -c %a "$SWCLM_LOG_FILE")" 600
  assert_equal "$(wc -l <"$SWCLM_LOG_FILE")" 4
  local re='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z SWCLMCLIENT\[[0-9]+\]: '
  assert_regex "$(sed -n 1p "$SWCLM_LOG_FILE")" "${re}idcreate $H:$P status=201 errorcode=0 retcode=0\$"
  assert_regex "$(sed -n 2p "$SWCLM_LOG_FILE")" "${re}idverify $H:$P status=200 errorcode=0 retcode=0\$"
  assert_regex "$(sed -n 3p "$SWCLM_LOG_FILE")" "${re}idverify $H:$P status=403 errorcode=1201 retcode=200 message=.*1201"
  assert_regex "$(sed -n 4p "$SWCLM_LOG_FILE")" "${re}- - status=000 errorcode=0 retcode=5 message=unknown option -bogus\$"
  ! grep -qF "$key" "$SWCLM_LOG_FILE" || fail "the log holds the password"
  ! grep -q SECRETVALUE "$SWCLM_LOG_FILE" || fail "the log holds an option value"
  ! grep -qF "$(cat "$CLM_LICENSE_KEY_FILE")" "$SWCLM_LOG_FILE" || fail "the log holds the license key"

  # A log path that is a symlink is not followed; the run goes on without it.
  rm "$SWCLM_LOG_FILE"
  ln -s "$BATS_TEST_TMPDIR/elsewhere" "$SWCLM_LOG_FILE"
  sw idverify -host "$H" -port "$P" -ext-data keyid="$keyid",key="$key"
  assert_ok
  assert_file_not_exists "$BATS_TEST_TMPDIR/elsewhere"
}

@test "-p-host and -p-port send the request through the proxy" {
  connect_proxy
  sw idcreate -host "$H" -port "$P" -p-host 127.0.0.1 -p-port "$PROXY_PORT" -ext-data tenantid="TenantA",alias="proxied"
  assert_ok 201
  assert_equal "$(cat "$PROXY_LOG")" "CONNECT $H:$P HTTP/1.1"
}

@test "certupdate, cmkeyupdate, cmkeyverify and cmkeydelete of a file that no longer matches its .sha256 exit 15 without a request" {
  local d out
  d=$(dev tamper) out=$(outdir o)
  CLM_HOST=$H CLM_PORT=$P verified_id
  sw certcreate -host "$H" -port "$P" -mode "client" -outpath "$out" -ext-data certsubject="/CN=tamper",devicename="$d",catype="ca1"
  assert_ok 201
  local serial
  serial=$(res .clientserial)
  sw cmkeycreate -host "$H" -port "$P" -outpath "$out" -ext-data devicename="$d",alias="tamper",keytype="AES"
  assert_ok 201
  local kn
  kn=$(res .keynumber)
  printf 'x' >>"$out/clcert.pem"
  flip_byte "$out/cmkey" 0
  log_mark
  sw certupdate -host "$H" -port "$P" -outpath "$out" -certname "clcert" -ext-data devicename="$d",catype="ca1",certserial="$serial"
  assert_fail 15 "tampered: $out/clcert.pem does not match its sidecar"
  sw cmkeyupdate -host "$H" -port "$P" -outpath "$out" -ext-data devicename="$d",keynumber="$kn"
  assert_fail 15 "tampered: $out/cmkey does not match its sidecar"
  for sub in cmkeyverify cmkeydelete; do
    sw "$sub" -host "$H" -port "$P" -ext-data devicename="$d",keynumber="$kn",cmkeyname="cmkey",inpath="$out"
    assert_fail 15 "tampered: $out/cmkey"
  done
  assert_no_requests_since_mark
  assert_file_exists "$out/cmkey"
}
