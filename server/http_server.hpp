// HTTPS front of clm-server: TLS, license check, routing to the API services,
// one log line per request.
#pragma once

#include "data_dir.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace clm::server {

// An address to listen on.
struct ListenAddress {
  std::string host;
  int port = 0;  // 0: any free port
};

struct ServeOptions {
  ListenAddress listen{"127.0.0.1", 8443};
  std::optional<std::filesystem::path> port_file;  // written once listening
  std::string license_key;
  // TLS identity from the organization's PKI (both or neither); reread on SIGHUP.
  std::optional<std::filesystem::path> tls_cert;
  std::optional<std::filesystem::path> tls_key;
  std::size_t max_connections = 10000;  // open connections beyond this are closed at once
  unsigned workers = 0;                 // handler threads; 0: chosen from the number of cores
  std::size_t cache_rows = 30000;       // rows in the read cache (store/cached_store.hpp); 0: none
  // A second listener, plain HTTP, serving GET /metrics alone without the license key;
  // a loopback or private address only.
  std::optional<ListenAddress> metrics_listen;
};

// The most connections the metrics listener keeps open (or --max-connections, if lower).
inline constexpr std::size_t k_metrics_max_connections = 64;

// Return "HOST:PORT" or "[V6]:PORT" parsed; Error(bad_parameter) naming option otherwise.
ListenAddress parse_listen(const std::string& text, std::string_view option);

// Return whether address (an IPv4 or IPv6 address in text) is a loopback address, or a
// private one (RFC 1918 10/8, 172.16/12, 192.168/16; IPv6 unique local fc00::/7; IPv4
// ones mapped into IPv6 alike); false for anything else, wildcards and names included.
bool is_loopback_or_private(const std::string& address);

// Check that the address of --metrics-listen resolves to a loopback or private address;
// Error(bad_parameter) naming it otherwise (Error(socket) when it does not resolve).
void check_metrics_listen(const ListenAddress& listen);

// Serve until SIGTERM or SIGINT; return normally after a clean stop.
void serve(const ServeOptions& opts, OpenDataDir& data);

}  // namespace clm::server
