#!/usr/bin/env bats
# The tools and clm-server make themselves non-dumpable (no core file with keys in it,
# no ptrace by the same user). Observed from outside: the kernel gives the /proc/PID
# files of a non-dumpable process to root, whoever runs it. So each program runs as
# nobody (setpriv), blocked where it waits for input, and its /proc/PID files must belong to root
# while its Uid is nobody's. The first test shows the check sees a dumpable process.

load helpers

setup() {
  load_libs
  setup_common
  use_tool_path clm-id
  use_tool_path clm-keyget
  if [[ $(id -u) -ne 0 ]]; then
    skip "needs root to run a program as nobody (setpriv)"
  fi
  # nobody cannot traverse the 0700 bats temporary directories: a directory of its own.
  NOBODY_DIR=$(mktemp -d /tmp/clm-dumpable.XXXXXX)
  chmod 0755 "$NOBODY_DIR"
  chown nobody:nogroup "$NOBODY_DIR"
}

teardown() {
  teardown_common
  exec 4>&- 2>/dev/null || true
  [[ -n ${NOBODY_DIR:-} ]] && rm -rf "$NOBODY_DIR"
}

# as_nobody_in_background STDIN COMMAND [ARGS...]: start COMMAND as nobody with stdin
# from STDIN; sets BG_PID.
as_nobody_in_background() {
  local in=$1
  shift
  setpriv --reuid=nobody --regid=nogroup --clear-groups --inh-caps=-all -- "$@" <"$in" >/dev/null 2>&1 3>&- &
  BG_PID=$!
  register_pid "$BG_PID"
}

# is_nondumpable_as_nobody PID EXE: PID runs EXE (after setpriv's exec) as nobody and
# its /proc files belong to root.
is_nondumpable_as_nobody() {
  local pid=$1 exe=$2
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */"$exe" ]] || return 1
  [[ $(awk '/^Uid:/ {print $2}' "/proc/$pid/status") == 65534 ]] || return 1
  # The files, not the /proc/PID directory itself: its owner is set when it is first looked up.
  [[ $(stat -c %u "/proc/$pid/status") == 0 && $(stat -c %u "/proc/$pid/environ") == 0 ]]
}

# is_dumpable_as_nobody PID EXE: the same process, owned by nobody in /proc.
is_dumpable_as_nobody() {
  local pid=$1 exe=$2
  [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == */"$exe" ]] || return 1
  [[ $(stat -c %u "/proc/$pid/status") == 65534 ]]
}

@test "the check sees an ordinary (dumpable) process as nobody's in /proc" {
  mkfifo "$NOBODY_DIR/in"
  exec 4<>"$NOBODY_DIR/in"
  as_nobody_in_background "$NOBODY_DIR/in" cat
  wait_until 10 is_dumpable_as_nobody "$BG_PID" cat
  run ! is_nondumpable_as_nobody "$BG_PID" cat
}

@test "clm-id (tool_main, shared by clm-cert, clm-key, clm-verify and clm-server) is non-dumpable" {
  mkfifo "$NOBODY_DIR/in"
  exec 4<>"$NOBODY_DIR/in"
  # create without --alias reads its JSON input from stdin: it blocks on the fifo.
  as_nobody_in_background "$NOBODY_DIR/in" clm-id create
  wait_until 10 is_nondumpable_as_nobody "$BG_PID" clm-id
}

@test "clm-server serve is non-dumpable" {
  as_nobody_in_background /dev/null clm-server serve --data-dir "$NOBODY_DIR/data" --listen 127.0.0.1:0 \
    --key-type ec-p256
  wait_until 10 is_nondumpable_as_nobody "$BG_PID" clm-server
}

@test "clm-keyget (its own main) is non-dumpable" {
  printf 'dev1\n' >"$NOBODY_DIR/list"
  mkdir "$NOBODY_DIR/out"
  # Opening the error log, a fifo without a reader, blocks.
  mkfifo "$NOBODY_DIR/err.log"
  chown nobody:nogroup "$NOBODY_DIR/err.log" "$NOBODY_DIR/out"
  as_nobody_in_background /dev/null clm-keyget -i "$NOBODY_DIR/list" -o "$NOBODY_DIR/out" -e "$NOBODY_DIR/err.log"
  wait_until 10 is_nondumpable_as_nobody "$BG_PID" clm-keyget
}
