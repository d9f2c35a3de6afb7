// The server's data directory: store, master key, license key, CA and TLS material.
//
//   DIR/               0700
//   DIR/clm.db         0600  SQLite store (secrets inside are sealed with the master key)
//   DIR/master.key     0600  AES-256-GCM master key, hex
//   DIR/license.key    0600  license key clients send as the Basic auth password
//   DIR/admin.key      0600  admin license key: accepted as the license key, and needed by GET /SWCLM/IDInfo
//   DIR/clm-server.conf      settings (password policy, ID, certificate and key lifetimes)
//   DIR/tls/ca.pem           the root certificate clients trust (--cacert)
//   DIR/tls/server.pem       the server's certificate chain (public)
#pragma once

#include "ca.hpp"
#include "cred_service.hpp"
#include "id_service.hpp"
#include "key_service.hpp"
#include "store.hpp"

#include <clm/crypto.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace clm::server {

struct InitOptions {
  std::filesystem::path data_dir;
  std::optional<std::filesystem::path> license_key_file;  // copied in; else one is generated
  std::vector<std::string> hostnames;                      // extra TLS subjectAltNames
  KeyType key_type = KeyType::rsa2048;
};

struct InitReport {
  bool created = false;            // false: the directory was already initialized
  bool license_generated = false;  // true: a new key was written to DIR/license.key
};

// Return whether dir holds an initialized server.
bool is_initialized(const std::filesystem::path& dir);

// Initialize the data directory; leave an initialized one untouched (created = false).
InitReport init_data_dir(const InitOptions& opts);

// Settings read from DIR/clm-server.conf; Error(bad_config) names a bad line.
struct ServerSettings {
  IdPolicy id_policy;
  CertPolicy cert_policy;  // key_type is set by open_data_dir from the issuing CA's key
  KeyPolicy key_policy;
};
ServerSettings read_server_settings(const std::filesystem::path& dir);

// An opened data directory, ready to serve.
struct OpenDataDir {
  std::unique_ptr<Store> store;
  std::unique_ptr<SecretBox> box;
  ServerSettings settings;
  std::string admin_key;     // DIR/admin.key: the license key of fleet-wide requests
  KeyPair tls;               // leaf certificate and its key
  std::string tls_chain_pem; // the issuing CA certificate sent with the leaf
};

// Open an initialized data directory; Error(file_read) when a file is missing.
OpenDataDir open_data_dir(const std::filesystem::path& dir);

// The server's TLS identity: its certificate chain (leaf first, PEM), private key (PEM),
// and the DNS names and IP addresses the leaf is issued for.
struct TlsIdentity {
  std::string chain_pem;
  std::string key_pem;
  std::vector<std::string> names;
};

// Where the TLS identity comes from: the data directory's own (both unset), or the
// certificate chain and key files of the organization's PKI (both set).
struct TlsSource {
  std::optional<std::filesystem::path> cert_file;
  std::optional<std::filesystem::path> key_file;
};

// Load the TLS identity from source (at start, and again on SIGHUP); Error naming the
// file at fault when it is unreadable, not PEM, or the key does not match the leaf.
TlsIdentity load_tls_identity(const OpenDataDir& data, const TlsSource& source);

}  // namespace clm::server
