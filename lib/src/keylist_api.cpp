#include <clm/key_api.hpp>
#include <clm/keylist_api.hpp>

namespace clm {

ApiResult device_getkeylist(const ApiCaller& call, const IdCredential& id, const std::vector<std::string>& devicenames)
{
  json devices = json::array();
  for (const auto& name : devicenames) {
    devices.push_back(json{{"devicename", name}});
  }
  return call(k_deviceinfo_path,
              json{{"mode", "getkeylist"}, {"keyid", id.keyid}, {"key", id.key}, {"deviceinfo", std::move(devices)}});
}

ApiResult key_getlist(const ApiCaller& call, const IdCredential& id, const json& deviceinfo)
{
  return call(k_keyinfo_path,
              json{{"mode", "getlist"}, {"keyid", id.keyid}, {"key", id.key}, {"deviceinfo", deviceinfo}});
}

}  // namespace clm
