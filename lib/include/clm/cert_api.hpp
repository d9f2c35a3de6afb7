// Client side of the certificate API (/SWCLM/CredInfo, WebAPI reference chapter 4):
// request fields in, the server's answer out.
#pragma once

#include <clm/config.hpp>
#include <clm/device_api.hpp>
#include <clm/http_client.hpp>
#include <clm/state.hpp>

#include <map>
#include <optional>
#include <string>

namespace clm {

inline constexpr const char* k_credinfo_path = "/SWCLM/CredInfo";

// A certificate named by key number or serial (one of them).
struct CertSelector {
  std::optional<std::string> keynumber;
  std::optional<std::string> certserial;
};

struct CertCreate {
  std::string certmode;        // caonly, client, or server (our extension)
  std::string catype;          // CA for caonly, ca1 otherwise
  std::string cacerttype = "pem";
  std::string clientcerttype = "pem";
  std::optional<std::string> subject;
  std::optional<std::string> passphrase;
  std::string cafilepath;
  std::string clientfilepath;
  DeviceFacts device;
};

struct CertGet {
  CertSelector target;
  std::string catype = "ca1";
  std::string certtype = "pem";
  std::optional<std::string> passphrase;
  std::string filepath;
};

struct CertUpdate {
  CertSelector target;
  CertSelector adopt;  // newkeynumber/newcertserial: an existing certificate becomes the new one
  std::string certtype = "pem";
  std::optional<std::string> passphrase;
  std::string filepath;
  std::string newfilepath;
};

struct CertRevoke {
  CertSelector target;
  std::optional<std::string> filepath;
};

// Issue a certificate (mode create).
ApiResult cert_create(const Connection& conn, const DeviceCaller& caller, const CertCreate& req);

// Fetch an issued certificate (mode get).
ApiResult cert_get(const Connection& conn, const DeviceCaller& caller, const CertGet& req);

// Renew a certificate (mode update).
ApiResult cert_update(const Connection& conn, const DeviceCaller& caller, const CertUpdate& req);

// Revoke a certificate (mode revoke).
ApiResult cert_revoke(const Connection& conn, const DeviceCaller& caller, const CertRevoke& req);

}  // namespace clm
