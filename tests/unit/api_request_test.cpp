// Tests of the request helpers every WebAPI handler shares: parsing the body,
// reading fields, and the errorcodes (appendix 7.1) a bad request gets.
#include "api.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace {

using clm::json;
using clm::server::ApiError;
using clm::server::check_value;
using clm::server::error_response;
using clm::server::optional_string;
using clm::server::parse_request;
using clm::server::required_string;

// Return the errorcode of the ApiError f throws, or nullopt when it throws none.
template <typename F>
std::optional<int> api_errorcode_of(F&& f)
{
  try {
    f();
  } catch (const ApiError& e) {
    return e.errorcode;
  }
  return std::nullopt;
}

// ---- parse_request ---------------------------------------------------------

TEST(ParseRequest, object_is_returned)
{
  const json j = parse_request(R"({"mode":"create","alias":"a"})");
  EXPECT_EQ(j, (json{{"mode", "create"}, {"alias", "a"}}));
}

TEST(ParseRequest, empty_object_is_accepted)
{
  EXPECT_EQ(parse_request("{}"), json::object());
}

TEST(ParseRequest, invalid_json_is_1101)
{
  for (const char* body : {"{", "mode=create", R"({"mode":"create",})", "{}{}", "\xff"}) {
    EXPECT_EQ(api_errorcode_of([&] { parse_request(body); }), 1101) << "'" << body << "'";
  }
}

TEST(ParseRequest, empty_body_is_1101)
{
  EXPECT_EQ(api_errorcode_of([] { parse_request(""); }), 1101);
  EXPECT_EQ(api_errorcode_of([] { parse_request("   \n"); }), 1101);
}

TEST(ParseRequest, json_that_is_not_an_object_is_1101)
{
  for (const char* body : {R"([{"mode":"create"}])", "[]", R"("create")", "1", "null", "true"}) {
    EXPECT_EQ(api_errorcode_of([&] { parse_request(body); }), 1101) << "'" << body << "'";
  }
}

// ---- required_string / optional_string -------------------------------------

TEST(RequiredString, present_string_is_returned)
{
  EXPECT_EQ(required_string(json{{"mode", "auth"}}, "mode"), "auth");
}

TEST(RequiredString, empty_string_is_present)
{
  EXPECT_EQ(required_string(json{{"alias", ""}}, "alias"), "");
}

TEST(RequiredString, missing_field_is_1102)
{
  EXPECT_EQ(api_errorcode_of([] { required_string(json{{"other", "x"}}, "mode"); }), 1102);
  EXPECT_EQ(api_errorcode_of([] { required_string(json::object(), "mode"); }), 1102);
}

TEST(RequiredString, null_field_is_1102)
{
  EXPECT_EQ(api_errorcode_of([] { required_string(json{{"mode", nullptr}}, "mode"); }), 1102);
}

TEST(RequiredString, number_field_is_1103)
{
  EXPECT_EQ(api_errorcode_of([] { required_string(json{{"keyid", 1}}, "keyid"); }), 1103);
  EXPECT_EQ(api_errorcode_of([] { required_string(json{{"keyid", 1.5}}, "keyid"); }), 1103);
}

TEST(RequiredString, other_non_string_fields_are_1103)
{
  EXPECT_EQ(api_errorcode_of([] { required_string(json{{"mode", true}}, "mode"); }), 1103);
  EXPECT_EQ(api_errorcode_of([] { required_string(json{{"mode", json::array({"create"})}}, "mode"); }), 1103);
  EXPECT_EQ(api_errorcode_of([] { required_string(json{{"mode", json{{"a", "b"}}}}, "mode"); }), 1103);
}

TEST(RequiredString, error_detail_names_the_field)
{
  try {
    required_string(json::object(), "tenantid");
    FAIL() << "no ApiError";
  } catch (const ApiError& e) {
    EXPECT_NE(e.detail.find("tenantid"), std::string::npos) << e.detail;
  }
}

TEST(OptionalString, missing_or_null_field_is_nullopt)
{
  EXPECT_EQ(optional_string(json::object(), "alias"), std::nullopt);
  EXPECT_EQ(optional_string(json{{"alias", nullptr}}, "alias"), std::nullopt);
}

TEST(OptionalString, present_string_is_returned)
{
  EXPECT_EQ(optional_string(json{{"alias", "a"}}, "alias"), "a");
}

TEST(OptionalString, non_string_field_is_1103)
{
  EXPECT_EQ(api_errorcode_of([] { optional_string(json{{"alias", 7}}, "alias"); }), 1103);
  EXPECT_EQ(api_errorcode_of([] { optional_string(json{{"alias", false}}, "alias"); }), 1103);
}

// ---- check_value -----------------------------------------------------------

TEST(CheckValue, no_problem_does_not_throw)
{
  EXPECT_EQ(api_errorcode_of([] { check_value(std::nullopt, "alias"); }), std::nullopt);
}

TEST(CheckValue, problem_is_1104_naming_the_field)
{
  try {
    check_value(std::string("is longer than 64 bytes"), "alias");
    FAIL() << "no ApiError";
  } catch (const ApiError& e) {
    EXPECT_EQ(e.errorcode, 1104);
    EXPECT_NE(e.detail.find("alias"), std::string::npos) << e.detail;
    EXPECT_NE(e.detail.find("longer than 64"), std::string::npos) << e.detail;
  }
}

// ---- error_response --------------------------------------------------------

TEST(ErrorResponse, password_mismatch_is_403)
{
  const auto r = error_response(1201);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(r.body, (json{{"errorcode", 1201}}));
}

TEST(ErrorResponse, body_holds_only_the_errorcode)
{
  for (const int code : {1101, 1102, 1103, 1104, 1202, 1203, 1204, 1601, 1602, 9901}) {
    const auto r = error_response(code);
    EXPECT_EQ(r.body, (json{{"errorcode", code}})) << "errorcode " << code;
  }
}

TEST(ErrorResponse, status_follows_the_appendix)
{
  EXPECT_EQ(error_response(1101).status, 400);
  EXPECT_EQ(error_response(1104).status, 400);
  EXPECT_EQ(error_response(1202).status, 403);
  EXPECT_EQ(error_response(1204).status, 404);
  EXPECT_EQ(error_response(1601).status, 500);
  EXPECT_EQ(error_response(9901).status, 500);
}

TEST(ErrorResponse, unknown_errorcode_is_500)
{
  EXPECT_EQ(error_response(4242).status, 500);
  EXPECT_EQ(error_response(4242).body, (json{{"errorcode", 4242}}));
}

}  // namespace
