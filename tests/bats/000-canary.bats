#!/usr/bin/env bats
# The harness must be able to fail: run bats on a fixture whose tests always fail.

load helpers

setup() {
  load_libs
}

@test "canary: bats on an always-failing fixture exits non-zero and reports the failures" {
  # bats puts its libexec directory first on PATH; call the real front end.
  local bats_cmd="$BATS_ROOT/bin/bats"
  [[ -x $bats_cmd ]] || bats_cmd=$(type -ap bats | grep -v "$BATS_ROOT/libexec" | head -n 1)
  run -1 timeout 60 env -i PATH="$PATH" HOME="$BATS_TEST_TMPDIR" TERM=dumb \
    "$bats_cmd" --tap "$BATS_TEST_DIRNAME/fixtures/failing.bats"
  assert_line --partial 'not ok 1 canary fixture: a false assertion fails'
  assert_line --partial 'not ok 2 canary fixture: a failing command fails'
  assert_line --partial 'expected'
}

@test "canary: the always-failing fixture is not part of the suite" {
  # bats does not recurse, so the fixture must sit in a subdirectory.
  assert_file_exists "$BATS_TEST_DIRNAME/fixtures/failing.bats"
  assert_file_not_exists "$BATS_TEST_DIRNAME/failing.bats"
}
