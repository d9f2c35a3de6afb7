#include "tool_main.hpp"

#include "completion.hpp"
#include "syslog_tee.hpp"

#include <clm/error.hpp>
#include <clm/process.hpp>
#include <clm/text.hpp>

#include <algorithm>
#include <iostream>
#include <optional>
#include <signal.h>

namespace clm {

namespace {

std::string g_tool_name = "clm";

ExitCode exit_code_for(const CLI::ParseError& e)
{
  if (dynamic_cast<const CLI::RequiredError*>(&e) || dynamic_cast<const CLI::RequiresError*>(&e)) {
    return ExitCode::missing_parameter;
  }
  if (dynamic_cast<const CLI::ValidationError*>(&e) || dynamic_cast<const CLI::ConversionError*>(&e)) {
    return ExitCode::bad_parameter;
  }
  return ExitCode::bad_syntax;
}

}  // namespace

const std::string& tool_name()
{
  return g_tool_name;
}

std::optional<std::vector<std::string>> take_trailing_command(int& argc, char** argv, std::string_view flag)
{
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == flag) {
      std::vector<std::string> command(argv + i + 1, argv + argc);
      argc = i;
      return command;
    }
  }
  return std::nullopt;
}

int tool_main(const char* name, const char* description, int argc, char** argv,
              const std::function<void(CLI::App&)>& define, const FailureMap& map)
{
  // A reader that closes the pipe early must not turn a finished job into a crash.
  ::signal(SIGPIPE, SIG_IGN);
  g_tool_name = name;
  // Before anything is read: a core file or a ptrace attach would expose keys and passwords.
  try {
    disable_core_dumps();
  } catch (const Error& e) {
    std::cerr << name << ": error: " << log_safe(e.what()) << '\n';
    return static_cast<int>(e.code());
  }
  // Print the report of thrown (map's, when there is one) and return its exit code. It
  // is one line whatever a path, a name or a server's text in it holds.
  auto report = [&](const std::exception& thrown, ToolFailure standard) {
    const ToolFailure failure = map ? map(thrown, std::move(standard)) : std::move(standard);
    std::cerr << name << ": " << log_safe(failure.message) << '\n';
    return failure.exit_code;
  };
  // --syslog takes effect before parsing, so that a bad option of a cron line reaches
  // syslog too. clm-server has no --syslog: its log has its own writer to stderr, which
  // systemd's journal records.
  const bool syslog_option = std::string_view(name) != "clm-server";
  std::optional<SyslogTee> tee;
  if (syslog_option && std::find(argv + 1, argv + argc, std::string_view("--syslog")) != argv + argc) {
    tee.emplace(name, std::cerr);
  }
  CLI::App app{description, name};
  app.set_version_flag("--version", std::string(name) + " " CLM_VERSION);
  if (syslog_option) {
    const std::string help = "also send every message on stderr to syslog (the journal), tagged with the tool's name";
    app.add_flag("--syslog", help);
  }
  app.fallthrough();  // global options may follow the subcommand
  app.require_subcommand(0, 1);
  try {
    define(app);
    add_completion_help(app);
    // "TOOL --completion SHELL" before parsing: subcommands have required options.
    if (const auto shell = completion_request(argc, argv)) {
      std::cout << completion_script(completion_command(app), *shell);
      return 0;
    }
    app.parse(argc, argv);
    const bool has_subcommands = !app.get_subcommands([](CLI::App*) { return true; }).empty();
    if (has_subcommands && app.get_subcommands().empty()) {
      std::string names;
      for (const auto* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        names += (names.empty() ? "" : ", ") + sub->get_name();
      }
      throw Error(ExitCode::missing_parameter, "missing subcommand: one of " + names + " (see " + name + " --help)");
    }
    return 0;
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return report(e, {static_cast<int>(exit_code_for(e)),
                      "error: " + std::string(e.what()) + " (see " + name + " --help)"});
  } catch (const Error& e) {
    return report(e, {static_cast<int>(e.code()), "error: " + std::string(e.what())});
  } catch (const std::exception& e) {
    return report(e, {static_cast<int>(ExitCode::internal), "error: internal: " + std::string(e.what())});
  }
}

}  // namespace clm
