// The per-host state directory the tools share: the verified ID/password and,
// later, device IDs and the HMAC secret. Directory 0700, files 0600.
#pragma once

#include <clm/util/lock_file.hpp>

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

private:
  void ensure_dir() const;

  std::filesystem::path m_dir;
  std::optional<util::LockFile> m_lock;
};

}  // namespace clm
