#include <clm/crypto.hpp>
#include <clm/key_api.hpp>

namespace clm {

namespace {

json check_request(const char* mode, const DeviceCaller& caller, const KeyCheck& req)
{
  json j = device_request(mode, caller);
  j["keynumber"] = req.keynumber;
  if (req.commonkey) {
    j["commonkey"] = base64_encode(*req.commonkey);
  }
  if (req.encdata) {
    j["encdata"] = base64_encode(*req.encdata);
  }
  j["filepath"] = req.filepath;
  return j;
}

}  // namespace

ApiResult key_create(const Connection& conn, const DeviceCaller& caller, const KeyCreate& req)
{
  json j = device_request("create", caller);
  j["alias"] = req.alias;
  j["keytype"] = req.keytype;
  j["keylength"] = req.keylength;
  j["keyfilepath"] = "/tmp/key";  // the reference fixes this management value
  j["commonkeyfilepath"] = req.commonkeyfilepath;
  put_device_facts(j, req.device);
  return call_api(conn, k_keyinfo_path, j);
}

ApiResult key_get(const Connection& conn, const DeviceCaller& caller, const KeyGet& req)
{
  json j = device_request("get", caller);
  put_optional(j, "keynumber", req.keynumber);
  put_optional(j, "alias", req.alias);
  j["filepath"] = req.filepath;
  if (req.expiredkey) {
    j["expiredkey"] = "true";
  }
  return call_api(conn, k_keyinfo_path, j);
}

ApiResult key_update(const Connection& conn, const DeviceCaller& caller, const KeyUpdate& req)
{
  json j = device_request("update", caller);
  put_optional(j, "keynumber", req.keynumber);
  put_optional(j, "oldalias", req.oldalias);
  put_optional(j, "newkeynumber", req.newkeynumber);
  put_optional(j, "newalias", req.newalias);
  put_optional(j, "alias", req.alias);
  put_optional(j, "keylength", req.keylength);
  j["filepath"] = req.filepath;
  j["newfilepath"] = req.newfilepath;
  return call_api(conn, k_keyinfo_path, j);
}

ApiResult key_delete(const Connection& conn, const DeviceCaller& caller, const KeyCheck& req)
{
  return call_api(conn, k_keyinfo_path, check_request("delete", caller, req));
}

ApiResult key_auth(const Connection& conn, const DeviceCaller& caller, const KeyCheck& req)
{
  return call_api(conn, k_keyinfo_path, check_request("auth", caller, req));
}

}  // namespace clm
