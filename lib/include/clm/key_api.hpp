// Client side of the common key API (/SWCLM/KeyInfo, WebAPI reference chapter 5):
// request fields in, the server's answer out. Keys travel base64-encoded.
#pragma once

#include <clm/config.hpp>
#include <clm/device_api.hpp>
#include <clm/http_client.hpp>

#include <map>
#include <optional>
#include <string>

namespace clm {

inline constexpr const char* k_keyinfo_path = "/SWCLM/KeyInfo";

struct KeyCreate {
  std::string alias;
  std::string keytype;  // AES or TWINE
  std::string keylength = "128";
  std::string commonkeyfilepath;
  DeviceFacts device;
};

struct KeyGet {
  std::optional<std::string> keynumber;  // wins over alias
  std::optional<std::string> alias;
  std::string filepath;
  bool expiredkey = false;
};

struct KeyUpdate {
  std::optional<std::string> keynumber;     // the key to replace, or
  std::optional<std::string> oldalias;      // the newest key with this alias bound to the device
  std::optional<std::string> newkeynumber;  // adopt this existing key, or
  std::optional<std::string> newalias;      // the newest key with this alias
  std::optional<std::string> alias;         // rename the resulting key
  std::optional<std::string> keylength;     // of a new key
  std::string filepath;
  std::string newfilepath;
};

struct KeyCheck {
  std::string keynumber;
  std::optional<std::string> commonkey;  // raw key bytes
  std::optional<std::string> encdata;    // raw TWINE-OTR sealed device name (auth only)
  std::string filepath;
};

// Issue a key (mode create).
ApiResult key_create(const Connection& conn, const DeviceCaller& caller, const KeyCreate& req);

// Fetch a key by number or alias (mode get).
ApiResult key_get(const Connection& conn, const DeviceCaller& caller, const KeyGet& req);

// Replace a key (mode update).
ApiResult key_update(const Connection& conn, const DeviceCaller& caller, const KeyUpdate& req);

// Delete a key the caller holds (mode delete; req.commonkey required).
ApiResult key_delete(const Connection& conn, const DeviceCaller& caller, const KeyCheck& req);

// Ask the server to confirm the caller holds a key (mode auth).
ApiResult key_auth(const Connection& conn, const DeviceCaller& caller, const KeyCheck& req);

}  // namespace clm
