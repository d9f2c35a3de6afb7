#include <clm/atomic_file.hpp>
#include <clm/config.hpp>
#include <clm/error.hpp>
#include <clm/state.hpp>
#include <clm/text.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <sstream>
#include <string_view>

namespace clm {

namespace fs = std::filesystem;

namespace {

// One setting with where it came from, so an error can name the culprit.
struct Value {
  std::string text;
  std::string origin;  // "--port", "CLM_PORT", "/etc/clm/clm.conf: port"
  ExitCode bad_code;   // bad_parameter for flags and environment, bad_config for files
};

// A configuration file's settings, each with the file it came from.
using FileSettings = std::map<std::string, std::pair<std::string, std::string>>;

// Keys clm.conf may hold; anything else is a typo worth an error.
constexpr std::array k_config_keys{"host",           "port",           "cacert",          "proxy",
                                   "proxy_host",     "proxy_port",     "timeout",         "connect_timeout",
                                   "license_key_file", "state_dir",    "retry",           "admin_key_file"};

enum class Level { flag, env, file };
constexpr std::array k_levels{Level::flag, Level::env, Level::file};

class Resolver {
public:
  Resolver(const EnvLookup& env, FileSettings file) : m_env(env), m_file(std::move(file)) {}

  // Return the setting as given at one level (flag, environment or file), if it is.
  std::optional<Value> at(Level level, const std::optional<std::string>& flag, const std::string& option,
                          const std::string& env_name, const std::string& key) const
  {
    switch (level) {
    case Level::flag:
      if (flag) {
        return Value{*flag, option, ExitCode::bad_parameter};
      }
      break;
    case Level::env:
      if (auto v = m_env(env_name); v && !v->empty()) {
        return Value{*v, env_name, ExitCode::bad_parameter};
      }
      break;
    case Level::file:
      if (auto it = m_file.find(key); it != m_file.end()) {
        return Value{it->second.first, it->second.second + ": " + key, ExitCode::bad_config};
      }
      break;
    }
    return std::nullopt;
  }

  // Return the first of flag, environment variable, config key that is set.
  std::optional<Value> get(const std::optional<std::string>& flag, const std::string& option,
                           const std::string& env_name, const std::string& key) const
  {
    for (const Level level : k_levels) {
      if (auto v = at(level, flag, option, env_name, key)) {
        return v;
      }
    }
    return std::nullopt;
  }

private:
  const EnvLookup& m_env;
  FileSettings m_file;
};

long parse_number(const Value& v, long min, long max)
{
  long n = 0;
  const char* end = v.text.data() + v.text.size();
  const auto [ptr, ec] = std::from_chars(v.text.data(), end, n);
  if (ec != std::errc() || ptr != end || n < min || n > max) {
    throw Error(v.bad_code, v.origin + ": '" + v.text + "' is not a number in " + std::to_string(min) + ".."
                              + std::to_string(max));
  }
  return n;
}

void check_host(const Value& v)
{
  if (v.text.empty() || v.text.find_first_of(" /?#@\t") != std::string::npos) {
    throw Error(v.bad_code, v.origin + ": '" + v.text + "' is not a host name or IP address");
  }
}

// Return the servers a host setting names: a comma-separated list of HOST, HOST:PORT,
// [IPV6] or [IPV6]:PORT, where an address with two colons or more and no brackets is
// an IPv6 address without a port (the form --host always took). Elements without a
// port take default_port.
std::vector<Endpoint> parse_endpoints(const Value& v, int default_port)
{
  std::vector<Endpoint> out;
  std::string_view rest = v.text;
  while (true) {
    const auto comma = rest.find(',');
    const std::string item = trim(std::string(rest.substr(0, comma)));
    auto bad = [&](const std::string& why) {
      return Error(v.bad_code, v.origin + ": '" + item + "' " + why);
    };
    Endpoint e{item, default_port};
    std::optional<std::string> port;
    if (!item.empty() && item.front() == '[') {
      const auto close = item.find(']');
      if (close == std::string::npos || (close + 1 < item.size() && item[close + 1] != ':')) {
        throw bad("is not [IPV6] or [IPV6]:PORT");
      }
      e.host = item.substr(1, close - 1);
      if (close + 1 < item.size()) {
        port = item.substr(close + 2);
      }
    } else if (std::count(item.begin(), item.end(), ':') == 1) {
      const auto colon = item.find(':');
      e.host = item.substr(0, colon);
      port = item.substr(colon + 1);
    }
    if (e.host.find_first_of("[]") != std::string::npos) {
      throw bad("is not a host name or IP address");
    }
    check_host(Value{e.host, v.origin, v.bad_code});
    if (port) {
      const Value port_value{*port, v.origin + " (port of " + item + ")", v.bad_code};
      e.port = static_cast<int>(parse_number(port_value, 1, 65535));
    }
    out.push_back(std::move(e));
    if (comma == std::string_view::npos) {
      return out;
    }
    rest.remove_prefix(comma + 1);
  }
}

FileSettings config_for(const ConnectionFlags& flags, const EnvLookup& env)
{
  FileSettings out;
  auto take = [&](const fs::path& path, bool legacy) {
    for (auto& [k, v] : read_config_file(path)) {
      const bool known = std::find(k_config_keys.begin(), k_config_keys.end(), k) != k_config_keys.end();
      if (legacy) {
        // The agent's file holds many settings; only host= and port= are ours.
        if (k == "host" || k == "port") {
          out[k] = {v, path.string()};
        }
      } else if (!known) {
        throw Error(ExitCode::bad_config, path.string() + ": unknown setting '" + k + "'");
      } else {
        out[k] = {v, path.string()};
      }
    }
  };
  std::optional<std::string> explicit_path = flags.config;
  if (!explicit_path) {
    if (auto v = env("CLM_CONFIG"); v && !v->empty()) {
      explicit_path = v;
    }
  }
  if (explicit_path) {
    take(*explicit_path, false);
    return out;
  }
  std::error_code ec;
  // clm.conf is read last so it wins over the legacy agent file.
  if (fs::exists(k_legacy_config, ec)) {
    take(k_legacy_config, true);
  }
  if (fs::exists(k_default_config, ec)) {
    take(k_default_config, false);
  }
  return out;
}

fs::path state_dir_of(const Resolver& r, const ConnectionFlags& flags)
{
  if (auto v = r.get(flags.state_dir, "--state-dir", "CLM_STATE_DIR", "state_dir")) {
    if (v->text.empty()) {
      throw Error(v->bad_code, v->origin + ": empty path");
    }
    return v->text;
  }
  return StateDir::default_path();
}

}  // namespace

std::string Endpoint::text() const
{
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

EnvLookup process_env()
{
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* v = std::getenv(name.c_str())) {
      return std::string(v);
    }
    return std::nullopt;
  };
}

std::map<std::string, std::string> read_config_file(const fs::path& path)
{
  std::istringstream in(read_file(path));
  std::map<std::string, std::string> out;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';') {
      continue;
    }
    const auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Error(ExitCode::bad_config, path.string() + ":" + std::to_string(lineno) + ": expected key=value");
    }
    std::string key = trim(line.substr(0, eq));
    std::string value = trim(line.substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    out[key] = value;
  }
  return out;
}

fs::path resolve_state_dir(const ConnectionFlags& flags, const EnvLookup& env)
{
  return state_dir_of(Resolver(env, config_for(flags, env)), flags);
}

Settings resolve_settings(const ConnectionFlags& flags, const EnvLookup& env)
{
  const Resolver r(env, config_for(flags, env));
  Settings s;
  Connection& c = s.connection;

  const auto host = r.get(flags.host, "--host", "CLM_HOST", "host");
  if (!host) {
    throw Error(ExitCode::missing_parameter, "missing --host (or CLM_HOST, or host= in the config file)");
  }
  int port = k_default_port;
  if (auto v = r.get(flags.port, "--port", "CLM_PORT", "port")) {
    port = static_cast<int>(parse_number(*v, 1, 65535));
  }
  c.endpoints = parse_endpoints(*host, port);
  if (auto v = r.get(flags.retry, "--retry", "CLM_RETRY", "retry")) {
    c.retry = static_cast<int>(parse_number(*v, 0, k_max_retry));
  }
  if (auto v = r.get(flags.cacert, "--cacert", "CLM_CACERT", "cacert")) {
    c.cacert = v->text;
  }
  c.insecure = flags.insecure;
  if (auto v = r.get(flags.timeout, "--timeout", "CLM_TIMEOUT", "timeout")) {
    c.timeout = parse_number(*v, 1, k_max_timeout);
  }
  if (auto v = r.get(flags.connect_timeout, "--connect-timeout", "CLM_CONNECT_TIMEOUT", "connect_timeout")) {
    c.connect_timeout = parse_number(*v, 1, k_max_timeout);
  }
  // A connection cannot take longer than the whole exchange.
  c.connect_timeout = std::min(c.connect_timeout, c.timeout);

  // --proxy and --proxy-host/--proxy-port are one setting: the first level giving either wins.
  for (const Level level : k_levels) {
    if (auto v = r.at(level, flags.proxy, "--proxy", "CLM_PROXY", "proxy")) {
      const auto colon = v->text.rfind(':');
      if (colon == std::string::npos || colon == 0) {
        throw Error(v->bad_code, v->origin + ": '" + v->text + "' is not HOST:PORT");
      }
      check_host(Value{v->text.substr(0, colon), v->origin, v->bad_code});
      parse_number(Value{v->text.substr(colon + 1), v->origin, v->bad_code}, 1, 65535);
      c.proxy = "http://" + v->text;
      break;
    }
    if (auto ph = r.at(level, flags.proxy_host, "--proxy-host", "CLM_PROXY_HOST", "proxy_host")) {
      check_host(*ph);
      const auto pp = r.get(flags.proxy_port, "--proxy-port", "CLM_PROXY_PORT", "proxy_port");
      if (!pp) {
        throw Error(ExitCode::missing_parameter, ph->origin + " needs a proxy port (--proxy-port)");
      }
      c.proxy = "http://" + ph->text + ":" + std::to_string(parse_number(*pp, 1, 65535));
      break;
    }
  }

  if (auto v = r.get(flags.license_key_file, "--license-key-file", "CLM_LICENSE_KEY_FILE", "license_key_file")) {
    c.license_key = read_secret_file(v->text);
  }
  if (auto v = r.get(flags.admin_key_file, "--admin-key-file", "CLM_ADMIN_KEY_FILE", "admin_key_file")) {
    if (v->text.empty()) {
      throw Error(v->bad_code, v->origin + ": empty path");
    }
    s.admin_key_file = v->text;
  }
  s.state_dir = state_dir_of(r, flags);
  return s;
}

}  // namespace clm
