// Tests of /SWCLM/IDInfo (WebAPI reference chapter 3) at the service level:
// request validation field by field, issuing, checking, deleting and listing
// ID/passwords, over a real SQLite store and a fake clock.
#include "id_service.hpp"
#include "store/sqlite_store.hpp"
#include "sqlite_test_support.hpp"
#include "test_support.hpp"

#include <clm/crypto.hpp>
#include <clm/validate.hpp>

#include <gtest/gtest.h>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace {

namespace fs = std::filesystem;

using clm::json;
using clm::SecretBox;
using clm::server::ApiError;
using clm::server::ApiResponse;
using clm::server::IdPolicy;
using clm::server::IdService;
using clm::server::SqliteStore;
using clm::server::StoreError;
using clm::test::read_plain;
using clm::test::TempDirTest;

using namespace std::chrono_literals;

constexpr std::int64_t k_start_ms = 1'700'000'000'000;
constexpr std::string_view k_upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
constexpr std::string_view k_lower = "abcdefghijklmnopqrstuvwxyz";
constexpr std::string_view k_digits = "0123456789";
constexpr std::string_view k_forbidden = ";&`()$<>*?{}[]!";

bool has_any_of(const std::string& s, std::string_view chars)
{
  return s.find_first_of(chars) != std::string::npos;
}

std::int64_t lifetime_ms(const IdPolicy& policy)
{
  return std::chrono::duration_cast<std::chrono::milliseconds>(policy.lifetime).count();
}

json create_request(const std::string& alias, const std::string& tenantid = "TenantA")
{
  return json{{"mode", "create"}, {"tenantid", tenantid}, {"alias", alias}};
}

json credential_request(const std::string& mode, const std::string& keyid, const std::string& key)
{
  return json{{"mode", mode}, {"keyid", keyid}, {"key", key}};
}

class IdServiceTest : public TempDirTest {
protected:
  IdServiceTest() : TempDirTest("clm-idsvc") {}

  void SetUp() override
  {
    ASSERT_NO_FATAL_FAILURE(TempDirTest::SetUp());
    m_store = std::make_unique<SqliteStore>(db_path());
    m_box = std::make_unique<SecretBox>(std::string(SecretBox::k_key_size, '\x5a'));
    use_policy(IdPolicy{});
  }
  void TearDown() override
  {
    m_service.reset();
    m_store.reset();
    TempDirTest::TearDown();
  }

  // Rebuild the service with policy (the store and its contents stay).
  void use_policy(const IdPolicy& policy)
  {
    m_policy = policy;
    m_service = std::make_unique<IdService>(*m_store, *m_box, m_policy, [this] { return m_now; });
  }

  IdService& service() { return *m_service; }
  const IdPolicy& policy() const { return m_policy; }
  fs::path db_path() const { return dir() / "clm.db"; }
  std::int64_t now() const { return m_now; }
  void set_now(std::int64_t ms) { m_now = ms; }

  ApiResponse post(const json& request) { return service().post(clm::dump_json(request)); }

  // Return the errorcode a POST of body is refused with: from a thrown ApiError or
  // an error response, whichever way the service reports it; 0 when it succeeds.
  int body_errorcode(std::string_view body)
  {
    try {
      const ApiResponse r = service().post(body);
      return r.body.value("errorcode", -1);
    } catch (const ApiError& e) {
      return e.errorcode;
    }
  }
  int post_errorcode(const json& request) { return body_errorcode(clm::dump_json(request)); }

  // Issue an ID/password; fail the test when it is refused.
  ApiResponse create(const std::string& alias = "host01", const std::string& tenantid = "TenantA")
  {
    ApiResponse r = post(create_request(alias, tenantid));
    EXPECT_EQ(r.status, 201) << r.body;
    return r;
  }

  static std::string keyid_of(const ApiResponse& r) { return r.body.at("keyid").get<std::string>(); }
  static std::string key_of(const ApiResponse& r) { return r.body.at("key").get<std::string>(); }

private:
  std::unique_ptr<SqliteStore> m_store;
  std::unique_ptr<SecretBox> m_box;
  IdPolicy m_policy;
  std::int64_t m_now = k_start_ms;
  std::unique_ptr<IdService> m_service;
};

// ---- body and mode ---------------------------------------------------------

TEST_F(IdServiceTest, non_json_body_is_1101)
{
  EXPECT_EQ(body_errorcode("mode=create"), 1101);
  EXPECT_EQ(body_errorcode("{\"mode\":"), 1101);
}

TEST_F(IdServiceTest, empty_body_is_1101)
{
  EXPECT_EQ(body_errorcode(""), 1101);
}

TEST_F(IdServiceTest, json_array_body_is_1101)
{
  EXPECT_EQ(body_errorcode(R"([{"mode":"create"}])"), 1101);
}

TEST_F(IdServiceTest, post_throws_api_error_for_a_refused_request)
{
  try {
    service().post("not json");
    FAIL() << "post did not throw";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.errorcode, 1101);
  }
}

TEST_F(IdServiceTest, missing_mode_is_1102)
{
  EXPECT_EQ(post_errorcode(json{{"tenantid", "TenantA"}, {"alias", "a"}}), 1102);
}

TEST_F(IdServiceTest, null_mode_is_1102)
{
  EXPECT_EQ(post_errorcode(json{{"mode", nullptr}, {"tenantid", "TenantA"}, {"alias", "a"}}), 1102);
}

TEST_F(IdServiceTest, unknown_mode_is_1103)
{
  EXPECT_EQ(post_errorcode(json{{"mode", "nope"}, {"tenantid", "TenantA"}, {"alias", "a"}}), 1103);
  EXPECT_EQ(post_errorcode(json{{"mode", ""}, {"tenantid", "TenantA"}, {"alias", "a"}}), 1103);
}

TEST_F(IdServiceTest, non_string_mode_is_1103)
{
  EXPECT_EQ(post_errorcode(json{{"mode", 1}, {"tenantid", "TenantA"}, {"alias", "a"}}), 1103);
}

// ---- create: validation ----------------------------------------------------

TEST_F(IdServiceTest, create_without_tenantid_is_1102)
{
  EXPECT_EQ(post_errorcode(json{{"mode", "create"}, {"alias", "host01"}}), 1102);
}

TEST_F(IdServiceTest, create_with_null_tenantid_is_1102)
{
  EXPECT_EQ(post_errorcode(json{{"mode", "create"}, {"tenantid", nullptr}, {"alias", "host01"}}), 1102);
}

TEST_F(IdServiceTest, create_accepts_the_tenanted_spelling)
{
  const ApiResponse r = post(json{{"mode", "create"}, {"tenanted", "TenantA"}, {"alias", "host01"}});
  EXPECT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(r.body.value("errorcode", -1), 0);
}

TEST_F(IdServiceTest, create_with_non_string_tenantid_is_1103)
{
  EXPECT_EQ(post_errorcode(json{{"mode", "create"}, {"tenantid", 7}, {"alias", "host01"}}), 1103);
}

TEST_F(IdServiceTest, create_with_out_of_range_tenantid_is_1104)
{
  EXPECT_EQ(post_errorcode(create_request("host01", std::string(65, 't'))), 1104);
  EXPECT_EQ(post_errorcode(create_request("host01", "Tenant\tA")), 1104);
  EXPECT_EQ(post_errorcode(create_request("host01", "")), 1104);
}

TEST_F(IdServiceTest, create_takes_a_tenantid_with_a_space_or_shell_specials)
{
  EXPECT_EQ(create("host01", "Tenant A").status, 201);
  EXPECT_EQ(create("host02", "Tenant;A").status, 201);
}

TEST_F(IdServiceTest, create_without_alias_is_1102)
{
  EXPECT_EQ(post_errorcode(json{{"mode", "create"}, {"tenantid", "TenantA"}}), 1102);
  EXPECT_EQ(post_errorcode(json{{"mode", "create"}, {"tenantid", "TenantA"}, {"alias", nullptr}}), 1102);
}

TEST_F(IdServiceTest, create_with_65_byte_alias_is_1104)
{
  EXPECT_EQ(post_errorcode(create_request(std::string(65, 'a'))), 1104);
}

TEST_F(IdServiceTest, create_with_64_byte_alias_succeeds)
{
  const ApiResponse r = create(std::string(64, 'a'));
  EXPECT_EQ(r.body.value("alias", ""), std::string(64, 'a'));
}

TEST_F(IdServiceTest, create_takes_the_webapi_references_own_alias_example_with_a_space)
{
  const ApiResponse r = create("iotgatewaytest cmkey");
  EXPECT_EQ(r.body.value("alias", ""), "iotgatewaytest cmkey");
}

TEST_F(IdServiceTest, create_takes_shell_specials_and_non_ascii_in_an_alias)
{
  // The WebAPI reference limits an alias to 64 bytes only; the command reference's
  // character class is the tools' rule, not the server's.
  for (const char c : k_forbidden) {
    const std::string alias = std::string("host") + c;
    EXPECT_EQ(create(alias).body.value("alias", ""), alias) << "character '" << c << "'";
  }
  EXPECT_EQ(create("h\xc3\xb6st").body.value("alias", ""), "h\xc3\xb6st");
}

TEST_F(IdServiceTest, create_with_a_control_character_in_the_alias_is_1104)
{
  EXPECT_EQ(post_errorcode(create_request("host\t01")), 1104);
  EXPECT_EQ(post_errorcode(create_request("host\x7f")), 1104);
}

TEST_F(IdServiceTest, create_with_empty_alias_is_1104)
{
  EXPECT_EQ(post_errorcode(create_request("")), 1104);
}

TEST_F(IdServiceTest, create_with_number_alias_is_1103)
{
  EXPECT_EQ(post_errorcode(json{{"mode", "create"}, {"tenantid", "TenantA"}, {"alias", 12}}), 1103);
}

TEST_F(IdServiceTest, refused_create_stores_nothing)
{
  EXPECT_EQ(post_errorcode(create_request("bad\nalias")), 1104);
  EXPECT_EQ(post_errorcode(create_request(std::string(65, 'a'))), 1104);
  EXPECT_EQ(keyid_of(create()), "0000000001");
}

// ---- create: success -------------------------------------------------------

TEST_F(IdServiceTest, create_issues_keyid_0000000001_with_status_201)
{
  const ApiResponse r = create("host01");
  EXPECT_EQ(r.status, 201);
  EXPECT_EQ(r.body.value("errorcode", -1), 0);
  EXPECT_EQ(keyid_of(r), "0000000001");
  EXPECT_EQ(r.body.value("alias", ""), "host01");
}

TEST_F(IdServiceTest, create_issues_consecutive_keyids)
{
  EXPECT_EQ(keyid_of(create("a")), "0000000001");
  EXPECT_EQ(keyid_of(create("b")), "0000000002");
  EXPECT_EQ(keyid_of(create("c")), "0000000003");
}

TEST_F(IdServiceTest, create_key_follows_the_default_policy)
{
  const std::string key = key_of(create());
  EXPECT_EQ(key.size(), policy().password_length);
  EXPECT_TRUE(has_any_of(key, k_upper)) << key;
  EXPECT_TRUE(has_any_of(key, k_lower)) << key;
  EXPECT_TRUE(has_any_of(key, k_digits)) << key;
  EXPECT_EQ(key.find_first_not_of(std::string(k_upper) + std::string(k_lower) + std::string(k_digits)),
            std::string::npos)
    << "symbols in " << key << " although the policy has none";
  EXPECT_EQ(clm::field_problem(clm::Field::password, clm::Side::server, key), std::nullopt);
}

TEST_F(IdServiceTest, create_keys_differ)
{
  EXPECT_NE(key_of(create("a")), key_of(create("b")));
}

TEST_F(IdServiceTest, create_expiration_is_now_plus_lifetime_as_string)
{
  const ApiResponse r = create();
  ASSERT_TRUE(r.body.at("expiration").is_string()) << r.body;
  EXPECT_EQ(r.body.at("expiration").get<std::string>(), std::to_string(now() + lifetime_ms(policy())));
}

TEST_F(IdServiceTest, create_follows_a_custom_policy)
{
  IdPolicy custom;
  custom.password_length = 8;
  custom.lifetime = 1h;
  use_policy(custom);
  set_now(k_start_ms + 123);
  const ApiResponse r = create();
  EXPECT_EQ(key_of(r).size(), 8u);
  EXPECT_EQ(r.body.at("expiration").get<std::string>(), std::to_string(k_start_ms + 123 + 3'600'000));
}

TEST_F(IdServiceTest, create_with_symbols_policy_uses_every_class)
{
  IdPolicy custom;
  custom.password_symbols = true;
  custom.password_length = 12;
  use_policy(custom);
  const std::string key = key_of(create());
  EXPECT_EQ(key.size(), 12u);
  EXPECT_TRUE(has_any_of(key, "#%+,-./:=@^_~")) << key;
  EXPECT_EQ(clm::field_problem(clm::Field::password, clm::Side::server, key), std::nullopt) << key;
}

TEST_F(IdServiceTest, generated_passwords_contain_upper_lower_and_digit)
{
  IdPolicy custom;
  custom.password_length = 8;
  use_policy(custom);
  for (int i = 0; i < 300; ++i) {
    const std::string pw = service().generate_password();
    ASSERT_EQ(pw.size(), 8u);
    EXPECT_TRUE(has_any_of(pw, k_upper)) << pw;
    EXPECT_TRUE(has_any_of(pw, k_lower)) << pw;
    EXPECT_TRUE(has_any_of(pw, k_digits)) << pw;
    EXPECT_EQ(pw.find_first_not_of(std::string(k_upper) + std::string(k_lower) + std::string(k_digits)),
              std::string::npos)
      << pw;
  }
}

TEST_F(IdServiceTest, generated_passwords_with_symbols_contain_every_class)
{
  IdPolicy custom;
  custom.password_length = 8;
  custom.password_symbols = true;
  use_policy(custom);
  const std::string symbols = "#%+,-./:=@^_~";
  const std::string alphabet = std::string(k_upper) + std::string(k_lower) + std::string(k_digits) + symbols;
  for (int i = 0; i < 300; ++i) {
    const std::string pw = service().generate_password();
    ASSERT_EQ(pw.size(), 8u);
    EXPECT_TRUE(has_any_of(pw, k_upper)) << pw;
    EXPECT_TRUE(has_any_of(pw, k_lower)) << pw;
    EXPECT_TRUE(has_any_of(pw, k_digits)) << pw;
    EXPECT_TRUE(has_any_of(pw, symbols)) << pw;
    EXPECT_EQ(pw.find_first_not_of(alphabet), std::string::npos) << pw;
    EXPECT_FALSE(has_any_of(pw, k_forbidden)) << pw;
  }
}

TEST_F(IdServiceTest, long_policy_password_is_a_valid_password)
{
  IdPolicy custom;
  custom.password_length = 128;
  custom.password_symbols = true;
  use_policy(custom);
  const std::string key = key_of(create());
  EXPECT_EQ(key.size(), 128u);
  EXPECT_EQ(clm::field_problem(clm::Field::password, clm::Side::server, key), std::nullopt);
}

// ---- auth: validation ------------------------------------------------------

TEST_F(IdServiceTest, auth_without_keyid_is_1102)
{
  const std::string key = key_of(create());
  EXPECT_EQ(post_errorcode(json{{"mode", "auth"}, {"key", key}}), 1102);
}

TEST_F(IdServiceTest, auth_without_key_is_1102)
{
  create();
  EXPECT_EQ(post_errorcode(json{{"mode", "auth"}, {"keyid", "0000000001"}}), 1102);
  EXPECT_EQ(post_errorcode(json{{"mode", "auth"}, {"keyid", "0000000001"}, {"key", nullptr}}), 1102);
}

TEST_F(IdServiceTest, auth_with_non_digit_keyid_is_1104)
{
  const std::string key = key_of(create());
  EXPECT_EQ(post_errorcode(credential_request("auth", "abc", key)), 1104);
  EXPECT_EQ(post_errorcode(credential_request("auth", "-1", key)), 1104);
  EXPECT_EQ(post_errorcode(credential_request("auth", "", key)), 1104);
}

TEST_F(IdServiceTest, auth_with_eleven_digit_keyid_is_1104)
{
  const std::string key = key_of(create());
  EXPECT_EQ(post_errorcode(credential_request("auth", "00000000001", key)), 1104);
  EXPECT_EQ(post_errorcode(credential_request("auth", "99999999999", key)), 1104);
}

TEST_F(IdServiceTest, auth_with_number_keyid_is_1103)
{
  const std::string key = key_of(create());
  EXPECT_EQ(post_errorcode(json{{"mode", "auth"}, {"keyid", 1}, {"key", key}}), 1103);
}

TEST_F(IdServiceTest, auth_with_malformed_key_is_1104)
{
  create();
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", "has space")), 1104);
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", std::string(129, 'x'))), 1104);
}

// ---- auth: outcomes --------------------------------------------------------

TEST_F(IdServiceTest, auth_of_unknown_keyid_is_1204)
{
  create();
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000099", "Whatever123")), 1204);
}

TEST_F(IdServiceTest, auth_with_wrong_password_is_1201)
{
  const std::string key = key_of(create());
  std::string wrong = key;
  wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", wrong)), 1201);
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", key + "x")), 1201);
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", key.substr(1))), 1201);
}

TEST_F(IdServiceTest, auth_with_another_ids_password_is_1201)
{
  create("a");
  const std::string second_key = key_of(create("b"));
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", second_key)), 1201);
}

TEST_F(IdServiceTest, auth_success_is_200_with_errorcode_0_and_keyid)
{
  const std::string key = key_of(create());
  const ApiResponse r = post(credential_request("auth", "0000000001", key));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, (json{{"errorcode", 0}, {"keyid", "0000000001"}}));
}

TEST_F(IdServiceTest, auth_accepts_an_unpadded_keyid)
{
  const std::string key = key_of(create());
  const ApiResponse r = post(credential_request("auth", "1", key));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(keyid_of(r), "0000000001");
}

TEST_F(IdServiceTest, auth_of_deleted_id_is_1202)
{
  const std::string key = key_of(create());
  ASSERT_EQ(post(credential_request("delete", "0000000001", key)).status, 200);
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", key)), 1202);
}

TEST_F(IdServiceTest, auth_of_deleted_id_with_wrong_password_is_1201)
{
  const std::string key = key_of(create());
  ASSERT_EQ(post(credential_request("delete", "0000000001", key)).status, 200);
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", "Wrong1234pass")), 1201);
}

TEST_F(IdServiceTest, auth_just_before_expiration_succeeds)
{
  const std::string key = key_of(create());
  set_now(k_start_ms + lifetime_ms(policy()) - 1);
  EXPECT_EQ(post(credential_request("auth", "0000000001", key)).status, 200);
}

TEST_F(IdServiceTest, auth_at_expiration_is_1203)
{
  const std::string key = key_of(create());
  set_now(k_start_ms + lifetime_ms(policy()));
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", key)), 1203);
}

TEST_F(IdServiceTest, auth_after_expiration_is_1203)
{
  const std::string key = key_of(create());
  set_now(k_start_ms + lifetime_ms(policy()) + 86'400'000);
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", key)), 1203);
}

TEST_F(IdServiceTest, auth_of_expired_id_with_wrong_password_is_1201)
{
  create();
  set_now(k_start_ms + lifetime_ms(policy()) + 1);
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", "Wrong1234pass")), 1201);
}

// ---- delete ----------------------------------------------------------------

TEST_F(IdServiceTest, delete_success_is_200_with_errorcode_0_and_keyid)
{
  const std::string key = key_of(create());
  const ApiResponse r = post(credential_request("delete", "0000000001", key));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, (json{{"errorcode", 0}, {"keyid", "0000000001"}}));
}

TEST_F(IdServiceTest, delete_then_auth_is_1202)
{
  const std::string key = key_of(create());
  post(credential_request("delete", "0000000001", key));
  EXPECT_EQ(post_errorcode(credential_request("auth", "0000000001", key)), 1202);
}

TEST_F(IdServiceTest, delete_twice_is_1202)
{
  const std::string key = key_of(create());
  post(credential_request("delete", "0000000001", key));
  EXPECT_EQ(post_errorcode(credential_request("delete", "0000000001", key)), 1202);
}

TEST_F(IdServiceTest, delete_with_wrong_password_is_1201_and_keeps_the_id)
{
  const std::string key = key_of(create());
  EXPECT_EQ(post_errorcode(credential_request("delete", "0000000001", "Wrong1234pass")), 1201);
  EXPECT_EQ(post(credential_request("auth", "0000000001", key)).status, 200);
}

TEST_F(IdServiceTest, delete_of_unknown_id_is_1204)
{
  EXPECT_EQ(post_errorcode(credential_request("delete", "0000000001", "Whatever123")), 1204);
}

TEST_F(IdServiceTest, delete_of_expired_id_is_1203)
{
  const std::string key = key_of(create());
  set_now(k_start_ms + lifetime_ms(policy()));
  EXPECT_EQ(post_errorcode(credential_request("delete", "0000000001", key)), 1203);
}

TEST_F(IdServiceTest, delete_validates_like_auth)
{
  const std::string key = key_of(create());
  EXPECT_EQ(post_errorcode(json{{"mode", "delete"}, {"key", key}}), 1102);
  EXPECT_EQ(post_errorcode(json{{"mode", "delete"}, {"keyid", "0000000001"}}), 1102);
  EXPECT_EQ(post_errorcode(credential_request("delete", "abc", key)), 1104);
  EXPECT_EQ(post_errorcode(credential_request("delete", "12345678901", key)), 1104);
}

TEST_F(IdServiceTest, delete_leaves_other_ids_valid)
{
  const std::string first = key_of(create("a"));
  const std::string second = key_of(create("b"));
  post(credential_request("delete", "0000000001", first));
  EXPECT_EQ(post(credential_request("auth", "0000000002", second)).status, 200);
}

// ---- get -------------------------------------------------------------------

TEST_F(IdServiceTest, get_returns_keyinfo_with_the_password)
{
  const ApiResponse created = create("host01", "TenantB");
  const ApiResponse r = service().get(std::string("0000000001"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.value("errorcode", -1), 0);
  ASSERT_TRUE(r.body.contains("keyinfo")) << r.body;
  ASSERT_TRUE(r.body["keyinfo"].is_array()) << r.body;
  ASSERT_EQ(r.body["keyinfo"].size(), 1u) << r.body;
  const json& info = r.body["keyinfo"][0];
  EXPECT_EQ(info.value("keyid", ""), "0000000001");
  EXPECT_EQ(info.value("key", ""), key_of(created));
  EXPECT_EQ(info.value("alias", ""), "host01");
  EXPECT_EQ(info.value("tenantid", ""), "TenantB");
  EXPECT_EQ(info.value("expiration", ""), created.body.value("expiration", "?"));
}

TEST_F(IdServiceTest, get_of_unknown_id_is_an_empty_list)
{
  create();
  const ApiResponse r = service().get(std::string("0000000002"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.value("errorcode", -1), 0);
  EXPECT_EQ(r.body.at("keyinfo"), json::array());
}

TEST_F(IdServiceTest, get_of_deleted_id_is_an_empty_list)
{
  const std::string key = key_of(create());
  post(credential_request("delete", "0000000001", key));
  EXPECT_EQ(service().get(std::string("0000000001")).body.at("keyinfo"), json::array());
}

TEST_F(IdServiceTest, get_of_expired_id_is_an_empty_list)
{
  create();
  set_now(k_start_ms + lifetime_ms(policy()));
  EXPECT_EQ(service().get(std::string("0000000001")).body.at("keyinfo"), json::array());
}

TEST_F(IdServiceTest, get_with_malformed_keyid_is_1104)
{
  for (const char* keyid : {"abc", "12345678901", ""}) {
    try {
      service().get(std::string(keyid));
      ADD_FAILURE() << "get('" << keyid << "') did not throw";
    } catch (const ApiError& e) {
      EXPECT_EQ(e.errorcode, 1104) << "keyid '" << keyid << "'";
    }
  }
}

TEST_F(IdServiceTest, get_without_keyid_lists_every_valid_id)
{
  const std::string first = key_of(create("a"));
  const std::string second = key_of(create("b"));
  const std::string third = key_of(create("c"));
  post(credential_request("delete", "0000000002", second));
  const ApiResponse r = service().get(std::nullopt);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.value("errorcode", -1), 0);
  const json& list = r.body.at("keyinfo");
  ASSERT_EQ(list.size(), 2u) << r.body;
  EXPECT_EQ(list[0].value("keyid", ""), "0000000001");
  EXPECT_EQ(list[0].value("key", ""), first);
  EXPECT_EQ(list[0].value("alias", ""), "a");
  EXPECT_EQ(list[1].value("keyid", ""), "0000000003");
  EXPECT_EQ(list[1].value("key", ""), third);
  EXPECT_EQ(list[1].value("alias", ""), "c");
}

TEST_F(IdServiceTest, get_without_keyid_skips_expired_ids)
{
  create("early");
  set_now(k_start_ms + 1000);
  create("late");
  set_now(k_start_ms + lifetime_ms(policy()));  // "early" expires now, "late" a second later
  const json list = service().get(std::nullopt).body.at("keyinfo");
  ASSERT_EQ(list.size(), 1u) << list;
  EXPECT_EQ(list[0].value("alias", ""), "late");
}

TEST_F(IdServiceTest, get_without_keyid_on_empty_store_is_an_empty_list)
{
  const ApiResponse r = service().get(std::nullopt);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body.at("keyinfo"), json::array());
}

// ---- storage ---------------------------------------------------------------

TEST_F(IdServiceTest, stored_password_is_not_plaintext)
{
  const std::string key = key_of(create());

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT sealed_key FROM ids WHERE keyid = 1", -1, &st, nullptr), SQLITE_OK)
    << sqlite3_errmsg(db);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  const auto* p = static_cast<const char*>(sqlite3_column_blob(st, 0));
  const std::string sealed = p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(st, 0))) : "";
  sqlite3_finalize(st);
  sqlite3_close(db);

  EXPECT_FALSE(sealed.empty());
  EXPECT_EQ(sealed.find(key), std::string::npos) << "the password is stored in plaintext";
  EXPECT_GT(sealed.size(), key.size()) << "sealed text too short to be authenticated";
}

TEST_F(IdServiceTest, password_appears_in_no_database_file)
{
  const std::string key = key_of(create());
  for (const char* suffix : {"", "-wal", "-journal"}) {
    const fs::path p = db_path().string() + suffix;
    if (fs::exists(p)) {
      EXPECT_EQ(read_plain(p).find(key), std::string::npos) << "password found in " << p;
    }
  }
}

TEST_F(IdServiceTest, sealed_password_is_bound_to_its_keyid)
{
  create("a");
  const std::string second_key = key_of(create("b"));
  // Copy record 2's sealed password into record 1: it must not open there.
  clm::test::exec_sql(db_path(), "UPDATE ids SET sealed_key = (SELECT sealed_key FROM ids WHERE keyid = 2) "
                                 "WHERE keyid = 1");

  bool accepted = false;
  try {
    accepted = post(credential_request("auth", "0000000001", second_key)).status == 200;
  } catch (...) {
    accepted = false;  // refused one way or another
  }
  EXPECT_FALSE(accepted) << "a sealed password moved to another keyid was accepted";
}

TEST_F(IdServiceTest, store_failure_propagates_as_store_error)
{
  const std::string key = key_of(create());
  clm::test::exec_sql(db_path(), "DROP TABLE ids");
  try {
    post(credential_request("auth", "0000000001", key));
    FAIL() << "auth succeeded without its table";
  } catch (const StoreError& e) {
    EXPECT_EQ(e.errorcode(), 1602);
  }
}

}  // namespace
