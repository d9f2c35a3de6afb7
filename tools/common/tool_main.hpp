// The one main() of every tool: parse, run, and turn errors into the spec's exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace clm {

// Return the name of the running tool ("clm-id"), for messages.
const std::string& tool_name();

// Remove flag and every argument after it from argv (shrinking argc) and return those
// arguments: a command to run, taken verbatim like find's -exec, so its own options
// never reach the tool's parser. nullopt when flag is absent.
std::optional<std::vector<std::string>> take_trailing_command(int& argc, char** argv, std::string_view flag);

// A failure as a tool reports it: its exit code and the stderr line after "NAME: ".
struct ToolFailure {
  int exit_code = 0;
  std::string message;  // "error: ..." in the standard report
};

// A tool's own reading of a failure, for a tool whose exit codes are not table 6.1
// (clm-keyget's are table 6.3): given what was thrown and the standard report of it,
// return the report to make.
using FailureMap = std::function<ToolFailure(const std::exception& thrown, ToolFailure standard)>;

// Make the process non-dumpable (no core file, no ptrace by the same user), then
// build the tool's CLI11 app with define (which adds options and subcommands whose
// callbacks do the work, or an app callback for a tool without subcommands), parse
// argv and run it; a tool that has subcommands needs one. Print "NAME: error: ..." on stderr
// for any failure and return its exit code: CLI11 parse errors become 4 (missing),
// 1 (bad value) or 5 (bad syntax), an Error its code, anything else 255 ("error:
// internal: ..."); --help and --version return 0. With map, every failure of parsing
// and running is reported as map says instead.
int tool_main(const char* name, const char* description, int argc, char** argv,
              const std::function<void(CLI::App&)>& define, const FailureMap& map = {});

}  // namespace clm
