#!/usr/bin/env bats
# clm-server migrate --to: a whole SQLite store copied into PostgreSQL (counts and
# digests checked), then served from there: clm-keyget and clm-cert get give the very
# files they gave before, and numbering goes on after the copied numbers. A copy that
# does not arrive whole is refused and leaves nothing behind.

load helpers

setup() {
  load_libs
  setup_common
  use_tool_path clm-key
  use_tool_path clm-keyget
  use_tool_path clm-cert
}

@test "a SQLite store copied into PostgreSQL serves byte-identical keys and certificates" {
  skip_unless_pg
  skip_if_pg_selected "the source of the copy is a SQLite store"
  start_extra_server copied
  export CLM_HOST=127.0.0.1 CLM_PORT=$EXTRA_PORT CLM_CACERT="$EXTRA_DIR/tls/ca.pem" \
    CLM_LICENSE_KEY_FILE="$EXTRA_DIR/license.key"
  verified_id
  local i j device list="$BATS_TEST_TMPDIR/list" before after certs_before certs_after
  before=$(outdir before) after=$(outdir after) certs_before=$(outdir certs-before) certs_after=$(outdir certs-after)
  : >"$list"
  mkdir -p "$BATS_TEST_TMPDIR/keys"
  for i in 1 2 3; do
    device=$(dev "$i")
    for ((j = 1; j <= i; j++)); do
      t clm-key create --device "$device" --alias "a$i-$j" --type AES --out "$BATS_TEST_TMPDIR/keys" --name "$device-$j" >/dev/null
    done
    t clm-cert create --mode client --device "$device" --subject "/O=clm-test/CN=$device" \
      --out "$(outdir "issued-$i")" >"$BATS_TEST_TMPDIR/issued-$i.json"
    printf '%s\n' "$device" >>"$list"
  done
  # A revoked certificate: the CRL moves too.
  t clm-cert revoke <"$BATS_TEST_TMPDIR/issued-1.json" >/dev/null
  run_clm -0 clm-keyget -i "$list" -o "$before" -e "$BATS_TEST_TMPDIR/err.log" --sha256
  for i in 2 3; do
    t clm-cert get --device "$(dev "$i")" --keynumber "$(jq -r .keynumber "$BATS_TEST_TMPDIR/issued-$i.json")" \
      --out "$(outdir "certs-before/$i")" >/dev/null
  done
  kill_pid "$EXTRA_PID"

  local uri
  uri=$(new_pg_database)
  run_clm -0 clm-server migrate --data-dir "$EXTRA_DIR" --to "$uri"
  local report=$output table rows
  assert_equal "$(jq -r .to <<<"$report")" "$uri"
  # Every table: the rows counted in SQLite, and in PostgreSQL after the copy.
  for table in ids devices certs keys key_bindings events keynumbers key_pairs crls; do
    rows=$(jq -r --arg t "$table" '.tables[] | select(.table == $t) | .rows' <<<"$report")
    assert_equal "$rows" "$(sqlite3 "$EXTRA_DIR/clm.db" "SELECT count(*) FROM $table")"
    assert_equal "$(psql -X -At "$uri" -c "SELECT count(*) FROM $table")" "$rows"
    assert_regex "$(jq -r --arg t "$table" '.tables[] | select(.table == $t) | .sha256' <<<"$report")" '^[0-9a-f]{64}$'
  done
  assert_equal "$(jq -r '.tables[] | select(.table == "keys") | .rows' <<<"$report")" 6
  # Secrets are still sealed: the bytes of a sealed key are the same in both stores.
  assert_equal "$(psql -X -At "$uri" -c "SELECT encode(sealed_key, 'hex') FROM keys ORDER BY keynumber LIMIT 1")" \
    "$(sqlite3 "$EXTRA_DIR/clm.db" "SELECT lower(hex(sealed_key)) FROM keys ORDER BY keynumber LIMIT 1")"
  # A second copy into the same database is refused; the first stays.
  run_clm -1 clm-server migrate --data-dir "$EXTRA_DIR" --to "$uri"
  assert_regex "$stderr" 'initialized already'

  launch_server "$EXTRA_DIR" --store "$uri" || return 1
  register_pid "$LAUNCHED_PID"
  export CLM_PORT=$LAUNCHED_PORT
  run_clm -0 clm-keyget -i "$list" -o "$after" -e "$BATS_TEST_TMPDIR/err2.log" --sha256
  run diff -r "$before" "$after"
  assert_success
  assert_equal "$(ls -A "$after" | wc -l)" "$(ls -A "$before" | wc -l)"
  for i in 2 3; do
    t clm-cert get --device "$(dev "$i")" --keynumber "$(jq -r .keynumber "$BATS_TEST_TMPDIR/issued-$i.json")" \
      --out "$(outdir "certs-after/$i")" >/dev/null
  done
  run diff -r "$certs_before" "$certs_after"
  assert_success
  # Numbering goes on after the copied numbers: a new key gets a number never used.
  local newest
  newest=$(t clm-key create --device "$(dev 1)" --alias fresh --type AES --out "$BATS_TEST_TMPDIR/keys" --name fresh | jq -r .keynumber)
  assert [ "$newest" -gt "$(sqlite3 "$EXTRA_DIR/clm.db" 'SELECT max(keynumber) FROM keynumbers')" ]
}

@test "a copy that does not arrive whole exits 15 naming the table, and the destination stays empty" {
  skip_if_pg_selected "the copy goes between two SQLite stores"
  local dir="$BATS_TEST_TMPDIR/data" dst="$BATS_TEST_TMPDIR/dst.db"
  run_clm -0 clm-server init --data-dir "$dir" --hostname localhost
  # The destination: this schema version, nothing in it, and a trigger that loses the
  # first key pair the copy inserts (a store that drops a write).
  sqlite3 "$dir/clm.db" .schema | grep -v sqlite_sequence | sqlite3 "$dst"
  sqlite3 "$dir/clm.db" '.dump schema_migrations' | grep '^INSERT' | sqlite3 "$dst"
  sqlite3 "$dst" "CREATE TRIGGER lose_one AFTER INSERT ON key_pairs WHEN (SELECT count(*) FROM key_pairs) = 1
                  BEGIN DELETE FROM key_pairs WHERE name = NEW.name; END"
  run_clm -15 clm-server migrate --data-dir "$dir" --to "sqlite:$dst"
  assert_regex "$stderr" 'table key_pairs differs after the copy \(([0-9]+) rows copied, [0-9]+ there\); nothing was copied'
  assert_equal "$(grep -c . <<<"$stderr")" 1
  for table in meta key_pairs ids devices; do
    assert_equal "$(sqlite3 "$dst" "SELECT count(*) FROM $table")" 0
  done
}
