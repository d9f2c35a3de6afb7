// Client side of the batch key APIs: /SWCLM/DeviceInfo mode getkeylist (our extension:
// device names in, deviceids and current key numbers out) and /SWCLM/KeyInfo mode
// getlist (WebAPI reference 5.6: many devices' keys in one request).
#pragma once

#include <clm/config.hpp>
#include <clm/http_client.hpp>
#include <clm/state.hpp>

#include <string>
#include <vector>

namespace clm {

inline constexpr const char* k_deviceinfo_path = "/SWCLM/DeviceInfo";

// Ask (through call) for the deviceid and current key numbers of each device name.
ApiResult device_getkeylist(const ApiCaller& call, const IdCredential& id, const std::vector<std::string>& devicenames);

// Fetch (through call) the keys deviceinfo names: an array of {deviceid, devicename, keynumber: [...]}.
ApiResult key_getlist(const ApiCaller& call, const IdCredential& id, const json& deviceinfo);

}  // namespace clm
