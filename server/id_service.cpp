#include "id_service.hpp"

#include <clm/validate.hpp>

#include <algorithm>

namespace clm::server {

namespace {

constexpr std::string_view k_upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view k_lower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view k_digits = "0123456789";
// Printable symbols that survive shells, JSON and URLs without quoting.
constexpr std::string_view k_symbols = "#%+,-./:=@^_~";

std::string associated_data(std::int64_t keyid)
{
  return "ids/" + std::to_string(keyid);
}

std::int64_t parse_keyid(const std::string& text)
{
  check_value(field_problem(Field::keyid, Side::server, text), "keyid");
  return std::stoll(text);
}

}  // namespace

IdService::IdService(Store& store, const SecretBox& box, IdPolicy policy, Clock clock)
  : m_store(store), m_box(box), m_policy(policy), m_clock(std::move(clock))
{
}

std::string IdService::generate_password() const
{
  std::vector<std::string_view> classes{k_upper, k_lower, k_digits};
  if (m_policy.password_symbols) {
    classes.push_back(k_symbols);
  }
  std::string alphabet;
  for (auto c : classes) {
    alphabet += c;
  }
  // Draw until every class appears: uniform over the passwords the policy allows.
  for (;;) {
    std::string pw = random_string(m_policy.password_length, alphabet);
    const bool complete = std::all_of(classes.begin(), classes.end(), [&](std::string_view cls) {
      return pw.find_first_of(cls) != std::string::npos;
    });
    if (complete) {
      return pw;
    }
  }
}

ApiResponse IdService::post(std::string_view body)
{
  const json req = parse_request(body);
  const std::string mode = required_string(req, "mode");
  if (mode == "create") {
    return create(req);
  }
  if (mode == "auth") {
    return auth_or_delete(req, false);
  }
  if (mode == "delete") {
    return auth_or_delete(req, true);
  }
  throw ApiError{1103, "mode '" + mode + "' is not create, auth or delete"};
}

ApiResponse IdService::create(const json& req)
{
  // The reference spells the field "tenanted" once and "tenantid" everywhere else.
  auto tenantid = optional_string(req, "tenantid");
  if (!tenantid) {
    tenantid = optional_string(req, "tenanted");
  }
  if (!tenantid) {
    throw ApiError{1102, "tenantid is missing"};
  }
  const std::string alias = required_string(req, "alias");
  check_value(field_problem(Field::tenantid, Side::server, *tenantid), "tenantid");
  check_value(field_problem(Field::alias, Side::server, alias), "alias");

  const std::string password = generate_password();
  IdRecord fields;
  fields.tenantid = *tenantid;
  fields.alias = alias;
  fields.expiration_ms = m_clock() + std::chrono::duration_cast<std::chrono::milliseconds>(m_policy.lifetime).count();
  const IdRecord r = m_store.create_id(fields, [&](std::int64_t keyid) {
    return m_box.seal(password, associated_data(keyid));
  });
  return {201, json{{"errorcode", 0}, {"keyid", format_keyid(r.keyid)}, {"key", password}, {"alias", r.alias},
                    {"expiration", std::to_string(r.expiration_ms)}}};
}

std::int64_t IdService::authenticate(const std::string& keyid_text, const std::string& key) const
{
  const std::int64_t keyid = parse_keyid(keyid_text);
  check_value(field_problem(Field::password, Side::server, key), "key");

  const auto r = m_store.find_id(keyid);
  if (!r) {
    throw ApiError{1204, "keyid " + keyid_text + " not found"};
  }
  // The password is checked before the status, so only its holder learns the status.
  if (!constant_time_equal(m_box.open(r->sealed_key, associated_data(keyid)), key)) {
    throw ApiError{1201, "password mismatch for keyid " + keyid_text};
  }
  if (r->status != Status::valid) {
    throw ApiError{1202, "keyid " + keyid_text + " is deleted"};
  }
  if (r->expiration_ms <= m_clock()) {
    throw ApiError{1203, "keyid " + keyid_text + " has expired"};
  }
  return keyid;
}

std::int64_t IdService::authenticate(const json& req) const
{
  const std::string keyid_text = required_string(req, "keyid");
  const std::string key = required_string(req, "key");
  return authenticate(keyid_text, key);
}

ApiResponse IdService::auth_or_delete(const json& req, bool remove)
{
  const std::int64_t keyid = authenticate(req);
  if (remove) {
    m_store.set_id_status(keyid, Status::deleted);
  }
  return {200, json{{"errorcode", 0}, {"keyid", format_keyid(keyid)}}};
}

json IdService::keyinfo(const IdRecord& r) const
{
  return json{{"keyid", format_keyid(r.keyid)},
              {"key", m_box.open(r.sealed_key, associated_data(r.keyid))},
              {"alias", r.alias},
              {"tenantid", r.tenantid},
              {"expiration", std::to_string(r.expiration_ms)}};
}

ApiResponse IdService::get(const std::optional<std::string>& keyid_text)
{
  json list = json::array();
  json body{{"errorcode", 0}};
  if (keyid_text) {
    const std::int64_t keyid = parse_keyid(*keyid_text);
    body["keyid"] = *keyid_text;
    if (const auto r = m_store.find_id(keyid); r && r->status == Status::valid && r->expiration_ms > m_clock()) {
      list.push_back(keyinfo(*r));
    }
  } else {
    for (const auto& r : m_store.valid_ids(m_clock())) {
      list.push_back(keyinfo(r));
    }
  }
  body["keyinfo"] = std::move(list);
  return {200, std::move(body)};
}

}  // namespace clm::server
