#include "data_dir.hpp"

#include "store/open_store.hpp"

#include <clm/atomic_file.hpp>
#include <clm/config.hpp>
#include <clm/error.hpp>
#include <clm/util/directory.hpp>
#include <clm/util/hex.hpp>

#include <charconv>
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

constexpr const char* k_tls_root = "tls-root";
constexpr const char* k_tls_leaf = "tls";
constexpr int k_tls_leaf_days = 825;  // the most browsers took when it was chosen

fs::path master_key_path(const fs::path& dir) { return dir / "master.key"; }
fs::path admin_key_path(const fs::path& dir) { return dir / "admin.key"; }

// Create dir with exactly mode (the umask aside), or give an existing dir that mode.
void make_dir(const fs::path& dir, mode_t mode)
{
  util::make_directory(dir, mode, "cannot create directory");
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
  try {
    return util::hex_decode(hex);
  } catch (const Error&) {
    throw Error(ExitCode::bad_file_format, master_key_path(dir).string() + ": not hexadecimal");
  }
}

// The server's TLS identity as init makes it: a root of its own and the leaf it issues.
struct TlsPairs {
  KeyPair root;
  KeyPair leaf;
};

TlsPairs make_tls_pairs(const std::vector<std::string>& names, KeyType type)
{
  TlsPairs tls;
  tls.root = create_tls_root(type);
  tls.leaf = issue_tls_certificate(tls.root, names, type, k_tls_leaf_days);
  return tls;
}

// Write what clients see of the TLS identity: the root they trust and the leaf.
void write_tls_files(const fs::path& dir, const TlsPairs& tls)
{
  make_dir(dir / "tls", 0755);
  write_file_atomic(dir / "tls" / "ca.pem", tls.root.cert_pem, 0644);
  write_file_atomic(dir / "tls" / "server.pem", tls.leaf.cert_pem, 0644);
}

std::pair<std::string, StoredKeyPair> sealed_pair(const SecretBox& box, const std::string& name, const KeyPair& kp)
{
  return {name, StoredKeyPair{kp.cert_pem, box.seal(kp.key_pem, key_pair_associated_data(name))}};
}

// Give a directory made before the TLS root existed, whose TLS certificate ca1 issued
// (so that any device certificate could pose as the server), a TLS root and a new
// certificate for the same names; return whether it did.
bool separate_tls_identity(const fs::path& dir, Store& store, const SecretBox& box)
{
  const auto leaf = store.key_pair(k_tls_leaf);
  const auto root = store.key_pair(k_tls_root);
  const auto device_root = store.key_pair("CA");
  const auto issuing = store.key_pair("ca1");
  if (!leaf || !device_root || !issuing) {
    throw Error(ExitCode::bad_file_format, "the store holds no TLS or CA key pair; re-run init");
  }
  if (root && !certificate_chains_to(leaf->cert_pem, issuing->cert_pem, device_root->cert_pem)) {
    return false;
  }
  std::vector<std::string> names = certificate_names(leaf->cert_pem);
  if (names.empty()) {
    names = {"localhost", "127.0.0.1", "::1"};
  }
  const TlsPairs tls = make_tls_pairs(names, KeyType::ec_p256);
  // Files first, the store last: after a crash in between the store still lacks the
  // new root, and the next open does it all again.
  write_tls_files(dir, tls);
  // initialize() saves key pairs by name, replacing, in one transaction.
  store.initialize({sealed_pair(box, k_tls_root, tls.root), sealed_pair(box, k_tls_leaf, tls.leaf)});
  return true;
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

std::string store_location(const fs::path& dir, const std::optional<std::string>& store)
{
  if (store) {
    check_store_location(*store, "--store");
    return *store;
  }
  return read_server_settings(dir).store;
}

bool is_initialized(const fs::path& dir, const std::optional<std::string>& store)
{
  std::error_code ec;
  if (!fs::exists(master_key_path(dir), ec)) {
    return false;
  }
  const std::string location = store_location(dir, store);
  if (!is_postgres_location(location) && !fs::exists(sqlite_file(location, dir), ec)) {
    return false;
  }
  return open_store(location, dir)->initialized();
}

InitReport init_data_dir(const InitOptions& opts)
{
  const fs::path& dir = opts.data_dir;
  make_dir(dir, 0700);
  if (is_initialized(dir, opts.store)) {
    return {};
  }
  const std::string location = store_location(dir, opts.store);
  const std::unique_ptr<Store> store = open_store(location, dir);
  if (store->initialized()) {
    // A store another server initialized: this one needs that server's master key.
    throw Error(ExitCode::bad_config,
                describe_location(location, dir) + " is initialized already, by another server; copy its data "
                "directory's master.key, license.key, admin.key, clm-server.conf and tls/ to " + dir.string()
                + " (clm-server(8), SEVERAL SERVERS)");
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
  write_file_atomic(master_key_path(dir), util::hex_encode(master) + "\n", 0600);
  write_file_atomic(dir / "license.key", license + "\n", 0600);
  write_file_atomic(admin_key_path(dir), generate_license_key() + "\n", 0600);
  std::error_code ec;
  if (!fs::exists(dir / "clm-server.conf", ec)) {
    std::string settings = k_default_settings;
    if (!location.empty()) {
      settings += "# Where the store is: a PostgreSQL database, its password in a passfile (PGPASSFILE).\nstore = "
                  + location + "\n";
    }
    write_file_atomic(dir / "clm-server.conf", settings, 0644);
  }

  // The device CA issues device certificates only; the server's TLS identity has a root
  // of its own, so that no certificate a client can get from ca1 passes for the server.
  const CaHierarchy ca = create_ca(opts.key_type);
  std::vector<std::string> names{"localhost", "127.0.0.1", "::1"};
  names.insert(names.end(), opts.hostnames.begin(), opts.hostnames.end());
  const TlsPairs tls = make_tls_pairs(names, opts.tls_key_type);

  const SecretBox box(master);
  write_tls_files(dir, tls);
  // The store is marked initialized last, in one transaction: a crash before this
  // point leaves a directory that the next init simply redoes.
  store->initialize({sealed_pair(box, "CA", ca.root), sealed_pair(box, "ca1", ca.issuing),
                     sealed_pair(box, k_tls_root, tls.root), sealed_pair(box, k_tls_leaf, tls.leaf)});
  register_ca_certificates(*store, system_clock_ms()());
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
    } else if (key == "store") {
      check_store_location(value, origin);
      s.store = value;
    } else {
      throw Error(ExitCode::bad_config, origin + ": unknown setting");
    }
  }
  return s;
}

OpenDataDir open_data_dir(const fs::path& dir, const std::optional<std::string>& store)
{
  OpenDataDir d;
  d.settings = read_server_settings(dir);
  if (store) {
    check_store_location(*store, "--store");
    d.settings.store = *store;
  }
  d.box = std::make_unique<SecretBox>(load_master_key(dir));
  d.admin_key = load_admin_key(dir);
  d.store = open_store(d.settings.store, dir);
  d.shared_store = is_postgres_location(d.settings.store);
  const auto issuing = d.store->key_pair("ca1");
  if (!issuing) {
    throw Error(ExitCode::bad_file_format, describe_location(d.settings.store, dir) + " holds no CA; run clm-server init");
  }
  // Leaves get the key type chosen for the CA at init (--key-type).
  std::string ca_key;
  try {
    ca_key = d.box->open(issuing->sealed_key, key_pair_associated_data("ca1"));
  } catch (const Error&) {
    throw Error(ExitCode::tampered, master_key_path(dir).string() + " does not open the CA key in "
                                      + describe_location(d.settings.store, dir)
                                      + ": servers sharing a store need the master.key of the one that initialized it");
  }
  d.settings.cert_policy.key_type = key_type_of(ca_key);
  d.tls_separated = separate_tls_identity(dir, *d.store, *d.box);
  // Data directories made before the certificate API get key numbers for their CA certificates.
  register_ca_certificates(*d.store, system_clock_ms()());
  return d;
}

TlsIdentity load_tls_identity(const OpenDataDir& data, const TlsSource& source)
{
  TlsIdentity id;
  if (!source.cert_file && !source.key_file) {
    const auto leaf = data.store->key_pair(k_tls_leaf);
    if (!leaf) {
      throw Error(ExitCode::bad_file_format, "the store holds no TLS key pair; re-run init");
    }
    id.chain_pem = leaf->cert_pem;
    id.key_pem = data.box->open(leaf->sealed_key, key_pair_associated_data(k_tls_leaf));
    id.names = certificate_names(id.chain_pem);
    return id;
  }
  if (!source.cert_file || !source.key_file) {
    throw Error(ExitCode::missing_parameter, source.cert_file ? "--tls-key: missing (--tls-cert needs its key)"
                                                              : "--tls-cert: missing (--tls-key needs its certificate)");
  }
  const fs::path& cert_file = *source.cert_file;
  const fs::path& key_file = *source.key_file;
  const std::string chain_text = read_file(cert_file);
  const std::string key_text = read_file(key_file);
  std::vector<std::string> chain;
  try {
    chain = pem_certificates(chain_text);
  } catch (const Error& e) {
    throw Error(ExitCode::bad_file_format, cert_file.string() + ": not a PEM certificate chain: " + e.what());
  }
  if (chain.empty()) {
    throw Error(ExitCode::bad_file_format,
                cert_file.string() + ": holds no PEM certificate (--tls-cert is the chain, leaf first)");
  }
  bool match = false;
  try {
    match = key_matches_certificate(chain.front(), key_text);
  } catch (const Error& e) {
    throw Error(ExitCode::bad_file_format, key_file.string() + ": not an unencrypted PEM private key: " + e.what());
  }
  if (!match) {
    throw Error(ExitCode::bad_file_format,
                key_file.string() + ": not the key of the first certificate in " + cert_file.string());
  }
  for (const std::string& cert : chain) {
    id.chain_pem += cert;
  }
  id.key_pem = key_text;
  id.names = certificate_names(chain.front());
  return id;
}

}  // namespace clm::server
