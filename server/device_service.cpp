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
  m_ids.authenticate(req);
  return getkeylist(req);
}

ApiResponse DeviceService::getkeylist(const json& req)
{
  const std::int64_t now = m_clock();
  return batch_answer(m_store, req, [&](const json& entry) { return getkeylist_device(entry, now); });
}

json DeviceService::getkeylist_device(const json& entry, std::int64_t now_ms)
{
  json answer{{"errorcode", 0}, {"devicename", echoed_string(entry, "devicename")}, {"keynumber", json::array()}};
  try {
    const std::string devicename = required_string(entry, "devicename");
    check_value(devicename_problem(devicename), "devicename");
    const auto device = m_store.find_device_by_name(devicename);
    if (!device) {
      throw ApiError{1706, "devicename " + devicename + " is not registered"};
    }
    if (device->status != Status::valid) {
      throw ApiError{1704, "device " + device->deviceid + " is not valid"};
    }
    answer["deviceid"] = device->deviceid;
    json& keynumbers = answer["keynumber"];
    for (const std::int64_t keynumber : m_store.valid_keynumbers_of_device(device->deviceid, now_ms)) {
      keynumbers.push_back(std::to_string(keynumber));
    }
    record_call(m_store, k_api, device->deviceid, "getkeylist", std::nullopt, "", now_ms);
  } catch (const ApiError& e) {
    // This device is skipped; the others go on, as in KeyInfo getlist.
    answer["errorcode"] = e.errorcode;
    answer.erase("deviceid");
    answer["keynumber"] = json::array();
  }
  return answer;
}

}  // namespace clm::server
