// What the credential APIs (/SWCLM/CredInfo, /SWCLM/KeyInfo) share on the client
// side: who asks for which device, and the request fields that say so.
#pragma once

#include <clm/json_io.hpp>
#include <clm/state.hpp>

#include <optional>
#include <string>

namespace clm {

// Who asks, for which device: every CredInfo and KeyInfo request starts with these.
struct DeviceCaller {
  IdCredential id;
  std::string devicename;
  std::optional<DeviceCredential> device;  // absent before the device's first issuance
};

// Return a request of mode with keyid, key, devicename and, when known, deviceid and
// devicekey (our extension: proves the caller registered the device).
json device_request(const char* mode, const DeviceCaller& caller);

// Set j[field] to value when there is one.
void put_optional(json& j, const char* field, const std::optional<std::string>& value);

}  // namespace clm
