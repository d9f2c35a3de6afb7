#include "completion.hpp"

#include <clm/error.hpp>
#include <clm/swclm_args.hpp>
#include <clm/text.hpp>

#include <algorithm>
#include <map>
#include <sstream>

namespace clm {

namespace {

std::vector<std::string> split(std::string_view text, char separator)
{
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    parts.emplace_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) {
      return parts;
    }
    start = end + 1;
  }
}

// Return the words of the first "{a,b,c}" set in a validator's description (the keys
// of a map, "{a->1,b->2}"), or nothing when it has none.
std::vector<std::string> set_words(const std::string& description)
{
  const std::size_t open = description.find('{');
  const std::size_t close = description.find('}', open);
  if (open == std::string::npos || close == std::string::npos) {
    return {};
  }
  std::vector<std::string> words;
  for (const auto& item : split(std::string_view(description).substr(open + 1, close - open - 1), ',')) {
    std::string word = trim(item.substr(0, item.find("->")));
    if (!word.empty()) {
      words.push_back(std::move(word));
    }
  }
  return words;
}

CompletionValue value_of(CLI::Option& option)
{
  if (option.get_expected_max() == 0) {
    return {ValueKind::flag, {}};
  }
  // get_type_name() is the type's name followed by ":DESCRIPTION" of each validator
  // that has one; what is left without them is the type's name ("TEXT", "INT").
  std::vector<std::string> checks;
  for (int i = 0;; ++i) {
    try {
      checks.push_back(option.get_validator(i)->get_description());
    } catch (const CLI::OptionNotFound&) {
      break;
    }
  }
  std::string type = option.get_type_name();
  std::string suffix;
  for (const auto& check : checks) {
    suffix += check.empty() ? "" : ":" + check;
  }
  if (type.size() >= suffix.size() && type.compare(type.size() - suffix.size(), suffix.size(), suffix) == 0) {
    type.resize(type.size() - suffix.size());
  }
  for (const auto& check : checks) {
    if (auto words = set_words(check); !words.empty()) {
      return {ValueKind::choice, std::move(words)};
    }
  }
  for (const auto& check : checks) {
    if (check == "DIR") {
      return {ValueKind::directory, {}};
    }
    if (check == "FILE" || check.starts_with("PATH")) {
      return {ValueKind::file, {}};
    }
  }
  if (type == "DIR") {
    return {ValueKind::directory, {}};
  }
  // A type name that lists the values ("caonly|client|server") for an option the tool
  // checks itself after parsing.
  if (type.find('|') != std::string::npos) {
    return {ValueKind::choice, split(type, '|')};
  }
  if (type == "TEXT" || type == "FILE" || type == "PATH") {
    return {ValueKind::file, {}};
  }
  return {ValueKind::word, {}};
}

bool is_option_name(std::string_view name)
{
  return name.size() >= 2 && name[0] == '-' && name != "--"
         && std::all_of(name.begin(), name.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'
                     || c == '_';
            });
}

// Return the options a footer lists the way --help lists options: a line of two spaces,
// the names ("-e,--exec"), the value ("PROGRAM [ARG...]") and, after two or more
// spaces, the description.
std::vector<CompletionOption> footer_options(const std::string& footer)
{
  std::vector<CompletionOption> options;
  for (const auto& line : split(footer, '\n')) {
    if (!line.starts_with("  -")) {
      continue;
    }
    const std::string row = line.substr(2);
    const std::size_t names_end = std::min(row.find(' '), row.size());
    CompletionOption option;
    option.names = split(std::string_view(row).substr(0, names_end), ',');
    if (!std::all_of(option.names.begin(), option.names.end(), is_option_name)) {
      continue;
    }
    const std::size_t gap = row.find("  ", names_end);
    const std::string value = trim(row.substr(names_end, gap == std::string::npos ? std::string::npos : gap - names_end));
    option.description = gap == std::string::npos ? "" : trim(row.substr(gap));
    if (value.empty()) {
      option.value.kind = ValueKind::flag;
    } else if (value.find('|') != std::string::npos && value.find(' ') == std::string::npos) {
      option.value = {ValueKind::choice, split(value, '|')};
    } else {
      option.value.kind = ValueKind::file;
    }
    option.inherited = Inherited::no;
    options.push_back(std::move(option));
  }
  return options;
}

// ---------------------------------------------------------------------------------
// What is offered where: each command with the options valid after it.

struct Scope {
  std::string path;  // the subcommands that lead to it, joined by '/'; "" for the tool
  const CompletionCommand* command = nullptr;
  std::vector<const CompletionOption*> options;  // its own, then those it inherits
};

void collect_scopes(const CompletionCommand& command, const std::string& path,
                    const std::vector<const CompletionOption*>& inherited, std::vector<Scope>& scopes)
{
  Scope scope{path, &command, {}};
  for (const auto& option : command.options) {
    scope.options.push_back(&option);
  }
  auto known = [&](const CompletionOption& candidate) {
    return std::any_of(command.options.begin(), command.options.end(), [&](const CompletionOption& own) {
      return std::any_of(own.names.begin(), own.names.end(), [&](const std::string& name) {
        return std::find(candidate.names.begin(), candidate.names.end(), name) != candidate.names.end();
      });
    });
  };
  if (command.fallthrough == Fallthrough::yes) {
    for (const auto* option : inherited) {
      if (!known(*option)) {
        scope.options.push_back(option);
      }
    }
  }
  std::vector<const CompletionOption*> passed;
  for (const auto* option : scope.options) {
    if (option->inherited == Inherited::yes) {
      passed.push_back(option);
    }
  }
  scopes.push_back(scope);
  for (const auto& sub : command.subcommands) {
    collect_scopes(sub, path.empty() ? sub.name : path + "/" + sub.name, passed, scopes);
  }
}

std::vector<Scope> scopes_of(const CompletionCommand& command)
{
  std::vector<Scope> scopes;
  collect_scopes(command, "", {}, scopes);
  return scopes;
}

// Return text as one word in single quotes for sh.
std::string sh_quote(std::string_view text)
{
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

// Return text with every character other than a letter, a digit and '_' made '_'.
std::string identifier(std::string_view text)
{
  std::string out;
  for (const char c : text) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out += plain ? c : '_';
  }
  return out;
}

// Return the text with each character of specials preceded by a backslash.
std::string backslashed(std::string_view text, std::string_view specials)
{
  std::string out;
  for (const char c : text) {
    if (c == '\\' || specials.find(c) != std::string_view::npos) {
      out += '\\';
    }
    out += c;
  }
  return out;
}

// ---------------------------------------------------------------------------------
// bash

// The engine of every bash script; @P@ is the prefix of the tool's function names.
// The tables it reads (@P@_subcommands, _options, _value, _positional) are generated.
constexpr std::string_view k_bash_engine = R"BASH(
# Set words, cword and cur without bash-completion: the words of COMP_WORDS joined
# again where readline split them at a COMP_WORDBREAKS character (= and :) without a
# space between them.
@P@_words() {
  local line=$COMP_LINE word i space
  words=()
  cword=0
  for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
    word=${COMP_WORDS[i]}
    space=
    while [[ $line == [[:space:]]* ]]; do
      line=${line#?}
      space=1
    done
    if ((i == 0)) || [[ -n $space ]]; then
      words+=("$word")
    else
      words[${#words[@]} - 1]+=$word
    fi
    line=${line#"$word"}
    if ((i == COMP_CWORD)); then
      cword=$((${#words[@]} - 1))
    fi
  done
  cur=${words[cword]-}
}

# Set REPLY to the word $1 without its shell quoting.
@P@_dequote() {
  local word=$1 c quote=''
  REPLY=''
  while [[ -n $word ]]; do
    c=${word:0:1}
    word=${word:1}
    if [[ $quote == "'" ]]; then
      if [[ $c == "'" ]]; then quote=; else REPLY+=$c; fi
    elif [[ $c == \\ && ( -z $quote || ${word:0:1} == [\"\\\$\`] ) ]]; then
      REPLY+=${word:0:1}
      word=${word:1}
    elif [[ $c == '"' ]]; then
      if [[ -n $quote ]]; then quote=; else quote='"'; fi
    elif [[ -z $quote && $c == "'" ]]; then
      quote="'"
    else
      REPLY+=$c
    fi
  done
}

# Add the words among the arguments that start with cur to COMPREPLY, quoted for the
# line unless cur opened a quote.
@P@_match() {
  local REPLY word quoted
  @P@_dequote "$cur"
  for word; do
    if [[ $word == "$REPLY"* ]]; then
      if [[ $cur == [\"\']* ]]; then
        COMPREPLY+=("$word")
      else
        printf -v quoted '%q' "$word"
        COMPREPLY+=("$quoted")
      fi
    fi
  done
}

# Complete cur as a path (-d: a directory). Not with bash-completion's _filedir: it
# leaves the quotes of cur to readline, so a quoted path completes differently with
# and without bash-completion; readline quotes what is offered here (-o filenames).
@P@_paths() {
  local REPLY
  @P@_dequote "$cur"
  compopt -o filenames 2>/dev/null
  if [[ ${1-} == -d ]]; then
    mapfile -t COMPREPLY < <(compgen -d -- "$REPLY")
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$REPLY")
  fi
}

# Complete cur as a value of the kind $1 (file, dir, choice followed by the choices).
@P@_complete() {
  case $1 in
  file) @P@_paths ;;
  dir) @P@_paths -d ;;
  choice)
    shift
    @P@_match "$@"
    ;;
  esac
}

# Readline replaces only what follows the last = or : of the word (COMP_WORDBREAKS):
# drop what precedes it from the completions.
@P@_ltrim() {
  local breaks='' prefix i
  [[ $COMP_WORDBREAKS == *=* ]] && breaks+='='
  [[ $COMP_WORDBREAKS == *:* ]] && breaks+=':'
  [[ -n $breaks && $cur == *["$breaks"]* ]] || return 0
  prefix=${cur%"${cur##*["$breaks"]}"}
  for i in "${!COMPREPLY[@]}"; do
    COMPREPLY[i]=${COMPREPLY[i]#"$prefix"}
  done
}

# Return 0 when $1 is one of the other arguments.
@P@_has() {
  local word=$1
  shift
  local each
  for each; do
    [[ $each == "$word" ]] && return 0
  done
  return 1
}

@P@() {
  local cur words cword
  COMPREPLY=()
  if declare -F _init_completion >/dev/null; then
    # shellcheck disable=SC2034 # set by _init_completion, kept local
    local prev split
    _init_completion -n =: || return
  else
    @P@_words
  fi
  # Walk the words before the cursor: subcommands lead to their command, an option
  # that takes a value takes the next word (unless given as --option=value).
  local path='' word option='' dashdash='' i=1
  local -a reply
  while ((i < cword)); do
    word=${words[i]}
    ((i++))
    if [[ -z $dashdash && $word == -?* ]]; then
      if [[ $word == -- ]]; then
        dashdash=1
      elif [[ $word != *=* ]] && @P@_value "$path" "$word" && [[ ${reply[0]} != flag ]]; then
        if ((i == cword)); then
          option=$word
        fi
        ((i++))
      fi
    elif [[ -z $dashdash ]] && @P@_subcommands "$path" && @P@_has "$word" "${reply[@]}"; then
      path=${path:+$path/}$word
    fi
  done
  if [[ -z $option && -z $dashdash && $cur == -?*=* ]]; then
    option=${cur%%=*}
    cur=${cur#*=}
  fi
  if [[ -n $option ]]; then
    @P@_value "$path" "$option" && @P@_complete "${reply[@]}"
  elif [[ -z $dashdash && $cur == -* ]]; then
    @P@_options "$path" && @P@_match "${reply[@]}"
  elif [[ -z $dashdash ]] && @P@_subcommands "$path" && ((${#reply[@]} > 0)); then
    @P@_match "${reply[@]}"
  elif @P@_positional "$path"; then
    @P@_complete "${reply[@]}"
  elif [[ -z $dashdash ]]; then
    @P@_options "$path" && @P@_match "${reply[@]}"
  fi
  @P@_ltrim
  return 0
}
)BASH";

std::string replace_all(std::string text, std::string_view from, std::string_view to)
{
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// Return the words of reply=(...) that say what a value is: its kind and choices.
std::string bash_value_words(const CompletionValue& value)
{
  switch (value.kind) {
  case ValueKind::flag: return "flag";
  case ValueKind::word: return "word";
  case ValueKind::file: return "file";
  case ValueKind::directory: return "dir";
  case ValueKind::choice: {
    std::string words = "choice";
    for (const auto& choice : value.choices) {
      words += " " + sh_quote(choice);
    }
    return words;
  }
  }
  return "word";
}

std::string bash_words(const std::vector<std::string>& words)
{
  std::string out;
  for (const auto& word : words) {
    out += (out.empty() ? "" : " ") + sh_quote(word);
  }
  return out;
}

std::string bash_script(const CompletionCommand& command)
{
  const std::string p = "_clm_complete_" + identifier(command.name);
  const auto scopes = scopes_of(command);
  std::ostringstream out;
  out << "# bash completion for " << command.name << ": generated by \"" << command.name
      << " --completion bash\" from the\n# options " << command.name << " parses; do not edit.\n";

  out << "\n# Set reply to the subcommands after the subcommands $1 (joined by /).\n"
      << p << "_subcommands() {\n  case $1 in\n";
  for (const auto& scope : scopes) {
    std::vector<std::string> names;
    for (const auto& sub : scope.command->subcommands) {
      names.push_back(sub.name);
    }
    out << "  " << sh_quote(scope.path) << ") reply=(" << bash_words(names) << ") ;;\n";
  }
  out << "  *) reply=() ;;\n  esac\n}\n";

  out << "\n# Set reply to the options valid after the subcommands $1.\n" << p << "_options() {\n  case $1 in\n";
  for (const auto& scope : scopes) {
    std::vector<std::string> names;
    for (const auto* option : scope.options) {
      names.insert(names.end(), option->names.begin(), option->names.end());
    }
    out << "  " << sh_quote(scope.path) << ") reply=(" << bash_words(names) << ") ;;\n";
  }
  out << "  *) reply=() ;;\n  esac\n}\n";

  out << "\n# Set reply to what the value of option $2 after the subcommands $1 is (flag: none);\n"
         "# return 1 for an option not valid there.\n"
      << p << "_value() {\n  case $1 in\n";
  for (const auto& scope : scopes) {
    // One branch per kind of value, its options joined by |.
    std::map<std::string, std::vector<std::string>> by_value;
    std::vector<std::string> order;
    for (const auto* option : scope.options) {
      const std::string words = bash_value_words(option->value);
      if (!by_value.contains(words)) {
        order.push_back(words);
      }
      for (const auto& name : option->names) {
        by_value[words].push_back(sh_quote(name));
      }
    }
    out << "  " << sh_quote(scope.path) << ")\n    case $2 in\n";
    for (const auto& words : order) {
      std::string pattern;
      for (const auto& name : by_value[words]) {
        pattern += (pattern.empty() ? "" : "|") + name;
      }
      out << "    " << pattern << ") reply=(" << words << ") ;;\n";
    }
    out << "    *) return 1 ;;\n    esac\n    ;;\n";
  }
  out << "  *) return 1 ;;\n  esac\n}\n";

  out << "\n# Set reply to what the positional arguments after the subcommands $1 are; return 1\n"
         "# when it takes none.\n"
      << p << "_positional() {\n  case $1 in\n";
  for (const auto& scope : scopes) {
    if (scope.command->positional) {
      out << "  " << sh_quote(scope.path) << ") reply=(" << bash_value_words(scope.command->positional->value)
          << ") ;;\n";
    }
  }
  out << "  *) return 1 ;;\n  esac\n}\n";

  out << replace_all(std::string(k_bash_engine), "@P@", p);
  out << "\ncomplete -F " << p << " " << command.name << "\n";
  return out.str();
}

// ---------------------------------------------------------------------------------
// zsh

// Return the action of _arguments that completes value.
std::string zsh_action(const CompletionValue& value)
{
  switch (value.kind) {
  case ValueKind::flag:
  case ValueKind::word: return " ";
  case ValueKind::file: return "_files";
  case ValueKind::directory: return "_files -/";
  case ValueKind::choice: {
    std::string words;
    for (const auto& choice : value.choices) {
      words += (words.empty() ? "" : " ") + backslashed(choice, " ()'\":\\$`;&|<>*?[]{}!#~");
    }
    return "(" + words + ")";
  }
  }
  return " ";
}

// Return the message of a value: the option's longest name without its dashes.
std::string zsh_message(const CompletionOption& option)
{
  std::string name;
  for (const auto& each : option.names) {
    if (each.size() > name.size()) {
      name = each;
    }
  }
  return name.substr(name.find_first_not_of('-'));
}

// Return the _arguments specs of option, one per name, each a quoted word.
std::vector<std::string> zsh_option_specs(const CompletionOption& option)
{
  std::string exclusion;
  if (option.repeatable == Repeatable::yes) {
    exclusion = "*";
  } else if (option.names.size() > 1) {
    for (const auto& name : option.names) {
      exclusion += (exclusion.empty() ? "(" : " ") + name;
    }
    exclusion += ")";
  }
  const std::string description =
    option.description.empty() ? "" : "[" + backslashed(option.description, "[]:") + "]";
  std::vector<std::string> specs;
  for (const auto& name : option.names) {
    std::string spec = exclusion + name;
    if (option.value.kind != ValueKind::flag) {
      // -x+: the value joined or the next word; --long=: after = or the next word.
      spec += name.size() == 2 ? "+" : "=";
    }
    spec += description;
    if (option.value.kind != ValueKind::flag) {
      spec += ":" + backslashed(zsh_message(option), ":") + ":" + zsh_action(option.value);
    }
    specs.push_back(sh_quote(spec));
  }
  return specs;
}

std::string zsh_function_name(const std::string& tool, const std::string& path)
{
  return "_clm_complete_" + identifier(tool) + (path.empty() ? "" : "__" + identifier(replace_all(path, "/", "__")));
}

void zsh_function(std::ostringstream& out, const std::string& tool, const Scope& scope)
{
  const CompletionCommand& command = *scope.command;
  const std::string name = zsh_function_name(tool, scope.path);
  const std::string display = scope.path.empty() ? tool : tool + " " + replace_all(scope.path, "/", " ");
  out << "\n# " << display << "\n" << name << "() {\n";
  const bool dispatch = !command.subcommands.empty();
  if (dispatch) {
    out << "  local curcontext=$curcontext state state_descr line ret=1\n"
           "  typeset -A opt_args\n"
           "  _arguments -C -S :";
  } else {
    out << "  _arguments -S :";
  }
  for (const auto* option : scope.options) {
    for (const auto& spec : zsh_option_specs(*option)) {
      out << " \\\n    " << spec;
    }
  }
  if (dispatch) {
    out << " \\\n    '1: :->command' \\\n    '*:: :->argument' && ret=0\n"
        << "  case $state in\n  (command)\n    local -a commands=(\n";
    for (const auto& sub : command.subcommands) {
      out << "      " << sh_quote(backslashed(sub.name, ":") + (sub.description.empty() ? "" : ":" + sub.description))
          << "\n";
    }
    out << "    )\n    _describe -t commands " << sh_quote(display + " subcommand") << " commands && ret=0\n"
        << "    ;;\n  (argument)\n"
        << "    curcontext=${curcontext%:*:*}:" << replace_all(display, " ", "-") << "-$words[1]:\n"
        << "    case $words[1] in\n";
    for (const auto& sub : command.subcommands) {
      const std::string sub_path = scope.path.empty() ? sub.name : scope.path + "/" + sub.name;
      out << "    (" << backslashed(sub.name, " ()|*?[]") << ") " << zsh_function_name(tool, sub_path)
          << " && ret=0 ;;\n";
    }
    out << "    esac\n    ;;\n  esac\n  return ret\n}\n";
    return;
  }
  if (command.positional) {
    const auto& positional = *command.positional;
    const std::string spec = std::string(positional.repeatable == Repeatable::yes ? "*" : "1") + ":"
                             + backslashed(positional.name, ":") + ":" + zsh_action(positional.value);
    out << " \\\n    " << sh_quote(spec);
  }
  out << "\n}\n";
}

std::string zsh_script(const CompletionCommand& command)
{
  const auto scopes = scopes_of(command);
  std::ostringstream out;
  out << "#compdef " << command.name << "\n# zsh completion for " << command.name << ": generated by \""
      << command.name << " --completion zsh\" from the\n# options " << command.name << " parses; do not edit.\n";
  // Innermost first, so that every function a dispatcher names is defined above it.
  for (auto scope = scopes.rbegin(); scope != scopes.rend(); ++scope) {
    zsh_function(out, command.name, *scope);
  }
  const std::string root = zsh_function_name(command.name, "");
  out << "\nif [[ $zsh_eval_context[-1] == loadautofunc ]]; then\n  " << root << " \"$@\"\nelse\n  compdef " << root
      << " " << command.name << "\nfi\n";
  return out.str();
}

}  // namespace

CompletionCommand completion_command(CLI::App& app)
{
  CompletionCommand command;
  command.name = app.get_name();
  command.description = app.get_description();
  command.fallthrough = app.get_fallthrough() ? Fallthrough::yes : Fallthrough::no;
  for (CLI::Option* option : app.get_options()) {
    if (option->get_group().empty()) {
      continue;  // hidden
    }
    const Repeatable repeatable = option->get_items_expected_max() > 1 ? Repeatable::yes : Repeatable::no;
    if (!option->nonpositional()) {
      if (!command.positional) {
        command.positional = CompletionPositional{option->get_name(true), value_of(*option), repeatable};
      }
      continue;
    }
    CompletionOption entry;
    for (const auto& name : option->get_snames()) {
      entry.names.push_back("-" + name);
    }
    for (const auto& name : option->get_lnames()) {
      entry.names.push_back("--" + name);
    }
    entry.description = option->get_description();
    entry.value = value_of(*option);
    entry.repeatable = repeatable;
    command.options.push_back(std::move(entry));
  }
  for (auto& option : footer_options(app.get_footer())) {
    command.options.push_back(std::move(option));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App* each) { return !each->get_group().empty(); })) {
    command.subcommands.push_back(completion_command(*sub));
  }
  return command;
}

CompletionCommand swclmclient_completion()
{
  CompletionCommand command;
  command.name = "SWCLMCLIENT";
  command.description = "the original product's ID, certificate and key command";
  for (const auto name : k_swclm_options) {
    CompletionOption option;
    option.names = {"-" + std::string(name)};
    option.value.kind = ValueKind::word;
    const auto* value = std::find_if(k_swclm_option_values.begin(), k_swclm_option_values.end(),
                                     [&](const SwclmOptionValue& v) { return v.option == name; });
    if (value != k_swclm_option_values.end()) {
      switch (value->kind) {
      case SwclmValue::file: option.value.kind = ValueKind::file; break;
      case SwclmValue::directory: option.value.kind = ValueKind::directory; break;
      case SwclmValue::choice: option.value = {ValueKind::choice, split(value->choices, '|')}; break;
      }
    }
    command.options.push_back(std::move(option));
  }
  CompletionOption help;
  help.value.kind = ValueKind::flag;
  help.description = "print the usage and exit";
  for (const auto word : k_swclm_help_words) {
    help.names.emplace_back(word);
  }
  command.options.push_back(help);
  CompletionOption version;
  version.value.kind = ValueKind::flag;
  version.description = "print the version and exit";
  for (const auto word : k_swclm_version_words) {
    version.names.emplace_back(word);
  }
  command.options.push_back(version);
  for (auto& option : footer_options(std::string(k_completion_help))) {
    command.options.push_back(std::move(option));
  }
  for (const auto name : k_swclm_subcommands) {
    CompletionCommand sub;
    sub.name = name;
    command.subcommands.push_back(std::move(sub));
  }
  return command;
}

void add_completion_help(CLI::App& app)
{
  const std::string footer = app.get_footer();
  app.footer(footer.empty() ? std::string(k_completion_help) : footer + "\n" + std::string(k_completion_help));
}

std::optional<Shell> completion_request(int argc, const char* const* argv)
{
  if (argc < 2) {
    return std::nullopt;
  }
  const std::string_view first = argv[1];
  std::optional<std::string_view> shell;
  int next = 2;
  if (first == "--completion") {
    if (argc > 2) {
      shell = argv[2];
      next = 3;
    }
  } else if (first.starts_with("--completion=")) {
    shell = first.substr(first.find('=') + 1);
  } else {
    return std::nullopt;
  }
  if (!shell) {
    throw Error(ExitCode::missing_parameter, "--completion: which shell? bash or zsh");
  }
  if (argc > next) {
    throw Error(ExitCode::bad_syntax, "--completion " + std::string(*shell) + " takes nothing after it");
  }
  if (*shell == "bash") {
    return Shell::bash;
  }
  if (*shell == "zsh") {
    return Shell::zsh;
  }
  throw Error(ExitCode::bad_parameter, "--completion: '" + log_safe(*shell) + "' is not bash or zsh");
}

std::string completion_script(const CompletionCommand& command, Shell shell)
{
  return shell == Shell::bash ? bash_script(command) : zsh_script(command);
}

}  // namespace clm
