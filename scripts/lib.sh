# Shared by scripts/setup, scripts/build, scripts/test and scripts/demo.
# shellcheck shell=bash

CLM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CLM_BUILD_DIR=${CLM_BUILD_DIR:-$CLM_ROOT/build}

# Debian packages the build, the tests and the demo need (postgresql: the throwaway
# cluster of scripts/pg-cluster; haproxy: the load-balancer failover test; parallel:
# Bats suites side by side; faketime: a server whose clock runs ahead, for rotation
# that is due; chromium and python3-websocket: the dashboard's browser test,
# tests/browser/dashboard.py; libsystemd-dev: clm-server's sd_notify; dpkg-dev,
# fakeroot, lintian and systemd: the .debs of scripts/package, checked and installed
# into a scratch root, and systemd-analyze verify on the units; bash-completion and
# zsh: the completion test; ansible-core: the example role, run for real).
CLM_PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libcli11-dev nlohmann-json3-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev
  libboost1.81-dev libgtest-dev
  bats bats-support bats-assert bats-file parallel
  scdoc man-db jq curl openssl sqlite3 python3 util-linux procps time strace
  postgresql libpq-dev haproxy faketime
  chromium python3-websocket
  libsystemd-dev dpkg-dev fakeroot lintian systemd bash-completion zsh ansible-core
)

# Debian packages only the load benchmarks need (bench/server-load.sh, bench/cert.sh):
# passed to clm_install_deps there, so a build or test machine does not get a web
# server or another CA.
# shellcheck disable=SC2034 # read by the scripts that source this file
CLM_BENCH_PACKAGES=(wrk nginx golang-cfssl)
# What scripts/fuzz needs on top: clang and its libFuzzer/sanitizer runtimes.
# shellcheck disable=SC2034 # read by scripts/fuzz
CLM_FUZZ_PACKAGES=(clang libclang-rt-14-dev)

log() { printf '==> %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Install whatever of CLM_PACKAGES (and the packages named as arguments) is missing
# (apt-get update once, only when needed).
clm_install_deps() {
  local missing=() p
  for p in "${CLM_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  log "installing: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Configure and build into $1 (default $CLM_BUILD_DIR) for the /usr prefix the
# packages use (cpack and the units name /usr/bin, /etc), with extra CMake arguments
# (after the build type, CLM_BUILD_TYPE or Release, so they may override it).
clm_build() {
  local dir=${1:-$CLM_BUILD_DIR}
  shift || true
  log "building in $dir"
  cmake -S "$CLM_ROOT" -B "$dir" -DCLM_WERROR=ON -DCMAKE_BUILD_TYPE="${CLM_BUILD_TYPE:-Release}" \
    -DCMAKE_INSTALL_PREFIX=/usr "$@" >/dev/null
  cmake --build "$dir" -j"$(nproc)"
}
