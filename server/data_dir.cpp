#include "data_dir.hpp"

#include "store/sqlite_store.hpp"

#include <clm/atomic_file.hpp>
#include <clm/config.hpp>
#include <clm/error.hpp>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <sys/stat.h>

namespace clm::server {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_default_settings = R"(# clm-server settings. Lines are key = value; '#' starts a comment.
# Length of generated ID passwords (8..128).
password_length = 16
# Add the symbols # % + , - . / : = @ ^ _ ~ to letters and digits (yes/no).
password_symbols = no
# How long an issued ID/password stays valid: a number with s, m, h or d.
id_lifetime = 3650d
# How long an issued client or server certificate stays valid (same form).
cert_lifetime = 365d
# How long an issued common key (AES, TWINE) stays valid (same form).
key_lifetime = 365d
)";

fs::path db_path(const fs::path& dir) { return dir / "clm.db"; }
fs::path master_key_path(const fs::path& dir) { return dir / "master.key"; }
fs::path admin_key_path(const fs::path& dir) { return dir / "admin.key"; }

void make_dir(const fs::path& dir, mode_t mode)
{
  std::error_code ec;
  if (dir.has_parent_path()) {
    fs::create_directories(dir.parent_path(), ec);
  }
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST) {
    throw Error(ExitCode::file_write, dir.string() + ": cannot create directory: " + std::strerror(errno));
  }
  ::chmod(dir.c_str(), mode);
}

std::string generate_license_key()
{
  // Five groups of five: 25 characters of 32 = 125 bits.
  const std::string s = random_string(25, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789");
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i > 0 && i % 5 == 0) {
      out += '-';
    }
    out += s[i];
  }
  return out;
}

// Return the admin license key of dir, generating DIR/admin.key (0600) for a directory
// initialized before there was one.
std::string load_admin_key(const fs::path& dir)
{
  std::error_code ec;
  if (!fs::exists(admin_key_path(dir), ec)) {
    write_file_atomic(admin_key_path(dir), generate_license_key() + "\n", 0600);
  }
  return read_secret_file(admin_key_path(dir));
}

std::string load_master_key(const fs::path& dir)
{
  const std::string hex = read_secret_file(master_key_path(dir));
  if (hex.size() != 2 * SecretBox::k_key_size) {
    throw Error(ExitCode::bad_file_format, master_key_path(dir).string() + ": expected 64 hex digits");
  }
  std::string key;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    unsigned v = 0;
    const auto [p, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
    if (ec != std::errc() || p != hex.data() + i + 2) {
      throw Error(ExitCode::bad_file_format, master_key_path(dir).string() + ": not hexadecimal");
    }
    key.push_back(static_cast<char>(v));
  }
  return key;
}

std::chrono::seconds parse_duration(const std::string& text, const std::string& origin)
{
  long long n = 0;
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, n);
  const std::string unit(p, end);
  long long factor = 0;
  if (unit == "s" || unit.empty()) {
    factor = 1;
  } else if (unit == "m") {
    factor = 60;
  } else if (unit == "h") {
    factor = 3600;
  } else if (unit == "d") {
    factor = 86400;
  }
  if (ec != std::errc() || factor == 0 || n < 1 || n > 365LL * 1000) {
    throw Error(ExitCode::bad_config, origin + ": '" + text + "' is not a duration such as 30d, 12h, 90m or 45s");
  }
  return std::chrono::seconds(n * factor);
}

}  // namespace

bool is_initialized(const fs::path& dir)
{
  std::error_code ec;
  if (!fs::exists(db_path(dir), ec) || !fs::exists(master_key_path(dir), ec)) {
    return false;
  }
  SqliteStore store(db_path(dir));
  return store.initialized();
}

InitReport init_data_dir(const InitOptions& opts)
{
  const fs::path& dir = opts.data_dir;
  make_dir(dir, 0700);
  if (is_initialized(dir)) {
    return {};
  }
  InitReport report{true, false};
  // The license key first: a bad --license-key-file must stop us before anything is made.
  std::string license;
  if (opts.license_key_file) {
    license = read_secret_file(*opts.license_key_file);
  } else {
    license = generate_license_key();
    report.license_generated = true;
  }
  const std::string master = random_bytes(SecretBox::k_key_size);
  write_file_atomic(master_key_path(dir), hex_encode(master) + "\n", 0600);
  write_file_atomic(dir / "license.key", license + "\n", 0600);
  write_file_atomic(admin_key_path(dir), generate_license_key() + "\n", 0600);
  std::error_code ec;
  if (!fs::exists(dir / "clm-server.conf", ec)) {
    write_file_atomic(dir / "clm-server.conf", k_default_settings, 0644);
  }

  const CaHierarchy ca = create_ca(opts.key_type);
  std::vector<std::string> names{"localhost", "127.0.0.1", "::1"};
  names.insert(names.end(), opts.hostnames.begin(), opts.hostnames.end());
  const KeyPair tls = issue_tls_certificate(ca.issuing, names, opts.key_type, 825);

  const SecretBox box(master);
  auto stored = [&](const std::string& name, const KeyPair& kp) {
    return std::pair{name, StoredKeyPair{kp.cert_pem, box.seal(kp.key_pem, key_pair_associated_data(name))}};
  };
  make_dir(dir / "tls", 0755);
  write_file_atomic(dir / "tls" / "ca.pem", ca.root.cert_pem, 0644);
  write_file_atomic(dir / "tls" / "server.pem", tls.cert_pem + ca.issuing.cert_pem, 0644);
  // The store is marked initialized last, in one transaction: a crash before this
  // point leaves a directory that the next init simply redoes.
  SqliteStore store(db_path(dir));
  store.initialize({stored("CA", ca.root), stored("ca1", ca.issuing), stored("tls", tls)});
  register_ca_certificates(store, system_clock_ms()());
  return report;
}

ServerSettings read_server_settings(const fs::path& dir)
{
  ServerSettings s;
  const fs::path path = dir / "clm-server.conf";
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return s;
  }
  for (const auto& [key, value] : read_config_file(path)) {
    const std::string origin = path.string() + ": " + key;
    if (key == "password_length") {
      std::size_t n = 0;
      const auto [p, e] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (e != std::errc() || p != value.data() + value.size() || n < 8 || n > 128) {
        throw Error(ExitCode::bad_config, origin + ": '" + value + "' is not a number in 8..128");
      }
      s.id_policy.password_length = n;
    } else if (key == "password_symbols") {
      if (value != "yes" && value != "no") {
        throw Error(ExitCode::bad_config, origin + ": '" + value + "' is not yes or no");
      }
      s.id_policy.password_symbols = value == "yes";
    } else if (key == "id_lifetime") {
      s.id_policy.lifetime = parse_duration(value, origin);
    } else if (key == "cert_lifetime") {
      s.cert_policy.lifetime = parse_duration(value, origin);
    } else if (key == "key_lifetime") {
      s.key_policy.lifetime = parse_duration(value, origin);
    } else {
      throw Error(ExitCode::bad_config, origin + ": unknown setting");
    }
  }
  return s;
}

OpenDataDir open_data_dir(const fs::path& dir)
{
  OpenDataDir d;
  d.settings = read_server_settings(dir);
  d.box = std::make_unique<SecretBox>(load_master_key(dir));
  d.admin_key = load_admin_key(dir);
  d.store = std::make_unique<SqliteStore>(db_path(dir));
  const auto tls = d.store->key_pair("tls");
  const auto issuing = d.store->key_pair("ca1");
  if (!tls || !issuing) {
    throw Error(ExitCode::bad_file_format, db_path(dir).string() + ": TLS or CA key pair missing; re-run init");
  }
  d.tls = KeyPair{tls->cert_pem, d.box->open(tls->sealed_key, key_pair_associated_data("tls"))};
  d.tls_chain_pem = issuing->cert_pem;
  // Leaves get the key type chosen for the CA at init (--key-type).
  d.settings.cert_policy.key_type = key_type_of(d.box->open(issuing->sealed_key, key_pair_associated_data("ca1")));
  // Data directories made before the certificate API get key numbers for their CA certificates.
  register_ca_certificates(*d.store, system_clock_ms()());
  return d;
}

// Stand-in until the separate TLS root lands: the data dir's pair, or the files given.
TlsIdentity load_tls_identity(const OpenDataDir& data, const TlsSource& source)
{
  if (source.cert_file && source.key_file) {
    return TlsIdentity{read_file(*source.cert_file), read_secret_file(*source.key_file), {}};
  }
  return TlsIdentity{data.tls.cert_pem + data.tls_chain_pem, data.tls.key_pem, {}};
}

}  // namespace clm::server
