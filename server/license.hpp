// The license keys a request may carry as its Basic auth password (user secureware-clm):
// the client license key every licensed tool holds, and the admin license key that
// fleet-wide requests (GET /SWCLM/IDInfo) need. Transport-free, so any HTTP core uses it.
#pragma once

#include <string>
#include <string_view>

namespace clm::server {

// Who a request's credentials say sent it.
enum class Caller { none, client, admin };

// Return who the Authorization header value names: admin for the admin license key,
// client for the client license key, none for anything else (missing, not Basic, not
// base64, another user, a wrong key). An empty key never matches.
Caller caller_of(std::string_view authorization_header, const std::string& license, const std::string& admin_key);

// Return whether caller may make a request that needs the caller needed (admin > client > none).
bool caller_suffices(Caller caller, Caller needed);

}  // namespace clm::server
