#include "device_service.hpp"

#include <clm/validate.hpp>

#include <string>
#include <utility>

namespace clm::server {

namespace {

constexpr const char* k_api = "DeviceInfo";

}  // namespace

DeviceService::DeviceService(Store& store, const IdService& ids, Clock clock)
  : m_store(store), m_ids(ids), m_clock(std::move(clock))
{
}

ApiResponse DeviceService::post(std::string_view body)
{
  const json req = parse_request(body);
  const std::string mode = required_string(req, "mode");
  if (mode != "getkeylist") {
    throw ApiError{1103, "mode '" + mode.substr(0, 32) + "' is not getkeylist"};
  }
  return getkeylist(req, m_ids.authenticate(req));
}

ApiResponse DeviceService::getkeylist(const json& req, std::int64_t keyid)
{
  const std::int64_t now = m_clock();
  const ListAccess access = list_access(m_store, keyid);
  return batch_answer(
    m_store, req, [&](const json& entry) { return getkeylist_device(entry, keyid, access.use, access.scope, now); },
    [&](const json& entries) {
      // Every device and its key numbers in two queries, not two per device.
      const std::vector<std::string> names = batch_strings(entries, "devicename");
      m_store.prefetch_devices(names);
      std::vector<std::string> deviceids;
      for (const std::string& name : names) {
        if (const auto device = m_store.find_device_by_name(name)) {
          deviceids.push_back(device->deviceid);
        }
      }
      m_store.prefetch_valid_keynumbers(deviceids, access.scope, now);
    });
}

json DeviceService::getkeylist_device(const json& entry, std::int64_t keyid, DeviceUse use, const KeyScope& scope,
                                      std::int64_t now_ms)
{
  json answer{{"errorcode", 0}, {"devicename", echoed_string(entry, "devicename")}, {"keynumber", json::array()}};
  try {
    const std::string devicename = required_string(entry, "devicename");
    check_value(field_problem(Field::devicename, Side::server, devicename), "devicename");
    const DeviceRecord device = find_usable_device(m_store, devicename, keyid, use);
    if (const int problem = device_state_problem(device, now_ms); problem != 0) {
      throw ApiError{problem, "device " + device.deviceid + " is " + device_state_text(problem)};
    }
    answer["deviceid"] = device.deviceid;
    json& keynumbers = answer["keynumber"];
    for (const std::int64_t keynumber : m_store.valid_keynumbers_of_device(device.deviceid, scope, now_ms)) {
      keynumbers.push_back(std::to_string(keynumber));
    }
    record_call(m_store, k_api, keyid, device.deviceid, "getkeylist", std::nullopt, "", now_ms);
  } catch (const ApiError& e) {
    // This device is skipped; the others go on, as in KeyInfo getlist.
    answer["errorcode"] = e.errorcode;
    answer.erase("deviceid");
    answer["keynumber"] = json::array();
  }
  return answer;
}

}  // namespace clm::server
