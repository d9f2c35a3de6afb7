// The clm-server subcommands, called from main.cpp after option parsing.
#pragma once

#include "data_dir.hpp"
#include "http_server.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace clm::server {

struct CommandOptions {
  std::string data_dir;
  std::optional<std::string> license_key_file;
  std::optional<std::string> store;  // --store: the store location (store/open_store.hpp)
  std::vector<std::string> hostnames;
  std::string key_type = "rsa2048";
  std::string listen = "127.0.0.1:8443";
  std::optional<std::string> metrics_listen;  // --metrics-listen: GET /metrics alone, plain HTTP, no license
  std::optional<std::string> port_file;
  std::optional<std::string> tls_cert;  // the organization's certificate chain instead of the data dir's own
  std::optional<std::string> tls_key;
  std::size_t max_connections = 10000;
  unsigned workers = 0;  // 0: chosen from the number of cores
  std::size_t cache_rows = 30000;  // the read cache (store/cached_store.hpp); 0: none
  // seed
  std::int64_t devices = 0;
  std::int64_t keys = 1;
  std::string prefix = "dev";
  std::string keytype = "AES";
  int keylength = 128;
  std::optional<std::string> list_file;
  // migrate --from --to: copy a whole store
  std::optional<std::string> copy_from;
  std::optional<std::string> copy_to;
  // grant, revoke-grant
  std::string grant_keyid;
};

// Initialize the data directory and say where the license key and CA certificate are.
void init_command(const CommandOptions& opts);

// Initialize on first start, then serve until SIGTERM/SIGINT.
void serve_command(const CommandOptions& opts);

// Grant the ID opts.grant_keyid the fleet read (getlist and getkeylist of every device);
// print {"keyid", "fleet_read": true, "changed"}. Safe while a server uses the directory.
void grant_command(const CommandOptions& opts);

// Withdraw the fleet read grant of opts.grant_keyid; print {"keyid", "fleet_read": false, "changed"}.
void revoke_grant_command(const CommandOptions& opts);

// Print the fleet read grants as {"grants": [{"keyid", "granted_at"}]}.
void grants_command(const CommandOptions& opts);

// migrate: bring the store of opts.data_dir to this build's schema; print
// {"schema_version": N, "applied": [versions applied now]}. With --to: copy the store
// (--from, default the data dir's) into the empty store --to names, checked table by
// table; print {"from", "to", "tables": [{"table", "rows", "sha256"}]}.
void migrate_command(const CommandOptions& opts);

// Fill an initialized data directory that no server is using with devices and keys for
// load tests; print the ID/password made for them (granted the fleet read) as one JSON
// line on stdout.
void seed_command(const CommandOptions& opts);

}  // namespace clm::server
