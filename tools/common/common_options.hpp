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

// Add --host, --port, --cacert, --insecure, --proxy, --proxy-host, --proxy-port,
// --timeout, --connect-timeout, --retry, --license-key-file, --config and --state-dir.
void add_connection_options(CLI::App& app, ConnectionFlags& flags);

// Add --pretty and --result-file.
void add_output_options(CLI::App& app, OutputOptions& out);

// Resolve flags against the environment and config file; warn on stderr about --insecure.
Settings tool_settings(const ConnectionFlags& flags);

// Print output on stdout (and the server's answer into --result-file); then, when the
// call failed, throw Error(http_error) describing it with what.
void report_api_result(const ApiResult& result, const json& output, const OutputOptions& out,
                       const std::string& what);

}  // namespace clm
