// /SWCLM/DeviceInfo: our extension, for the device APIs the product overview names
// without a wire format ("WebAPI 2" list).
//
// Mode getkeylist (an ID's call) answers, for each device name, its deviceid and the
// numbers of the keys bound to it that can be fetched (valid, not expired): for the ID's
// own devices and keys, or for every device with the fleet read grant.
//
// The operator's modes (the admin license key; no ID): search (by pages), and get,
// disable, enable, update and delete (its certificates revoked, its keys deleted) of
// one device ({"devicename": N, ...}) or of many ({"deviceinfo": [{"devicename": N,
// ...}, ...]}, answered per device as getlist is: the others go on). 1706 for a device
// never registered, 1708 disabling a disabled one, 1709 enabling a valid one, 1710 any
// change to a deleted one. Each change is recorded in the device's audit trail with
// actor "admin".
#pragma once

#include "api.hpp"
#include "device_registry.hpp"
#include "id_service.hpp"
#include "license.hpp"
#include "store.hpp"

#include <string_view>

namespace clm::server {

class DeviceService {
public:
  DeviceService(Store& store, const IdService& ids, Clock clock);

  // Handle POST from caller: mode getkeylist, or an operator's mode (403 without the
  // admin license key); throw ApiError (1103 for another mode).
  ApiResponse post(std::string_view body, Caller caller);

private:
  // Answer the operator's search: the devices the request's filter wants, by pages.
  ApiResponse search(const json& req, std::int64_t now_ms);
  // Answer the operator's mode for the device of entry (a request, or one item of its
  // deviceinfo); call inside a transaction.
  json operate(const std::string& mode, const json& entry, std::int64_t now_ms);

  ApiResponse getkeylist(const json& req, std::int64_t keyid);
  // Return the getkeylist answer for one deviceinfo entry, listed by ID keyid; call
  // inside a transaction.
  json getkeylist_device(const json& entry, std::int64_t keyid, DeviceUse use, const KeyScope& scope,
                         std::int64_t now_ms);

  Store& m_store;
  const IdService& m_ids;
  Clock m_clock;
};

}  // namespace clm::server
