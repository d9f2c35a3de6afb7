// The `status` subcommand clm-cert and clm-key share: the expiry watch of
// credential_status.hpp bound to CLI11, with the monitoring-plugins exit codes.
#pragma once

#include "common_options.hpp"
#include "tool_main.hpp"

#include <clm/credential_status.hpp>

#include <CLI/CLI.hpp>

namespace clm {

// The status subcommand of a tool. Its exit codes are not table 6.1 but the plugins'
// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN: failure_map() makes every failure of a
// status command line (a bad option included) UNKNOWN, and exit_code() turns a run that
// completed into its state. The tool's other subcommands keep their codes.
class StatusCommand {
public:
  explicit StatusCommand(CredentialKind kind) : m_kind(kind) {}

  // Add the status subcommand to app; conn (--state-dir, --config) and out (--pretty)
  // are the tool's global options, read when the subcommand runs.
  void add(CLI::App& app, const ConnectionFlags& conn, const OutputOptions& out);

  // Return the FailureMap for tool_main.
  FailureMap failure_map();

  // Return the process's exit code after tool_main returned tool_result.
  int exit_code(int tool_result) const;

private:
  CredentialKind m_kind;
  StatusOptions m_options;
  bool m_selected = false;  // the command line's subcommand is status
  PluginState m_state = PluginState::ok;
};

}  // namespace clm
