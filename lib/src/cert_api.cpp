#include <clm/cert_api.hpp>

namespace clm {

namespace {

// The fields every CredInfo request carries.
json envelope(const char* mode, const CertCaller& c)
{
  json j{{"mode", mode}, {"keyid", c.id.keyid}, {"key", c.id.key}, {"devicename", c.devicename}};
  if (c.device) {
    j["deviceid"] = c.device->deviceid;
    if (!c.device->devicekey.empty()) {
      j["devicekey"] = c.device->devicekey;  // our extension: proves the caller registered the device
    }
  }
  return j;
}

void put(json& j, const char* field, const std::optional<std::string>& value)
{
  if (value) {
    j[field] = *value;
  }
}

void put_target(json& j, const CertSelector& s, const char* keynumber_field, const char* serial_field)
{
  put(j, keynumber_field, s.keynumber);
  put(j, serial_field, s.certserial);
}

}  // namespace

ApiResult cert_create(const Connection& conn, const CertCaller& caller, const CertCreate& req)
{
  json j = envelope("create", caller);
  j["certmode"] = req.certmode;
  j["catype"] = req.catype;
  j["cacerttype"] = req.cacerttype;
  j["keyfilepath"] = "/tmp/key";  // the reference fixes this management value
  j["cafilepath"] = req.cafilepath;
  if (req.certmode != "caonly") {
    j["clientcerttype"] = req.clientcerttype;
    j["clientfilepath"] = req.clientfilepath;
  }
  put(j, "clientsubject", req.subject);
  put(j, "passphrase", req.passphrase);
  put(j, "ipaddress", req.ipaddress);
  put(j, "macaddress", req.macaddress);
  if (!req.ext_data.empty()) {
    j["ext_data"] = req.ext_data;
  }
  return call_api(conn, k_credinfo_path, j);
}

ApiResult cert_get(const Connection& conn, const CertCaller& caller, const CertGet& req)
{
  json j = envelope("get", caller);
  put_target(j, req.target, "keynumber", "certserial");
  j["catype"] = req.catype;
  j["certtype"] = req.certtype;
  put(j, "passphrase", req.passphrase);
  j["filepath"] = req.filepath;
  return call_api(conn, k_credinfo_path, j);
}

ApiResult cert_update(const Connection& conn, const CertCaller& caller, const CertUpdate& req)
{
  json j = envelope("update", caller);
  put_target(j, req.target, "keynumber", "certserial");
  put_target(j, req.adopt, "newkeynumber", "newcertserial");
  j["catype"] = "ca1";
  j["certtype"] = req.certtype;
  put(j, "passphrase", req.passphrase);
  j["filepath"] = req.filepath;
  j["newfilepath"] = req.newfilepath;
  return call_api(conn, k_credinfo_path, j);
}

ApiResult cert_revoke(const Connection& conn, const CertCaller& caller, const CertRevoke& req)
{
  json j = envelope("revoke", caller);
  put_target(j, req.target, "keynumber", "certserial");
  j["catype"] = "ca1";
  put(j, "filepath", req.filepath);
  return call_api(conn, k_credinfo_path, j);
}

}  // namespace clm
