// Client side of the ID/password API (/SWCLM/IDInfo, WebAPI reference chapter 3):
// request fields in, the server's answer out.
#pragma once

#include <clm/config.hpp>
#include <clm/http_client.hpp>
#include <clm/state.hpp>

#include <string>

namespace clm {

inline constexpr const char* k_idinfo_path = "/SWCLM/IDInfo";
inline constexpr const char* k_default_tenantid = "TenantA";

// Issue a new ID/password (mode create). Throws Error(bad_parameter) for a bad alias or tenant.
ApiResult id_create(const Connection& conn, const std::string& tenantid, const std::string& alias);

// Fetch an ID/password (GET ?keyid=). Throws Error(bad_parameter) for a malformed keyid.
ApiResult id_get(const Connection& conn, const std::string& keyid);

// Check an ID/password against the server (mode auth).
ApiResult id_auth(const Connection& conn, const IdCredential& cred);

// Delete an ID/password on the server (mode delete).
ApiResult id_delete(const Connection& conn, const IdCredential& cred);

// Throw Error(bad_parameter) naming option when keyid or key are malformed.
void check_credential(const IdCredential& cred, const std::string& keyid_option, const std::string& key_option);

}  // namespace clm
