#!/usr/bin/env bash
# Benchmark: pull the keys of a whole fleet with clm-keyget, against the naive way (one
# `clm-key get` process per device) on a sample, extrapolated; peak RSS of clm-keyget
# and of the server. The fleet is made by `clm-server seed` (one key per device).
# Prints figures and ratios; asserts nothing.
#
#   bench/keyget.sh [DEVICES [SAMPLE [ROUNDS]]]   (default 100000, 1000, 3; build first)
#   CLM_BENCH_PG=0   leave out the same pull with the store in PostgreSQL (on by default)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"
. "$(dirname "$0")/lib.sh"

devices=${1:-100000}
sample=${2:-1000}
rounds=${3:-3}
server=$CLM_SERVER
tools=$CLM_BUILD_DIR/tools

# seed_fleet NAME [INIT ARGS...]: a data dir BENCH_WORK/NAME with DEVICES devices, one
# key each, their names in BENCH_WORK/list; its server started, the ID verified. Sets
# seed_ms.
seed_fleet() {
  local name=$1 t0
  shift
  "$server" init --data-dir "$BENCH_WORK/$name" --key-type ec-p256 "$@" 2>/dev/null
  t0=$(date +%s%N)
  "$server" seed --data-dir "$BENCH_WORK/$name" --devices "$devices" --keys 1 --list "$BENCH_WORK/list" \
    >"$BENCH_WORK/$name.seed.json"
  seed_ms=$((($(date +%s%N) - t0) / 1000000))
  bench_start_server "$name"
  "$tools/clm-id" verify <"$BENCH_WORK/$name.seed.json" >/dev/null
}
seed_fleet fleet

# clm-keyget (every device, default batches and jobs) and the baseline, in turns, ROUNDS
# times, each into a fresh directory; nothing is removed until the end, because on some
# disks removing 100,000 files slows the file creation that follows for a while.
#
# Baselines: the file system alone, in a fresh directory beside the output, no server.
# "bare": create as many small files directly (create, write, close; no temporary names,
# no sync): the floor for any tool that writes one file per key here. "safe": the same
# files written the way clm-keyget writes them so that a crash leaves no torn file (per
# 1,000 files: a staging directory, create, write, close, one syncfs, rename each into
# place, fsync the directory): the floor for a tool that keeps that promise. File
# creation speed varies a lot between machines and with recent disk activity; the turns
# show how much.
baseline() {
  python3 - "$1" "$2" "$3" <<'PY'
import ctypes, os, sys, time
mode, d, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
libc = ctypes.CDLL(None, use_errno=True)
os.mkdir(d)
dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
t = time.time()
if mode == "bare":
    for i in range(n):
        fd = os.open(f"f{i}", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=dfd)
        os.write(fd, b"0" * 33)
        os.close(fd)
else:
    for first in range(0, n, 1000):
        os.mkdir(".stage", 0o700, dir_fd=dfd)
        sfd = os.open(".stage", os.O_RDONLY | os.O_DIRECTORY, dir_fd=dfd)
        names = [f"f{i}" for i in range(first, min(n, first + 1000))]
        for name in names:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=sfd)
            os.write(fd, b"0" * 33)
            os.close(fd)
        if libc.syncfs(sfd) != 0:
            raise OSError(ctypes.get_errno(), "syncfs")
        for name in names:
            os.rename(name, name, src_dir_fd=sfd, dst_dir_fd=dfd)
        os.close(sfd)
        os.rmdir(".stage", dir_fd=dfd)
        os.fsync(dfd)
print(f"{time.time() - t:.2f}")
PY
}
# pull_rounds TAG: ROUNDS pulls of the whole fleet into BENCH_WORK/TAG.outN, each followed
# by the two file-system baselines when TAG is out. Sets keyget_times, fs_times,
# safe_times, keyget_rss, files.
pull_rounds() {
  local tag=$1 round s rss
  keyget_times=() fs_times=() safe_times=() keyget_rss=0
  for ((round = 1; round <= rounds; round++)); do
    mkdir -p "$BENCH_WORK/$tag$round"
    /usr/bin/time -f '%e %M' -o "$BENCH_WORK/keyget.time" "$tools/clm-keyget" -i "$BENCH_WORK/list" \
      -o "$BENCH_WORK/$tag$round" -e "$BENCH_WORK/err.log" >"$BENCH_WORK/keyget.out"
    read -r s rss <"$BENCH_WORK/keyget.time"
    keyget_times+=("$s")
    if ((rss > keyget_rss)); then keyget_rss=$rss; fi
    files=$(find "$BENCH_WORK/$tag$round" -type f | wc -l)
    if [ "$tag" = out ]; then
      fs_times+=("$(baseline bare "$BENCH_WORK/fs$round" "$files")")
      safe_times+=("$(baseline safe "$BENCH_WORK/safe$round" "$files")")
    fi
  done
}
pull_rounds out
server_rss=$(bench_server_rss_kb)
# pick best|median TIMES...
pick() {
  local which=$1
  shift
  printf '%s\n' "$@" | sort -n | awk -v w="$which" '{ v[NR] = $1 } END { print (w == "best" ? v[1] : v[int((NR + 1) / 2)]) }'
}
keyget_s=$(pick best "${keyget_times[@]}")
keyget_med=$(pick median "${keyget_times[@]}")
fs_s=$(pick best "${fs_times[@]}")
fs_med=$(pick median "${fs_times[@]}")
safe_s=$(pick best "${safe_times[@]}")
safe_med=$(pick median "${safe_times[@]}")

# The naive way: one clm-key get per device (it needs the device's deviceid, which
# getkeylist tells; the key number is in the file name clm-keyget wrote).
jq -r 'select(.ok) | "\(.devicename) \(.deviceid) \(.files[0] | sub(".*_"; ""))"' "$BENCH_WORK/keyget.out" |
  sed -n "1,${sample}p" >"$BENCH_WORK/sample.ids"
mkdir -p "$BENCH_WORK/naive"
naive() {
  local name id kn
  while read -r name id kn; do
    "$tools/clm-key" get --device "$name" --deviceid "$id" --keynumber "$kn" --out "$BENCH_WORK/naive" \
      --name "$name" --encoding hex >/dev/null
  done <"$BENCH_WORK/sample.ids"
}
naive_ms=$(bench_wall_ms naive)
naive_n=$(wc -l <"$BENCH_WORK/sample.ids")
naive_total_s=$(awk -v ms="$naive_ms" -v n="$naive_n" -v d="$devices" 'BEGIN { printf "%.1f", ms / n * d / 1000 }')

printf '\nPulling the keys of %d devices from a local clm-server (2 cores shared by client and server)\n' "$devices"
printf '%-44s %12s\n' "clm-server seed (devices + keys), s" "$(awk -v ms="$seed_ms" 'BEGIN { printf "%.1f", ms / 1000 }')"
printf '%-44s %12s\n' "rounds (clm-keyget and baselines in turns)" "$rounds"
printf '%-44s %12s\n' "clm-keyget, all devices, wall s (best/median)" "$keyget_s/$keyget_med"
printf '%-44s %12s\n' "  every round, s" "$(IFS=' '; echo "${keyget_times[*]}")"
printf '%-44s %12s\n' "key files written (per round)" "$files"
printf '%-44s %12s\n' "baseline: create as many files (python), s" "$fs_s/$fs_med"
printf '%-44s %12s\n' "  every round, s" "$(IFS=' '; echo "${fs_times[*]}")"
printf '%-44s %12s\n' "baseline, crash-safe (staged, syncfs), s" "$safe_s/$safe_med"
printf '%-44s %12s\n' "  every round, s" "$(IFS=' '; echo "${safe_times[*]}")"
printf '%-44s %12s\n' "clm-keyget / file-system baseline (best)" "$(awk -v a="$keyget_s" -v b="$fs_s" 'BEGIN { printf "%.2fx", a / b }')"
printf '%-44s %12s\n' "clm-keyget / crash-safe baseline (best)" "$(awk -v a="$keyget_s" -v b="$safe_s" 'BEGIN { printf "%.2fx", a / b }')"
printf '%-44s %12s\n' "clm-key get x $naive_n (naive), wall s" "$(awk -v ms="$naive_ms" 'BEGIN { printf "%.1f", ms / 1000 }')"
printf '%-44s %12s\n' "naive, extrapolated to all devices, s" "$naive_total_s"
printf '%-44s %12s\n' "ratio naive / clm-keyget (median)" "$(awk -v a="$naive_total_s" -v b="$keyget_med" 'BEGIN { printf "%.0fx", a / b }')"
printf '%-44s %12s\n' "clm-keyget peak RSS KiB" "$keyget_rss"
printf '%-44s %12s\n' "clm-server RSS KiB (now/peak)" "$server_rss"

# The same fleet on PostgreSQL (CLM_BENCH_PG=0 leaves it out): seeded and pulled the
# same way from a server whose store is a database of a local cluster.
if [ "${CLM_BENCH_PG:-1}" = 1 ]; then
  sqlite_best=$keyget_s sqlite_med=$keyget_med
  bench_stop_server
  bench_pg_database fleet pg_uri
  seed_fleet fleet-pg --store "$pg_uri"
  pull_rounds pg
  pg_best=$(pick best "${keyget_times[@]}")
  pg_med=$(pick median "${keyget_times[@]}")
  printf '\nThe same pull with the store in PostgreSQL 15 (local cluster, unix socket, fsync on)\n'
  printf '%-44s %12s\n' "clm-server seed (devices + keys), s" "$(awk -v ms="$seed_ms" 'BEGIN { printf "%.1f", ms / 1000 }')"
  printf '%-44s %12s\n' "clm-keyget, all devices, wall s (best/median)" "$pg_best/$pg_med"
  printf '%-44s %12s\n' "  every round, s" "$(IFS=' '; echo "${keyget_times[*]}")"
  printf '%-44s %12s\n' "key files written (per round)" "$files"
  printf '%-44s %12s\n' "PostgreSQL pull / SQLite pull (best)" "$(awk -v a="$pg_best" -v b="$sqlite_best" 'BEGIN { printf "%.2fx", a / b }')"
  printf '%-44s %12s\n' "PostgreSQL pull / SQLite pull (median)" "$(awk -v a="$pg_med" -v b="$sqlite_med" 'BEGIN { printf "%.2fx", a / b }')"
  printf '%-44s %12s\n' "clm-server RSS KiB (now/peak)" "$(bench_server_rss_kb)"
fi
