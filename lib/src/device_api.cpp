#include <clm/device_api.hpp>

namespace clm {

json device_request(const char* mode, const DeviceCaller& caller)
{
  json j{{"mode", mode}, {"keyid", caller.id.keyid}, {"key", caller.id.key}, {"devicename", caller.devicename}};
  if (caller.device) {
    j["deviceid"] = caller.device->deviceid;
    if (!caller.device->devicekey.empty()) {
      j["devicekey"] = caller.device->devicekey;
    }
  }
  return j;
}

void put_device_facts(json& j, const DeviceFacts& facts)
{
  put_optional(j, "ipaddress", facts.ipaddress);
  put_optional(j, "macaddress", facts.macaddress);
  if (!facts.ext_data.empty()) {
    j["ext_data"] = facts.ext_data;
  }
}

void put_optional(json& j, const char* field, const std::optional<std::string>& value)
{
  if (value) {
    j[field] = *value;
  }
}

}  // namespace clm
