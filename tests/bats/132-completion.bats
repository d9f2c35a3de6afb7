#!/usr/bin/env bats
# bash and zsh completion ("TOOL --completion SHELL", which the build writes to
# build/completions and installs from there) against the tools' own --help: every
# option each --help lists, at the top and after every subcommand, completes in real
# bash (with bash-completion's _init_completion and without bash-completion) and in a
# real interactive zsh typed into through zsh/zpty; subcommands complete where they
# go; fixed values complete to their choices; paths complete to paths (with spaces,
# quotes, --option=value). SWCLMCLIENT, which is not CLI11, against the tables of
# lib/include/clm/swclm_args.hpp. No server: nothing here talks to one.

load helpers

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
COMPLETE_BASH="$BATS_TEST_DIRNAME/fixtures/complete-bash"
COMPLETE_ZSH="$BATS_TEST_DIRNAME/fixtures/complete-zsh"
# The CLI11 tools (SWCLMCLIENT has its own tests below).
CLI11_TOOLS=(clm-id clm-cert clm-key clm-keyget clm-verify clm-device clm-server SWCLMKEYGET)

setup() {
  load_libs
  setup_common
  export TMPDIR=$BATS_TEST_TMPDIR # complete-zsh's temporary files
  COMPLETIONS=$TEST_BUILD_DIR/completions
  [[ -f $COMPLETIONS/bash/clm-id && -f $COMPLETIONS/zsh/_clm-id ]] ||
    fail "no completion scripts under $COMPLETIONS: build the tools"
}

# completions SHELL LINE: print what SHELL (bash, bash-plain: bash without
# bash-completion, zsh) offers for LINE with the cursor at its end, one a line.
completions() {
  local tool=${2%% *}
  case $1 in
  bash) timeout 30 "$COMPLETE_BASH" "$COMPLETIONS/bash/$tool" "$2" ;;
  bash-plain) timeout 30 "$COMPLETE_BASH" --without-bash-completion "$COMPLETIONS/bash/$tool" "$2" ;;
  zsh) timeout 30 "$COMPLETE_ZSH" "$COMPLETIONS/zsh" "$2" ;;
  esac
}

# Print the options, long and short, a CLI11 --help text on stdin lists (its own rows
# and those of its footer: two spaces, then the names), one a line, sorted.
help_options() {
  grep -E '^  -' | grep -oE '^  [^ ]+' | tr -d ' ' | tr ',' '\n' | grep -E '^--?[A-Za-z0-9]' | sort -u || true
}

# Print the subcommands a CLI11 --help text on stdin lists, sorted.
help_subcommands() {
  awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' | sort -u
}

# Print every subcommand path of tool $1 below the subcommands $2...: "" for the tool
# itself, then "create", "group", "group set", ... one a line.
scopes() {
  local tool=$1 sub help
  shift
  help=$(timeout 10 "$tool" "$@" --help) || return 1
  printf '%s\n' "$*"
  for sub in $(help_subcommands <<<"$help"); do
    scopes "$tool" "$@" "$sub" || return 1
  done
}

# check_options SHELL TOOL...: for every subcommand path of each TOOL, print a line
# naming the options its --help lists that SHELL does not offer after "TOOL PATH -",
# and the subcommands it lists that SHELL does not offer after "TOOL PATH ".
check_options() {
  local shell=$1 tool path tmp=$BATS_TEST_TMPDIR extra
  shift
  for tool; do
    scopes "$tool" >"$tmp/scopes" || {
      echo "$tool: --help failed"
      continue
    }
    while IFS= read -r path; do
      # shellcheck disable=SC2086 # path holds the subcommands, split on purpose
      timeout 10 "$tool" $path --help >"$tmp/help"
      help_options <"$tmp/help" >"$tmp/expected"
      [[ -s $tmp/expected ]] || echo "$tool $path: no options read from --help"
      completions "$shell" "$tool ${path:+$path }-" | sort -u >"$tmp/offered"
      extra=$(comm -23 "$tmp/expected" "$tmp/offered" | tr '\n' ' ')
      [[ -z $extra ]] || echo "$shell: $tool ${path:+$path }-: not offered: $extra"
      help_subcommands <"$tmp/help" >"$tmp/expected"
      if [[ -s $tmp/expected ]]; then
        completions "$shell" "$tool ${path:+$path }" | sort -u >"$tmp/offered"
        cmp -s "$tmp/expected" "$tmp/offered" ||
          echo "$shell: $tool ${path:+$path }: offers $(tr '\n' ' ' <"$tmp/offered")instead of the subcommands" \
            "$(tr '\n' ' ' <"$tmp/expected")"
      fi
    done <"$tmp/scopes"
  done
}

# Print the quoted words of the array constant $1 of swclm_args.hpp, one a line.
swclm_table() {
  sed -n "/inline constexpr std::array<std::string_view, [0-9]*> $1{/,/};/p" \
    "$REPO/lib/include/clm/swclm_args.hpp" | grep -oE '"[^"]*"' | tr -d '"'
}

@test "bash (bash-completion): every option and subcommand every --help lists completes" {
  run check_options bash "${CLI11_TOOLS[@]}"
  assert_output ""
}

@test "bash without bash-completion: every option and subcommand every --help lists completes" {
  run check_options bash-plain "${CLI11_TOOLS[@]}"
  assert_output ""
}

@test "zsh (a real interactive zsh): every option and subcommand every --help lists completes" {
  run check_options zsh "${CLI11_TOOLS[@]}"
  assert_output ""
}

@test "bash offers no option that no --help lists: a subcommand's own and the tool's global ones" {
  local tool path tmp=$BATS_TEST_TMPDIR
  for tool in "${CLI11_TOOLS[@]}"; do
    "$tool" --help | help_options | grep -vx -- --completion >"$tmp/global"
    scopes "$tool" >"$tmp/scopes"
    while IFS= read -r path; do
      # shellcheck disable=SC2086
      { "$tool" $path --help | help_options; cat "$tmp/global"; } | sort -u >"$tmp/known"
      completions bash "$tool ${path:+$path }-" | sort -u >"$tmp/offered"
      run comm -23 "$tmp/offered" "$tmp/known"
      [[ -z $path ]] && output=$(grep -vx -- --completion <<<"$output" || true)
      [[ -z $output ]] || fail "$tool $path: offered but in no --help: $output"
    done <"$tmp/scopes"
  done
}

@test "SWCLMCLIENT: every subcommand and every option of its tables completes in bash and zsh" {
  local shell tmp=$BATS_TEST_TMPDIR
  swclm_table k_swclm_subcommands | sort -u >"$tmp/subcommands"
  swclm_table k_swclm_options | sed 's/^/-/' >"$tmp/options"
  swclm_table k_swclm_help_words >>"$tmp/options"
  swclm_table k_swclm_version_words >>"$tmp/options"
  sort -u -o "$tmp/options" "$tmp/options"
  [[ $(wc -l <"$tmp/subcommands") -eq 13 && $(wc -l <"$tmp/options") -ge 16 ]] ||
    fail "tables not read: $(cat "$tmp/subcommands" "$tmp/options")"
  for shell in bash bash-plain zsh; do
    completions "$shell" "SWCLMCLIENT " | sort -u >"$tmp/offered"
    run diff "$tmp/subcommands" "$tmp/offered"
    assert_success
    # Options go before and after the subcommand.
    completions "$shell" "SWCLMCLIENT -" | sort -u >"$tmp/offered"
    run comm -23 "$tmp/options" "$tmp/offered"
    assert_output ""
    completions "$shell" "SWCLMCLIENT -host=h cmkeyget -" | sort -u >"$tmp/offered"
    run comm -23 "$tmp/options" "$tmp/offered"
    assert_output ""
  done
}

@test "a fixed set of values completes to its choices, wherever the option is written" {
  local shell
  for shell in bash bash-plain zsh; do
    run completions "$shell" "clm-device search --state "
    assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "deleted disabled valid "
    run completions "$shell" "clm-device report --format=t"
    assert_output "table"
    # Quoted spaces and a colon earlier on the line do not shift the words.
    run completions "$shell" "clm-device --host 127.0.0.1:8443 search --prefix 'a b' --state=d"
    assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "deleted disabled "
    run completions "$shell" "clm-device group set --renew-days 30 --ro"
    assert_output "--rotate-days"
    run completions "$shell" "clm-cert --completion "
    assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "bash zsh "
    run completions "$shell" "SWCLMCLIENT certcreate -mode "
    assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "caonly client server "
    run completions "$shell" "SWCLMCLIENT -host=h certcreate -certtype=p"
    assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "p12 pem "
    # Values a tool checks itself, named by the option's type name.
    run completions "$shell" "clm-cert create --mode "
    assert_equal "$(sort <<<"$output" | tr '\n' ' ')" "caonly client server "
    run completions "$shell" "clm-key create --type=T"
    assert_output "TWINE"
    # A number completes to nothing, not to file names.
    run completions "$shell" "clm-keyget --jobs "
    assert_output ""
  done
}

@test "paths complete with spaces, quotes, --option=value and short options; directories alone where only one fits" {
  local d=$BATS_TEST_TMPDIR/files shell
  mkdir -p "$d/my dir/sub dir"
  : >"$d/my dir/a file"
  cd "$d"
  for shell in bash bash-plain; do
    run completions "$shell" "clm-cert create --out $d/my\\ dir/"
    assert_equal "$(sort <<<"$output" | tr '\n' '|')" "$d/my dir/sub dir|"
    run completions "$shell" "clm-cert create --out=\"$d/my dir/s"
    assert_output "$d/my dir/sub dir"
    run completions "$shell" "clm-keyget -o 'my d"
    assert_output "my dir"
    run completions "$shell" "clm-verify --pretty my\\ dir/a"
    assert_output "my dir/a file"
    run completions "$shell" "SWCLMCLIENT cmkeyget -outpath my\\ dir/"
    assert_output "my dir/sub dir"
  done
  run completions zsh "clm-cert create --out $d/my\\ dir/"
  assert_equal "$(sort <<<"$output" | tr '\n' '|')" 'sub\ dir|'
  run completions zsh "clm-cert create --out=\"$d/my dir/s"
  assert_output 'sub\ dir'
  run completions zsh "SWCLMCLIENT cmkeyget -outpath my\\ dir/"
  assert_output 'sub\ dir'
}

@test "--completion prints what the build wrote and the install rules install; bash -n and zsh -n accept it" {
  local tool root=$BATS_TEST_TMPDIR/root
  run timeout 120 cmake --install "$TEST_BUILD_DIR" --prefix "$root"
  assert_success
  for tool in "${CLI11_TOOLS[@]}" SWCLMCLIENT; do
    "$tool" --completion bash >"$BATS_TEST_TMPDIR/bash"
    "$tool" --completion=zsh >"$BATS_TEST_TMPDIR/zsh"
    cmp "$BATS_TEST_TMPDIR/bash" "$COMPLETIONS/bash/$tool"
    cmp "$BATS_TEST_TMPDIR/zsh" "$COMPLETIONS/zsh/_$tool"
    cmp "$BATS_TEST_TMPDIR/bash" "$root/share/bash-completion/completions/$tool"
    cmp "$BATS_TEST_TMPDIR/zsh" "$root/share/zsh/vendor-completions/_$tool"
    bash -n "$BATS_TEST_TMPDIR/bash"
    zsh -n "$BATS_TEST_TMPDIR/zsh"
    head -n 1 "$BATS_TEST_TMPDIR/zsh" | grep -qx "#compdef $tool"
  done
}

@test "--completion takes bash or zsh as the first argument only, with one stderr line otherwise" {
  run_clm -4 clm-cert --completion
  assert_output ""
  assert_equal "$stderr" "clm-cert: error: --completion: which shell? bash or zsh"
  run_clm -1 clm-id --completion fish
  assert_equal "$stderr" "clm-id: error: --completion: 'fish' is not bash or zsh"
  run_clm -5 clm-verify --completion bash extra
  assert_equal "${#stderr_lines[@]}" 1
  run_clm -1 clm-keyget --completion=csh
  assert_equal "${#stderr_lines[@]}" 1
  # Not a run of SWCLMCLIENT: no result block, no log line.
  export SWCLM_LOG_FILE=$BATS_TEST_TMPDIR/swcagent.log
  run_clm -1 SWCLMCLIENT --completion fish
  assert_output ""
  assert_equal "$stderr" "SWCLMCLIENT: error: --completion: 'fish' is not bash or zsh"
  run_clm -0 SWCLMCLIENT --completion bash
  assert_output --partial "complete -F _clm_complete_SWCLMCLIENT SWCLMCLIENT"
  assert_file_not_exists "$SWCLM_LOG_FILE"
  # After a subcommand it is no request for a script.
  run_clm clm-cert inspect --completion bash
  assert_failure
  refute_output --partial "complete -F"
}

@test "canary: the check notices an option a completion script does not offer" {
  local copy=$BATS_TEST_TMPDIR/completions
  mkdir -p "$copy/bash" "$copy/zsh"
  sed "/^  '[^']*') reply=(/s/ '--alias'//g" "$COMPLETIONS/bash/clm-id" >"$copy/bash/clm-id"
  grep -v -- "'--alias=" "$COMPLETIONS/zsh/_clm-id" >"$copy/zsh/_clm-id"
  COMPLETIONS=$copy
  run check_options bash clm-id
  assert_line "bash: clm-id create -: not offered: --alias "
  run check_options zsh clm-id
  assert_line "zsh: clm-id create -: not offered: --alias "
}
