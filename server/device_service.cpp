#include "device_service.hpp"

#include "fleet_reports.hpp"
#include "store/records.hpp"

#include <clm/json_io.hpp>
#include <clm/validate.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace clm::server {

namespace {

constexpr const char* k_api = "DeviceInfo";
constexpr std::array<std::string_view, 6> k_operator_modes{"get", "search", "disable", "enable", "update", "delete"};
constexpr std::int64_t k_day_ms = 24LL * 3600 * 1000;
constexpr std::size_t k_max_page = 1000;  // devices a search answers at most
constexpr std::size_t k_events_in_get = 100;  // the newest audit events a get answers
constexpr std::size_t k_max_bulk = 10000;  // devices one bulk change names at most (one transaction)

// What the operator sees of a device. Times are milliseconds since 1970 as strings, as
// the WebAPI writes numbers that are identifiers; "" where there is none.
json device_json(const DeviceRecord& d)
{
  json ext = parse_json(d.ext_data).value_or(json::object());
  return json{{"deviceid", d.deviceid},
              {"devicename", d.devicename},
              {"status", std::string(device_status_name(d.status))},
              {"ipaddress", d.ipaddress},
              {"macaddress", d.macaddress},
              {"ext_data", std::move(ext)},
              {"group", d.group},
              {"expires", d.expires_ms ? std::to_string(*d.expires_ms) : std::string()},
              {"created", std::to_string(d.created_ms)},
              {"owner", d.owner_keyid ? format_keyid(*d.owner_keyid) : std::string()}};
}

json event_json(const EventRecord& e)
{
  json j{{"at", std::to_string(e.at_ms)}, {"api", e.api}, {"mode", e.mode}};
  if (e.keynumber) {
    j["keynumber"] = std::to_string(*e.keynumber);
  }
  j["by"] = e.keyid ? format_keyid(*e.keyid) : e.actor;
  return j;
}

// Read the optional field of digits (a count) as a number of 1..max; 1104 otherwise.
std::optional<std::int64_t> optional_count(const json& req, const char* field, std::int64_t max)
{
  const auto text = optional_string(req, field);
  if (!text) {
    return std::nullopt;
  }
  if (text->empty() || text->size() > 9 || text->find_first_not_of("0123456789") != std::string::npos
      || std::stoll(*text) < 1 || std::stoll(*text) > max) {
    throw ApiError{1104, std::string(field) + " is not a number of 1 to " + std::to_string(max)};
  }
  return std::stoll(*text);
}

// Read the expiry an update sets: "" clears it, else milliseconds since 1970 in digits.
std::optional<std::int64_t> read_expires(const std::string& text)
{
  if (text.empty()) {
    return std::nullopt;
  }
  if (text.size() > 15 || text.find_first_not_of("0123456789") != std::string::npos) {
    throw ApiError{1104, "expires is not milliseconds since 1970 (up to 15 digits) or empty"};
  }
  return std::stoll(text);
}

}  // namespace

DeviceService::DeviceService(Store& store, const IdService& ids, Clock clock)
  : m_store(store), m_ids(ids), m_clock(std::move(clock))
{
}

ApiResponse DeviceService::post(std::string_view body, Caller caller)
{
  const json req = parse_request(body);
  const std::string mode = required_string(req, "mode");
  if (mode == "getkeylist") {
    return getkeylist(req, m_ids.authenticate(req));
  }
  const bool fleet = is_fleet_mode(mode);
  if (!fleet && std::find(k_operator_modes.begin(), k_operator_modes.end(), mode) == k_operator_modes.end()) {
    throw ApiError{1103, "mode '" + mode.substr(0, 32) + "' is no DeviceInfo mode"};
  }
  if (caller != Caller::admin) {
    return ApiResponse{403, json{{"error", "this request needs the admin license key"}}};
  }
  const std::int64_t now = m_clock();
  if (fleet) {
    return fleet_answer(m_store, mode, req, now);
  }
  if (mode == "search") {
    return search(req, now);
  }
  const Durability durability = mode == "get" ? Durability::deferred : Durability::full;
  if (mode == "get") {
    m_store.flush_events();  // the trail a get shows ends with the device's latest request
  }
  if (req.contains("deviceinfo")) {
    if (const auto it = req.find("deviceinfo"); it->is_array() && it->size() > k_max_bulk) {
      throw ApiError{1104, "deviceinfo names more than " + std::to_string(k_max_bulk) + " devices"};
    }
    return batch_answer(
      m_store, req,
      [&](const json& entry) {
        try {
          return operate(mode, entry, now);
        } catch (const ApiError& e) {
          // This device is refused; the others go on.
          return json{{"errorcode", e.errorcode}, {"devicename", echoed_string(entry, "devicename")}};
        }
      },
      [&](const json& entries) { m_store.prefetch_devices(batch_strings(entries, "devicename")); }, durability);
  }
  json answer;
  m_store.transaction([&] { answer = operate(mode, req, now); }, durability);
  return {200, std::move(answer)};
}

ApiResponse DeviceService::search(const json& req, std::int64_t now_ms)
{
  DeviceFilter filter;
  filter.prefix = optional_string(req, "prefix").value_or("");
  if (filter.prefix.size() > 64) {
    throw ApiError{1104, "prefix is longer than a devicename"};
  }
  if (const auto status = optional_string(req, "status")) {
    if (*status != "valid" && *status != "disabled" && *status != "deleted") {
      throw ApiError{1104, "status is not valid, disabled or deleted"};
    }
    filter.status = device_status_from(*status, "status");
  }
  filter.group = optional_string(req, "group");
  if (const auto days = optional_count(req, "expiring_within_days", 36500)) {
    filter.expires_by_ms = now_ms + *days * k_day_ms;
  }
  filter.after = optional_string(req, "after").value_or("");
  filter.limit = static_cast<std::size_t>(optional_count(req, "limit", k_max_page).value_or(100));
  json devices = json::array();
  std::string next;
  m_store.transaction([&] {
    devices = json::array();
    const std::vector<DeviceRecord> found = m_store.search_devices(filter);
    for (const DeviceRecord& d : found) {
      devices.push_back(device_json(d));
    }
    // A full page may have a next one: the client asks again with after = next.
    next = found.size() == filter.limit ? found.back().devicename : std::string();
  }, Durability::deferred);
  return {200, json{{"errorcode", 0}, {"deviceinfo", std::move(devices)}, {"next", next}}};
}

json DeviceService::operate(const std::string& mode, const json& entry, std::int64_t now_ms)
{
  const std::string devicename = required_string(entry, "devicename");
  check_value(field_problem(Field::devicename, Side::server, devicename), "devicename");
  auto found = m_store.find_device_by_name(devicename);
  if (!found) {
    throw ApiError{1706, "devicename " + devicename + " is not registered"};
  }
  DeviceRecord device = std::move(*found);
  if (mode == "get") {
    json answer = device_json(device);
    json& trail = answer["events"] = json::array();
    for (const EventRecord& e : m_store.newest_device_events(device.deviceid, k_events_in_get)) {
      trail.push_back(event_json(e));
    }
    answer["errorcode"] = 0;
    return answer;
  }
  if (device.status == DeviceStatus::deleted) {
    throw ApiError{1710, "device " + device.deviceid + " is deleted"};
  }
  // Each change is in the device's trail: by the operator, with the key number it touched.
  auto record = [&](const char* what, std::optional<std::int64_t> keynumber) {
    EventRecord e;
    e.deviceid = device.deviceid;
    e.api = k_api;
    e.mode = what;
    e.keynumber = keynumber;
    e.at_ms = now_ms;
    e.actor = "admin";
    m_store.record_event(e);
  };
  if (mode == "delete") {
    // Its certificates are revoked (the CRL lists them from the next request on) and its
    // keys deleted, in the same transaction as the device.
    for (CertRecord cert : m_store.valid_certificates_of_device(device.deviceid)) {
      cert.status = CertStatus::revoked;
      cert.revoked_at_ms = now_ms;
      m_store.update_certificate(cert);
      record("revoke", cert.keynumber);
    }
    for (KeyRecord key : m_store.valid_keys_of_device(device.deviceid)) {
      key.status = KeyStatus::deleted;  // the row stays, so the number is never issued again
      key.sealed_key.clear();            // the key itself is wiped
      m_store.update_key(key);
      record("delete", key.keynumber);
    }
    device.status = DeviceStatus::deleted;
  } else if (mode == "disable") {
    if (device.status == DeviceStatus::disabled) {
      throw ApiError{1708, "device " + device.deviceid + " is disabled already"};
    }
    device.status = DeviceStatus::disabled;
  } else if (mode == "enable") {
    if (device.status == DeviceStatus::valid) {
      throw ApiError{1709, "device " + device.deviceid + " is enabled already"};
    }
    device.status = DeviceStatus::valid;
  } else {  // update: what the entry gives
    const DeviceInfo info = read_device_info(entry);
    device.ipaddress = info.ipaddress.value_or(device.ipaddress);
    device.macaddress = info.macaddress.value_or(device.macaddress);
    device.ext_data = info.ext_data.value_or(device.ext_data);
    if (const auto expires = optional_string(entry, "expires")) {
      device.expires_ms = read_expires(*expires);
    }
    if (const auto group = optional_string(entry, "group")) {
      device.group = group->empty() ? std::string() : read_group_name(entry, "group");
      if (!device.group.empty() && !m_store.find_group(device.group)) {
        throw ApiError{1104, "group " + device.group + " does not exist"};
      }
    }
  }
  m_store.update_device(device);
  record(mode.c_str(), std::nullopt);
  json answer = device_json(device);
  answer["errorcode"] = 0;
  return answer;
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
