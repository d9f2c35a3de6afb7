#include <clm/error.hpp>
#include <clm/id_api.hpp>
#include <clm/validate.hpp>

namespace clm {

namespace {

void check(const std::optional<std::string>& problem, const std::string& option)
{
  if (problem) {
    throw Error(ExitCode::bad_parameter, option + ": " + *problem);
  }
}

}  // namespace

void check_credential(const IdCredential& cred, const std::string& keyid_option, const std::string& key_option)
{
  check(field_problem(Field::keyid, Side::tool, cred.keyid), keyid_option);
  check(field_problem(Field::password, Side::tool, cred.key), key_option);
}

ApiResult id_create(const Connection& conn, const std::string& tenantid, const std::string& alias)
{
  check(field_problem(Field::alias, Side::tool, alias), "--alias");
  check(field_problem(Field::tenantid, Side::tool, tenantid), "--tenant");
  return call_api(conn, k_idinfo_path, json{{"mode", "create"}, {"tenantid", tenantid}, {"alias", alias}});
}

ApiResult id_get(const Connection& conn, const std::string& keyid)
{
  check(field_problem(Field::keyid, Side::tool, keyid), "--keyid");
  return call_api(conn, std::string(k_idinfo_path) + "?keyid=" + keyid, nullptr);
}

ApiResult id_auth(const Connection& conn, const IdCredential& cred)
{
  return call_api(conn, k_idinfo_path, json{{"mode", "auth"}, {"keyid", cred.keyid}, {"key", cred.key}});
}

ApiResult id_delete(const Connection& conn, const IdCredential& cred)
{
  return call_api(conn, k_idinfo_path, json{{"mode", "delete"}, {"keyid", cred.keyid}, {"key", cred.key}});
}

}  // namespace clm
