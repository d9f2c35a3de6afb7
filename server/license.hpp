// Who a request is from, by the license key in its Basic authorization header.
#pragma once

#include <string>
#include <string_view>

namespace clm::server {

// The caller a request authenticates as: no valid key, the client license key every
// device holds, or the admin license key of fleet-wide requests (accepted everywhere).
enum class Caller { none, client, admin };

// Return the caller of a request whose Authorization header is authorization (empty
// when absent), comparing in constant time against the client and admin keys.
Caller caller_of(std::string_view authorization, const std::string& license, const std::string& admin_key);

}  // namespace clm::server
