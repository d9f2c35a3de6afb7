// The devices credentials are issued to: the request fields naming a device, its
// registration at first issuance, and the checks every later call goes through
// (errorcodes 1701, 1702, 1703, 1706). Shared by /SWCLM/CredInfo and /SWCLM/KeyInfo.
#pragma once

#include "api.hpp"
#include "store.hpp"

#include <clm/crypto.hpp>

#include <optional>
#include <string>

namespace clm::server {

// Who a request says its device is.
struct DeviceClaim {
  std::optional<std::string> deviceid;
  std::string devicename;
  std::optional<std::string> devicekey;  // our extension: proves the caller registered the device
};

// What a device reports about itself when a credential is issued; absent fields are kept.
struct DeviceInfo {
  std::optional<std::string> ipaddress;
  std::optional<std::string> macaddress;  // normalized aa:bb:cc:dd:ee:ff
  std::optional<std::string> ext_data;    // JSON object text, string values only
};

enum class DeviceIdRule { optional, required };

// Read deviceid (1102 when rule requires it), devicename (1102) and devicekey; 1103 for
// non-strings, 1104 for values out of range.
DeviceClaim read_device_claim(const json& req, DeviceIdRule rule);

// Read ipaddress, macaddress and ext_data (an object of strings: 1103 for other types,
// 1104 for names over 128 or values over 256 bytes, a bad address or MAC address).
DeviceInfo read_device_info(const json& req);

// A device a request may act for; devicekey is set only when it was registered just now.
struct DeviceAccess {
  DeviceRecord device;
  std::optional<std::string> devicekey;
};

class DeviceRegistry {
public:
  DeviceRegistry(Store& store, const SecretBox& box);

  // Resolve the device of an issuing call (mode create). Without a deviceid the name
  // must be new (1702) and is registered, with a fresh devicekey; with one, as verify.
  // Save the info reported. Call inside a store transaction.
  DeviceAccess resolve_for_issue(const DeviceClaim& claim, const DeviceInfo& info, std::int64_t now_ms);

  // Return the registered device of claim: 1706 unknown name, 1701 another deviceid,
  // 1703 a devicekey that does not match (checked only when one is given).
  DeviceRecord verify(const DeviceClaim& claim);

private:
  Store& m_store;
  const SecretBox& m_box;
};

}  // namespace clm::server
