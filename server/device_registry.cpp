#include "device_registry.hpp"

#include <clm/validate.hpp>

namespace clm::server {

namespace {

constexpr std::size_t k_devicekey_length = 32;
constexpr std::string_view k_devicekey_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

std::string associated_data(const std::string& deviceid)
{
  return "devices/" + deviceid;
}

std::string read_ext_data(const json& value)
{
  if (!value.is_object()) {
    throw ApiError{1103, "ext_data is not a JSON object"};
  }
  for (const auto& [name, item] : value.items()) {
    if (!item.is_string()) {
      throw ApiError{1103, "ext_data item '" + name.substr(0, k_max_ext_data_name_bytes) + "' is not a string"};
    }
    if (name.empty() || name.size() > k_max_ext_data_name_bytes) {
      throw ApiError{1104, "ext_data item name is empty or longer than " + std::to_string(k_max_ext_data_name_bytes)
                             + " bytes"};
    }
    if (item.get_ref<const std::string&>().size() > k_max_ext_data_value_bytes) {
      throw ApiError{1104, "ext_data item '" + name.substr(0, k_max_ext_data_name_bytes) + "' is longer than " + std::to_string(k_max_ext_data_value_bytes)
                             + " bytes"};
    }
  }
  return dump_json(value);
}

}  // namespace

int device_state_problem(const DeviceRecord& device, std::int64_t now_ms)
{
  switch (device.status) {
  case DeviceStatus::deleted:
    return 1706;
  case DeviceStatus::disabled:
    return 1704;
  case DeviceStatus::valid:
    break;
  }
  return device.expires_ms && *device.expires_ms <= now_ms ? 1705 : 0;
}

std::string device_state_text(int problem)
{
  return problem == 1706 ? "deleted" : problem == 1704 ? "disabled" : "expired";
}

ListAccess list_access(Store& store, std::int64_t keyid)
{
  if (store.has_fleet_grant(keyid)) {
    return {DeviceUse::fleet_list, KeyScope::fleet()};
  }
  return {DeviceUse::list, KeyScope::of(keyid)};
}

DeviceRecord find_usable_device(Store& store, const std::string& devicename, std::int64_t keyid, DeviceUse use)
{
  auto device = store.find_device_by_name(devicename);
  // Another ID's device gets the very answer of an unknown name: same errorcode, same
  // detail in the log, so that neither the answer nor its shape tells them apart.
  const bool usable = device
                      && (use == DeviceUse::fleet_list || device->owner_keyid == keyid
                          || (use == DeviceUse::act && !device->owner_keyid));
  if (!usable) {
    throw ApiError{1706, "devicename " + devicename + " is not registered"};
  }
  return std::move(*device);
}

DeviceClaim read_device_claim(const json& req, DeviceIdRule rule)
{
  DeviceClaim claim;
  claim.deviceid = rule == DeviceIdRule::required ? required_string(req, "deviceid") : optional_string(req, "deviceid");
  if (claim.deviceid) {
    check_value(field_problem(Field::deviceid, Side::server, *claim.deviceid), "deviceid");
  }
  claim.devicename = required_string(req, "devicename");
  check_value(field_problem(Field::devicename, Side::server, claim.devicename), "devicename");
  claim.devicekey = optional_string(req, "devicekey");
  if (claim.devicekey) {
    check_value(field_problem(Field::password, Side::server, *claim.devicekey), "devicekey");
  }
  return claim;
}

DeviceInfo read_device_info(const json& req)
{
  DeviceInfo info;
  info.ipaddress = optional_string(req, "ipaddress");
  if (info.ipaddress) {
    check_value(ip_address_problem(*info.ipaddress), "ipaddress");
  }
  if (const auto mac = optional_string(req, "macaddress")) {
    check_value(mac_address_problem(*mac), "macaddress");
    info.macaddress = normalize_mac_address(*mac);
  }
  if (const auto it = req.find("ext_data"); it != req.end() && !it->is_null()) {
    info.ext_data = read_ext_data(*it);
  }
  return info;
}

DeviceRegistry::DeviceRegistry(Store& store, const SecretBox& box, Clock clock)
  : m_store(store), m_box(box), m_clock(std::move(clock))
{
}

DeviceAccess DeviceRegistry::resolve_for_issue(const DeviceClaim& claim, const DeviceInfo& info, std::int64_t now_ms,
                                               std::int64_t keyid)
{
  if (claim.deviceid) {
    DeviceRecord device = verify(claim, keyid, DeviceUse::act);
    if (info.ipaddress || info.macaddress || info.ext_data) {
      device.ipaddress = info.ipaddress.value_or(device.ipaddress);
      device.macaddress = info.macaddress.value_or(device.macaddress);
      device.ext_data = info.ext_data.value_or(device.ext_data);
      m_store.update_device(device);
    }
    return {std::move(device), std::nullopt};
  }
  // Names are unique server-wide, so this tells any ID that a name is taken (as every
  // registry of unique names does); it tells nothing else about the device.
  if (m_store.find_device_by_name(claim.devicename)) {
    throw ApiError{1702, "devicename " + claim.devicename + " is already registered; give its deviceid"};
  }
  // A devicekey sent along with a first registration proves nothing yet; it is ignored.
  const std::string devicekey = random_string(k_devicekey_length, k_devicekey_alphabet);
  DeviceRecord fields;
  fields.devicename = claim.devicename;
  fields.ipaddress = info.ipaddress.value_or("");
  fields.macaddress = info.macaddress.value_or("");
  fields.ext_data = info.ext_data.value_or("{}");
  fields.created_ms = now_ms;
  fields.owner_keyid = keyid;
  DeviceRecord device = m_store.create_device(fields, [&](const std::string& deviceid) {
    return m_box.seal(devicekey, associated_data(deviceid));
  });
  return {std::move(device), devicekey};
}

DeviceRecord DeviceRegistry::verify(const DeviceClaim& claim, std::int64_t keyid, DeviceUse use)
{
  DeviceRecord device = find_usable_device(m_store, claim.devicename, keyid, use);
  if (!claim.deviceid || !constant_time_equal(*claim.deviceid, device.deviceid)) {
    throw ApiError{1701, "deviceid does not match devicename " + claim.devicename};
  }
  if (claim.devicekey
      && !constant_time_equal(m_box.open(device.sealed_key, associated_data(device.deviceid)), *claim.devicekey)) {
    throw ApiError{1703, "devicekey does not match devicename " + claim.devicename};
  }
  if (const int problem = device_state_problem(device, m_clock()); problem != 0) {
    throw ApiError{problem, "device " + device.deviceid + " is " + device_state_text(problem)};
  }
  if (use == DeviceUse::act && !device.owner_keyid) {
    // Inside the request's transaction: a request refused later claims nothing.
    if (!m_store.claim_device(device.deviceid, keyid)) {
      throw ApiError{1706, "devicename " + claim.devicename + " is not registered"};
    }
    device.owner_keyid = keyid;
  }
  return device;
}

}  // namespace clm::server
