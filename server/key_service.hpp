// /SWCLM/KeyInfo: issue, fetch, replace, delete and check symmetric ("common") keys,
// AES-128/256 and TWINE-80/128, and fetch many devices' keys at once (WebAPI reference 5.1-5.6).
// A key belongs to the ID owning the device that created it; no lookup by key number or
// alias finds another ID's key (1501, or 1502 for the key an update adopts).
#pragma once

#include "api.hpp"
#include "device_registry.hpp"
#include "id_service.hpp"
#include "store.hpp"

#include <clm/crypto.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace clm::server {

// How issued keys live (clm-server.conf key_lifetime).
struct KeyPolicy {
  std::chrono::seconds lifetime{std::chrono::hours(24 * 365)};
};

class KeyService {
public:
  KeyService(Store& store, const SecretBox& box, const IdService& ids, KeyPolicy policy, Clock clock);

  // Handle POST: mode create (201), get, update, delete, auth or getlist (200), or throw ApiError.
  ApiResponse post(std::string_view body);

private:
  // Each mode handles req for the authenticated ID keyid.
  ApiResponse create(const json& req, std::int64_t keyid);
  ApiResponse get(const json& req, std::int64_t keyid);
  ApiResponse update(const json& req, std::int64_t keyid);
  ApiResponse remove(const json& req, std::int64_t keyid);
  ApiResponse auth(const json& req, std::int64_t keyid);
  ApiResponse getlist(const json& req, std::int64_t keyid);
  // Return the getlist answer for one deviceinfo entry read by ID keyid; call inside a transaction.
  json getlist_device(const json& entry, std::int64_t keyid, DeviceUse use, const KeyScope& scope,
                      std::int64_t now_ms);

  // Insert a new random key for deviceid; call inside a transaction.
  KeyRecord issue_key(const std::string& deviceid, const std::string& keytype, int keylength,
                      const std::string& alias, std::int64_t now_ms);
  std::string key_of(const KeyRecord& key) const;
  // Return the answer of create, get and update: the key, its number, alias and expiration.
  json key_answer(const std::string& deviceid, const KeyRecord& key) const;
  void record(std::int64_t keyid, const std::string& deviceid, const char* mode, std::int64_t keynumber,
              const std::string& filepath, std::int64_t now_ms);

  Store& m_store;
  const SecretBox& m_box;
  const IdService& m_ids;
  KeyPolicy m_policy;
  Clock m_clock;
  DeviceRegistry m_devices;
};

}  // namespace clm::server
