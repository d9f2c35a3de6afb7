#!/usr/bin/env bats
# The man pages against the executables (the idea of skopeo's
# hack/xref-helpmsgs-manpages): every long option a --help lists is documented in
# the page's OPTIONS section, every option documented there exists, and the
# EXIT STATUS section lists every code of lib/include/clm/exit_code.hpp.
#
# Self-contained: needs only built binaries and pages under CLM_BUILD_DIR
# (default <repo>/build, configured with CLM_BUILD_MAN=ON), man-db and groff.

bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
BUILD=${CLM_BUILD_DIR:-$REPO/build}

# Print the path of a built executable or page; fail naming what to build.
built() {
  local path=$BUILD/$1
  if [[ ! -e $path ]]; then
    echo "$path is missing: build with 'cmake -S $REPO -B $BUILD -DCLM_BUILD_MAN=ON && cmake --build $BUILD'" >&2
    return 1
  fi
  printf '%s\n' "$path"
}

# Render a page as plain ASCII text, 80 columns, without hyphenation; lines that
# groff broke after a hyphen ("--result-" / "file") are joined so options stay whole.
render() (
  set -o pipefail
  LC_ALL=C MANWIDTH=80 MANROFFOPT=-rHY=0 MANPAGER=cat timeout 30 man --warnings -l "$1" |
    sed -e ':a' -e '/[^ ]-$/{N;s/-\n[[:space:]]*/-/;ba' -e '}'
)

# Print one section of rendered text on stdin, from its heading to the next one.
section() {
  awk -v name="$1" '/^[A-Z]/ { on = ($0 == name); next } on'
}

# Print the long options a CLI11 --help text on stdin lists, one per line.
help_options() {
  grep -oE -- '^ +(-[A-Za-z],)?--[a-z0-9][a-z0-9-]*' | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u || true
}

# Print the subcommands a CLI11 --help text on stdin lists.
subcommands() {
  awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'
}

# Print every long option of an executable: of its --help, of each subcommand's and of
# each subcommand's own subcommands' (clm-device group set).
tool_options() {
  local tool=$1 sub nested tmp=$BATS_TEST_TMPDIR
  timeout 10 "$tool" --help >"$tmp/help" || return 1
  for sub in $(subcommands <"$tmp/help"); do
    timeout 10 "$tool" "$sub" --help >"$tmp/help-sub" || return 1
    cat "$tmp/help-sub" >>"$tmp/help"
    for nested in $(subcommands <"$tmp/help-sub"); do
      timeout 10 "$tool" "$sub" "$nested" --help >>"$tmp/help" || return 1
    done
  done
  help_options <"$tmp/help"
}

# Print the long options mentioned in rendered text on stdin, one per line.
mentioned_options() {
  grep -oE -- '(^|[^A-Za-z0-9-])--[a-z0-9][a-z0-9-]*' | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u || true
}

# Print the lines of sorted file $2 that are not in sorted file $3 as one line,
# prefixed by title $1; print nothing when there are none.
missing() {
  local extra
  extra=$(comm -23 "$2" "$3")
  if [[ -n $extra ]]; then
    echo "$1:" $extra
  fi
}

# Fail when file $2 has lines that file $3 lacks (both sorted), naming them after title $1.
assert_subset() {
  local problem
  problem=$(missing "$@")
  [[ -z $problem ]] || fail "$problem"
}

# Check that every --help option of executable $1 is documented by a term of the
# OPTIONS section of page $2 (a line at the section's indentation starting with
# "-"), and that every option mentioned anywhere in that section is in some --help.
xref() {
  local tool page tmp=$BATS_TEST_TMPDIR problems
  tool=$(built "$1") || return 1
  page=$(built "$2") || return 1
  tool_options "$tool" >"$tmp/help-options"
  [[ -s $tmp/help-options ]] || fail "no options found in $1 --help"
  render "$page" | section OPTIONS >"$tmp/options.txt"
  grep -E '^ {7}-' "$tmp/options.txt" | mentioned_options >"$tmp/page-terms"
  mentioned_options <"$tmp/options.txt" >"$tmp/page-mentions"
  problems=$(missing "in $1 --help but not an entry in the OPTIONS of $2" "$tmp/help-options" "$tmp/page-terms"
             missing "in the OPTIONS of $2 but in no $1 --help" "$tmp/page-mentions" "$tmp/help-options")
  [[ -z $problems ]] || fail "$problems"
}

@test "man pages render with man -l and no groff warnings" {
  local name page
  for name in clm-id.1 clm-cert.1 clm-key.1 clm-keyget.1 clm-verify.1 clm-device.1 clm-server.8 SWCLMCLIENT.1 SWCLMKEYGET.1; do
    page=$(built "man/$name")
    run --separate-stderr render "$page"
    assert_success
    [[ -z $stderr ]] || fail "$name: warnings: $stderr"
    assert_output --partial "NAME"
    refute_output --partial "%%"  # every shared section was spliced in
  done
}

@test "man pages have the sections every page needs" {
  local page heading tool
  for tool in clm-id clm-cert clm-key clm-device; do
    page=$(built "man/$tool.1")
    render "$page" >"$BATS_TEST_TMPDIR/$tool.txt"
    for heading in NAME SYNOPSIS DESCRIPTION SUBCOMMANDS OPTIONS "JSON INPUT" "JSON OUTPUT" \
                   "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
      grep -qx "$heading" "$BATS_TEST_TMPDIR/$tool.txt" || fail "$tool.1 has no $heading section"
    done
  done
  # clm-verify and clm-keyget have no subcommands.
  for tool in clm-verify clm-keyget; do
    page=$(built "man/$tool.1")
    render "$page" >"$BATS_TEST_TMPDIR/$tool.txt"
    for heading in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
      grep -qx "$heading" "$BATS_TEST_TMPDIR/$tool.txt" || fail "$tool.1 has no $heading section"
    done
  done
  page=$(built man/clm-server.8)
  render "$page" >"$BATS_TEST_TMPDIR/clm-server.txt"
  for heading in NAME SYNOPSIS DESCRIPTION COMMANDS OPTIONS ENDPOINTS ERRORCODES "EXIT STATUS" \
                 ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
    grep -qx "$heading" "$BATS_TEST_TMPDIR/clm-server.txt" || fail "clm-server.8 has no $heading section"
  done
}

@test "clm-id: --help options and the OPTIONS of clm-id(1) agree" {
  xref tools/clm-id man/clm-id.1
}

@test "clm-cert: --help options and the OPTIONS of clm-cert(1) agree" {
  xref tools/clm-cert man/clm-cert.1
}

@test "clm-key: --help options and the OPTIONS of clm-key(1) agree" {
  xref tools/clm-key man/clm-key.1
}

@test "clm-keyget: --help options and the OPTIONS of clm-keyget(1) agree" {
  xref tools/clm-keyget man/clm-keyget.1
}

@test "clm-device: --help options and the OPTIONS of clm-device(1) agree" {
  xref tools/clm-device man/clm-device.1
}

@test "every man page source is plain ASCII" {
  run grep -nP '[^\x00-\x7f]' "$REPO"/man/*.scd "$REPO"/man/common/*.scd
  assert_failure 1
}

@test "clm-verify: --help options and the OPTIONS of clm-verify(1) agree" {
  xref tools/clm-verify man/clm-verify.1
}

@test "clm-server: --help options and the OPTIONS of clm-server(8) agree" {
  xref server/clm-server man/clm-server.8
}

@test "EXIT STATUS of clm-id(1) lists exactly the codes of exit_code.hpp" {
  local page
  page=$(built man/clm-id.1)
  grep -oE '= *[0-9]+' "$REPO/lib/include/clm/exit_code.hpp" | grep -oE '[0-9]+' | sort -u \
    >"$BATS_TEST_TMPDIR/header-codes"
  [[ $(wc -l <"$BATS_TEST_TMPDIR/header-codes") -ge 10 ]] || fail "too few codes read from exit_code.hpp"
  # A row of the table is the code at the section's indentation, then its meaning.
  render "$page" | section "EXIT STATUS" | grep -oE '^ {7}[0-9]+( |$)' | tr -d ' ' | sort -u \
    >"$BATS_TEST_TMPDIR/page-codes"
  assert_subset "in exit_code.hpp but not in EXIT STATUS" \
    "$BATS_TEST_TMPDIR/header-codes" "$BATS_TEST_TMPDIR/page-codes"
  assert_subset "in EXIT STATUS but not in exit_code.hpp" \
    "$BATS_TEST_TMPDIR/page-codes" "$BATS_TEST_TMPDIR/header-codes"
}

@test "canary: the cross-check notices an option missing from a page" {
  # A --help that lists an option the page lacks must fail the comparison.
  printf '  --host TEXT   x\n  -h,--help   y\n  --not-documented TEXT  z\n' | help_options \
    >"$BATS_TEST_TMPDIR/help-options"
  printf 'OPTIONS\n       --host HOST\n       -h, --help\nEXIT STATUS\n       --not-documented\n' |
    section OPTIONS | mentioned_options >"$BATS_TEST_TMPDIR/page-options"
  run assert_subset "missing" "$BATS_TEST_TMPDIR/help-options" "$BATS_TEST_TMPDIR/page-options"
  assert_failure
  assert_output --partial -- "--not-documented"
  refute_output --partial -- "--host"
}

@test "canary: rendering reports groff warnings on stderr" {
  printf '.TH x 1\n.SH NAME\n.XX undefined\nx \\- y\n' >"$BATS_TEST_TMPDIR/bad.1"
  run --separate-stderr render "$BATS_TEST_TMPDIR/bad.1"
  assert_success
  [[ $stderr == *warning* ]] || fail "no warning for an undefined macro: '$stderr'"
}
