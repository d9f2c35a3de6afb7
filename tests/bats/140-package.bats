#!/usr/bin/env bats
# The Debian packages, built from the test build by cpack (as scripts/package does):
# their control data (dpkg-shlibdeps dependencies, conffiles, maintainer scripts),
# their files, lintian without errors, every systemd unit through systemd-analyze
# verify, and the packaged executables, unpacked into a scratch root, running a
# pipeline against the packaged clm-server.
#
# The build must be configured with -DCMAKE_INSTALL_PREFIX=/usr (scripts/lib.sh's
# clm_build does so), since the units and packages name /usr/bin and /etc.

load helpers

setup_file() {
  export BATS_NO_PARALLELIZE_WITHIN_FILE=true
  use_build_path
  local prefix
  prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$TEST_BUILD_DIR/CMakeCache.txt")
  if [[ $prefix != /usr ]]; then
    printf 'configure %s with -DCMAKE_INSTALL_PREFIX=/usr (it has %s)\n' "$TEST_BUILD_DIR" "$prefix" >&2
    return 1
  fi
  export DEBS=$BATS_FILE_TMPDIR/debs ROOT=$BATS_FILE_TMPDIR/root
  mkdir -p "$DEBS" "$ROOT"
  (cd "$TEST_BUILD_DIR" && timeout 600 cpack -G DEB -B "$DEBS" >"$DEBS/cpack.log" 2>&1) || {
    cat "$DEBS/cpack.log" >&2
    return 1
  }
  TOOLS_DEB=$(echo "$DEBS"/clm-tools_*_*.deb)
  SERVER_DEB=$(echo "$DEBS"/clm-server_*_*.deb)
  export TOOLS_DEB SERVER_DEB
  dpkg-deb -x "$TOOLS_DEB" "$ROOT"
  dpkg-deb -x "$SERVER_DEB" "$ROOT"
}

setup() {
  load_libs
  setup_common
}

teardown() {
  teardown_common
}

# contents DEB REGEX...: the listing of DEB (dpkg-deb -c) has a line matching each
# extended REGEX.
contents() {
  local deb=$1 listing re
  shift
  listing=$(dpkg-deb -c "$deb")
  for re in "$@"; do
    grep -Eq -- "$re" <<<"$listing" || {
      printf 'no line of %s matches %s\n' "${deb##*/}" "$re" >&2
      return 1
    }
  done
}

# field DEB NAME: one field of a package's control file.
field() {
  dpkg-deb -f "$1" "$2"
}

@test "two packages, named and versioned from the project" {
  local version
  version=$(clm-id --version | awk '{print $2}')
  assert_equal "$(field "$TOOLS_DEB" Package) $(field "$TOOLS_DEB" Version)" "clm-tools $version"
  assert_equal "$(field "$SERVER_DEB" Package) $(field "$SERVER_DEB" Version)" "clm-server $version"
  assert_equal "$(field "$TOOLS_DEB" Architecture)" "$(dpkg --print-architecture)"
}

@test "dependencies come from dpkg-shlibdeps; the server's maintainer scripts need adduser" {
  local dep
  run field "$TOOLS_DEB" Depends
  for dep in libc6 libcurl4 libssl3 'libstdc\+\+6'; do
    assert_output --regexp "(^|, )$dep( |,|$)"
  done
  refute_output --partial libpq
  run field "$SERVER_DEB" Depends
  for dep in adduser libc6 libssl3 libsqlite3-0 libpq5 libsystemd0 'libstdc\+\+6'; do
    assert_output --regexp "(^|, )$dep( |,|$)"
  done
}

@test "the files each package carries" {
  local f
  for f in clm-id clm-cert clm-key clm-keyget clm-verify clm-device SWCLMCLIENT SWCLMKEYGET; do
    contents "$TOOLS_DEB" "^-rwxr-xr-x root/root .* \./usr/bin/$f\$" " \./usr/share/man/man1/$f\.1\.gz\$" \
      " \./usr/share/bash-completion/completions/$f\$" " \./usr/share/zsh/vendor-completions/_$f\$"
  done
  for f in clm-cert-renew@.service clm-cert-renew@.timer clm-key-rotate@.service clm-key-rotate@.timer; do
    contents "$TOOLS_DEB" "^-rw-r--r-- root/root .* \./lib/systemd/system/$f\$"
  done
  contents "$TOOLS_DEB" "^-rw-r--r-- root/root .* \./etc/clm/clm\.conf\$" \
    " \./usr/share/doc/clm-tools/copyright\$" " \./usr/share/doc/clm-tools/changelog\.gz\$" \
    " \./usr/share/doc/clm-tools/examples/clm-keyget\.timer\$" " \./etc/clm/cert-renew/\$" \
    " \./usr/share/doc/clm-tools/examples/ansible/roles/clm_credentials/tasks/main\.yml\$"
  run dpkg-deb -c "$TOOLS_DEB"
  refute_output --partial clm-server
  contents "$SERVER_DEB" "^-rwxr-xr-x root/root .* \./usr/sbin/clm-server\$" \
    " \./usr/share/man/man8/clm-server\.8\.gz\$" " \./lib/systemd/system/clm-server\.service\$" \
    " \./etc/default/clm-server\$" " \./usr/share/doc/clm-server/copyright\$" \
    " \./usr/share/bash-completion/completions/clm-server\$" " \./usr/share/zsh/vendor-completions/_clm-server\$"
  # Stripped: no debug sections, no build paths.
  run file "$ROOT/usr/sbin/clm-server" "$ROOT/usr/bin/clm-cert"
  assert_output --partial ", stripped"
  refute_output --partial "not stripped"
}

@test "conffiles and maintainer scripts" {
  local ctl=$BATS_TEST_TMPDIR/ctl
  mkdir -p "$ctl"
  dpkg-deb -e "$TOOLS_DEB" "$ctl/tools"
  dpkg-deb -e "$SERVER_DEB" "$ctl/server"
  assert_equal "$(cat "$ctl/tools/conffiles")" /etc/clm/clm.conf
  assert_equal "$(cat "$ctl/server/conffiles")" /etc/default/clm-server
  local s
  for s in postinst prerm postrm; do
    assert_file_executable "$ctl/server/$s"
    run sh -n "$ctl/server/$s"
    assert_success
  done
  # The clm system user, then the unit enabled and started the way dh_installsystemd does.
  run grep -c -e 'adduser --system --group' -e '--gecos "CLM WebAPI server" clm$' "$ctl/server/postinst"
  assert_output 2
  run grep -c "deb-systemd-invoke start 'clm-server.service'" "$ctl/server/postinst"
  assert_output 1
}

@test "lintian reports no errors on either package" {
  run timeout 600 lintian --fail-on error --tag-display-limit 0 "$TOOLS_DEB" "$SERVER_DEB"
  printf '%s\n' "$output"
  assert_success
  refute_output --regexp '^E: '
}

@test "systemd-analyze verify passes on every unit and timer the packages carry, and the examples" {
  # A root with the host's own units (sysinit.target, timers.target, ...) and the
  # programs the units run.
  cp -rn /lib/systemd/system/. "$ROOT/lib/systemd/system/"
  mkdir -p "$ROOT/bin" "$ROOT/etc/systemd/system"
  cp /bin/kill /bin/sh "$ROOT/bin/"
  cp "$ROOT"/usr/share/doc/clm-tools/examples/clm-keyget.{service,timer} "$ROOT/etc/systemd/system/"
  local units=("$ROOT"/lib/systemd/system/clm-* "$ROOT"/etc/systemd/system/clm-keyget.*)
  assert_equal "${#units[@]}" 7
  local u
  for u in "${units[@]}"; do
    run systemd-analyze verify --man=no --root="$ROOT" "$u"
    assert_success
    assert_output ""
  done
}

@test "the server unit is hardened as the issue asks" {
  local u=$ROOT/lib/systemd/system/clm-server.service
  local line
  for line in Type=notify User=clm StateDirectory=clm-server NoNewPrivileges=yes ProtectSystem=strict \
    ProtectHome=yes PrivateTmp=yes CapabilityBoundingSet= MemoryDenyWriteExecute=yes \
    SystemCallFilter=@system-service 'ExecReload=/bin/kill -HUP $MAINPID' \
    'ExecStart=/usr/sbin/clm-server serve --data-dir /var/lib/clm-server $CLM_SERVER_OPTS'; do
    run grep -Fx -- "$line" "$u"
    assert_success
  done
  run grep -E '^(OnCalendar|RandomizedDelaySec|Persistent)=' "$ROOT/lib/systemd/system/clm-cert-renew@.timer"
  assert_output $'OnCalendar=*-*-* 00,12:00:00\nRandomizedDelaySec=1h\nPersistent=true'
}

@test "the unpacked executables run: --version, and a pipeline against the packaged server" {
  local bin=$ROOT/usr/bin
  run_clm -0 "$bin/clm-id" --version
  assert_output "clm-id $(clm-id --version | awk '{print $2}')"
  run_clm -0 "$ROOT/usr/sbin/clm-server" --version
  PATH="$ROOT/usr/sbin:$PATH" launch_server "$BATS_TEST_TMPDIR/srv" --key-type ec-p256
  register_pid "$LAUNCHED_PID"
  export CLM_HOST=127.0.0.1 CLM_PORT=$LAUNCHED_PORT CLM_CACERT=$BATS_TEST_TMPDIR/srv/tls/ca.pem
  export CLM_LICENSE_KEY_FILE=$BATS_TEST_TMPDIR/srv/license.key
  run t bash -c "'$bin/clm-id' create --alias pkg | '$bin/clm-id' verify"
  assert_success
  local out
  out=$(outdir tls)
  run_clm -0 "$bin/clm-cert" create --mode client --device pkg --subject /O=clm/CN=pkg --out "$out"
  run_clm -0 "$bin/clm-verify" "$out"/*.pem
  run_clm -0 "$bin/clm-key" create --device pkg --alias k --type AES --out "$out"
  run bash -c "cd '$out' && sha256sum -c cmkey.sha256"
  assert_success
}
