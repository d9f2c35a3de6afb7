#include <clm/atomic_file.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>
#include <clm/file_digest.hpp>
#include <clm/json_io.hpp>
#include <clm/state.hpp>
#include <clm/util/directory.hpp>
#include <clm/util/errno_error.hpp>
#include <clm/util/fd.hpp>
#include <clm/util/hex.hpp>

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace clm {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t k_max_key_bytes = std::size_t{1} << 20;

}  // namespace

StateDir::StateDir(fs::path dir) : m_dir(std::move(dir)) {}

StateDir::~StateDir() = default;

fs::path StateDir::default_path()
{
  if (::geteuid() == 0) {
    return "/var/lib/clm";
  }
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) {
    return fs::path(xdg) / "clm";
  }
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/") / ".local/state/clm";
}

void StateDir::ensure_dir() const
{
  std::error_code ec;
  if (fs::is_directory(m_dir, ec)) {
    return;
  }
  util::make_private_directory(m_dir, "cannot create state directory");
}

void StateDir::lock()
{
  ensure_dir();
  const fs::path lock_path = m_dir / "lock";
  m_lock = util::LockFile::try_lock(lock_path, "cannot open lock file", "flock");
  if (!m_lock) {
    throw Error(ExitCode::already_running, "another clm run holds the state directory lock " + lock_path.string());
  }
}

fs::path StateDir::id_file() const
{
  return m_dir / "id.json";
}

std::optional<IdCredential> StateDir::load_id() const
{
  std::error_code ec;
  if (!fs::exists(id_file(), ec)) {
    return std::nullopt;
  }
  const auto j = parse_json(read_file(id_file()));
  const auto string_field = [&](const char* name) -> const json* {
    if (!j || !j->is_object()) {
      return nullptr;
    }
    const auto it = j->find(name);
    return it != j->end() && it->is_string() ? &*it : nullptr;
  };
  const json* keyid = string_field("keyid");
  const json* key = string_field("key");
  if (!keyid || !key) {
    throw Error(ExitCode::bad_file_format, id_file().string() + ": not a stored ID/password (want keyid and key)");
  }
  return IdCredential{keyid->get<std::string>(), key->get<std::string>()};
}

IdCredential StateDir::require_id() const
{
  auto cred = load_id();
  if (!cred) {
    throw Error(ExitCode::not_verified,
                "no verified ID/password in " + m_dir.string() + "; run 'clm-id verify' first");
  }
  return *cred;
}

bool StateDir::save_id(const IdCredential& cred)
{
  const auto old = load_id();
  if (old && old->keyid == cred.keyid && old->key == cred.key) {
    return false;
  }
  ensure_dir();
  write_file_atomic(id_file(), dump_json(json{{"keyid", cred.keyid}, {"key", cred.key}}) + "\n", 0600);
  return true;
}

fs::path StateDir::devices_file() const
{
  return m_dir / "devices.json";
}

namespace {

// Return the devices file as an object (empty when missing); Error(bad_file_format) when corrupt.
json read_devices(const fs::path& path)
{
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return json::object();
  }
  auto j = parse_json(read_file(path));
  if (!j || !j->is_object()) {
    throw Error(ExitCode::bad_file_format, path.string() + ": not a JSON object of devices");
  }
  return std::move(*j);
}

}  // namespace

std::optional<DeviceCredential> StateDir::load_device(const std::string& devicename) const
{
  const json devices = read_devices(devices_file());
  const auto it = devices.find(devicename);
  if (it == devices.end()) {
    return std::nullopt;
  }
  if (!it->is_object() || !it->contains("deviceid") || !(*it)["deviceid"].is_string()) {
    throw Error(ExitCode::bad_file_format, devices_file().string() + ": entry of " + devicename + " lacks deviceid");
  }
  return DeviceCredential{(*it)["deviceid"].get<std::string>(), it->value("devicekey", "")};
}

void StateDir::save_device(const std::string& devicename, const DeviceCredential& cred)
{
  json devices = read_devices(devices_file());
  devices[devicename] = json{{"deviceid", cred.deviceid}, {"devicekey", cred.devicekey}};
  ensure_dir();
  write_file_atomic(devices_file(), dump_json(devices, Pretty::yes) + "\n", 0600);
}

bool StateDir::forget_id(const std::string& keyid)
{
  const auto old = load_id();
  if (!old || old->keyid != keyid) {
    return false;
  }
  if (::unlink(id_file().c_str()) != 0) {
    util::throw_errno(ExitCode::file_write, id_file().native(), "cannot remove", errno);
  }
  return true;
}

std::optional<HmacKeyFile> read_hmac_key(const fs::path& path)
{
  const int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (raw < 0) {
    if (errno == ENOENT) {
      return std::nullopt;
    }
    util::throw_errno(ExitCode::file_read, path.native(), "cannot open HMAC key", errno);
  }
  const util::UniqueFd fd(raw);
  struct stat st {};
  if (::fstat(raw, &st) != 0) {
    util::throw_errno(ExitCode::file_read, path.native(), "cannot stat HMAC key", errno);
  }
  if (!S_ISREG(st.st_mode)) {
    throw Error(ExitCode::file_read, path.string() + ": the HMAC key is not a regular file");
  }
  HmacKeyFile out;
  read_fd_bounded(raw, path.c_str(), static_cast<std::size_t>(st.st_size), k_max_key_bytes, out.key);
  if (out.key.empty()) {
    throw Error(ExitCode::bad_file_format, path.string() + ": the HMAC key file is empty");
  }
  out.exposed = (st.st_mode & 0044) != 0;
  return out;
}

fs::path StateDir::hmac_key_file() const
{
  return m_dir / k_hmac_key_file_name;
}

std::string StateDir::load_or_create_hmac_key() const
{
  const fs::path path = hmac_key_file();
  if (auto existing = read_hmac_key(path)) {
    return std::move(existing->key);
  }
  ensure_dir();
  // Write the new key under a private name, then link it into place: link() never
  // replaces an existing file, so when two first runs race, both end up with the
  // one key that won, and no .hmac file is ever written under a key that was lost.
  const fs::path fresh = m_dir / ("." + std::string(k_hmac_key_file_name) + "." + util::hex_encode(random_bytes(8)));
  write_file_atomic(fresh, random_bytes(k_hmac_key_bytes), 0600);
  const int rc = ::link(fresh.c_str(), path.c_str());
  const int err = errno;
  ::unlink(fresh.c_str());
  if (rc != 0 && err != EEXIST) {
    util::throw_errno(ExitCode::file_write, path.native(), "cannot create HMAC key", err);
  }
  sync_directory(m_dir);
  auto key = read_hmac_key(path);
  if (!key) {
    throw Error(ExitCode::file_read, path.string() + ": the HMAC key vanished after it was created");
  }
  return std::move(key->key);
}

}  // namespace clm
