#!/usr/bin/env bats
# clm-verify: files written by clm-cert and clm-key (and .bin files with sha256sum and
# openssl-made sidecars) pass while intact; one flipped byte in a key, a certificate,
# a .bin or a sidecar is exit 15 naming the file; missing files and missing sidecars
# are exit 2 (which wins over 15); .hmac sidecars need the right key; sha256sum -c
# agrees on .sha256 files.

load helpers

setup_file() {
  start_server
  # Files from the real tools, made once; each test works on its own copy.
  use_tool_path clm-cert
  use_tool_path clm-key
  export HOME="$BATS_FILE_TMPDIR/home" CLM_CONFIG=/dev/null CLM_STATE_DIR="$BATS_FILE_TMPDIR/state"
  mkdir -p "$HOME"
  export REAL="$BATS_FILE_TMPDIR/real"
  mkdir -p "$REAL"
  verified_id
  t clm-cert create --mode client --device verify-gw --subject /CN=verify-gw --out "$REAL" </dev/null >/dev/null
  t clm-key create --device verify-gw --alias verify-k --type AES --out "$REAL" </dev/null >/dev/null
}

setup() {
  load_libs
  setup_common
  use_tool_path clm-verify
  W="$BATS_TEST_TMPDIR/w"
  cp -a "$REAL" "$W"
}

# hmac_sidecar FILE KEYFILE: write FILE.hmac, the HMAC-SHA256 of FILE under the raw
# bytes of KEYFILE, in sidecar format, with openssl.
hmac_sidecar() {
  local file=$1 hex
  hex=$(openssl dgst -sha256 -mac HMAC -macopt "hexkey:$(hexof "$2")" -r "$file" | cut -d' ' -f1)
  printf '%s  %s\n' "$hex" "$(basename "$file")" >"$file.hmac"
}

# mkbin DIR NAME: a 32-byte NAME.bin in DIR with a .sha256 (sha256sum) sidecar; prints its path.
mkbin() {
  head -c 32 /dev/urandom >"$1/$2.bin"
  (cd "$1" && sha256sum "$2.bin" >"$2.bin.sha256")
  printf '%s\n' "$1/$2.bin"
}

# mkkeyfile PATH: 32 random bytes, mode 0600.
mkkeyfile() {
  head -c 32 /dev/urandom >"$1"
  chmod 600 "$1"
}

# assert_all_ok COUNT: exit 0, COUNT JSON lines on stdout all ok, nothing on stderr.
assert_all_ok() {
  assert_equal "$status" 0
  assert_equal "${#lines[@]}" "$1"
  assert_equal "$(jq -s 'map(.ok) | all' <<<"$output")" true
  assert_equal "$stderr" ''
}

# assert_tampered FILE: exit 15, FILE is the one JSON line with ok false, and stderr
# says "clm-verify: tampered: FILE (sidecar ...)".
assert_tampered() {
  assert_equal "$status" 15
  assert_equal "$(jq -rs 'map(select(.ok | not) | .file) | join(" ")' <<<"$output")" "$1"
  assert_regex "${stderr_lines[0]}" "^clm-verify: tampered: $1 \\(sidecar $1\\.(sha256|hmac)\\)"
  assert_regex "${stderr_lines[-1]}" '^clm-verify: error: '
}

@test "the files clm-cert and clm-key wrote pass: exit 0, one JSON line per file, nothing on stderr" {
  run_clm clm-verify "$W"
  assert_all_ok 4
  assert_equal "$(jq -r .file <<<"$output" | tr '\n' ' ')" "$W/cacert.pem $W/clcert.pem $W/clkey.pem $W/cmkey "
  assert_equal "$(jq -r .sidecar <<<"${lines[2]}")" "$W/clkey.pem.sha256"
  assert_equal "$(jq -r .kind <<<"${lines[2]}")" sha256
  assert_equal "$(jq -c 'has("error")' <<<"${lines[2]}")" false

  run_clm clm-verify "$W/clkey.pem" "$W/cmkey.sha256"
  assert_all_ok 2
}

@test "one flipped byte in a private key, a certificate, a key file or a .bin is exit 15 naming the file" {
  local f bin
  bin=$(mkbin "$W" dev_1)
  for f in "$W/clkey.pem" "$W/clcert.pem" "$W/cmkey" "$bin"; do
    rm -rf "$W" && cp -a "$REAL" "$W" && bin=$(mkbin "$W" dev_1)
    flip_byte "$f" 5
    run_clm clm-verify "$W"
    assert_tampered "$f"
    assert_equal "$(jq -rs 'map(select(.file == "'"$f"'")) | .[0].error' <<<"$output")" \
      "SHA-256 of the file differs from the sidecar's"
    # Named by itself too.
    run_clm clm-verify "$f"
    assert_tampered "$f"
  done
}

@test "a flipped byte in a sidecar itself is exit 15 naming the file it guards" {
  local offset
  for offset in 0 1 63; do
    rm -rf "$W" && cp -a "$REAL" "$W"
    flip_byte "$W/clkey.pem.sha256" "$offset"
    run_clm clm-verify "$W"
    assert_tampered "$W/clkey.pem"
  done
  # Its separator: the line is no longer a sidecar line.
  rm -rf "$W" && cp -a "$REAL" "$W"
  flip_byte "$W/clkey.pem.sha256" 64
  run_clm clm-verify "$W/clkey.pem"
  assert_equal "$status" 15
  assert_regex "$(jq -rs 'map(select(.ok | not)) | .[0].error' <<<"$output")" 'line 1 of the sidecar is not'
}

@test "a sidecar swapped for another file's is exit 15 when the file is named" {
  cp "$W/clcert.pem.sha256" "$W/clkey.pem.sha256"
  run_clm clm-verify "$W/clkey.pem"
  assert_equal "$status" 15
  assert_regex "$stderr" "tampered: $W/clkey.pem \\(sidecar $W/clkey.pem.sha256\\): the sidecar names no file clkey.pem"
}

@test "a missing file a sidecar names is exit 2 and reported; exit 2 wins over a tampered file" {
  rm "$W/clkey.pem"
  run_clm clm-verify "$W"
  assert_equal "$status" 2
  assert_equal "${#lines[@]}" 4
  assert_equal "$(jq -rs 'map(select(.ok | not)) | .[0] | [.file, .kind] | join(" ")' <<<"$output")" "$W/clkey.pem sha256"
  assert_regex "${stderr_lines[0]}" "^clm-verify: cannot check: $W/clkey.pem \\(sidecar $W/clkey.pem.sha256\\): "
  flip_byte "$W/cmkey"
  run_clm clm-verify "$W"
  assert_equal "$status" 2
  assert_equal "$(jq -s 'map(select(.ok | not)) | length' <<<"$output")" 2
  assert_regex "$stderr" "tampered: $W/cmkey "
}

@test "a file without a sidecar, or a path that does not exist, is exit 2" {
  echo loose >"$W/loose"
  run_clm clm-verify "$W/loose"
  assert_equal "$status" 2
  assert_equal "$(jq -c '[.file, .sidecar, .kind, .ok]' <<<"$output")" "[\"$W/loose\",null,null,false]"
  assert_regex "$(jq_of "$output" .error)" 'no sidecar'
  run_clm clm-verify "$W/nowhere"
  assert_equal "$status" 2
  assert_regex "$stderr" "cannot check: $W/nowhere"
  # In a directory, a file without a sidecar is not reported.
  run_clm clm-verify "$W"
  assert_all_ok 4
}

@test "sha256sum -c agrees with clm-verify on .sha256 files: both pass, both fail after a flip" {
  local f
  cd "$W"
  run sha256sum --quiet -c ./*.sha256
  assert_success
  run_clm clm-verify ./*.sha256
  assert_all_ok 4
  for f in clcert.pem cmkey; do
    rm -rf "$W" && cp -a "$REAL" "$W" && cd "$W"
    flip_byte "$f" 7
    run sha256sum --quiet -c ./*.sha256
    assert_failure
    assert_output --partial "$f: FAILED"
    run_clm clm-verify ./*.sha256
    assert_equal "$status" 15
    assert_equal "$(jq -rs 'map(select(.ok | not) | .file) | join(" ")' <<<"$output")" "./$f"
  done
}

@test "a sidecar of several files (sha256sum a b, text and binary lines) checks each" {
  local bin
  bin=$(mkbin "$W" dev_2)
  (cd "$W" && sha256sum clcert.pem >SUMS.sha256 && sha256sum -b clkey.pem dev_2.bin >>SUMS.sha256)
  run_clm clm-verify "$W/SUMS.sha256"
  assert_all_ok 3
  flip_byte "$bin"
  run_clm clm-verify "$W/SUMS.sha256"
  assert_equal "$status" 15
  assert_regex "$stderr" "tampered: $bin \\(sidecar $W/SUMS.sha256\\)"
}

@test ".hmac with the right key passes (--hmac-key-file and STATE_DIR/hmac.key); another key is exit 15" {
  local bin
  bin=$(mkbin "$W" dev_3)
  rm "$bin.sha256"
  mkkeyfile "$BATS_TEST_TMPDIR/hmac.key"
  hmac_sidecar "$bin" "$BATS_TEST_TMPDIR/hmac.key"
  run_clm clm-verify --hmac-key-file "$BATS_TEST_TMPDIR/hmac.key" "$bin"
  assert_all_ok 1
  assert_equal "$(jq_of "$output" .kind)" hmac
  assert_equal "$(jq_of "$output" .sidecar)" "$bin.hmac"

  mkdir -p -m 700 "$CLM_STATE_DIR"
  cp -p "$BATS_TEST_TMPDIR/hmac.key" "$CLM_STATE_DIR/hmac.key"
  run_clm clm-verify "$W"
  assert_all_ok 5
  run_clm clm-verify --state-dir "$CLM_STATE_DIR" "$bin.hmac"
  assert_all_ok 1

  mkkeyfile "$BATS_TEST_TMPDIR/other.key"
  run_clm clm-verify --hmac-key-file "$BATS_TEST_TMPDIR/other.key" "$W"
  assert_tampered "$bin"
  assert_equal "$(jq -rs 'map(select(.ok | not)) | .[0].error' <<<"$output")" \
    "HMAC-SHA256 of the file differs from the sidecar's"

  # A flipped byte in the file under the right key.
  flip_byte "$bin" 31
  run_clm clm-verify "$bin"
  assert_tampered "$bin"
}

@test ".hmac without any key is exit 2 naming the expected key file; .sha256 files need no key" {
  local bin
  bin=$(mkbin "$W" dev_4)
  mkkeyfile "$BATS_TEST_TMPDIR/k"
  hmac_sidecar "$bin" "$BATS_TEST_TMPDIR/k"
  run_clm clm-verify "$W"
  assert_equal "$status" 2
  assert_equal "$(jq -s 'map(select(.ok | not)) | length' <<<"$output")" 1
  assert_regex "$stderr" "cannot check: $bin \\(sidecar $bin.hmac\\): no HMAC key: $CLM_STATE_DIR/hmac.key does not exist"
  run_clm clm-verify "$W/clkey.pem" "$bin.sha256"
  assert_all_ok 2
  # An explicit key file that is missing fails at once.
  run_clm clm-verify --hmac-key-file "$BATS_TEST_TMPDIR/none" "$W/clkey.pem"
  assert_equal "$status" 2
  assert_equal "$output" ''
  assert_regex "$stderr" "^clm-verify: error: --hmac-key-file: $BATS_TEST_TMPDIR/none does not exist"
  : >"$BATS_TEST_TMPDIR/empty"
  run_clm clm-verify --hmac-key-file "$BATS_TEST_TMPDIR/empty" "$W/clkey.pem"
  assert_equal "$status" 32
}

@test "a key file others can read works with a warning on stderr" {
  local bin
  bin=$(mkbin "$W" dev_5)
  mkkeyfile "$BATS_TEST_TMPDIR/k"
  chmod 644 "$BATS_TEST_TMPDIR/k"
  hmac_sidecar "$bin" "$BATS_TEST_TMPDIR/k"
  run_clm clm-verify --hmac-key-file "$BATS_TEST_TMPDIR/k" "$bin.hmac"
  assert_equal "$status" 0
  assert_equal "$stderr" "clm-verify: warning: $BATS_TEST_TMPDIR/k can be read by other users: chmod 600 it"
}

@test "--recursive checks subdirectories; without it they are left alone" {
  mkdir -p "$W/sub/deeper"
  mkbin "$W/sub/deeper" dev_6 >/dev/null
  run_clm clm-verify "$W"
  assert_all_ok 4
  run_clm clm-verify --recursive "$W"
  assert_all_ok 5
  assert_equal "$(jq -r .file <<<"${lines[4]}")" "$W/sub/deeper/dev_6.bin"
  # A sidecar reached twice is checked once.
  run_clm clm-verify -r "$W" "$W/cmkey" "$W/cmkey.sha256"
  assert_all_ok 5
}

@test "a malformed or empty sidecar is exit 15" {
  printf 'not a sidecar\n' >"$W/cmkey.sha256"
  run_clm clm-verify "$W"
  assert_tampered "$W/cmkey"
  : >"$W/cmkey.sha256"
  run_clm clm-verify "$W/cmkey"
  assert_equal "$status" 15
  assert_regex "$stderr" 'the sidecar is empty'
}

@test "--pretty indents each object; no PATH is exit 4, an unknown option exit 5" {
  run_clm clm-verify --pretty "$W/cmkey"
  assert_equal "$status" 0
  assert_equal "$(jq -s length <<<"$output")" 1
  [[ ${#lines[@]} -gt 1 ]] || fail "not indented: $output"
  run_clm clm-verify
  assert_equal "$status" 4
  assert_regex "$stderr" '^clm-verify: error: PATH is required'
  run_clm clm-verify --bogus "$W"
  assert_equal "$status" 5
}

@test "a directory of many sidecars is checked in name order; one flip among them is named" {
  local d="$BATS_TEST_TMPDIR/many" i
  mkdir -p "$d"
  for ((i = 0; i < 300; i++)); do
    printf 'key %d\n' "$i" >"$d/$(printf 'k%03d' "$i")"
  done
  (cd "$d" && for f in k*; do sha256sum "$f" >"$f.sha256"; done)
  run_clm -0 clm-verify "$d"
  assert_equal "${#lines[@]}" 300
  assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r .file)" "$(for ((i = 0; i < 300; i++)); do printf '%s/k%03d\n' "$d" "$i"; done)"
  flip_byte "$d/k217" 2
  run_clm -15 clm-verify "$d"
  assert_equal "${#lines[@]}" 300
  assert_equal "$(printf '%s\n' "${lines[@]}" | jq -r 'select(.ok | not) | .file')" "$d/k217"
  assert_regex "${stderr_lines[0]}" "tampered: $d/k217"
}
