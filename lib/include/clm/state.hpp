// The per-host state directory the tools share: the verified ID/password, device IDs
// and the HMAC key of .hmac sidecars. Directory 0700, files 0600.
#pragma once

#include <clm/util/lock_file.hpp>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>

namespace clm {

struct IdCredential {
  std::string keyid;
  std::string key;  // the password
};

// What the server returned at a device's first issuance; later calls for the device send it.
struct DeviceCredential {
  std::string deviceid;
  std::string devicekey;
};

inline constexpr std::size_t k_hmac_key_bytes = 32;
inline constexpr const char* k_hmac_key_file_name = "hmac.key";

// An HMAC key read from a file, and whether users other than the owner may read it.
struct HmacKeyFile {
  std::string key;
  bool exposed = false;  // the file's group or other read bit is set
};

// Return the raw bytes of the HMAC key file path, or nullopt when it does not exist.
// Error(file_read) when it exists but cannot be read, Error(bad_file_format) when empty.
std::optional<HmacKeyFile> read_hmac_key(const std::filesystem::path& path);

class StateDir {
public:
  // Use dir as the state directory; nothing is touched until a method needs it.
  explicit StateDir(std::filesystem::path dir);
  ~StateDir();
  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;

  // Return the default directory: /var/lib/clm for root, else $XDG_STATE_HOME/clm
  // (~/.local/state/clm when XDG_STATE_HOME is unset).
  static std::filesystem::path default_path();

  const std::filesystem::path& path() const { return m_dir; }

  // Create the directory (0700) if needed and take its exclusive lock without
  // waiting; throw Error(already_running) when another run holds it.
  void lock();

  // Return the stored ID/password, or nullopt when none was stored.
  std::optional<IdCredential> load_id() const;

  // Return the stored ID/password; throw Error(not_verified) when none was stored.
  IdCredential require_id() const;

  // Store cred (0600, atomically). Return whether the stored value changed.
  bool save_id(const IdCredential& cred);

  // Forget the stored ID/password if its keyid is keyid. Return whether it did.
  bool forget_id(const std::string& keyid);

  // Return the path of the stored ID/password file.
  std::filesystem::path id_file() const;

  // Return the stored deviceid/devicekey of devicename, or nullopt.
  std::optional<DeviceCredential> load_device(const std::string& devicename) const;

  // Store the deviceid/devicekey of devicename (0600, atomically).
  void save_device(const std::string& devicename, const DeviceCredential& cred);

  // Return the path of the file holding every device's deviceid/devicekey.
  std::filesystem::path devices_file() const;

  // Return the path of the per-host HMAC key (hmac.key).
  std::filesystem::path hmac_key_file() const;

  // Return the per-host HMAC key, first creating it when missing: 32 random bytes, mode
  // 0600, written atomically (the directory is created 0700 if needed); two first runs
  // racing end up with the same key. Error(file_read) when it exists but cannot be read,
  // Error(bad_file_format) when it is empty, Error(file_write) when it cannot be made.
  std::string load_or_create_hmac_key() const;

private:
  void ensure_dir() const;

  std::filesystem::path m_dir;
  std::optional<util::LockFile> m_lock;
};

}  // namespace clm
