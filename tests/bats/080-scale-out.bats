#!/usr/bin/env bats
# Scale-out: several clm-servers sharing one PostgreSQL database, all on loopback with
# real TLS and the real binaries. Two servers, A and B, serve the SAME data dir (one
# master key, license key and TLS identity; a PostgreSQL store takes no lock on it) on
# two ports; haproxy (mode tcp, TLS passes through) balances between them. A key made
# through one server is read through the other, the CRL is the same whichever answers,
# a race of updates across both servers has one winner, and kill -9 of one server in a
# stream of creates loses no answered create.
#
# Needs CLM_TEST_PG_CLUSTER (scripts/pg-cluster start DIR); every test skips without it.
# The haproxy tests need /usr/sbin/haproxy (apt-get install haproxy).

load helpers

setup_file() {
  # The tests start servers and count their log lines: never run them in parallel.
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
}

setup() {
  load_libs
  setup_common
  skip_unless_pg
  use_tool_path clm-cert
  use_tool_path clm-key
  use_tool_path clm-keyget
}

# serve_dir NAME DIR: `clm-server serve --data-dir DIR` on a port of its own, stderr in
# BATS_TEST_TMPDIR/NAME.log, stopped in teardown. Sets SERVED_PID, SERVED_PORT and
# SERVED_LOG.
serve_dir() {
  launch_server --files "$BATS_TEST_TMPDIR/$1" "$2" || return 1
  register_pid "$LAUNCHED_PID"
  SERVED_PID=$LAUNCHED_PID SERVED_PORT=$LAUNCHED_PORT SERVED_LOG=$LAUNCHED_LOG
}

# start_pair: a fresh PostgreSQL database, one data dir initialized on it (ec-p256:
# fast), and two servers serving that one data dir. Sets PAIR_DIR, PAIR_STORE (the
# URI), A_PID A_PORT A_LOG, B_PID B_PORT B_LOG, and points the clients at A
# (CLM_HOST, CLM_PORT, CLM_CACERT, CLM_LICENSE_KEY_FILE).
start_pair() {
  PAIR_DIR=$BATS_TEST_TMPDIR/data
  PAIR_STORE=$(new_pg_database) || return 1
  t clm-server init --data-dir "$PAIR_DIR" --store "$PAIR_STORE" --key-type ec-p256 \
    >/dev/null 2>"$BATS_TEST_TMPDIR/init.log" || {
    cat "$BATS_TEST_TMPDIR/init.log" >&2
    return 1
  }
  serve_dir a "$PAIR_DIR" || return 1
  A_PID=$SERVED_PID A_PORT=$SERVED_PORT A_LOG=$SERVED_LOG
  serve_dir b "$PAIR_DIR" || return 1
  B_PID=$SERVED_PID B_PORT=$SERVED_PORT B_LOG=$SERVED_LOG
  export CLM_HOST=127.0.0.1 CLM_PORT=$A_PORT CLM_CACERT="$PAIR_DIR/tls/ca.pem"
  export CLM_LICENSE_KEY_FILE="$PAIR_DIR/license.key"
}

# port_listens PORT: something accepts connections on 127.0.0.1:PORT.
port_listens() {
  (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# start_haproxy: haproxy in the foreground (-db), mode tcp, round robin over A and B
# with health checks every 200 ms (one failure marks a server down), up to 3 connect
# retries and a redispatch to the other server. Stopped in teardown. Sets HAPROXY_PORT,
# HAPROXY_PID and HAPROXY_LOG (its stderr).
start_haproxy() {
  command -v haproxy >/dev/null || PATH=$PATH:/usr/sbin
  command -v haproxy >/dev/null || {
    printf 'haproxy is not installed (apt-get install haproxy)\n' >&2
    return 1
  }
  local cfg=$BATS_TEST_TMPDIR/haproxy.cfg
  HAPROXY_PORT=$(closed_port)
  HAPROXY_LOG=$BATS_TEST_TMPDIR/haproxy.log
  cat >"$cfg" <<EOF
global
  maxconn 512

defaults
  mode tcp
  timeout connect 1s
  timeout client 30s
  timeout server 30s
  retries 3
  option redispatch

frontend clm
  bind 127.0.0.1:$HAPROXY_PORT
  default_backend clm_servers

backend clm_servers
  balance roundrobin
  server a 127.0.0.1:$A_PORT check inter 200 fall 1 rise 1
  server b 127.0.0.1:$B_PORT check inter 200 fall 1 rise 1
EOF
  haproxy -f "$cfg" -db </dev/null >"$HAPROXY_LOG" 2>&1 3>&- &
  HAPROXY_PID=$!
  register_pid "$HAPROXY_PID"
  wait_until 10 port_listens "$HAPROXY_PORT" || {
    cat "$HAPROXY_LOG" >&2
    return 1
  }
}

# sql QUERY: run QUERY on the pair's database; unaligned, tuples only, '|' between columns.
sql() {
  psql -X -q -v ON_ERROR_STOP=1 -At "$PAIR_STORE" -c "$1"
}

# log_count LOG REGEX: the number of request lines of a server log matching REGEX.
log_count() {
  grep 'errorcode=' "$1" | grep -c -E "$2" || true
}

# log_count_at_least LOG REGEX N
log_count_at_least() {
  (($(log_count "$1" "$2") >= $3))
}

# A key create as the server logs it (POST /SWCLM/KeyInfo answered 201).
CREATED_RE='POST /SWCLM/KeyInfo 201 '

# state_copy NAME: a copy of this test's state directory (the verified ID, the devices
# registered) for a client that runs beside others: the tools take the state
# directory's lock and end with exit 6 when it is taken, so parallel clients each need
# a state directory of their own. Prints its path.
state_copy() {
  local d=$BATS_TEST_TMPDIR/state.$1
  rm -rf "$d"
  cp -a "$CLM_STATE_DIR" "$d"
  rm -f "$d/lock"
  printf '%s\n' "$d"
}

# ---------------------------------------------------------------------------------

@test "two servers on one database: a key created through one is read through the other" {
  local d g device kn
  start_pair
  # The store is the database named in the data dir's conf: no SQLite file, and the
  # two servers really are two processes on two ports.
  assert_equal "$(grep '^store' "$PAIR_DIR/clm-server.conf")" "store = $PAIR_STORE"
  assert_file_not_exists "$PAIR_DIR/clm.db"
  ((A_PORT != B_PORT))
  kill -0 "$A_PID"
  kill -0 "$B_PID"
  # The ID is made and verified through A.
  verified_id
  d=$(outdir created)
  g=$(outdir got)
  device=$(dev gw)
  run_clm -0 clm-key create --port "$A_PORT" --device "$device" --alias "k$BATS_TEST_NUMBER" --type AES \
    --length 256 --out "$d"
  assert_equal "$stderr" ''
  kn=$(jq_of "$output" .keynumber)
  assert_regex "$kn" '^[1-9][0-9]*$'
  # Through B: by number, and by alias.
  run_clm -0 clm-key get --port "$B_PORT" --device "$device" --keynumber "$kn" --out "$g"
  assert_equal "$stderr" ''
  assert_equal "$(jq_of "$output" .keynumber)" "$kn"
  cmp "$d/cmkey" "$g/cmkey"
  run_clm -0 clm-key get --port "$B_PORT" --device "$device" --alias "k$BATS_TEST_NUMBER" --out "$g" \
    --name byalias
  assert_equal "$(jq_of "$output" .keynumber)" "$kn"
  cmp "$d/cmkey" "$g/byalias"
  # B confirms the file holds its key (mode auth; the key is bound to the path of the
  # latest get, which B recorded), and so does A.
  run_clm -0 clm-key verify --port "$B_PORT" --device "$device" --keynumber "$kn" --in "$g" --name byalias
  assert_equal "$(jq_of "$output" .verified)" true
  run_clm -0 clm-key verify --port "$A_PORT" --device "$device" --keynumber "$kn" --in "$g" --name byalias
  assert_equal "$(jq_of "$output" .verified)" true
  # One key row in the shared database, the one A issued.
  assert_equal "$(sql 'SELECT count(*) FROM keys')" 1
  assert_equal "$(sql 'SELECT keynumber, alias, status FROM keys')" "$kn|k$BATS_TEST_NUMBER|valid"
  # A logged the create, B the reads: each request went where it was sent.
  wait_until 10 log_count_at_least "$A_LOG" "$CREATED_RE" 1
  wait_until 10 log_count_at_least "$B_LOG" 'POST /SWCLM/KeyInfo 200 ' 3
  wait_until 10 log_count_at_least "$A_LOG" 'POST /SWCLM/KeyInfo 200 ' 1
  assert_equal "$(log_count "$B_LOG" "$CREATED_RE")" 0
}

# key_get_answers PORT ERRORCODE ARGS...: clm-key get ARGS through the server on PORT
# answers ERRORCODE.
key_get_answers() {
  local port=$1 code=$2
  shift 2
  run_clm clm-key get --port "$port" "$@"
  [[ $(jq_of "$output" .errorcode) == "$code" ]]
}

@test "a change made through one server reaches the other's read cache: an updated key is 1509, a deleted ID 1202" {
  local d g device kn new ids
  start_pair
  verified_id
  d=$(outdir created)
  g=$(outdir got)
  device=$(dev gw)
  run_clm -0 clm-key create --port "$A_PORT" --device "$device" --alias "k$BATS_TEST_NUMBER" --type AES \
    --length 128 --out "$d"
  kn=$(jq_of "$output" .keynumber)
  # B reads it twice: the ID, the device, the key and its binding are in B's cache.
  run_clm -0 clm-key get --port "$B_PORT" --device "$device" --keynumber "$kn" --out "$g"
  run_clm -0 clm-key get --port "$B_PORT" --device "$device" --keynumber "$kn" --out "$g"
  cmp "$d/cmkey" "$g/cmkey"
  # Updated through A: B hears of it and refuses the old key.
  run_clm -0 clm-key update --port "$A_PORT" --device "$device" --keynumber "$kn" --out "$d"
  new=$(jq_of "$output" .keynumber)
  wait_until 10 key_get_answers "$B_PORT" 1509 --device "$device" --keynumber "$kn" --out "$g"
  run_clm -0 clm-key get --port "$B_PORT" --device "$device" --keynumber "$new" --out "$g"
  cmp "$d/cmkey" "$g/cmkey"
  # The ID deleted through A: B refuses it (the deleting client forgets the ID; a copy
  # of its state directory still holds it).
  ids=$(state_copy before-delete)
  run_clm -0 clm-id delete --port "$A_PORT"
  CLM_STATE_DIR=$ids wait_until 10 key_get_answers "$B_PORT" 1202 --device "$device" --keynumber "$new" --out "$g"
  # Neither server said its cache went off.
  run grep -c 'change notices' "$A_LOG" "$B_LOG"
  assert_output "$A_LOG:0
$B_LOG:0"
}

# fetch_crl_from PORT OUT: GET /SWCLM/CRL?catype=ca1 (no credentials) from the server of
# the pair on PORT into OUT.
fetch_crl_from() {
  API_DIR=$PAIR_DIR API_PORT=$1 API_LICENSE=none api_request GET '/SWCLM/CRL?catype=ca1' || return 1
  [[ $API_STATUS == 200 ]] || {
    printf 'GET /SWCLM/CRL on port %s answered %s: %s\n' "$1" "$API_STATUS" "$API_BODY" >&2
    return 1
  }
  cp "$BATS_TEST_TMPDIR/api.body" "$2"
}

# crl_serials FILE: the revoked serials a CRL lists, upper-case hex without leading
# zeros, sorted, one per line.
crl_serials() {
  openssl crl -in "$1" -noout -text | sed -n 's/^ *Serial Number: *//p' | norm_serials
}

# norm_serials: stdin's serials (optionally "serial=" prefixed) normalized, sorted.
norm_serials() {
  local s
  while read -r s; do
    s=${s#*=}
    s=${s^^}
    while [[ $s == 0?* ]]; do
      s=${s#0}
    done
    printf '%s\n' "$s"
  done | sort
}

@test "the CRL is the same whichever server answers" {
  local d1 d2 dev1 dev2 first second c=$BATS_TEST_TMPDIR
  start_pair
  verified_id
  d1=$(outdir one)
  d2=$(outdir two)
  dev1=$(dev one)
  dev2=$(dev two)
  run_clm -0 clm-cert create --mode client --device "$dev1" --subject "/O=clm-test/CN=$dev1" --out "$d1"
  first=$(jq_of "$output" .certserial)
  local first_kn
  first_kn=$(jq_of "$output" .keynumber)
  run_clm -0 clm-cert create --mode client --port "$B_PORT" --device "$dev2" --subject "/O=clm-test/CN=$dev2" \
    --out "$d2"
  second=$(jq_of "$output" .certserial)
  local second_kn
  second_kn=$(jq_of "$output" .keynumber)

  # Revoked through A; the CRL fetched from B first, then A, then B again.
  run_clm -0 clm-cert revoke --port "$A_PORT" --device "$dev1" --keynumber "$first_kn"
  assert_equal "$(jq_of "$output" .certserial)" "$first"
  fetch_crl_from "$B_PORT" "$c/b1.pem"
  fetch_crl_from "$A_PORT" "$c/a1.pem"
  fetch_crl_from "$B_PORT" "$c/b1again.pem"
  cmp "$c/a1.pem" "$c/b1.pem"
  cmp "$c/a1.pem" "$c/b1again.pem"
  assert_file_contains "$c/a1.pem" '^-----BEGIN X509 CRL-----$'
  run crl_serials "$c/a1.pem"
  assert_success
  assert_output "$(norm_serials <<<"$first")"
  # Signed by ca1, and a CRL-checking verifier refuses the revoked certificate.
  run openssl crl -in "$c/a1.pem" -CAfile "$d1/cacert.pem" -noout -verify
  assert_success
  assert_output --partial 'verify OK'
  run openssl verify -crl_check -CRLfile "$c/a1.pem" -CAfile "$d1/cacert.pem" "$d1/clcert.pem"
  assert_failure
  assert_output --partial 'revoked'

  # A second revocation, through B: the CRL A answers lists both at once, and is
  # again byte for byte the one B answers.
  run_clm -0 clm-cert revoke --port "$B_PORT" --device "$dev2" --keynumber "$second_kn"
  fetch_crl_from "$A_PORT" "$c/a2.pem"
  fetch_crl_from "$B_PORT" "$c/b2.pem"
  cmp "$c/a2.pem" "$c/b2.pem"
  run cmp -s "$c/a1.pem" "$c/a2.pem"
  assert_failure
  run crl_serials "$c/b2.pem"
  assert_success
  assert_output "$(printf '%s\n%s\n' "$first" "$second" | norm_serials)"
  run openssl crl -in "$c/b2.pem" -CAfile "$d2/cacert.pem" -noout -verify
  assert_success
  # The database holds the two revocations.
  assert_equal "$(sql "SELECT count(*) FROM certs WHERE status = 'revoked'")" 2
}

@test "16 parallel updates of one key across two servers: one succeeds, fifteen get 1504" {
  local d device kn i port state
  start_pair
  verified_id
  d=$(outdir key)
  device=$(dev gw)
  run_clm -0 clm-key create --device "$device" --alias "k$BATS_TEST_NUMBER" --type AES --length 128 --out "$d"
  kn=$(jq_of "$output" .keynumber)
  # Sixteen clients, each with a state directory and an output directory of its own,
  # odd ones on A, even ones on B; all held at a barrier, then let go together. The
  # barrier is a lock this shell holds (flock: the clients sleep in the kernel, no
  # polling to slow the machine down while they gather).
  local barrier=$BATS_TEST_TMPDIR/barrier pids=()
  exec 4>"$barrier"
  flock -x 4
  for ((i = 1; i <= 16; i++)); do
    port=$A_PORT
    ((i % 2 == 0)) && port=$B_PORT
    cp -a "$d" "$BATS_TEST_TMPDIR/out.$i"
    state=$(state_copy "$i")
    (
      flock -s "$barrier" true
      rc=0
      CLM_STATE_DIR=$state timeout 120 clm-key update --port "$port" --device "$device" --keynumber "$kn" \
        --out "$BATS_TEST_TMPDIR/out.$i" >"$BATS_TEST_TMPDIR/upd.$i.out" 2>"$BATS_TEST_TMPDIR/upd.$i.err" || rc=$?
      printf '%s\n' "$rc" >"$BATS_TEST_TMPDIR/upd.$i.rc"
    ) </dev/null 3>&- 4>&- &
    pids+=("$!")
    register_pid "$!"
  done
  # Let every client reach the barrier, then start them at once.
  sleep 0.3
  exec 4>&-
  for i in "${pids[@]}"; do
    wait "$i"
  done

  local won=() lost=() winner_kn rc out
  for ((i = 1; i <= 16; i++)); do
    rc=$(<"$BATS_TEST_TMPDIR/upd.$i.rc")
    out=$(<"$BATS_TEST_TMPDIR/upd.$i.out")
    if [[ $rc == 0 ]]; then
      won+=("$i")
      winner_kn=$(jq_of "$out" .keynumber)
    else
      # Every loser: exit 200, HTTP 403, errorcode 1504 (the key is no longer valid),
      # its key file untouched.
      if [[ $rc != 200 || $(jq_of "$out" .errorcode) != 1504 || $(jq_of "$out" .http_status) != 403 ]]; then
        printf 'client %s: exit %s, stdout %s, stderr %s\n' "$i" "$rc" "$out" \
          "$(<"$BATS_TEST_TMPDIR/upd.$i.err")" >&2
        return 1
      fi
      cmp "$d/cmkey" "$BATS_TEST_TMPDIR/out.$i/cmkey"
      lost+=("$i")
    fi
  done
  assert_equal "${#won[@]}" 1
  assert_equal "${#lost[@]}" 15
  ((winner_kn > kn))
  # Each server answered its eight (the race really was across the two).
  wait_until 10 log_count_at_least "$A_LOG" 'POST /SWCLM/KeyInfo (200|403) ' 8
  wait_until 10 log_count_at_least "$B_LOG" 'POST /SWCLM/KeyInfo (200|403) ' 8
  # In the database: the old key updated and replaced by the winner's, the only new row.
  assert_equal "$(sql "SELECT keynumber, status, replaced_by FROM keys ORDER BY keynumber")" \
    "$kn|updated|$winner_kn"$'\n'"$winner_kn|valid|"
  # The winner's file holds the key the server hands out for the new number (via B).
  run_clm -0 clm-key get --port "$B_PORT" --device "$device" --keynumber "$winner_kn" --out "$(outdir got)"
  cmp "$BATS_TEST_TMPDIR/out.${won[0]}/cmkey" "$BATS_TEST_TMPDIR/got/cmkey"
}

# create_stream S COUNT STATE_DIR: COUNT clm-key creates of device g<S>, aliases a<S>-<i>,
# one after another through CLM_HOST/CLM_PORT with the state directory STATE_DIR, each
# under timeout 120. Appends "S-i EXIT KEYNUMBER" (KEYNUMBER "-" when none was printed)
# to BATS_TEST_TMPDIR/results as each ends; stdout/stderr in BATS_TEST_TMPDIR/runs/S-i.*.
create_stream() {
  local s=$1 count=$2 state=$3 i rc kn device
  device=$(dev "g$s")
  for ((i = 1; i <= count; i++)); do
    rc=0
    CLM_STATE_DIR=$state timeout 120 clm-key create --device "$device" --alias "a$s-$i" --type AES --length 128 \
      --out "$BATS_TEST_TMPDIR/keys" --name "$s-$i.key" \
      >"$BATS_TEST_TMPDIR/runs/$s-$i.out" 2>"$BATS_TEST_TMPDIR/runs/$s-$i.err" || rc=$?
    kn=$(jq -r '.keynumber // "-"' "$BATS_TEST_TMPDIR/runs/$s-$i.out" 2>/dev/null) || kn=-
    [[ -n $kn ]] || kn=-
    printf '%s %s %s\n' "$s-$i" "$rc" "$kn" >>"$BATS_TEST_TMPDIR/results"
  done
}

# results_at_least N: the streams have recorded at least N creates.
results_at_least() {
  [[ -f $BATS_TEST_TMPDIR/results ]] && (($(wc -l <"$BATS_TEST_TMPDIR/results") >= $1))
}

@test "kill -9 of one server in a stream of creates behind haproxy: every create answered is in the database, clm-keyget of the fleet sees them all" {
  local streams=4 per=15 total s i pids=()
  total=$((streams * per))
  start_pair
  start_haproxy
  # Everything goes through haproxy from here on, with up to 5 retries.
  export CLM_HOST=127.0.0.1 CLM_PORT=$HAPROXY_PORT CLM_RETRY=5
  verified_id
  mkdir -p "$BATS_TEST_TMPDIR/keys" "$BATS_TEST_TMPDIR/runs"
  : >"$BATS_TEST_TMPDIR/results"
  # Four streams side by side (a state directory each: the tools lock theirs), so
  # that at the kill some creates are likely in flight.
  for ((s = 1; s <= streams; s++)); do
    create_stream "$s" "$per" "$(state_copy "s$s")" </dev/null 3>&- &
    pids+=("$!")
    register_pid "$!"
  done
  # A third of the way in: both servers have been serving creates (round robin), then
  # A dies without a chance to answer what it holds.
  wait_until 60 results_at_least $((total / 3))
  wait_until 10 log_count_at_least "$A_LOG" "$CREATED_RE" 1
  wait_until 10 log_count_at_least "$B_LOG" "$CREATED_RE" 1
  # B's count is taken before the kill and the streams' after it, so that both err on
  # the safe side for the check of B below: the creates recorded after that count all
  # ended after the kill, and all but the (at most one per stream) in flight at the
  # kill began after it, when haproxy had only B to send them to.
  local at_kill b_mark
  b_mark=$(log_count "$B_LOG" "$CREATED_RE")
  kill -KILL "$A_PID"
  at_kill=$(wc -l <"$BATS_TEST_TMPDIR/results")
  wait "$A_PID" 2>/dev/null || true
  for s in "${pids[@]}"; do
    wait "$s"
  done
  assert_equal "$(wc -l <"$BATS_TEST_TMPDIR/results")" "$total"
  # The kill really was in the middle of the stream.
  ((at_kill < total - streams))

  # What the clients were told, and what the database holds.
  local ok=0 failed=0 name rc kn rows row
  rows=$(sql "SELECT k.alias, k.keynumber, d.devicename FROM keys k JOIN devices d USING (deviceid)")
  declare -A db_kn=() db_dev=() db_n=()
  while IFS='|' read -r name kn row; do
    [[ -n $name ]] || continue
    db_n[$name]=$((${db_n[$name]:-0} + 1))
    db_kn[$name]=$kn
    db_dev[$name]=$row
  done <<<"$rows"
  while read -r name rc kn; do
    s=${name%%-*}
    if [[ $rc == 0 ]]; then
      ok=$((ok + 1))
      # Answered 201: exactly one row with the alias, the number the client printed,
      # bound to the client's device, and the key file written.
      if [[ ${db_n[a$name]:-0} != 1 || ${db_kn[a$name]} != "$kn" || ${db_dev[a$name]} != "$(dev "g$s")" ]]; then
        printf 'create %s answered keynumber %s; the database holds %s row(s): keynumber %s, device %s\n' \
          "$name" "$kn" "${db_n[a$name]:-0}" "${db_kn[a$name]:-}" "${db_dev[a$name]:-}" >&2
        return 1
      fi
      assert_file_exists "$BATS_TEST_TMPDIR/keys/$name.key"
    else
      failed=$((failed + 1))
      # Not answered. Only a create A held when it died may end so: it was sent
      # (creates are retried only when they cannot have been sent, so a refused
      # connection is retried through haproxy to B and ends 0), so the tool must not
      # send it again and says so (exit 40). A may have committed it before dying,
      # with no one to tell: zero or one row, never two.
      printf '# create %s failed: exit %s: %s\n' "$name" "$rc" "$(<"$BATS_TEST_TMPDIR/runs/$name.err")" >&3
      assert_equal "$rc" 40
      assert_file_contains "$BATS_TEST_TMPDIR/runs/$name.err" 'not sent again'
      ((${db_n[a$name]:-0} <= 1))
      assert_file_not_exists "$BATS_TEST_TMPDIR/keys/$name.key"
    fi
  done <"$BATS_TEST_TMPDIR/results"
  # At most one create per stream was in flight at the kill.
  ((failed <= streams))
  # The bounds on the rows. Every answered create is a row (checked above: nothing
  # answered but lost), so rows >= answered. A failed create is one whose connection
  # was cut after the request was sent: A may have committed it and died before
  # answering, so the client never learnt its keynumber; or A died before committing
  # it. Either way the tool never sent it again (no blind resend through haproxy to
  # B), so it is at most one row: rows <= answered + failed. And no alias twice, no
  # key number twice: nothing issued twice.
  local nrows
  nrows=$(sql "SELECT count(*) FROM keys")
  ((nrows >= ok && nrows <= ok + failed))
  assert_equal "$(sql "SELECT count(*) FROM (SELECT alias FROM keys GROUP BY alias HAVING count(*) > 1) x")" 0
  assert_equal "$(sql "SELECT count(DISTINCT keynumber) FROM keys")" "$nrows"

  # After the kill, B took every create: at least those recorded after it but the few
  # in flight at the kill.
  run kill -0 "$A_PID"
  assert_failure
  wait_until 10 log_count_at_least "$B_LOG" "$CREATED_RE" $((b_mark + total - at_kill - streams))

  # The whole fleet through haproxy (B alone now): one file per key row, the bytes of
  # every answered create.
  local out
  out=$(outdir fleet)
  for ((s = 1; s <= streams; s++)); do
    dev "g$s"
  done >"$BATS_TEST_TMPDIR/list"
  run_clm -0 clm-keyget -i "$BATS_TEST_TMPDIR/list" -o "$out" -e "$BATS_TEST_TMPDIR/keyget.err"
  assert_equal "${#lines[@]}" "$streams"
  assert_equal "$(jq -s 'map(select(.ok)) | length' <<<"$output")" "$streams"
  assert_equal "$(find "$out" -mindepth 1 | wc -l)" "$nrows"
  assert_equal "$(find "$out" -mindepth 1 -printf '%f\n' | sort)" \
    "$(sql "SELECT d.devicename || '_' || k.keynumber FROM keys k JOIN devices d USING (deviceid)" | sort)"
  while read -r name rc kn; do
    [[ $rc == 0 ]] || continue
    s=${name%%-*}
    assert_equal "$(<"$out/$(dev "g$s")_$kn")" "$(hexof "$BATS_TEST_TMPDIR/keys/$name.key")"
  done <"$BATS_TEST_TMPDIR/results"
  # haproxy sent those reads to B.
  wait_until 10 log_count_at_least "$B_LOG" 'POST /SWCLM/(DeviceInfo|KeyInfo) 200 ' 2
  printf '# answered %s, failed %s, rows %s, recorded at the kill %s\n' "$ok" "$failed" "$nrows" \
    "$at_kill" >&3
}

@test "joining a shared store: init on a store another server initialized, or a master key of its own, is refused" {
  local uri first="$BATS_TEST_TMPDIR/first" second="$BATS_TEST_TMPDIR/second"
  uri=$(new_pg_database)
  run_clm -0 clm-server init --data-dir "$first" --store "$uri" --key-type ec-p256
  # A second init on the same database makes no second CA: refused, and nothing is left in the new directory
  # that could serve (no master key).
  run_clm -3 clm-server init --data-dir "$second" --store "$uri" --key-type ec-p256
  assert_regex "$stderr" "^clm-server: error: .* is initialized already, by another server; copy its data directory's master.key"
  assert_equal "${#lines[@]}" 0
  assert [ ! -e "$second/master.key" ]
  assert_equal "$(psql -X -At "$uri" -c "SELECT count(*) FROM key_pairs WHERE name = 'ca1'")" 1
  # A copy of the first directory with a master key of its own does not serve the store.
  cp -a "$first" "$second.copy"
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$second.copy/master.key"
  printf '\n' >>"$second.copy/master.key"
  run_clm -15 clm-server serve --data-dir "$second.copy" --listen 127.0.0.1:0
  assert_regex "$stderr" "master.key does not open the CA key in postgresql://.*: servers sharing a store need the master.key"
  # A URI carrying a password is refused before anything is made.
  run_clm -3 clm-server init --data-dir "$BATS_TEST_TMPDIR/pw" --store "postgresql://clm:hunter2@127.0.0.1/clm"
  refute_regex "$stderr" hunter2
  assert_regex "$stderr" 'passfile'
}
