// Shell completion (bash, zsh) generated from the definitions a tool parses its command
// line with, so the completion offers exactly what the tool accepts.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

// What the word after an option, or a positional argument, completes to.
enum class ValueKind {
  flag,       // the option takes no value
  word,       // a value nothing can be offered for (a number, a name)
  file,       // a path
  directory,  // a directory
  choice,     // one of CompletionValue::choices
};

struct CompletionValue {
  ValueKind kind = ValueKind::flag;
  std::vector<std::string> choices;  // for ValueKind::choice
};

// Whether an option is offered after the subcommands below the command that has it
// too (global options, which the tools accept there).
enum class Inherited { yes, no };

// Whether an option or a positional argument may be given more than once.
enum class Repeatable { yes, no };

// Whether a command takes the inherited options of its parent (CLI11's fallthrough).
enum class Fallthrough { yes, no };

struct CompletionOption {
  std::vector<std::string> names;  // with their dashes, as --help lists them: "-i", "--infile"
  std::string description;
  CompletionValue value;
  Inherited inherited = Inherited::yes;
  Repeatable repeatable = Repeatable::no;
};

struct CompletionPositional {
  std::string name;  // "PATH"
  CompletionValue value;
  Repeatable repeatable = Repeatable::no;
};

// A command (the tool itself or one of its subcommands) and what may follow it.
struct CompletionCommand {
  std::string name;
  std::string description;
  std::vector<CompletionOption> options;  // its own, not those it inherits
  Fallthrough fallthrough = Fallthrough::yes;
  std::optional<CompletionPositional> positional;  // the first positional argument, if it takes any
  std::vector<CompletionCommand> subcommands;
};

// Return the completion model of app, its options and subcommands, walked after the
// tool defined them: names, values (IsMember/Transformer sets become choices, the
// ExistingFile/ExistingDirectory/ExistingPath checks and the FILE/DIR/PATH/TEXT type
// names paths, numbers nothing) and fallthrough. Lines of a footer that read like an
// option row ("  --exec PROGRAM [ARG...]   ...") are options of that command only (not
// inherited): options a tool takes off argv before CLI11 parses it; a value spelled
// a|b is a choice, another one a path. Hidden options and subcommands are left out.
CompletionCommand completion_command(CLI::App& app);

// Return SWCLMCLIENT's model: the subcommands and single-dash options of its tables
// (swclm_args.hpp), every option valid before and after any subcommand.
CompletionCommand swclmclient_completion();

enum class Shell { bash, zsh };

// Return the shell of a "TOOL --completion SHELL" command line (also
// "--completion=SHELL"), or nullopt when argv[1] is not --completion.
// Error(missing_parameter) without a shell, Error(bad_parameter) for one other than
// bash and zsh, Error(bad_syntax) for an argument after it.
std::optional<Shell> completion_request(int argc, const char* const* argv);

// The footer line of --help that documents --completion (the tools take it before
// CLI11 parses, as their first argument).
inline constexpr std::string_view k_completion_help =
  "  --completion bash|zsh       first on the line: print the shell's completion script and exit";

// Add k_completion_help to the footer of app (after its subcommands are defined, which
// would inherit it otherwise).
void add_completion_help(CLI::App& app);

// Return the script that completes the command line of the tool command describes
// (command.name) in shell: a bash function registered with `complete -F`, or a zsh
// `#compdef` function for fpath that registers itself with compdef when sourced.
std::string completion_script(const CompletionCommand& command, Shell shell);

}  // namespace clm
