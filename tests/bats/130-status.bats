#!/usr/bin/env bats
# clm-cert status and clm-key status, the device's own expiry watch, offline: certificates
# issued by a real clm-server and moved through every bucket with faketime, a spread of
# self-signed certificates, key files of clm-key and clm-keyget aged with touch; the
# monitoring-plugins exit codes 0/1/2/3, the table on a terminal, the Prometheus textfile
# (--output), the Nagios line, tampered files, directory walks and bad options.

load helpers

setup_file() {
  start_server
}

setup() {
  load_libs
  setup_common
  use_tool_path clm-cert
  use_tool_path clm-key
}

# issue_client DEVICE DIR: a client certificate from the shared server into DIR
# (clcert.pem, clkey.pem, cacert.pem and their sidecars); sets SERIAL.
issue_client() {
  local json
  verified_id || return 1
  json=$(t clm-cert create --mode client --device "$1" --subject "/O=clm-test/CN=$1" --out "$2") || return 1
  SERIAL=$(jq -r .certserial <<<"$json")
}

# selfsigned FILE DAYS [SHIFT [CN [SERIAL]]]: a self-signed certificate in FILE valid for
# DAYS days from now, or from now moved by SHIFT (faketime's -f form, "-30d"); its subject
# is /CN=CN, by default /CN= and FILE's base name; its serial SERIAL (openssl's -set_serial
# form, "0x0ABCDE"), by default a random one.
selfsigned() {
  local file=$1 days=$2 shift=${3:-+0d} cn=${4:-$(basename "$1")} serial=()
  [ -z "${5:-}" ] || serial=(-set_serial "$5")
  # -subj takes a backslash as an escape: double it.
  faketime -f "$shift" openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$days" \
    "${serial[@]}" -subj "/CN=${cn//\\/\\\\}" -keyout "$BATS_TEST_TMPDIR/selfsigned.key" -out "$file" 2>/dev/null
}

# spread DIR: six certificates, one per bucket: expired.pem (ended 20 days ago), d5.pem,
# d20.pem, d45.pem, d75.pem and d400.pem (that many days from now).
spread() {
  local d
  selfsigned "$1/expired.pem" 10 -30d || return 1
  for d in 5 20 45 75 400; do
    selfsigned "$1/d$d.pem" "$d" || return 1
  done
}

# of JSONLINES FILE FILTER: FILTER applied to the line of FILE.
of() {
  jq -r --arg f "$2" "select(.file == \$f) | $3" <<<"$1"
}

# assert_exposition FILE: every line of FILE is a HELP, TYPE or sample line of the
# Prometheus text exposition format, and every sample follows the TYPE line of its family.
assert_exposition() {
  local name='[a-zA-Z_:][a-zA-Z0-9_:]*' label='[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\[\\"n])*"'
  local bad
  bad=$(LC_ALL=C grep -Ev -e "^# HELP $name .*\$" -e "^# TYPE $name gauge\$" \
    -e "^$name(\\{$label(,$label)*\\})? -?[0-9]+\$" "$1") || true
  [[ -z $bad ]] || fail "not in the exposition format: $bad"
  bad=$(awk '/^# TYPE / { family = $3; next } /^#/ { next }
             { n = $0; sub(/[{ ].*/, "", n); if (n != family) print }' "$1")
  [[ -z $bad ]] || fail "samples outside their family: $bad"
}

@test "certificates just issued: OK (0), one JSON line per certificate file with every field" {
  local dir
  dir=$(outdir tls)
  issue_client "$(dev gw)" "$dir"
  run_clm clm-cert status "$dir"
  assert_success
  assert_equal "$stderr" ''
  assert_equal "${#lines[@]}" 2 # cacert.pem (ca1, ten years) and clcert.pem; clkey.pem is passed by
  assert_equal "$(jq -r .file <<<"$output" | tr '\n' ' ')" "$dir/cacert.pem $dir/clcert.pem "
  local f=$dir/clcert.pem
  assert_equal "$(of "$output" "$f" .kind)" certificate
  assert_equal "$(of "$output" "$f" .subject)" "/O=clm-test/CN=$(dev gw)"
  assert_equal "$(of "$output" "$f" .issuer)" "/O=clm/CN=ca1"
  assert_equal "$(of "$output" "$f" .serial)" "$SERIAL"
  assert_equal "$(of "$output" "$f" .not_after)" \
    "$(date -u -d "$(openssl x509 -noout -enddate -in "$f" | cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)"
  assert_equal "$(of "$output" "$f" .days_left)" 364
  assert_equal "$(of "$output" "$f" '[.bucket, .severity, .tamper, .not_yet_valid] | join(" ")')" "ok info ok false"
  assert_equal "$(of "$output" "$dir/cacert.pem" .subject)" "/O=clm/CN=ca1"
}

@test "faketime moves an issued certificate through every bucket and exit code" {
  local dir
  dir=$(outdir tls)
  issue_client "$(dev gw)" "$dir"
  # The server issues for 365 days: SHIFT -> days left, bucket, severity, exit status.
  local row shift days bucket severity code
  for row in "+0d 364 ok info 0" "+280d 84 90 warning 0" "+310d 54 60 warning 0" "+340d 24 30 warning 1" \
    "+355d 9 15 warning 2" "+365d -1 expired error 2" "+400d -36 expired error 2"; do
    read -r shift days bucket severity code <<<"$row"
    run_clm faketime -f "$shift" clm-cert status "$dir/clcert.pem"
    assert_equal "$status" "$code"
    assert_equal "$(jq -r '[.days_left, .bucket, .severity] | join(" ")' <<<"$output")" "$days $bucket $severity"
  done
  # Before its notBefore (a clock set back) it is not valid yet: error, CRITICAL.
  run_clm faketime -f -1d clm-cert status "$dir/clcert.pem"
  assert_equal "$status" 2
  assert_equal "$(jq -r '[.not_yet_valid, .severity] | join(" ")' <<<"$output")" "true error"
}

@test "a spread of certificates: each in its bucket, worst state wins (2), the Nagios line with perfdata" {
  local dir
  dir=$(outdir spread)
  spread "$dir"
  run_clm clm-cert status "$dir"
  assert_equal "$status" 2
  local f bucket
  for f in expired:expired d5:15 d20:30 d45:60 d75:90 d400:ok; do
    bucket=${f#*:}
    f=${f%%:*}
    assert_equal "$(of "$output" "$dir/$f.pem" .bucket)" "$bucket"
  done
  assert_equal "$(jq -r .severity <<<"$output" | sort | uniq -c | tr -s ' ' | tr '\n' ',')" \
    " 1 error, 1 info, 4 warning,"

  run_clm clm-cert status --format nagios "$dir"
  assert_equal "$status" 2
  assert_equal "${lines[0]}" "CLM-CERT CRITICAL - 1 expired, 1 within 15 days, 1 within 30 days | expired=1 critical=1 warning=1 ok=3 tampered=0 notyetvalid=0 errors=0"
  assert_equal "${#lines[@]}" 4
  assert_regex "${lines[1]}" "^$dir/d20.pem: 19 days left until [0-9-]{10}\$"
  assert_regex "${lines[2]}" "^$dir/d5.pem: 4 days left until "
  assert_regex "${lines[3]}" "^$dir/expired.pem: expired on [0-9-]{10}\$"

  # The thresholds and buckets are options.
  run_clm clm-cert status --warning 10 --critical 3 --buckets 21,7 "$dir/d20.pem" "$dir/d400.pem"
  assert_success
  assert_equal "$(of "$output" "$dir/d20.pem" '[.bucket, .severity] | join(" ")')" "21 warning"
  assert_equal "$(of "$output" "$dir/d400.pem" .bucket)" ok
  run_clm clm-cert status --warning 10 --critical 3 "$dir/d5.pem"
  assert_equal "$status" 1
}

@test "--format prometheus --output FILE: a whole textfile (0644) in the exposition format, hostile names escaped" {
  local dir prom
  dir=$(outdir spread)
  spread "$dir"
  selfsigned "$dir/expired.pem" 10 -30d expired.pem 0x0ABCDE
  selfsigned "$dir/we\"ird\\name.pem" 400
  selfsigned "$dir/new"$'\n'"line.pem" 400 +0d newline
  mkdir -p "$BATS_TEST_TMPDIR/textfile"
  prom=$BATS_TEST_TMPDIR/textfile/clm-cert.prom
  run_clm clm-cert status --format prometheus --output "$prom" "$dir"
  assert_equal "$status" 2 # the exit status says the state whatever the format
  assert_equal "$output" ''
  assert_file_permission 644 "$prom"
  assert_equal "$(ls -A "$BATS_TEST_TMPDIR/textfile")" clm-cert.prom
  assert_exposition "$prom"
  # The serial as openssl prints it, in whole bytes: expired.pem's first byte is 0x0A.
  assert_equal "$(openssl x509 -noout -serial -in "$dir/expired.pem")" serial=0ABCDE
  grep -qxF "clm_cert_expired{path=\"$dir/expired.pem\",subject=\"/CN=expired.pem\",serial=\"0ABCDE\"} 1" "$prom"
  grep -qF "clm_cert_days_left{path=\"$dir/d400.pem\"," "$prom"
  grep -qF "clm_cert_not_after_seconds{path=\"$dir/d400.pem\"," "$prom"
  grep -qF "clm_cert_days_left{path=\"$dir/we\\\"ird\\\\name.pem\",subject=\"/CN=we\\\"ird\\\\name.pem\"," "$prom"
  grep -qF "clm_cert_days_left{path=\"$dir/new\\nline.pem\"," "$prom"
  grep -qxF 'clm_credential_status_files{kind="certificate",bucket="expired"} 1' "$prom"
  grep -qxF 'clm_credential_status_files{kind="certificate",bucket="15"} 1' "$prom"
  grep -qxF 'clm_credential_status_files{kind="certificate",bucket="ok"} 3' "$prom"
  grep -qxF 'clm_credential_status_errors{kind="certificate"} 0' "$prom"

  # A run replaces the file as a whole.
  run_clm clm-cert status --format prometheus --output "$prom" "$dir/d400.pem"
  assert_success
  assert_exposition "$prom"
  grep -qxF 'clm_credential_status_files{kind="certificate",bucket="ok"} 1' "$prom"
  run ! grep -qF expired.pem "$prom"
  assert_equal "$(ls -A "$BATS_TEST_TMPDIR/textfile")" clm-cert.prom
}

@test "on a terminal: an aligned table and the status line; piped: JSON lines" {
  local dir
  dir=$(outdir spread)
  spread "$dir"
  run timeout "$TEST_CMD_TIMEOUT" script -qec "clm-cert status '$dir'" /dev/null
  assert_equal "$status" 2
  local text
  text=$(tr -d '\r' <<<"$output")
  assert_regex "$(head -1 <<<"$text")" '^SEVERITY +BUCKET +DAYS +NOT-AFTER +SUBJECT +PATH +NOTE$'
  assert_equal "$(wc -l <<<"$text")" 8
  # Every row starts its PATH where the header's PATH starts.
  local at
  at=$(head -1 <<<"$text" | awk '{ print index($0, "PATH") }')
  assert_equal "$(sed -n 2,7p <<<"$text" | awk -v d="$dir/" '{ print index($0, d) }' | sort -u)" "$at"
  assert_regex "$(sed -n 2p <<<"$text")" "^warning +30 +19 +[0-9-]{10} +/CN=d20.pem +$dir/d20.pem\$"
  assert_regex "$(tail -1 <<<"$text")" '^CLM-CERT CRITICAL - 1 expired, '

  run_clm clm-cert status "$dir"
  assert_equal "$(jq -s length <<<"$output")" 6
}

@test "a tampered certificate is CRITICAL (2) whatever its date; tamper none without a sidecar" {
  local dir
  dir=$(outdir tls)
  issue_client "$(dev gw)" "$dir"
  selfsigned "$BATS_TEST_TMPDIR/other.pem" 400
  cp "$BATS_TEST_TMPDIR/other.pem" "$dir/clcert.pem"
  run_clm clm-cert status "$dir"
  assert_equal "$status" 2
  assert_equal "$(of "$output" "$dir/clcert.pem" '[.tamper, .severity, .bucket] | join(" ")')" "mismatch error ok"
  assert_equal "$(of "$output" "$dir/cacert.pem" .tamper)" ok
  run_clm clm-cert status --format nagios "$dir"
  assert_equal "${lines[0]}" "CLM-CERT CRITICAL - 1 tampered | expired=0 critical=0 warning=0 ok=2 tampered=1 notyetvalid=0 errors=0"
  assert_equal "${lines[1]}" "$dir/clcert.pem: does not match its sidecar"

  run_clm clm-cert status "$BATS_TEST_TMPDIR/other.pem"
  assert_success
  assert_equal "$(jq -r .tamper <<<"$output")" none
}

@test "a directory tree: sidecars, keys, other files, hidden files and linked directories are passed by" {
  local tree
  tree=$(outdir tree)
  mkdir -p "$tree/gw/sub" "$BATS_TEST_TMPDIR/outside"
  issue_client "$(dev gw)" "$tree/gw"
  printf 'not a certificate\n' >"$tree/gw/README"
  printf '%s\n' 0123456789abcdef0123456789abcdef >"$tree/gw/machine-id"
  selfsigned "$tree/gw/.clcert.pem.tmp.AbCdEf" 1 -30d          # a killed write's temporary
  selfsigned "$BATS_TEST_TMPDIR/outside/old.pem" 1 -30d        # expired, behind a linked directory
  ln -s "$BATS_TEST_TMPDIR/outside" "$tree/gw/sub/linked"
  ln -s ../clcert.pem "$tree/gw/sub/again.pem"                  # the same file twice
  selfsigned "$tree/gw/sub/d400.pem" 400
  run_clm clm-cert status "$tree"
  assert_success
  assert_equal "$(jq -r .file <<<"$output" | tr '\n' ' ')" \
    "$tree/gw/cacert.pem $tree/gw/clcert.pem $tree/gw/sub/d400.pem "

  # Named on the command line, a file must be a certificate.
  run_clm clm-cert status "$tree/gw/README" "$tree/gw/clkey.pem"
  assert_equal "$status" 3
  assert_equal "$(jq -r '[.severity, (.bucket | tostring), .error] | join(" ")' <<<"$output" | head -1)" \
    "unknown null not a PEM, DER or PKCS#12 certificate"
}

@test "UNKNOWN (3): a missing path, nothing found, a file that is not one; WARNING and CRITICAL win over it" {
  local dir
  dir=$(outdir spread)
  spread "$dir"
  run_clm clm-cert status "$BATS_TEST_TMPDIR/nowhere"
  assert_equal "$status" 3
  assert_equal "$output" "{\"bucket\":null,\"error\":\"does not exist\",\"file\":\"$BATS_TEST_TMPDIR/nowhere\",\"kind\":\"certificate\",\"severity\":\"unknown\"}"
  assert_equal "$stderr" ''

  run_clm clm-cert status --format nagios "$(outdir empty)"
  assert_equal "$status" 3
  assert_equal "$output" "CLM-CERT UNKNOWN - no certificate found | expired=0 critical=0 warning=0 ok=0 tampered=0 notyetvalid=0 errors=0"

  mkfifo "$BATS_TEST_TMPDIR/fifo"
  run_clm clm-cert status "$BATS_TEST_TMPDIR/fifo" "$dir/d400.pem"
  assert_equal "$status" 3
  assert_equal "$(of "$output" "$BATS_TEST_TMPDIR/fifo" .error)" "not a regular file or a directory"
  # Inside a directory a FIFO, a link to one and a link to a device are passed by
  # without blocking; a file met again through a bind mount of an ancestor counts once.
  local tree
  tree=$(outdir tree)
  cp "$dir/d400.pem" "$tree/"
  mkfifo "$tree/pipe.pem"
  ln -s "$tree/pipe.pem" "$tree/link.pem"
  ln -s /dev/zero "$tree/zero.pem"
  run_clm -0 clm-cert status "$tree"
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq -r .file <<<"$output")" "$tree/d400.pem"
  if [[ $(id -u) -eq 0 ]] && unshare --mount true 2>/dev/null; then
    mkdir "$tree/again"
    run_clm -0 unshare --mount bash -c 'mount --bind "$1" "$1/again" && exec clm-cert status "$1"' _ "$tree"
    assert_equal "${#lines[@]}" 1
  fi

  run_clm clm-cert status "$BATS_TEST_TMPDIR/nowhere" "$dir/d20.pem"
  assert_equal "$status" 1
  run_clm clm-cert status "$BATS_TEST_TMPDIR/nowhere" "$dir/d20.pem" "$dir/expired.pem"
  assert_equal "$status" 2
}

@test "a bad option of status is UNKNOWN (3) with one stderr line; the other subcommands keep table 6.1" {
  local dir args
  dir=$(outdir spread)
  selfsigned "$dir/d400.pem" 400
  for args in "--warning abc" "--warning -1" "--bogus" "--buckets 0" "--buckets 30,30" "--critical 40" \
    "--format xml" "--passphrase-file $BATS_TEST_TMPDIR/none"; do
    # shellcheck disable=SC2086 # the options are words
    run_clm clm-cert status $args "$dir"
    assert_equal "$status" 3
    assert_equal "$output" ''
    assert_equal "${#stderr_lines[@]}" 1
    assert_regex "$stderr" '^clm-cert: error: '
  done
  run_clm clm-cert status
  assert_equal "$status" 3
  run_clm clm-key status --max-age 0 "$dir"
  assert_equal "$status" 3
  assert_regex "$stderr" '^clm-key: error: --max-age'
  run_clm clm-cert status --output "$BATS_TEST_TMPDIR/no/such/dir/x.prom" "$dir"
  assert_equal "$status" 3

  # Nagios reads stdout: its first line says UNKNOWN too.
  run_clm clm-cert status --format nagios --buckets x "$dir"
  assert_equal "$status" 3
  assert_regex "${lines[0]}" "^CLM-CERT UNKNOWN - error: --buckets: 'x' is not a day count"

  run_clm clm-cert inspect --bogus "$dir/d400.pem"
  assert_equal "$status" 5
  run_clm clm-cert create --device x --out "$dir"
  assert_equal "$status" 4
}

@test "clm-key status: a key's age against --max-age through every bucket; tampered is CRITICAL" {
  local dir
  dir=$(outdir keys)
  verified_id
  t clm-key create --device "$(dev gw)" --alias "a$BATS_TEST_NUMBER" --type AES --length 256 --out "$dir" >/dev/null
  run_clm clm-key status "$dir"
  assert_success
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq -r '[.file, .kind, .bits, .encoding, .age_days, .days_left, .max_age_days, .bucket, .severity, .tamper, (.keynumber | tostring)] | join(" ")' <<<"$output")" \
    "$dir/cmkey key 256 raw 0 89 90 ok info ok null"
  assert_regex "$(jq -r .modified <<<"$output")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$'

  # AGE -> days left, bucket, exit status (max age 90: the buckets are 60, 30, 15).
  local row age days bucket code
  for row in "20 69 ok 0" "40 49 60 0" "65 24 30 1" "80 9 15 2" "90 -1 expired 2" "200 -111 expired 2"; do
    read -r age days bucket code <<<"$row"
    TZ=UTC touch -d "$age days ago" "$dir/cmkey"
    run_clm clm-key status "$dir"
    assert_equal "$status" "$code"
    assert_equal "$(jq -r '[.age_days, .days_left, .bucket] | join(" ")' <<<"$output")" "$age $days $bucket"
  done
  run_clm clm-key status --max-age 365 "$dir"
  assert_success
  assert_equal "$(jq -r '[.days_left, .bucket] | join(" ")' <<<"$output")" "164 ok"
  run_clm clm-key status --format nagios "$dir"
  assert_equal "${lines[0]}" "CLM-KEY CRITICAL - 1 overdue for rotation | expired=1 critical=0 warning=0 ok=0 tampered=0 notyetvalid=0 errors=0"

  flip_byte "$dir/cmkey" 3
  TZ=UTC touch -d "1 day ago" "$dir/cmkey"
  run_clm clm-key status "$dir"
  assert_equal "$status" 2
  assert_equal "$(jq -r '[.tamper, .severity, .bucket] | join(" ")' <<<"$output")" "mismatch error ok"
}

@test "clm-key status on clm-keyget files: key numbers from the names, .bin checked with the state's HMAC key" {
  use_tool_path clm-keyget
  verified_id
  key_fleet 2 "$BATS_TEST_TMPDIR/list"
  local out
  out=$(outdir pulled)
  t clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/err.log" -b >/dev/null
  printf 'some notes\n' >"$out/README"
  run_clm clm-key status "$out" "$BATS_TEST_TMPDIR/keys"
  assert_success
  # Three keys pulled as hex and .bin, and the three clm-key files they came from.
  assert_equal "${#lines[@]}" 9
  local device k
  device=$(dev 2)
  for k in $KEYS_2; do
    assert_equal "$(of "$output" "$out/${device}_$k" '[.devicename, .keynumber, .bits, .encoding, .tamper] | join(" ")')" \
      "$device $k 128 hex none"
    assert_equal "$(of "$output" "$out/${device}_$k.bin" '[.keynumber, .encoding, .tamper] | join(" ")')" "$k raw ok"
  done
  assert_equal "$(of "$output" "$BATS_TEST_TMPDIR/keys/$device/k1" '[(.keynumber | tostring), .tamper] | join(" ")')" \
    "null ok"

  # Without the HMAC key the .bin files are unchecked, which changes nothing in the state.
  CLM_STATE_DIR=$BATS_TEST_TMPDIR/other-state run_clm clm-key status "$out"
  assert_success
  assert_equal "$(jq -r 'select(.file | endswith(".bin")) | .tamper' <<<"$output" | sort -u)" unchecked

  # A changed .bin is tampered.
  k=${KEYS_2%% *}
  flip_byte "$out/${device}_$k.bin" 0
  run_clm clm-key status --format prometheus "$out"
  assert_equal "$status" 2
  printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/keys.prom"
  assert_exposition "$BATS_TEST_TMPDIR/keys.prom"
  grep -qxF "clm_key_tampered{path=\"$out/${device}_$k.bin\",keynumber=\"$k\"} 1" "$BATS_TEST_TMPDIR/keys.prom"
  grep -qF "clm_key_days_left{path=\"$out/${device}_$k\",keynumber=\"$k\"} 89" "$BATS_TEST_TMPDIR/keys.prom"
  grep -qxF 'clm_credential_status_files{kind="key",bucket="ok"} 6' "$BATS_TEST_TMPDIR/keys.prom"
  run ! grep -qF 'bucket="90"' "$BATS_TEST_TMPDIR/keys.prom"
}
