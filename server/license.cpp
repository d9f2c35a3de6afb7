#include "license.hpp"

#include <clm/config.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>

namespace clm::server {

Caller caller_of(std::string_view authorization_header, const std::string& license, const std::string& admin_key)
{
  constexpr std::string_view k_basic = "Basic ";
  if (authorization_header.size() <= k_basic.size() || authorization_header.substr(0, k_basic.size()) != k_basic) {
    return Caller::none;
  }
  std::string decoded;
  try {
    decoded = base64_decode(authorization_header.substr(k_basic.size()));
  } catch (const Error&) {
    return Caller::none;
  }
  const std::string prefix = std::string(k_license_user) + ":";
  // Both keys are compared, in constant time, whichever matches.
  const bool admin = !admin_key.empty() && constant_time_equal(decoded, prefix + admin_key);
  const bool client = !license.empty() && constant_time_equal(decoded, prefix + license);
  return admin ? Caller::admin : client ? Caller::client : Caller::none;
}

bool caller_suffices(Caller caller, Caller needed)
{
  return static_cast<int>(caller) >= static_cast<int>(needed);
}

}  // namespace clm::server
