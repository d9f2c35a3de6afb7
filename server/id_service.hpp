// /SWCLM/IDInfo: issue, fetch, check and delete ID/passwords (WebAPI reference chapter 3).
#pragma once

#include "api.hpp"
#include "store.hpp"

#include <clm/crypto.hpp>

#include <chrono>
#include <functional>
#include <optional>

namespace clm::server {

// How generated passwords look and how long IDs live (clm-server.conf).
struct IdPolicy {
  std::size_t password_length = 16;
  bool password_symbols = false;  // add printable symbols to letters and digits
  std::chrono::seconds lifetime{std::chrono::hours(24 * 3650)};
};

class IdService {
public:
  IdService(Store& store, const SecretBox& box, IdPolicy policy, Clock clock);

  // Handle POST: mode create (201), auth or delete (200), or an error response.
  ApiResponse post(std::string_view body);

  // Handle GET ?keyid=: the valid ID with that number (or every valid ID without one).
  ApiResponse get(const std::optional<std::string>& keyid);

  // Return a password following the policy: every character class it uses appears.
  std::string generate_password() const;

  // Check an ID/password as every API that needs one does; return the ID's number.
  // Throw ApiError 1104 (malformed keyid or key), 1204 (unknown ID), 1201 (wrong
  // password), 1202 (deleted) or 1203 (expired), in that order of checking.
  std::int64_t authenticate(const std::string& keyid, const std::string& key) const;

  // Read keyid and key of req (1102 when missing, 1103 when not strings) and authenticate them.
  std::int64_t authenticate(const json& req) const;

private:
  ApiResponse create(const json& req);
  ApiResponse auth_or_delete(const json& req, bool remove);
  json keyinfo(const IdRecord& r) const;

  Store& m_store;
  const SecretBox& m_box;
  IdPolicy m_policy;
  Clock m_clock;
};

}  // namespace clm::server
