// The server's data directory: store, master key, license key, the device CA and,
// apart from it, the server's TLS identity.
//
//   DIR/               0700
//   DIR/clm.db         0600  SQLite store (unless the setting store names a PostgreSQL one) (secrets inside are sealed with the master key);
//                            key pairs "CA" and "ca1" (the device CA, issuing device
//                            certificates only), "tls-root" and "tls" (the TLS identity)
//   DIR/master.key     0600  AES-256-GCM master key, hex
//   DIR/license.key    0600  license key clients send as the Basic auth password
//   DIR/admin.key      0600  admin license key: accepted as the license key, and needed by GET /SWCLM/IDInfo
//   DIR/clm-server.conf      settings (password policy, ID, certificate and key lifetimes)
//   DIR/tls/ca.pem           the TLS root, the one certificate clients trust (--cacert);
//                            never the device CA, whose certificates any client can get
//   DIR/tls/server.pem       the server's TLS certificate, issued by the TLS root (public)
//
// A directory made before the TLS root existed (its "tls" certificate issued by ca1)
// gets a TLS root and a new certificate for the same names when it is opened.
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
  KeyType key_type = KeyType::rsa2048;                     // of the device CA and its leaves
  KeyType tls_key_type = KeyType::ec_p256;                 // of the TLS root and certificate
  std::optional<std::string> store;                        // --store: recorded in DIR/clm-server.conf
};

struct InitReport {
  bool created = false;            // false: the directory was already initialized
  bool license_generated = false;  // true: a new key was written to DIR/license.key
};

// Return the store location of dir: store when given (--store), else the store setting
// of DIR/clm-server.conf, else "" (SQLite in DIR). See store/open_store.hpp.
std::string store_location(const std::filesystem::path& dir, const std::optional<std::string>& store);

// Return whether dir holds an initialized server (its master key and an initialized
// store at store_location(dir, store)).
bool is_initialized(const std::filesystem::path& dir, const std::optional<std::string>& store = std::nullopt);

// Initialize the data directory; leave an initialized one untouched (created = false).
InitReport init_data_dir(const InitOptions& opts);

// Settings read from DIR/clm-server.conf; Error(bad_config) names a bad line.
struct ServerSettings {
  IdPolicy id_policy;
  CertPolicy cert_policy;  // key_type is set by open_data_dir from the issuing CA's key
  KeyPolicy key_policy;
  std::string store;  // where the store is (store/open_store.hpp); "": DIR/clm.db
};
ServerSettings read_server_settings(const std::filesystem::path& dir);

// An opened data directory, ready to serve.
struct OpenDataDir {
  std::unique_ptr<Store> store;
  std::unique_ptr<SecretBox> box;
  ServerSettings settings;
  std::string admin_key;     // DIR/admin.key: the license key of fleet-wide requests
  bool tls_separated = false;  // opening gave an old directory a TLS root of its own
  bool shared_store = false;   // a PostgreSQL store other servers may use too
};

// Open an initialized data directory; Error(file_read) when a file is missing. A
// directory whose TLS certificate chains to the device CA gets a TLS root and a new
// certificate (same names, store and DIR/tls/ rewritten) and tls_separated set.
// The store is store_location(dir, store); Error(tampered) when DIR/master.key does not
// open its CA key (a server sharing a store with a master key of its own).
OpenDataDir open_data_dir(const std::filesystem::path& dir, const std::optional<std::string>& store = std::nullopt);

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

// Load the TLS identity from source (at start, and again on SIGHUP; data is only read,
// so any thread may call it at any time): the data directory's own leaf and key from
// the store (no chain: clients hold its root), or the organization's files.
// Error(file_read) naming a file that cannot be read, Error(bad_file_format) naming
// one that is not PEM or whose key does not match the leaf.
TlsIdentity load_tls_identity(const OpenDataDir& data, const TlsSource& source);

}  // namespace clm::server
