// HTTPS front of clm-server: TLS, license check, routing to the API services,
// one log line per request.
#pragma once

#include "data_dir.hpp"

#include <filesystem>
#include <optional>
#include <string>

namespace clm::server {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8443;  // 0: any free port
  std::optional<std::filesystem::path> port_file;  // written once listening
  std::string license_key;
};

// Parse "HOST:PORT" or "[V6]:PORT" into opts; Error(bad_parameter) naming --listen otherwise.
void parse_listen(const std::string& text, ServeOptions& opts);

// Serve until SIGTERM or SIGINT; return normally after a clean stop.
void serve(const ServeOptions& opts, OpenDataDir& data);

}  // namespace clm::server
