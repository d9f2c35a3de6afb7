// /SWCLM/DeviceInfo: our extension the reference mentions as a device key-info API without
// defining it. Mode getkeylist answers, for each device name, its deviceid and the numbers
// of the keys bound to it that can be fetched (valid, not expired): for the ID's own
// devices and keys, or for every device with the fleet read grant.
#pragma once

#include "api.hpp"
#include "device_registry.hpp"
#include "id_service.hpp"
#include "store.hpp"

#include <string_view>

namespace clm::server {

class DeviceService {
public:
  DeviceService(Store& store, const IdService& ids, Clock clock);

  // Handle POST: mode getkeylist (200), or throw ApiError (1103 for another mode).
  ApiResponse post(std::string_view body);

private:
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
