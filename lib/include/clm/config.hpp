// Connection and state settings, resolved once for every tool:
// command-line flags > CLM_* environment > configuration file > defaults.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace clm {

inline constexpr int k_default_port = 8443;
inline constexpr long k_default_timeout = 60;
inline constexpr long k_max_timeout = 2147483647;  // 0x7FFFFFFF, as the command reference allows
inline constexpr int k_default_retry = 2;
inline constexpr int k_max_retry = 10;
inline constexpr const char* k_default_config = "/etc/clm/clm.conf";
inline constexpr const char* k_legacy_config = "/etc/swcagent/swcagent.conf";
inline constexpr const char* k_license_user = "secureware-clm";

// What the user gave on the command line; nullopt means "not given".
struct ConnectionFlags {
  std::optional<std::string> host;  // one host or a comma-separated list
  std::optional<std::string> retry;
  std::optional<std::string> port;
  std::optional<std::string> cacert;
  std::optional<std::string> proxy;       // HOST:PORT
  std::optional<std::string> proxy_host;  // the command reference's -p-host
  std::optional<std::string> proxy_port;  // the command reference's -p-port
  std::optional<std::string> timeout;
  std::optional<std::string> connect_timeout;
  std::optional<std::string> license_key_file;
  std::optional<std::string> admin_key_file;  // clm-device: the server's admin license key
  std::optional<std::string> config;
  std::optional<std::string> state_dir;
  bool insecure = false;
};

// One clm-server to try: a host name or IP address (IPv6 without brackets) and its port.
struct Endpoint {
  std::string host;
  int port = k_default_port;

  // Return "HOST:PORT", with an IPv6 address in brackets.
  std::string text() const;
};

// Everything needed to talk to clm-server, after resolution and validation.
struct Connection {
  std::vector<Endpoint> endpoints;  // tried in turn, one attempt each; never empty once resolved
  int retry = k_default_retry;      // attempts after the first one
  std::string cacert;          // empty: the system trust store
  bool insecure = false;
  std::string proxy;           // empty: no proxy; else "http://HOST:PORT"
  long timeout = k_default_timeout;          // seconds for the whole exchange
  long connect_timeout = k_default_timeout;  // seconds for the TCP+TLS connection
  std::optional<std::string> license_key;    // Basic auth password for user secureware-clm
};

struct Settings {
  Connection connection;
  std::filesystem::path state_dir;
  // The file of the server's admin license key, named but not read: only clm-device
  // reads it, so a configuration that names it costs the other tools nothing.
  std::optional<std::filesystem::path> admin_key_file;
};

// Reads an environment variable; replaceable in tests.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Return the process environment as an EnvLookup.
EnvLookup process_env();

// Return the key=value pairs of a configuration file ('#' comments, blank lines and
// surrounding spaces ignored, values may be quoted). Throw Error(file_read) when it
// cannot be read and Error(bad_config) for a line that is not key=value.
std::map<std::string, std::string> read_config_file(const std::filesystem::path& path);

// Resolve flags, environment and configuration file into Settings. Bad flag or
// environment values are Error(bad_parameter), bad config values Error(bad_config),
// a named config or license file that cannot be read Error(file_read), and no host
// anywhere Error(missing_parameter). The admin key file (--admin-key-file >
// CLM_ADMIN_KEY_FILE > admin_key_file) is resolved, not read. The config file is --config, else CLM_CONFIG,
// else /etc/clm/clm.conf plus the legacy /etc/swcagent/swcagent.conf host=/port=.
Settings resolve_settings(const ConnectionFlags& flags, const EnvLookup& env);

// Return only the state directory (flag > CLM_STATE_DIR > config state_dir > default),
// for tools that never talk to the server.
std::filesystem::path resolve_state_dir(const ConnectionFlags& flags, const EnvLookup& env);

}  // namespace clm
