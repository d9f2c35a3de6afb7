#!/usr/bin/env bash
# Crash trials: clm-key update (plain and through lightcipher), clm-cert update and clm-keyget (and
# clm-cert status --output, whose one file has no sidecar), run against a real clm-server on
# loopback, killed with SIGKILL exactly at their Nth call of each of rename, renameat,
# fsync, fdatasync, syncfs and write (strace -e inject=SYSCALL:signal=KILL:when=N, every N the
# tool reaches), then at random calls of a wider set; each trial kills the tool twice, the
# second run starting from what the first left (so settling a crash is killed too). After each kill the output
# directory must hold, for every file, its old contents or complete new ones, matching
# its sidecar (checked by clm-verify and, apart from it, by sha256sum: a pending sidecar
# that matches the file counts, see ARCHITECTURE.md "A file and its sidecar"); then a
# normal run of the tool must succeed and leave no temporary or pending file behind.
#
#   tests/crash/crash.sh [RANDOM_TRIALS]   random trials per tool (default 50; scripts/test
#                                          runs the default; the full run is 340, which with
#                                          the exact ones makes over 1,000 trials)
#   CLM_BUILD_DIR                          the build to test (default build)
#   CLM_CRASH_DEBUG=1                      print the calls counted and each trial on stderr
# Prints one line per tool and a total; exits 1 naming the first trial that broke a rule.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${CLM_BUILD_DIR:-$root/build}
random_trials=${1:-50}
for cmd in strace sha256sum sqlite3; do
  command -v "$cmd" >/dev/null || { echo "crash: $cmd is missing (scripts/test installs it)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/clm-crash.XXXXXX")
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

fail() {
  echo "crash: $*" >&2
  exit 1
}

PATH=$build/tools:$PATH
"$build/server/clm-server" init --data-dir "$work/server" --key-type ec-p256 >/dev/null 2>"$work/init.log" ||
  fail "clm-server init failed: $(cat "$work/init.log")"
"$build/server/clm-server" serve --data-dir "$work/server" --listen 127.0.0.1:0 --port-file "$work/port" \
  2>"$work/server.log" &
server_pid=$!
for _ in $(seq 200); do
  [ -s "$work/port" ] && break
  sleep 0.05
done
[ -s "$work/port" ] || fail "clm-server did not start: $(cat "$work/server.log")"
export CLM_HOST=127.0.0.1 CLM_PORT CLM_CACERT=$work/server/tls/ca.pem CLM_LICENSE_KEY_FILE=$work/server/license.key
export CLM_STATE_DIR=$work/state CLM_CONFIG=/dev/null CLM_RETRY=0
CLM_PORT=$(cat "$work/port")
clm-id create --alias crash | clm-id verify >/dev/null

# The newest valid certificate of device DEVICE, as the server holds it (a killed update
# may have been answered: the tool's files then lag behind the server).
current_cert() {
  sqlite3 "$work/server/clm.db" "SELECT c.keynumber FROM certs c JOIN devices d ON d.deviceid = c.deviceid
    WHERE d.devicename = '$1' AND c.status = 'valid' AND c.ca_name IS NULL ORDER BY c.keynumber DESC LIMIT 1"
}

# check_pairs DIR TRIAL: every sidecar in DIR matches its file, or a pending sidecar does.
check_pairs() {
  local dir=$1 trial=$2 sidecar
  clm-verify "$dir" >"$work/verify.out" 2>&1 || fail "$trial: clm-verify $dir: $(cat "$work/verify.out")"
  for sidecar in "$dir"/*.sha256; do
    (cd "$dir" && sha256sum -c --quiet --status "${sidecar##*/}") && continue
    (cd "$dir" && [ -f "${sidecar##*/}.pending" ] && sha256sum -c --quiet --status "${sidecar##*/}.pending") ||
      fail "$trial: ${sidecar##*/} does not match its file, and no pending sidecar does"
  done
}

# check_clean DIR TRIAL: nothing temporary or pending is left in DIR.
check_clean() {
  local left
  left=$(find "$1" -mindepth 1 \( -name '.*' -o -name '*.pending' \) -printf '%f ')
  [ -z "$left" ] || fail "$2: left behind after a normal run: $left"
}

# The tools and what they write. Each scenario: setup (the first credential),
# the trial command (run under strace), the files that must be old or complete new,
# and a normal run.
key_dir=$work/key
lc_dir=$work/lightcipher
cert_dir=$work/cert
keyget_dir=$work/keyget
standin=$root/tests/bats/fixtures/lightcipher-standin
mkdir -p "$key_dir" "$lc_dir" "$cert_dir" "$keyget_dir" "$work/fleet"
clm-key create --device crash-key --alias ck --type AES --length 128 --out "$key_dir" >/dev/null
clm-key create --device crash-lc --alias lc --type TWINE --length 128 --out "$lc_dir" \
  --lightcipher --twinecmd "$standin" >/dev/null 2>"$work/lc-setup.log"
clm-cert create --mode client --device crash-cert --subject /CN=crash-cert --out "$cert_dir" >/dev/null
# Three devices with two keys each for clm-keyget, pulled once before the trials.
for d in crash-g1 crash-g2 crash-g3; do
  printf '%s\n' "$d" >>"$work/fleet.list"
  for k in a b; do
    clm-key create --device "$d" --alias "g$k" --type AES --length 128 --out "$work/fleet" --name "$d$k" >/dev/null
  done
done
clm-keyget -i "$work/fleet.list" -o "$keyget_dir" -e "$work/keyget.err" --sha256 -b >/dev/null

key_command() {
  printf '%s\n' clm-key update --device crash-key --alias ck --out "$key_dir"
}
# The key file written by lightcipher (tests/bats/fixtures/lightcipher-standin, a
# child process that the kills reach too).
lc_command() {
  printf '%s\n' clm-key update --device crash-lc --alias lc --out "$lc_dir" --lightcipher --twinecmd "$standin"
}
keyget_command() {
  printf '%s\n' clm-keyget -i "$work/fleet.list" -o "$keyget_dir" -e "$work/keyget.err" --sha256 -b --jobs 1
}
cert_command() {
  printf '%s\n' clm-cert update --device crash-cert --keynumber "$(current_cert crash-cert)" --out "$cert_dir" \
    --cert-name clcert --key-name clkey
}

# complete TOOL: the credential files in the tool's directory are whole (a 16-byte AES
# key; a PEM certificate and key that OpenSSL reads and that belong together).
complete() {
  case $1 in
  key) [ "$(stat -c %s "$key_dir/cmkey")" = 16 ] ;;
  lc) [ "$(head -n 1 "$lc_dir/cmkey")" = LIGHTCIPHER-STANDIN ] && [ "$(stat -c %s "$lc_dir/cmkey")" = 53 ] ;;
  keyget)
    local f
    for f in "$keyget_dir"/crash-g*; do
      case $f in
      *.sha256 | *.hmac) ;;
      *.bin) [ "$(stat -c %s "$f")" = 16 ] || return 1 ;;
      *) [ "$(stat -c %s "$f")" = 33 ] || return 1 ;;
      esac
    done
    ;;
  cert)
    openssl x509 -in "$cert_dir/clcert.pem" -noout 2>/dev/null &&
      openssl pkey -in "$cert_dir/clkey.pem" -noout 2>/dev/null &&
      openssl x509 -in "$cert_dir/cacert.pem" -noout 2>/dev/null
    ;;
  esac
}

# snapshot TOOL OUT: the credential files' digests, one line each.
snapshot() {
  case $1 in
  key) (cd "$key_dir" && sha256sum cmkey) ;;
  lc) (cd "$lc_dir" && sha256sum cmkey) ;;
  cert) (cd "$cert_dir" && sha256sum clcert.pem clkey.pem cacert.pem) ;;
  keyget) (cd "$keyget_dir" && sha256sum crash-g*) ;;
  esac >"$2"
}

# trial TOOL NAME STRACE_INJECT: one killed run and the checks after it.
trial() {
  local tool=$1 name=$2 inject=$3 cmd dir
  dir=$key_dir
  [ "$tool" = lc ] && dir=$lc_dir
  [ "$tool" = cert ] && dir=$cert_dir
  [ "$tool" = keyget ] && dir=$keyget_dir
  mapfile -t cmd < <("${tool}_command")
  snapshot "$tool" "$work/before"
  # (Braces: the shell's own "Killed" report goes to /dev/null too.)
  { strace -f -qq -o /dev/null -e inject="$inject" "${cmd[@]}" >"$work/killed.out" 2>&1; } 2>/dev/null || true
  [ -n "${CLM_CRASH_DEBUG:-}" ] && echo "crash: $name: $(head -c 300 "$work/killed.out")" >&2
  check_pairs "$dir" "$name"
  complete "$tool" || fail "$name: a credential file in $dir is not whole"
  # Either every file is as before, or each one changed is whole and matches (above).
  snapshot "$tool" "$work/after"
  # Killed again at the same call, starting from what the first kill left: the
  # settling of a pending sidecar (its rename or removal) is a crash point too.
  mapfile -t cmd < <("${tool}_command")
  { strace -f -qq -o /dev/null -e inject="$inject" "${cmd[@]}" >"$work/killed.out" 2>&1; } 2>/dev/null || true
  check_pairs "$dir" "$name (killed again)"
  complete "$tool" || fail "$name (killed again): a credential file in $dir is not whole"
  mapfile -t cmd < <("${tool}_command")
  "${cmd[@]}" >"$work/normal.out" 2>&1 || fail "$name: the normal run afterwards failed: $(cat "$work/normal.out")"
  check_pairs "$dir" "$name (after the normal run)"
  complete "$tool" || fail "$name: after the normal run a credential file is not whole"
  check_clean "$dir" "$name"
  trials=$((trials + 1))
  if ! cmp -s "$work/before" "$work/after"; then
    changed=$((changed + 1))
  fi
}

# calls TOOL SYSCALL: how many times the tool's run makes SYSCALL (all threads),
# counted on a run of its own the first time.
declare -A counted
calls() {
  local tool=$1 syscall=$2 cmd
  if [ -n "${counted[$tool.$syscall]:-}" ]; then
    echo "${counted[$tool.$syscall]}"
    return
  fi
  mapfile -t cmd < <("${tool}_command")
  strace -f -qq -o "$work/count" -e trace="$syscall" "${cmd[@]}" >/dev/null 2>&1 ||
    fail "counting $syscall: ${cmd[*]} failed"
  counted[$tool.$syscall]=$(grep -c -E "^([0-9]+ +)?$syscall\(" "$work/count" || true)
  echo "${counted[$tool.$syscall]}"
}

exact_syscalls=(rename renameat renameat2 fsync fdatasync syncfs write)
random_syscalls=(rename fsync write openat close read unlink)
total=0
for tool in key lc cert keyget; do
  trials=0 changed=0
  for syscall in "${exact_syscalls[@]}"; do
    calls "$tool" "$syscall" >/dev/null
    n=${counted[$tool.$syscall]}
    [ -n "${CLM_CRASH_DEBUG:-}" ] && echo "crash: $tool $syscall: $n calls" >&2
    for ((i = 1; i <= n; i++)); do
      trial "$tool" "$tool $syscall #$i" "$syscall:signal=KILL:when=$i"
    done
  done
  exact=$trials
  made=()
  for syscall in "${random_syscalls[@]}"; do
    calls "$tool" "$syscall" >/dev/null
    ((counted[$tool.$syscall] > 0)) && made+=("$syscall")
  done
  for ((r = 0; r < random_trials; r++)); do
    syscall=${made[RANDOM % ${#made[@]}]}
    n=${counted[$tool.$syscall]}
    i=$((RANDOM % n + 1))
    trial "$tool" "$tool random $syscall #$i" "$syscall:signal=KILL:when=$i"
  done
  what="clm-$tool update"
  [ "$tool" = lc ] && what="clm-key update --lightcipher"
  [ "$tool" = keyget ] && what=clm-keyget
  printf 'crash: %s: %d trials (%d exact, %d random), %d left new files, all checks passed\n' \
    "$what" "$trials" "$exact" "$((trials - exact))" "$changed"
  total=$((total + trials))
done
# clm-cert status --output: the Prometheus textfile node_exporter reads must never be
# half of one. Killed at each rename, fsync and write, the file holds the text before
# (here "old") or the whole new one; the normal run afterwards leaves no temporary.
status_dir=$work/status
mkdir -p "$status_dir"
status_command() {
  printf '%s\n' clm-cert status --format prometheus --output "$status_dir/clm.prom" "$cert_dir"
}
clm-cert status --format prometheus --output "$work/status.reference" "$cert_dir" >/dev/null ||
  fail "clm-cert status of $cert_dir failed"
trials=0
for syscall in "${exact_syscalls[@]}"; do
  n=$(calls status "$syscall")
  for ((i = 1; i <= n; i++)); do
    printf 'old\n' >"$status_dir/clm.prom"
    mapfile -t cmd < <(status_command)
    { strace -f -qq -o /dev/null -e inject="$syscall:signal=KILL:when=$i" "${cmd[@]}" >/dev/null 2>&1; } 2>/dev/null || true
    if [ "$(cat "$status_dir/clm.prom")" != old ] && ! cmp -s "$status_dir/clm.prom" "$work/status.reference"; then
      fail "status $syscall #$i: $status_dir/clm.prom is neither the old text nor the whole new one"
    fi
    trials=$((trials + 1))
  done
done
"${cmd[@]}" >/dev/null || fail "status: the normal run afterwards failed"
cmp -s "$status_dir/clm.prom" "$work/status.reference" || fail "status: the normal run wrote other text"
check_clean "$status_dir" "status"
printf 'crash: clm-cert status --output: %d trials (exact), all checks passed\n' "$trials"
total=$((total + trials))
printf 'crash: %d trials, all checks passed\n' "$total"
