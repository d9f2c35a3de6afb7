// Options every network tool shares, bound once, and the way results are printed.
#pragma once

#include <clm/config.hpp>
#include <clm/http_client.hpp>
#include <clm/json_io.hpp>

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace clm {

struct OutputOptions {
  bool pretty = false;
  std::optional<std::string> result_file;  // where to keep the server's full answer
};

// Which license key a tool sends to the server.
enum class LicenseKey {
  client,  // --license-key-file: the license key every device-side tool sends
  admin,   // --admin-key-file: the server's admin license key (clm-device)
};

// Add --host, --port, --cacert, --insecure, --proxy, --proxy-host, --proxy-port,
// --timeout, --connect-timeout, --retry and --config; then --license-key-file and
// --state-dir for LicenseKey::client, or --admin-key-file for LicenseKey::admin (a tool
// without an ID, which keeps no state).
void add_connection_options(CLI::App& app, ConnectionFlags& flags, LicenseKey key = LicenseKey::client);

// Add --pretty and --result-file.
void add_output_options(CLI::App& app, OutputOptions& out);

// Resolve flags against the environment and config file; warn on stderr about --insecure.
Settings tool_settings(const ConnectionFlags& flags);

// Return tool_settings(flags) with the admin license key as the license key it sends:
// the first line of the file --admin-key-file, CLM_ADMIN_KEY_FILE or admin_key_file
// names; Error(missing_parameter) when none does.
Settings admin_tool_settings(const ConnectionFlags& flags);

// Print output on stdout (and the server's answer into --result-file); then, when the
// call failed, throw Error(http_error) describing it with what.
void report_api_result(const ApiResult& result, const json& output, const OutputOptions& out,
                       const std::string& what);

}  // namespace clm
