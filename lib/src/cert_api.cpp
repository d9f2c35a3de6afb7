#include <clm/cert_api.hpp>

namespace clm {

namespace {

void put_target(json& j, const CertSelector& s, const char* keynumber_field, const char* serial_field)
{
  put_optional(j, keynumber_field, s.keynumber);
  put_optional(j, serial_field, s.certserial);
}

}  // namespace

ApiResult cert_create(const Connection& conn, const DeviceCaller& caller, const CertCreate& req)
{
  json j = device_request("create", caller);
  j["certmode"] = req.certmode;
  j["catype"] = req.catype;
  j["cacerttype"] = req.cacerttype;
  j["keyfilepath"] = "/tmp/key";  // the reference fixes this management value
  j["cafilepath"] = req.cafilepath;
  if (req.certmode != "caonly") {
    j["clientcerttype"] = req.clientcerttype;
    j["clientfilepath"] = req.clientfilepath;
  }
  put_optional(j, "clientsubject", req.subject);
  put_optional(j, "passphrase", req.passphrase);
  put_device_facts(j, req.device);
  return call_api(conn, k_credinfo_path, j);
}

ApiResult cert_get(const Connection& conn, const DeviceCaller& caller, const CertGet& req)
{
  json j = device_request("get", caller);
  put_target(j, req.target, "keynumber", "certserial");
  j["catype"] = req.catype;
  j["certtype"] = req.certtype;
  put_optional(j, "passphrase", req.passphrase);
  j["filepath"] = req.filepath;
  return call_api(conn, k_credinfo_path, j);
}

ApiResult cert_update(const Connection& conn, const DeviceCaller& caller, const CertUpdate& req)
{
  json j = device_request("update", caller);
  put_target(j, req.target, "keynumber", "certserial");
  put_target(j, req.adopt, "newkeynumber", "newcertserial");
  j["catype"] = "ca1";
  j["certtype"] = req.certtype;
  put_optional(j, "passphrase", req.passphrase);
  j["filepath"] = req.filepath;
  j["newfilepath"] = req.newfilepath;
  return call_api(conn, k_credinfo_path, j);
}

ApiResult cert_revoke(const Connection& conn, const DeviceCaller& caller, const CertRevoke& req)
{
  json j = device_request("revoke", caller);
  put_target(j, req.target, "keynumber", "certserial");
  j["catype"] = "ca1";
  put_optional(j, "filepath", req.filepath);
  return call_api(conn, k_credinfo_path, j);
}

}  // namespace clm
