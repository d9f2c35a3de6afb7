# shellcheck shell=bash
# Shared harness of the clm behaviour tests: the real clm-id and clm-server, a real
# clm-server on loopback with real TLS, and a hermetic environment for every test.
#
# Run:   CLM_BUILD_DIR=/path/to/build bats tests/bats
# CLM_BUILD_DIR defaults to <repo>/build.
# With CLM_TEST_PG_CLUSTER=DIR (a cluster running from `scripts/pg-cluster start DIR`),
# pg_available is true and new_pg_database hands out databases in it; adding
# CLM_TEST_STORE=postgresql makes every server a test starts on a fresh data dir use a
# PostgreSQL database of its own instead of SQLite (see launch_server).
# Every test file does:
#
#   load helpers
#   setup_file()    { start_server; }
#
# and gets the setup, teardown and teardown_file defined at the end of this file
# (a file may define its own after `load helpers`).

# shellcheck disable=SC2034 # the globals set here (API_*, EXTRA_*, SILENT_*) are read by the tests
bats_require_minimum_version 1.5.0

CLM_BATS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CLM_REPO_DIR="$(cd "$CLM_BATS_DIR/../.." && pwd)"
# Captured under a non-CLM_ name: setup_common unsets every CLM_* variable.
export TEST_BUILD_DIR="${TEST_BUILD_DIR:-${CLM_BUILD_DIR:-$CLM_REPO_DIR/build}}"
# Absolute, so tests that change directory still find the binaries.
[[ $TEST_BUILD_DIR == /* ]] || TEST_BUILD_DIR="$PWD/$TEST_BUILD_DIR"
# Seconds any single run of a product binary may take before it counts as a hang.
export TEST_CMD_TIMEOUT="${TEST_CMD_TIMEOUT:-30}"
# The store selection, captured under non-CLM_ names for the same reason.
export TEST_PG_CLUSTER="${TEST_PG_CLUSTER:-${CLM_TEST_PG_CLUSTER:-}}"
export TEST_STORE="${TEST_STORE:-${CLM_TEST_STORE:-}}"
# (CLM_REPO_DIR goes with the other CLM_* variables.)
TEST_PG_CLUSTER_CMD="$CLM_REPO_DIR/scripts/pg-cluster"
export LICENSE_USER=secureware-clm

# ---------------------------------------------------------------------------------
# Binaries and environment

# Print the directory holding the clm-id executable.
clm_id_dir() {
  if [[ -d $TEST_BUILD_DIR/tools/clm-id ]]; then
    printf '%s\n' "$TEST_BUILD_DIR/tools/clm-id"
  else
    printf '%s\n' "$TEST_BUILD_DIR/tools"
  fi
}

# Put the build's binaries first on PATH and make sure they are there.
use_build_path() {
  local id_dir
  id_dir="$(clm_id_dir)"
  if [[ ! -x $id_dir/clm-id || ! -x $TEST_BUILD_DIR/server/clm-server ]]; then
    printf 'clm binaries not found under %s (set CLM_BUILD_DIR to the build directory)\n' \
      "$TEST_BUILD_DIR" >&2
    return 1
  fi
  case ":$PATH:" in
  *":$id_dir:$TEST_BUILD_DIR/server:"*) ;;
  *) export PATH="$id_dir:$TEST_BUILD_DIR/server:$PATH" ;;
  esac
}

load_libs() {
  export BATS_LIB_PATH="${BATS_LIB_PATH:-/usr/lib/bats}"
  bats_load_library bats-support
  bats_load_library bats-assert
  bats_load_library bats-file
}

# Drop every CLM_* variable and proxy setting, then set the hermetic defaults.
clean_clm_env() {
  local v
  for v in $(compgen -v CLM_); do
    unset "$v"
  done
  unset XDG_STATE_HOME http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
}

# Hermetic environment for one test. The shared server (if setup_file started one)
# is re-exported as CLM_HOST/CLM_PORT/CLM_CACERT/CLM_LICENSE_KEY_FILE.
setup_common() {
  use_build_path
  clean_clm_env
  export HOME="$BATS_TEST_TMPDIR/home"
  mkdir -p "$HOME"
  export CLM_CONFIG=/dev/null # never read /etc/clm/clm.conf
  export CLM_STATE_DIR="$BATS_TEST_TMPDIR/state"
  if [[ -n ${TEST_CLM_PORT:-} ]]; then
    export CLM_HOST="$TEST_CLM_HOST" CLM_PORT="$TEST_CLM_PORT" CLM_CACERT="$TEST_CLM_CACERT"
    export CLM_LICENSE_KEY_FILE="$TEST_CLM_LICENSE_KEY_FILE"
    # The shared server's admin license key (GET /SWCLM/IDInfo needs it).
    export ADMIN_KEY_FILE="$TEST_ADMIN_KEY_FILE"
  fi
  # Nothing a test runs may wait on the terminal or on bats' own stdin.
  exec </dev/null
}

# Stop whatever this test started in the background (extra servers, silent servers,
# background clients), by pid.
teardown_common() {
  local pid
  if [[ -f $BATS_TEST_TMPDIR/.pids ]]; then
    while read -r pid; do
      [[ -n $pid ]] && kill_pid "$pid"
    done <"$BATS_TEST_TMPDIR/.pids"
    rm -f "$BATS_TEST_TMPDIR/.pids"
  fi
}

# Remember a background pid of this test for teardown_common.
register_pid() {
  printf '%s\n' "$1" >>"$BATS_TEST_TMPDIR/.pids"
}

# TERM a pid, give it up to 5 s, then KILL it.
kill_pid() {
  local pid=$1 i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------------------------
# Running things

# run_clm [run flags: ! -N --keep-empty-lines] [--] COMMAND [ARGS...]
# Like bats' run, with stdout and stderr kept apart ($output/$lines, $stderr/$stderr_lines),
# and the command under `timeout`, so a hang fails the test instead of stalling the suite.
run_clm() {
  local flags=()
  while [[ $# -gt 0 && ($1 == -* || $1 == '!') ]]; do
    if [[ $1 == -- ]]; then
      shift
      break
    fi
    flags+=("$1")
    shift
  done
  run "${flags[@]}" --separate-stderr -- timeout "$TEST_CMD_TIMEOUT" "$@"
}

# use_tool_path NAME: put the directory holding NAME first on PATH (tools/ or tools/NAME/).
use_tool_path() {
  local d
  for d in "$TEST_BUILD_DIR/tools/$1" "$TEST_BUILD_DIR/tools"; do
    if [[ -f $d/$1 && -x $d/$1 ]]; then
      export PATH="$d:$PATH"
      return 0
    fi
  done
  printf '%s not found under %s/tools\n' "$1" "$TEST_BUILD_DIR" >&2
  return 1
}

# verified_id: a fresh ID, verified and stored in CLM_STATE_DIR (what every network call needs).
verified_id() {
  t clm-id create --alias t | t clm-id verify >/dev/null
}

# dev NAME: a device name unique to this test (names are registered server-wide).
dev() {
  printf 'd%s-%s\n' "$BATS_TEST_NUMBER" "$1"
}

# outdir NAME: make the (absolute) directory BATS_TEST_TMPDIR/NAME and print it.
outdir() {
  mkdir -p "$BATS_TEST_TMPDIR/$1"
  printf '%s\n' "$BATS_TEST_TMPDIR/$1"
}

# assert_empty_dir DIR: DIR exists and holds nothing.
assert_empty_dir() {
  assert_dir_exists "$1"
  local left
  left=$(ls -A "$1")
  if [[ -n $left ]]; then
    printf 'expected %s to be empty, it holds:\n%s\n' "$1" "$left" >&2
    return 1
  fi
}

# assert_api_error TOOL ERRORCODE HTTP_STATUS: the server-error shape of a run_clm:
# exit 200, one stdout JSON line with errorcode and http_status, and one
# "TOOL: error:" line on stderr.
assert_api_error() {
  local tool=$1 errorcode=$2 http_status=$3
  assert_equal "$status" 200
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq_of "$output" .errorcode)" "$errorcode"
  assert_equal "$(jq_of "$output" .http_status)" "$http_status"
  assert_equal "${#stderr_lines[@]}" 1
  assert_regex "${stderr_lines[0]}" "^$tool: error: "
}

# hexof FILE: the bytes of FILE in lower-case hex, on one line.
hexof() {
  od -An -v -tx1 "$1" | tr -d ' \n'
  printf '\n'
}

# flip_byte FILE [OFFSET]: invert the lowest bit of one byte of FILE in place.
flip_byte() {
  local file=$1 offset=${2:-0} b esc
  b=$(od -An -tu1 -j "$offset" -N1 "$file" | tr -d ' ')
  printf -v esc '\\%03o' $((b ^ 1))
  # shellcheck disable=SC2059 # the format is the octal escape of the new byte
  printf "$esc" | dd of="$file" bs=1 seek="$offset" count=1 conv=notrunc status=none
}

# t COMMAND [ARGS...]: run under the per-command timeout (for pipelines in functions).
t() {
  timeout "$TEST_CMD_TIMEOUT" "$@"
}

# wait_until SECONDS COMMAND [ARGS...]: poll COMMAND every 50 ms until it succeeds;
# fail when SECONDS pass first.
wait_until() {
  local limit=$1 deadline
  shift
  deadline=$((SECONDS + limit))
  while ! "$@"; do
    if ((SECONDS >= deadline)); then
      printf 'timed out after %ss waiting for: %s\n' "$limit" "$*" >&2
      return 1
    fi
    sleep 0.05
  done
}

# Print the JSON value at jq FILTER of the JSON text TEXT (raw strings).
jq_of() {
  jq -r "$2" <<<"$1"
}

# Print a loopback TCP port that was free a moment ago and has nothing listening.
closed_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# ---------------------------------------------------------------------------------
# PostgreSQL stores (CLM_TEST_PG_CLUSTER, CLM_TEST_STORE)

# pg_available: a PostgreSQL cluster for the tests is there (CLM_TEST_PG_CLUSTER).
pg_available() {
  [[ -n $TEST_PG_CLUSTER ]]
}

# pg_selected: the servers the tests start are to use PostgreSQL stores
# (CLM_TEST_STORE=postgresql with a cluster).
pg_selected() {
  pg_available && [[ $TEST_STORE == postgresql ]]
}

# store_sql DIR SQL: run SQL on the store of data dir DIR, PostgreSQL or SQLite, as its
# clm-server.conf says; print the rows, one per line, columns joined by '|'.
store_sql() {
  local dir=$1 sql=$2 uri
  uri=$(sed -n 's/^store = //p' "$dir/clm-server.conf" 2>/dev/null)
  if [[ $uri == postgres* ]]; then
    psql -q -X -At -v ON_ERROR_STOP=1 "$uri" -c "$sql"
  else
    sqlite3 "$dir/clm.db" "$sql"
  fi
}

# skip_if_pg_selected REASON: skip this test in the PostgreSQL pass (a SQLite matter).
skip_if_pg_selected() {
  if pg_selected; then
    skip "SQLite only: $1"
  fi
}

# skip_unless_pg: skip this test when there is no cluster.
skip_unless_pg() {
  pg_available || skip "no PostgreSQL cluster (CLM_TEST_PG_CLUSTER)"
}

# new_pg_database: make a fresh database in the cluster and print its URI.
new_pg_database() {
  local i err
  # The name is unique to this process and a random number; on the rare clash with
  # an existing database (createdb fails) another name is tried.
  for ((i = 0; i < 5; i++)); do
    if err=$("$TEST_PG_CLUSTER_CMD" createdb "$TEST_PG_CLUSTER" \
      "clm_t${BASHPID}_${RANDOM}${RANDOM}" 2>&1 >&3); then
      return 0
    fi
  done 3>&1
  printf '%s\n' "$err" >&2
  return 1
}

# store_args_for DIR [ARGS...]: when the servers use PostgreSQL, DIR does not exist yet
# and ARGS name no --store, make a database for DIR and set STORE_ARGS to
# (--store URI) and STORE_URI to URI; otherwise both are empty.
store_args_for() {
  local dir=$1 a
  shift
  STORE_ARGS=() STORE_URI=
  pg_selected && [[ ! -e $dir ]] || return 0
  for a in "$@"; do
    [[ $a != --store && $a != --store=* ]] || return 0
  done
  STORE_URI=$(new_pg_database) || return 1
  STORE_ARGS=(--store "$STORE_URI")
}

# ---------------------------------------------------------------------------------
# clm-server instances

# launch_server [--files PREFIX] DIR [SERVE ARGS...]
# Start `clm-server serve --data-dir DIR --listen 127.0.0.1:0` in the background, its
# stderr in DIR.log, and wait (up to 20 s) for its port file. Sets LAUNCHED_PID,
# LAUNCHED_PORT, LAUNCHED_LOG and LAUNCHED_STORE. With --files, the log and port file
# are PREFIX.log and PREFIX.port (several servers on one DIR). When the servers use PostgreSQL
# (pg_selected) and DIR does not exist yet, DIR gets a database of its own: serve
# initializes DIR with `--store URI` and DIR/clm-server.conf remembers it for later
# starts; LAUNCHED_STORE is that URI (empty otherwise).
launch_server() {
  local files=
  if [[ $1 == --files ]]; then
    files=$2
    shift 2
  fi
  local dir=$1 i
  shift
  files=${files:-$dir}
  local log="$files.log" port_file="$files.port"
  store_args_for "$dir" "$@" || return 1
  LAUNCHED_STORE=$STORE_URI
  rm -f "$port_file"
  clm-server serve --data-dir "$dir" --listen 127.0.0.1:0 --port-file "$port_file" "$@" \
    "${STORE_ARGS[@]}" </dev/null >/dev/null 2>"$log" 3>&- &
  LAUNCHED_PID=$!
  LAUNCHED_LOG=$log
  for ((i = 0; i < 400; i++)); do
    if [[ -s $port_file ]]; then
      LAUNCHED_PORT=$(<"$port_file")
      return 0
    fi
    if ! kill -0 "$LAUNCHED_PID" 2>/dev/null; then
      printf 'clm-server exited before listening; its log:\n' >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.05
  done
  printf 'clm-server wrote no port file within 20 s; its log:\n' >&2
  cat "$log" >&2
  kill_pid "$LAUNCHED_PID"
  return 1
}

# start_server [SERVE ARGS...] (from setup_file): the file's shared server.
# Exports SERVER_PID SERVER_PORT SERVER_DIR SERVER_LOG SERVER_STORE, the CLM_* settings
# that reach it, and TEST_CLM_* copies that setup_common re-exports in every test.
start_server() {
  use_build_path
  clean_clm_env
  export SERVER_DIR="$BATS_FILE_TMPDIR/server"
  launch_server "$SERVER_DIR" "$@" || return 1
  export SERVER_PID=$LAUNCHED_PID SERVER_PORT=$LAUNCHED_PORT SERVER_LOG=$LAUNCHED_LOG
  export SERVER_STORE=$LAUNCHED_STORE
  export CLM_HOST=127.0.0.1 CLM_PORT=$SERVER_PORT CLM_CACERT="$SERVER_DIR/tls/ca.pem"
  export CLM_LICENSE_KEY_FILE="$SERVER_DIR/license.key"
  export TEST_CLM_HOST=$CLM_HOST TEST_CLM_PORT=$CLM_PORT TEST_CLM_CACERT=$CLM_CACERT
  export TEST_CLM_LICENSE_KEY_FILE=$CLM_LICENSE_KEY_FILE
  export ADMIN_KEY_FILE="$SERVER_DIR/admin.key" TEST_ADMIN_KEY_FILE="$SERVER_DIR/admin.key"
}

# stop_server (from teardown_file).
stop_server() {
  if [[ -n ${SERVER_PID:-} ]]; then
    kill_pid "$SERVER_PID"
  fi
}

# faketime_lib: print the path of libfaketime (Debian package faketime), or fail.
faketime_lib() {
  local lib
  for lib in /usr/lib/*/faketime/libfaketime.so.1; do
    [[ -f $lib ]] && printf '%s\n' "$lib" && return 0
  done
  return 1
}

# faketime_server DIR DAYS: restart the extra server on DIR with its clock DAYS days
# ahead, on a new port in EXTRA_PORT. libfaketime is preloaded into clm-server itself
# (what faketime -f +DAYSd does), not through the faketime command, which would stay
# the parent of the server: the pid teardown stops must be the server's.
faketime_server() {
  local dir=$1 days=$2 real lib wrapper=$BATS_TEST_TMPDIR/faketime-bin
  real=$(command -v clm-server)
  lib=$(faketime_lib) || return 1
  mkdir -p "$wrapper"
  printf '#!/bin/sh\nLD_PRELOAD=%s FAKETIME=+%sd exec %s "$@"\n' "$lib" "$days" "$real" >"$wrapper/clm-server"
  chmod +x "$wrapper/clm-server"
  kill_pid "$EXTRA_PID"
  PATH="$wrapper:$PATH" launch_server "$dir" --key-type ec-p256 || return 1
  register_pid "$LAUNCHED_PID"
  EXTRA_PID=$LAUNCHED_PID EXTRA_PORT=$LAUNCHED_PORT
  export CLM_PORT=$EXTRA_PORT
}

# start_extra_server NAME [--conf TEXT] [SERVE ARGS...] (from a test): a server of its
# own for destructive tests, initialized with an EC key (fast), stopped in teardown.
# With --conf, `clm-server init` runs first and TEXT becomes DIR/clm-server.conf (when
# the servers use PostgreSQL, init gets the --store of a fresh database and TEXT a
# `store = URI` line, as it replaces the conf init wrote).
# Sets EXTRA_DIR EXTRA_PORT EXTRA_PID EXTRA_LOG EXTRA_LICENSE EXTRA_STORE (the URI of
# its PostgreSQL database, or empty) and EXTRA_ADMIN_KEY_FILE.
start_extra_server() {
  local name=$1 conf=
  shift
  if [[ ${1:-} == --conf ]]; then
    conf=$2
    shift 2
  fi
  EXTRA_DIR="$BATS_TEST_TMPDIR/$name"
  EXTRA_STORE=
  if [[ -n $conf ]]; then
    store_args_for "$EXTRA_DIR" "$@" || return 1
    EXTRA_STORE=$STORE_URI
    t clm-server init --data-dir "$EXTRA_DIR" --key-type ec-p256 "${STORE_ARGS[@]}" 2>/dev/null || return 1
    if [[ -n $EXTRA_STORE ]]; then
      conf+=$'\n'"store = $EXTRA_STORE"
    fi
    printf '%s\n' "$conf" >"$EXTRA_DIR/clm-server.conf"
  fi
  launch_server "$EXTRA_DIR" --key-type ec-p256 "$@" || return 1
  register_pid "$LAUNCHED_PID"
  EXTRA_PID=$LAUNCHED_PID EXTRA_PORT=$LAUNCHED_PORT EXTRA_LOG=$LAUNCHED_LOG
  [[ -n $EXTRA_STORE ]] || EXTRA_STORE=$LAUNCHED_STORE
  EXTRA_LICENSE=$(<"$EXTRA_DIR/license.key")
  EXTRA_ADMIN_KEY_FILE="$EXTRA_DIR/admin.key"
}

# The start of every Python helper server: listen on 127.0.0.1:0 and publish the port
# in DIR/port (argv[1] is DIR) by rename, so a reader never sees half of it;
# read_head(c), the HTTP head of a request on a connection; and read_request(c), the
# head and the whole body.
PY_LISTENER_PROLOGUE='
import os, signal, socket, sys, threading
d = sys.argv[1]
signal.alarm(300)  # never outlive a forgotten teardown for long
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(64)
with open(d + "/port.tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(d + "/port.tmp", d + "/port")

def read_head(c):
    """Read an HTTP head from c: return it and the bytes after it, or None at EOF first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = c.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest

def read_request(c):
    """Read an HTTP request from c: return its head and its body (Content-Length bytes,
    fewer at EOF), or empty ones at EOF before the head."""
    head, body = read_head(c) or (b"", b"")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        chunk = c.recv(65536)
        if not chunk:
            break
        body += chunk
    return head, body
'

# start_py_listener BODY: run PY_LISTENER_PROLOGUE + BODY in the background, stopped
# in teardown. Sets PY_DIR (its directory), PY_PORT and PY_PID.
start_py_listener() {
  PY_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/py.XXXXXX")
  python3 -c "$PY_LISTENER_PROLOGUE$1" "$PY_DIR" </dev/null >/dev/null 2>"$PY_DIR/err" 3>&- &
  PY_PID=$!
  register_pid "$PY_PID"
  wait_until 20 test -s "$PY_DIR/port" || {
    cat "$PY_DIR/err" >&2
    return 1
  }
  PY_PORT=$(<"$PY_DIR/port")
}

# hostile_server: a TLS peer on loopback (python3) with a self-signed certificate for
# 127.0.0.1, pointed at by CLM_HOST/CLM_PORT/CLM_CACERT. It answers a request of mode M
# (GET for a request without a body) with the bytes of $ANSWERS/M, HTTP 200, or 404 when
# there is none, and closes the connection; $ANSWERS/.sessions gets a line per
# connection: "new", or "resumed" when the client resumed an earlier TLS session.
hostile_server() {
  local tls=$BATS_TEST_TMPDIR/hostile-tls
  mkdir -p "$tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$tls/key.pem" -out "$tls/cert.pem" 2>/dev/null || return 1
  start_py_listener "
import json, ssl
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain('$tls/cert.pem', '$tls/key.pem')
while True:
    c, _ = s.accept()
    try:
        t = ctx.wrap_socket(c, server_side=True)
        with open(d + '/.sessions', 'a') as f:
            f.write('resumed\n' if t.session_reused else 'new\n')
        head, body = read_request(t)
        mode = 'GET'
        if body:
            mode = str(json.loads(body).get('mode', 'none'))
        try:
            with open(d + '/' + mode, 'rb') as f:
                answer, status = f.read(), b'200 OK'
        except OSError:
            answer, status = b'{}', b'404 Not Found'
        t.sendall(b'HTTP/1.1 ' + status + b'\r\nContent-Type: application/json\r\nContent-Length: '
                  + str(len(answer)).encode() + b'\r\nConnection: close\r\n\r\n' + answer)
        t.close()
    except (OSError, ValueError):
        c.close()
" || return 1
  ANSWERS=$PY_DIR
  export CLM_HOST=127.0.0.1 CLM_PORT=$PY_PORT CLM_CACERT=$tls/cert.pem
}

# answer MODE JSON: what the peer answers to requests of MODE.
answer() {
  printf '%s' "$2" >"$ANSWERS/$1"
}

# stored_id: an ID/password the peer verified, in the state directory.
stored_id() {
  answer auth '{"errorcode":0}'
  printf 'cGFzc3dv\n' >"$BATS_TEST_TMPDIR/key"
  t clm-id verify --keyid 0000000001 --key-file "$BATS_TEST_TMPDIR/key" >/dev/null
}

# silent_server: something on loopback that accepts connections and never answers.
# Sets SILENT_PORT, SILENT_PID and SILENT_CONNS (a file that gets one line per accepted
# connection). Stopped in teardown.
silent_server() {
  start_py_listener '
held = []
while True:
    c, _ = s.accept()
    held.append(c)
    with open(d + "/conns", "a") as f:
        f.write("accepted\n")
' || return 1
  SILENT_PORT=$PY_PORT SILENT_PID=$PY_PID SILENT_CONNS="$PY_DIR/conns"
}

# connect_proxy: a small HTTP CONNECT proxy on loopback that tunnels to 127.0.0.1 only.
# Sets PROXY_PORT and PROXY_LOG (one request line per tunnel asked for). Stopped in teardown.
connect_proxy() {
  start_py_listener '
def pipe(a, b):
    try:
        while True:
            data = a.recv(65536)
            if not data:
                break
            b.sendall(data)
    except OSError:
        pass
    for x in (a, b):
        try:
            x.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

def handle(c):
    got = read_head(c)
    if got is None:
        return
    line = got[0].split(b"\r\n", 1)[0].decode()
    with open(d + "/log", "a") as f:
        f.write(line + "\n")
    method, target = line.split(" ")[:2]
    host, port = target.rsplit(":", 1)
    if method != "CONNECT" or host not in ("127.0.0.1", "localhost"):
        c.sendall(b"HTTP/1.1 403 Forbidden\r\n\r\n")
        c.close()
        return
    u = socket.create_connection((host, int(port)))
    c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    pipe(u, c)

while True:
    c, _ = s.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
' || return 1
  PROXY_PORT=$PY_PORT PROXY_LOG="$PY_DIR/log"
}

# ---------------------------------------------------------------------------------
# Talking to a server with curl

# api_request METHOD PATH [BODY]
# One HTTPS request with curl, verified against the CA of the server in API_DIR
# (default SERVER_DIR) on API_PORT (default SERVER_PORT). Authenticates with
# API_LICENSE (default: API_DIR/license.key); API_LICENSE=none sends no credentials.
# A BODY of @FILE sends FILE's bytes unchanged.
# Sets API_STATUS, API_BODY and API_HEADERS (a file).
api_request() {
  local method=$1 path=$2 body=${3-}
  local dir=${API_DIR:-$SERVER_DIR} port=${API_PORT:-$SERVER_PORT}
  local license=${API_LICENSE:-}
  [[ -n $license ]] || license=$(<"$dir/license.key")
  local args=(-sS --noproxy '*' --max-time 20 --cacert "$dir/tls/ca.pem" -X "$method"
    -o "$BATS_TEST_TMPDIR/api.body" -D "$BATS_TEST_TMPDIR/api.headers" -w '%{http_code}')
  if [[ $license != none ]]; then
    args+=(-u "$LICENSE_USER:$license")
  fi
  if [[ $# -ge 3 ]]; then
    args+=(-H 'Content-Type: application/json' --data-binary "$body")
  fi
  API_STATUS=$(curl "${args[@]}" "https://127.0.0.1:$port$path") || return 1
  API_BODY=$(<"$BATS_TEST_TMPDIR/api.body")
  API_HEADERS="$BATS_TEST_TMPDIR/api.headers"
}

# admin_request METHOD PATH [BODY]: api_request with the admin license key of the server
# in API_DIR (default SERVER_DIR).
admin_request() {
  API_LICENSE=$(<"${API_DIR:-$SERVER_DIR}/admin.key") api_request "$@"
}

# Print the number of request lines ("... errorcode=...") in a server log.
request_lines() {
  grep -c 'errorcode=' "$1" || true
}

# log_has_at_least LOG N: the log holds at least N request lines.
log_has_at_least() {
  (($(request_lines "$1") >= $2))
}

# log_mark: remember how many request lines the shared server's log holds now. A settle
# request goes first, so that the lines of earlier requests are all written.
log_mark() {
  local n
  n=$(request_lines "$SERVER_LOG")
  API_LICENSE=none api_request GET /SWCLM/SystemStatus
  wait_until 10 log_has_at_least "$SERVER_LOG" $((n + 1))
  LOG_MARK=$(request_lines "$SERVER_LOG")
}

# assert_no_requests_since_mark: the shared server got no request since log_mark.
# Sends a marker request and waits for its line, so that any earlier request is logged.
assert_no_requests_since_mark() {
  API_LICENSE=none api_request GET /SWCLM/SystemStatus
  wait_until 10 log_has_at_least "$SERVER_LOG" $((LOG_MARK + 1))
  local now
  now=$(request_lines "$SERVER_LOG")
  if ((now != LOG_MARK + 1)); then
    printf 'expected no request since the mark, but the server logged:\n' >&2
    grep 'errorcode=' "$SERVER_LOG" | tail -n $((now - LOG_MARK)) >&2
    return 1
  fi
}

# ---------------------------------------------------------------------------------
# Defaults for every test file; a file that loads this one may redefine them.

setup() {
  load_libs
  setup_common
}

teardown() {
  teardown_common
}

teardown_file() {
  stop_server
}

# key_fleet N LIST: devices <dev 1>..<dev N>, device i with i keys (AES-128, alias
# a<test>-i-j) in BATS_TEST_TMPDIR/keys/<device>/k<j>; their names in LIST, one per
# line; the key numbers of device i in KEYS_<i> (space-separated).
key_fleet() {
  local n=$1 list=$2 i j device
  : >"$list"
  for ((i = 1; i <= n; i++)); do
    device=$(dev "$i")
    mkdir -p "$BATS_TEST_TMPDIR/keys/$device"
    local numbers=()
    for ((j = 1; j <= i; j++)); do
      numbers+=("$(t clm-key create --device "$device" --alias "a$BATS_TEST_NUMBER-$i-$j" --type AES \
        --out "$BATS_TEST_TMPDIR/keys/$device" --name "k$j" | jq -r .keynumber)")
    done
    printf -v "KEYS_$i" '%s' "${numbers[*]}"
    printf '%s\n' "$device" >>"$list"
  done
}
