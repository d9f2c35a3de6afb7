#include "license.hpp"

#include <clm/config.hpp>
#include <clm/crypto.hpp>
#include <clm/error.hpp>

namespace clm::server {

Caller caller_of(std::string_view authorization, const std::string& license, const std::string& admin_key)
{
  constexpr std::string_view k_basic = "Basic ";
  if (authorization.size() <= k_basic.size() || authorization.substr(0, k_basic.size()) != k_basic) {
    return Caller::none;
  }
  std::string decoded;
  try {
    decoded = base64_decode(authorization.substr(k_basic.size()));
  } catch (const Error&) {
    return Caller::none;
  }
  const std::string prefix = std::string(k_license_user) + ":";
  // Both comparisons always run, so the answer time does not say which key was close.
  const bool admin = !admin_key.empty() && constant_time_equal(decoded, prefix + admin_key);
  const bool client = !license.empty() && constant_time_equal(decoded, prefix + license);
  if (admin) {
    return Caller::admin;
  }
  return client ? Caller::client : Caller::none;
}

}  // namespace clm::server
