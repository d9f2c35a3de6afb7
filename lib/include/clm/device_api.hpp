// What the credential APIs (/SWCLM/CredInfo, /SWCLM/KeyInfo) share on the client
// side: who asks for which device, and the request fields that say so.
#pragma once

#include <clm/json_io.hpp>
#include <clm/state.hpp>

#include <map>
#include <optional>
#include <string>

namespace clm {

// Who asks, for which device: every CredInfo and KeyInfo request starts with these.
struct DeviceCaller {
  IdCredential id;
  std::string devicename;
  std::optional<DeviceCredential> device;  // absent before the device's first issuance
};

// What a request that registers a device may tell about it (all optional).
struct DeviceFacts {
  std::optional<std::string> ipaddress;
  std::optional<std::string> macaddress;
  std::map<std::string, std::string> ext_data;
};

// Set ipaddress, macaddress and ext_data of j from facts, each when there is one.
void put_device_facts(json& j, const DeviceFacts& facts);

// Return a request of mode with keyid, key, devicename and, when known, deviceid and
// devicekey (our extension: proves the caller registered the device).
json device_request(const char* mode, const DeviceCaller& caller);

// Set j[field] to value when there is one.
void put_optional(json& j, const char* field, const std::optional<std::string>& value);

}  // namespace clm
