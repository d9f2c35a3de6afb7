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
  // TLS identity from the organization's PKI (both or neither); reread on SIGHUP.
  std::optional<std::filesystem::path> tls_cert;
  std::optional<std::filesystem::path> tls_key;
  std::size_t max_connections = 10000;  // open connections beyond this are closed at once
  unsigned workers = 0;                 // handler threads; 0: chosen from the number of cores
  std::size_t cache_rows = 30000;       // rows in the read cache (store/cached_store.hpp); 0: none
};

// Parse "HOST:PORT" or "[V6]:PORT" into opts; Error(bad_parameter) naming --listen otherwise.
void parse_listen(const std::string& text, ServeOptions& opts);

// Serve until SIGTERM or SIGINT; return normally after a clean stop.
void serve(const ServeOptions& opts, OpenDataDir& data);

}  // namespace clm::server
